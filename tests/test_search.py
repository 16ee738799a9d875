"""Ranked search over the bank (BM25, jieba for Chinese), its snippets and the titles of questions."""

import subprocess
import sys

import pytest

from studyapp.bank import search
from studyapp.bank.load import load_bank
from studyapp.bank.search import MAX_QUERY_CHARS, SearchIndex, snippet, title_of, tokenize
from tests.bankfixtures import REPO, VALID, write_question


@pytest.fixture(scope="module")
def shipped():
    report = load_bank(REPO / "questions")
    return report, SearchIndex(report.questions)


def test_kv_cache_written_any_way_ranks_the_kv_cache_questions_first(shipped):
    report, index = shipped
    results = {}
    for query in ("kv cache", "KV-cache", "KV cache", "kv_cache", "KV caches"):
        ranked = [qid for qid, _ in index.search(query)]
        for qid in ranked[:3]:  # the best ones ask about the KV cache itself
            asked = " ".join(tokenize(report.questions[qid].question.en))
            assert "kv cache" in asked, (query, qid)
        kv_cache_questions = {q for q in report.questions if q.startswith("attention-kv-cache")}
        assert kv_cache_questions <= set(ranked[:10]), query
        results[query] = ranked
    assert results["kv cache"] == results["KV-cache"] == results["kv_cache"]


def test_ranking_prefers_the_question_and_the_phrase(tmp_path):
    def question(qid: str, en_question: str, en_answer: str) -> None:
        text = VALID.replace("sample-question", qid)
        text = text.replace("Why can BERT not generate text left to right?", en_question)
        text = text.replace("It is trained to predict $x_i$ from both sides.", en_answer)
        write_question(tmp_path, text, qid=qid)

    question("asks-kv-cache", "What does the KV-cache store?", "Keys and values.")
    question("answer-kv-cache", "Why is decoding fast?", "Because of the KV cache.")
    question("cache-only", "What is a cache miss?", "A kv lookup fails; the cache is cold.")
    question("unrelated", "What is attention?", "Weights over values.")
    index = SearchIndex(load_bank(tmp_path).questions)
    assert [qid for qid, _ in index.search("kv cache")] == [
        "asks-kv-cache",
        "answer-kv-cache",
        "cache-only",
    ]


def test_words_are_cut_at_hyphens_and_case_and_plural_are_ignored():
    assert tokenize("KV-cache") == tokenize("kv cache") == tokenize("KV caches") == ["kv", "cache"]
    assert tokenize("loss") == ["loss"]  # not a plural


def test_chinese_is_segmented_into_words_and_found(shipped):
    report, index = shipped
    assert "缓存" in tokenize("键值缓存保存每一层的键和值")
    ranked = [qid for qid, _ in index.search("KV 缓存")]
    assert ranked and "attention-kv-cache-mechanism" in ranked[:4]
    for qid in ranked:
        assert "缓存" in "".join(t for loc, t in report.questions[qid].texts() if loc[-1] == "zh")
    position = [qid for qid, _ in index.search("位置编码")]
    assert position and "位置编码" in search.unbreak(report.questions[position[0]].question.zh)


def test_every_word_of_the_query_is_required_but_stopwords_are_not(shipped):
    report, index = shipped
    both = index.search("causal mask")
    assert both
    for qid, _ in both:
        text = " ".join(tokenize(" ".join(t for _, t in report.questions[qid].texts())))
        assert "causal" in text and "mask" in text
    ids = lambda query: {qid for qid, _ in index.search(query)}  # noqa: E731
    assert ids("what is the kv cache") == ids("kv cache")  # "what", "is", "the" not required
    assert index.search("kv cache zzzqqq") == []
    assert index.search("") == [] and index.search("  ,  ") == []


def test_scores_are_ranked_best_first(shipped):
    _, index = shipped
    scores = [score for _, score in index.search("attention mask")]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] > 0


def test_a_huge_query_is_cut_to_the_cap(shipped):
    _, index = shipped
    assert len(search.clean_query("x" * 60_000)) == MAX_QUERY_CHARS
    # Only the first MAX_QUERY_CHARS characters count: the words after them change nothing.
    query = "kv cache " + "a" * (MAX_QUERY_CHARS - 9)
    assert index.search(query + " zzzqqq" * 10_000) == index.search(query)


def test_the_index_is_built_once_per_bank_version(tmp_path):
    write_question(tmp_path, VALID)
    first = load_bank(tmp_path)
    assert search.index_for(first) is search.index_for(first)
    second = load_bank(tmp_path)  # a new version of the bank (a file changed)
    assert search.index_for(second) is not search.index_for(first)


def test_snippet_marks_the_matched_words_in_the_learners_language(shipped):
    report, _ = shipped
    q = report.questions["attention-kv-cache-mechanism"]
    found = snippet(q, "en", "kv-cache")
    assert found is not None
    assert {m.casefold() for m in found.matched} <= {"kv cache", "kv", "cache"}
    assert any(m.casefold() == "kv cache" for m in found.matched)  # adjacent words: one mark
    assert len(found.text) <= 200
    zh = snippet(q, "zh", "缓存")
    assert zh is not None and "缓存" in zh.matched
    # An English query on the Chinese interface still shows where it matched (in English).
    assert "cache" in {m.casefold() for m in snippet(q, "zh", "cache").matched}


def test_snippet_text_is_the_bank_text_as_written(tmp_path):
    text = VALID.replace(
        "It is trained to predict $x_i$ from both sides.",
        "It is trained [like this](javascript:alert(1)) <b>bold</b> to predict from both sides.",
    )
    write_question(tmp_path, text)
    q = load_bank(tmp_path).questions["sample-question"]
    found = snippet(q, "en", "trained")
    assert found.matched == ["trained"]
    assert "[like this](javascript:alert(1)) <b>bold</b>" in found.text  # the app escapes it


def test_titles_are_the_first_sentence_or_cut_at_a_word_with_an_ellipsis():
    assert title_of("What is BERT? It is an encoder.") == "What is BERT?"
    assert (
        title_of('ALiBi ("Linear Biases", Press et al. 2021) removes positions. How?')
        == 'ALiBi ("Linear Biases", Press et al. 2021) removes positions.'
    )
    long = "Why " + " ".join(["attention"] * 40) + " works?"
    cut = title_of(long, width=60)
    assert cut.endswith("…") and len(cut) <= 61
    assert cut[:-1].split()[-1] == "attention"  # whole words only
    math = "Compute " + "x " * 20 + "$\\frac{a}{b} + \\sqrt{d_k}$ and " + "y " * 30 + "now."
    cut = title_of(math, width=60)
    assert cut.count("$") % 2 == 0  # never inside math
    assert title_of("第一句很短。第二句。") == "第一句很短。"
    assert title_of("问题\n在这里？") == "问题在这里？"  # a Chinese line break is no space


def test_long_chinese_titles_are_cut_between_words(shipped):
    import jieba

    report, _ = shipped
    cut_titles = 0
    for q in report.questions.values():
        title = title_of(q.question.zh, width=60)
        if not title.endswith("…"):
            continue
        cut_titles += 1
        cut, text = title[:-1], search.unbreak(q.question.zh)
        assert text.startswith(cut), q.id
        ends, at = set(), 0
        for word in jieba.cut(text):
            at += len(word)
            ends.add(at)
        assert len(cut) in ends, (q.id, cut)
    assert cut_titles > 10


def test_search_works_offline_without_downloads(tmp_path):
    """jieba ships its dictionary: segmenting needs no network (a blocked socket proves it)."""
    code = """
import socket
def refuse(*a, **k):
    raise OSError("network is off")
socket.socket.connect = refuse
socket.create_connection = refuse
from studyapp.bank.search import tokenize
print(tokenize("自注意力的键值缓存"))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "缓存" in out.stdout


def test_the_index_is_built_ahead_in_the_background_once(tmp_path, monkeypatch):
    import time

    write_question(tmp_path, VALID)
    report = load_bank(tmp_path)
    built = []
    real = search.SearchIndex
    monkeypatch.setattr(search, "SearchIndex", lambda questions: built.append(1) or real(questions))
    search.build_in_background(report)
    search.build_in_background(report)  # already under way: no second build
    deadline = time.monotonic() + 60
    while search._warming:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert [qid for qid, _ in search.index_for(report).search("BERT")] == ["sample-question"]
    search.build_in_background(report)  # built: nothing to do
    assert built == [1]
