"""Spaced repetition on top of FSRS (the `fsrs` package): cards, ratings, previews, days.

Everything here is a pure function of its arguments (no hidden clock: pass `now`), so the UI, the
progress store and the tests all get the same answers.

Decisions worth knowing:

- **Card ids.** fsrs wants an integer id per card, and `fsrs.Card()` would take it from the clock
  and sleep 1 ms. `card_id_for` derives it from the question id instead: the first 8 bytes of
  BLAKE2b-64 of the UTF-8 id, big-endian, shifted right one bit, so `0 <= id < 2**63` (fits SQLite's
  signed INTEGER) and is identical in every process and on every machine (unlike `hash()`, which
  is salted per process). It is only a label: the progress store keys cards by question id.
- **No fuzz.** The scheduler is built with `enable_fuzzing=False`. Fuzz would make a card's state
  depend on a random draw, so replaying the review log (import, merging two devices) would not
  reproduce it, and `preview_intervals` could not promise the interval a button will give. The bank
  is small enough that load spreading is not worth that.
- **Answers to ratings.** A recall question is self-rated with the four buttons. A choice or
  numeric answer maps wrong -> Again, right -> Good; the UI may pass an explicit rating instead.
  A code exercise always comes with its rating (the page proposes one from the submits and hints).
- **Days.** "Today" is the calendar day of `now` in `tz`, UTC unless the caller passes another zone.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Literal

from fsrs import Card, Rating, Scheduler, State

__all__ = [
    "ANSWER_KINDS",
    "DEFAULT_RETENTION",
    "MAX_RETENTION",
    "MIN_RETENTION",
    "RATED_KINDS",
    "AnswerKind",
    "Card",
    "Rating",
    "State",
    "apply_rating",
    "card_id_for",
    "day_bounds",
    "day_start",
    "format_interval",
    "new_card",
    "preview_intervals",
    "rating_for",
    "scheduler_for",
    "to_utc",
]

AnswerKind = Literal["recall", "choice", "numeric", "code"]
ANSWER_KINDS: tuple[str, ...] = ("recall", "choice", "numeric", "code")
# Kinds with no automatic grade the store may apply: the learner (or the page, for a code
# exercise, whose rating depends on hints and earlier submits) gives the rating.
RATED_KINDS: tuple[str, ...] = ("recall", "code")
DEFAULT_RETENTION = 0.9
MIN_RETENTION = 0.7
MAX_RETENTION = 0.99


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC (tzinfo `timezone.utc`, which fsrs insists on); naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {moment!r}")
    return moment.astimezone(UTC)


def card_id_for(question_id: str) -> int:
    """Stable 63-bit fsrs card id of a question: BLAKE2b-64 of the UTF-8 id, shifted right once."""
    digest = hashlib.blake2b(question_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


@lru_cache(maxsize=32)
def scheduler_for(desired_retention: float = DEFAULT_RETENTION) -> Scheduler:
    """The FSRS scheduler for a desired retention: default parameters and steps, fuzz off."""
    if not 0.0 < desired_retention < 1.0:
        raise ValueError(f"desired retention must be between 0 and 1, got {desired_retention}")
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def new_card(question_id: str, now: datetime) -> Card:
    """A never-reviewed card for `question_id`, due at `now`."""
    return Card(card_id=card_id_for(question_id), due=to_utc(now))


def rating_for(
    kind: str, *, correct: bool | None = None, rating: Rating | int | None = None
) -> Rating:
    """The FSRS rating of an answer: an explicit `rating` wins; else wrong -> Again, right -> Good.

    Recall questions have no right/wrong check, and a code exercise's rating also depends on the
    hints and submits before it, so both need the explicit rating.
    """
    if kind not in ANSWER_KINDS:
        raise ValueError(f"answer kind must be one of {ANSWER_KINDS}, got {kind!r}")
    if rating is not None:
        if isinstance(rating, bool) or int(rating) not in (1, 2, 3, 4):
            raise ValueError(f"rating must be 1..4 (Again..Easy), got {rating!r}")
        return Rating(int(rating))
    if kind in RATED_KINDS:
        rater = "self-rating" if kind == "recall" else "rating from the page"
        raise ValueError(f"a {kind} answer needs an explicit {rater}")
    if correct is None:
        raise ValueError(f"a {kind} answer needs `correct` or an explicit rating")
    return Rating.Good if correct else Rating.Again


def apply_rating(
    card: Card | None,
    question_id: str,
    rating: Rating | int,
    reviewed_at: datetime,
    *,
    desired_retention: float = DEFAULT_RETENTION,
    duration_ms: int | None = None,
) -> Card:
    """The card after rating it at `reviewed_at` (`card=None`: first review of the question)."""
    at = to_utc(reviewed_at)
    before = card if card is not None else new_card(question_id, at)
    after, _log = scheduler_for(desired_retention).review_card(
        before, Rating(int(rating)), review_datetime=at, review_duration=duration_ms
    )
    return after


def preview_intervals(
    card: Card | None,
    now: datetime,
    *,
    desired_retention: float = DEFAULT_RETENTION,
    question_id: str = "",
) -> dict[Rating, timedelta]:
    """For each of the four buttons, how long until the card would be due again if pressed `now`.

    Exact (fuzz is off): pressing the button gives this interval. `card=None` previews a question
    never seen before.
    """
    at = to_utc(now)
    base = card if card is not None else new_card(question_id, at)
    scheduler = scheduler_for(desired_retention)
    return {
        rating: scheduler.review_card(base, rating, review_datetime=at)[0].due - at
        for rating in Rating
    }


_UNITS = {
    "en": {"lt_min": "<1 min", "min": "min", "h": "h", "d": "d", "mo": "mo", "y": "y"},
    "zh": {"lt_min": "<1 分钟", "min": "分钟", "h": "小时", "d": "天", "mo": "个月", "y": "年"},
}


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def format_interval(delta: timedelta, lang: str = "en") -> str:
    """A short human interval: "<1 min", "10 min", "5.5 h", "3 d", "2.1 mo", "1.3 y" (or in zh).

    Minutes are whole, other units have at most one decimal; a month is 30 days, a year 365.
    Negative intervals (overdue) get a leading "-".
    """
    units = _UNITS.get(lang, _UNITS["en"])
    seconds = delta.total_seconds()
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return sign + units["lt_min"]
    minutes = int(seconds / 60 + 0.5)
    if minutes < 60:
        return f"{sign}{minutes} {units['min']}"
    hours = round(seconds / 3600, 1)
    if hours < 24:
        return f"{sign}{_one_decimal(hours)} {units['h']}"
    days = round(seconds / 86400, 1)
    if days < 30:
        return f"{sign}{_one_decimal(days)} {units['d']}"
    months = round(seconds / 86400 / 30, 1)
    if months < 12:
        return f"{sign}{_one_decimal(months)} {units['mo']}"
    return f"{sign}{_one_decimal(seconds / 86400 / 365)} {units['y']}"


def day_bounds(now: datetime, tz: tzinfo = UTC) -> tuple[datetime, datetime]:
    """Start and end (exclusive), in UTC, of the calendar day in `tz` that contains `now`."""
    local_day = to_utc(now).astimezone(tz).date()
    return day_start(local_day, tz), day_start(local_day + timedelta(days=1), tz)


def day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
