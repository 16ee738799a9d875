"""Statistics: reviews per day, accuracy and retention over time, mastery, upcoming workload."""

from datetime import UTC, datetime, timedelta

import streamlit as st

from studyapp.app import charts, widgets
from studyapp.app.i18n import tr
from studyapp.progress.queues import forecast
from studyapp.progress.stats import (
    accuracy_per_day,
    mastery_by_topic,
    retention_estimate,
    reviews_per_day,
    state_counts,
)

lang = widgets.language()
report = widgets.bank(lang)
st.title(tr("stats", lang))
db, me, now, tz = widgets.store(), widgets.profile(), datetime.now(UTC), widgets.timezone()

states = state_counts(db, me.id, report.questions)
retention = retention_estimate(db, me.id)
cols = st.columns(5)
for col, key in zip(cols, ["new", "learning", "review", "relearning"], strict=False):
    col.metric(tr(f"state_{key}", lang), states[key])
share = retention.get("retention")
cols[4].metric(
    tr("true_retention", lang),
    "–" if share is None else f"{share:.0%}",
    help=tr("true_retention_help", lang, target=f"{me.desired_retention:.0%}"),
)

st.subheader(tr("reviews_per_day", lang))
PERIOD_DAYS = {"month": 30, "quarter": 91, "year": 365, "all": None}
period = st.segmented_control(
    tr("period", lang),
    list(PERIOD_DAYS),
    format_func=lambda p: tr(f"period_{p}", lang),
    default="month",
    required=True,
    label_visibility="collapsed",
    key="stats_period",
)
today = now.astimezone(tz).date()
days = PERIOD_DAYS[period or "month"]
since = None if days is None else today - timedelta(days=days - 1)
per_day = reviews_per_day(db, me.id, since=since, until=today, tz=tz)
if any(r["total"] for r in per_day):
    first = per_day[0]["date"]
    st.altair_chart(charts.reviews_per_day(per_day, lang, first, today))
    st.subheader(tr("accuracy_over_time", lang))
    accuracy = accuracy_per_day(db, me.id, since=since, until=today, tz=tz)
    st.altair_chart(charts.accuracy_per_day(accuracy, lang, first, today))
elif db.review_count(me.id):
    st.info(tr("period_empty", lang, period=tr(f"period_{period or 'month'}", lang)))
else:
    st.info(tr("no_reviews_yet", lang))

st.subheader(tr("upcoming", lang))
upcoming = forecast(db, me.id, report.questions, now, days=30, tz=tz)
if any(r["due"] for r in upcoming):
    st.altair_chart(charts.due_per_day(upcoming, lang))
else:
    st.info(tr("nothing_scheduled", lang))

st.subheader(tr("mastery", lang))
st.dataframe(
    [
        {
            tr("topic", lang): widgets.topic_label(r["topic"], lang),
            tr("seen", lang): f"{r['seen']}/{r['total']}",
            tr("mastery", lang): r["mastery"],
        }
        for r in mastery_by_topic(db, me.id, report.questions)
    ],
    column_config={
        tr("mastery", lang): st.column_config.ProgressColumn(
            min_value=0, max_value=1, format="percent"
        )
    },
    hide_index=True,
)
