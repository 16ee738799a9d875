"""Browse's search by meaning under AppTest: with the optional extra an English paraphrase that
shares no keyword with its question finds it; without the extra Browse ranks by keywords as
before and says once what the extra adds; Chinese keeps the keyword ranking; a page without a
query never imports torch."""

import json
import subprocess
import sys

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studyapp import semantic
from studyapp.app.i18n import tr
from studyapp.bank.load import load_bank
from tests.bankfixtures import APP, REPO, VALID, write_question

# No word of it (bar "why", which BM25 does not require) is in the bank: only the meaning of
# "Why can BERT not generate text left to right?" matches it.
PARAPHRASE = "why is a bidirectional encoder unable to write sentences one word after another"
OTHERS = {
    "kv-cache-contents": "What does a KV cache store during generation?",
    "warmup-why": "Why do pre-training runs ramp the learning rate up over the first steps?",
}
OTHERS_ZH = {
    "kv-cache-contents": "KV 缓存里存的是什么？",
    "warmup-why": "预训练为什么要预热学习率？",
}


@pytest.fixture
def bank(tmp_path):
    root = tmp_path / "questions"
    write_question(root, VALID)
    for qid, question in OTHERS.items():
        text = (
            VALID.replace("id: sample-question", f"id: {qid}")
            .replace("topic: bert", "topic: gpt")
            .replace("Why can BERT not generate text left to right?", question)
            .replace("为什么 BERT 不能从左到右生成文本？", OTHERS_ZH[qid])
            .replace("It is trained to predict $x_i$ from both sides.", "See the paper.")
        )
        write_question(root, text, topic="gpt", qid=qid)
    return root


@pytest.fixture
def browse(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYAPP_BANK", str(bank))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    semantic._memo.clear()
    st.cache_resource.clear()

    def search(*queries: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        at.switch_page("app_pages/browse.py").run()
        for query in queries:
            at.text_input(key="q_search").input(query).run()
            assert not at.exception, at.exception
        return at

    yield search
    for build in list(semantic._builds.values()):  # none outlives its test's cache folder
        build.join(600)
    semantic._memo.clear()


def titles(at: AppTest) -> list[str]:
    return [e.label.split("  \n")[0] for e in at.expander]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.skipif(not semantic.available(), reason="the optional extra is not installed")
def test_with_the_extra_a_paraphrase_finds_its_question(browse, bank, tmp_path, monkeypatch):
    # The first search does not wait for the model: keywords (none here) meanwhile, and a note.
    monkeypatch.setattr(semantic, "MEANING_WAIT_SECONDS", 0)
    at = browse(PARAPHRASE)
    assert titles(at) == []
    assert tr("meaning_search_building", "en", n=3) in captions(at)
    # Once the background build is done, the same search ranks by meaning.
    texts = semantic.question_texts(load_bank(bank).questions, with_answer=False)
    assert semantic.embeddings_for(texts, wait=600) is not None
    at.run()
    assert titles(at)[0] == "Why can BERT not generate text left to right?"
    assert tr("meaning_search_building", "en", n=3) not in captions(at)
    assert tr("meaning_search_missing", "en") not in captions(at)
    # The embeddings were cached for the next process.
    assert len(list((tmp_path / "cache" / "embeddings").glob("*.npz"))) == 1


@pytest.mark.skipif(not semantic.available(), reason="the optional extra is not installed")
def test_a_keyword_hit_still_comes_first_with_the_extra(browse):
    at = browse("KV cache")
    assert titles(at)[0] == OTHERS["kv-cache-contents"]


def test_without_the_extra_keywords_rank_and_the_page_says_once_what_the_extra_adds(
    browse, monkeypatch
):
    monkeypatch.setattr(semantic, "available", lambda: False)
    calls = []
    monkeypatch.setattr(semantic, "embeddings_for", lambda *args, **kw: calls.append(args))
    at = browse(PARAPHRASE)
    assert titles(at) == []
    assert tr("no_match", "en") in [i.value for i in at.info]
    assert captions(at).count(tr("meaning_search_missing", "en")) == 1
    at.text_input(key="q_search").input("KV cache").run()
    assert titles(at) == [OTHERS["kv-cache-contents"]]
    assert tr("meaning_search_missing", "en") not in captions(at)  # once a session
    assert calls == []


def test_a_chinese_query_keeps_the_keyword_ranking(browse, monkeypatch):
    monkeypatch.setattr(semantic, "available", lambda: True)
    calls = []
    monkeypatch.setattr(semantic, "embeddings_for", lambda *args, **kw: calls.append(args))
    at = browse("从左到右生成")
    assert titles(at) == ["Why can BERT not generate text left to right?"]
    assert calls == []  # the model was never asked


def test_a_page_without_a_query_never_imports_torch(bank, tmp_path):
    script = f"""
import json, os, sys
os.environ.update(STUDYAPP_BANK={str(bank)!r}, STUDYAPP_DB={str(tmp_path / "p.db")!r})
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({APP!r}, default_timeout=120)
at.run()
at.switch_page("app_pages/browse.py").run()
print(json.dumps([len(at.expander), "torch" in sys.modules]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shown, torch_loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown == 3
    assert torch_loaded is False
