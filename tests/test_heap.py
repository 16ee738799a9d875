"""Long-lived objects are frozen, so Streamlit's collection after every run skips them."""

import gc
import json
import os
import subprocess
import sys
import types

from studyapp.app.heap import freeze_long_lived
from tests.bankfixtures import REPO


def test_freezes_again_only_after_an_import():
    freeze_long_lived()
    assert freeze_long_lived() is False  # nothing new loaded: a length check, no collection

    long_lived = [[i] for i in range(10_000)]  # containers, as a module's tables would be
    sys.modules["_studyapp_heap_test"] = types.ModuleType("_studyapp_heap_test")
    try:
        assert any(o is long_lived for o in gc.get_objects())
        assert freeze_long_lived() is True
        assert not any(o is long_lived for o in gc.get_objects())  # collections no longer walk it
        assert freeze_long_lived() is False
    finally:
        del sys.modules["_studyapp_heap_test"]


APP_RUNS = """
import gc, json, os, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("studyapp/app/main.py", default_timeout=60).run()
at.switch_page("app_pages/quiz.py").run()
at.button(key="quiz_start").click().run()
at.run()
assert not at.exception, at.exception
print(json.dumps({"walked": len(gc.get_objects()), "frozen": gc.get_freeze_count()}))
"""


def test_app_runs_leave_little_for_the_collection_to_walk(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", APP_RUNS],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, "STUDYAPP_DB": str(tmp_path / "p.db")},
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    # Streamlit, the app's modules and the bank: ~70,000 objects a full collection would walk.
    assert counts["frozen"] > 50_000, counts
    assert counts["walked"] < counts["frozen"] / 5, counts
