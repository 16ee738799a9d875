"""Exercises: every code exercise by topic, with the learner's status (solved, tried, not tried
yet); each opens on the question page (`?q=<id>`), where it is written, run and graded."""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.exercise_view import sandbox_badge
from studyapp.app.i18n import tr
from studyapp.bank import search

lang = widgets.language()
report = widgets.bank(lang)
st.title(tr("exercises", lang))
st.markdown(tr("ex_intro", lang))

exercises = sorted(
    (q for q in report.questions.values() if q.type == "code"),
    key=lambda q: (widgets.topic_label(q.topic, lang), q.difficulty, q.id),
)
if not exercises:
    st.info(tr("ex_none", lang))
    st.stop()
sandbox_badge(lang)

status = widgets.store().exercise_status(widgets.profile().id)
solved = sum(status.get(q.id) == "solved" for q in exercises)
tried = sum(status.get(q.id) == "tried" for q in exercises)
st.caption(tr("ex_counts", lang, solved=solved, tried=tried, n=len(exercises)))
MARKS = {
    "solved": (":green[:material/check_circle:]", "ex_status_solved"),
    "tried": (":orange[:material/pending:]", "ex_status_tried"),
    None: (":gray[:material/radio_button_unchecked:]", "ex_status_new"),
}

topic = None
for q in exercises:
    if q.topic != topic:
        topic = q.topic
        st.subheader(widgets.literal(widgets.topic_label(topic, lang)))
    mark, words = MARKS[status.get(q.id)]
    # The statement's first sentence as text that wraps (a link's label does not, on a phone).
    st.markdown(search.title_of(getattr(q.question, lang)))
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    row.page_link(
        "app_pages/question.py",
        label=tr("ex_open", lang),
        icon=":material/code:",
        query_params=widgets.link_params(lang, q=q.id),
    )
    row.caption(f"{mark} {tr(words, lang)} · {widgets.difficulty_label(q.difficulty, lang)}")
