"""Study progress in SQLite: profiles, every review as an event, each question's FSRS card, and
every Run and Submit of a code exercise (attempts: the code and each test's outcome).

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
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from studyapp.progress.migrations import SCHEMA_VERSION, enable_wal, migrate
from studyapp.progress.records import (
    ATTEMPT_COLUMNS,
    CARD_COLUMNS,
    DEFAULT_NEW_PER_DAY,
    DEFAULT_PROFILE_NAME,
    LANGUAGES,
    REVIEW_COLUMNS,
    Attempt,
    CardRecord,
    ImportResult,
    Profile,
    ProgressError,
    RecordedReview,
    ReviewEvent,
    UnknownProfileError,
    attempt_from_row,
    attempt_tests_from_result,
    card_from_row,
    check_attempt_action,
    check_attempt_seconds,
    check_attempt_status,
    check_code,
    check_duration,
    check_language,
    check_name,
    check_new_per_day,
    check_question_id,
    check_retention,
    from_iso,
    iso_utc,
    profile_from_row,
    review_from_row,
)
from studyapp.progress.scheduling import (
    DEFAULT_RETENTION,
    Card,
    Rating,
    State,
    apply_rating,
    rating_for,
    to_utc,
)
from studyapp.progress.transfer import EXPORT_FORMAT, EXPORT_VERSION, parse_progress

__all__ = [
    "DB_ENV",
    "DEFAULT_NEW_PER_DAY",
    "DEFAULT_PROFILE_NAME",
    "LANGUAGES",
    "SCHEMA_VERSION",
    "Attempt",
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
BUSY_TIMEOUT_S = 30.0
IMPORT_ATTEMPTS = 3


def default_db_path() -> Path:
    """`$STUDYAPP_DB`, else `$XDG_DATA_HOME/studyapp/progress.db`, else under ~/.local/share."""
    if env := os.environ.get(DB_ENV):
        return Path(env).expanduser()
    return standard_db_path()


def standard_db_path() -> Path:
    """The user data folder's progress.db: `$XDG_DATA_HOME` or ~/.local/share."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says to ignore relative paths.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "studyapp" / "progress.db"


def create_private(path: Path) -> None:
    """Create the database file (and any missing folder) readable by its owner only, before
    SQLite opens it: progress is personal. SQLite gives its -wal and -shm files the mode of the
    database file. An existing file or folder is left as it is."""
    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_private(path: Path) -> None:
    """Take group and other permissions off an existing database, its -wal and -shm files and
    its folder, where they are the user's own."""
    for p in (path.parent, path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(FileNotFoundError):
            info = p.stat()
            if info.st_uid == os.geteuid() and info.st_mode & 0o077:
                p.chmod(stat.S_IMODE(info.st_mode) & 0o700)


_WHAT_TO_DO = {
    sqlite3.SQLITE_READONLY: "it or its folder is read-only: make both writable by you",
    sqlite3.SQLITE_FULL: "the disk is full: free some space",
    sqlite3.SQLITE_NOTADB: "it is not a SQLite database: move it aside (a new one is then made)",
    sqlite3.SQLITE_CORRUPT: "it is damaged: move it aside and import your last export",
    sqlite3.SQLITE_CANTOPEN: "it cannot be opened, or no journal can be created next to it: make "
    "it and its folder writable by you",
    sqlite3.SQLITE_PERM: "access is denied: make it and its folder readable and writable by you",
    sqlite3.SQLITE_IOERR: "the disk reported an error: check the disk and free space",
}


def unusable(path: Path, err: sqlite3.Error) -> ProgressError:
    """A ProgressError saying what is wrong with which file and what to do."""
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF
    advice = _WHAT_TO_DO.get(code, "a database error")
    return ProgressError(
        f"The progress database {path} cannot be used ({err}); {advice}. Nothing was saved. "
        "Or start with another file: `studyapp --db PATH`."
    )


class ProgressStore:
    """The progress database. Open once per process (e.g. `st.cache_resource`) and share it."""

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout: float = BUSY_TIMEOUT_S
    ):
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        memory = str(path) == ":memory:"
        if not memory:
            try:
                if self.path == standard_db_path():  # earlier versions left it readable
                    make_private(self.path)
                create_private(self.path)
            except OSError as err:
                raise ProgressError(
                    f"cannot create the progress database {self.path}: {err.strerror}. Make its "
                    "folder writable by you, or choose another file with `studyapp --db PATH`."
                ) from err
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                ":memory:" if memory else self.path,
                timeout=timeout,
                isolation_level=None,  # autocommit; transactions are explicit
                check_same_thread=False,  # shared between threads under self._lock
            )
        except sqlite3.Error as err:
            raise unusable(self.path, err) from err
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if not memory:
                enable_wal(self._conn, timeout)
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            migrate(self._conn)
        except sqlite3.Error as err:
            self._conn.close()
            raise unusable(self.path, err) from err
        except ProgressError as err:  # a newer schema
            self._conn.close()
            raise ProgressError(
                f"{err}. The file is {self.path}; or choose another with `studyapp --db PATH`."
            ) from err
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
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.IntegrityError:  # a constraint: the caller says which (e.g. a name)
                self._rollback()
                raise
            except sqlite3.Error as err:  # read-only, disk full, damaged file: nothing was saved
                self._rollback()
                raise unusable(self.path, err) from err
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            # SQLite may have rolled back already (e.g. after SQLITE_FULL during COMMIT)
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query in the block sees the same snapshot."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as err:
                raise unusable(self.path, err) from err

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
        return [profile_from_row(row) for row in rows]

    def profile(self, profile: int) -> Profile:
        """One profile by id (`UnknownProfileError` if there is none)."""
        with self._lock:
            return self._profile_in(self._conn, profile)

    def profile_by_name(self, name: str) -> Profile | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM profiles WHERE name = ?", (name.strip(),)
            ).fetchone()
        return None if row is None else profile_from_row(row)

    @staticmethod
    def _profile_in(conn: sqlite3.Connection, profile: int) -> Profile:
        row = conn.execute("SELECT * FROM profiles WHERE id = ?", (profile,)).fetchone()
        if row is None:
            raise UnknownProfileError(f"no profile with id {profile}")
        return profile_from_row(row)

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
        return profile_from_row(row)

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
            check_name(name),
            check_language(language),
            check_retention(desired_retention),
            check_new_per_day(new_per_day),
            iso_utc(datetime.now(UTC)),
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
        name = check_name(name)
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
            changes["language"] = check_language(language)
        if desired_retention is not None:
            changes["desired_retention"] = check_retention(desired_retention)
        if new_per_day is not None:
            changes["new_per_day"] = check_new_per_day(new_per_day)
        with self._write() as conn:
            self._profile_in(conn, profile)
            for column, value in changes.items():  # column names come from the code above
                conn.execute(f"UPDATE profiles SET {column} = ? WHERE id = ?", (value, profile))
            return self._profile_in(conn, profile)

    def reset_profile(self, profile: int) -> None:
        """Forget a profile's reviews, cards and exercise attempts, keeping the profile and its
        settings."""
        with self._write() as conn:
            self._profile_in(conn, profile)
            conn.execute("DELETE FROM reviews WHERE profile_id = ?", (profile,))
            conn.execute("DELETE FROM cards WHERE profile_id = ?", (profile,))
            conn.execute("DELETE FROM attempts WHERE profile_id = ?", (profile,))

    def study_setting(self, profile: int, key: str) -> Any:
        """A study choice saved with `save_study_setting` (JSON data), None if there is none."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM profile_settings WHERE profile_id = ? AND key = ?",
                (profile, key),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def save_study_setting(self, profile: int, key: str, value: Any) -> None:
        """Keep a JSON-able study choice (filters, a quiz in progress) for the profile; None
        forgets it."""
        with self._write() as conn:
            self._profile_in(conn, profile)
            if value is None:
                conn.execute(
                    "DELETE FROM profile_settings WHERE profile_id = ? AND key = ?",
                    (profile, key),
                )
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO profile_settings (profile_id, key, value) "
                    "VALUES (?, ?, ?)",
                    (profile, key, json.dumps(value, ensure_ascii=False)),
                )

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
        question_id = check_question_id(question_id)
        final = rating_for(kind, correct=correct, rating=rating)
        duration_ms = check_duration(duration_ms)
        at = to_utc(reviewed_at) if reviewed_at is not None else datetime.now(UTC)
        at_text = iso_utc(at)
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

    def change_rating(self, profile: int, review_id: int, rating: Rating | int) -> CardRecord:
        """Replace the rating of one review (the learner overrides an automatic grade) and
        rebuild the question's card, in one transaction."""
        final = rating_for("recall", rating=rating)
        with self._write() as conn:
            row = conn.execute(
                "SELECT question_id FROM reviews WHERE id = ? AND profile_id = ?",
                (review_id, profile),
            ).fetchone()
            if row is None:
                raise LookupError(f"no review {review_id} in profile {profile}")
            conn.execute("UPDATE reviews SET rating = ? WHERE id = ?", (int(final), review_id))
            rebuilt = self._replay_in(conn, profile, row[0])
            assert rebuilt is not None
            return rebuilt

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
        sql = f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE profile_id = ?"
        args: list[Any] = [profile]
        if question_id is not None:
            sql += " AND question_id = ?"
            args.append(question_id)
        if since is not None:
            sql += " AND reviewed_at >= ?"
            args.append(iso_utc(since))
        if until is not None:
            sql += " AND reviewed_at < ?"
            args.append(iso_utc(until))
        sql += " ORDER BY reviewed_at, rating, id"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [review_from_row(row) for row in rows]

    def review_count(self, profile: int) -> int:
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM reviews WHERE profile_id = ?", (profile,)
            ).fetchone()[0]

    def reviewed_in(self, profile: int, spans: list[tuple[datetime, datetime]]) -> list[bool]:
        """For each [start, end), whether the profile has a review in it: one query, one index
        probe per span, however long the history."""
        bounds = json.dumps([[iso_utc(start), iso_utc(end)] for start, end in spans])
        with self._lock:
            rows = self._conn.execute(
                "SELECT EXISTS (SELECT 1 FROM reviews WHERE profile_id = ? "
                "AND reviewed_at >= json_extract(s.value, '$[0]') "
                "AND reviewed_at < json_extract(s.value, '$[1]')) "
                "FROM json_each(?) AS s ORDER BY s.key",
                (profile, bounds),
            ).fetchall()
        return [bool(row[0]) for row in rows]

    def first_reviews_between(self, profile: int, start: datetime, end: datetime) -> int:
        """How many questions had their first-ever review in [start, end)."""
        with self._lock:
            # From the span's reviews, each checked for an earlier one by an index probe: the
            # whole history is never scanned.
            return self._conn.execute(
                "SELECT COUNT(DISTINCT question_id) FROM reviews AS r WHERE profile_id = ? "
                "AND reviewed_at >= ? AND reviewed_at < ? AND NOT EXISTS (SELECT 1 FROM reviews "
                "WHERE profile_id = r.profile_id AND question_id = r.question_id "
                "AND reviewed_at < ?)",
                (profile, iso_utc(start), iso_utc(end), iso_utc(start)),
            ).fetchone()[0]

    # code-exercise attempts

    def record_attempt(
        self,
        profile: int,
        question_id: str,
        *,
        action: str,
        code: str,
        status: str,
        tests: list[dict],
        seconds: float | None = None,
        attempted_at: datetime | None = None,
    ) -> Attempt:
        """Keep one Run or Submit of a code exercise: the code, the overall status and each
        test's id, status, message and recognised mistake (messages over the cap are cut).

        Durable on disk when this returns. `ValueError` for an unknown action or status, or code
        over `MAX_CODE_CHARS`; nothing is written then.
        """
        values = (
            check_question_id(question_id),
            iso_utc(to_utc(attempted_at) if attempted_at is not None else datetime.now(UTC)),
            check_attempt_action(action),
            check_code(code),
            check_attempt_status(status),
            json.dumps(attempt_tests_from_result(tests), ensure_ascii=False),
            check_attempt_seconds(seconds),
        )
        with self._write() as conn:
            self._profile_in(conn, profile)
            # Two attempts in the same microsecond would collide on the unique key: the later one
            # moves on by a microsecond, so none is lost.
            insert = (
                "INSERT OR IGNORE INTO attempts (profile_id, question_id, attempted_at, action, "
                "code, status, tests, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            )
            cur = conn.execute(insert, (profile, *values))
            if not cur.rowcount:
                later = iso_utc(from_iso(values[1]) + timedelta(microseconds=1))
                cur = conn.execute(insert, (profile, values[0], later, *values[2:]))
            found = conn.execute(
                f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
        return attempt_from_row(found)

    def attempts(self, profile: int, question_id: str | None = None) -> list[Attempt]:
        """The profile's attempts in time order, of one exercise or of all."""
        sql = f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE profile_id = ?"
        args: list[Any] = [profile]
        if question_id is not None:
            sql += " AND question_id = ?"
            args.append(question_id)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY attempted_at, id", args).fetchall()
        return [attempt_from_row(row) for row in rows]

    def exercise_status(self, profile: int) -> dict[str, str]:
        """Each attempted exercise's best outcome so far: "solved" if a Submit passed, else
        "tried"."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT question_id, MAX(action = 'submit' AND status = 'passed') FROM attempts "
                "WHERE profile_id = ? GROUP BY question_id",
                (profile,),
            ).fetchall()
        return {row[0]: "solved" if row[1] else "tried" for row in rows}

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
                f"SELECT {CARD_COLUMNS} FROM cards WHERE profile_id = ? ORDER BY question_id",
                (profile,),
            ).fetchall()
        return {row["question_id"]: card_from_row(row) for row in rows}

    def cards_due(self, profile: int, until: datetime) -> list[CardRecord]:
        """Cards due at or before `until`, earliest first (any question, in the bank or not)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {CARD_COLUMNS} FROM cards WHERE profile_id = ? AND due <= ? "
                "ORDER BY due, question_id",
                (profile, iso_utc(until)),
            ).fetchall()
        return [card_from_row(row) for row in rows]

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
            f"SELECT {CARD_COLUMNS} FROM cards WHERE profile_id = ? AND question_id = ?",
            (profile, question_id),
        ).fetchone()
        return None if row is None else card_from_row(row)

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
                iso_utc(card.due),
                iso_utc(card.last_review),
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
        rec, befores = replayed(question_id, rows)
        conn.executemany(
            "UPDATE reviews SET state_before = ? WHERE id = ?",
            [
                (b, row["id"])
                for row, b in zip(rows, befores, strict=True)
                if row["state_before"] != b
            ],
        )
        if rec is None:
            conn.execute(
                "DELETE FROM cards WHERE profile_id = ? AND question_id = ?",
                (profile, question_id),
            )
            return None
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
            attempt_rows = conn.execute(
                f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE profile_id = ? "
                "ORDER BY attempted_at, id",
                (profile,),
            ).fetchall()
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": iso_utc(now or datetime.now(UTC)),
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
            "attempts": [
                {
                    "question_id": a.question_id,
                    "attempted_at": iso_utc(a.attempted_at),
                    "action": a.action,
                    "code": a.code,
                    "status": a.status,
                    "tests": a.tests,
                    "seconds": a.seconds,
                }
                for a in map(attempt_from_row, attempt_rows)
            ],
        }

    def export_json(self, profile: int, *, now: datetime | None = None) -> str:
        """`export_profile` as a UTF-8 JSON text, ready for a download button."""
        return json.dumps(self.export_profile(profile, now=now), ensure_ascii=False, indent=1)

    def import_progress(
        self,
        profile: int,
        data: dict | str | bytes,
        *,
        apply_settings: bool = False,
        progress: Callable[[float], None] | None = None,
    ) -> ImportResult:
        """Merge an export into `profile`: new reviews are added, known ones skipped, and the
        cards of every question that got a review are rebuilt by replaying its merged log.

        All or nothing: a malformed file raises `ProgressError` and changes nothing. With
        `apply_settings`, the file's language, retention and new-per-day replace the profile's.

        Other sessions keep reviewing meanwhile: the file is checked and the merged cards are
        computed from a snapshot without the write lock; the write is one short transaction,
        planned again if the snapshot's reviews changed in between. `progress(fraction)` is
        called as the work advances, for a progress bar.
        """
        report = progress or (lambda fraction: None)
        reviews, settings, attempts = parse_progress(data)
        report(0.1)
        plan = None
        for _ in range(IMPORT_ATTEMPTS):
            plan = self._plan_import(profile, reviews, report)
            report(0.9)
            with self._write() as conn:
                if self._import_snapshot(conn, profile, plan.question_ids) != plan.snapshot:
                    continue  # a review of one of these questions came in: plan again
                conn.executemany(
                    "INSERT INTO reviews (profile_id, question_id, kind, rating, correct, "
                    "duration_ms, reviewed_at, desired_retention, state_before) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    plan.new_rows,
                )
                conn.executemany(
                    "UPDATE reviews SET state_before = ? WHERE id = ?", plan.state_updates
                )
                for rec in plan.cards:
                    self._put_card(conn, profile, rec)
                attempts_added = self._import_attempts(conn, profile, attempts)
                self._apply_imported_settings(conn, profile, settings, apply_settings)
                break
        else:  # the questions kept changing: do it all under the lock
            with self._write() as conn:
                plan = self._import_in(conn, profile, reviews)
                attempts_added = self._import_attempts(conn, profile, attempts)
                self._apply_imported_settings(conn, profile, settings, apply_settings)
        report(1.0)
        added = len(plan.new_rows)
        return ImportResult(added, len(reviews) - added, len(plan.cards), attempts_added)

    @staticmethod
    def _import_attempts(conn: sqlite3.Connection, profile: int, attempts: list[dict]) -> int:
        """Add the file's attempts that are not there yet (same exercise, time and action)."""
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO attempts (profile_id, question_id, attempted_at, action, code, "
            "status, tests, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    profile,
                    a["question_id"],
                    a["attempted_at"],
                    a["action"],
                    a["code"],
                    a["status"],
                    json.dumps(a["tests"], ensure_ascii=False),
                    a["seconds"],
                )
                for a in attempts
            ],
        )
        return conn.total_changes - before

    @staticmethod
    def _apply_imported_settings(
        conn: sqlite3.Connection, profile: int, settings: dict[str, Any], apply: bool
    ) -> None:
        if apply:
            for column, value in settings.items():  # column names come from parse_export
                conn.execute(f"UPDATE profiles SET {column} = ? WHERE id = ?", (value, profile))

    @staticmethod
    def _import_snapshot(conn: sqlite3.Connection, profile: int, question_ids: str) -> tuple:
        """What an import's plan depends on: the profile's retention and every review of the
        file's questions (`question_ids` as a JSON list), in log order."""
        retention = ProgressStore._profile_in(conn, profile).desired_retention
        rows = conn.execute(
            "SELECT id, question_id, rating, reviewed_at, desired_retention, duration_ms, "
            "state_before FROM reviews WHERE profile_id = ? AND question_id IN "
            "(SELECT value FROM json_each(?)) ORDER BY question_id, reviewed_at, rating, id",
            (profile, question_ids),
        ).fetchall()
        return retention, tuple(tuple(row) for row in rows)

    @contextmanager
    def _snapshot_connection(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own for long reads, so that they hold up no other session."""
        if str(self.path) == ":memory:":  # one connection sees an in-memory database
            with self._read() as conn:
                yield conn
            return
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN")
            yield conn
        except sqlite3.Error as err:
            raise unusable(self.path, err) from err
        finally:
            conn.close()

    def _plan_import(
        self, profile: int, reviews: list[dict], report: Callable[[float], None]
    ) -> _ImportPlan:
        question_ids = json.dumps(sorted({r["question_id"] for r in reviews}))
        with self._snapshot_connection() as conn:
            snapshot = self._import_snapshot(conn, profile, question_ids)
        retention, rows = snapshot
        columns = ("id", "question_id", "rating", "reviewed_at", "desired_retention")
        columns += ("duration_ms", "state_before")
        logs: dict[str, list[dict]] = {}
        for row in rows:
            logs.setdefault(row[1], []).append(dict(zip(columns, row, strict=True)))
        known = {
            (r["question_id"], r["reviewed_at"], r["rating"]) for log in logs.values() for r in log
        }
        new: dict[str, list[dict]] = {}
        for r in reviews:
            key = (r["question_id"], r["reviewed_at"], r["rating"])
            if key not in known:  # already recorded, or twice in the file
                known.add(key)
                new.setdefault(r["question_id"], []).append(
                    {**r, "id": None, "desired_retention": r["desired_retention"] or retention}
                )
        plan = _ImportPlan(question_ids, snapshot)
        for done, (question_id, added) in enumerate(sorted(new.items())):
            log = sorted(
                logs.get(question_id, []) + added, key=lambda r: (r["reviewed_at"], r["rating"])
            )
            rec, befores = replayed(question_id, log)
            for r, before in zip(log, befores, strict=True):
                if r["id"] is None:
                    plan.new_rows.append(
                        (
                            profile,
                            question_id,
                            r["kind"],
                            r["rating"],
                            r["correct"],
                            r["duration_ms"],
                            r["reviewed_at"],
                            r["desired_retention"],
                            before,
                        )
                    )
                elif r["state_before"] != before:
                    plan.state_updates.append((before, r["id"]))
            assert rec is not None
            plan.cards.append(rec)
            if done % 20 == 0:
                report(0.1 + 0.8 * done / len(new))
        return plan

    def _import_in(
        self, conn: sqlite3.Connection, profile: int, reviews: list[dict]
    ) -> _ImportPlan:
        """The whole import inside one write transaction (the fallback of `import_progress`)."""
        retention = self._profile_in(conn, profile).desired_retention
        plan = _ImportPlan("", ())
        touched: set[str] = set()
        for r in reviews:
            row = (
                profile,
                r["question_id"],
                r["kind"],
                r["rating"],
                r["correct"],
                r["duration_ms"],
                r["reviewed_at"],
                r["desired_retention"] or retention,
            )
            cur = conn.execute(
                "INSERT OR IGNORE INTO reviews (profile_id, question_id, kind, rating, "
                "correct, duration_ms, reviewed_at, desired_retention) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            if cur.rowcount:
                plan.new_rows.append(row)
                touched.add(r["question_id"])
        plan.cards = [self._replay_in(conn, profile, q) for q in sorted(touched)]
        return plan


@dataclass
class _ImportPlan:
    """What an import will write, computed from `snapshot` (see `_import_snapshot`)."""

    question_ids: str
    snapshot: tuple
    new_rows: list[tuple] = field(default_factory=list)
    state_updates: list[tuple[int | None, int]] = field(default_factory=list)
    cards: list[CardRecord] = field(default_factory=list)


def replayed(question_id: str, log) -> tuple[CardRecord | None, list[int | None]]:
    """One question's reviews (rows with rating, reviewed_at, desired_retention, duration_ms, in
    log order) replayed through the scheduler: the card after them (None if there are none) and
    the state the card was in before each review (None for the first)."""
    card: Card | None = None
    reps = lapses = 0
    befores: list[int | None] = []
    for row in log:
        before = None if card is None else int(card.state)
        befores.append(before)
        rating = Rating(row["rating"])
        card = apply_rating(
            card,
            question_id,
            rating,
            from_iso(row["reviewed_at"]),
            desired_retention=row["desired_retention"],
            duration_ms=row["duration_ms"],
        )
        reps += 1
        lapses += before == State.Review and rating == Rating.Again
    return (None if card is None else CardRecord(question_id, card, reps, lapses)), befores
