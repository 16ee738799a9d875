"""Finished training runs kept on disk, so a trained demo survives a server restart.

A training demo takes seconds to tens of seconds; its result (the `minimodels.results` parts the
page draws) is a few kilobytes. Each finished run is one JSON file in the `demos/` folder of the
user cache folder (`$STUDYAPP_CACHE_DIR`, else `platformdirs.user_cache_dir("studyapp")`), named
by a hash of everything that decides the result:

- the demo's id and its checked parameters;
- the code that trains it: the source of every file of the `minimodels` package, and the versions
  of torch and numpy, so any change to the engine or a demo invalidates every entry;
- the text it trains on: the question bank's files (`$STUDYAPP_BANK`, else `questions/`) and the
  user's own files (`$STUDYAPP_CORPUS`), by relative path and content.

The entry is JSON of the parts' dataclasses, read back through pydantic with the types of
`minimodels.results`: no pickle, nothing executed, and no torch import, so a revisit after a
restart draws in a fraction of a second (importing torch alone takes about 1.5 s). An entry is
written to a temporary file and moved into place with `os.replace`, so a crash never leaves half of
one. An entry that does not read back (truncated, edited, from another version, for other
parameters) is removed and counts as absent: the learner trains again, the page never fails.

The folder is bounded (50 MB by default): when a write takes it over, the least recently used
entries go (a hit touches its file's mtime). An entry weighs 1-50 KB, so 50 MB holds a thousand or
more parameter sets of every training demo, far more than a learner tries, while a forgotten cache
never grows past what a user would notice; the bound is there for the long tail of text prompts
and seeds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
import typing
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from minimodels import results
from studyapp.demos import Demo

CACHE_ENV = "STUDYAPP_CACHE_DIR"
CORPUS_ENV = "STUDYAPP_CORPUS"
BANK_ENV = "STUDYAPP_BANK"
REPO = Path(__file__).resolve().parents[2]
MINIMODELS = REPO / "minimodels"
FORMAT = 1  # bump when the entry's layout changes: older entries then read as foreign
MAX_BYTES = 50 * 1024 * 1024
SUFFIX = ".json"
STALE_TEMP_SECONDS = 3600  # a temporary file this old belongs to a writer that died

log = logging.getLogger(__name__)

# The part types an entry may hold, by class name: anything else makes the entry foreign.
PART_TYPES: dict[str, type] = {cls.__name__: cls for cls in typing.get_args(results.Part)}


def cache_root() -> Path:
    """The user cache folder that every cache of the app lives under."""
    import platformdirs  # only when no folder is given: a test never reads the user's

    return Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("studyapp"))


@dataclass
class CachedRun:
    parts: list
    trained_at: float  # seconds since the epoch, when the run finished
    seconds: float  # how long it trained


@cache
def code_hash() -> str:
    """A hash of the training code: every file of `minimodels`, and the numeric libraries' versions.

    Computed once per process, at its first lookup: code edited under a running server takes
    effect when the server restarts, and so does the new hash."""
    digest = hashlib.sha256()
    for path in sorted(MINIMODELS.rglob("*.py")):
        digest.update(path.relative_to(MINIMODELS).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for package in ("torch", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{package}=={metadata.version(package)}\0".encode())
    return digest.hexdigest()


def corpus_files() -> list[tuple[str, str]]:
    """The files the training demos read (the bank's `<topic>/<id>.yaml` and the user's files),
    each as (the name it is hashed under, its path)."""
    bank = os.environ.get(BANK_ENV) or str(REPO / "questions")
    files = []
    with contextlib.suppress(OSError):  # no bank: the demos that read it fail on their own
        for topic in os.scandir(bank):
            if topic.is_dir():
                files += [
                    (f"bank/{topic.name}/{f.name}", f.path)
                    for f in os.scandir(topic.path)
                    if f.name.endswith(".yaml")
                ]
    user = [p for p in os.environ.get(CORPUS_ENV, "").split(os.pathsep) if p.strip()]
    return sorted(files) + [(f"user/{i}/{Path(p).name}", p) for i, p in enumerate(user)]


_content_hashes: dict[str, tuple[int, int, str]] = {}  # path -> size, mtime_ns, sha256


def _file_hash(path: str) -> str:
    try:
        stat = os.stat(path)
        size, mtime, digest = _content_hashes.get(path, (-1, -1, ""))
        if (size, mtime) != (stat.st_size, stat.st_mtime_ns):
            with open(path, "rb") as file:
                digest = hashlib.sha256(file.read()).hexdigest()
            _content_hashes[path] = stat.st_size, stat.st_mtime_ns, digest
        return digest
    except OSError:
        return "missing"


def corpus_fingerprint() -> str:
    """A hash of the training text's files by name and content. A file is read again only when its
    size or mtime changed: after the first lookup a page pays a `stat` per file (about 10 ms for
    the shipped bank's 372 files on a busy machine)."""
    digest = hashlib.sha256()
    for name, path in corpus_files():
        digest.update(f"{name}\0{_file_hash(path)}\0".encode())
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """A numpy or torch scalar or array inside a part, as the plain number or list it stands for."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} cannot be stored in the demo cache")


def encode_parts(parts: list) -> list[dict]:
    encoded = []
    for part in parts:
        name = type(part).__name__
        if PART_TYPES.get(name) is not type(part):
            raise TypeError(f"{name} is not one of minimodels.results' parts")
        encoded.append({"part": name, "fields": dataclasses.asdict(part)})
    return encoded


def decode_parts(encoded: Any) -> list:
    """The parts of an entry, each checked against its dataclass's field types by pydantic;
    ValueError (pydantic's ValidationError is one) or TypeError when anything does not fit."""
    if not isinstance(encoded, list):
        raise TypeError("parts must be a list")
    parts = []
    for item in encoded:
        cls = PART_TYPES[item["part"]]  # KeyError: a type this version does not know
        unknown = set(item["fields"]) - {f.name for f in dataclasses.fields(cls)}
        if unknown:  # pydantic would drop them silently: the entry is from another version
            raise ValueError(f"{item['part']} has no field(s) {', '.join(sorted(unknown))}")
        parts.append(_adapter(cls).validate_python(item["fields"]))
    return parts


@cache
def _adapter(cls: type):
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


class DemoCache:
    """The finished training runs in `folder` (default: `demos/` in the user cache folder)."""

    def __init__(self, folder: str | Path | None = None, max_bytes: int = MAX_BYTES):
        self.folder = Path(folder) if folder is not None else cache_root() / "demos"
        self.max_bytes = max_bytes

    def identity(self, demo: Demo, params: dict[str, Any]) -> dict[str, Any]:
        """Everything that decides a run's result; stored in the entry and hashed into its name."""
        return {
            "format": FORMAT,
            "demo": demo.id,
            "params": params,
            "code": code_hash(),
            "corpus": corpus_fingerprint(),
        }

    def path_for(self, identity: dict[str, Any]) -> Path:
        name = json.dumps(identity, sort_keys=True, ensure_ascii=True)
        return self.folder / f"{hashlib.sha256(name.encode()).hexdigest()}{SUFFIX}"

    def load(self, demo: Demo, params: dict[str, Any]) -> CachedRun | None:
        """The stored run of `demo` with `params`, or None. An entry that does not read back as
        one written for exactly this identity is removed."""
        identity = self.identity(demo, params)
        path = self.path_for(identity)
        try:
            raw = path.read_bytes()
        except OSError:  # absent (the usual case), or unreadable
            return None
        try:
            entry = json.loads(raw)
            if entry["identity"] != json.loads(json.dumps(identity)):
                raise ValueError("the entry was written for another run")
            cached = CachedRun(
                decode_parts(entry["parts"]), float(entry["trained_at"]), float(entry["seconds"])
            )
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as err:
            log.warning("removing unreadable demo cache entry %s: %s", path, err)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):  # marks it recently used, for the eviction
            os.utime(path)
        return cached

    def remove(self, demo: Demo, params: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.path_for(self.identity(demo, params)).unlink()

    def store(
        self,
        identity: dict[str, Any],
        parts: list,
        trained_at: float,
        seconds: float,
    ) -> Path | None:
        """Write the entry of `identity` (from `identity()`, taken when the run started: the bank
        may change while it trains), replacing any, then evict down to the bound. Returns its
        path, or None when it could not be written (the reason is logged; the run is not lost)."""
        try:
            body = json.dumps(
                {
                    "identity": identity,
                    "trained_at": trained_at,
                    "seconds": seconds,
                    "parts": encode_parts(parts),
                },
                ensure_ascii=False,
                default=_jsonable,
            ).encode()
        except (TypeError, ValueError) as err:
            log.warning("demo %s not cached: %s", identity.get("demo"), err)
            return None
        if len(body) > self.max_bytes:
            log.warning("demo %s not cached: %d bytes over the bound", identity["demo"], len(body))
            return None
        path = self.path_for(identity)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                dir=self.folder, prefix=".", suffix=".tmp", delete=False
            ) as tmp:
                tmp.write(body)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, path)
        except OSError as err:
            log.warning("demo %s not cached: %s", identity["demo"], err)
            with contextlib.suppress(OSError, NameError):
                os.unlink(tmp.name)
            return None
        self.evict(keep=path)
        return path

    def entries(self) -> list[Path]:
        return sorted(self.folder.glob(f"*{SUFFIX}"))

    def evict(self, keep: Path | None = None) -> None:
        """Remove least recently used entries until the folder is within `max_bytes`, and the
        temporary files of writers that died."""
        now = time.time()
        sized = []
        for path in self.folder.glob("*"):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed by another process meanwhile
            if path.suffix == ".tmp":
                if now - stat.st_mtime > STALE_TEMP_SECONDS:
                    with contextlib.suppress(OSError):
                        path.unlink()
            elif path.suffix == SUFFIX:
                sized.append((stat.st_mtime, path, stat.st_size))
        total = sum(size for _, _, size in sized)
        for _, path, size in sorted(sized, key=lambda entry: entry[:2]):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size
