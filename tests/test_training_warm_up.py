"""A training demo's page pays the first run's fixed costs ahead, so Run draws its first point at
once: the corpus read and cleaned, and the ~800 modules the first optimizer of a process imports."""

import subprocess
import sys
import threading

from studyapp.demos import runs as runs_module
from studyapp.demos.runs import TrainingQueue
from tests.test_demo_runs import env, fake, open_demo, wait_for  # noqa: F401  (fixtures)

AFTER_WARM_UP = """
import sys
import torch
from torch import nn
from minimodels.demos import trained
trained.warm_up()
corpus, modules = trained.load_corpus(), set(sys.modules)
torch.optim.AdamW([nn.Parameter(torch.zeros(3))])  # what a run's first step builds
print(len(set(sys.modules) - modules), trained.load_corpus() is corpus, len(modules))
"""


def test_after_the_warm_up_a_run_imports_nothing_and_reads_no_corpus():
    out = subprocess.run(
        [sys.executable, "-c", AFTER_WARM_UP], capture_output=True, text=True, check=True
    )
    new_modules, same_corpus, modules = out.stdout.split()
    assert new_modules == "0" and same_corpus == "True"
    cold = "import sys, torch; n = len(sys.modules); torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))]); print(len(sys.modules) - n)"
    first_optimizer = subprocess.run(
        [sys.executable, "-c", cold], capture_output=True, text=True, check=True
    )
    assert int(first_optimizer.stdout) > 100  # what the warm-up takes off the first run


def test_the_queue_warms_up_once_in_the_background_never_with_a_stand_in(monkeypatch):
    calls, threads = [], []

    def record():
        calls.append(1)
        threads.append(threading.current_thread().name)

    monkeypatch.setattr(runs_module, "_warm_up", record)
    queue = TrainingQueue()
    queue.warm_up()
    queue.warm_up()
    wait_for(lambda: calls)
    assert calls == [1] and threads == ["training-warm-up"]
    TrainingQueue(runner=lambda demo, params, progress: []).warm_up()
    assert calls == [1]


def test_opening_a_training_demo_starts_the_warm_up_and_an_analytic_one_does_not(
    env,  # noqa: F811  (the fixture imported above)
    monkeypatch,
):
    calls = []
    monkeypatch.setattr(runs_module, "_warm_up", lambda: calls.append(1))
    open_demo("mlm-loss")
    assert calls == []
    at = open_demo("gpt-train")
    assert not at.exception
    wait_for(lambda: calls)
    assert calls == [1] and env.calls == []  # warmed up, nothing trained
