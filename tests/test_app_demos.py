"""The Demos page and a question's embedded demo, under AppTest."""

import json
import time

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.bankfixtures import REPO, serve_demo_bank

APP = str(REPO / "studyapp" / "app" / "main.py")


@pytest.fixture
def env(tmp_path, monkeypatch):
    serve_demo_bank(tmp_path, monkeypatch, "mlm-loss")


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


def test_a_training_demo_trains_on_run_and_reruns_from_its_result(env):
    at = open_app(demo="decoder-vs-encdec")
    assert not at.get("progress") and any("Press Run" in i.value for i in at.info)
    at.slider(key="demos-decoder-vs-encdec-steps").set_value(50)
    next(b for b in at.button if b.label == "Run").click().run()  # real training, in the queue
    deadline = time.monotonic() + 300
    while not (at.success or at.error):
        assert time.monotonic() < deadline
        time.sleep(1)
        at.run()  # what the page's fragment does every second
        assert not at.exception
    assert not at.error, [e.value for e in at.error]
    at.run()  # a rerun draws the finished result again, without training
    assert not at.exception and not at.error and not at.get("progress")
    assert at.success and at.get("vega_lite_chart")


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
    from studyapp.app.demo_view import table_frame

    frame = table_frame(Table(columns=["run", "loss"], rows=[["aux", 3.7], ["plain", "—"]]))
    assert pa.Table.from_pandas(frame).column("loss").to_pylist() == ["3.7", "—"]


def test_an_analytic_demo_in_chinese_has_chinese_table_cells_and_check_details(env):
    at = open_app(demo="mlm-loss", lang="zh")
    assert not at.exception
    [table] = at.dataframe
    labels = table.value["标签"]  # the labels tensor itself: token ids where selected, else -100
    selected = table.value["损失项"] != "—"
    assert (labels[~selected] == -100).all() and (labels[selected] >= 0).all() and selected.any()
    [check] = at.success
    assert "等于被选位置上的平均损失" in check.value and "|差值| = " in check.value
    assert "difference" not in check.value

    at = open_app(demo="kv-cache", lang="zh")
    assert not at.exception
    assert set(at.dataframe[0].value.iloc[:, -1]) == {"是"}  # "same tokens?" cells, translated


def _progress_page(text, curve):
    from studyapp.app.demo_view import draw_run
    from studyapp.demos import REGISTRY
    from studyapp.demos.runs import Run

    run = Run(REGISTRY["gpt-train"], {}, state="running", done=0.5, text=text, curve=curve)
    draw_run(run, 0, "zh")


def test_the_live_training_progress_reads_in_chinese():
    """Two real training steps of the tiny GPT on a made-up text, then the app draws the last
    progress report: the bar's text and the curve's names are Chinese, as in the final chart."""
    import torch

    from minimodels.demos.trained import Corpus, gpt_config, train_config, train_with_curve
    from minimodels.gpt import GPT
    from minimodels.tokenizers import BERT_SPECIALS, CharTokenizer
    from minimodels.train import split_train_val

    text = "attention lets every token look at every other token. " * 100
    tok = CharTokenizer.train(text, specials=BERT_SPECIALS)
    documents = [torch.tensor(tok.encode(text))]
    train_docs, val_docs = split_train_val(documents, 0.1)
    corpus = Corpus(documents, tok, torch.cat(train_docs), torch.cat(val_docs), "made-up")
    torch.manual_seed(0)
    calls = []
    train_with_curve(
        GPT(gpt_config(tok.vocab_size)),
        corpus,
        train_config("clm", steps=2, seed=0),
        ("uniform", "unigram", "bigram"),
        lambda *call: calls.append(call),
        "GPT · ",
    )
    done, text, curve = calls[-1]
    assert done == 1.0 and text["en"].startswith("GPT · step 2/2 · loss ")

    at = AppTest.from_function(_progress_page, kwargs={"text": text, "curve": curve}).run()
    assert not at.exception
    [bar] = at.get("progress")
    assert bar.proto.text.startswith("GPT · 第 2/2 步 · 损失 ") and " · 验证损失 " in bar.proto.text
    [chart] = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["x"]["title"] == "步数" and spec["encoding"]["y"]["title"] == "损失"
    [data] = chart.proto.datasets
    series = pa.ipc.open_stream(data.data.data).read_all().column("series").unique()
    assert sorted(series.to_pylist()) == sorted(
        ["训练损失", "验证损失", "均匀分布基线", "一元（unigram）基线", "二元（bigram）基线"]
    )


def test_demo_tables_and_checks_read_in_chinese_without_raw_names(env):
    at = open_app(demo="param-count", lang="zh")
    assert not at.exception
    [table] = at.dataframe
    assert list(table.value.columns) == ["部分", "按公式计算", "真实模型（meta 设备）", "占比"]
    checks = [s.value for s in at.success]
    assert checks and all(". " not in c for c in checks)  # joined with "。", not an ASCII ". "
    assert any("一致。合计 124,439,808 对 124,439,808" in c for c in checks)
    at = open_app(demo="param-count")
    assert any("agree on every part. total 124,439,808" in s.value for s in at.success)


def test_check_lines_join_claim_and_detail_in_the_learners_language():
    from minimodels.results import Check
    from studyapp.app.demo_view import check_text

    check = Check({"en": "It holds.", "zh": "成立。"}, True, {"en": "max 0", "zh": "最大 0"})
    assert check_text(check, "en") == "It holds. max 0"
    assert check_text(check, "zh") == "成立。最大 0"
    assert check_text(Check({"en": "It holds", "zh": "成立"}, True), "zh") == "成立"


def test_the_questions_a_demo_proves_are_same_tab_links_keeping_the_language(env):
    at = open_app(demo="mlm-loss", lang="zh")
    assert not at.exception
    [link] = [p for p in at.get("page_link") if p.proto.page == "question"]
    assert link.proto.label == "为什么 BERT 不能从左到右生成文本？"
    assert "q=sample-question" in link.proto.query_string and "lang=zh" in link.proto.query_string
