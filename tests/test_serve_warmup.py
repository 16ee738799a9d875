"""The server warms itself at start: a background thread imports what the pages import and loads
the bank, so a learner's first page after a restart does not pay for it; it never imports torch,
and a failure in it is only logged."""

import json
import subprocess
import sys
import time

import pytest
import streamlit as st

from studyapp import cli
from studyapp.tools.liveserver import LiveServer

# serve.py refuses to load for an address it was not told about; `studyapp` sets it on the command
# line, a bare import must set it itself.
IMPORT_SERVE = (
    "import streamlit as st\n"
    "st.config.set_option('server.address', '127.0.0.1')\n"
    "import sys, json\n"
    "from studyapp.app import serve\n"
)
PAGE_MODULES = [
    "pandas",
    "altair",
    "studyapp.app.widgets",
    "studyapp.app.demo_view",
    "studyapp.app.answer",
    "studyapp.app.charts",
    "studyapp.bank.search",
    "studyapp.progress.stats",
]


@pytest.fixture(scope="module")
def serve():
    address = st.config.get_option("server.address")
    st.config.set_option("server.address", "127.0.0.1")
    try:
        from studyapp.app import serve
    finally:
        st.config.set_option("server.address", address)
    return serve


def run_python(code: str, tmp_path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_SERVE + code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=tmp_path,
    )
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"stderr": out.stderr}


def test_page_imports_lists_every_pages_modules(serve):
    names = serve.page_imports()
    # the pages' own `from studyapp.app import widgets, charts` name modules, not just the package
    for name in ("studyapp.app.widgets", "studyapp.app.charts", "studyapp.app.demo_view"):
        assert name in names
    assert "studyapp.app.widgets.bank" not in names  # a function, not a module
    assert not any(name.split(".")[0] == "torch" for name in names)


def test_warm_up_imports_the_pages_modules_and_the_bank_but_not_torch(serve, tmp_path):
    before = run_python(
        "print(json.dumps({m: m in sys.modules for m in %r}))" % (PAGE_MODULES + ["torch"]),
        tmp_path,
    )
    # importing serve alone warms nothing: the thread starts with the server
    assert not any(before[m] for m in PAGE_MODULES + ["torch"]), before
    after = run_python(
        "serve.start_warm_up().join()\n"
        "from studyapp.bank import load\n"
        "print(json.dumps({'loaded': {m: m in sys.modules for m in %r},\n"
        "                  'banks': len(load._cache),\n"
        "                  'questions': [len(r.questions) for _, _, r in load._cache.values()]}))"
        % (PAGE_MODULES + ["torch"]),
        tmp_path,
    )
    assert all(after["loaded"][m] for m in PAGE_MODULES), after
    assert not after["loaded"]["torch"], after
    assert after["banks"] == 1 and after["questions"][0] > 100, after
    assert serve.WARM_UP_DONE in after["stderr"]


def test_a_failing_warm_up_is_logged_and_raises_nothing(serve, tmp_path):
    out = run_python(
        "serve.page_imports = lambda: ['studyapp.app.no_such_module']\n"
        "serve.start_warm_up().join()\n"
        "print(json.dumps({'alive': True}))",
        tmp_path,
    )
    assert out["alive"]
    assert "studyapp warm-up failed" in out["stderr"]
    assert "No module named 'studyapp.app.no_such_module'" in out["stderr"]
    assert serve.WARM_UP_DONE not in out["stderr"]


def test_the_server_warms_up_when_it_starts_without_a_page_request(serve, tmp_path):
    exe = str(cli.Path(sys.executable).parent / "studyapp")
    log = tmp_path / "app.log"
    server = LiveServer([exe], {"STUDYAPP_DB": str(tmp_path / "p.db")}, log, timeout=120)
    try:
        deadline = time.monotonic() + 120
        while serve.WARM_UP_DONE not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.stop()
    text = log.read_text()
    assert serve.WARM_UP_DONE in text, text
    assert "warm-up failed" not in text


def test_the_cache_benchmark_waits_for_the_line_the_warm_up_logs(serve):
    from studyapp.tools import cache_bench

    assert cache_bench.WARM_UP_DONE == serve.WARM_UP_DONE


FIRST_RUN = """
import os
from streamlit.testing.v1 import AppTest
os.environ["STUDYAPP_DB"] = {db!r}
if {stored!r}:  # the demo trained by an earlier server: the page draws its result
    from minimodels.results import Check, Lines, Metric, Table
    from studyapp.demos import REGISTRY
    from studyapp.demos.diskcache import DemoCache
    demo, cache = REGISTRY["dpo-loss"], DemoCache()
    parts = [
        Check("margin grows", True),
        Metric("loss", 0.25),
        Lines(x=[0.0, 1.0], series={{"loss": [0.7, 0.25]}}),
        Table(columns=["a", "b"], rows=[[1, 2.5]]),
    ]
    cache.store(cache.identity(demo, demo.defaults()), parts, 0.0, 1.0)
serve.start_warm_up().join()
# The Run page starts loading torch in the background on purpose, for the training the learner
# is about to start (TrainingQueue.warm_up): not what a first run costs.
from studyapp.demos.runs import TrainingQueue
TrainingQueue.warm_up = lambda self: None
at = AppTest.from_file({main!r}, default_timeout=120)
if {page!r} == "demos":  # on Today, `?demo=` would switch to Demos
    at.query_params["demo"] = "dpo-loss"
at.switch_page("app_pages/{page}.py")
import streamlit.testing.v1.local_script_runner  # AppTest's own, not the page's
before = set(sys.modules)
at.run()
assert not at.exception, at.exception
buttons = [b.label for b in at.button]
print(json.dumps({{"new": sorted(set(sys.modules) - before), "torch": "torch" in sys.modules,
                  "buttons": buttons}}))
"""
# AppTest itself scans for components on its first run; a server does that when it starts.
APPTEST_OWN = {"streamlit.components.v2.manifest_scanner", "streamlit.web.skills"}


@pytest.mark.parametrize(("page", "stored"), [("today", False), ("demos", False), ("demos", True)])
def test_after_the_warm_up_a_first_page_imports_nothing_new(serve, page, stored, tmp_path):
    main = str(cli.Path(serve.__file__).with_name("main.py"))
    code = FIRST_RUN.format(db=str(tmp_path / "p.db"), main=main, page=page, stored=stored)
    out = run_python(code, tmp_path)
    assert set(out["new"]) <= APPTEST_OWN, out["new"]
    assert not out["torch"]
    if page == "demos":  # the stored result was drawn, or the Run page without one
        assert ("Train again" in out["buttons"]) == stored, out["buttons"]
