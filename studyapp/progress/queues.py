"""What to study and when: queues and forecasts read from the progress store, in FSRS order.

Pure functions of the store's contents and `now` (no hidden clock), shared by the pages and the
statistics. The scheduling rules themselves live in `scheduling`; this module only selects cards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo

from studyapp.progress.scheduling import day_bounds, day_start, to_utc
from studyapp.progress.store import CardRecord, ProgressStore

__all__ = ["due_queue", "forecast", "new_queue", "new_remaining_today", "study_queue"]


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
