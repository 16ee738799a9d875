"""Moving a profile's progress between machines: the export format and the checks on an import.

Export format (`export_profile`): JSON `{"format": "studyapp-progress", "version": 2,
"exported_at", "profile": {name, language, desired_retention, new_per_day}, "reviews": [{
question_id, reviewed_at, kind, rating, correct, duration_ms, desired_retention}], "attempts": [{
question_id, attempted_at, action, code, status, tests: [{id, status, message, mistake}],
seconds}]}`. Version 1 (before code exercises) has no attempts and is still read. Import merges
reviews, skipping any whose (question_id, reviewed_at, rating) is already there, and attempts,
skipping any whose (question_id, attempted_at, action) is, so importing a file twice changes
nothing, then rebuilds the touched cards by replay.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from studyapp.progress.records import (
    MAX_CODE_CHARS,
    ProgressError,
    check_attempt_action,
    check_attempt_seconds,
    check_attempt_status,
    check_attempt_tests,
    check_code,
    check_duration,
    check_language,
    check_new_per_day,
    check_question_id,
    check_retention,
    iso_utc,
)
from studyapp.progress.scheduling import ANSWER_KINDS, rating_for

EXPORT_FORMAT = "studyapp-progress"
EXPORT_VERSION = 2
# Reviews older than the app's subject or in the future are a corrupt or forged file: a year-9999
# review overflows every later scheduling, a year-1 one makes Statistics build 739,000 day rows.
EARLIEST_REVIEW = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
# A decade at 30 reviews a day is 110,000 reviews, 25 MB as exported (228 bytes a review).
MAX_IMPORT_MB = 25
# Attempts carry code, so they are capped by total size too: a hostile file cannot fill the disk
# with code under the per-file limit repeated in a loop of imports of different files.
MAX_ATTEMPTS = 20_000
MAX_ATTEMPT_CODE_TOTAL = 200 * MAX_CODE_CHARS


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):  # plain JSON would silently keep the last value
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return data


def _brief(err: Exception) -> str:
    """The error's text, cut short: a hostile file's values may be megabytes long."""
    text = str(err)
    return text if len(text) <= 300 else text[:300] + "…"


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(data: str | bytes) -> Any:
    """Strict JSON: no duplicate keys, no NaN or Infinity, no number that overflows a float."""
    try:
        return json.loads(
            data,
            object_pairs_hook=_unique_keys,
            parse_float=_finite,
            parse_constant=_no_constant,
        )
    except RecursionError as err:
        raise ProgressError("not a progress export: the JSON is nested too deeply") from err
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, and the hooks' errors
        raise ProgressError(f"not a valid JSON file: {_brief(err)}") from err


def check_rating(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in (1, 2, 3, 4):
        raise ValueError(f"rating must be an integer 1-4 (Again..Easy), got {value!r}")
    return value


def check_reviewed_at(value: Any, now: datetime, name: str = "reviewed_at") -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("it has no time zone")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as err:
        raise ValueError(f"{name} {value!r} is not a date and time: {err}") from None
    if not EARLIEST_REVIEW <= moment <= now + CLOCK_SKEW:
        raise ValueError(f"{name} {value!r} is outside {EARLIEST_REVIEW:%Y-%m-%d} .. tomorrow")
    return iso_utc(moment)


def _review(item: Any, now: datetime) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"must be an object, got {type(item).__name__}")
    kind = item.get("kind", "recall")
    if kind not in ANSWER_KINDS:
        raise ValueError(f"kind must be one of {ANSWER_KINDS}, got {kind!r}")
    correct = item.get("correct")
    if correct is not None and not isinstance(correct, bool):
        raise ValueError(f"correct must be true, false or null, got {correct!r}")
    rating = rating_for(kind, correct=correct, rating=check_rating(item.get("rating")))
    retention = item.get("desired_retention")
    return {
        "question_id": check_question_id(item.get("question_id")),
        "kind": kind,
        "rating": int(rating),
        "correct": None if correct is None else int(correct),
        "duration_ms": check_duration(item.get("duration_ms")),
        "reviewed_at": check_reviewed_at(item.get("reviewed_at"), now),
        "desired_retention": None if retention is None else check_retention(retention),
    }


def _attempt(item: Any, now: datetime) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"must be an object, got {type(item).__name__}")
    extra = set(item) - {
        "question_id",
        "attempted_at",
        "action",
        "code",
        "status",
        "tests",
        "seconds",
    }
    if extra:
        raise ValueError(f"unknown fields {sorted(extra)!r:.120}")
    return {
        "question_id": check_question_id(item.get("question_id")),
        "attempted_at": check_reviewed_at(item.get("attempted_at"), now, "attempted_at"),
        "action": check_attempt_action(item.get("action")),
        "code": check_code(item.get("code")),
        "status": check_attempt_status(item.get("status")),
        "tests": check_attempt_tests(item.get("tests")),
        "seconds": check_attempt_seconds(item.get("seconds")),
    }


def _entry_name(i: int, item: Any, what: str = "review") -> str:
    question_id = item.get("question_id") if isinstance(item, dict) else None
    if isinstance(question_id, str):
        return f"{what} #{i + 1} (question_id {question_id[:80]!r})"
    return f"{what} #{i + 1}"


def parse_attempts(data: dict, now: datetime) -> list[dict]:
    """The export's code-exercise attempts, each checked strictly; none in a version-1 file."""
    raw = data.get("attempts", [])
    if not isinstance(raw, list):
        raise ProgressError("`attempts` must be a list")
    if len(raw) > MAX_ATTEMPTS:
        raise ProgressError(f"more than {MAX_ATTEMPTS} attempts: not a real progress export")
    attempts, code_total = [], 0
    for i, item in enumerate(raw):
        try:
            attempt = _attempt(item, now)
        except (ValueError, TypeError, OverflowError) as err:
            name = _entry_name(i, item, "attempt")
            raise ProgressError(f"{name} is invalid: {_brief(err)}") from err
        code_total += len(attempt["code"])
        if code_total > MAX_ATTEMPT_CODE_TOTAL:
            raise ProgressError("the attempts hold more code than any real progress export")
        attempts.append(attempt)
    return attempts


def parse_export(
    data: dict | str | bytes, *, now: datetime | None = None
) -> tuple[list[dict], dict[str, Any]]:
    """Validate an export and normalize its reviews (`parse_progress` also returns attempts).

    Any problem raises one `ProgressError` naming the entry; nothing else escapes, whatever the
    input (a property test fuzzes this).
    """
    reviews, settings, _attempts = parse_progress(data, now=now)
    return reviews, settings


def parse_progress(
    data: dict | str | bytes, *, now: datetime | None = None
) -> tuple[list[dict], dict[str, Any], list[dict]]:
    """Validate an export: its reviews, profile settings and code-exercise attempts.

    Any problem raises one `ProgressError` naming the entry; nothing else escapes, whatever the
    input (a property test fuzzes this).
    """
    now = now or datetime.now(UTC)
    if isinstance(data, (str, bytes, bytearray)):
        if len(data) > MAX_IMPORT_MB * 1024 * 1024:
            raise ProgressError(
                f"the file is over {MAX_IMPORT_MB} MB, larger than any real progress export"
            )
        data = load_json(data)
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ProgressError(f"not a studyapp progress export (format must be {EXPORT_FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProgressError(f"bad export version {version!r:.80}")
    if version > EXPORT_VERSION:
        raise ProgressError(f"export version {version} is newer than this app's: upgrade studyapp")
    raw = data.get("reviews")
    if not isinstance(raw, list):
        raise ProgressError("`reviews` must be a list")
    reviews = []
    for i, item in enumerate(raw):
        try:
            reviews.append(_review(item, now))
        except (ValueError, TypeError, OverflowError) as err:
            raise ProgressError(f"{_entry_name(i, item)} is invalid: {_brief(err)}") from err
    settings: dict[str, Any] = {}
    p = data.get("profile")
    if p is not None and not isinstance(p, dict):
        raise ProgressError("`profile` must be an object")
    try:
        p = p or {}
        if "language" in p:
            settings["language"] = check_language(p["language"])
        if "desired_retention" in p:
            settings["desired_retention"] = check_retention(p["desired_retention"])
        if "new_per_day" in p:
            settings["new_per_day"] = check_new_per_day(p["new_per_day"])
    except (ValueError, TypeError, OverflowError) as err:
        raise ProgressError(f"profile settings are invalid: {_brief(err)}") from err
    return reviews, settings, parse_attempts(data, now)
