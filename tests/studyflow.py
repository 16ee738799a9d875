"""Shared helpers for the study-flow AppTests: a bank over several topics and small drivers."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studyapp.progress.store import ProgressStore
from tests.bankfixtures import NUMERIC, VALID, study_bank, write_question


def recall(qid: str, topic: str, en: str, zh: str, answer: str = "") -> str:
    text = (
        VALID.replace("id: sample-question", f"id: {qid}")
        .replace("topic: bert", f"topic: {topic}")
        .replace("Why can BERT not generate text left to right?", en)
        .replace("为什么 BERT 不能从左到右生成文本？", zh)
    )
    if answer:
        start = text.index("answer:")
        end = text.index("sources:")
        text = text[:start] + answer + text[end:]
    return text


INTERVIEW_ANSWER = """answer:
  en: |
    **Bidirectional context.** The model sees the whole sentence at once.

    **No causal mask.** Every token attends to every other one, so there is no left-to-right
    order to sample in.
  zh: |
    **双向上下文。** 模型一次看到整个句子。

    **没有因果掩码。** 每个 token 都关注其他所有 token，因此没有从左到右的采样顺序。
"""

FLOPS = (
    NUMERIC.replace("id: gpt2-small-params", "id: gpt3-compute")
    .replace("How many parameters has GPT-2 small?", "How much compute trained GPT-3?")
    .replace("GPT-2 small 有多少参数？", "训练 GPT-3 用了多少算力？")
    .replace("value: 124439808", "value: 3.15")
    .replace("tolerance: 0\n", "tolerance: 0.02\n")
    .replace("unit: parameters", "unit: × 10^23 FLOPs")
)


def topics_bank(root: Path) -> Path:
    """The study bank (bert: recall + choice, sizes: numeric) plus one recall question each in
    gpt and attention, and a numeric in sizes with a power of ten in its unit."""
    study_bank(root)
    write_question(
        root,
        recall("gpt-causal", "gpt", "Why is GPT causal?", "为什么 GPT 是因果的？"),
        topic="gpt",
        qid="gpt-causal",
    )
    write_question(
        root,
        recall("attention-scale", "attention", "Why scale by sqrt(d)?", "为什么要除以 sqrt(d)？"),
        topic="attention",
        qid="attention-scale",
    )
    write_question(root, FLOPS, topic="sizes", qid="gpt3-compute")
    return root


@pytest.fixture(name="env")
def flow_env(tmp_path, monkeypatch):
    bank = topics_bank(tmp_path / "questions")
    db = tmp_path / "progress.db"
    monkeypatch.setenv("STUDYAPP_BANK", str(bank))
    monkeypatch.setenv("STUDYAPP_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db
    st.cache_resource.clear()


def click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label.startswith(label)]
    button.click().run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    [found] = [b for b in at.button if b.label.startswith(label)]
    return found


def reviews(db) -> list[tuple[str, int, bool | None]]:
    with ProgressStore(db) as store:
        me = store.default_profile()
        return [(e.question_id, int(e.rating), e.correct) for e in store.reviews(me.id)]


def durations(db) -> list[int | None]:
    with ProgressStore(db) as store:
        return [e.duration_ms for e in store.reviews(store.default_profile().id)]


def shown_question(at: AppTest) -> str:
    """The question on screen: the first Markdown after the counters or progress."""
    texts = [m.value.strip() for m in at.markdown]
    known = {
        "Why can BERT not generate text left to right?": "sample-question",
        "Which stack is BERT?": "pick-the-encoder",
        "How many parameters has GPT-2 small?": "gpt2-small-params",
        "How much compute trained GPT-3?": "gpt3-compute",
        "Why is GPT causal?": "gpt-causal",
        "Why scale by sqrt(d)?": "attention-scale",
    }
    for text in texts:
        if text in known:
            return known[text]
    raise AssertionError(f"no known question on screen: {texts}")


def pick(at: AppTest, label: str) -> AppTest:
    radio = at.radio[0]
    radio.set_value(next(i for i in range(len(radio.options)) if radio.format_func(i) == label))
    return at.run()
