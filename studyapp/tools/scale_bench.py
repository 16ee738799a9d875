"""Benchmark: the bank at 10,000 questions, against the shipped one.

    python -m studyapp.tools.scale_bench [--runs 3] [--questions 10000] [--no-browser]

A bank of `--questions` files is written to a temporary folder: the shipped questions copied under
new ids (`<id>-copy<k>`, the same topic folders, `related` still naming the originals, which are
copy 0), until there are that many files. Then, in one run, with the measurements interleaved so
that load on the machine hits all alike (medians of `--runs`; wall-clock time, and the process's
CPU time beside it, which other programs on a busy machine disturb less):

- plain load: `yaml.load(bytes, Loader=yaml.CSafeLoader)` of every file, nothing else;
- validate: what `studyapp validate <folder>` does (find the files, read, check every rule), in
  this process; target: at most 3x the plain load;
- first page, as a learner sees it: a real `studyapp` server on a loopback port, started anew
  for each sample, and Debian's Chromium opening the Today page, timed from the navigation until
  its counters are drawn and the script has finished; then the Browse page in a new tab. The
  bank's parse cache is filled by one earlier start (that first start is reported too: it
  validates every file); target: the 10,000-question bank's first page in at most 1.5x the time
  of the shipped bank's;
- Browse search, in this process: building the search index (jieba's segment cache emptied
  first; copies repeat the same texts, so the 10,000-question build is also estimated from the
  shipped bank's, per question) and the median time of a few queries.
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
from collections.abc import Callable
from pathlib import Path

import yaml

from studyapp.tools.liveserver import LiveServer, launch_chromium

QUERIES = ["kv cache", "attention", "layer norm gradient", "注意力", "位置编码"]
TODAY_DRAWN = "[data-testid=stMetric]"
BROWSE_DRAWN = "[data-testid=stExpander]"


def scaled_bank(source: Path, target: Path, count: int | None = None) -> int:
    """`count` question files under `target` (default: as many as `source` has): the bank at
    `source` copied under new ids."""
    from studyapp.bank.validate import question_files

    files = [(path, path.read_text(encoding="utf-8")) for path in question_files([source])]
    count = count or len(files)
    written = 0
    for k in range(-(-count // len(files))):
        for path, text in files:
            if written == count:
                return written
            new_id = path.stem if k == 0 else f"{path.stem}-copy{k}"
            out = target / path.parent.relative_to(source) / f"{new_id}.yaml"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(re.sub(r"(?m)^id: .*$", f"id: {new_id}", text, count=1), "utf-8")
            written += 1
    return written


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of `action()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def plain_load(folder: Path) -> None:
    from studyapp.bank.validate import question_files

    for path in question_files([folder]):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


PROBLEMS: dict[Path, int] = {}


def validate(folder: Path) -> None:
    from studyapp.bank.load import registered_demos
    from studyapp.bank.validate import question_files, validate_files

    report = validate_files(question_files([folder]), registered_demos(), root=folder)
    PROBLEMS[folder] = len(report.problems)  # printed: a bank with problems is not the real case


def in_process(banks: dict[str, Path], runs: int) -> dict[str, dict[str, list[float]]]:
    """Plain load and validate of each bank, interleaved: {bank: {measure: [wall, cpu]}}."""
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {
        name: {"plain": [], "validate": []} for name in banks
    }
    plain_load(banks["10k"])  # page cache and imports warm for all
    for run in range(runs):
        for name, folder in banks.items():
            samples[name]["plain"].append(timed(lambda folder=folder: plain_load(folder)))
            samples[name]["validate"].append(timed(lambda folder=folder: validate(folder)))
        print(f"  in-process run {run + 1}/{runs} done", file=sys.stderr)
    return {
        name: {
            measure: [statistics.median(s[0] for s in got), statistics.median(s[1] for s in got)]
            for measure, got in measures.items()
        }
        for name, measures in samples.items()
    }


def first_page_ms(browser, env: dict[str, str], log: Path) -> tuple[float, float]:
    """A fresh server's first Today page, then the Browse page, as a new tab each (ms)."""
    from studyapp.tools.bench import cold_load_ms

    studyapp = shutil.which("studyapp", path=str(Path(sys.executable).parent)) or "studyapp"
    server = LiveServer([studyapp], env, log, timeout=180)
    try:
        today = cold_load_ms(browser, server.url, TODAY_DRAWN, timeout_s=900)
        browse = cold_load_ms(browser, f"{server.url}/browse", BROWSE_DRAWN, timeout_s=900)
    finally:
        server.stop()
    return today, browse


def in_browser(banks: dict[str, Path], runs: int, tmp: Path) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    envs = {
        name: {
            "STUDYAPP_BANK": str(folder),
            "STUDYAPP_DB": str(tmp / f"{name}.db"),
            "STUDYAPP_CACHE_DIR": str(tmp / f"cache-{name}"),
        }
        for name, folder in banks.items()
    }
    found: dict[str, dict[str, list[float]]] = {
        name: {"empty_cache_today": [], "today": [], "browse": []} for name in banks
    }
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            for name in banks:  # the very first start: every file validated, the cache written
                today, _ = first_page_ms(browser, envs[name], tmp / f"{name}-first.log")
                found[name]["empty_cache_today"].append(today)
            for run in range(runs):
                for name in banks:
                    today, browse = first_page_ms(browser, envs[name], tmp / f"{name}.log")
                    found[name]["today"].append(today)
                    found[name]["browse"].append(browse)
                print(f"  browser run {run + 1}/{runs} done", file=sys.stderr)
        finally:
            browser.close()
    return {
        name: {measure: statistics.median(got) for measure, got in measures.items()}
        for name, measures in found.items()
    }


def search_figures(banks: dict[str, Path], runs: int) -> dict[str, dict[str, float]]:
    """Index builds with no words on disk and with them, and query times, per bank."""
    from studyapp.bank import search
    from studyapp.bank.load import cache_folder, load_bank

    figures = {}
    search._jieba()  # its dictionary is loaded once per process, before the first build
    for name, folder in banks.items():
        questions = load_bank(folder).questions
        (cache_folder() / "search-words.json").unlink(missing_ok=True)
        search._segment.cache_clear()
        cold_s, _ = timed(lambda questions=questions: search.SearchIndex(questions))
        warm_s, _ = timed(lambda questions=questions: search.SearchIndex(questions))
        index = search.SearchIndex(questions)
        per_query = []
        for query in QUERIES:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                index.search(query)
                times.append(time.perf_counter() - start)
            per_query.append(statistics.median(times))
        figures[name] = {
            "questions": len(questions),
            "cold_s": cold_s,
            "per_question_ms": cold_s / len(questions) * 1000,
            "warm_s": warm_s,
            "query_ms": statistics.median(per_query) * 1000,
            "slowest_query_ms": max(per_query) * 1000,
        }
    return figures


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--no-browser", action="store_true", help="skip the first-page timing")
    args = parser.parse_args()

    from studyapp.bank.load import default_bank_dir

    with tempfile.TemporaryDirectory(prefix="scale-bench-") as folder:
        tmp = Path(folder)
        os.environ["STUDYAPP_CACHE_DIR"] = str(tmp / "cache-here")  # never the user's cache
        banks = {"shipped": tmp / "shipped", "10k": tmp / "scaled"}
        sizes = {
            "shipped": scaled_bank(default_bank_dir(), banks["shipped"]),
            "10k": scaled_bank(default_bank_dir(), banks["10k"], args.questions),
        }
        print(f"banks: shipped {sizes['shipped']} files, scaled {sizes['10k']}", file=sys.stderr)
        # The parse cache skips files modified in the last seconds (they may still change).
        settled = time.time() - 3600
        for bank in banks.values():
            for path in bank.rglob("*.yaml"):
                os.utime(path, (settled, settled))

        timing = in_process(banks, args.runs)
        pages = None if args.no_browser else in_browser(banks, args.runs, tmp)
        searching = search_figures(banks, args.runs)

    print(f"\nscale benchmark: medians of {args.runs} runs, wall seconds (CPU seconds)")
    for name in banks:
        plain, checked = timing[name]["plain"], timing[name]["validate"]
        print(
            f"  {name:8} {sizes[name]:6} files: plain C load {plain[0]:.2f} s ({plain[1]:.2f}), "
            f"validate {checked[0]:.2f} s ({checked[1]:.2f}), "
            f"ratio {checked[0] / plain[0]:.2f}x ({checked[1] / plain[1]:.2f}x); "
            f"{PROBLEMS[banks[name]]} problems"
        )
    ratio = timing["10k"]["validate"][0] / timing["10k"]["plain"][0]
    print(f"validate at {sizes['10k']} files / plain C load: {ratio:.2f}x (target 3x): ", end="")
    print(verdict(ratio, 3.0))
    if pages is not None:
        for name in banks:
            page = pages[name]
            print(
                f"  {name:8} first Today page {page['today']:.0f} ms (with an empty parse cache "
                f"{page['empty_cache_today']:.0f} ms), then Browse {page['browse']:.0f} ms"
            )
        ratio = pages["10k"]["today"] / pages["shipped"]["today"]
        print(f"first page, {sizes['10k']} vs shipped: {ratio:.2f}x (target 1.5x): ", end="")
        print(verdict(ratio, 1.5))
    for name, got in searching.items():
        print(
            f"  {name:8} search index built in {got['cold_s']:.2f} s with no words on disk "
            f"({got['per_question_ms']:.2f} ms a question), {got['warm_s']:.2f} s with them; "
            f"query median {got['query_ms']:.1f} ms, slowest {got['slowest_query_ms']:.1f} ms"
        )
    estimate = searching["shipped"]["per_question_ms"] * sizes["10k"] / 1000
    print(
        f"  {sizes['10k']} distinct questions (copies share jieba's cache): about {estimate:.0f} s "
        "to build with no words on disk"
    )


if __name__ == "__main__":
    main()
