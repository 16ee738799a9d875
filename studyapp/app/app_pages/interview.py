"""Interview: a timed mock interview over chosen topics. For each question the learner answers as
to an interviewer (typing, or only thinking it through), then sees the model answer with its key
points as a checklist to tick; a summary at the end. The schedule changes only if chosen. The
interview in progress is saved in the progress store, so a reload resumes it."""

import math
import time

import streamlit as st

from studyapp.app import widgets
from studyapp.app.answer import key_help
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.progress.grading import (
    Outcome,
    QuizSession,
    interview_rating,
    key_points,
    start_quiz,
)
from studyapp.progress.queues import narrowed

SAVED = "interview"

lang = widgets.language()
report = widgets.bank(lang)
questions = report.questions
me = widgets.profile()
db = widgets.store()
state = st.session_state
slot = f"interview_{me.id}"
st.title(tr("interview", lang))

session: QuizSession | None = widgets.resumed_session(slot, SAVED)


def save() -> None:
    widgets.save_session(slot, SAVED, session)


def clock(seconds: float) -> str:
    seconds = max(0, math.ceil(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def points_of(qid: str) -> list[str]:
    return key_points(widgets.bank_text(questions[qid].answer, lang))


if session is None:
    st.markdown(tr("interview_intro", lang))
    topics_all = sorted({q.topic for q in questions.values()})
    cols = st.columns(2)
    topics = cols[0].multiselect(
        tr("topic", lang),
        topics_all,
        format_func=lambda t: widgets.topic_label(t, lang),
        placeholder=tr("choose", lang),
        key="interview_topics",
    )
    levels = cols[1].multiselect(
        tr("difficulty", lang),
        [1, 2, 3],
        default=[2, 3],
        format_func=lambda d: widgets.difficulty_label(d, lang),
        placeholder=tr("choose", lang),
        key="interview_levels",
    )
    pool = [
        q
        for q in narrowed(questions.values(), topics)
        if (not levels or q.difficulty in levels) and key_points(q.answer.en)
    ]
    if not pool:
        st.info(tr("no_questions_for_filters", lang))
        st.stop()
    cols = st.columns(2)
    count = len(pool)
    if len(pool) > 1:
        count = cols[0].slider(
            tr("count", lang), 1, len(pool), min(5, len(pool)), key="interview_count"
        )
    minutes = cols[1].slider(tr("minutes_per_question", lang), 1, 10, 3, key="interview_minutes")
    reschedule = st.toggle(
        tr("reschedule", lang),
        value=False,
        help=tr("reschedule_help", lang),
        key="interview_reschedule",
    )
    if st.button(tr("start_interview", lang), type="primary", key="interview_start"):
        session = state[slot] = start_quiz(
            pool,
            count,
            reschedule=reschedule,
            filters={"topics": topics, "levels": levels, "minutes": [minutes]},
        )
        save()
        st.rerun()
    st.stop()

if not session.finished:
    qid = session.current
    q = questions.get(qid)
    if q is None:  # removed from the bank while the interview was running
        session.advance()
        save()
        st.rerun()
    n = len(session.question_ids)
    st.progress(session.position / n, text=tr("quiz_progress", lang, i=session.position + 1, n=n))
    card = session.cards.setdefault(str(session.position), {"stage": "ask"})
    card.setdefault("started", time.time())
    limit = 60 * session.filters.get("minutes", [3])[0]
    st.markdown(widgets.bank_text(q.question, lang))
    points = points_of(qid)

    if card["stage"] == "ask":

        @st.fragment(run_every=1)
        def timer() -> None:
            left = limit - (time.time() - card["started"])
            if left > 0:
                st.progress(left / limit, text=tr("time_left", lang, time=clock(left)))
            else:
                st.warning(tr("time_up", lang))

        timer()
        typed = st.text_area(tr("your_answer_text", lang), key=f"interview-{session.position}-text")
        if st.button(tr("show_model_answer", lang), type="primary", key="interview_reveal"):
            card.update(stage="revealed", typed=typed, seconds=int(time.time() - card["started"]))
            save()
            st.rerun()
        save()
        st.stop()

    if card.get("typed"):
        st.markdown(f"**{tr('you_wrote', lang)}**")
        st.text(card["typed"])  # the learner's words, shown literally
    st.markdown(f"**{tr('key_points', lang)}**")
    ticked = card.setdefault("ticked", [])
    for i, point in enumerate(points):
        if st.checkbox(point, value=i in ticked, key=f"interview-{session.position}-point-{i}"):
            if i not in ticked:
                ticked.append(i)
        elif i in ticked:
            ticked.remove(i)
    proposed = interview_rating(len(ticked), len(points)) if points else 3
    st.caption(tr("points_covered", lang, k=len(ticked), n=len(points)))
    with st.expander(tr("answer", lang)):
        widgets.render_answer(q, lang, report, show_demo=demo_switch)
    last = session.position + 1 == n
    bar = st.container(key=f"ratingbar-interview-{session.position}")
    if session.reschedule:
        bar.caption(tr("interview_rate", lang))
    row = bar.container(horizontal=True, gap="small")  # wraps on a phone instead of stacking
    chosen = None
    for rating in (1, 2, 3, 4):
        label = tr(("rate_again", "rate_hard", "rate_good", "rate_easy")[rating - 1], lang)
        if row.button(
            label,
            key=f"interview-{session.position}-rate-{rating}",
            type="primary" if rating == proposed else "secondary",
            width="stretch",
            shortcut=str(rating),
        ):
            chosen = rating
    if row.button(
        tr("finish" if last else "next", lang),
        key=f"interview-{session.position}-next",
        type="primary",
        width="stretch",
        shortcut="Enter",
    ):
        chosen = proposed
    with bar:
        key_help(tr("rating_keys", lang), f"interview-{session.position}")
    if chosen is not None:
        if session.reschedule:
            db.record_review(
                me.id,
                q.id,
                kind=q.type,
                rating=chosen,
                duration_ms=card["seconds"] * 1000,
            )
        session.record(Outcome(q.id, None, chosen, card["seconds"] * 1000))
        session.advance()
        save()
        st.rerun()
    save()
    st.stop()

save()
covered = total = 0
rows = []
for position, outcome in enumerate(session.outcomes):
    card = session.cards.get(str(position), {})
    points = points_of(outcome.question_id) if outcome.question_id in questions else []
    k = len(card.get("ticked", []))
    covered, total = covered + k, total + len(points)
    title = (
        widgets.question_title(questions[outcome.question_id], lang)
        if outcome.question_id in questions
        else outcome.question_id
    )
    rows.append(
        {
            tr("question", lang): title,
            tr("key_points_short", lang): f"{k} / {len(points)}",
            tr("time_spent", lang): clock(card.get("seconds", 0)),
            tr("rating", lang): tr(
                ("rate_again", "rate_hard", "rate_good", "rate_easy")[outcome.rating - 1], lang
            ),
        }
    )
seconds = sum(o.duration_ms for o in session.outcomes) // 1000
st.subheader(tr("interview_done", lang, k=covered, n=total, time=clock(seconds)))
st.caption(tr("schedule_updated" if session.reschedule else "schedule_untouched", lang))
st.dataframe(rows, hide_index=True, use_container_width=True)
weak = [
    questions[o.question_id]
    for o in session.outcomes
    if o.rating <= 2 and o.question_id in questions
]
if weak:
    st.markdown(f"**{tr('missed', lang)}**")
    for q in weak:
        widgets.question_link(q, lang)
if st.button(tr("new_interview", lang), type="primary", key="interview_new"):
    session = state[slot] = None
    save()
    st.rerun()
