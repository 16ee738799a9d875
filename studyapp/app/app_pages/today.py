"""Today: what is due, what is new, the streak and mastery per topic, and one button to start."""

from datetime import UTC, datetime

import streamlit as st

from studyapp.app import charts, widgets
from studyapp.app.i18n import tr
from studyapp.progress.queues import REVIEW_FILTER, narrowed, next_due_within, study_counts
from studyapp.progress.scheduling import format_interval
from studyapp.progress.stats import mastery_by_topic, today_summary

lang = widgets.language()
report = widgets.bank(lang)
st.title(tr("today", lang))

me = widgets.profile()
db = widgets.store()
now = datetime.now(UTC)
summary = today_summary(db, me.id, report.questions, now, tz=widgets.timezone())
cols = st.columns(4)
cols[0].metric(tr("due_now", lang), summary["due_now"])
cols[1].metric(tr("new_available", lang), summary["new_available"])
cols[2].metric(tr("reviewed_today", lang), summary["reviewed_today"])
cols[3].metric(tr("streak", lang), summary["streak"])

chosen = db.study_setting(me.id, REVIEW_FILTER) or {}
if chosen.get("topics") or chosen.get("tags"):  # Review is narrowed: say so, with its counts
    scope = narrowed(report.questions.values(), chosen.get("topics", []), chosen.get("tags", []))
    counts = study_counts(db, me.id, [q.id for q in scope], now, tz=widgets.timezone())
    what = ", ".join(
        [widgets.topic_label(t, lang) for t in chosen.get("topics", [])] + chosen.get("tags", [])
    )
    st.caption(
        tr(
            "review_narrowed",
            lang,
            what=widgets.literal(what),
            due=counts["learning"] + counts["review"],
            new=counts["new"],
        )
    )
if summary["due_now"] + summary["new_available"]:
    if st.button(tr("start_review", lang), type="primary", icon=":material/play_arrow:"):
        st.switch_page("app_pages/review.py")
elif soon := next_due_within(db, me.id, report.questions, now):
    # Not "come back tomorrow" when cards come back in minutes.
    st.info(tr("learn_ahead_today", lang, n=soon[1], time=format_interval(soon[0] - now, lang)))
else:
    st.success(tr("queue_empty", lang))

rows = mastery_by_topic(db, me.id, report.questions)
if rows:
    st.subheader(tr("mastery", lang))
    st.altair_chart(charts.mastery_by_topic(rows, lang, widgets.topic_label))
    links = st.container(horizontal=True, gap="small")
    for r in rows:  # same-tab links to a quiz on the topic, keeping language and profile
        widgets.topic_link(r["topic"], lang, where=links)
