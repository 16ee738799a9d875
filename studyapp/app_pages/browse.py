"""Browse: search and filter the whole bank, read any question with its answer."""

from datetime import UTC, datetime

import streamlit as st

from studyapp import ui
from studyapp.bank import filter_questions
from studyapp.i18n import tr

lang = ui.language()
report = ui.bank(lang)
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
    me, db = ui.profile(), ui.store()
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
    badge = f"{q.topic} · {ui.type_label(q.type, lang)} · {ui.difficulty_label(q.difficulty, lang)}"
    with st.expander(f"{title}  \n:gray[{badge}]", expanded=q.id == opened, key=f"q-{q.id}"):
        st.markdown(getattr(q.question, lang))
        ui.render_answer(q, lang, report)
