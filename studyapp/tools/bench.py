"""Benchmark: how long a rerun of the Quiz page takes against a rerun of an empty Streamlit page.

    python -m studyapp.tools.bench [--runs 30]
    python -m studyapp.tools.bench --demos [--corpus tinyshakespeare.txt]
    python -m studyapp.tools.bench --analytic [--runs 3]
    python -m studyapp.tools.bench --browse [--runs 9]

Each figure is the median of `--runs` reruns, the pages interleaved so that load on the machine hits
all alike:

- end to end, as a learner sees it: real servers on loopback ports driven by Debian's Chromium. A
  rerun is triggered with Streamlit's `r` shortcut and timed in the page, from the key press to the
  moment the app reports that the script has finished (`data-test-script-state` back to
  `notRunning`). Pages: an empty script under a plain `streamlit run` with Streamlit's defaults
  (the target's baseline); the same empty script freezing long-lived objects as studyapp does
  (`studyapp.app.heap`), which shows what our pages themselves cost; the Quiz page mid-quiz and the
  Today page, served by the `studyapp` command on the shipped bank and a throw-away database.
- script only: the empty script and the Quiz page under Streamlit's in-process runner (AppTest),
  which leaves out the browser, the websocket and the collection after the run (pages compiled
  once, as the server does).

With `--browse`, the cold load of the Browse page against the Today page's: a new browser tab on a
running server (warmed up by one visit per page), timed from the navigation until the page's own
content is drawn and the script has finished; medians of `--runs` loads, pages interleaved; on the
shipped bank and on the bank copied 20 times (every question under 20 ids) in a temporary folder.

With `--demos`, issue 16's benchmark instead: nanoGPT's CPU recipe (`minimodels.bench`, 2,000
steps on tiny-shakespeare, `--corpus`) runs once, whole, in a fresh process; then every training
demo runs once with its default parameters, each in a fresh process (torch imported before the
clock starts) with an empty cache folder, so nothing trained earlier is reused. For each: the
seconds until it returns with its claims checked, as a ratio of nanoGPT's run; the first live
point (the first progress report that carries the curve so far, or the first report of a demo
that draws no live curve), measured again in a second fresh process after the warm-up that the
app runs when a training demo's page opens (`minimodels.demos.trained.warm_up`: the corpus and
the first optimizer's imports), which is what a learner pressing Run sees, with the cold
process's figure beside it; and for gpt-train, the moment the live curve's validation loss is
first below the bigram baseline. PASS or FAIL against 0.10x, 1 s and 0.04x; the exit status is 1
on FAIL. Everything runs one after the other in one benchmark run, so the machine's load weighs
on the reference and the demos alike.

With `--analytic`, every analytic demo instead: its cold time (median of `--runs` fresh
processes) and a cached re-render (the Demos page rerun under AppTest once the result is cached;
median of 5).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from studyapp.tools.liveserver import IDLE, LiveServer, launch_chromium, wait_idle

APP = Path(__file__).resolve().parents[1] / "app" / "main.py"
EMPTY = "import streamlit as st\n"
EMPTY_FROZEN = EMPTY + "from studyapp.app.heap import freeze_long_lived\n\nfreeze_long_lived()\n"
WATCH_STATE = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__states = [];
  new MutationObserver(() => window.__states.push(
      [performance.now(), app.getAttribute('data-test-script-state')]
  )).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
FINISHED_AFTER = "window.__states.find(s => s[0] >= t0 && s[1] === 'notRunning')"


def rerun_ms(page) -> float:
    t0 = page.evaluate("() => performance.now()")
    page.keyboard.press("r")
    page.wait_for_function(f"t0 => !!({FINISHED_AFTER})", arg=t0, timeout=30_000)
    return page.evaluate(f"t0 => ({FINISHED_AFTER})[0] - t0", t0)


def browser_medians(runs: int, tmp: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    bin_dir = Path(sys.executable).parent
    streamlit = str(bin_dir / "streamlit")
    studyapp = shutil.which("studyapp", path=str(bin_dir)) or "studyapp"
    (tmp / "empty.py").write_text(EMPTY)
    (tmp / "empty_frozen.py").write_text(EMPTY_FROZEN)
    env = {"STUDYAPP_DB": str(tmp / "browser.db")}
    servers = {
        "empty": LiveServer([streamlit, "run", str(tmp / "empty.py")], env, tmp / "empty.log"),
        "empty_frozen": LiveServer(
            [streamlit, "run", str(tmp / "empty_frozen.py")], env, tmp / "frozen.log"
        ),
        "app": LiveServer([studyapp], env, tmp / "app.log"),
    }
    urls = {
        "empty": servers["empty"].url,
        "empty_frozen": servers["empty_frozen"].url,
        "quiz": f"{servers['app'].url}/quiz",
        "today": servers["app"].url,
    }
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            pages = {}
            for name, url in urls.items():
                page = browser.new_page()
                page.goto(url)
                wait_idle(page)
                if name == "quiz":
                    page.get_by_role("button", name="Start quiz").click()
                    wait_idle(page)
                page.evaluate(WATCH_STATE)
                for _ in range(3):  # warm-up: the first runs import the page's modules
                    rerun_ms(page)
                pages[name] = page
            timings = {name: [] for name in pages}
            for _ in range(runs):
                for name, page in pages.items():
                    timings[name].append(rerun_ms(page))
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return {name: statistics.median(t) for name, t in timings.items()}


def script_medians(runs: int, tmp: Path) -> tuple[float, float, bool]:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    # The server compiles each page once; AppTest would recompile it on every run.
    compiled: dict[str, object] = {}
    compile_page = PagesManager.get_page_script_byte_code

    def compile_once(self, path):
        if path not in compiled:
            compiled[path] = compile_page(self, path)
        return compiled[path]

    PagesManager.get_page_script_byte_code = compile_once
    os.environ["STUDYAPP_DB"] = str(tmp / "apptest.db")
    empty_script = tmp / "empty.py"
    empty_script.write_text(EMPTY)
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
    PagesManager.get_page_script_byte_code = compile_page
    return (
        statistics.median(timings["empty"]),
        statistics.median(timings["quiz"]),
        "torch" in sys.modules,
    )


# What shows that each page is drawn: Browse's titles, Today's counters.
DRAWN = {"browse": "[data-testid=stExpander]", "today": "[data-testid=stMetric]"}
PATHS = {"browse": "browse", "today": ""}  # Today is the default page, at the root


def copied_bank(source: Path, target: Path, copies: int) -> int:
    """The bank at `source` written `copies` times under `target`, each copy under new ids."""
    from studyapp.bank.validate import question_files

    count = 0
    for path in question_files([source]):
        text = path.read_text(encoding="utf-8")
        qid = path.stem
        for k in range(copies):
            new_id = qid if k == 0 else f"{qid}-copy{k}"
            out = target / path.parent.relative_to(source) / f"{new_id}.yaml"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(re.sub(r"(?m)^id: .*$", f"id: {new_id}", text, count=1), "utf-8")
            count += 1
    return count


def cold_load_ms(browser, url: str, drawn: str, timeout_s: float = 120) -> float:
    """A new tab's load of `url`, from the navigation until `drawn` shows and the script is done."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(drawn, timeout=timeout_s * 1000)
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)
    elapsed = (time.perf_counter() - start) * 1000
    context.close()
    return elapsed


def browse_medians(runs: int, tmp: Path) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    from studyapp.bank.load import default_bank_dir

    bin_dir = Path(sys.executable).parent
    studyapp = shutil.which("studyapp", path=str(bin_dir)) or "studyapp"
    banks = {"shipped": tmp / "shipped", "x20": tmp / "x20"}
    sizes = {
        "shipped": copied_bank(default_bank_dir(), banks["shipped"], 1),
        "x20": copied_bank(default_bank_dir(), banks["x20"], 20),
    }
    servers = {
        name: LiveServer(
            [studyapp],
            {"STUDYAPP_BANK": str(bank), "STUDYAPP_DB": str(tmp / f"{name}.db")},
            tmp / f"{name}.log",
            timeout=180,
        )
        for name, bank in banks.items()
    }
    timings: dict[str, dict[str, list[float]]] = {
        name: {"today": [], "browse": []} for name in servers
    }
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            for server in servers.values():  # warm-up: imports, the bank parsed once (minutes
                for page_name in ("today", "browse"):  # for 4,000 files on a busy machine)
                    url = f"{server.url}/{PATHS[page_name]}"
                    cold_load_ms(browser, url, DRAWN[page_name], timeout_s=900)
            for _ in range(runs):
                for name, server in servers.items():
                    for page_name in ("today", "browse"):
                        url = f"{server.url}/{PATHS[page_name]}"
                        timings[name][page_name].append(
                            cold_load_ms(browser, url, DRAWN[page_name])
                        )
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return {
        name: {"questions": sizes[name], **{k: statistics.median(v) for k, v in pages.items()}}
        for name, pages in timings.items()
    }


COLD = """
import json, sys, time
import torch  # imported before the clock starts: every page that shows a demo pays it once
from studyapp.demos import REGISTRY, run_demo
demo = REGISTRY[sys.argv[1]]
if sys.argv[2:] == ["warm"]:  # as in the app: the demo's page warmed up before Run was pressed
    from minimodels.demos.trained import warm_up
    warm_up()
start, first, live, below = time.perf_counter(), [], [], []
def progress(done, text, curve=None):
    now = time.perf_counter() - start
    first.append(first[0] if first else now)
    if curve is not None and len(curve.x) and not live:
        live.append(now)
    series = curve.series if curve is not None else {}
    if not below and len(series.get("val loss", ())) > 1 and "bigram baseline" in series:
        if series["val loss"][-1] < series["bigram baseline"][-1]:
            below.append(now)
parts = run_demo(demo, progress=progress)
total = time.perf_counter() - start
checks = [p.passed for p in parts if type(p).__name__ == "Check"]
# A live point: the first report with the curve so far; a demo that draws no live curve, its first report.
live = live or first[:1]
print(json.dumps({"total": total, "first": first[0] if first else None,
                  "live": live[0] if live else None, "below_bigram": below[0] if below else None,
                  "checks_passed": bool(checks) and all(checks)}))
"""

REFERENCE = """
import json, sys
from minimodels.bench import RECIPES, run_once
from minimodels.train import set_threads
set_threads()
text = open(sys.argv[1], encoding="utf-8").read()
r = run_once(RECIPES["nanogpt"], text, 1.886)
print(json.dumps({"total": r["total_seconds"], "step": r["step"], "val_loss": r["val_loss"]}))
"""
TINYSHAKESPEARE = Path(__file__).resolve().parents[3] / "shared" / "data" / "tinyshakespeare.txt"
# Issue 16's targets, as fractions of nanoGPT's whole 2,000-step run in the same benchmark run.
DEMO_RATIO, BIGRAM_RATIO, LIVE_SECONDS = 0.10, 0.04, 1.0


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def fresh_process(script: str, *args: str, cache_dir: Path) -> dict:
    """Run `script` in a new interpreter with an empty cache folder; its last line is JSON."""
    import json
    import subprocess

    env = {**os.environ, "STUDYAPP_CACHE_DIR": str(cache_dir)}  # no model trained before
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env
    )
    if out.returncode:  # one broken demo must not cost the whole run: report it and go on
        error = (out.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"{' '.join(args)} failed: {error}", file=sys.stderr)
        return {"error": error}
    return json.loads(out.stdout.strip().splitlines()[-1])


def training_timings(tmp: Path, corpus: Path) -> tuple[dict, list[dict]]:
    """nanoGPT's CPU recipe once (its whole run), then every training demo once, each in a fresh
    process with an empty cache, one after the other, so that the ratios share the machine's load."""
    from studyapp.demos import REGISTRY

    reference = fresh_process(REFERENCE, str(corpus), cache_dir=tmp / "reference")
    if "error" in reference:
        sys.exit(f"nanoGPT's recipe failed, nothing to compare with: {reference['error']}")
    reference["load"] = load_average()
    rows = []
    print(f"nanoGPT's run: {reference.get('total', 0):.1f} s", file=sys.stderr)
    for demo in REGISTRY.values():
        if demo.trains:
            row = fresh_process(COLD, demo.id, cache_dir=tmp / demo.id)
            warm = fresh_process(COLD, demo.id, "warm", cache_dir=tmp / f"{demo.id}-warm")
            if "error" not in row and "error" not in warm:
                # the first live point as the app shows it: the page's warm-up
                # (`TrainingQueue.warm_up`) ran while the learner chose parameters
                row = {**row, "live_cold": row["live"], "live": warm["live"]}
            rows.append({"id": demo.id, "load": load_average(), **row})
            print(f"{demo.id}: {row.get('total', 0):.1f} s", file=sys.stderr)  # to follow along
    return reference, rows


def print_training(reference: dict, rows: list[dict]) -> bool:
    """The table and the verdicts; True when every target is met."""
    ref = reference["total"]
    print(
        f"nanoGPT's CPU recipe (reference): {ref:.1f} s whole run, stopped at step "
        f"{reference['step']}, val loss {reference['val_loss']:.3f}; load {reference['load']}"
    )
    print("| demo | claim checked | seconds | ÷ nanoGPT | first live point (s), page warmed up "
          "(cold process) | below bigram (s, ÷ nanoGPT) | load |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|")
    failures = []
    for r in rows:
        if "error" in r:
            failures.append(f"{r['id']}: {r['error']}")
            print(f"| {r['id']} | FAILED to run | | | | | {r['load']} |")
            continue
        ratio = r["total"] / ref
        live = "none" if r["live"] is None else f"{r['live']:.2f}"
        cold = f" ({r['live_cold']:.2f})" if r.get("live_cold") is not None else ""
        below = ""
        if r["id"] == "gpt-train":
            if r["below_bigram"] is None:
                below, bigram_ok = "never", False
            else:
                bigram_ok = r["below_bigram"] / ref <= BIGRAM_RATIO
                below = f"{r['below_bigram']:.1f} ({r['below_bigram'] / ref:.3f}x)"
            if not bigram_ok:
                failures.append(f"{r['id']}: below the bigram baseline after more than "
                                f"{BIGRAM_RATIO}x")  # fmt: skip
        if not r["checks_passed"]:
            failures.append(f"{r['id']}: a claim failed")
        if ratio > DEMO_RATIO:
            failures.append(f"{r['id']}: {ratio:.3f}x > {DEMO_RATIO}x")
        if r["live"] is None or r["live"] > LIVE_SECONDS:
            failures.append(f"{r['id']}: first live point {live} (s), target {LIVE_SECONDS} s")
        print(
            f"| {r['id']} | {'yes' if r['checks_passed'] else 'FAILED'} | {r['total']:.1f} "
            f"| {ratio:.3f}x | {live}{cold} | {below} | {r['load']} |"
        )
    print(
        f"targets: every training demo <= {DEMO_RATIO}x nanoGPT's run with its claim checked, "
        f"first live point <= {LIVE_SECONDS} s, gpt-train below the bigram <= {BIGRAM_RATIO}x"
    )
    for failure in failures:
        print(f"FAIL {failure}")
    print("PASS" if not failures else f"FAIL ({len(failures)} targets missed)")
    return not failures


def analytic_timings(runs: int, tmp: Path) -> list[dict]:
    from streamlit.testing.v1 import AppTest

    from studyapp.demos import REGISTRY

    os.environ["STUDYAPP_DB"] = str(tmp / "demos.db")
    rows = []
    for demo in REGISTRY.values():
        if demo.trains:
            continue
        colds = [fresh_process(COLD, demo.id, cache_dir=tmp / "cache") for _ in range(runs)]
        app = AppTest.from_file(str(APP), default_timeout=600)
        app.query_params["demo"] = demo.id
        app.run()  # the demo computes and caches its result
        reruns = []
        for _ in range(5):
            start = time.perf_counter()
            app.run()
            reruns.append((time.perf_counter() - start) * 1000)
        rows.append(
            {
                "id": demo.id,
                "cold_s": statistics.median(c["total"] for c in colds),
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
    parser.add_argument(
        "--demos", action="store_true", help="time every training demo against nanoGPT instead"
    )
    parser.add_argument(
        "--corpus", type=Path, default=TINYSHAKESPEARE, help="the text nanoGPT's recipe trains on"
    )
    parser.add_argument("--analytic", action="store_true", help="time every analytic demo instead")
    parser.add_argument(
        "--browse", action="store_true", help="time Browse's cold load against Today's instead"
    )
    args = parser.parse_args()
    if args.browse:
        with tempfile.TemporaryDirectory() as tmp:
            rows = browse_medians(args.runs or 9, Path(tmp))
        print(f"cold load in Chromium, medians of {args.runs or 9} new tabs")
        print("| bank | questions | Today (ms) | Browse (ms) | Browse ÷ Today |")
        print("|---|---:|---:|---:|---:|")
        for name, r in rows.items():
            ratio = r["browse"] / r["today"]
            print(
                f"| {name} | {r['questions']:,} | {r['today']:.0f} | {r['browse']:.0f} "
                f"| {ratio:.2f} |"
            )
        print("target: Browse <= 1.5x Today at every bank size")
        return
    if args.demos:
        with tempfile.TemporaryDirectory() as tmp:
            reference, rows = training_timings(Path(tmp), args.corpus)
        sys.exit(0 if print_training(reference, rows) else 1)
    if args.analytic:
        with tempfile.TemporaryDirectory() as tmp:
            rows = analytic_timings(args.runs or 3, Path(tmp))
        print(f"medians of {args.runs or 3} fresh processes; cached re-render: median of 5")
        print("| demo | cold (s) | cached re-render (ms) | error |")
        print("|---|---:|---:|---|")
        for r in rows:
            error = "yes" if r["error"] else ""
            print(f"| {r['id']} | {r['cold_s']:.2f} | {r['cached_ms']:.0f} | {error} |")
        return
    args.runs = args.runs or 30
    with tempfile.TemporaryDirectory() as tmp:
        m = browser_medians(args.runs, Path(tmp))
        s_empty, s_quiz, torch_loaded = script_medians(args.runs, Path(tmp))
    base = m["empty"]
    print(f"medians of {args.runs} reruns, end to end (Chromium, real servers)")
    for name, label in (
        ("empty", "empty page, Streamlit's defaults (baseline)"),
        ("empty_frozen", "empty page, long-lived objects frozen"),
        ("quiz", "Quiz page, mid-quiz (studyapp)"),
        ("today", "Today page (studyapp)"),
    ):
        print(f"  {label:45s} {m[name]:7.1f} ms  {m[name] / base:5.2f}x")
    print(f"script only (AppTest): empty {s_empty:.1f} ms, quiz {s_quiz:.1f} ms")
    print(f"target: Quiz <= 1.25x the baseline; measured {m['quiz'] / base:.2f}x")
    print(f"torch imported by the quiz page: {torch_loaded}")


if __name__ == "__main__":
    main()
