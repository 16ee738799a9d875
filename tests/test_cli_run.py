"""`studyapp [run]` hands Streamlit the entry script, its own flags, and where bank and progress live."""

import os
import sys

import pytest
from streamlit.web import cli as stcli

from studyapp import cli
from studyapp.progress.store import DB_ENV, default_db_path


@pytest.fixture
def started(monkeypatch):
    """What Streamlit would have been started with: argv and the two paths."""
    seen = {}

    def fake_main():
        seen.update(
            argv=list(sys.argv), db=os.environ.get(DB_ENV), bank=os.environ.get("STUDYAPP_BANK")
        )
        return 0

    monkeypatch.setattr(stcli, "main", fake_main)
    for name in (DB_ENV, "STUDYAPP_BANK"):
        # setenv first, so that monkeypatch restores the variable the CLI is about to write
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    return seen


def test_db_and_bank_flags_set_the_paths_and_streamlit_flags_pass_through(started, tmp_path):
    code = cli.main(
        ["--db", str(tmp_path / "me.db"), "--bank", str(tmp_path), "--server.port", "8600"]
    )
    assert code == 0
    assert started["argv"] == ["streamlit", "run", str(cli.APP_SCRIPT), "--server.port", "8600"]
    assert started["db"] == str(tmp_path / "me.db")
    assert started["bank"] == str(tmp_path)
    assert default_db_path() == tmp_path / "me.db"


def test_without_flags_the_environment_decides(started, monkeypatch, tmp_path):
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    assert cli.main(["run"]) == 0
    assert started["db"] == str(tmp_path / "env.db")
    assert started["bank"] is None
