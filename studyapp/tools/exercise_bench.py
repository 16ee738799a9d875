"""Benchmark: how long a learner waits for a code exercise's result.

    python -m studyapp.tools.exercise_bench [--runs 20] [--exercise implement-causal-attention]

Cold: a new runner (worker start, torch import, sandbox set-up) to the first result of "Run
examples", as when a learner opens their first exercise. Warm: "Submit" with every test (including
hypothesis' examples) on an already running worker, median and max of `--runs`. Figures are for
the sandbox mode this machine gets (printed), on the shipped bank.
"""

from __future__ import annotations

import argparse
import statistics
import time

from studyapp.bank.load import default_bank_dir, load_bank
from studyapp.exercises.runner import Runner, choose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--exercise", default="implement-causal-attention")
    args = parser.parse_args()
    q = load_bank(default_bank_dir()).questions[args.exercise]
    spec = q.code.model_dump(mode="json")
    sandbox = choose("127.0.0.1")
    print(f"sandbox: {sandbox.mode} ({sandbox.reason})")
    cold = []
    for _ in range(3):
        runner = Runner(sandbox)
        start = time.perf_counter()
        first = runner.grade(q.code.solution, spec, visible_only=True)
        cold.append(time.perf_counter() - start)
        assert first["status"] == "passed", first
        runner.close()
    runner = Runner(sandbox)
    runner.grade(q.code.solution, spec)
    warm = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = runner.grade(q.code.solution, spec)
        warm.append(time.perf_counter() - start)
        assert result["status"] == "passed", result
    runner.close()
    tests = len(q.code.tests)
    examples = sum(t.max_examples for t in q.code.tests if t.kind == "random")
    print(f"exercise: {args.exercise} ({tests} tests, {examples} hypothesis examples)")
    print(f"first run (cold, median of 3): {statistics.median(cold):.2f} s  (max {max(cold):.2f})")
    print(
        f"submit (warm, median of {args.runs}): {statistics.median(warm) * 1000:.0f} ms  "
        f"(max {max(warm) * 1000:.0f})"
    )


if __name__ == "__main__":
    main()
