"""The question bank as the app sees it: parsed once per process, reloaded when a file changes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from studyapp.bank.schema import Question
from studyapp.bank.validate import Report, question_files, validate_files

BANK_ENV = "STUDYAPP_BANK"
REPO_BANK = Path(__file__).resolve().parents[2] / "questions"


def default_bank_dir() -> Path:
    """`$STUDYAPP_BANK`, else the `questions/` folder of this checkout."""
    return Path(os.environ.get(BANK_ENV) or REPO_BANK)


def registered_demos() -> set[str]:
    """Ids of the live demos a question's `demo:` may name."""
    from studyapp.demos import registered_ids

    return registered_ids()


def _fingerprint(files: list[Path]) -> tuple:
    stamps = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        stamps.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(stamps)


def load_bank(root: Path | str) -> Report:
    """Validate every question file under `root`."""
    root = Path(root)
    return validate_files(question_files([root]), registered_demos(), root=root)


# Files are looked at again at most once a second: a rerun must not pay one `stat` per question.
RECHECK_SECONDS = 1.0
_cache: dict[Path, tuple[tuple, float, Report]] = {}
_lock = threading.Lock()


def get_bank(root: Path | str | None = None) -> Report:
    """The bank under `root`, re-read when a file was added, removed or changed.

    Changes are noticed within `RECHECK_SECONDS`; between checks this is a dictionary lookup.
    """
    root = Path(root or default_bank_dir()).resolve()
    with _lock:
        cached = _cache.get(root)
        now = time.monotonic()
        if cached and now - cached[1] < RECHECK_SECONDS:
            return cached[2]
        fingerprint = _fingerprint(question_files([root]))
        if cached and cached[0] == fingerprint:
            _cache[root] = (fingerprint, now, cached[2])
            return cached[2]
        report = load_bank(root)
        _cache[root] = (fingerprint, now, report)
        return report


def export_records(report: Report) -> list[dict]:
    """Every valid question with every field it sets (absent optional fields are left out), as
    plain JSON-able data, in id order."""
    return [
        report.questions[qid].model_dump(mode="json", exclude_none=True)
        for qid in sorted(report.questions)
    ]


def by_topic(questions: dict[str, Question]) -> dict[str, list[Question]]:
    topics: dict[str, list[Question]] = {}
    for q in sorted(questions.values(), key=lambda q: (q.topic, q.difficulty, q.id)):
        topics.setdefault(q.topic, []).append(q)
    return topics


def searchable_text(q: Question) -> str:
    parts = [q.id, q.topic, *q.tags]
    parts += [text for _, text in q.texts()]
    return "\n".join(parts).casefold()


def filter_questions(
    questions: dict[str, Question],
    query: str = "",
    topics: set[str] | None = None,
    types: set[str] | None = None,
    difficulties: set[int] | None = None,
    tags: set[str] | None = None,
) -> list[Question]:
    """Questions matching every filter; `query` words must all occur, in either language.

    Matching is by substring, which also works for Chinese, where words are not separated by spaces.
    """
    words = query.casefold().split()
    found = []
    for q in questions.values():
        if topics and q.topic not in topics:
            continue
        if types and q.type not in types:
            continue
        if difficulties and q.difficulty not in difficulties:
            continue
        if tags and not tags.intersection(q.tags):
            continue
        if words:
            haystack = searchable_text(q)
            if not all(w in haystack for w in words):
                continue
        found.append(q)
    return sorted(found, key=lambda q: (q.topic, q.difficulty, q.id))


def size_table(questions: dict[str, Question]) -> str:
    """The bank's size per topic and type as a Markdown table (the README shows it)."""
    kinds = ("recall", "choice", "numeric", "code")
    rows = [
        "| topic | recall | choice | numeric | code | total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for topic, items in by_topic(questions).items():
        counts = [sum(q.type == k for q in items) for k in kinds]
        rows.append(f"| {topic} | " + " | ".join(map(str, counts)) + f" | {len(items)} |")
    totals = [sum(q.type == k for q in questions.values()) for k in kinds]
    rows.append("| **all** | " + " | ".join(map(str, totals)) + f" | **{len(questions)}** |")
    return "\n".join(rows)
