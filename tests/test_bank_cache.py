"""The bank is parsed once per process and re-read only when its files change."""

import studyapp.bank.load as bank
from tests.bankfixtures import VALID, write_question


def test_bank_is_cached_and_reloaded_on_change(tmp_path, monkeypatch):
    monkeypatch.setattr(bank, "RECHECK_SECONDS", 0.0)
    loads = []
    real_load = bank.load_bank
    monkeypatch.setattr(bank, "load_bank", lambda root: loads.append(root) or real_load(root))
    write_question(tmp_path, VALID)
    first = bank.get_bank(tmp_path)
    assert bank.get_bank(tmp_path) is first and len(loads) == 1

    write_question(tmp_path, VALID.replace("sample-question", "second-one"), qid="second-one")
    assert sorted(bank.get_bank(tmp_path).questions) == ["sample-question", "second-one"]
    (tmp_path / "bert" / "second-one.yaml").unlink()
    assert sorted(bank.get_bank(tmp_path).questions) == ["sample-question"]
    assert len(loads) == 3


def test_between_checks_the_files_are_not_looked_at(tmp_path, monkeypatch):
    monkeypatch.setattr(bank, "RECHECK_SECONDS", 3600.0)
    write_question(tmp_path, VALID)
    first = bank.get_bank(tmp_path)
    write_question(tmp_path, VALID.replace("sample-question", "second-one"), qid="second-one")
    assert bank.get_bank(tmp_path) is first
