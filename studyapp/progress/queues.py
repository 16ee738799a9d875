"""What to study and when: queues and forecasts read from the progress store, in FSRS order.

Pure functions of the store's contents and `now` (no hidden clock), shared by the pages and the
statistics. The scheduling rules themselves live in `scheduling`; this module only selects cards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import zip_longest

from studyapp.bank.schema import Question
from studyapp.progress.scheduling import State, day_bounds, day_start, to_utc
from studyapp.progress.store import CardRecord, ProgressStore

__all__ = [
    "LEARN_AHEAD",
    "REVIEW_FILTER",
    "due_queue",
    "forecast",
    "interleave_by_topic",
    "narrowed",
    "new_queue",
    "new_remaining_today",
    "next_due_within",
    "study_counts",
    "study_queue",
]

# Anki's learn-ahead limit: when nothing else is left, cards due within it may be studied now.
LEARN_AHEAD = timedelta(minutes=20)
# The progress store's key for the topics and tags Review is narrowed to, per profile.
REVIEW_FILTER = "review_filter"


def narrowed(
    questions: Iterable[Question], topics: Iterable[str] = (), tags: Iterable[str] = ()
) -> list[Question]:
    """The questions of any of `topics` (all when none) carrying any of `tags` (all when none),
    like an Anki filtered deck."""
    topics, tags = set(topics), set(tags)
    return [
        q
        for q in questions
        if (not topics or q.topic in topics) and (not tags or tags.intersection(q.tags))
    ]


def _stable_shuffle_key(question_id: str) -> bytes:
    return hashlib.blake2b(question_id.encode("utf-8"), digest_size=8).digest()


def interleave_by_topic(questions: Iterable[Question]) -> list[str]:
    """Question ids with the topics taking turns (BERT's first card comes on day one, not after
    every architecture card); inside a topic, easier questions first, then a fixed shuffle."""
    by_topic: dict[str, list[Question]] = {}
    for q in questions:
        by_topic.setdefault(q.topic, []).append(q)
    columns = [
        sorted(qs, key=lambda q: (q.difficulty, _stable_shuffle_key(q.id)))
        for _topic, qs in sorted(by_topic.items())
    ]
    return [q.id for row in zip_longest(*columns) for q in row if q is not None]


def _in_bank(bank_ids: Iterable[str]) -> list[str]:
    # Keep the caller's order, drop repeats; a dict[str, Question] iterates its ids.
    return list(dict.fromkeys(bank_ids))


def due_queue(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    *,
    learn_ahead: timedelta = timedelta(0),
    limit: int | None = None,
) -> list[CardRecord]:
    """Seen questions of the current bank due by `now + learn_ahead`, most overdue first.

    Questions no longer in the bank keep their history but are never returned.
    """
    ids = set(_in_bank(bank_ids))
    until = to_utc(now) + learn_ahead
    due = [rec for rec in store.cards_due(profile, until) if rec.question_id in ids]
    due.sort(key=lambda rec: (rec.card.due, rec.question_id))
    return due if limit is None else due[:limit]


def new_remaining_today(
    store: ProgressStore, profile: int, now: datetime, *, tz: tzinfo = UTC
) -> int:
    """How many more never-seen questions may start today: the profile's limit minus the questions
    whose first review fell on today (any question, in the bank or not)."""
    start, end = day_bounds(now, tz)
    started = store.first_reviews_between(profile, start, end)
    return max(0, store.profile(profile).new_per_day - started)


def new_queue(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    *,
    tz: tzinfo = UTC,
    limit: int | None = None,
) -> list[str]:
    """Never-seen questions of the bank, in the order given, cut to what today's new limit allows."""
    seen = store.seen_ids(profile)
    unseen = [qid for qid in _in_bank(bank_ids) if qid not in seen]
    allowed = new_remaining_today(store, profile, now, tz=tz)
    if limit is not None:
        allowed = min(allowed, limit)
    return unseen[:allowed]


def study_queue(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    *,
    tz: tzinfo = UTC,
    learn_ahead: timedelta = timedelta(0),
) -> list[str]:
    """What to study now: due questions (most overdue first), then today's new ones."""
    ids = _in_bank(bank_ids)
    due = [rec.question_id for rec in due_queue(store, profile, ids, now, learn_ahead=learn_ahead)]
    return due + new_queue(store, profile, ids, now, tz=tz)


def forecast(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    days: int = 30,
    *,
    tz: tzinfo = UTC,
) -> list[dict]:
    """Cards of the bank due on each of the next `days` days, today first; overdue count as today.

    Rows are `{"date": datetime.date, "due": int}`, one per day, zeros included. New (never-seen)
    questions are not counted: they are not due, they are available (see `new_queue`).
    """
    if days < 1:
        return []
    ids = set(_in_bank(bank_ids))
    at = to_utc(now)
    today = at.astimezone(tz).date()
    counts = [0] * days
    horizon = day_start(today + timedelta(days=days), tz)
    for rec in store.cards_due(profile, horizon):
        if rec.question_id not in ids:
            continue
        offset = (max(rec.card.due, at).astimezone(tz).date() - today).days
        if 0 <= offset < days:
            counts[offset] += 1
    return [{"date": today + timedelta(days=i), "due": count} for i, count in enumerate(counts)]


def next_due_within(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    within: timedelta = LEARN_AHEAD,
) -> tuple[datetime, int] | None:
    """When the next card of the bank comes due within `within` (rated Again or Hard minutes ago),
    and how many come due in that window; None when none does."""
    ahead = due_queue(store, profile, bank_ids, now, learn_ahead=within)
    return (ahead[0].card.due, len(ahead)) if ahead else None


def study_counts(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    *,
    tz: tzinfo = UTC,
) -> dict[str, int]:
    """Anki's three counters for what is left now: new, learning (due learning or relearning
    cards) and review (due cards in Review state)."""
    ids = _in_bank(bank_ids)
    due = due_queue(store, profile, ids, now)
    learning = sum(rec.state in (State.Learning, State.Relearning) for rec in due)
    return {
        "new": len(new_queue(store, profile, ids, now, tz=tz)),
        "learning": learning,
        "review": len(due) - learning,
    }
