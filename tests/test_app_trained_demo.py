"""A trained demo on the page: drawn at once from the disk cache after a restart, with when it was
trained and a "Train again" button that trains a fresh model and replaces the stored result."""

import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from minimodels.results import Check, Lines, Metric
from studyapp.app.demo_view import trained_ago, training_queue
from studyapp.demos import REGISTRY
from studyapp.demos import runs as runs_module
from studyapp.demos.diskcache import DemoCache
from tests.bankfixtures import REPO, VALID, write_question
from tests.test_demo_runs import FakeTraining, wait_for

APP = str(REPO / "studyapp" / "app" / "main.py")
GPT = REGISTRY["gpt-train"]
CACHED = [
    Check(
        {"en": "Stored result: below the bigram baseline", "zh": "已保存的结果：低于二元基线"}, True
    ),
    Metric({"en": "val loss", "zh": "验证损失"}, 1.875),
]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A fresh server's state: its bank, database and cache folder, and a training stand-in."""
    write_question(
        tmp_path / "questions", VALID.replace("related: []", "related: []\ndemo: gpt-train")
    )
    monkeypatch.setenv("STUDYAPP_BANK", str(tmp_path / "questions"))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(tmp_path / "cache"))
    training = FakeTraining()
    monkeypatch.setattr(runs_module, "run_demo", training)
    st.cache_resource.clear()  # the queue of a server that has just started
    yield training
    training.close()
    wait_for(lambda: training.running == 0)


def trained_before(minutes: float) -> DemoCache:
    """The default gpt-train run, stored by an earlier server `minutes` ago."""
    cache = DemoCache()
    trained_at = time.time() - minutes * 60
    cache.store(cache.identity(GPT, GPT.defaults()), CACHED, trained_at, 20.0)
    return cache


def open_demo(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["demo"] = "gpt-train"
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def again_button(at: AppTest):
    return at.button(key="demos-gpt-train-again")


def test_after_a_restart_a_trained_demo_is_drawn_at_once_with_when_and_train_again(server):
    trained_before(minutes=5)
    at = open_demo()
    assert not at.exception
    assert not [i for i in at.info if "Press Run" in i.value] and not at.get("progress")
    assert [s.value for s in at.success] == ["Stored result: below the bigram baseline"]
    assert at.metric[0].value == "1.875"
    assert "Trained 5 minutes ago" in [c.value for c in at.caption]
    assert again_button(at).label == "Train again"
    assert server.calls == []  # nothing trained

    at.segmented_control[0].set_value("zh").run()
    assert "5 分钟前训练" in [c.value for c in at.caption]
    assert again_button(at).label == "重新训练"
    assert [s.value for s in at.success] == ["已保存的结果：低于二元基线"]


def test_train_again_trains_a_fresh_model_and_replaces_the_stored_result(server):
    cache = trained_before(minutes=90)
    at = open_demo()
    assert "Trained 1 hour ago" in [c.value for c in at.caption]
    again_button(at).click().run()
    server.wait_started("gpt-train")
    assert not at.exception
    assert at.get("progress") and not at.success  # the fresh run, live
    assert server.calls == [("gpt-train", GPT.defaults())]

    server.gate("gpt-train").set()
    stored = lambda: cache.load(GPT, GPT.defaults())  # noqa: E731
    wait_for(lambda: stored().parts[0].claim["en"] == "gpt-train trained")
    at.run()
    assert [s.value for s in at.success] == ["gpt-train trained"]
    assert "Trained just now" in [c.value for c in at.caption]
    assert time.time() - stored().trained_at < 60 and len(cache.entries()) == 1


def test_a_stored_result_that_cannot_be_drawn_is_dropped_and_run_trains_anew(server):
    cache = DemoCache()
    broken = [Lines(x=[0.0, 1.0], series={"loss": [3.0, 2.0, 1.0]})]  # typed right, lengths not
    cache.store(cache.identity(GPT, GPT.defaults()), broken, time.time(), 20.0)
    at = open_demo()
    assert [e.value for e in at.error][0].startswith("The demo failed: ValueError")
    assert cache.entries() == []
    at.run()
    assert any("Press Run" in i.value for i in at.info) and not at.error
    next(b for b in at.button if b.label == "Run").click().run()
    server.wait_started("gpt-train")
    assert server.calls == [("gpt-train", GPT.defaults())]


def test_train_again_on_a_full_queue_says_so_and_keeps_the_result(server):
    trained_before(minutes=5)
    queue, bert = training_queue(), REGISTRY["bert-fill-mask"]
    queue.submit(bert, bert.defaults())
    server.wait_started("bert-fill-mask")
    for seed in range(1, queue.max_waiting + 1):
        queue.submit(bert, {**bert.defaults(), "seed": seed})
    at = open_demo()
    again_button(at).click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "8 training runs are already waiting. Try again when one has finished."
    ]
    assert [s.value for s in at.success] == ["Stored result: below the bigram baseline"]
    assert [c[0] for c in server.calls] == ["bert-fill-mask"]
    server.close()
    wait_for(lambda: not queue.active(), 30)  # no run of this test is left for the next one


def test_a_first_visit_offers_run_and_no_train_again(server):
    at = open_demo()
    assert any("Press Run" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "demos-gpt-train-again"]
    assert not [c for c in at.caption if "Trained" in c.value]


def test_other_parameters_than_the_stored_ones_train_on_run(server):
    trained_before(minutes=5)
    at = open_demo()
    at.number_input(key="demos-gpt-train-seed").set_value(3)
    next(b for b in at.button if b.label == "Run").click().run()
    server.wait_started("gpt-train")
    at.run()
    assert server.calls == [("gpt-train", {**GPT.defaults(), "seed": 3})]
    assert at.get("progress") and not [b for b in at.button if b.key == "demos-gpt-train-again"]


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [
        (0, "Trained just now", "刚刚训练完成"),
        (59, "Trained just now", "刚刚训练完成"),
        (60, "Trained 1 minute ago", "1 分钟前训练"),
        (60 * 59 + 59, "Trained 59 minutes ago", "59 分钟前训练"),
        (3600, "Trained 1 hour ago", "1 小时前训练"),
        (3600 * 5 + 1, "Trained 5 hours ago", "5 小时前训练"),
        (86400 * 3, "Trained 3 days ago", "3 天前训练"),
        (-30, "Trained just now", "刚刚训练完成"),  # a clock set back
    ],
)
def test_when_a_run_was_trained_reads_naturally(seconds, en, zh):
    assert trained_ago(1_000_000.0, 1_000_000.0 + seconds, "en") == en
    assert trained_ago(1_000_000.0, 1_000_000.0 + seconds, "zh") == zh
