"""`studyapp exercise check` grades a file exactly as the app does, with exit codes tools can use."""

import json
import os
import subprocess
import sys

import yaml

from tests.bankfixtures import REPO

EXERCISE = REPO / "questions" / "attention" / "implement-causal-attention.yaml"


def check(tmp_path, code: str, *extra: str, env: dict | None = None):
    solution = tmp_path / "solution.py"
    solution.write_text(code, encoding="utf-8")
    cmd = [sys.executable, "-m", "studyapp", "exercise", "check", "implement-causal-attention"]
    return subprocess.run(
        [*cmd, str(solution), *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_check_passes_the_solution_and_names_the_known_mistake(tmp_path):
    spec = yaml.safe_load(EXERCISE.read_text(encoding="utf-8"))["code"]
    good = check(tmp_path, spec["solution"], "--json")
    assert good.returncode == 0, good.stderr
    result = json.loads(good.stdout)
    assert result["status"] == "passed"
    assert [t["id"] for t in result["tests"]] == [t["id"] for t in spec["tests"]]
    assert result["sandbox"]["mode"] in ("isolated", "not-isolated")
    bad = check(tmp_path, spec["mistakes"][1]["code"])
    assert bad.returncode == 1
    assert "[FAILED] tiny-by-hand" in bad.stdout and "mask-diagonal" in bad.stdout


def test_a_refused_sandbox_exits_2(tmp_path):
    result = check(tmp_path, "x = 1\n", "--json", env={"STUDYAPP_SANDBOX": "refused"})
    assert result.returncode == 2
    assert json.loads(result.stdout)["status"] == "refused"


def test_list_names_the_exercises():
    listed = subprocess.run(
        [sys.executable, "-m", "studyapp", "exercise", "list"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert listed.returncode == 0 and "implement-causal-attention" in listed.stdout
