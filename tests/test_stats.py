"""Statistics on a fixed synthetic review log, with the expected numbers worked out by hand.

The log (UTC), with the state each card is in before the review:

    11-18  a Good 09:00 (new)  a Good 09:10 (learning -> review)
           b Again 10:00 (new) b Good 10:05 (learning) b Good 10:20 (learning -> review)
    11-19  nothing
    11-20  a Good 09:00 (review)  b Again 09:05 (review -> relearning)  b Good 09:20 (relearning)
           c Easy 11:00 (new -> review)
    11-21  c Hard 12:00 (review)  d Again 12:30 (new)
    11-22  a Easy 08:00 (review)  d Hard 08:05 (learning)

Today is 2026-11-22, 12:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyapp.progress.scheduling import Rating, State
from studyapp.progress.stats import (
    accuracy_per_day,
    mastery_by_topic,
    retention_estimate,
    reviews_per_day,
    state_counts,
    streak,
    today_summary,
)
from studyapp.progress.store import ProgressStore

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


LOG = [
    ("a", Rating.Good, at(18, 9)),
    ("a", Rating.Good, at(18, 9, 10)),
    ("b", Rating.Again, at(18, 10)),
    ("b", Rating.Good, at(18, 10, 5)),
    ("b", Rating.Good, at(18, 10, 20)),
    ("a", Rating.Good, at(20, 9)),
    ("b", Rating.Again, at(20, 9, 5)),
    ("b", Rating.Good, at(20, 9, 20)),
    ("c", Rating.Easy, at(20, 11)),
    ("c", Rating.Hard, at(21, 12)),
    ("d", Rating.Again, at(21, 12, 30)),
    ("a", Rating.Easy, at(22, 8)),
    ("d", Rating.Hard, at(22, 8, 5)),
]


@pytest.fixture
def store():
    with ProgressStore(":memory:") as s:
        profile = s.default_profile().id
        for qid, rating, when in LOG:
            s.record_review(profile, qid, kind="recall", rating=rating, reviewed_at=when)
        yield s


@pytest.fixture
def pid(store) -> int:
    return store.default_profile().id


def row(day, total, again=0, hard=0, good=0, easy=0):
    return {
        "date": day,
        "total": total,
        "again": again,
        "hard": hard,
        "good": good,
        "easy": easy,
    }


def test_the_log_is_what_the_docstring_says(store, pid):
    states = [e.state_before for e in store.reviews(pid)]
    L, R, RL = State.Learning, State.Review, State.Relearning
    assert states == [None, L, None, L, L, R, R, RL, None, R, None, R, L]


def test_reviews_per_day(store, pid):
    assert reviews_per_day(store, pid) == [
        row(date(2026, 11, 18), 5, again=1, good=4),
        row(date(2026, 11, 19), 0),
        row(date(2026, 11, 20), 4, again=1, good=2, easy=1),
        row(date(2026, 11, 21), 2, again=1, hard=1),
        row(date(2026, 11, 22), 2, hard=1, easy=1),
    ]
    window = reviews_per_day(store, pid, since=date(2026, 11, 21), until=date(2026, 11, 24))
    assert [r["total"] for r in window] == [2, 2, 0, 0]


def test_reviews_per_day_in_another_timezone(store, pid):
    hawaii = timezone(timedelta(hours=-10))
    rows = reviews_per_day(store, pid, tz=hawaii)
    # 09:00 and 09:10 UTC on the 18th are 23:00 and 23:10 on the 17th in UTC-10.
    assert rows[0] == row(date(2026, 11, 17), 2, good=2)
    assert rows[1] == row(date(2026, 11, 18), 3, again=1, good=2)
    assert sum(r["total"] for r in rows) == len(LOG)


def test_accuracy_per_day(store, pid):
    assert accuracy_per_day(store, pid) == [
        {"date": date(2026, 11, 18), "reviews": 5, "recalled": 4, "accuracy": 0.8},
        {"date": date(2026, 11, 20), "reviews": 4, "recalled": 3, "accuracy": 0.75},
        {"date": date(2026, 11, 21), "reviews": 2, "recalled": 1, "accuracy": 0.5},
        {"date": date(2026, 11, 22), "reviews": 2, "recalled": 2, "accuracy": 1.0},
    ]


def test_retention_estimate(store, pid):
    # Review-state reviews: a Good (11-20), b Again (11-20), c Hard (11-21), a Easy (11-22).
    assert retention_estimate(store, pid) == {"reviews": 4, "recalled": 3, "retention": 0.75}
    assert retention_estimate(store, pid, since=at(21, 0)) == {
        "reviews": 2,
        "recalled": 2,
        "retention": 1.0,
    }


def test_streak(store, pid):
    assert streak(store, pid, NOW) == 3  # 20, 21, 22
    assert streak(store, pid, NOW + timedelta(days=1)) == 3  # nothing yet today: still alive
    assert streak(store, pid, NOW + timedelta(days=2)) == 0
    assert streak(store, pid, at(19, 12)) == 1  # the 18th only; later reviews do not count
    assert streak(store, pid, at(18, 8)) == 0


def test_today_summary(store, pid):
    bank = ["a", "b", "c", "d", "f"]
    # Due now: b (relearned with a tiny stability, due 11-21 09:20) and d (learning, 08:10:30).
    assert today_summary(store, pid, bank, NOW) == {
        "due_now": 2,
        "new_available": 1,
        "new_unseen": 1,
        "reviewed_today": 2,
        "questions_today": 2,
        "streak": 3,
    }
    store.update_settings(pid, new_per_day=0)
    assert today_summary(store, pid, bank, NOW)["new_available"] == 0


def test_state_counts(store, pid):
    assert state_counts(store, pid, ["a", "b", "c", "d", "f", "g"]) == {
        "new": 2,
        "learning": 1,
        "review": 3,
        "relearning": 0,
    }


def test_empty_profile(store):
    empty = store.create_profile("empty").id
    assert reviews_per_day(store, empty) == []
    assert accuracy_per_day(store, empty) == []
    assert retention_estimate(store, empty) == {"reviews": 0, "recalled": 0, "retention": None}
    assert streak(store, empty, NOW) == 0
    assert today_summary(store, empty, ["a"], NOW)["new_available"] == 1


def test_mastery_by_topic():
    with ProgressStore(":memory:") as s:
        p = s.default_profile().id
        plan = [
            ("a", Rating.Good, at(1, 9, month=10)),
            ("a", Rating.Good, at(1, 9, 10, month=10)),  # review, stability 2.3 d
            ("e", Rating.Easy, at(1, 9, month=10)),  # review, stability 8.3 d ...
            ("e", Rating.Easy, at(9, 9, month=10)),  # ... then well over 21 d
            ("c", Rating.Easy, at(1, 9, month=10)),  # review, stability 8.3 d
            ("d", Rating.Again, at(1, 9, month=10)),  # learning
            ("gone", Rating.Easy, at(1, 9, month=10)),
            ("gone", Rating.Easy, at(9, 9, month=10)),  # mastered but no longer in the bank
        ]
        for qid, rating, when in plan:
            s.record_review(p, qid, kind="recall", rating=rating, reviewed_at=when)
        assert s.get_card(p, "e").stability >= 21 > s.get_card(p, "c").stability >= 8
        topic = {
            "a": "attention",
            "b": "attention",
            "e": "attention",
            "c": "mlm",
            "d": "mlm",
            "f": "mlm",
        }
        bank = {qid: SimpleNamespace(id=qid, topic=t) for qid, t in topic.items()}
        assert mastery_by_topic(s, p, bank) == [
            {"topic": "attention", "total": 3, "seen": 2, "mastered": 1, "mastery": 1 / 3},
            {"topic": "mlm", "total": 3, "seen": 2, "mastered": 0, "mastery": 0.0},
        ]
        looser = mastery_by_topic(s, p, bank, min_stability=8)
        assert [r["mastered"] for r in looser] == [1, 1]


def streak_from_the_whole_history(store, profile, now, tz) -> int:
    """The streak as it was computed before: load every review and walk the days back."""
    days = {
        e.reviewed_at.astimezone(tz).date() for e in store.reviews(profile) if e.reviewed_at <= now
    }
    day = now.astimezone(tz).date()
    if day not in days:
        day -= timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=60 * 60), min_size=0, max_size=120),
    hours_after=st.integers(min_value=0, max_value=60),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati"]),
)
def test_streak_in_sql_matches_walking_the_whole_history(gaps, hours_after, zone):
    tz = ZoneInfo(zone)
    with ProgressStore(":memory:") as s:
        pid = s.default_profile().id
        moment = datetime(2025, 10, 20, 3, tzinfo=UTC)  # spans the end of summer time in LA
        for i, gap in enumerate(gaps):
            moment += timedelta(minutes=gap * 7)  # days with several reviews, and gaps of days
            s.record_review(pid, f"q-{i % 5}", kind="recall", rating=3, reviewed_at=moment)
        now = moment + timedelta(hours=hours_after)
        for probe in (now, moment, moment - timedelta(microseconds=1)):
            assert streak(s, pid, probe, tz=tz) == streak_from_the_whole_history(s, pid, probe, tz)


def test_a_long_streak_is_counted_across_batches(store, monkeypatch):
    long = store.create_profile("long").id
    start = datetime(2024, 1, 1, 20, tzinfo=UTC)
    for day in range(700):
        store.record_review(
            long, f"q-{day % 9}", kind="recall", rating=3, reviewed_at=start + timedelta(days=day)
        )
    end = start + timedelta(days=699)

    def no_loading(*args, **kwargs):
        raise AssertionError("the streak loaded the review history")

    monkeypatch.setattr(store, "reviews", no_loading)
    assert streak(store, long, end) == 700
    assert streak(store, long, end + timedelta(hours=5)) == 700  # tomorrow, nothing yet
    assert streak(store, long, end - timedelta(hours=1)) == 699  # today's review not made yet
    assert streak(store, long, end, tz=ZoneInfo("Asia/Tokyo")) == 700


@pytest.mark.parametrize("tz", [UTC, timezone(timedelta(hours=-10)), ZoneInfo("Asia/Shanghai")])
def test_a_period_reads_only_its_own_reviews(store, pid, tz, monkeypatch):
    whole = {r["date"]: r for r in reviews_per_day(store, pid, tz=tz)}
    since, until = date(2026, 11, 18), date(2026, 11, 20)
    asked = []
    real = store.reviews

    def bounded(*args, **kwargs):
        asked.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "reviews", bounded)
    window = reviews_per_day(store, pid, since=since, until=until, tz=tz)
    assert window == [whole.get(d["date"], row(d["date"], 0)) for d in window]
    assert [d["date"] for d in window] == [since + timedelta(days=i) for i in range(3)]
    assert asked[0]["since"] is not None and asked[0]["until"] is not None
