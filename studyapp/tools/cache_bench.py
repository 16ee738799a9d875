"""Benchmark: a trained demo revisited after a server restart, against its first visit.

    python -m studyapp.tools.cache_bench [--demo dpo-loss] [--runs 5]

Real servers (the `studyapp` command on the shipped bank, a throw-away database and cache folder)
driven by Debian's Chromium. The servers run a copy of the code and the bank taken when the
benchmark starts: an entry is keyed by the source of `minimodels` and the bank's files, so an edit
made meanwhile in the checkout would (rightly) turn the revisit into a first visit. Every time runs from the navigation to `?demo=<id>` until the page's
content is drawn and the script has finished:

1. first visit: a fresh server, no cache entry: the page with its Run button; then Run pressed,
   until the trained result is drawn (the training, live, in the server's queue);
2. revisit after a restart, `--runs` times: the server stopped and started again on the same cache
   folder, a new tab opens the demo: its result drawn from the disk cache ("Trained N minutes ago
   · Train again"), on the restarted server's first page load and then in a second tab;
3. for comparison, the same restarted-server loads on an empty cache folder (the Run page): what
   any first page of a just-started server costs.

Each figure is the median of `--runs`, the two kinds of restart interleaved so that load on the
machine hits both alike. The issue's target: the revisit draws within 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studyapp.tools.liveserver import IDLE, LiveServer, launch_chromium

TRAIN_AGAIN = "Train again"
PRESS_RUN = "[data-testid=stAlertContentInfo]"


REPO = Path(__file__).resolve().parents[2]
# `studyapp` run from the copy: -P keeps the working directory (a checkout) off the import path.
SERVE = [sys.executable, "-P", "-c", "import sys; from studyapp.cli import main; sys.exit(main())"]


def snapshot(target: Path) -> dict[str, str]:
    """The code and bank as they are now, copied to `target`; the environment that runs them."""
    for name in ("minimodels", "studyapp", "questions"):
        shutil.copytree(
            REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return {"PYTHONPATH": str(target)}


def page_load_ms(browser, url: str, drawn, timeout_s: float = 120) -> float:
    """A new tab's load of `url`, from the navigation until `drawn(page)` has waited for the
    content and the script has finished."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    drawn(page, timeout_s * 1000)
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)
    elapsed = (time.perf_counter() - start) * 1000
    context.close()
    return elapsed


def trained_result(page, timeout_ms: float) -> None:
    page.get_by_role("button", name=TRAIN_AGAIN).wait_for(timeout=timeout_ms)


def run_page(page, timeout_ms: float) -> None:
    page.wait_for_selector(PRESS_RUN, timeout=timeout_ms)


READ = """
import json, sys, time
import studyapp.bank.schema  # the app's pages have pydantic warm before a demo draws
from studyapp.demos import REGISTRY
from studyapp.demos.diskcache import DemoCache
from studyapp.demos.runs import TrainingQueue
demo = REGISTRY[sys.argv[1]]
times = []
for _ in range(2):  # a restarted server's first lookup, then one with the file hashes known
    start = time.perf_counter()
    run = TrainingQueue(cache=DemoCache()).find(demo, demo.defaults())
    times.append(time.perf_counter() - start)
print(json.dumps({"first": times[0], "next": times[1], "state": run.state,
                  "torch": "torch" in sys.modules}))
"""


def cache_read_ms(demo_id: str, env: dict[str, str]) -> dict:
    """The queue's lookup of the stored run in a fresh process: what the cache itself costs."""
    out = subprocess.run(
        [sys.executable, "-P", "-c", READ, demo_id],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    read = json.loads(out.stdout)
    assert read["state"] == "done" and not read["torch"], read
    return {"read_first_ms": read["first"] * 1000, "read_next_ms": read["next"] * 1000}


def entries(cache: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((cache / "demos").glob("*.json"))]


def measure(demo_id: str, runs: int, tmp: Path) -> dict:
    from playwright.sync_api import sync_playwright

    code = snapshot(tmp / "src")
    cached_env = {
        **code,
        "STUDYAPP_CACHE_DIR": str(tmp / "cache"),
        "STUDYAPP_DB": str(tmp / "a.db"),
    }
    empty_env = {**code, "STUDYAPP_CACHE_DIR": str(tmp / "empty"), "STUDYAPP_DB": str(tmp / "b.db")}
    figures: dict = {"demo": demo_id, "runs": runs}
    times: dict[str, list[float]] = {k: [] for k in ("cached", "cached_2nd", "empty", "empty_2nd")}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        server = LiveServer(SERVE, cached_env, tmp / "first.log", timeout=180)
        try:
            url = f"{server.url}/demos?demo={demo_id}"
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            run_page(page, 120_000)
            page.wait_for_selector(IDLE, timeout=120_000)
            figures["first_page_ms"] = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            page.get_by_role("button", name="Run", exact=True).click()
            trained_result(page, 900_000)
            page.wait_for_selector(IDLE, timeout=120_000)
            figures["run_to_result_s"] = time.perf_counter() - start
            context.close()
        finally:
            server.stop()
        deadline = time.monotonic() + 30  # the worker writes the entry once the run is shown
        while not entries(tmp / "cache") and time.monotonic() < deadline:
            time.sleep(0.1)
        [entry] = entries(tmp / "cache")
        figures["trained_s"], figures["entry_bytes"] = entry["seconds"], len(json.dumps(entry))
        figures.update(cache_read_ms(demo_id, cached_env))

        for i in range(runs):
            for kind, env, drawn in (
                ("cached", cached_env, trained_result),
                ("empty", empty_env, run_page),
            ):
                server = LiveServer(SERVE, env, tmp / f"{kind}{i}.log", timeout=180)
                try:
                    url = f"{server.url}/demos?demo={demo_id}"
                    times[kind].append(page_load_ms(browser, url, drawn))
                    times[f"{kind}_2nd"].append(page_load_ms(browser, url, drawn))
                finally:
                    server.stop()
        browser.close()
    [after] = entries(tmp / "cache")
    assert after["trained_at"] == entry["trained_at"], "a revisit trained the demo again"
    assert not entries(tmp / "empty"), "a visit without Run stored something"
    figures.update({k: statistics.median(v) for k, v in times.items()})
    figures["all"] = times
    return figures


def report(f: dict) -> str:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    target = "PASS" if f["cached"] <= 500 else "FAIL"
    return "\n".join(
        [
            f"demo {f['demo']}, {f['runs']} restarts per kind, load average {load}",
            f"first visit, fresh server, no entry: page with Run {f['first_page_ms']:.0f} ms;"
            f" Run -> result {f['run_to_result_s']:.1f} s (trained {f['trained_s']:.1f} s)",
            f"cache entry: {f['entry_bytes']:,} bytes; the queue finds it in a fresh process in"
            f" {f['read_first_ms']:.0f} ms (then {f['read_next_ms']:.0f} ms), without torch",
            f"revisit after a restart, first load: median {f['cached']:.0f} ms"
            f" (target 500 ms: {target}); second tab: {f['cached_2nd']:.0f} ms",
            f"restarted server, no entry (the Run page): first load {f['empty']:.0f} ms;"
            f" second tab: {f['empty_2nd']:.0f} ms",
            "all (ms): " + json.dumps({k: [round(x) for x in v] for k, v in f["all"].items()}),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", default="dpo-loss", help="a training demo (default: dpo-loss)")
    parser.add_argument("--runs", type=int, default=5, help="restarts per kind (default: 5)")
    args = parser.parse_args()
    from studyapp.demos import REGISTRY

    if not REGISTRY.get(args.demo) or not REGISTRY[args.demo].trains:
        parser.error(f"{args.demo} is not a training demo")
    with tempfile.TemporaryDirectory(prefix="studyapp-cache-bench-") as tmp:
        print(report(measure(args.demo, args.runs, Path(tmp))))


if __name__ == "__main__":
    main()
