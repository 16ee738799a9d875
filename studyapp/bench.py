"""Benchmark: how long a rerun of the Quiz page takes against a rerun of an empty Streamlit page.

    python -m studyapp.bench [--runs 30]
    python -m studyapp.bench --demos [--runs 3]

Two measurements, each the median of `--runs` reruns, the two pages interleaved so that load on
the machine hits both alike:

- end to end, as a learner sees it: the real `studyapp` server and a plain `streamlit run` of an
  empty script, each on its own loopback port, driven by Debian's Chromium. A rerun is triggered
  with Streamlit's `r` shortcut and timed in the page, from the key press to the moment the app
  reports that the script has finished (`data-test-script-state` back to `notRunning`).
- script only: the same two scripts under Streamlit's in-process runner (AppTest), which leaves
  out the browser and the websocket and so shows the cost of the script itself (pages compiled
  once, as the server does).

The Quiz page is measured mid-quiz, with a question on screen, on the shipped bank and a
throw-away progress database.

With `--demos`, every registered demo instead: its cold time (a fresh process with torch already
imported runs it once with default parameters; median of `--runs` processes, one for training
demos), the time to its first live progress point (training demos), and a cached re-render (the
Demos page rerun under AppTest once the result is cached; median of 5).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from studyapp.liveserver import LiveServer, launch_chromium, wait_idle

APP = Path(__file__).resolve().parent / "app.py"
WATCH_STATE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__states = [];
  new MutationObserver(() => window.__states.push(
      [performance.now(), app.getAttribute('data-test-script-state')]
  )).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
FINISHED_AFTER = "t0 => window.__states.find(s => s[0] >= t0 && s[1] === 'notRunning')"


def rerun_ms(page) -> float:
    t0 = page.evaluate("() => performance.now()")
    page.keyboard.press("r")
    page.wait_for_function(
        f"t0 => !!({FINISHED_AFTER.split(' => ', 1)[1]})", arg=t0, timeout=30_000
    )
    return page.evaluate(f"t0 => ({FINISHED_AFTER.split(' => ', 1)[1]})[0] - t0", t0)


def browser_medians(runs: int, tmp: Path) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    bin_dir = Path(sys.executable).parent
    empty_script = tmp / "empty.py"
    empty_script.write_text("import streamlit as st\n")
    env = {"STUDYAPP_DB": str(tmp / "browser.db")}
    streamlit = [str(bin_dir / "streamlit"), "run", str(empty_script)]
    empty_server = LiveServer(streamlit, env, tmp / "empty.log")
    app_server = LiveServer(
        [shutil.which("studyapp", path=str(bin_dir)) or "studyapp"], env, tmp / "app.log"
    )
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            pages = {}
            for name, url in (("empty", empty_server.url), ("quiz", f"{app_server.url}/quiz")):
                page = browser.new_page()
                page.goto(url)
                wait_idle(page)
                if name == "quiz":
                    page.get_by_role("button", name="Start quiz").click()
                    wait_idle(page)
                page.evaluate(WATCH_STATE)
                rerun_ms(page)  # warm-up
                pages[name] = page
            timings = {name: [] for name in pages}
            for _ in range(runs):
                for name, page in pages.items():
                    timings[name].append(rerun_ms(page))
            browser.close()
    finally:
        empty_server.stop()
        app_server.stop()
    return statistics.median(timings["empty"]), statistics.median(timings["quiz"])


def script_medians(runs: int, tmp: Path) -> tuple[float, float, bool]:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    # The server compiles each page once; AppTest would recompile it on every run.
    compiled: dict[str, object] = {}
    compile_page = PagesManager.get_page_script_byte_code
    PagesManager.get_page_script_byte_code = lambda self, path: compiled.setdefault(
        path, compile_page(self, path)
    )

    os.environ["STUDYAPP_DB"] = str(tmp / "apptest.db")
    empty_script = tmp / "empty.py"
    empty_script.write_text("import streamlit as st\n")
    empty = AppTest.from_file(str(empty_script), default_timeout=60).run()
    quiz = AppTest.from_file(str(APP), default_timeout=60).run()
    quiz.switch_page("app_pages/quiz.py").run()
    quiz.button(key="quiz_start").click().run()
    assert not quiz.exception, quiz.exception
    timings: dict[str, list[float]] = {"empty": [], "quiz": []}
    for _ in range(runs):
        for name, app in (("empty", empty), ("quiz", quiz)):
            start = time.perf_counter()
            app.run()
            timings[name].append((time.perf_counter() - start) * 1000)
    return (
        statistics.median(timings["empty"]),
        statistics.median(timings["quiz"]),
        "torch" in sys.modules,
    )


COLD = """
import json, sys, time
import torch  # imported before the clock starts: every page that shows a demo pays it once
from studyapp.demos import REGISTRY, run_demo
demo = REGISTRY[sys.argv[1]]
start, first = time.perf_counter(), []
def progress(done, text, curve=None):
    if not first:
        first.append(time.perf_counter() - start)
parts = run_demo(demo, progress=progress)
total = time.perf_counter() - start
beat = [p.value for p in parts if type(p).__name__ == "Metric" and "bigram" in str(p.label)]
print(json.dumps({"total": total, "first": first[0] if first else None, "beat": beat}))
"""


def demo_timings(runs: int, tmp: Path) -> list[dict]:
    import json
    import subprocess

    from streamlit.testing.v1 import AppTest

    from studyapp.demos import REGISTRY

    os.environ["STUDYAPP_DB"] = str(tmp / "demos.db")
    rows = []
    for demo in REGISTRY.values():
        colds = []
        for _ in range(1 if demo.trains else runs):
            out = subprocess.run(
                [sys.executable, "-c", COLD, demo.id], capture_output=True, text=True, check=True
            )
            colds.append(json.loads(out.stdout.strip().splitlines()[-1]))
        app = AppTest.from_file(str(APP), default_timeout=600)
        app.query_params["demo"] = demo.id
        app.run()  # computes (or trains) once and caches
        reruns = []
        for _ in range(5):
            start = time.perf_counter()
            app.run()
            reruns.append((time.perf_counter() - start) * 1000)
        rows.append(
            {
                "id": demo.id,
                "trains": demo.trains,
                "cold_s": statistics.median(c["total"] for c in colds),
                "first_s": colds[0]["first"],
                "beat": colds[0]["beat"],
                "cached_ms": statistics.median(reruns),
                "error": bool(app.exception),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--demos", action="store_true", help="time every live demo instead")
    args = parser.parse_args()
    if args.demos:
        with tempfile.TemporaryDirectory() as tmp:
            rows = demo_timings(args.runs or 3, Path(tmp))
        print("| demo | kind | cold (s) | first progress (s) | cached re-render (ms) |")
        print("|---|---|---:|---:|---:|")
        for r in rows:
            first = "" if r["first_s"] is None else f"{r['first_s']:.1f}"
            beat = f" (beats bigram at {r['beat'][0]} s)" if r["beat"] else ""
            kind = "training" if r["trains"] else "analytic"
            print(
                f"| {r['id']} | {kind} | {r['cold_s']:.2f}{beat} | {first} | {r['cached_ms']:.0f} |"
            )
        return
    args.runs = args.runs or 30
    with tempfile.TemporaryDirectory() as tmp:
        empty, quiz = browser_medians(args.runs, Path(tmp))
        s_empty, s_quiz, torch_loaded = script_medians(args.runs, Path(tmp))
    print(f"medians of {args.runs} reruns           empty page   quiz page   ratio")
    print(
        f"end to end (Chromium, real server)  {empty:8.1f} ms {quiz:8.1f} ms   {quiz / empty:.2f}x"
    )
    print(
        f"script only (AppTest)               {s_empty:8.1f} ms {s_quiz:8.1f} ms   {s_quiz / s_empty:.2f}x"
    )
    print("target: end-to-end ratio <= 1.25x")
    print(f"torch imported by the quiz page: {torch_loaded}")


if __name__ == "__main__":
    main()
