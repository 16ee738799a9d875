"""`studyapp bank export` prints every field of every valid question, and nothing else."""

import json
import subprocess
import sys

import yaml

from studyapp.bank.load import load_bank
from studyapp.bank.schema import Question
from tests.bankfixtures import REPO, VALID, write_question


def export(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "studyapp", "bank", "export", "--format", "json", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)


def test_export_round_trips_every_field_of_the_shipped_bank():
    result = export()
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    files = sorted(p for p in (REPO / "questions").rglob("*.yaml") if not p.name.startswith("_"))
    assert len(records) == len(files)
    by_id = {r["id"]: r for r in records}
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        record = by_id[raw["id"]]
        # Every key written in the file comes back with the same value, at every depth; the
        # record also spells out defaults the file leaves implicit (a code test's kind, limits).
        assert_written_values_kept(raw, record, where=str(path))
        assert Question.model_validate(record) == Question.model_validate(raw)


def assert_written_values_kept(written, exported, where: str) -> None:
    if isinstance(written, dict):
        assert isinstance(exported, dict), where
        for key, value in written.items():
            assert key in exported, f"{where}.{key}"
            assert_written_values_kept(value, exported[key], f"{where}.{key}")
    elif isinstance(written, list):
        assert isinstance(exported, list) and len(exported) == len(written), where
        for i, (w, e) in enumerate(zip(written, exported, strict=True)):
            assert_written_values_kept(w, e, f"{where}[{i}]")
    else:
        assert exported == written, where


def test_export_skips_broken_files_and_says_so(tmp_path):
    write_question(tmp_path, VALID)
    write_question(tmp_path, VALID.replace("difficulty: 2", "difficulty: 9"), qid="broken-copy")
    result = export("--bank", str(tmp_path))
    assert [r["id"] for r in json.loads(result.stdout)] == ["sample-question"]
    assert "skipped: " in result.stderr and "broken-copy.yaml" in result.stderr
    assert len(load_bank(tmp_path).questions) == 1
