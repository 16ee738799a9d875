"""Today: what is due, what is new, the streak and mastery per topic, and one button to start."""

from datetime import UTC, datetime

import streamlit as st

from studyapp.app import widgets
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
    mastered, seen, unseen = tr("mastered", lang), tr("seen", lang), tr("unseen", lang)
    chart = [
        {
            tr("topic", lang): r["topic"],
            mastered: r["mastered"],
            seen: r["seen"] - r["mastered"],
            unseen: r["total"] - r["seen"],
        }
        for r in rows
    ]
    st.bar_chart(
        chart,
        x=tr("topic", lang),
        y=[mastered, seen, unseen],
        horizontal=True,
        x_label=tr("questions", lang),
        y_label="",
        color=["#2e7d32", "#90caf9", "#e0e0e0"],
    )
    st.markdown(" · ".join(f"[{r['topic']}](quiz?topic={r['topic']})" for r in rows))
