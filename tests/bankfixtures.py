from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "studyapp" / "app" / "main.py")


def open_app(page: str | None = None, **query):
    """A new browser session (as after a reload) of the real app under AppTest, on `page`."""
    from streamlit.testing.v1 import AppTest  # only the app tests pay for importing it

    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


# A valid recall question; tests change one thing in it and expect exactly one finding.
VALID = """\
# yaml-language-server: $schema=../schema.json
id: sample-question
topic: bert
type: recall
difficulty: 2
tags: [bert]
question:
  en: Why can BERT not generate text left to right?
  zh: 为什么 BERT 不能从左到右生成文本？
answer:
  en: It is trained to predict $x_i$ from both sides.
  zh: 它的训练目标是根据两侧上下文预测 $x_i$。
sources:
  - title: BERT
    url: https://arxiv.org/abs/1810.04805
    where: Section 3.1
related: []
"""


def write_question(
    root: Path, text: str, topic: str = "bert", qid: str = "sample-question"
) -> Path:
    path = root / topic / f"{qid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def serve_demo_bank(tmp_path: Path, monkeypatch, demo_id: str) -> Path:
    """What a fresh server sees: a bank of one question whose answer links `demo_id`, its own
    database and cache folder, and empty Streamlit caches. Returns the bank folder."""
    import streamlit as st

    root = tmp_path / "questions"
    write_question(root, VALID.replace("related: []", f"related: []\ndemo: {demo_id}"))
    monkeypatch.setenv("STUDYAPP_BANK", str(root))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(tmp_path / "cache"))  # no other test's runs
    st.cache_resource.clear()
    st.cache_data.clear()
    return root


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    root = tmp_path / "questions"
    write_question(root, VALID)
    return root


CHOICE = (
    VALID.replace("id: sample-question", "id: pick-the-encoder")
    .replace("type: recall", "type: choice")
    .replace("Why can BERT not generate text left to right?", "Which stack is BERT?")
    .replace("为什么 BERT 不能从左到右生成文本？", "BERT 是哪一种结构？")
    + """choices:
  - text: {en: The encoder, zh: 编码器}
    correct: true
    why: {en: BERT is the encoder stack., zh: BERT 是编码器堆叠。}
  - text: {en: The decoder, zh: 解码器}
    correct: false
    why: {en: That is GPT., zh: 那是 GPT。}
"""
)

NUMERIC = (
    VALID.replace("id: sample-question", "id: gpt2-small-params")
    .replace("topic: bert", "topic: sizes")
    .replace("type: recall", "type: numeric")
    .replace(
        "Why can BERT not generate text left to right?", "How many parameters has GPT-2 small?"
    )
    .replace("为什么 BERT 不能从左到右生成文本？", "GPT-2 small 有多少参数？")
    + """numeric:
  value: 124439808
  tolerance: 0
  unit: parameters
"""
)


def study_bank(root: Path) -> Path:
    """A bank with one question of each type."""
    write_question(root, VALID)
    write_question(root, CHOICE, qid="pick-the-encoder")
    write_question(root, NUMERIC, topic="sizes", qid="gpt2-small-params")
    return root
