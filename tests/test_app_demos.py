"""The Demos page and a question's embedded demo, under AppTest."""

import json

import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.bankfixtures import REPO, VALID, write_question

APP = str(REPO / "studyapp" / "app.py")


@pytest.fixture
def env(tmp_path, monkeypatch):
    text = VALID.replace("related: []", "related: []\ndemo: mlm-loss")
    write_question(tmp_path / "questions", text)
    monkeypatch.setenv("STUDYAPP_BANK", str(tmp_path / "questions"))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    st.cache_resource.clear()
    st.cache_data.clear()


def open_app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_deep_link_runs_the_demo_and_shows_its_checks_and_code(env):
    at = open_app(demo="mlm-loss")
    assert not at.exception
    assert at.selectbox(key="demo_pick").value == "mlm-loss"
    assert any("equals the mean over selected positions" in s.value for s in at.success)
    code = [c.value for c in at.code if "def run(" in c.value]
    assert code and "masked_lm_loss" in code[0]


def test_a_bad_parameter_gets_a_message_not_a_trace(env):
    at = open_app(demo="mlm-loss")
    at.text_input(key="demos-mlm-loss-sentence").input("   ")
    at.button[0].click().run()  # the form's Run
    assert not at.exception
    assert any("This value cannot be used: sentence must be some text" in e.value for e in at.error)


def test_a_question_with_a_demo_can_run_it_after_the_answer(env):
    at = open_app(q="sample-question")
    [reveal] = [b for b in at.button if b.label == "Show answer"]
    reveal.click().run()
    toggle = at.toggle(key="demo-on-sample-question")
    toggle.set_value(True).run()
    assert not at.exception
    assert any("equals the mean over selected positions" in s.value for s in at.success)


def test_a_training_demo_reruns_from_the_cache(env):
    at = open_app(demo="decoder-vs-encdec")
    at.slider(key="demos-decoder-vs-encdec-steps").set_value(50)
    at.button[0].click().run()  # the form's Run: trains, drawing its progress as it goes
    assert not at.exception and not at.error
    at.run()  # a rerun takes the result from the cache, which must not replay the progress bar
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success or at.get("vega_lite_chart")


def test_a_demo_in_chinese_has_chinese_headers_axis_titles_and_legend(env):
    at = open_app(demo="causal-leakage", lang="zh")
    assert not at.exception
    [table] = at.dataframe
    assert "位置" in table.value.columns and "position" not in table.value.columns
    [chart] = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["encoding"]["x"]["title"] == "位置"
    [data] = chart.proto.datasets  # the rows the chart draws; the legend lists their series
    series = pa.ipc.open_stream(data.data.data).read_all().column("series").unique()
    assert sorted(series.to_pylist()) == ["BERT（双向注意力）", "GPT（因果注意力）"]


def test_tables_mixing_numbers_and_text_reach_the_browser():
    from minimodels.results import Table
    from studyapp.demo_ui import table_frame

    frame = table_frame(Table(columns=["run", "loss"], rows=[["aux", 3.7], ["plain", "—"]]))
    assert pa.Table.from_pandas(frame).column("loss").to_pylist() == ["3.7", "—"]
