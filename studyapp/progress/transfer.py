"""Moving a profile's progress between machines: the export format and the checks on an import.

Export format (`export_profile`): JSON `{"format": "studyapp-progress", "version": 1,
"exported_at", "profile": {name, language, desired_retention, new_per_day}, "reviews": [{
question_id, reviewed_at, kind, rating, correct, duration_ms, desired_retention}]}`. Import merges
reviews, skipping any whose (question_id, reviewed_at, rating) is already there, so importing a
file twice changes nothing, then rebuilds the touched cards by replay.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from studyapp.progress.records import (
    ProgressError,
    check_duration,
    check_language,
    check_new_per_day,
    check_question_id,
    check_retention,
    iso_utc,
)
from studyapp.progress.scheduling import rating_for

EXPORT_FORMAT = "studyapp-progress"
EXPORT_VERSION = 1


def parse_export(data: dict | str | bytes) -> tuple[list[dict], dict[str, Any]]:
    """Validate an export and normalize its reviews; raises ProgressError on any problem."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as err:
            raise ProgressError(f"not a JSON file: {err}") from err
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ProgressError(f"not a studyapp progress export (format must be {EXPORT_FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ProgressError(f"bad export version {version!r}")
    if version > EXPORT_VERSION:
        raise ProgressError(f"export version {version} is newer than this app's: upgrade studyapp")
    raw = data.get("reviews")
    if not isinstance(raw, list):
        raise ProgressError("`reviews` must be a list")
    reviews = []
    for i, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise ValueError("not an object")
            question_id = check_question_id(item.get("question_id"))
            kind = item.get("kind", "recall")
            rating = rating_for(kind, rating=item.get("rating"))
            when = item.get("reviewed_at")
            if not isinstance(when, str):
                raise ValueError("reviewed_at must be an ISO 8601 string")
            at = iso_utc(datetime.fromisoformat(when))
            correct = item.get("correct")
            if correct is not None and not isinstance(correct, bool):
                raise ValueError("correct must be true, false or null")
            retention = item.get("desired_retention")
            reviews.append(
                {
                    "question_id": question_id,
                    "kind": kind,
                    "rating": int(rating),
                    "correct": None if correct is None else int(correct),
                    "duration_ms": check_duration(item.get("duration_ms")),
                    "reviewed_at": at,
                    "desired_retention": None if retention is None else check_retention(retention),
                }
            )
        except (ValueError, TypeError) as err:
            raise ProgressError(f"review #{i} is invalid: {err}") from err
    settings: dict[str, Any] = {}
    p = data.get("profile")
    if isinstance(p, dict):
        try:
            if "language" in p:
                settings["language"] = check_language(p["language"])
            if "desired_retention" in p:
                settings["desired_retention"] = check_retention(p["desired_retention"])
            if "new_per_day" in p:
                settings["new_per_day"] = check_new_per_day(p["new_per_day"])
        except ValueError as err:
            raise ProgressError(f"profile settings are invalid: {err}") from err
    return reviews, settings
