"""Review: the spaced-repetition queue, like an Anki deck that can be narrowed to topics and tags
(remembered per profile). Due questions first, then today's new ones, topics taking turns; cards
rated Again or Hard minutes ago are counted down and shown when due; a summary ends the session."""

from datetime import UTC, datetime

import streamlit as st

from studyapp.app import widgets
from studyapp.app.answer import answer_card, take_back, undo_button
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.progress.queues import (
    LEARN_AHEAD,
    REVIEW_FILTER,
    due_queue,
    forecast,
    interleave_by_topic,
    narrowed,
    next_due_within,
    study_counts,
    study_queue,
)
from studyapp.progress.scheduling import State

lang = widgets.language()
report = widgets.bank(lang)
st.title(tr("review", lang))

me = widgets.profile()
db = widgets.store()
state = st.session_state
now = datetime.now(UTC)
tz = widgets.timezone()


def study_filter() -> tuple[list[str], list[str]]:
    """The topics and tags Review is narrowed to: the profile's saved choice, saved again when
    the learner changes it (only then, so two open tabs do not overwrite each other's)."""
    topic_key, tag_key = f"review_topics_{me.id}", f"review_tags_{me.id}"
    topics_all = sorted({q.topic for q in report.questions.values()})
    tags_all = sorted({t for q in report.questions.values() for t in q.tags})
    if topic_key not in state:  # a new session: start from the saved choice
        saved = db.study_setting(me.id, REVIEW_FILTER) or {}
        state[topic_key] = [t for t in saved.get("topics", []) if t in topics_all]
        state[tag_key] = [t for t in saved.get("tags", []) if t in tags_all]

    def remember() -> None:
        chosen = {"topics": state[topic_key], "tags": state[tag_key]}
        db.save_study_setting(me.id, REVIEW_FILTER, chosen)

    shown = ", ".join(widgets.topic_label(t, lang) for t in state[topic_key])
    shown = shown or tr("all_topics", lang)
    if state[tag_key]:
        shown += " · " + ", ".join(state[tag_key])
    # Keyed, so that it stays open while its label follows the choice.
    with st.expander(
        tr("studying", lang, what=widgets.literal(shown)), key=f"review_filter_{me.id}"
    ):
        cols = st.columns(2)
        topics = cols[0].multiselect(
            tr("topic", lang),
            topics_all,
            format_func=lambda t: widgets.topic_label(t, lang),
            placeholder=tr("choose", lang),
            key=topic_key,
            on_change=remember,
        )
        tags = cols[1].multiselect(
            tr("tag", lang),
            tags_all,
            placeholder=tr("choose", lang),
            key=tag_key,
            on_change=remember,
        )
    return topics, tags


topics, tags = study_filter()
ids = interleave_by_topic(narrowed(report.questions.values(), topics, tags))
if not ids:
    st.info(tr("no_questions_for_filters", lang))
    st.stop()

counts = study_counts(db, me.id, ids, now, tz=tz)
st.markdown(
    tr("counters", lang, new=counts["new"], learning=counts["learning"], review=counts["review"])
)

session = state.setdefault(f"review_session_{me.id}", [])  # this sitting's answers, in order
current = state.get("review_current")
left_behind = current is not None and (current["profile"] != me.id or current["qid"] not in ids)
if left_behind and state.get(current["key"], {}).get("stage", "ask") != "done":
    # The filter or the profile changed before this card was answered: pick again.
    current = state.review_current = None


def summary() -> None:
    """What this sitting did: reviewed, right, time spent, and what comes next."""
    if not session:
        return
    right = sum(a["rating"] > 1 for a in session)
    seconds = sum(a["duration_ms"] for a in session) // 1000
    st.subheader(tr("session_done", lang))
    cols = st.columns(3)
    cols[0].metric(tr("reviewed", lang), len(session))
    cols[1].metric(tr("right_share", lang), f"{right} / {len(session)}")
    cols[2].metric(tr("time_spent", lang), f"{seconds // 60}:{seconds % 60:02d}")
    tomorrow = forecast(db, me.id, ids, now, days=2, tz=tz)[1]["due"]
    st.markdown(tr("what_next", lang, due=tomorrow, new=me.new_per_day))


def undo_last() -> None:
    """Undo the previous card (Z): its review is taken back and it is asked again."""
    if not session or session[-1]["profile"] != me.id:
        return
    if undo_button(lang, "review-undo-last"):
        last = session.pop()
        take_back(last["card"])
        state.review_round = state.get("review_round", 0) + 1
        key = f"review-{state.review_round}-{last['qid']}"
        state[key] = last["card"]
        state.review_current = {**last["current"], "key": key}
        st.rerun()


if current is None:
    queue = study_queue(db, me.id, ids, now, tz=tz)
    if not queue and state.get("review_learn_ahead"):
        queue = [rec.question_id for rec in due_queue(db, me.id, ids, now, learn_ahead=LEARN_AHEAD)]
    if not queue:
        soon = next_due_within(db, me.id, ids, now)
        if soon is None:
            st.success(tr("queue_empty", lang))
        else:
            due_at, waiting = soon

            @st.fragment(run_every=1)
            def countdown() -> None:
                left = due_at - datetime.now(UTC)
                if left.total_seconds() <= 0:
                    st.rerun(scope="app")
                seconds = int(left.total_seconds()) + 1
                st.info(
                    tr(
                        "learn_ahead_wait",
                        lang,
                        n=waiting,
                        time=f"{seconds // 60}:{seconds % 60:02d}",
                    )
                )

            countdown()
            if st.button(tr("learn_ahead_now", lang), icon=":material/fast_forward:"):
                state.review_learn_ahead = True
                st.rerun()
        summary()
        undo_last()
        st.stop()
    qid = queue[0]
    card = db.card_record(me.id, qid)
    # The caption says what the card was when it was picked: rating a new card keeps it "new".
    if card is None:
        kind = "new_question"
    elif card.state in (State.Learning, State.Relearning):
        kind = "learning_question"
    else:
        kind = "due_question"
    state.review_round = state.get("review_round", 0) + 1
    current = state.review_current = {
        "qid": qid,
        "kind": kind,
        "profile": me.id,
        "key": f"review-{state.review_round}-{qid}",
    }
    state.review_learn_ahead = False

q = report.questions[current["qid"]]
st.caption(f"{widgets.literal(widgets.topic_label(q.topic, lang))} · {tr(current['kind'], lang)}")
card_state = state.setdefault(current["key"], {})
if card_state.get("stage", "ask") != "done":  # the card has its own undo once answered
    undo_last()
answered = answer_card(
    q,
    lang,
    report,
    key=current["key"],
    state=card_state,
    show_demo=demo_switch,
    next_label=tr("next", lang),
)
if answered is not None and answered.moved_on:
    o = answered.outcome
    session.append(
        {
            "qid": o.question_id,
            "rating": o.rating,
            "duration_ms": o.duration_ms,
            "profile": me.id,
            "card": card_state,
            "current": {k: v for k, v in current.items() if k != "key"},
        }
    )
    state.review_current = None
    st.rerun()
