"""The duplicate check (`studyapp bank similar`) and the embedding cache behind it and behind
Browse's search by meaning (`studyapp.semantic`)."""

import os
import threading

import numpy as np
import pytest

from studyapp import cli, semantic
from tests.bankfixtures import VALID, write_question

needs_model = pytest.mark.skipif(
    not semantic.available(), reason="the optional extra (studyapp[real]) is not installed"
)

# The same question as VALID (bert/sample-question), asked again in other words by a second
# contributor.
PARAPHRASE = (
    VALID.replace("id: sample-question", "id: bert-no-left-to-right")
    .replace(
        "Why can BERT not generate text left to right?",
        "Why is BERT unable to generate text from left to right?",
    )
    .replace(
        "It is trained to predict $x_i$ from both sides.",
        "Its training predicts $x_i$ from both sides.",
    )
)
UNRELATED = {
    "kv-cache-contents": (
        "What does a KV cache store during generation?",
        "The keys and values of every earlier token, in every layer.",
    ),
    "warmup-why": (
        "Why do pre-training runs ramp the learning rate up over the first steps?",
        "Early updates from a full learning rate can push the model somewhere it never leaves.",
    ),
}


def planted_bank(root, deepens=None):
    """Two unrelated questions, VALID and its paraphrase (which may declare `deepens`)."""
    write_question(root, VALID)
    extra = f"deepens: [{', '.join(deepens)}]\n" if deepens is not None else ""
    write_question(root, PARAPHRASE + extra, qid="bert-no-left-to-right")
    for qid, (question, answer) in UNRELATED.items():
        text = (
            VALID.replace("id: sample-question", f"id: {qid}")
            .replace("topic: bert", "topic: gpt")
            .replace("Why can BERT not generate text left to right?", question)
            .replace("It is trained to predict $x_i$ from both sides.", answer)
        )
        write_question(root, text, topic="gpt", qid=qid)
    return root


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(folder))
    semantic._memo.clear()
    yield folder / "embeddings"
    semantic._memo.clear()


def similar(capsys, *args):
    code = cli.main(["bank", "similar", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@needs_model
def test_a_planted_paraphrase_fails_the_check_naming_both_files(tmp_path, cache, capsys):
    root = planted_bank(tmp_path / "questions")
    code, out, err = similar(capsys, "--check", "--bank", root)
    assert code == 1
    (named,) = [line for line in err.splitlines() if " alike " in line]
    assert "bert/sample-question.yaml" in named and "bert/bert-no-left-to-right.yaml" in named
    # Listed with its score; the unrelated questions are far below the threshold.
    (line,) = out.splitlines()
    score = float(line.split()[0])
    assert semantic.DUPLICATE_THRESHOLD <= score < 1
    assert "kv-cache" not in out and "warmup" not in out
    # Without --check the pair is listed and the command succeeds.
    assert similar(capsys, "--bank", root)[0] == 0


@needs_model
def test_deepens_accepts_the_pair_from_either_side(tmp_path, cache, capsys):
    root = planted_bank(tmp_path / "questions", deepens=["sample-question"])
    code, out, err = similar(capsys, "--check", "--bank", root)
    assert code == 0, err
    assert out.strip().endswith("(declared: deepens)")


@needs_model
def test_an_unknown_deepens_id_fails_the_check(tmp_path, cache, capsys):
    root = planted_bank(tmp_path / "questions", deepens=["sample-question", "no-such-question"])
    code, _, err = similar(capsys, "--check", "--bank", root)
    assert code == 1
    assert "bert/bert-no-left-to-right.yaml:" in err
    assert "B003 deepens id 'no-such-question' is not in the bank" in err
    assert " are 0." not in err  # the pair itself is declared


def test_without_the_extra_the_command_says_what_it_needs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(semantic, "available", lambda: False)
    code, out, err = similar(capsys, "--check", "--bank", planted_bank(tmp_path / "q"))
    assert code == 2 and out == ""
    assert "pip install 'studyapp[real]'" in err


def fake_encoder(calls: list[int]):
    """Deterministic unit vectors per text, counting the texts encoded."""

    def encode(texts):
        calls.append(len(texts))
        seeds = [int.from_bytes(t.encode()[:8].ljust(8, b"\0"), "little") for t in texts]
        vectors = np.stack([np.random.default_rng(s).normal(size=8) for s in seeds])
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    return encode


TEXTS = {"a": "alpha question", "b": "beta question", "c": "gamma question"}


def test_the_cache_is_reused_by_the_next_process(cache, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(semantic, "encode", fake_encoder(calls))
    first = semantic.Embeddings.of(TEXTS)
    assert calls == [3]
    (saved,) = cache.glob("*.npz")
    assert not list(cache.glob("*.tmp"))  # written atomically: no leftover
    semantic._memo.clear()  # as in a new process
    again = semantic.Embeddings.of(TEXTS)
    assert calls == [3]  # read from disk, not encoded again
    assert again.ids == ["a", "b", "c"]
    np.testing.assert_array_equal(again.vectors, first.vectors)
    with np.load(saved, allow_pickle=False) as data:  # plain arrays, no pickle
        assert data["ids"].tolist() == ["a", "b", "c"]


def test_an_edited_question_is_embedded_again_and_a_corrupt_file_ignored(cache, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(semantic, "encode", fake_encoder(calls))
    semantic.Embeddings.of(TEXTS)
    edited = {**TEXTS, "b": "beta question, edited"}
    assert semantic.content_key(edited) != semantic.content_key(TEXTS)
    key = semantic.content_key(TEXTS)
    with monkeypatch.context() as patched:  # another version of the checkpoint package
        patched.setattr(semantic, "_model_version", lambda: "new weights")
        assert semantic.content_key(TEXTS) != key
    assert semantic.content_key(TEXTS) == key
    semantic.Embeddings.of(edited)
    assert calls == [3, 3]
    for path in cache.glob("*.npz"):
        path.write_bytes(b"not a zip file")
    semantic._memo.clear()
    vectors = semantic.Embeddings.of(TEXTS).vectors
    assert calls == [3, 3, 3]
    assert vectors.shape == (3, 8)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-6)


def test_an_unwritable_cache_costs_time_not_the_answer(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(blocker))
    semantic._memo.clear()
    calls: list[int] = []
    monkeypatch.setattr(semantic, "encode", fake_encoder(calls))
    assert len(semantic.Embeddings.of(TEXTS).ids) == 3
    assert os.listdir(tmp_path) == ["file"]
    semantic._memo.clear()


@pytest.mark.parametrize("block", [1, 3, 1024])
def test_similar_pairs_are_every_pair_at_or_above_the_threshold_best_first(block, monkeypatch):
    monkeypatch.setattr(semantic, "PAIR_BLOCK", block)  # rows compared a block at a time
    vectors = np.array([[1, 0], [0.6, 0.8], [0.8, 0.6], [0, 1]], dtype=np.float32)
    emb = semantic.Embeddings(["w", "x", "y", "z"], vectors)
    pairs = emb.similar_pairs(0.8)
    assert [(a, b) for a, b, _ in pairs] == [("x", "y"), ("w", "y"), ("x", "z")]
    np.testing.assert_allclose([s for _, _, s in pairs], [0.96, 0.8, 0.8], rtol=1e-6)
    assert semantic.undeclared(pairs, {"z": ["x"], "w": []}) == pairs[:2]


def test_reciprocal_rank_fusion_sums_one_over_k_plus_rank():
    # b: 1/62 + 1/61 beats a: 1/61 + 1/63 beats c (one list only)
    assert semantic.reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]]) == [
        "b",
        "a",
        "d",
        "c",
    ]
    assert semantic.reciprocal_rank_fusion([["a", "b"], []]) == ["a", "b"]


def test_hybrid_ranking_keeps_only_close_meanings():
    by_meaning = [("p", 0.61), ("q", 0.30), ("r", semantic.MEANING_FLOOR - 0.01)]
    assert semantic.hybrid_ranking([], by_meaning) == ["p", "q"]
    # A keyword hit that is also close in meaning comes before one found by meaning only.
    assert semantic.hybrid_ranking(["k", "q"], by_meaning) == ["q", "k", "p"]
    many = [(f"m{i}", 0.9) for i in range(semantic.MEANING_TOP + 5)]
    assert len(semantic.hybrid_ranking([], many)) == semantic.MEANING_TOP


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread nice values")
def test_the_background_build_runs_below_the_pages():
    seen = {}

    def build():
        semantic._run_below_pages()
        seen["build"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    assert seen["build"] == min(19, before + semantic.BUILD_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
