"""The progress database's SQL schema and its migrations.

Schema changes: `PRAGMA user_version` holds the schema version and `migrate` walks it up one
step at a time, each step in its own transaction. A database from a newer version is refused.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

from studyapp.progress.records import (
    ATTEMPT_ACTIONS,
    ATTEMPT_STATUSES,
    DEFAULT_NEW_PER_DAY,
    DEFAULT_PROFILE_NAME,
    MAX_NEW_PER_DAY,
    ProgressError,
    iso_utc,
)
from studyapp.progress.scheduling import DEFAULT_RETENTION, MAX_RETENTION, MIN_RETENTION

SCHEMA_VERSION = 3

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
        (DEFAULT_PROFILE_NAME, iso_utc(datetime.now(UTC))),
    )


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    # Per-profile study choices (Review's topic filter, a quiz in progress) as JSON text, so that
    # a reload or another device finds them; deleted with the profile.
    conn.execute(
        """CREATE TABLE profile_settings (
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (profile_id, key)
        ) WITHOUT ROWID"""
    )


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)  # constants of this package only


_REVIEWS_V3 = """CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('recall', 'choice', 'numeric', 'code')),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    correct INTEGER CHECK (correct IN (0, 1)),
    duration_ms INTEGER CHECK (duration_ms >= 0),
    reviewed_at TEXT NOT NULL,
    desired_retention REAL NOT NULL,
    state_before INTEGER CHECK (state_before IN (1, 2, 3)),
    UNIQUE (profile_id, question_id, reviewed_at, rating)
)"""


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    # Code exercises: a review's kind may be 'code'. SQLite cannot alter a CHECK constraint, so
    # the table is rebuilt under the same name, copying every row with its id (undo and rating
    # changes refer to reviews by id). Nothing references `reviews`, so dropping it is safe with
    # foreign keys on.
    conn.execute(_REVIEWS_V3.replace("CREATE TABLE reviews", "CREATE TABLE reviews_v3", 1))
    conn.execute(
        "INSERT INTO reviews_v3 (id, profile_id, question_id, kind, rating, correct, "
        "duration_ms, reviewed_at, desired_retention, state_before) SELECT id, profile_id, "
        "question_id, kind, rating, correct, duration_ms, reviewed_at, desired_retention, "
        "state_before FROM reviews"
    )
    conn.execute("DROP TABLE reviews")
    conn.execute("ALTER TABLE reviews_v3 RENAME TO reviews")
    conn.execute("CREATE INDEX reviews_by_time ON reviews (profile_id, reviewed_at)")
    # Every Run and Submit of a code exercise; `tests` is the per-test results as JSON. The
    # unique key lets an import of the same export skip attempts it already has.
    conn.execute(
        f"""CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            attempted_at TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ({_sql_list(ATTEMPT_ACTIONS)})),
            code TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ({_sql_list(ATTEMPT_STATUSES)})),
            tests TEXT NOT NULL CHECK (json_valid(tests)),
            seconds REAL CHECK (seconds >= 0),
            UNIQUE (profile_id, question_id, attempted_at, action)
        )"""
    )


# MIGRATIONS[v] takes a database at schema version v to v + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_0_to_1,
    _migrate_1_to_2,
    _migrate_2_to_3,
]
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


def enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
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
