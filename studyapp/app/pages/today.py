"""Today: what is due, what is new, the streak and mastery per topic, and one button to start."""

from datetime import UTC, datetime

import streamlit as st

from studyapp.app import charts, widgets
from studyapp.app.i18n import tr
from studyapp.progress.stats import mastery_by_topic, today_summary

lang = widgets.language()
report = widgets.bank(lang)
st.title(tr("today", lang))

me = widgets.profile()
summary = today_summary(
    widgets.store(), me.id, report.questions, datetime.now(UTC), tz=widgets.timezone()
)
cols = st.columns(4)
cols[0].metric(tr("due_now", lang), summary["due_now"])
cols[1].metric(tr("new_available", lang), summary["new_available"])
cols[2].metric(tr("reviewed_today", lang), summary["reviewed_today"])
cols[3].metric(tr("streak", lang), summary["streak"])

if summary["due_now"] + summary["new_available"]:
    if st.button(tr("start_review", lang), type="primary", icon=":material/play_arrow:"):
        st.switch_page("pages/review.py")
else:
    st.success(tr("queue_empty", lang))

rows = mastery_by_topic(widgets.store(), me.id, report.questions)
if rows:
    st.subheader(tr("mastery", lang))
    st.altair_chart(charts.mastery_by_topic(rows, lang, widgets.topic_label))
    links = st.container(horizontal=True, gap="small")
    for r in rows:  # same-tab links to a quiz on the topic, keeping language and profile
        widgets.topic_link(r["topic"], lang, where=links)
