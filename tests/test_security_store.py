"""An unusable progress database (read-only file or folder, not a database, newer schema, disk
full) raises one ProgressError naming the file and what to do; the app shows it as one plain page
and never confirms a review that was not saved. A new database is private to its owner."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studyapp.app import widgets
from studyapp.progress.migrations import SCHEMA_VERSION
from studyapp.progress.store import ProgressError, ProgressStore, default_db_path
from tests.bankfixtures import REPO, study_bank

APP = str(REPO / "studyapp" / "app" / "main.py")
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def fill_the_disk(store: ProgressStore) -> None:
    """From now on the file cannot grow: SQLite answers SQLITE_FULL, as on a full disk."""
    with store._lock:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")


def test_disk_full_raises_a_clear_error_and_keeps_what_was_saved(tmp_path):
    with ProgressStore(tmp_path / "p.db") as store:
        pid = store.default_profile().id
        store.record_review(pid, "kept", kind="recall", rating=3, reviewed_at=T0)
        fill_the_disk(store)
        with pytest.raises(ProgressError) as err:
            for i in range(2000):  # the first page that does not fit
                store.record_review(
                    pid, f"q-{i}", kind="recall", rating=3, reviewed_at=T0 + timedelta(minutes=i)
                )
        message = str(err.value)
        assert str(tmp_path / "p.db") in message
        assert "the disk is full: free some space" in message and "Nothing was saved" in message
        saved = [e.question_id for e in store.reviews(pid)]
        assert saved[0] == "kept"
        failed = f"q-{len(saved) - 1}"
        assert store.get_card(pid, failed) is None  # the failed review left no trace
        assert store.integrity_check() == "ok"


def test_not_a_database_and_newer_schema_name_the_file_and_what_to_do(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all, " * 100)
    with pytest.raises(ProgressError, match="is not a SQLite database: move it aside") as err:
        ProgressStore(junk)
    assert str(junk) in str(err.value) and "studyapp --db PATH" in str(err.value)
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProgressError, match="upgrade studyapp") as err:
        ProgressStore(newer)
    assert str(newer) in str(err.value)


@pytest.fixture
def shared_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    yield folder
    folder.chmod(0o755)  # so that pytest can clean up


OPEN_AND_WRITE = """
import sys
from studyapp.progress.store import ProgressError, ProgressStore
try:
    with ProgressStore(sys.argv[1]) as store:
        store.record_review(store.default_profile().id, "q", kind="recall", rating=3)
except ProgressError as err:
    print("ProgressError:", err)
else:
    print("saved")
"""


def open_without_override(db: Path) -> str:
    """Open and write `db` in a process that file modes apply to: root, stripped of the
    capabilities that let it write anything."""
    command = [sys.executable, "-c", OPEN_AND_WRITE, str(db)]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: file modes do not apply")
        drop = "-dac_override,-dac_read_search,-fowner"
        command = ["setpriv", "--bounding-set", drop, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_read_only_file_is_refused_clearly(shared_dir):
    db = shared_dir / "p.db"
    ProgressStore(db).close()
    db.chmod(0o444)
    out = open_without_override(db)
    assert out.startswith("ProgressError: The progress database " + str(db))
    assert "read-only" in out or "cannot be opened" in out
    assert "Nothing was saved" in out


def test_read_only_folder_is_refused_clearly(shared_dir):
    db = shared_dir / "p.db"
    ProgressStore(db).close()
    for name in ("p.db-wal", "p.db-shm"):
        (shared_dir / name).unlink(missing_ok=True)
    shared_dir.chmod(0o555)  # the file stays writable, but no journal can be made next to it
    out = open_without_override(db)
    assert out.startswith("ProgressError: The progress database " + str(db)), out
    assert "folder" in out


def test_missing_folder_that_cannot_be_created_is_refused_clearly(shared_dir):
    shared_dir.chmod(0o555)
    out = open_without_override(shared_dir / "sub" / "p.db")
    assert out.startswith("ProgressError: cannot create the progress database"), out
    assert "studyapp --db PATH" in out


def test_new_database_and_its_folder_are_private(tmp_path, monkeypatch):
    monkeypatch.delenv("STUDYAPP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = os.umask(0o022)  # the usual umask: files world-readable unless asked otherwise
    try:
        path = default_db_path()
        with ProgressStore() as store:
            store.record_review(store.default_profile().id, "q", kind="recall", rating=3)
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in [path.parent, path.parent.parent, *path.parent.glob("progress.db*")]
            }
    finally:
        os.umask(old)
    assert modes == {
        "studyapp": 0o700,
        "data": 0o700,
        "progress.db": 0o600,
        "progress.db-wal": 0o600,
        "progress.db-shm": 0o600,
    }


def test_an_existing_folder_keeps_its_mode(tmp_path):
    tmp_path.chmod(0o755)
    ProgressStore(tmp_path / "p.db").close()
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "p.db").stat().st_mode) == 0o600


# -- in the app ---------------------------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    bank = study_bank(tmp_path / "questions")
    monkeypatch.setenv("STUDYAPP_BANK", str(bank))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path / "progress.db"
    st.cache_resource.clear()


def test_an_unusable_database_is_one_plain_page(app_env):
    app_env.write_bytes(b"not a database at all, " * 100)
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.title[0].value == "无法使用学习进度"
    [shown] = at.code
    assert str(app_env) in shown.value and "is not a SQLite database" in shown.value


def test_a_review_that_failed_to_save_is_never_confirmed(app_env):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("app_pages/quiz.py").run()
    at.multiselect(key="quiz_types").select("recall").run()
    at.button(key="quiz_start").click().run()
    [reveal] = [b for b in at.button if b.label == "Show answer"]
    reveal.click().run()
    store = widgets.store()  # the very store the app's script uses (cached in this process)
    with store._lock:  # from now on every write fails as on a file made read-only meanwhile
        store._conn.execute("PRAGMA query_only = ON")
    before = store.review_count(store.default_profile().id)
    [good] = [b for b in at.button if b.label.startswith("Good ·")]
    good.click().run()
    assert not at.success  # no "Saved as Good"
    assert not at.exception  # the entry script shows the plain page instead of a traceback
    assert at.title[0].value == "Your progress cannot be used"
    assert any("read-only" in c.value for c in at.code)
    assert store.review_count(store.default_profile().id) == before == 0


def test_an_earlier_world_readable_default_database_is_made_private(tmp_path, monkeypatch):
    monkeypatch.delenv("STUDYAPP_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = default_db_path()
    path.parent.mkdir(parents=True, mode=0o755)
    ProgressStore(path).close()
    for p in (path.parent, path):
        p.chmod(0o755 if p.is_dir() else 0o644)
    ProgressStore(str(path)).close()  # as the app opens it
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # a file given with --db is the user's to arrange
    chosen = tmp_path / "shared.db"
    ProgressStore(chosen).close()
    chosen.chmod(0o640)
    ProgressStore(chosen).close()
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o640
