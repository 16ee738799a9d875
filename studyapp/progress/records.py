"""The progress store's records and the checks every value passes before it is written.

Timestamps are stored as fixed-width ISO 8601 text in UTC, so text order is time order.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from studyapp.bank.schema import KEBAB_CASE
from studyapp.bank.yamlfile import unsafe_character
from studyapp.progress.scheduling import MAX_RETENTION, MIN_RETENTION, Card, Rating, State, to_utc

DEFAULT_PROFILE_NAME = "default"
DEFAULT_NEW_PER_DAY = 10
LANGUAGES = ("en", "zh")
MAX_NEW_PER_DAY = 1000
MAX_NAME_LENGTH = 64
# A question id is its file's name without ".yaml", and file names stop at 255 bytes.
MAX_QUESTION_ID_LENGTH = 250
MAX_DURATION_MS = 24 * 3600 * 1000


class ProgressError(Exception):
    """The progress database or an import file cannot be used as asked."""


class UnknownProfileError(ProgressError, LookupError):
    """No profile with that id."""


def iso_utc(moment: datetime) -> str:
    return to_utc(moment).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    language: str
    desired_retention: float
    new_per_day: int
    created_at: datetime


@dataclass(frozen=True)
class CardRecord:
    """A question's FSRS card in one profile, with how often it was reviewed and forgotten."""

    question_id: str
    card: Card
    reps: int
    lapses: int  # Again on a card in Review state

    @property
    def due(self) -> datetime:
        return self.card.due

    @property
    def state(self) -> State:
        return self.card.state


@dataclass(frozen=True)
class ReviewEvent:
    id: int
    profile_id: int
    question_id: str
    kind: str
    rating: Rating
    correct: bool | None
    duration_ms: int | None
    reviewed_at: datetime
    desired_retention: float
    state_before: State | None  # None: the question's first review

    @property
    def recalled(self) -> bool:
        return self.rating != Rating.Again


@dataclass(frozen=True)
class RecordedReview:
    """What `record_review` committed: the event's id and the card after it."""

    review_id: int
    question_id: str
    rating: Rating
    reviewed_at: datetime
    card: Card
    duplicate: bool = False  # same question, time and rating were already recorded


@dataclass(frozen=True)
class ImportResult:
    added: int
    duplicates: int
    questions_rebuilt: int


CARD_COLUMNS = (
    "question_id, card_id, state, step, stability, difficulty, due, last_review, reps, lapses"
)
REVIEW_COLUMNS = (
    "id, profile_id, question_id, kind, rating, correct, duration_ms, reviewed_at, "
    "desired_retention, state_before"
)


def card_from_row(row: sqlite3.Row) -> CardRecord:
    card = Card(
        card_id=row["card_id"],
        state=State(row["state"]),
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=from_iso(row["due"]),
        last_review=from_iso(row["last_review"]),
    )
    return CardRecord(row["question_id"], card, row["reps"], row["lapses"])


def review_from_row(row: sqlite3.Row) -> ReviewEvent:
    return ReviewEvent(
        id=row["id"],
        profile_id=row["profile_id"],
        question_id=row["question_id"],
        kind=row["kind"],
        rating=Rating(row["rating"]),
        correct=None if row["correct"] is None else bool(row["correct"]),
        duration_ms=row["duration_ms"],
        reviewed_at=from_iso(row["reviewed_at"]),
        desired_retention=row["desired_retention"],
        state_before=None if row["state_before"] is None else State(row["state_before"]),
    )


def profile_from_row(row: sqlite3.Row) -> Profile:
    return Profile(
        id=row["id"],
        name=row["name"],
        language=row["language"],
        desired_retention=row["desired_retention"],
        new_per_day=row["new_per_day"],
        created_at=from_iso(row["created_at"]),
    )


# -- validation ---------------------------------------------------------------------------------


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("profile name must be a non-empty string")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"profile name must be at most {MAX_NAME_LENGTH} characters")
    if bad := unsafe_character(name):
        raise ValueError(f"profile name must not contain {bad}")
    return name


def check_language(language: Any) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


def check_retention(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"desired retention must be a number, got {value!r}")
    # The range is checked before float(), which overflows on a huge int; NaN fails it too.
    if not MIN_RETENTION - 0.0001 <= value <= MAX_RETENTION + 0.0001 or not (
        MIN_RETENTION <= round(float(value), 4) <= MAX_RETENTION
    ):
        raise ValueError(
            f"desired retention must be between {MIN_RETENTION} and {MAX_RETENTION}, got {value!r}"
        )
    return round(float(value), 4)  # a slider's 0.9500000001 is 0.95


def check_new_per_day(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NEW_PER_DAY:
        raise ValueError(f"new questions per day must be an integer 0..{MAX_NEW_PER_DAY}")
    return value


def check_question_id(question_id: Any) -> str:
    if not isinstance(question_id, str) or not question_id:
        raise ValueError(f"question id must be a non-empty string, got {question_id!r}")
    if len(question_id) > MAX_QUESTION_ID_LENGTH:
        raise ValueError(f"question id is longer than {MAX_QUESTION_ID_LENGTH} characters")
    if not re.fullmatch(KEBAB_CASE, question_id):
        raise ValueError(f"question id {question_id!r} is not kebab-case like the bank's ids")
    return question_id


def check_duration(duration_ms: Any) -> int | None:
    if duration_ms is None:
        return None
    if (
        isinstance(duration_ms, bool)
        or not isinstance(duration_ms, int)
        or not 0 <= duration_ms <= MAX_DURATION_MS
    ):
        raise ValueError(
            f"duration_ms must be an integer 0..{MAX_DURATION_MS}, got {duration_ms!r}"
        )
    return duration_ms
