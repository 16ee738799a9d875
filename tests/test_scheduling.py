"""FSRS wrapper: card ids, ratings, previews, interval formatting, queues and forecasts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyapp.bank.schema import Question
from studyapp.progress.queues import (
    LEARN_AHEAD,
    due_queue,
    forecast,
    interleave_by_topic,
    narrowed,
    new_queue,
    new_remaining_today,
    next_due_within,
    study_counts,
    study_queue,
)
from studyapp.progress.scheduling import (
    Rating,
    State,
    apply_rating,
    card_id_for,
    day_bounds,
    format_interval,
    new_card,
    preview_intervals,
    rating_for,
    scheduler_for,
)
from studyapp.progress.store import ProgressStore

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def store():
    with ProgressStore(":memory:") as s:
        yield s


@pytest.fixture
def pid(store) -> int:
    return store.default_profile().id


def review(store, profile, qid, rating, at):
    return store.record_review(profile, qid, kind="recall", rating=rating, reviewed_at=at)


def graduated(qid: str, at: datetime = T0):
    """A card that went Good, Good and a first review day: in Review state with a few days' S."""
    card = apply_rating(None, qid, Rating.Good, at)
    card = apply_rating(card, qid, Rating.Good, at + timedelta(minutes=10))
    return apply_rating(card, qid, Rating.Good, card.due)


# -- card ids ----------------------------------------------------------------------------------


def test_card_id_is_stable_and_63_bit():
    assert card_id_for("mlm-loss-which-positions") == card_id_for("mlm-loss-which-positions")
    # Pinned: changing the derivation would silently re-key every exported card id.
    assert card_id_for("q1") == 8341156147024183348
    ids = [f"topic-{i}-question-{j}" for i in range(40) for j in range(50)]
    values = {card_id_for(q) for q in ids}
    assert len(values) == len(ids)
    assert all(0 <= v < 2**63 for v in values)
    assert new_card("q1", T0).card_id == card_id_for("q1")


def test_card_id_is_the_same_in_another_process():
    code = "from studyapp.progress.scheduling import card_id_for; print(card_id_for('attention-scaling'))"
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert int(out) == card_id_for("attention-scaling")


# -- ratings and the scheduler -----------------------------------------------------------------


def test_rating_for_answer_kinds():
    assert rating_for("choice", correct=False) == Rating.Again
    assert rating_for("numeric", correct=True) == Rating.Good
    assert rating_for("numeric", correct=True, rating=Rating.Easy) == Rating.Easy
    assert rating_for("recall", rating=2) == Rating.Hard
    for bad in (
        {"kind": "recall"},
        {"kind": "choice"},
        {"kind": "recall", "rating": 0},
        {"kind": "recall", "rating": True},
        {"kind": "essay", "rating": 3},
    ):
        with pytest.raises(ValueError):
            rating_for(**bad)


def test_scheduler_has_no_fuzz_and_takes_the_retention():
    s = scheduler_for(0.85)
    assert s.desired_retention == 0.85 and s.enable_fuzzing is False
    assert scheduler_for(0.85) is s  # cached
    with pytest.raises(ValueError):
        scheduler_for(1.0)


def test_same_history_same_card():
    # No fuzz: the same reviews always give the same card, which replay and import rely on.
    cards = [graduated("q") for _ in range(5)]
    assert all(c.to_dict() == cards[0].to_dict() for c in cards)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        preview_intervals(None, datetime(2026, 11, 22))


# -- previews ----------------------------------------------------------------------------------


def test_preview_for_a_new_question():
    p = preview_intervals(None, T0, question_id="q")
    assert p == {
        Rating.Again: timedelta(minutes=1),
        Rating.Hard: timedelta(minutes=5, seconds=30),
        Rating.Good: timedelta(minutes=10),
        Rating.Easy: timedelta(days=8),
    }


def test_preview_increases_and_matches_what_the_button_does():
    card = graduated("q")
    assert card.state == State.Review
    now = card.due + timedelta(days=1)
    p = preview_intervals(card, now)
    assert p[Rating.Again] < p[Rating.Hard] < p[Rating.Good] < p[Rating.Easy]
    assert p[Rating.Again] == timedelta(minutes=10)  # relearning step
    for rating, interval in p.items():
        assert apply_rating(card, "q", rating, now).due - now == interval
    assert card.due == graduated("q").due  # previewing did not touch the card


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.sampled_from(list(Rating)), st.integers(min_value=0, max_value=60 * 24 * 90)),
        max_size=8,
    ),
    retention=st.sampled_from([0.7, 0.8, 0.9, 0.95, 0.99]),
)
def test_preview_never_decreases_from_again_to_easy(history, retention):
    # Strictly increasing for ordinary cards; at very low stability FSRS's whole-day intervals
    # can tie (e.g. Good and Easy both "1 d"), so the general promise is non-decreasing.
    card, now = None, T0
    for rating, gap in history:
        card = apply_rating(card, "q", rating, now, desired_retention=retention)
        now = card.due + timedelta(minutes=gap)
    p = preview_intervals(card, now, desired_retention=retention)
    assert p[Rating.Again] <= p[Rating.Hard] <= p[Rating.Good] <= p[Rating.Easy]
    assert p[Rating.Again] > timedelta(0)


def test_lower_desired_retention_gives_longer_intervals():
    card = graduated("q")
    now = card.due
    low = preview_intervals(card, now, desired_retention=0.8)
    high = preview_intervals(card, now, desired_retention=0.95)
    for rating in (Rating.Hard, Rating.Good, Rating.Easy):
        assert low[rating] > high[rating]
    assert low[Rating.Again] == high[Rating.Again]  # a relearning step, not FSRS's interval


def test_profile_retention_drives_future_intervals(store, pid):
    relaxed = store.create_profile("relaxed", desired_retention=0.8).id
    strict = store.create_profile("strict", desired_retention=0.95).id
    for profile in (relaxed, strict):
        review(store, profile, "q", Rating.Easy, T0)
    assert store.get_card(relaxed, "q").due > store.get_card(strict, "q").due
    # Changing the setting leaves existing due dates alone and applies to the next review.
    due_before = store.get_card(strict, "q").due
    store.update_settings(strict, desired_retention=0.8)
    assert store.get_card(strict, "q").due == due_before
    later = T0 + timedelta(days=30)
    a = review(store, relaxed, "q", Rating.Good, later).card
    b = review(store, strict, "q", Rating.Good, later).card
    assert a.due == b.due and a.stability == b.stability


# -- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=0), "<1 min"),
        (timedelta(seconds=59), "<1 min"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=5, seconds=30), "6 min"),
        (timedelta(minutes=10), "10 min"),
        (timedelta(minutes=90), "1.5 h"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=3), "3 d"),
        (timedelta(days=1, hours=12), "1.5 d"),
        (timedelta(days=63), "2.1 mo"),
        (timedelta(days=300), "10 mo"),
        (timedelta(days=365), "1 y"),
        (timedelta(days=500), "1.4 y"),
        (timedelta(days=-2), "-2 d"),
    ],
)
def test_format_interval(delta, text):
    assert format_interval(delta) == text


def test_format_interval_in_chinese():
    assert format_interval(timedelta(minutes=10), "zh") == "10 分钟"
    assert format_interval(timedelta(days=3), "zh") == "3 天"
    assert format_interval(timedelta(days=63), "zh") == "2.1 个月"


# -- days --------------------------------------------------------------------------------------


def test_day_bounds():
    assert day_bounds(T0) == (
        datetime(2026, 11, 22, tzinfo=UTC),
        datetime(2026, 11, 23, tzinfo=UTC),
    )
    beijing = timezone(timedelta(hours=8))
    # 2026-11-22 20:00 UTC is already the 23rd in Beijing, which started at 16:00 UTC.
    assert day_bounds(T0.replace(hour=20), beijing) == (
        datetime(2026, 11, 22, 16, tzinfo=UTC),
        datetime(2026, 11, 23, 16, tzinfo=UTC),
    )


# -- queues ------------------------------------------------------------------------------------


def test_due_queue_most_overdue_first(store, pid):
    # Fresh cards after one Again are due 1 minute later; review them at different times.
    review(store, pid, "late", Rating.Again, T0)
    review(store, pid, "later", Rating.Again, T0 + timedelta(minutes=2))
    review(store, pid, "soon", Rating.Again, T0 + timedelta(minutes=4))
    review(store, pid, "future", Rating.Easy, T0)  # due in 8 days
    bank = ["soon", "future", "later", "late", "never-seen"]
    now = T0 + timedelta(minutes=10)
    assert [r.question_id for r in due_queue(store, pid, bank, now)] == ["late", "later", "soon"]
    assert [r.question_id for r in due_queue(store, pid, bank, now, limit=2)] == ["late", "later"]
    queue = due_queue(store, pid, bank, T0 + timedelta(minutes=3))
    assert [r.question_id for r in queue] == ["late", "later"]
    assert queue[0].due == T0 + timedelta(minutes=1)
    ahead = due_queue(store, pid, bank, T0 + timedelta(minutes=3), learn_ahead=timedelta(minutes=5))
    assert [r.question_id for r in ahead] == ["late", "later", "soon"]


def test_removed_question_is_not_scheduled_but_keeps_history(store, pid):
    review(store, pid, "kept", Rating.Again, T0)
    review(store, pid, "removed", Rating.Again, T0)
    now = T0 + timedelta(hours=1)
    assert [r.question_id for r in due_queue(store, pid, ["kept"], now)] == ["kept"]
    assert new_queue(store, pid, ["kept"], now) == []
    assert [r.question_id for r in due_queue(store, pid, ["kept", "removed"], now)] == [
        "kept",
        "removed",
    ]
    assert len(store.reviews(pid, question_id="removed")) == 1
    assert store.get_card(pid, "removed") is not None
    assert forecast(store, pid, ["kept"], now, days=1) == [{"date": date(2026, 11, 22), "due": 1}]


def test_new_queue_respects_the_daily_limit(store, pid):
    store.update_settings(pid, new_per_day=3)
    bank = [f"q{i}" for i in range(6)]
    assert new_queue(store, pid, bank, T0) == ["q0", "q1", "q2"]
    # Yesterday's first reviews do not count against today.
    review(store, pid, "q5", Rating.Good, T0 - timedelta(days=1))
    assert new_queue(store, pid, bank, T0) == ["q0", "q1", "q2"]
    review(store, pid, "q0", Rating.Good, T0)
    review(store, pid, "q0", Rating.Good, T0 + timedelta(minutes=10))  # not a new one
    review(store, pid, "q5", Rating.Good, T0 + timedelta(minutes=11))  # not a new one
    assert new_remaining_today(store, pid, T0 + timedelta(hours=1)) == 2
    assert new_queue(store, pid, bank, T0 + timedelta(hours=1)) == ["q1", "q2"]
    review(store, pid, "elsewhere", Rating.Good, T0)  # a question not in this bank counts too
    review(store, pid, "q3", Rating.Good, T0)
    assert new_queue(store, pid, bank, T0 + timedelta(hours=1)) == []
    assert new_queue(store, pid, bank, T0 + timedelta(days=1)) == ["q1", "q2", "q4"]
    assert new_queue(store, pid, bank, T0 + timedelta(days=1), limit=1) == ["q1"]
    store.update_settings(pid, new_per_day=0)
    assert new_queue(store, pid, bank, T0 + timedelta(days=1)) == []


def test_new_limit_uses_the_callers_day(store, pid):
    store.update_settings(pid, new_per_day=1)
    beijing = timezone(timedelta(hours=8))
    review(store, pid, "a", Rating.Good, datetime(2026, 11, 22, 15, tzinfo=UTC))  # 23:00 Beijing
    now = datetime(2026, 11, 22, 17, tzinfo=UTC)  # 01:00 on the 23rd in Beijing
    assert new_queue(store, pid, ["a", "b"], now) == []
    assert new_queue(store, pid, ["a", "b"], now, tz=beijing) == ["b"]


def test_study_queue_puts_due_before_new(store, pid):
    review(store, pid, "seen", Rating.Again, T0)
    bank = {"fresh": None, "seen": None}  # a dict of questions works as the bank
    assert study_queue(store, pid, bank, T0 + timedelta(minutes=5)) == ["seen", "fresh"]


# -- forecast ----------------------------------------------------------------------------------


def test_forecast_counts_cards_due_per_day(store, pid):
    review(store, pid, "overdue", Rating.Again, T0 - timedelta(days=3))  # due 3 days ago
    review(store, pid, "today", Rating.Again, T0 + timedelta(hours=5))  # due today 14:01
    review(store, pid, "easy", Rating.Easy, T0)  # due in 8 days
    review(store, pid, "far", Rating.Easy, T0 - timedelta(days=1))  # due in 7 days
    review(store, pid, "gone", Rating.Again, T0)  # not in the bank
    bank = ["overdue", "today", "easy", "far", "new-one"]
    rows = forecast(store, pid, bank, T0, days=10)
    assert [r["date"] for r in rows] == [date(2026, 11, 22) + timedelta(days=i) for i in range(10)]
    assert [r["due"] for r in rows] == [2, 0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert [r["due"] for r in forecast(store, pid, bank, T0, days=8)] == [2, 0, 0, 0, 0, 0, 0, 1]
    assert forecast(store, pid, bank, T0, days=0) == []


# -- choosing what to study --------------------------------------------------------------------

TEXT = {"en": "x", "zh": "x"}
SOURCE = [{"title": "t", "url": "https://arxiv.org/abs/1810.04805", "where": "Section 1"}]


def bank_question(qid: str, topic: str, difficulty: int = 1, tags=()) -> Question:
    return Question.model_validate(
        {
            "id": qid,
            "topic": topic,
            "type": "recall",
            "difficulty": difficulty,
            "tags": list(tags),
            "question": TEXT,
            "answer": TEXT,
            "sources": SOURCE,
        }
    )


def test_new_cards_take_turns_across_topics_instead_of_alphabetical_order(store, pid):
    topics = {"architecture": 19, "attention": 23, "bert": 27, "gpt": 23, "sizes": 18}
    bank = [bank_question(f"{t}-{i:02d}", t) for t, n in topics.items() for i in range(n)]
    order = interleave_by_topic(bank)
    assert sorted(order) == sorted(q.id for q in bank)
    first_day = new_queue(store, pid, order, T0)  # 10 a day
    assert [qid.split("-")[0] for qid in first_day] == list(topics) * 2
    # In bank order the first BERT card would come after every architecture and attention one.
    assert [q.id for q in bank].index("bert-00") == 42
    # Inside a topic: a fixed shuffle, not the file order, and easier questions first.
    assert [qid for qid in order if qid.startswith("bert")] != [f"bert-{i:02d}" for i in range(27)]
    mixed = [bank_question("hard", "bert", 3), bank_question("basic", "bert", 1)]
    assert interleave_by_topic(mixed) == ["basic", "hard"]
    assert interleave_by_topic(bank) == order  # the same every day and in every process


def test_narrowed_to_topics_and_tags_like_a_filtered_deck():
    bank = [
        bank_question("a", "bert", tags=["mlm"]),
        bank_question("b", "bert", tags=["nsp"]),
        bank_question("c", "gpt", tags=["mlm", "decoding"]),
        bank_question("d", "sizes"),
    ]
    ids = lambda qs: [q.id for q in qs]  # noqa: E731
    assert ids(narrowed(bank)) == ["a", "b", "c", "d"]
    assert ids(narrowed(bank, topics=["bert", "gpt"])) == ["a", "b", "c"]
    assert ids(narrowed(bank, tags=["mlm"])) == ["a", "c"]
    assert ids(narrowed(bank, topics=["bert"], tags=["mlm", "decoding"])) == ["a"]
    assert ids(narrowed(bank, topics=["nothing"])) == []


def test_learning_cards_due_within_minutes_are_announced_then_counted(store, pid):
    bank = ["again", "hard", "graduated", "fresh"]
    review(store, pid, "again", Rating.Again, T0)  # due in 1 minute
    review(store, pid, "hard", Rating.Hard, T0)  # due in 6 minutes
    review(store, pid, "graduated", Rating.Easy, T0)  # due in days
    store.update_settings(pid, new_per_day=3)  # three first reviews today: none left
    assert study_queue(store, pid, bank, T0 + timedelta(seconds=30)) == []
    at, count = next_due_within(store, pid, bank, T0 + timedelta(seconds=30))
    assert at == T0 + timedelta(minutes=1) and count == 2
    assert next_due_within(store, pid, ["graduated"], T0) is None
    assert next_due_within(store, pid, bank, T0, within=timedelta(seconds=30)) is None
    assert timedelta(minutes=20) == LEARN_AHEAD
    assert study_counts(store, pid, bank, T0 + timedelta(minutes=7)) == {
        "new": 0,
        "learning": 2,
        "review": 0,
    }
    store.update_settings(pid, new_per_day=5)
    counts = study_counts(store, pid, bank, T0 + timedelta(days=30))
    assert counts == {"new": 1, "learning": 2, "review": 1}
