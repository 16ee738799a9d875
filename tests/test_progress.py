"""The SQLite progress store: durability, concurrency, profiles, migrations, export/import."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyapp.progress.scheduling import Rating, State, apply_rating
from studyapp.progress.store import (
    DB_ENV,
    SCHEMA_VERSION,
    ProgressError,
    ProgressStore,
    UnknownProfileError,
    default_db_path,
    migrate,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "progress.db"


@pytest.fixture
def store(db: Path):
    with ProgressStore(db) as s:
        yield s


@pytest.fixture
def pid(store: ProgressStore) -> int:
    return store.default_profile().id


def snapshot(store: ProgressStore, profile: int) -> dict:
    """Every card of a profile as comparable plain data."""
    return {
        qid: (rec.card.to_dict(), rec.reps, rec.lapses) for qid, rec in store.cards(profile).items()
    }


def review_keys(store: ProgressStore, profile: int) -> list[tuple]:
    return [
        (e.question_id, e.reviewed_at, e.rating, e.kind, e.correct, e.state_before)
        for e in store.reviews(profile)
    ]


def replayed(question_id: str, log: list[tuple[datetime, int]], retention: float = 0.9):
    card = None
    for at, rating in sorted(log):
        card = apply_rating(card, question_id, rating, at, desired_retention=retention)
    return card


def env_with_src() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# -- location and setup ------------------------------------------------------------------------


def test_default_path_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_db_path() == tmp_path / "home/.local/share/studyapp/progress.db"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_db_path() == tmp_path / "home/.local/share/studyapp/progress.db"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg/studyapp/progress.db"
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"
    with ProgressStore() as s:
        assert s.path == tmp_path / "env.db"
    assert (tmp_path / "env.db").exists()
    with ProgressStore(tmp_path / "sub" / "arg.db") as s:  # the argument wins, folders are made
        assert s.path == tmp_path / "sub" / "arg.db"
    assert (tmp_path / "sub" / "arg.db").exists()


def test_pragmas(store):
    assert store.journal_mode() == "wal"
    conn = store._conn
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migration_from_empty_file(db):
    db.write_bytes(b"")
    with ProgressStore(db) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert [p.name for p in s.list_profiles()] == ["default"]
        assert s.integrity_check() == "ok"
    with ProgressStore(db) as s:  # reopening migrates nothing and adds no second default
        assert [p.name for p in s.list_profiles()] == ["default"]
    raw = sqlite3.connect(db)
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "profiles", "reviews", "cards"} <= tables
    raw.close()


def test_migrate_function_on_raw_connection(tmp_path):
    conn = sqlite3.connect(tmp_path / "raw.db", isolation_level=None)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert migrate(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert migrate(conn) == SCHEMA_VERSION  # idempotent
    assert conn.execute("SELECT COUNT(*) FROM profiles").fetchone()[0] == 1
    conn.close()


def test_newer_schema_is_refused(db):
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProgressError, match="newer"):
        ProgressStore(db)


def test_not_a_database_is_refused(db):
    db.write_bytes(b"this is not sqlite, just some text that is long enough" * 20)
    with pytest.raises(ProgressError, match="is not a SQLite database: move it aside"):
        ProgressStore(db)


# -- reviews -----------------------------------------------------------------------------------


def test_review_is_on_disk_when_the_call_returns(store, db, pid):
    rec = store.record_review(pid, "q-one", kind="recall", rating=Rating.Good, reviewed_at=T0)
    other = sqlite3.connect(db)  # a second connection, as another process would see it
    row = other.execute(
        "SELECT question_id, rating, kind, reviewed_at FROM reviews WHERE id = ?",
        (rec.review_id,),
    ).fetchone()
    assert row == ("q-one", 3, "recall", "2026-11-22T09:00:00.000000+00:00")
    card = other.execute(
        "SELECT state, due, reps FROM cards WHERE question_id = 'q-one'"
    ).fetchone()
    assert card == (1, "2026-11-22T09:10:00.000000+00:00", 1)
    other.close()


def test_answer_kinds_map_to_ratings(store, pid):
    wrong = store.record_review(pid, "c", kind="choice", correct=False, reviewed_at=T0)
    right = store.record_review(pid, "n", kind="numeric", correct=True, reviewed_at=T0)
    chosen = store.record_review(
        pid, "c2", kind="choice", correct=True, rating=Rating.Easy, reviewed_at=T0
    )
    assert (wrong.rating, right.rating, chosen.rating) == (Rating.Again, Rating.Good, Rating.Easy)
    with pytest.raises(ValueError, match="self-rating"):
        store.record_review(pid, "r", kind="recall", reviewed_at=T0)
    with pytest.raises(ValueError, match="kind"):
        store.record_review(pid, "r", kind="essay", rating=3, reviewed_at=T0)
    with pytest.raises(ValueError, match="rating"):
        store.record_review(pid, "r", kind="recall", rating=5, reviewed_at=T0)
    with pytest.raises(ValueError, match="naive"):
        store.record_review(pid, "r", kind="recall", rating=3, reviewed_at=datetime(2026, 1, 1))
    with pytest.raises(UnknownProfileError):
        store.record_review(999, "r", kind="recall", rating=3, reviewed_at=T0)
    events = {e.question_id: e for e in store.reviews(pid)}
    assert events["c"].correct is False and events["c"].kind == "choice"
    assert events["n"].correct is True and events["n"].kind == "numeric"
    assert store.review_count(pid) == 3


def test_review_details_and_timezones(store, pid):
    plus8 = timezone(timedelta(hours=8))
    rec = store.record_review(
        pid, "q", kind="recall", rating=2, duration_ms=4200, reviewed_at=T0.astimezone(plus8)
    )
    assert rec.reviewed_at == T0 and rec.reviewed_at.tzinfo == UTC
    (event,) = store.reviews(pid)
    assert (event.duration_ms, event.reviewed_at, event.state_before) == (4200, T0, None)
    assert event.desired_retention == 0.9


def test_same_review_twice_is_recorded_once(store, pid):
    first = store.record_review(pid, "q", kind="recall", rating=3, reviewed_at=T0)
    again = store.record_review(pid, "q", kind="recall", rating=3, reviewed_at=T0)
    assert again.duplicate and again.review_id == first.review_id
    assert store.review_count(pid) == 1
    assert store.card_record(pid, "q").reps == 1


def test_card_state_follows_the_log(store, pid):
    times = [T0, T0 + timedelta(minutes=10), T0 + timedelta(days=3)]
    for at, rating in zip(times, [3, 3, 1], strict=True):
        store.record_review(pid, "q", kind="recall", rating=rating, reviewed_at=at)
    rec = store.card_record(pid, "q")
    assert rec.card.to_dict() == replayed("q", list(zip(times, [3, 3, 1], strict=True))).to_dict()
    assert (rec.state, rec.reps, rec.lapses) == (State.Relearning, 3, 1)
    assert [e.state_before for e in store.reviews(pid)] == [None, State.Learning, State.Review]


def test_late_review_replays_in_time_order(store, pid):
    log = [(T0, 3), (T0 + timedelta(minutes=10), 3), (T0 + timedelta(days=2), 4)]
    # Recorded out of order (e.g. a device with a slow clock): the card must still equal the
    # replay of the log sorted by time.
    for at, rating in [log[0], log[2], log[1]]:
        store.record_review(pid, "q", kind="recall", rating=rating, reviewed_at=at)
    assert store.get_card(pid, "q").to_dict() == replayed("q", log).to_dict()
    assert [e.state_before for e in store.reviews(pid)] == [None, State.Learning, State.Review]
    assert store.card_record(pid, "q").reps == 3


def test_delete_review_rebuilds_the_card(store, pid):
    a = store.record_review(pid, "q", kind="recall", rating=3, reviewed_at=T0)
    b = store.record_review(pid, "q", kind="recall", rating=1, reviewed_at=T0 + timedelta(hours=1))
    rec = store.delete_review(pid, b.review_id)
    assert rec.card.to_dict() == a.card.to_dict()
    assert store.delete_review(pid, a.review_id) is None
    assert store.get_card(pid, "q") is None
    with pytest.raises(LookupError):
        store.delete_review(pid, a.review_id)


def test_removed_question_keeps_its_history(store, pid):
    store.record_review(pid, "gone", kind="recall", rating=3, reviewed_at=T0)
    # The store does not know the bank: history stays whatever the bank contains.
    assert [e.question_id for e in store.reviews(pid, question_id="gone")] == ["gone"]
    assert store.seen_ids(pid) == {"gone"}


def test_retention_is_recorded_per_review_and_rebuild_keeps_it(store, pid):
    store.update_settings(pid, desired_retention=0.8)
    store.record_review(pid, "q", kind="recall", rating=4, reviewed_at=T0)
    store.update_settings(pid, desired_retention=0.95)
    store.record_review(pid, "q", kind="recall", rating=3, reviewed_at=T0 + timedelta(days=20))
    assert [e.desired_retention for e in store.reviews(pid)] == [0.8, 0.95]
    before = snapshot(store, pid)
    assert store.rebuild_cards(pid) == 1
    assert snapshot(store, pid) == before


# -- profiles ----------------------------------------------------------------------------------


def test_profile_lifecycle(store):
    default = store.default_profile()
    assert (default.name, default.language, default.desired_retention, default.new_per_day) == (
        "default",
        "en",
        0.9,
        10,
    )
    bob = store.create_profile("  Bob ", language="zh", desired_retention=0.85, new_per_day=5)
    assert (bob.name, bob.language, bob.desired_retention, bob.new_per_day) == (
        "Bob",
        "zh",
        0.85,
        5,
    )
    assert [p.name for p in store.list_profiles()] == ["default", "Bob"]
    with pytest.raises(ValueError, match="already exists"):
        store.create_profile("Bob")
    with pytest.raises(ValueError, match="already exists"):
        store.rename_profile(default.id, "Bob")
    assert store.rename_profile(bob.id, "Robert").name == "Robert"
    assert store.profile_by_name("Robert").id == bob.id
    store.set_default_profile(bob.id)
    assert store.default_profile().id == bob.id
    store.delete_profile(bob.id)
    assert store.default_profile().id == default.id  # falls back to the oldest
    with pytest.raises(ValueError, match="only profile"):
        store.delete_profile(default.id)
    with pytest.raises(UnknownProfileError):
        store.profile(bob.id)


def test_settings_validation(store, pid):
    p = store.update_settings(pid, language="zh", desired_retention=0.9500000001, new_per_day=0)
    assert (p.language, p.desired_retention, p.new_per_day) == ("zh", 0.95, 0)
    for bad in (
        {"language": "fr"},
        {"desired_retention": 0.5},
        {"desired_retention": 0.995},
        {"new_per_day": -1},
        {"new_per_day": 2.5},
    ):
        with pytest.raises(ValueError):
            store.update_settings(pid, **bad)
    assert store.profile(pid) == p  # nothing half-applied
    with pytest.raises(ValueError):
        store.create_profile("")


def test_profiles_are_isolated(store, pid):
    other = store.create_profile("other").id
    store.record_review(pid, "q", kind="recall", rating=3, reviewed_at=T0)
    store.record_review(other, "q", kind="recall", rating=1, reviewed_at=T0)
    store.record_review(other, "q2", kind="recall", rating=4, reviewed_at=T0)
    assert [e.rating for e in store.reviews(pid)] == [Rating.Good]
    assert store.seen_ids(pid) == {"q"} and store.seen_ids(other) == {"q", "q2"}
    assert store.get_card(pid, "q").step == 1 and store.get_card(other, "q").step == 0
    store.reset_profile(other)
    assert store.review_count(other) == 0 and store.cards(other) == {}
    assert store.review_count(pid) == 1
    store.record_review(other, "q", kind="recall", rating=1, reviewed_at=T0)
    store.delete_profile(other)  # cascades to its reviews and cards
    raw = store._conn
    assert (
        raw.execute("SELECT COUNT(*) FROM reviews WHERE profile_id = ?", (other,)).fetchone()[0]
        == 0
    )
    assert (
        raw.execute("SELECT COUNT(*) FROM cards WHERE profile_id = ?", (other,)).fetchone()[0] == 0
    )
    assert store.review_count(pid) == 1


# -- export and import -------------------------------------------------------------------------


def make_history(store: ProgressStore, profile: int) -> None:
    plan = [
        ("a", 0, 3),
        ("a", 10, 3),
        ("b", 5, 1),
        ("a", 3 * 1440, 1),
        ("b", 6, 3),
        ("c", 60, 4),
        ("a", 3 * 1440 + 10, 3),
        ("c", 9 * 1440, 2),
    ]
    for qid, minutes, rating in plan:
        kind = "recall" if qid != "b" else "choice"
        store.record_review(
            profile,
            qid,
            kind=kind,
            rating=rating,
            correct=None if kind == "recall" else rating != 1,
            duration_ms=1000 + minutes,
            reviewed_at=T0 + timedelta(minutes=minutes),
        )


def test_export_import_reproduces_cards(store, pid, tmp_path):
    store.update_settings(pid, language="zh", desired_retention=0.85)
    make_history(store, pid)
    data = json.loads(store.export_json(pid, now=T0))
    assert data["format"] == "studyapp-progress" and data["version"] == 2
    assert data["profile"] == {
        "name": "default",
        "language": "zh",
        "desired_retention": 0.85,
        "new_per_day": 10,
    }
    assert len(data["reviews"]) == 8
    with ProgressStore(tmp_path / "fresh.db") as fresh:
        target = fresh.default_profile().id
        result = fresh.import_progress(target, json.dumps(data), apply_settings=True)
        assert (result.added, result.duplicates, result.questions_rebuilt) == (8, 0, 3)
        assert snapshot(fresh, target) == snapshot(store, pid)
        assert review_keys(fresh, target) == review_keys(store, pid)
        assert fresh.profile(target).language == "zh"
        assert fresh.profile(target).desired_retention == 0.85


def test_importing_twice_changes_nothing(store, pid):
    make_history(store, pid)
    data = store.export_profile(pid)
    before, log = snapshot(store, pid), review_keys(store, pid)
    for _ in range(2):
        result = store.import_progress(pid, data)
        assert (result.added, result.duplicates, result.questions_rebuilt) == (0, 8, 0)
        assert snapshot(store, pid) == before and review_keys(store, pid) == log


def test_merging_two_devices_replays_in_time_order(tmp_path):
    t = [T0 + timedelta(days=d) for d in (0, 1, 4, 9)]
    with ProgressStore(tmp_path / "a.db") as a, ProgressStore(tmp_path / "b.db") as b:
        pa, pb = a.default_profile().id, b.default_profile().id
        # Device A saw q at t0 and t2, device B at t1 and t3; both also share the t0 review.
        a.record_review(pa, "q", kind="recall", rating=3, reviewed_at=t[0])
        a.record_review(pa, "q", kind="recall", rating=1, reviewed_at=t[2])
        b.record_review(pb, "q", kind="recall", rating=3, reviewed_at=t[0])
        b.record_review(pb, "q", kind="recall", rating=4, reviewed_at=t[1])
        b.record_review(pb, "q", kind="recall", rating=2, reviewed_at=t[3])
        export_a, export_b = a.export_profile(pa), b.export_profile(pb)
        assert a.import_progress(pa, export_b).added == 2
        assert b.import_progress(pb, export_a).added == 1
        merged = [(t[0], 3), (t[1], 4), (t[2], 1), (t[3], 2)]
        expected = replayed("q", merged).to_dict()
        assert a.get_card(pa, "q").to_dict() == expected
        assert snapshot(a, pa) == snapshot(b, pb)
        assert review_keys(a, pa) == review_keys(b, pb)
        assert [e.reviewed_at for e in a.reviews(pa)] == t
        assert a.card_record(pa, "q").reps == 4


def test_bad_import_changes_nothing(store, pid):
    make_history(store, pid)
    good = store.export_profile(pid)
    before = review_keys(store, pid)
    other = store.create_profile("other").id
    broken = json.loads(json.dumps(good))
    broken["reviews"].append(
        {"question_id": "z", "reviewed_at": "2026-01-01T00:00:00", "rating": 3}
    )
    cases = [
        "{not json",
        {"format": "something-else", "version": 1, "reviews": []},
        {**good, "version": 99},
        {**good, "reviews": "nope"},
        broken,  # naive timestamp in the last review: the earlier ones must not be kept
        {**good, "reviews": [{**good["reviews"][0], "rating": 7}]},
    ]
    for bad in cases:
        with pytest.raises(ProgressError):
            store.import_progress(other, bad)
    assert store.review_count(other) == 0
    assert review_keys(store, pid) == before


# -- durability and concurrency ----------------------------------------------------------------

WRITER = r"""
import sys
from datetime import datetime, timedelta, timezone
from studyapp.progress.store import ProgressStore

path, offset, step, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
store = ProgressStore(path)
profile = store.default_profile().id
base = datetime(2026, 11, 22, tzinfo=timezone.utc)
i = 0
while count < 0 or i < count:
    n = offset + i * step
    rec = store.record_review(
        profile, f"q{n % 5}", kind="choice", correct=n % 3 != 0,
        reviewed_at=base + timedelta(minutes=n),
    )
    print(rec.review_id, flush=True)
    i += 1
"""


def assert_consistent(store: ProgressStore, profile: int) -> None:
    """Every card is exactly the replay of its reviews."""
    before = snapshot(store, profile)
    counts: dict[str, int] = {}
    for e in store.reviews(profile):
        counts[e.question_id] = counts.get(e.question_id, 0) + 1
    assert {qid: reps for qid, (_, reps, _) in before.items()} == counts
    store.rebuild_cards(profile)
    assert snapshot(store, profile) == before


def test_sigkill_mid_burst_loses_no_confirmed_review(db):
    ProgressStore(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), "0", "1", "-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_with_src(),
    )
    confirmed: list[int] = []
    try:
        assert proc.stdout is not None
        while len(confirmed) < 150:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer died"
            confirmed.append(int(line))
        proc.send_signal(signal.SIGKILL)
        confirmed += [int(line) for line in proc.stdout.read().split()]
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with ProgressStore(db) as s:
        assert s.integrity_check() == "ok"
        profile = s.default_profile().id
        stored = {e.id for e in s.reviews(profile)}
        assert set(confirmed) <= stored
        assert len(stored) - len(confirmed) in (0, 1)  # at most the one committed, not printed
        assert_consistent(s, profile)


def test_two_processes_rating_at_once(db):
    # Both open a database that does not exist yet (racing to create and migrate it) and write
    # reviews of the same questions with interleaved times, so each also replays the other's.
    count = 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(offset), "2", str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_with_src(),
        )
        for offset in (0, 1)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
        assert len(out.split()) == count
    with ProgressStore(db) as s:
        profile = s.default_profile().id
        assert len(s.list_profiles()) == 1
        assert s.review_count(profile) == 2 * count
        minutes = sorted(
            int((e.reviewed_at - T0.replace(hour=0)).total_seconds() // 60)
            for e in s.reviews(profile)
        )
        assert minutes == list(range(2 * count))
        assert_consistent(s, profile)


def test_open_waits_for_a_writer_while_switching_to_wal(db):
    # Switching a rollback-journal file (as every new database starts) to WAL fails at once with
    # "database is locked" while another connection writes, without waiting on the busy timeout.
    # Two processes creating the database together hit this; the store must wait and retry.
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("CREATE TABLE scratch (x)")
    opened: list[ProgressStore] = []
    opener = threading.Thread(target=lambda: opened.append(ProgressStore(db)))
    opener.start()
    time.sleep(0.3)
    assert opener.is_alive() and not opened  # still waiting, not failed
    raw.execute("COMMIT")
    raw.close()
    opener.join(10)
    assert opened, "opening failed while another connection held the write lock"
    with opened[0] as s:
        assert s.journal_mode() == "wal"
        assert [p.name for p in s.list_profiles()] == ["default"]


@pytest.mark.parametrize("shared", [True, False], ids=["one-store", "store-per-thread"])
def test_threads_rating_at_once(db, shared):
    per_thread, threads = 30, 4
    first = ProgressStore(db)
    profile = first.default_profile().id
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(k: int) -> None:
        store = first if shared else ProgressStore(db)
        try:
            start.wait()
            for i in range(per_thread):
                store.record_review(
                    profile,
                    f"q{i % 3}",
                    kind="recall",
                    rating=1 + (i + k) % 4,
                    reviewed_at=T0 + timedelta(seconds=i * threads + k),
                )
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            if not shared:
                store.close()

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    assert first.review_count(profile) == per_thread * threads
    assert_consistent(first, profile)
    first.close()


# -- property ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["alpha", "beta", "gamma"]),
            st.sampled_from(list(Rating)),
            st.integers(min_value=1, max_value=120 * 24 * 60),  # minutes since the last review
        ),
        max_size=25,
    )
)
def test_any_rating_sequence_keeps_the_store_consistent(steps):
    with ProgressStore(":memory:") as store:
        profile = store.default_profile().id
        # The whole history stays in the past: imports refuse reviews dated after tomorrow.
        now = T0 - timedelta(days=25 * 120)
        last: dict[str, datetime] = {}
        made: dict[str, int] = {}
        for qid, rating, gap in steps:
            now += timedelta(minutes=gap)
            rec = store.record_review(profile, qid, kind="recall", rating=rating, reviewed_at=now)
            assert rec.card.last_review == now and rec.card.due >= now
            last[qid] = now
            made[qid] = made.get(qid, 0) + 1
        assert store.review_count(profile) == len(steps)
        cards = store.cards(profile)
        assert set(cards) == set(made)
        for qid, rec in cards.items():
            assert rec.reps == made[qid]
            assert rec.card.last_review == last[qid] and rec.card.due >= rec.card.last_review
        with ProgressStore(":memory:") as copy:
            target = copy.default_profile().id
            copy.import_progress(target, store.export_json(profile))
            assert snapshot(copy, target) == snapshot(store, profile)
        assert_consistent(store, profile)


def test_whole_module_is_fast_enough():
    # Guard against a change that makes reviews slow (e.g. a sleep in fsrs.Card()).
    with ProgressStore(":memory:") as store:
        profile = store.default_profile().id
        started = time.perf_counter()
        for i in range(200):
            store.record_review(
                profile, f"q{i}", kind="recall", rating=3, reviewed_at=T0 + timedelta(seconds=i)
            )
        assert time.perf_counter() - started < 5
