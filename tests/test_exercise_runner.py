"""The exercise runner: every hostile or broken submission gets its own outcome and harms nothing.

Runs the real worker in both sandbox modes. The isolated mode needs bubblewrap (`make test`
installs it); without it those cases skip, and fail under CI=true.
"""

import os
import textwrap
from pathlib import Path

import pytest

from studyapp.exercises import runner
from studyapp.exercises.runner import Runner, Sandbox, choose

REPO = Path(__file__).resolve().parent.parent

EXERCISE = {
    "entry": "masked_lm_loss",
    "reference": "minimodels.masking:masked_lm_loss",
    "limits": {"cpu_s": 2, "wall_s": 4, "memory_mb": 512},
    "tests": [
        {
            "id": "tiny-by-hand",
            "visible": True,
            "inputs": {
                "logits": {"tensor": [[[0.0, 1.0], [2.0, 0.0]]]},
                "labels": {"tensor": [[1, -100]], "dtype": "int64"},
            },
        },
        {
            "id": "random-shapes",
            "kind": "random",
            "max_examples": 10,
            "dims": {"B": [1, 3], "T": [1, 6], "V": [2, 9]},
            "inputs": {
                "logits": {"randn": ["B", "T", "V"]},
                "labels": {"randint": [0, "V", ["B", "T"]]},
            },
        },
    ],
    "mistakes": [
        {
            "id": "mean-over-all-positions",
            "code": "import torch.nn.functional as F\n"
            "def masked_lm_loss(logits, labels):\n"
            "    return F.cross_entropy(logits.flatten(0, 1), labels.flatten().clamp(min=0))\n",
            "message": {"en": "averaged over every position", "zh": "对所有位置取了平均"},
        }
    ],
}

GOOD = """
import torch.nn.functional as F

def masked_lm_loss(logits, labels):
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
"""


def body(code: str) -> str:
    return "def masked_lm_loss(logits, labels):\n" + textwrap.indent(textwrap.dedent(code), "    ")


def bwrap_problem() -> str | None:
    return runner.probe_bwrap()


@pytest.fixture(scope="module", params=["isolated", "not-isolated"])
def worker(request):
    if request.param == "isolated" and (problem := bwrap_problem()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the isolated sandbox: {problem}")
        pytest.skip(problem)
    r = Runner(Sandbox(request.param, "test"))
    r.start()
    yield r
    r.close()


def grade(worker, code, **kw):
    return worker.grade(code, EXERCISE, **kw)


def statuses(result):
    return [t["status"] for t in result["tests"]]


def test_a_correct_solution_passes_every_test(worker):
    result = grade(worker, GOOD)
    assert result["status"] == "passed", result
    assert statuses(result) == ["passed", "passed"]
    assert result["sandbox"]["mode"] == worker.sandbox.mode


def test_run_examples_runs_only_the_visible_tests(worker):
    result = grade(worker, GOOD, visible_only=True)
    assert [t["id"] for t in result["tests"]] == ["tiny-by-hand"]


def test_a_known_mistake_fails_and_is_recognised(worker):
    result = grade(worker, EXERCISE["mistakes"][0]["code"])
    assert result["status"] == "failed"
    first = result["tests"][0]
    assert first["id"] == "tiny-by-hand" and first["status"] == "failed"
    assert first["mistake"] == "mean-over-all-positions"
    assert "expected" in first["message"]


def test_a_wrong_answer_is_shrunk_to_a_small_case(worker):
    wrong = GOOD.replace("ignore_index=-100", "ignore_index=-100) * (logits.shape[1] < 4")
    result = grade(worker, wrong)
    random_test = result["tests"][1]
    assert random_test["status"] == "failed"
    assert "'T': 4" in random_test["message"]  # the smallest T at which it goes wrong


def test_an_infinite_loop_hits_the_time_limit(worker):
    result = grade(worker, body("while True:\n    pass\n"))
    assert result["status"] == "time_limit"


def test_sleeping_hits_the_wall_clock(worker):
    result = grade(worker, "import time\n" + body("time.sleep(100)\n"))
    assert result["status"] == "time_limit"


def test_a_40_gb_allocation_hits_the_memory_limit(worker):
    result = grade(
        worker, "import torch\n" + body("return torch.empty(10 * 2**30, dtype=torch.float32)\n")
    )
    assert result["status"] == "memory_limit"


def test_a_fork_loop_starts_no_process(worker):
    result = grade(worker, "import os\n" + body("while True:\n    os.fork()\n"))
    assert result["status"] == "error"
    assert "Operation not permitted" in result["tests"][0]["message"]


def test_a_100_mb_file_is_refused(worker):
    result = grade(worker, body("open('big', 'wb').write(b'0' * 10**8)\n"))
    assert result["status"] == "error"
    assert "File too large" in result["tests"][0]["message"]


def test_no_network(worker):
    code = "import socket\n" + body("socket.create_connection(('127.0.0.1', 9), timeout=1)\n")
    result = grade(worker, code)
    assert result["status"] == "error"


def test_killing_the_parent_harms_nothing(worker):
    result = grade(worker, "import os, signal\n" + body("os.kill(os.getppid(), signal.SIGKILL)\n"))
    assert result["status"] == "error"
    assert grade(worker, GOOD)["status"] == "passed"  # the worker is still there


def test_patching_the_comparison_changes_nothing(worker):
    code = """
import torch
torch.allclose = lambda *a, **k: True
torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__eq__ = lambda a, b: True

def masked_lm_loss(logits, labels):
    return torch.tensor(0.0, dtype=torch.float64)
"""
    result = grade(worker, code)
    assert result["status"] == "failed"


def test_huge_output_is_cut(worker):
    result = grade(worker, GOOD.replace("    return", "    print('x' * 10**7)\n    return"))
    assert result["status"] == "output_cut"
    assert result["printed"] == "x" * 500 and result["printed_cut"]


def test_a_syntax_error_shows_the_learner_where(worker):
    result = grade(worker, "def masked_lm_loss(logits, labels)\n    return 1\n")
    assert result["status"] == "error"
    assert "line 1" in result["error"] and "^" in result["error"]


def test_exiting_at_import_is_a_crash(worker):
    assert grade(worker, "import os\nos._exit(3)\n")["status"] == "crashed"


def test_isolated_code_sees_no_home_no_bank_and_cannot_write_outside_its_folder(worker):
    if worker.sandbox.mode != "isolated":
        pytest.skip("only the isolated mode hides files")
    for path in (Path.home() / ".bashrc", REPO / "questions", REPO / "README.md"):
        code = body(f"import os\nreturn os.path.exists({str(path)!r})\n")
        reply = worker.grade(
            code, {**EXERCISE, "tests": [dict(EXERCISE["tests"][0], expect=False)]}
        )
        assert reply["status"] == "passed", (path, reply)
    write = body(f"open({str(REPO / 'pwned')!r}, 'w').write('x')\n")
    reply = grade(worker, write)
    # Refused (read-only root) or, when the checkout lives under /tmp, written to the sandbox's
    # own empty /tmp: either way nothing reaches the real file.
    assert reply["status"] in ("error", "failed") and not (REPO / "pwned").exists()


def test_refused_mode_runs_nothing():
    r = Runner(Sandbox("refused", "no bubblewrap and a network address"))
    result = r.grade(GOOD, EXERCISE)
    assert result["status"] == "refused" and "network" in result["error"]


def test_mode_is_chosen_by_probe_and_address(monkeypatch):
    monkeypatch.delenv(runner.MODE_ENV, raising=False)
    monkeypatch.setattr(runner, "probe_bwrap", lambda: None)
    assert choose("0.0.0.0").mode == "isolated"
    monkeypatch.setattr(runner, "probe_bwrap", lambda: "bubblewrap is not installed")
    local = choose("127.0.0.1")
    assert local.mode == "not-isolated" and "not installed" in local.reason
    remote = choose("0.0.0.0")
    assert remote.mode == "refused" and "0.0.0.0" in remote.reason
    monkeypatch.setenv(runner.MODE_ENV, "refused")
    assert choose("127.0.0.1").mode == "refused"
    monkeypatch.setenv(runner.MODE_ENV, "sideways")
    with pytest.raises(ValueError, match="sideways"):
        choose("127.0.0.1")


def test_a_worker_started_from_a_thread_that_ends_keeps_working():
    # Streamlit starts the worker from a script thread that ends with the run; a parent-death
    # signal tied to that thread killed the worker before its first job.
    import threading

    r = Runner(choose("127.0.0.1"))
    starter = threading.Thread(target=r.start)
    starter.start()
    starter.join()
    try:
        assert grade(r, GOOD)["status"] == "passed"
    finally:
        r.close()
