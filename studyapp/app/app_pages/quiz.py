"""Quiz: pick topics, tags, difficulty, type, a count and whether answers reschedule; answer in
shuffled order; see a summary. The quiz in progress is saved in the progress store after every
step, so a reload (or a crash) resumes it where it was."""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.answer import answer_card, take_back, undo_button
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.bank.load import filter_questions
from studyapp.progress.grading import QuizSession, start_quiz

SAVED = "quiz"

lang = widgets.language()
report = widgets.bank(lang)
questions = report.questions
me = widgets.profile()
state = st.session_state
slot = f"quiz_{me.id}"

session: QuizSession | None = widgets.resumed_session(slot, SAVED)


def save() -> None:
    widgets.save_session(slot, SAVED, session)


def undo_last() -> None:
    """Undo the previous answer (Z): its review is taken back and its question asked again."""
    if session.position and session.outcomes and undo_button(lang, "quiz-undo-last"):
        previous = session.cards.get(str(session.position - 1), {})
        session.cards.pop(str(session.position), None)  # the card on screen starts over later
        session.step_back()
        take_back(previous)
        session.cards[str(session.position)] = previous
        save()
        st.rerun()


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
        format_func=lambda t: widgets.topic_label(t, lang),
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
    reschedule = st.toggle(
        tr("reschedule", lang), value=True, help=tr("reschedule_help", lang), key="quiz_reschedule"
    )
    if st.button(tr("start_quiz", lang), type="primary", key="quiz_start"):
        filters = {"topics": topics, "tags": tags, "levels": levels, "types": types}
        session = state[slot] = start_quiz(pool, count, reschedule=reschedule, filters=filters)
        save()
        st.rerun()
    st.stop()

if not session.finished:
    qid = session.current
    st.progress(
        session.position / len(session.question_ids),
        text=tr("quiz_progress", lang, i=session.position + 1, n=len(session.question_ids)),
    )
    # What the quiz was started with, also after a reload.
    chosen = [widgets.topic_label(t, lang) for t in session.filters.get("topics", [])]
    chosen += session.filters.get("tags", [])
    notes = [widgets.literal(", ".join(chosen))] if chosen else []
    if not session.reschedule:
        notes.append(tr("quiz_unscheduled", lang))
    if notes:
        st.caption(" · ".join(notes))
    q = questions.get(qid)
    if q is None:  # removed from the bank while the quiz was running
        session.advance()
        save()
        st.rerun()
    card = session.cards.setdefault(str(session.position), {})
    if card.get("stage", "ask") != "done":  # the card has its own undo once answered
        undo_last()
    last = session.position + 1 == len(session.question_ids)
    answered = answer_card(
        q,
        lang,
        report,
        key=f"quiz-{session.position}-{qid}",
        state=card,
        order=session.option_order.get(qid),
        show_demo=demo_switch,
        reschedule=session.reschedule,
        next_label=tr("finish" if last else "next", lang),
    )
    if answered is not None and answered.moved_on:
        session.record(answered.outcome)
        session.advance()
        save()
        st.rerun()
    # Leaving a quiz half-way (a topic link asks for another one): the answers already saved stay.
    if st.button(tr("end_quiz", lang), key="quiz_end", type="tertiary", icon=":material/close:"):
        session = state[slot] = None
        save()
        st.rerun()
    save()
    st.stop()

save()
seconds = session.time_spent_ms() // 1000
st.subheader(tr("quiz_done", lang, right=session.right(), n=len(session.outcomes)))
st.caption(
    tr("time_spent_total", lang, time=f"{seconds // 60}:{seconds % 60:02d}")
    + " · "
    + tr("schedule_updated" if session.reschedule else "schedule_untouched", lang)
)
missed = [questions[m] for m in session.missed() if m in questions]
if missed:
    st.markdown(f"**{tr('missed', lang)}**")
    for q in missed:
        widgets.question_link(q, lang)
else:
    st.success(tr("nothing_missed", lang))
undo_last()
if st.button(tr("new_quiz", lang), type="primary", key="quiz_new"):
    session = state[slot] = None
    save()
    st.rerun()
