"""Statistics over a profile's review log and cards, as plain rows a chart can take directly.

Per-day series are lists of dicts with a `"date"` key (`datetime.date`), e.g.
`st.bar_chart(pd.DataFrame(rows), x="date", y=["again", "hard", "good", "easy"])`. Days are
calendar days in `tz`, UTC unless the caller passes another zone. Nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from studyapp.progress.queues import due_queue, new_remaining_today
from studyapp.progress.scheduling import (
    Rating,
    State,
    day_bounds,
    day_start,
    to_utc,
)
from studyapp.progress.store import ProgressStore, ReviewEvent

__all__ = [
    "MASTERY_STABILITY_DAYS",
    "accuracy_per_day",
    "mastery_by_topic",
    "retention_estimate",
    "reviews_per_day",
    "state_counts",
    "streak",
    "today_summary",
]

STREAK_BATCH_DAYS = 8  # most streaks are short; longer ones are asked about in growing batches
MAX_STREAK_BATCH_DAYS = 512
TICK = timedelta(microseconds=1)

# A card counts as mastered once it is in Review state with a stability of three weeks or more.
MASTERY_STABILITY_DAYS = 21.0

_RATING_KEYS = {
    Rating.Again: "again",
    Rating.Hard: "hard",
    Rating.Good: "good",
    Rating.Easy: "easy",
}


def _day(event: ReviewEvent, tz: tzinfo) -> date:
    return event.reviewed_at.astimezone(tz).date()


def _date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def reviews_per_day(
    store: ProgressStore,
    profile: int,
    *,
    since: date | None = None,
    until: date | None = None,
    tz: tzinfo = UTC,
) -> list[dict[str, Any]]:
    """Reviews per day with the split by rating, every day from `since` to `until` inclusive
    (default: first to last day with a review), zeros included.

    Rows: `{"date", "total", "again", "hard", "good", "easy"}`. Empty list when there is nothing
    to show.
    """
    by_day: dict[date, Counter] = {}
    # Only the period's reviews are loaded: a long history would otherwise be read on every rerun.
    start = None if since is None else day_start(since, tz)
    end = None if until is None else day_start(until + timedelta(days=1), tz)
    for event in store.reviews(profile, since=start, until=end):
        by_day.setdefault(_day(event, tz), Counter())[_RATING_KEYS[event.rating]] += 1
    if not by_day and (since is None or until is None):
        return []
    first = since if since is not None else min(by_day)
    last = until if until is not None else max(by_day)
    rows = []
    for day in _date_range(first, last):
        counts = by_day.get(day, Counter())
        row: dict[str, Any] = {"date": day, "total": sum(counts.values())}
        row.update({key: counts[key] for key in _RATING_KEYS.values()})
        rows.append(row)
    return rows


def accuracy_per_day(
    store: ProgressStore,
    profile: int,
    *,
    since: date | None = None,
    until: date | None = None,
    tz: tzinfo = UTC,
) -> list[dict[str, Any]]:
    """Share of reviews not rated Again, for each day that has reviews (in `since..until`).

    Rows: `{"date", "reviews", "recalled", "accuracy"}` with accuracy in [0, 1].
    """
    rows = []
    for row in reviews_per_day(store, profile, since=since, until=until, tz=tz):
        if row["total"]:
            recalled = row["total"] - row["again"]
            rows.append(
                {
                    "date": row["date"],
                    "reviews": row["total"],
                    "recalled": recalled,
                    "accuracy": recalled / row["total"],
                }
            )
    return rows


def retention_estimate(
    store: ProgressStore, profile: int, *, since: datetime | None = None
) -> dict[str, Any]:
    """True retention: of the reviews of cards in Review state (not learning, not relearning),
    the share that was not Again. Compare with the profile's desired retention.

    `{"reviews": n, "recalled": k, "retention": k / n, or None when n == 0}`.
    """
    graded = [e for e in store.reviews(profile, since=since) if e.state_before == State.Review]
    recalled = sum(e.recalled for e in graded)
    return {
        "reviews": len(graded),
        "recalled": recalled,
        "retention": recalled / len(graded) if graded else None,
    }


def mastery_by_topic(
    store: ProgressStore,
    profile: int,
    questions: Mapping[str, Any],
    *,
    min_stability: float = MASTERY_STABILITY_DAYS,
) -> list[dict[str, Any]]:
    """Per topic of the current bank: how many questions there are, were seen, are mastered.

    `questions` is the bank (`dict[str, Question]`; only `.topic` is used). Mastered: card in
    Review state with stability >= `min_stability` days. Rows, sorted by topic:
    `{"topic", "total", "seen", "mastered", "mastery"}` with mastery = mastered / total.
    """
    cards = store.cards(profile)
    topics: dict[str, dict[str, Any]] = {}
    for qid, question in questions.items():
        row = topics.setdefault(
            question.topic, {"topic": question.topic, "total": 0, "seen": 0, "mastered": 0}
        )
        row["total"] += 1
        rec = cards.get(qid)
        if rec is None:
            continue
        row["seen"] += 1
        card = rec.card
        if card.state == State.Review and (card.stability or 0.0) >= min_stability:
            row["mastered"] += 1
    rows = [topics[topic] for topic in sorted(topics)]
    for row in rows:
        row["mastery"] = row["mastered"] / row["total"]
    return rows


def streak(store: ProgressStore, profile: int, now: datetime, *, tz: tzinfo = UTC) -> int:
    """Consecutive days with at least one review up to `now`, ending today, or yesterday if today
    has none yet (the streak is still alive until today ends). 0 otherwise.

    Asks the database about a batch of days at a time, never loading the history: a learner
    with 297,000 reviews waited 2 s on every rerun of Today when it did."""
    at = to_utc(now)

    def span(day: date) -> tuple[datetime, datetime]:  # today only counts up to `now`
        return day_start(day, tz), min(day_start(day + timedelta(days=1), tz), at + TICK)

    last = at.astimezone(tz).date()
    if not store.reviewed_in(profile, [span(last)])[0]:
        last -= timedelta(days=1)  # nothing yet today: the streak may still end yesterday
    count = 0
    batch = STREAK_BATCH_DAYS
    while True:
        found = store.reviewed_in(
            profile, [span(last - timedelta(days=count + i)) for i in range(batch)]
        )
        run = found.index(False) if False in found else batch
        count += run
        if run < batch:
            return count
        batch = min(batch * 4, MAX_STREAK_BATCH_DAYS)


def state_counts(store: ProgressStore, profile: int, bank_ids: Iterable[str]) -> dict[str, int]:
    """How many of the bank's questions are new, learning, in review and relearning."""
    cards = store.cards(profile)
    counts = {"new": 0, "learning": 0, "review": 0, "relearning": 0}
    for qid in dict.fromkeys(bank_ids):
        rec = cards.get(qid)
        counts["new" if rec is None else rec.state.name.lower()] += 1
    return counts


def today_summary(
    store: ProgressStore,
    profile: int,
    bank_ids: Iterable[str],
    now: datetime,
    *,
    tz: tzinfo = UTC,
) -> dict[str, int]:
    """Counts for a "Today" page.

    `due_now`: seen questions of the bank due by now; `new_available`: never-seen questions that
    today's new limit still allows; `new_unseen`: never-seen questions in the bank;
    `reviewed_today`: reviews made today (any question); `questions_today`: distinct questions
    reviewed today; `streak`: see `streak`.
    """
    ids = list(dict.fromkeys(bank_ids))
    seen = store.seen_ids(profile)
    unseen = sum(qid not in seen for qid in ids)
    start, end = day_bounds(now, tz)
    today = store.reviews(profile, since=start, until=end)
    return {
        "due_now": len(due_queue(store, profile, ids, now)),
        "new_available": min(unseen, new_remaining_today(store, profile, now, tz=tz)),
        "new_unseen": unseen,
        "reviewed_today": len(today),
        "questions_today": len({e.question_id for e in today}),
        "streak": streak(store, profile, now, tz=tz),
    }
