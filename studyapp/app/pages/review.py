"""Review: the spaced-repetition queue, due questions first, then today's new ones."""

from datetime import UTC, datetime

import streamlit as st

from studyapp.app import widgets
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.progress.queues import study_queue

lang = widgets.language()
report = widgets.bank(lang)
st.title(tr("review", lang))

me = widgets.profile()
# The question on screen stays until the learner moves on, even once its card is no longer due.
current = st.session_state.get("review_current")
if current is None or current not in report.questions:
    queue = study_queue(
        widgets.store(), me.id, report.questions, datetime.now(UTC), tz=widgets.timezone()
    )
    if not queue:
        st.success(tr("queue_empty", lang))
        st.stop()
    current = st.session_state.review_current = queue[0]
    st.session_state.review_round = st.session_state.get("review_round", 0) + 1
    st.caption(tr("left_in_queue", lang, n=len(queue)))

q = report.questions[current]
seen = widgets.store().get_card(me.id, q.id) is not None
st.caption(f"{q.topic} · {tr('due_question' if seen else 'new_question', lang)}")
outcome = widgets.answer_card(
    q, lang, report, key=f"review-{st.session_state.review_round}-{q.id}", show_demo=demo_switch
)
if outcome is not None and st.button(tr("next", lang), type="primary", shortcut="Enter"):
    del st.session_state.review_current
    st.rerun()
