"""One question, opened by a deep link `?q=<id>`: answer it, then read the explanation."""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.answer import answer_card
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr

lang = widgets.language()
report = widgets.bank(lang)
qid = st.query_params.get("q")
q = report.questions.get(qid or "")
if q is None:
    st.warning(tr("unknown_question", lang, id=widgets.literal(qid or "")))
    st.page_link("app_pages/browse.py", label=tr("browse", lang), icon=":material/menu_book:")
    st.stop()
# A link from one question to another stays on this page, and Streamlit then leaves the
# browser's address as it was: writing `q` updates it, so a reload opens this question.
st.query_params["q"] = q.id
topic = widgets.literal(widgets.topic_label(q.topic, lang))
st.caption(
    f"{topic} · {widgets.type_label(q.type, lang)} · {widgets.difficulty_label(q.difficulty, lang)}"
)
st.session_state.setdefault("question_round", 0)
answered = answer_card(
    q, lang, report, key=f"question-{st.session_state.question_round}-{q.id}", show_demo=demo_switch
)
if answered and st.button(tr("again", lang)):
    st.session_state.question_round += 1
    st.rerun()
