"""Training demos run in the server's queue: only on Run, one at a time, never restarted by a rerun.

The queue is tested with a stand-in for `run_demo` that waits for the test's signal, so that
"while it trains" is a state the test controls rather than a race.
"""

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from minimodels.results import Check, Lines
from studyapp.demos import REGISTRY
from studyapp.demos import runs as runs_module
from studyapp.demos.diskcache import DemoCache
from studyapp.demos.runs import QueueFull, TrainingQueue
from tests.bankfixtures import REPO, VALID, serve_demo_bank, write_question

APP = str(REPO / "studyapp" / "app" / "main.py")
GPT, BERT, CLM = REGISTRY["gpt-train"], REGISTRY["bert-fill-mask"], REGISTRY["clm-vs-mlm"]


class FakeTraining:
    """Stands in for `run_demo`: records each call and how many ran at once, reports progress,
    and finishes a run only when the test releases it."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.running = 0
        self.most_at_once = 0
        self.release: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.closed = False

    def gate(self, demo_id: str) -> threading.Event:
        event = self.release.setdefault(demo_id, threading.Event())
        if self.closed:
            event.set()
        return event

    def close(self) -> None:
        """Let every run, now or later, finish at once."""
        self.closed = True
        for event in self.release.values():
            event.set()

    def wait_started(self, demo_id: str) -> None:
        assert self.started.setdefault(demo_id, threading.Event()).wait(10), demo_id

    def __call__(self, demo, params, progress):
        with self._lock:
            self.calls.append((demo.id, dict(params)))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.started.setdefault(demo.id, threading.Event()).set()
        curve = Lines(x=[0, 1], series={"val loss": [4.0, 3.0]}, x_label="step", y_label="loss")
        progress(0.5, {"en": "step 1/2 · loss 3.000", "zh": "第 1/2 步 · 损失 3.000"}, curve)
        try:
            if params.get("seed") == 13:
                raise ValueError("seed 13 is unlucky")
            assert self.gate(demo.id).wait(20), "the test never released the run"
            return [Check({"en": f"{demo.id} trained", "zh": f"{demo.id} 训练完成"}, True)]
        finally:
            with self._lock:
                self.running -= 1


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def fake(monkeypatch):
    training = FakeTraining()
    monkeypatch.setattr(runs_module, "run_demo", training)
    yield training
    training.close()  # no worker waits past the test
    wait_for(lambda: training.running == 0)


def test_runs_train_one_at_a_time_in_the_order_asked(fake):
    queue = TrainingQueue(runner=fake)
    first = queue.submit(GPT, GPT.defaults())
    fake.wait_started("gpt-train")
    second = queue.submit(BERT, BERT.defaults())
    third = queue.submit(CLM, CLM.defaults())
    assert (first.state, second.state, third.state) == ("running", "waiting", "waiting")
    assert [queue.ahead_of(r) for r in (first, second, third)] == [0, 1, 2]
    assert queue.active() == [first, second, third]
    assert first.done == 0.5 and first.text["en"] == "step 1/2 · loss 3.000"
    assert first.curve.series["val loss"] == [4.0, 3.0]

    fake.gate("gpt-train").set()
    fake.wait_started("bert-fill-mask")
    assert first.state == "done" and first.parts[0].claim["en"] == "gpt-train trained"
    assert queue.ahead_of(third) == 1
    fake.gate("bert-fill-mask").set()
    fake.gate("clm-vs-mlm").set()
    wait_for(lambda: third.over)
    assert [c[0] for c in fake.calls] == ["gpt-train", "bert-fill-mask", "clm-vs-mlm"]
    assert fake.most_at_once == 1


def test_the_same_parameters_are_one_shared_run(fake):
    queue = TrainingQueue(runner=fake)
    run = queue.submit(GPT, GPT.defaults())
    assert queue.submit(GPT, GPT.defaults()) is run
    assert queue.find(GPT, GPT.defaults()) is run
    other = queue.submit(GPT, {**GPT.defaults(), "seed": 1})
    assert other is not run and queue.ahead_of(other) == 1
    fake.gate("gpt-train").set()
    wait_for(lambda: other.over)
    assert queue.submit(GPT, GPT.defaults()) is run  # finished: not trained again
    assert len(fake.calls) == 2


def test_a_failed_run_keeps_its_error_and_is_tried_again_on_the_next_run(fake):
    queue = TrainingQueue(runner=fake)
    bad = queue.submit(GPT, {**GPT.defaults(), "seed": 13})
    wait_for(lambda: bad.over)
    assert bad.state == "failed" and "ValueError: seed 13 is unlucky" in bad.error
    again = queue.submit(GPT, {**GPT.defaults(), "seed": 13})
    assert again is not bad
    wait_for(lambda: again.over)
    assert len(fake.calls) == 2


def test_memory_is_bounded_finished_results_and_waiting_runs(fake):
    queue = TrainingQueue(keep=2, max_waiting=2, runner=fake)
    fake.gate("gpt-train").set()
    done = []
    for seed in range(4):
        run = queue.submit(GPT, {**GPT.defaults(), "seed": seed})
        wait_for(lambda run=run: run.over)
        done.append(run)
    assert queue.find(GPT, {**GPT.defaults(), "seed": 0}) is None  # the oldest were dropped
    assert queue.find(GPT, {**GPT.defaults(), "seed": 3}) is done[3]

    running = queue.submit(BERT, BERT.defaults())
    fake.wait_started("bert-fill-mask")
    queue.submit(BERT, {**BERT.defaults(), "seed": 1})
    queue.submit(BERT, {**BERT.defaults(), "seed": 2})
    with pytest.raises(QueueFull, match="2 training runs are already waiting"):
        queue.submit(BERT, {**BERT.defaults(), "seed": 3})
    assert running.state == "running"


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path, monkeypatch, fake):
    serve_demo_bank(tmp_path, monkeypatch, "gpt-train")
    return fake


def open_demo(demo_id: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["demo"] = demo_id
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def run_button(at: AppTest):
    return next(b for b in at.button if b.label in ("Run", "运行"))


def test_opening_a_training_demo_trains_nothing_until_run_is_pressed(env):
    at = open_demo("gpt-train")
    assert not at.exception
    assert any("Press Run to train this model" in i.value for i in at.info)
    at.run()
    assert env.calls == [] and not at.get("progress")
    run_button(at).click().run()
    env.wait_started("gpt-train")
    assert env.calls == [("gpt-train", GPT.defaults())]


def test_a_rerun_a_language_switch_or_another_page_never_restarts_the_run(env):
    at = open_demo("gpt-train")
    run_button(at).click().run()
    env.wait_started("gpt-train")
    at.run()
    [bar] = at.get("progress")
    assert bar.proto.text == "step 1/2 · loss 3.000" and at.get("vega_lite_chart")  # live curve

    at.segmented_control[0].set_value("zh").run()  # the language switch
    assert not at.exception
    [bar] = at.get("progress")
    assert bar.proto.text == "第 1/2 步 · 损失 3.000"
    at.switch_page("app_pages/browse.py").run()
    at.switch_page("app_pages/demos.py").run()
    assert at.get("progress"), "the run is still shown when the learner comes back"

    env.gate("gpt-train").set()
    wait_for(lambda: env.running == 0 and len(env.calls) == 1)
    time.sleep(0.1)
    at.run()
    assert not at.exception and not at.get("progress")
    assert any("gpt-train 训练完成" in s.value for s in at.success)
    assert len(env.calls) == 1  # trained once, whatever the learner touched


def test_a_second_session_waits_in_line_and_sees_its_place(env):
    first = open_demo("gpt-train")
    run_button(first).click().run()
    env.wait_started("gpt-train")

    second = open_demo("bert-fill-mask", lang="zh")
    run_button(second).click().run()
    assert not second.exception
    assert any("排队中：前面还有 1 个训练任务" in i.value for i in second.info)
    assert [c[0] for c in env.calls] == ["gpt-train"]  # not started: one training at a time

    env.gate("gpt-train").set()
    env.wait_started("bert-fill-mask")
    second.run()
    assert second.get("progress") and not [i for i in second.info if "排队中" in i.value]
    env.gate("bert-fill-mask").set()
    assert env.most_at_once == 1


def test_a_failed_training_shows_its_error_on_the_page(env):
    at = open_demo("gpt-train")
    at.number_input(key="demos-gpt-train-seed").set_value(13)
    run_button(at).click().run()
    wait_for(lambda: len(env.calls) == 1 and env.running == 0)
    time.sleep(0.1)
    at.run()
    assert any("The demo failed: ValueError: seed 13 is unlucky" in e.value for e in at.error)


def test_a_demo_under_a_question_also_waits_for_run(env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["q"] = "sample-question"
    at.run()
    at.switch_page("app_pages/browse.py").run()
    at.session_state["q-sample-question"] = True
    at.run()
    at.toggle(key="demo-on-sample-question").set_value(True).run()
    assert not at.exception
    assert any("Press Run" in i.value for i in at.info) and env.calls == []


def test_another_demo_shows_none_of_the_training_ones_widgets(env):
    at = open_demo("gpt-train")
    run_button(at).click().run()
    env.wait_started("gpt-train")
    at.run()
    assert at.get("progress")
    at.selectbox(key="demo_pick").set_value("mlm-loss").run()
    assert not at.exception
    assert not at.get("progress") and not at.get("vega_lite_chart")  # gpt-train's are gone
    assert any("equals the mean over selected positions" in s.value for s in at.success)
    assert not [w for w in at.slider if w.key and w.key.startswith("demos-gpt-train")]
    at.selectbox(key="demo_pick").set_value("bert-fill-mask").run()
    assert any("Press Run" in i.value for i in at.info) and not at.get("progress")
    assert [c[0] for c in env.calls] == ["gpt-train"]  # still the one run, still training


# --- the disk cache: a finished run outlives the server --------------------------------------


@pytest.fixture
def demo_cache(tmp_path, monkeypatch):
    write_question(tmp_path / "questions", VALID)
    monkeypatch.setenv("STUDYAPP_BANK", str(tmp_path / "questions"))
    return DemoCache(tmp_path / "cache")


def test_a_new_queue_with_the_same_cache_finds_the_finished_run(fake, demo_cache):
    fake.close()
    first = TrainingQueue(runner=fake, cache=demo_cache)
    run = first.submit(GPT, GPT.defaults())
    wait_for(lambda: run.over and demo_cache.entries())
    assert run.state == "done" and not run.from_disk and run.trained_at <= time.time()

    restarted = TrainingQueue(runner=fake, cache=DemoCache(demo_cache.folder))  # a new server
    found = restarted.find(GPT, GPT.defaults())
    assert found.state == "done" and found.from_disk and found.over
    assert found.trained_at == run.trained_at
    assert found.parts[0].claim == {"en": "gpt-train trained", "zh": "gpt-train 训练完成"}
    assert restarted.submit(GPT, GPT.defaults()) is found  # Run does not train it again
    assert restarted.find(BERT, BERT.defaults()) is None  # nothing else was trained
    assert len(fake.calls) == 1


def test_train_again_replaces_the_stored_result(fake, demo_cache):
    fake.close()
    TrainingQueue(runner=fake, cache=demo_cache).submit(GPT, GPT.defaults())
    wait_for(lambda: demo_cache.entries())
    old = TrainingQueue(runner=fake, cache=demo_cache).find(GPT, GPT.defaults())

    def retrained(demo, params, progress):
        return [Check({"en": "trained again", "zh": "重新训练完成"}, True)]

    queue = TrainingQueue(runner=retrained, cache=demo_cache)
    assert queue.find(GPT, GPT.defaults()).from_disk
    again = queue.submit(GPT, GPT.defaults(), again=True)
    assert again is not old and not again.from_disk
    wait_for(lambda: again.over)
    assert queue.submit(GPT, GPT.defaults(), again=False) is again
    stored = lambda: TrainingQueue(cache=demo_cache).find(GPT, GPT.defaults())  # noqa: E731
    wait_for(lambda: stored().trained_at == again.trained_at)  # written after the run is over
    restarted = TrainingQueue(cache=demo_cache).find(GPT, GPT.defaults())
    assert restarted.parts[0].claim["en"] == "trained again"
    assert restarted.trained_at == again.trained_at > old.trained_at
    assert len(demo_cache.entries()) == 1


def test_a_failed_run_is_not_stored(fake, demo_cache):
    queue = TrainingQueue(runner=fake, cache=demo_cache)
    bad = queue.submit(GPT, {**GPT.defaults(), "seed": 13})
    wait_for(lambda: bad.over)
    assert bad.state == "failed" and demo_cache.entries() == []
    assert TrainingQueue(cache=demo_cache).find(GPT, {**GPT.defaults(), "seed": 13}) is None


def test_a_cache_that_cannot_be_written_loses_no_result(fake, demo_cache):
    demo_cache.folder.parent.mkdir(parents=True, exist_ok=True)
    demo_cache.folder.write_text("a file where the folder should be")
    fake.close()
    queue = TrainingQueue(runner=fake, cache=demo_cache)
    run = queue.submit(GPT, GPT.defaults())
    wait_for(lambda: run.over)
    assert run.state == "done" and queue.find(GPT, GPT.defaults()) is run
    later = queue.submit(BERT, BERT.defaults())  # the worker goes on
    wait_for(lambda: later.over)
    assert later.state == "done"
