"""The --demos benchmark's verdicts (issue 16): each training demo against nanoGPT's run in the same
benchmark run, its first live point, and gpt-train's moment below the bigram baseline. The timings
are made up: what is tested is the arithmetic and the PASS/FAIL, not the machine."""

import subprocess
import sys

from studyapp.tools.bench import COLD, print_training

REFERENCE = {"total": 110.0, "step": 2000, "val_loss": 1.95, "load": "1.2"}


def row(demo_id="dpo-loss", total=9.0, live=0.4, below=None, passed=True):
    return {
        "id": demo_id,
        "total": total,
        "first": live,
        "live": live,
        "below_bigram": below,
        "checks_passed": passed,
        "load": "1.2",
    }


def test_every_target_met_is_a_pass_with_ratios_of_the_reference(capsys):
    rows = [row("gpt-train", total=10.9, below=4.3), row("dpo-loss", total=2.2)]
    assert print_training(REFERENCE, rows)
    out = capsys.readouterr().out
    assert "| gpt-train | yes | 10.9 | 0.099x | 0.40 | 4.3 (0.039x) | 1.2 |" in out
    assert "| dpo-loss | yes | 2.2 | 0.020x | 0.40 |  | 1.2 |" in out
    assert out.rstrip().endswith("PASS")


def test_each_missed_target_is_named(capsys):
    rows = [
        row("gpt-train", total=9.0, below=4.5),  # 0.041x: too late below the bigram
        row("lora-rank", total=11.1),  # 0.101x
        row("decoding", live=1.2),
        row("bert-gibbs", live=None),
        row("label-smoothing", passed=False),
        {"id": "lora-rank", "load": "1.2", "error": "ValueError: rank must be positive"},
    ]
    assert not print_training(REFERENCE, rows)
    out = capsys.readouterr().out
    fails = [line for line in out.splitlines() if line.startswith("FAIL ") and ":" in line]
    assert fails == [
        "FAIL gpt-train: below the bigram baseline after more than 0.04x",
        "FAIL lora-rank: 0.101x > 0.1x",
        "FAIL decoding: first live point 1.20 (s), target 1.0 s",
        "FAIL bert-gibbs: first live point none (s), target 1.0 s",
        "FAIL label-smoothing: a claim failed",
        "FAIL lora-rank: ValueError: rank must be positive",
    ]
    assert "| lora-rank | FAILED to run | | | | | 1.2 |" in out
    assert out.rstrip().endswith("FAIL (6 targets missed)")


def test_gpt_train_that_never_gets_below_the_bigram_fails(capsys):
    assert not print_training(REFERENCE, [row("gpt-train", below=None)])
    assert "| gpt-train | yes | 9.0 | 0.082x | 0.40 | never |" in capsys.readouterr().out


def test_the_cold_script_times_a_demo_in_a_fresh_process(tmp_path):
    """The script the benchmark runs per demo, on the quickest analytic demo: it reports the
    total, no bigram moment, and that the claims held."""
    import json

    out = subprocess.run(
        [sys.executable, "-c", COLD, "param-count"],
        capture_output=True,
        text=True,
        check=True,
        env={"STUDYAPP_CACHE_DIR": str(tmp_path), "PATH": ""},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["total"] > 0 and result["below_bigram"] is None
    assert result["checks_passed"] is True
