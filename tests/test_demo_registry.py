"""The demo registry is light (no torch), complete, and drives the validator and the UI."""

import inspect
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from studyapp.bank.load import registered_demos
from studyapp.demos import REGISTRY, load_compute, source_of
from tests.bankfixtures import REPO

NO_TORCH = """
import sys
{body}
print("torch" in sys.modules)
"""


def imports_torch(body: str) -> bool:
    code = NO_TORCH.format(body=body)
    with tempfile.TemporaryDirectory() as tmp:  # never the learner's own progress database
        env = {**os.environ, "STUDYAPP_DB": str(Path(tmp) / "progress.db")}
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            env=env,
        )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] == "True"


def test_registry_and_validator_do_not_import_torch():
    assert not imports_torch(
        "import studyapp.demos, studyapp.bank.load, studyapp.cli\nstudyapp.bank.load.get_bank()"
    )


def test_quiz_today_review_browse_pages_never_import_torch():
    body = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("studyapp/app/main.py", default_timeout=60).run()
for page in ("quiz", "review", "browse", "stats", "settings"):
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, (page, at.exception)
"""
    assert not imports_torch(body)


def test_every_demo_is_registered_for_the_validator():
    assert registered_demos() == set(REGISTRY)


def test_every_demo_has_bilingual_texts_and_matching_parameters():
    for demo in REGISTRY.values():
        for text in (demo.title, demo.explanation, *(p.label for p in demo.params)):
            assert text["en"].strip() and text["zh"].strip(), demo.id
        accepted = inspect.signature(load_compute(demo)).parameters
        assert {p.name for p in demo.params} <= set(accepted), demo.id
        assert "def run(" in source_of(demo), demo.id


def test_cli_runs_a_demo_and_reports_its_checks():
    cmd = [sys.executable, "-m", "studyapp", "demo", "run", "mlm-loss", "p=0.5"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "[PASS] cross_entropy with ignore_index=-100 equals the mean" in result.stdout
    bad = subprocess.run([*cmd[:-1], "p=7"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert bad.returncode == 2 and "p must be between 0.05 and 0.9, got 7" in bad.stderr


def test_table_headers_and_check_texts_are_labels_in_both_languages():
    """A header with a word in it is a bilingual label (param-count showed `count_params_meta`
    to Chinese readers); plain strings are kept for symbols such as "T" or "log|det|"."""
    import re

    from minimodels.results import Check, Table
    from studyapp.demos import run_demo

    for demo in REGISTRY.values():
        if demo.trains:  # tests/demos/test_training_demos.py trains those
            continue
        for part in run_demo(demo):
            texts = []
            if isinstance(part, Table):
                texts = [*part.columns, part.title]
            elif isinstance(part, Check):
                texts = [part.claim]
            for text in texts:
                if isinstance(text, dict):
                    assert text.get("en", "").strip() and text.get("zh", "").strip(), demo.id
                else:
                    assert not re.search(r"[A-Za-z]{3,}", text), (demo.id, text)
