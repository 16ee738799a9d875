"""Browse: search and filter the whole bank, read any question with its answer."""

from datetime import UTC, datetime

import streamlit as st

from studyapp.app import widgets
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.bank.load import filter_questions

lang = widgets.language()
report = widgets.bank(lang)
questions = report.questions
st.title(tr("browse", lang))

query = st.text_input(tr("search", lang), key="q_search", bind="query-params")
cols = st.columns(5)
any_ = tr("choose", lang)
topics = cols[0].multiselect(
    tr("topic", lang), sorted({q.topic for q in questions.values()}), placeholder=any_
)
types = cols[1].multiselect(
    tr("type", lang),
    ["recall", "choice", "numeric"],
    format_func=lambda t: widgets.type_label(t, lang),
    placeholder=any_,
)
levels = cols[2].multiselect(
    tr("difficulty", lang),
    [1, 2, 3],
    format_func=lambda d: widgets.difficulty_label(d, lang),
    placeholder=any_,
)
tags = cols[3].multiselect(
    tr("tag", lang), sorted({t for q in questions.values() for t in q.tags}), placeholder=any_
)

status = cols[4].multiselect(
    tr("filter_status", lang),
    ["due", "new"],
    format_func=lambda s: tr(f"status_{s}", lang),
    placeholder=any_,
    key="browse_status",
)

opened = st.query_params.get("q")
found = filter_questions(questions, query, set(topics), set(types), set(levels), set(tags))
if status:
    me, db = widgets.profile(), widgets.store()
    due = {rec.question_id for rec in db.cards_due(me.id, datetime.now(UTC))}
    seen = db.seen_ids(me.id)
    found = [
        q
        for q in found
        if ("due" in status and q.id in due) or ("new" in status and q.id not in seen)
    ]
st.caption(tr("shown_of", lang, shown=len(found), total=len(questions)))
if not found and questions:
    st.info(tr("no_match", lang))
for q in found:
    title = getattr(q.question, lang).strip().split("\n")[0]
    badge = f"{q.topic} · {widgets.type_label(q.type, lang)} · {widgets.difficulty_label(q.difficulty, lang)}"
    with st.expander(f"{title}  \n:gray[{badge}]", expanded=q.id == opened, key=f"q-{q.id}"):
        st.markdown(getattr(q.question, lang))
        widgets.render_answer(q, lang, report, show_demo=demo_switch)
