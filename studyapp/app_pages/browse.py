"""Browse: search and filter the whole bank, read any question with its answer."""

import streamlit as st

from studyapp import ui
from studyapp.bank import filter_questions
from studyapp.i18n import tr

lang = ui.language()
report = ui.bank(lang)
questions = report.questions
st.title(tr("browse", lang))

query = st.text_input(tr("search", lang), key="q_search", bind="query-params")
cols = st.columns(4)
any_ = tr("choose", lang)
topics = cols[0].multiselect(
    tr("topic", lang), sorted({q.topic for q in questions.values()}), placeholder=any_
)
types = cols[1].multiselect(
    tr("type", lang),
    ["recall", "choice", "numeric"],
    format_func=lambda t: ui.type_label(t, lang),
    placeholder=any_,
)
levels = cols[2].multiselect(
    tr("difficulty", lang),
    [1, 2, 3],
    format_func=lambda d: ui.difficulty_label(d, lang),
    placeholder=any_,
)
tags = cols[3].multiselect(
    tr("tag", lang), sorted({t for q in questions.values() for t in q.tags}), placeholder=any_
)

opened = st.query_params.get("q")
found = filter_questions(questions, query, set(topics), set(types), set(levels), set(tags))
st.caption(tr("shown_of", lang, shown=len(found), total=len(questions)))
if not found and questions:
    st.info(tr("no_match", lang))
for q in found:
    title = getattr(q.question, lang).strip().split("\n")[0]
    badge = f"{q.topic} · {ui.type_label(q.type, lang)} · {ui.difficulty_label(q.difficulty, lang)}"
    with st.expander(f"{title}  \n:gray[{badge}]", expanded=q.id == opened, key=f"q-{q.id}"):
        st.markdown(getattr(q.question, lang))
        ui.render_answer(q, lang, report)
