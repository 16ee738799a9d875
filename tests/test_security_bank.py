"""Bank files that are not files: a FIFO, a symlink to /dev/zero, a symlink out of the bank, a
symlinked folder. Each is refused from its `stat` with a located Y001 and never read (or hangs)."""

import os
import threading
from pathlib import Path

import pytest

from studyapp.bank.load import load_bank
from studyapp.bank.validate import question_files, validate_files
from studyapp.bank.yamlfile import MAX_BYTES, read_yaml
from tests.bankfixtures import VALID, write_question


def problems_in_thread(root: Path, timeout: float = 20) -> list[str]:
    """Validate the bank in a thread, so that a hang fails the test instead of blocking it."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(load_bank(root)), daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), "validating the bank hung"
    return [f"{p.path}:{p.line}:{p.rule} {p.message}" for p in result[0].problems]


@pytest.fixture
def bank(tmp_path):
    root = tmp_path / "bank"
    write_question(root, VALID)
    return root


def test_a_fifo_is_refused_without_hanging(bank):
    os.mkfifo(bank / "bert" / "pipe.yaml")
    assert problems_in_thread(bank) == ["bert/pipe.yaml:1:Y001 a FIFO, not a regular file"]


def test_a_symlink_to_dev_zero_is_never_read(bank):
    (bank / "bert" / "zero.yaml").symlink_to("/dev/zero")
    found = problems_in_thread(bank)
    assert len(found) == 1 and found[0].startswith("bert/zero.yaml:1:Y001")
    doc = read_yaml("/dev/zero")
    assert [p.message for p in doc.problems] == ["a character device, not a regular file"]


def test_a_symlink_out_of_the_bank_is_refused(bank, tmp_path):
    secret = write_question(tmp_path / "elsewhere", VALID, qid="stolen")
    (bank / "bert" / "stolen.yaml").symlink_to(secret)
    found = problems_in_thread(bank)
    assert found == [f"bert/stolen.yaml:1:Y001 a symlink to {secret}, outside {bank}: not read"]
    # a symlink that stays inside the bank is an ordinary file
    (bank / "bert" / "stolen.yaml").unlink()
    (bank / "bert" / "alias.yaml").symlink_to(bank / "bert" / "sample-question.yaml")
    # read like any file: its id is the target's, so the usual rules flag it
    assert [line.split(" ")[0] for line in problems_in_thread(bank)] == [
        "bert/alias.yaml:2:B001",
        "bert/alias.yaml:2:Q002",
    ]


def test_symlinked_folders_are_not_entered(bank, tmp_path):
    (bank / "everything").symlink_to("/")
    assert question_files([bank]) == [bank / "bert" / "sample-question.yaml"]


def test_a_huge_file_is_read_no_further_than_the_limit(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(64 * 2**30)  # sparse: reading all of it would take minutes and 64 GB
    doc = read_yaml(big)
    assert [p.message for p in doc.problems] == ["file is over 262,144 bytes, the limit"]
    assert MAX_BYTES == 262_144


def test_a_folder_named_like_a_question_is_refused(bank):
    (bank / "bert" / "folder.yaml").mkdir()
    report = validate_files([bank / "bert" / "folder.yaml"], root=bank)
    assert [p.message for p in report.problems] == ["a folder, not a regular file"]
