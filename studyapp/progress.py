"""Study progress in SQLite: profiles, every review as an event, and each question's FSRS card.

Where: the `path` argument, else `$STUDYAPP_DB`, else `$XDG_DATA_HOME/studyapp/progress.db`, else
`~/.local/share/studyapp/progress.db`.

Durability: WAL journal with `synchronous=FULL`, so a commit is fsynced to the WAL before it
returns (NORMAL would survive a killed process but could lose the last reviews on power loss,
and the UI confirms a review only once it is durable). Every write is one `BEGIN IMMEDIATE`
transaction: a review's event and its card state commit together or not at all, and writers from
other threads or processes queue on the busy timeout instead of failing with "database is locked".
One store may be shared by threads (a lock serializes its connection); several stores, in one
process or many, may open the same file.

The review log is the source of truth. A card's state is always what replaying its question's
reviews in time order through the scheduler gives (order: `reviewed_at`, then rating), each
review with the desired retention that was in force when it was made. Recording a review
normally just applies it to the stored card; a review older than the card's last review (clock
skew, an import from another device) triggers that replay instead. History is keyed by question
id: editing a question's text keeps it, and a question removed from the bank keeps its history
and is simply not scheduled (the queues take the current bank's ids).

Schema changes: `PRAGMA user_version` holds the schema version and `migrate` walks it up one
step at a time, each step in its own transaction. A database from a newer version is refused.

Export format (`export_profile`): JSON `{"format": "studyapp-progress", "version": 1,
"exported_at", "profile": {name, language, desired_retention, new_per_day}, "reviews": [{
question_id, reviewed_at, kind, rating, correct, duration_ms, desired_retention}]}`. Import merges
reviews, skipping any whose (question_id, reviewed_at, rating) is already there, so importing a
file twice changes nothing, then rebuilds the touched cards by replay.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studyapp.scheduling import (
    DEFAULT_RETENTION,
    MAX_RETENTION,
    MIN_RETENTION,
    Card,
    Rating,
    State,
    apply_rating,
    rating_for,
    to_utc,
)

__all__ = [
    "DB_ENV",
    "DEFAULT_NEW_PER_DAY",
    "DEFAULT_PROFILE_NAME",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "LANGUAGES",
    "SCHEMA_VERSION",
    "CardRecord",
    "ImportResult",
    "Profile",
    "ProgressError",
    "ProgressStore",
    "RecordedReview",
    "ReviewEvent",
    "UnknownProfileError",
    "default_db_path",
    "migrate",
]

DB_ENV = "STUDYAPP_DB"
SCHEMA_VERSION = 1
EXPORT_FORMAT = "studyapp-progress"
EXPORT_VERSION = 1
DEFAULT_PROFILE_NAME = "default"
DEFAULT_NEW_PER_DAY = 10
LANGUAGES = ("en", "zh")
MAX_NEW_PER_DAY = 1000
MAX_NAME_LENGTH = 64
BUSY_TIMEOUT_S = 30.0


class ProgressError(Exception):
    """The progress database or an import file cannot be used as asked."""


class UnknownProfileError(ProgressError, LookupError):
    """No profile with that id."""


def default_db_path() -> Path:
    """`$STUDYAPP_DB`, else `$XDG_DATA_HOME/studyapp/progress.db`, else under ~/.local/share."""
    if env := os.environ.get(DB_ENV):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says to ignore relative paths.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "studyapp" / "progress.db"


# -- timestamps: fixed-width ISO 8601 in UTC, so text order is time order ----------------------


def _ts(moment: datetime) -> str:
    return to_utc(moment).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


# -- schema and migrations ----------------------------------------------------------------------

_V1 = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID""",
    f"""CREATE TABLE profiles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh')),
        desired_retention REAL NOT NULL DEFAULT {DEFAULT_RETENTION}
            CHECK (desired_retention BETWEEN {MIN_RETENTION} AND {MAX_RETENTION}),
        new_per_day INTEGER NOT NULL DEFAULT {DEFAULT_NEW_PER_DAY}
            CHECK (new_per_day BETWEEN 0 AND {MAX_NEW_PER_DAY}),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        question_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('recall', 'choice', 'numeric')),
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        correct INTEGER CHECK (correct IN (0, 1)),
        duration_ms INTEGER CHECK (duration_ms >= 0),
        reviewed_at TEXT NOT NULL,
        desired_retention REAL NOT NULL,
        state_before INTEGER CHECK (state_before IN (1, 2, 3)),
        UNIQUE (profile_id, question_id, reviewed_at, rating)
    )""",
    """CREATE INDEX reviews_by_time ON reviews (profile_id, reviewed_at)""",
    """CREATE TABLE cards (
        profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        question_id TEXT NOT NULL,
        card_id INTEGER NOT NULL,
        state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
        step INTEGER,
        stability REAL,
        difficulty REAL,
        due TEXT NOT NULL,
        last_review TEXT NOT NULL,
        reps INTEGER NOT NULL,
        lapses INTEGER NOT NULL,
        PRIMARY KEY (profile_id, question_id)
    ) WITHOUT ROWID""",
    """CREATE INDEX cards_by_due ON cards (profile_id, due)""",
]


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    for statement in _V1:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO profiles (name, created_at) VALUES (?, ?)",
        (DEFAULT_PROFILE_NAME, _ts(datetime.now(UTC))),
    )


# MIGRATIONS[v] takes a database at schema version v to v + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_0_to_1]
assert len(MIGRATIONS) == SCHEMA_VERSION


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to `SCHEMA_VERSION`, one transaction per step; returns the version.

    `conn` must be in autocommit mode (`isolation_level=None`). Safe when several processes open
    a new database at once: each step re-reads the version under the write lock.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    while version != SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ProgressError(
                    f"progress database has schema version {version}, newer than this app's "
                    f"{SCHEMA_VERSION}: upgrade studyapp"
                )
            if version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return version


def _enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, retrying: the switch can fail with SQLITE_BUSY without waiting on the busy
    handler when another process is creating the same database at that moment."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            busy = getattr(err, "sqlite_errorcode", None) in (
                sqlite3.SQLITE_BUSY,
                sqlite3.SQLITE_LOCKED,
            ) or "locked" in str(err)
            if not busy or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


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


_CARD_COLUMNS = (
    "question_id, card_id, state, step, stability, difficulty, due, last_review, reps, lapses"
)
_REVIEW_COLUMNS = (
    "id, profile_id, question_id, kind, rating, correct, duration_ms, reviewed_at, "
    "desired_retention, state_before"
)


def _card_record(row: sqlite3.Row) -> CardRecord:
    card = Card(
        card_id=row["card_id"],
        state=State(row["state"]),
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=_dt(row["due"]),
        last_review=_dt(row["last_review"]),
    )
    return CardRecord(row["question_id"], card, row["reps"], row["lapses"])


def _review_event(row: sqlite3.Row) -> ReviewEvent:
    return ReviewEvent(
        id=row["id"],
        profile_id=row["profile_id"],
        question_id=row["question_id"],
        kind=row["kind"],
        rating=Rating(row["rating"]),
        correct=None if row["correct"] is None else bool(row["correct"]),
        duration_ms=row["duration_ms"],
        reviewed_at=_dt(row["reviewed_at"]),
        desired_retention=row["desired_retention"],
        state_before=None if row["state_before"] is None else State(row["state_before"]),
    )


def _profile(row: sqlite3.Row) -> Profile:
    return Profile(
        id=row["id"],
        name=row["name"],
        language=row["language"],
        desired_retention=row["desired_retention"],
        new_per_day=row["new_per_day"],
        created_at=_dt(row["created_at"]),
    )


# -- validation ---------------------------------------------------------------------------------


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("profile name must be a non-empty string")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"profile name must be at most {MAX_NAME_LENGTH} characters")
    return name


def _check_language(language: Any) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


def _check_retention(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"desired retention must be a number, got {value!r}")
    value = round(float(value), 4)  # a slider's 0.9500000001 is 0.95
    if not MIN_RETENTION <= value <= MAX_RETENTION:
        raise ValueError(
            f"desired retention must be between {MIN_RETENTION} and {MAX_RETENTION}, got {value}"
        )
    return value


def _check_new_per_day(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NEW_PER_DAY:
        raise ValueError(f"new questions per day must be an integer 0..{MAX_NEW_PER_DAY}")
    return value


def _check_question_id(question_id: Any) -> str:
    if not isinstance(question_id, str) or not question_id:
        raise ValueError(f"question id must be a non-empty string, got {question_id!r}")
    return question_id


def _check_duration(duration_ms: Any) -> int | None:
    if duration_ms is None:
        return None
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0:
        raise ValueError(f"duration_ms must be a non-negative integer, got {duration_ms!r}")
    return duration_ms


# -- the store ----------------------------------------------------------------------------------


class ProgressStore:
    """The progress database. Open once per process (e.g. `st.cache_resource`) and share it."""

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout: float = BUSY_TIMEOUT_S
    ):
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        memory = str(path) == ":memory:"
        if not memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            ":memory:" if memory else self.path,
            timeout=timeout,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,  # shared between threads under self._lock
        )
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if not memory:
                _enable_wal(self._conn, timeout)
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            migrate(self._conn)
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise ProgressError(f"cannot open progress database {self.path}: {err}") from err
        except BaseException:
            self._conn.close()
            raise

    # connection plumbing

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (durably) when the block ends, rolled back on error."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query in the block sees the same snapshot."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def schema_version(self) -> int:
        with self._lock:
            return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def journal_mode(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA journal_mode").fetchone()[0]

    def integrity_check(self) -> str:
        """SQLite's own check: "ok" when the file is sound."""
        with self._lock:
            return self._conn.execute("PRAGMA integrity_check").fetchone()[0]

    # profiles

    def list_profiles(self) -> list[Profile]:
        """Every profile, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM profiles ORDER BY id").fetchall()
        return [_profile(row) for row in rows]

    def profile(self, profile: int) -> Profile:
        """One profile by id (`UnknownProfileError` if there is none)."""
        with self._lock:
            return self._profile_in(self._conn, profile)

    def profile_by_name(self, name: str) -> Profile | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM profiles WHERE name = ?", (name.strip(),)
            ).fetchone()
        return None if row is None else _profile(row)

    @staticmethod
    def _profile_in(conn: sqlite3.Connection, profile: int) -> Profile:
        row = conn.execute("SELECT * FROM profiles WHERE id = ?", (profile,)).fetchone()
        if row is None:
            raise UnknownProfileError(f"no profile with id {profile}")
        return _profile(row)

    def default_profile(self) -> Profile:
        """The profile to open on start: the one set with `set_default_profile`, else the oldest."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT p.* FROM meta m JOIN profiles p ON p.id = CAST(m.value AS INTEGER) "
                "WHERE m.key = 'default_profile'"
            ).fetchone()
            row = row or conn.execute("SELECT * FROM profiles ORDER BY id LIMIT 1").fetchone()
        if row is None:  # every profile was deleted by hand: bring the default back
            return self.profile(self.create_profile(DEFAULT_PROFILE_NAME).id)
        return _profile(row)

    def set_default_profile(self, profile: int) -> None:
        with self._write() as conn:
            self._profile_in(conn, profile)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('default_profile', ?)",
                (str(profile),),
            )

    def create_profile(
        self,
        name: str,
        *,
        language: str = "en",
        desired_retention: float = DEFAULT_RETENTION,
        new_per_day: int = DEFAULT_NEW_PER_DAY,
    ) -> Profile:
        """A new profile; `ValueError` if the name is taken or a setting is out of range."""
        values = (
            _check_name(name),
            _check_language(language),
            _check_retention(desired_retention),
            _check_new_per_day(new_per_day),
            _ts(datetime.now(UTC)),
        )
        try:
            with self._write() as conn:
                cur = conn.execute(
                    "INSERT INTO profiles (name, language, desired_retention, new_per_day, "
                    "created_at) VALUES (?, ?, ?, ?, ?)",
                    values,
                )
                return self._profile_in(conn, cur.lastrowid)
        except sqlite3.IntegrityError as err:
            raise ValueError(f"a profile named {values[0]!r} already exists") from err

    def rename_profile(self, profile: int, name: str) -> Profile:
        name = _check_name(name)
        try:
            with self._write() as conn:
                self._profile_in(conn, profile)
                conn.execute("UPDATE profiles SET name = ? WHERE id = ?", (name, profile))
                return self._profile_in(conn, profile)
        except sqlite3.IntegrityError as err:
            raise ValueError(f"a profile named {name!r} already exists") from err

    def delete_profile(self, profile: int) -> None:
        """Delete a profile with all its reviews and cards. The last profile cannot be deleted."""
        with self._write() as conn:
            self._profile_in(conn, profile)
            if conn.execute("SELECT COUNT(*) FROM profiles").fetchone()[0] <= 1:
                raise ValueError("cannot delete the only profile")
            conn.execute("DELETE FROM profiles WHERE id = ?", (profile,))
            conn.execute(
                "DELETE FROM meta WHERE key = 'default_profile' AND value = ?", (str(profile),)
            )

    def update_settings(
        self,
        profile: int,
        *,
        language: str | None = None,
        desired_retention: float | None = None,
        new_per_day: int | None = None,
    ) -> Profile:
        """Change some settings (None leaves one as it is). A new desired retention applies to
        reviews made from now on; cards keep the due dates they were given."""
        changes: dict[str, Any] = {}
        if language is not None:
            changes["language"] = _check_language(language)
        if desired_retention is not None:
            changes["desired_retention"] = _check_retention(desired_retention)
        if new_per_day is not None:
            changes["new_per_day"] = _check_new_per_day(new_per_day)
        with self._write() as conn:
            self._profile_in(conn, profile)
            for column, value in changes.items():  # column names come from the code above
                conn.execute(f"UPDATE profiles SET {column} = ? WHERE id = ?", (value, profile))
            return self._profile_in(conn, profile)

    def reset_profile(self, profile: int) -> None:
        """Forget a profile's reviews and cards, keeping the profile and its settings."""
        with self._write() as conn:
            self._profile_in(conn, profile)
            conn.execute("DELETE FROM reviews WHERE profile_id = ?", (profile,))
            conn.execute("DELETE FROM cards WHERE profile_id = ?", (profile,))

    # reviews

    def record_review(
        self,
        profile: int,
        question_id: str,
        *,
        kind: str,
        rating: Rating | int | None = None,
        correct: bool | None = None,
        duration_ms: int | None = None,
        reviewed_at: datetime | None = None,
    ) -> RecordedReview:
        """Record one answer and update the question's card, in one transaction that is durable
        on disk when this returns.

        `kind` is "recall" (needs the self-`rating`), "choice" or "numeric" (`correct` maps wrong
        -> Again, right -> Good unless a `rating` is given). `reviewed_at` defaults to now (UTC).
        Recording the same question, time and rating twice is a no-op (`duplicate=True`).
        """
        question_id = _check_question_id(question_id)
        final = rating_for(kind, correct=correct, rating=rating)
        duration_ms = _check_duration(duration_ms)
        at = to_utc(reviewed_at) if reviewed_at is not None else datetime.now(UTC)
        at_text = _ts(at)
        correct_value = None if correct is None else int(bool(correct))
        with self._write() as conn:
            retention = self._profile_in(conn, profile).desired_retention
            current = self._card_in(conn, profile, question_id)
            existing = conn.execute(
                "SELECT id FROM reviews WHERE profile_id = ? AND question_id = ? "
                "AND reviewed_at = ? AND rating = ?",
                (profile, question_id, at_text, int(final)),
            ).fetchone()
            if existing is not None:
                assert current is not None
                return RecordedReview(existing[0], question_id, final, at, current.card, True)
            in_order = current is None or at > current.card.last_review
            state_before = None if current is None else current.card.state
            cur = conn.execute(
                "INSERT INTO reviews (profile_id, question_id, kind, rating, correct, "
                "duration_ms, reviewed_at, desired_retention, state_before) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    profile,
                    question_id,
                    kind,
                    int(final),
                    correct_value,
                    duration_ms,
                    at_text,
                    retention,
                    int(state_before) if in_order and state_before is not None else None,
                ),
            )
            review_id = cur.lastrowid
            if in_order:
                card = apply_rating(
                    None if current is None else current.card,
                    question_id,
                    final,
                    at,
                    desired_retention=retention,
                    duration_ms=duration_ms,
                )
                reps = 1 if current is None else current.reps + 1
                lapses = 0 if current is None else current.lapses
                lapses += state_before == State.Review and final == Rating.Again
                self._put_card(conn, profile, CardRecord(question_id, card, reps, lapses))
            else:
                rebuilt = self._replay_in(conn, profile, question_id)
                assert rebuilt is not None
                card = rebuilt.card
        return RecordedReview(review_id, question_id, final, at, card)

    def delete_review(self, profile: int, review_id: int) -> CardRecord | None:
        """Take back one review (an "undo"); the card is rebuilt from the remaining reviews.

        Returns the question's card now, None if it has no reviews left. Note that importing an
        export made before the deletion brings the review back.
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT question_id FROM reviews WHERE id = ? AND profile_id = ?",
                (review_id, profile),
            ).fetchone()
            if row is None:
                raise LookupError(f"no review {review_id} in profile {profile}")
            conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            return self._replay_in(conn, profile, row[0])

    def reviews(
        self,
        profile: int,
        *,
        question_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ReviewEvent]:
        """Review events in time order, optionally for one question and/or in [since, until)."""
        sql = f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE profile_id = ?"
        args: list[Any] = [profile]
        if question_id is not None:
            sql += " AND question_id = ?"
            args.append(question_id)
        if since is not None:
            sql += " AND reviewed_at >= ?"
            args.append(_ts(since))
        if until is not None:
            sql += " AND reviewed_at < ?"
            args.append(_ts(until))
        sql += " ORDER BY reviewed_at, rating, id"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [_review_event(row) for row in rows]

    def review_count(self, profile: int) -> int:
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM reviews WHERE profile_id = ?", (profile,)
            ).fetchone()[0]

    def first_reviews_between(self, profile: int, start: datetime, end: datetime) -> int:
        """How many questions had their first-ever review in [start, end)."""
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM (SELECT MIN(reviewed_at) AS first FROM reviews "
                "WHERE profile_id = ? GROUP BY question_id) WHERE first >= ? AND first < ?",
                (profile, _ts(start), _ts(end)),
            ).fetchone()[0]

    # cards

    def get_card(self, profile: int, question_id: str) -> Card | None:
        """The question's FSRS card, None if it was never reviewed in this profile."""
        rec = self.card_record(profile, question_id)
        return None if rec is None else rec.card

    def card_record(self, profile: int, question_id: str) -> CardRecord | None:
        with self._lock:
            return self._card_in(self._conn, profile, question_id)

    def cards(self, profile: int) -> dict[str, CardRecord]:
        """Every card of the profile by question id, including questions no longer in the bank."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_CARD_COLUMNS} FROM cards WHERE profile_id = ? ORDER BY question_id",
                (profile,),
            ).fetchall()
        return {row["question_id"]: _card_record(row) for row in rows}

    def cards_due(self, profile: int, until: datetime) -> list[CardRecord]:
        """Cards due at or before `until`, earliest first (any question, in the bank or not)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_CARD_COLUMNS} FROM cards WHERE profile_id = ? AND due <= ? "
                "ORDER BY due, question_id",
                (profile, _ts(until)),
            ).fetchall()
        return [_card_record(row) for row in rows]

    def seen_ids(self, profile: int) -> set[str]:
        """Ids of every question reviewed at least once in this profile."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT question_id FROM cards WHERE profile_id = ?", (profile,)
            ).fetchall()
        return {row[0] for row in rows}

    def rebuild_cards(self, profile: int) -> int:
        """Recompute every card of the profile from its review log; returns how many."""
        with self._write() as conn:
            self._profile_in(conn, profile)
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT question_id FROM reviews WHERE profile_id = ?", (profile,)
                )
            ]
            conn.execute("DELETE FROM cards WHERE profile_id = ?", (profile,))
            for question_id in ids:
                self._replay_in(conn, profile, question_id)
        return len(ids)

    @staticmethod
    def _card_in(conn: sqlite3.Connection, profile: int, question_id: str) -> CardRecord | None:
        row = conn.execute(
            f"SELECT {_CARD_COLUMNS} FROM cards WHERE profile_id = ? AND question_id = ?",
            (profile, question_id),
        ).fetchone()
        return None if row is None else _card_record(row)

    @staticmethod
    def _put_card(conn: sqlite3.Connection, profile: int, rec: CardRecord) -> None:
        card = rec.card
        conn.execute(
            "INSERT OR REPLACE INTO cards (profile_id, question_id, card_id, state, step, "
            "stability, difficulty, due, last_review, reps, lapses) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                profile,
                rec.question_id,
                card.card_id,
                int(card.state),
                card.step,
                card.stability,
                card.difficulty,
                _ts(card.due),
                _ts(card.last_review),
                rec.reps,
                rec.lapses,
            ),
        )

    @classmethod
    def _replay_in(
        cls, conn: sqlite3.Connection, profile: int, question_id: str
    ) -> CardRecord | None:
        """Rebuild one card (and its reviews' `state_before`) from the log, inside a write."""
        rows = conn.execute(
            "SELECT id, rating, reviewed_at, desired_retention, duration_ms, state_before "
            "FROM reviews WHERE profile_id = ? AND question_id = ? "
            "ORDER BY reviewed_at, rating, id",
            (profile, question_id),
        ).fetchall()
        card: Card | None = None
        reps = lapses = 0
        for row in rows:
            before = None if card is None else int(card.state)
            if row["state_before"] != before:
                conn.execute(
                    "UPDATE reviews SET state_before = ? WHERE id = ?", (before, row["id"])
                )
            rating = Rating(row["rating"])
            card = apply_rating(
                card,
                question_id,
                rating,
                _dt(row["reviewed_at"]),
                desired_retention=row["desired_retention"],
                duration_ms=row["duration_ms"],
            )
            reps += 1
            lapses += before == State.Review and rating == Rating.Again
        if card is None:
            conn.execute(
                "DELETE FROM cards WHERE profile_id = ? AND question_id = ?",
                (profile, question_id),
            )
            return None
        rec = CardRecord(question_id, card, reps, lapses)
        cls._put_card(conn, profile, rec)
        return rec

    # export and import

    def export_profile(self, profile: int, *, now: datetime | None = None) -> dict:
        """The profile's settings and whole review log, as JSON-able data (see module docs)."""
        with self._read() as conn:
            p = self._profile_in(conn, profile)
            rows = conn.execute(
                "SELECT question_id, reviewed_at, kind, rating, correct, duration_ms, "
                "desired_retention FROM reviews WHERE profile_id = ? "
                "ORDER BY reviewed_at, question_id, rating",
                (profile,),
            ).fetchall()
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": _ts(now or datetime.now(UTC)),
            "profile": {
                "name": p.name,
                "language": p.language,
                "desired_retention": p.desired_retention,
                "new_per_day": p.new_per_day,
            },
            "reviews": [
                {
                    "question_id": row["question_id"],
                    "reviewed_at": row["reviewed_at"],
                    "kind": row["kind"],
                    "rating": row["rating"],
                    "correct": None if row["correct"] is None else bool(row["correct"]),
                    "duration_ms": row["duration_ms"],
                    "desired_retention": row["desired_retention"],
                }
                for row in rows
            ],
        }

    def export_json(self, profile: int, *, now: datetime | None = None) -> str:
        """`export_profile` as a UTF-8 JSON text, ready for a download button."""
        return json.dumps(self.export_profile(profile, now=now), ensure_ascii=False, indent=1)

    def import_progress(
        self, profile: int, data: dict | str | bytes, *, apply_settings: bool = False
    ) -> ImportResult:
        """Merge an export into `profile`: new reviews are added, known ones skipped, and the
        cards of every question that got a review are rebuilt by replaying its merged log.

        All or nothing: a malformed file raises `ProgressError` and changes nothing. With
        `apply_settings`, the file's language, retention and new-per-day replace the profile's.
        """
        reviews, settings = _parse_export(data)
        with self._write() as conn:
            current = self._profile_in(conn, profile)
            added = 0
            touched: set[str] = set()
            for r in reviews:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO reviews (profile_id, question_id, kind, rating, "
                    "correct, duration_ms, reviewed_at, desired_retention) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        profile,
                        r["question_id"],
                        r["kind"],
                        r["rating"],
                        r["correct"],
                        r["duration_ms"],
                        r["reviewed_at"],
                        r["desired_retention"] or current.desired_retention,
                    ),
                )
                if cur.rowcount:
                    added += 1
                    touched.add(r["question_id"])
            for question_id in sorted(touched):
                self._replay_in(conn, profile, question_id)
            if apply_settings and settings:
                for column, value in settings.items():
                    conn.execute(f"UPDATE profiles SET {column} = ? WHERE id = ?", (value, profile))
        return ImportResult(added, len(reviews) - added, len(touched))


def _parse_export(data: dict | str | bytes) -> tuple[list[dict], dict[str, Any]]:
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
            question_id = _check_question_id(item.get("question_id"))
            kind = item.get("kind", "recall")
            rating = rating_for(kind, rating=item.get("rating"))
            when = item.get("reviewed_at")
            if not isinstance(when, str):
                raise ValueError("reviewed_at must be an ISO 8601 string")
            at = _ts(datetime.fromisoformat(when))
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
                    "duration_ms": _check_duration(item.get("duration_ms")),
                    "reviewed_at": at,
                    "desired_retention": None if retention is None else _check_retention(retention),
                }
            )
        except (ValueError, TypeError) as err:
            raise ProgressError(f"review #{i} is invalid: {err}") from err
    settings: dict[str, Any] = {}
    p = data.get("profile")
    if isinstance(p, dict):
        try:
            if "language" in p:
                settings["language"] = _check_language(p["language"])
            if "desired_retention" in p:
                settings["desired_retention"] = _check_retention(p["desired_retention"])
            if "new_per_day" in p:
                settings["new_per_day"] = _check_new_per_day(p["new_per_day"])
        except ValueError as err:
            raise ProgressError(f"profile settings are invalid: {err}") from err
    return reviews, settings
