"""Quiz: pick topics, tags, difficulty, type and a count; answer in shuffled order; see a summary."""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.bank.load import filter_questions
from studyapp.progress.grading import start_quiz

lang = widgets.language()
report = widgets.bank(lang)
questions = report.questions
session = st.session_state.get("quiz")
if session is None or session.finished:
    st.title(tr("quiz", lang))
if session is None:
    any_ = tr("choose", lang)
    topics_all = sorted({q.topic for q in questions.values()})
    wanted_topic = st.query_params.get("topic")
    cols = st.columns(4)
    topics = cols[0].multiselect(
        tr("topic", lang),
        topics_all,
        default=[wanted_topic] if wanted_topic in topics_all else None,
        placeholder=any_,
        key="quiz_topics",
    )
    tags = cols[1].multiselect(
        tr("tag", lang),
        sorted({t for q in questions.values() for t in q.tags}),
        placeholder=any_,
        key="quiz_tags",
    )
    levels = cols[2].multiselect(
        tr("difficulty", lang),
        [1, 2, 3],
        format_func=lambda d: widgets.difficulty_label(d, lang),
        placeholder=any_,
        key="quiz_levels",
    )
    types = cols[3].multiselect(
        tr("type", lang),
        ["recall", "choice", "numeric"],
        format_func=lambda t: widgets.type_label(t, lang),
        placeholder=any_,
        key="quiz_types",
    )
    pool = filter_questions(questions, "", set(topics), set(types), set(levels), set(tags))
    if not pool:
        st.info(tr("no_questions_for_filters", lang))
        st.stop()
    count = len(pool)
    if len(pool) > 1:
        count = st.slider(tr("count", lang), 1, len(pool), min(10, len(pool)), key="quiz_count")
    if st.button(tr("start_quiz", lang), type="primary", key="quiz_start"):
        st.session_state.quiz = start_quiz(pool, count)
        st.rerun()
    st.stop()

if not session.finished:
    qid = session.current
    st.progress(
        session.position / len(session.question_ids),
        text=tr("quiz_progress", lang, i=session.position + 1, n=len(session.question_ids)),
    )
    q = questions.get(qid)
    if q is None:  # removed from the bank while the quiz was running
        session.advance()
        st.rerun()
    outcome = widgets.answer_card(
        q,
        lang,
        report,
        key=f"quiz-{session.position}-{qid}",
        order=session.option_order.get(qid),
        show_demo=demo_switch,
    )
    if outcome is not None:
        last = session.position + 1 == len(session.question_ids)
        if st.button(tr("finish" if last else "next", lang), type="primary", shortcut="Enter"):
            session.record(outcome)
            session.advance()
            st.rerun()
    st.stop()

right = sum(o.correct is not False and o.rating > 1 for o in session.outcomes)
st.subheader(tr("quiz_done", lang, right=right, n=len(session.outcomes)))
missed = [questions[m] for m in session.missed() if m in questions]
if missed:
    st.markdown(f"**{tr('missed', lang)}**")
    st.markdown(
        "\n".join(f"- [{getattr(q.question, lang).strip()}](question?q={q.id})" for q in missed)
    )
else:
    st.success(tr("nothing_missed", lang))
if st.button(tr("new_quiz", lang), type="primary"):
    del st.session_state.quiz
    st.rerun()
