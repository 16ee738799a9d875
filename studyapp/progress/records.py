"""The progress store's records and the checks every value passes before it is written.

Timestamps are stored as fixed-width ISO 8601 text in UTC, so text order is time order.
"""

from __future__ import annotations

import json
import math
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
# A code exercise's attempt: what the learner ran and what the grader said.
ATTEMPT_ACTIONS = ("run", "submit")
# The grading worker's outcomes (studyapp/exercises/worker.py), for a whole attempt and per test.
ATTEMPT_STATUSES = (
    "passed",
    "failed",
    "error",
    "time_limit",
    "memory_limit",
    "crashed",
    "output_cut",
    "refused",
)
MAX_CODE_CHARS = 64 * 1024  # far beyond any solution; the editor's text is kept whole below it
MAX_ATTEMPT_TESTS = 200
MAX_TEST_MESSAGE_CHARS = 2000  # a trimmed traceback; longer messages are cut when recorded
MAX_ATTEMPT_SECONDS = 3600.0


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
    attempts_added: int = 0


@dataclass(frozen=True)
class Attempt:
    """One Run or Submit of a code exercise: the code and each test's outcome."""

    id: int
    profile_id: int
    question_id: str
    attempted_at: datetime
    action: str  # one of ATTEMPT_ACTIONS
    code: str
    status: str  # one of ATTEMPT_STATUSES
    tests: list[dict]  # [{id, status, message, mistake}] in the exercise's test order
    seconds: float | None


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


ATTEMPT_COLUMNS = "id, profile_id, question_id, attempted_at, action, code, status, tests, seconds"


def attempt_from_row(row: sqlite3.Row) -> Attempt:
    return Attempt(
        id=row["id"],
        profile_id=row["profile_id"],
        question_id=row["question_id"],
        attempted_at=from_iso(row["attempted_at"]),
        action=row["action"],
        code=row["code"],
        status=row["status"],
        tests=json.loads(row["tests"]),
        seconds=row["seconds"],
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


def check_attempt_action(action: Any) -> str:
    if action not in ATTEMPT_ACTIONS:
        raise ValueError(f"action must be one of {ATTEMPT_ACTIONS}, got {action!r:.80}")
    return action


def check_attempt_status(status: Any, what: str = "status") -> str:
    if status not in ATTEMPT_STATUSES:
        raise ValueError(f"{what} must be one of {ATTEMPT_STATUSES}, got {status!r:.80}")
    return status


def check_code(code: Any) -> str:
    if not isinstance(code, str):
        raise ValueError(f"code must be a string, got {type(code).__name__}")
    if len(code) > MAX_CODE_CHARS:
        raise ValueError(f"code is longer than {MAX_CODE_CHARS} characters")
    return code


def check_attempt_seconds(seconds: Any) -> float | None:
    if seconds is None:
        return None
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not (0 <= seconds <= MAX_ATTEMPT_SECONDS)  # NaN fails too
        or not math.isfinite(float(seconds))
    ):
        raise ValueError(
            f"seconds must be a number 0..{MAX_ATTEMPT_SECONDS:g}, got {seconds!r:.80}"
        )
    return float(seconds)


def _optional_text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null, got {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def check_attempt_tests(tests: Any) -> list[dict]:
    """Per-test results, strictly: [{id, status, message?, mistake?}], nothing else, capped."""
    if not isinstance(tests, list):
        raise ValueError(f"tests must be a list, got {type(tests).__name__}")
    if len(tests) > MAX_ATTEMPT_TESTS:
        raise ValueError(f"an attempt has at most {MAX_ATTEMPT_TESTS} tests, got {len(tests)}")
    checked = []
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            raise ValueError(f"test #{i + 1} must be an object")
        extra = set(test) - {"id", "status", "message", "mistake"}
        if extra:
            raise ValueError(f"test #{i + 1} has unknown fields {sorted(extra)!r:.120}")
        test_id = test.get("id")
        if not isinstance(test_id, str) or not re.fullmatch(KEBAB_CASE, test_id):
            raise ValueError(f"test #{i + 1} id must be kebab-case, got {test_id!r:.80}")
        if len(test_id) > MAX_QUESTION_ID_LENGTH:
            raise ValueError(f"test #{i + 1} id is too long")
        mistake = _optional_text(test.get("mistake"), f"test #{i + 1} mistake", 250)
        if mistake is not None and not re.fullmatch(KEBAB_CASE, mistake):
            raise ValueError(f"test #{i + 1} mistake must be kebab-case, got {mistake!r:.80}")
        checked.append(
            {
                "id": test_id,
                "status": check_attempt_status(test.get("status"), f"test #{i + 1} status"),
                "message": _optional_text(
                    test.get("message"), f"test #{i + 1} message", MAX_TEST_MESSAGE_CHARS
                ),
                "mistake": mistake,
            }
        )
    return checked


def attempt_tests_from_result(tests: list[dict]) -> list[dict]:
    """The part of a grader's per-test results worth keeping, long messages cut (the app's own
    results, so they are trimmed rather than refused; an import is checked strictly)."""
    kept = []
    for test in tests[:MAX_ATTEMPT_TESTS]:
        message = test.get("message") or None
        if message is not None and len(message) > MAX_TEST_MESSAGE_CHARS:
            message = message[: MAX_TEST_MESSAGE_CHARS - 1] + "…"
        kept.append(
            {
                "id": test.get("id"),
                "status": test.get("status"),
                "message": message,
                "mistake": test.get("mistake") or None,
            }
        )
    return check_attempt_tests(kept)
