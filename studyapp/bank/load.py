"""The question bank as the app sees it: parsed once per process, reloaded when a file changes.

Each file's own findings and its validated question are also kept on disk, in the user cache
folder (`$STUDYAPP_CACHE_DIR/bank/`, else `platformdirs.user_cache_dir("studyapp")/bank/`), one
JSON file per bank folder. An entry is used while its file has the size and modification time it
had when checked, and the whole cache is dropped when the validator changes (its code, the
registered demos, `minimodels`, pydantic or PyYAML). Rules about the whole bank (B001, B002) are
always applied afresh. A cache that cannot be read is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

from studyapp.bank import schema, validate, yamlfile
from studyapp.bank.schema import Question
from studyapp.bank.validate import (
    CheckedFile,
    Report,
    bank_report,
    check_file,
    gc_paused,
    question_files,
)
from studyapp.bank.yamlfile import Problem, YamlFile

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


def load_bank(root: Path | str, files: list[Path] | None = None) -> Report:
    """Validate every question file under `root` (`files`, when they were just listed), reusing
    the findings of unchanged files."""
    root = Path(root)
    demos = registered_demos()
    cache = BankCache(root, validator_version(demos))
    checked = []
    with gc_paused():
        for f in question_files([root]) if files is None else files:
            one = cache.get(f)
            if one is None:
                one = check_file(f, demos, root)
                cache.put(f, one)
            checked.append(one)
        cache.save()
        return bank_report(checked, root)


CACHE_ENV = "STUDYAPP_CACHE_DIR"
CACHE_FORMAT = 2  # bump when an entry's layout changes
# A file changed twice within the file system's clock tick could keep its size and time: files
# modified this recently are checked again on every load until they settle (as git does).
SETTLE_SECONDS = 2.0
# Only keys the bank rules point at are kept for a cached file (B001 at `id`, B002 at `related`).
_BANK_RULE_KEYS = ("id", "related")
log = logging.getLogger(__name__)


def cache_folder() -> Path:
    """Where the bank's cache lives: the `bank/` folder of the app's one user cache folder."""
    if folder := os.environ.get(CACHE_ENV):
        return Path(folder) / "bank"
    import platformdirs

    return Path(platformdirs.user_cache_dir("studyapp")) / "bank"


def validator_version(demos: set[str]) -> str:
    """A hash of everything a file's findings depend on besides the file itself."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{sorted(demos)}\0".encode())
    for package in ("pydantic", "pydantic-core", "PyYAML"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{package}=={metadata.version(package)}\0".encode())
    for module in (schema, validate, yamlfile):
        digest.update(Path(module.__file__).read_bytes() + b"\0")
    # Q012 only asks whether a `def name(` is in a minimodels file: its other edits do not count.
    for path in sorted(validate.MINIMODELS.rglob("*.py")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            functions = sorted(set(re.findall(r"def (\w+)\(", path.read_text(encoding="utf-8"))))
            digest.update(f"{path.relative_to(validate.MINIMODELS)}:{functions}\0".encode())
    return digest.hexdigest()


def _stamp(f: Path) -> list[int] | None:
    """[size, mtime_ns] of a regular file that is not a symlink and has settled, else None:
    anything else is checked again on every load."""
    try:
        st = os.lstat(f)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or time.time_ns() - st.st_mtime_ns < SETTLE_SECONDS * 1e9:
        return None
    return [st.st_size, st.st_mtime_ns]


class BankCache:
    """The checked files of one bank folder, kept on disk as JSON lines (never pickle).

    The first line says which validator and folder the entries are for; then one line per file:
    its name, its [size, mtime_ns, findings, positions] and its question, three JSON texts
    joined by tabs (JSON puts no raw tab or newline in a text). A question stays JSON text until
    pydantic reads it, so that the 50 MB of a 10,000-question bank is not decoded twice.
    """

    def __init__(self, root: Path, version: str):
        self.root = root
        self.prefix = str(root) + os.sep
        self.header = json.dumps(
            {"format": CACHE_FORMAT, "version": version, "root": str(root.resolve())}
        ).encode()
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]
        self.path = cache_folder() / f"{key}.jsonl"
        self.lines: dict[str, bytes] = {}
        self.kept: dict[str, bytes] = {}
        self.changed = False
        self._read()

    def _read(self) -> None:
        try:
            header, *lines = self.path.read_bytes().split(b"\n")
        except OSError:
            return  # none yet, or unreadable: rebuilt
        if header != self.header:
            log.info("bank cache %s is for another validator or folder: rebuilt", self.path)
            return
        for line in lines:
            name, _, rest = line.partition(b"\t")
            with contextlib.suppress(ValueError):
                self.lines[json.loads(name)] = line

    def name(self, f: Path) -> str:
        """`f` relative to the bank folder, as the validator prints it."""
        return str(f)[len(self.prefix) :] if str(f).startswith(self.prefix) else str(f)

    def get(self, f: Path) -> CheckedFile | None:
        """The checked file as cached, when the file has not changed since; else None."""
        name = self.name(f)
        stored = self.lines.get(name)
        stamp = _stamp(f)
        if stored is None or stamp is None:
            return None
        try:
            _, meta, question = stored.split(b"\t")
            size, mtime, problems, places = json.loads(meta)
            if [size, mtime] != stamp:
                return None
            doc = YamlFile(name, positions={tuple(loc): (line, col) for loc, line, col in places})
            checked = CheckedFile(
                doc,
                Question.model_validate_json(question) if question else None,
                [Problem(name, line, col, rule, message) for line, col, rule, message in problems],
            )
        except (TypeError, ValueError):  # a damaged entry (pydantic's errors are ValueErrors)
            log.info("bank cache entry for %s is damaged: checked again", name)
            return None
        self.kept[name] = stored
        return checked

    def put(self, f: Path, checked: CheckedFile) -> None:
        """Remember a freshly checked file, unless it changed too recently or its question does
        not survive a trip through JSON (a date or bytes in a free-form field)."""
        self.changed = True
        stamp = _stamp(f)
        if stamp is None:
            return
        question = b""
        if checked.question is not None:
            question = checked.question.model_dump_json().encode()
            try:
                if Question.model_validate_json(question) != checked.question:
                    return
            except ValueError:
                return
        places = [
            [list(loc), line, col]
            for loc, (line, col) in checked.doc.positions.items()
            if loc[0] in _BANK_RULE_KEYS
        ]
        problems = [[p.line, p.col, p.rule, p.message] for p in checked.problems]
        name = self.name(f)
        meta = json.dumps([*stamp, problems, places], ensure_ascii=False, separators=(",", ":"))
        self.kept[name] = b"\t".join([json.dumps(name).encode(), meta.encode(), question])

    def save(self) -> None:
        """Write the entries of this load's files (a removed file's entry goes), atomically."""
        if not self.changed and self.kept.keys() == self.lines.keys():
            return
        temp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(b"\n".join([self.header, *self.kept.values()]))
            os.replace(temp, self.path)
        except OSError as err:  # a read-only cache folder costs speed, never the bank
            log.warning("could not write the bank cache %s: %s", self.path, err)
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)


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
        files = question_files([root])
        fingerprint = _fingerprint(files)
        if cached and cached[0] == fingerprint:
            _cache[root] = (fingerprint, now, cached[2])
            return cached[2]
        with gc_paused():
            report = load_bank(root, files)
            # The bank lives as long as the server: out of the collector's sight, as
            # `studyapp.app.heap` does for modules. Else the collection that follows the load,
            # and Streamlit's full one after every run, walk 10,000 questions' objects each time.
            gc.freeze()
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
