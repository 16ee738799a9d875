"""Claims in the architecture and tokenization questions that are computed rather than quoted.

Each test recomputes a figure a question states, so that the question can name it in
`computed_by` and an edit that changes the answer or the code it describes fails here."""

import torch

from minimodels.demos import attention_rank
from studyapp.bank.load import load_bank
from tests.bankfixtures import REPO

BANK = load_bank(REPO / "questions").questions


def _collapse_after_depth(causal: bool, skip: bool, generator: torch.Generator) -> float:
    runs = [
        attention_rank.collapse(64, 8, causal, skip, generator) for _ in range(attention_rank.SEEDS)
    ]
    return torch.tensor(runs).mean(dim=0)[-1].item()


def test_skip_connections_stop_rank_collapse_in_12_random_attention_layers():
    # The attention-rank demo's defaults (n = 64, d = 8, seed 0, 12 layers, mean of 20 stacks),
    # drawn in the demo's order: the probe's q and k first, then the four stacks.
    g = torch.Generator().manual_seed(0)
    torch.randn(64, 8, generator=g, dtype=torch.float64)
    torch.randn(64, 8, generator=g, dtype=torch.float64)
    bidirectional = _collapse_after_depth(False, False, g)
    causal = _collapse_after_depth(True, False, g)
    bidirectional_skip = _collapse_after_depth(False, True, g)
    causal_skip = _collapse_after_depth(True, True, g)
    # architecture-residual-connections: "2e-16 for bidirectional and 7e-3 for causal attention
    # without skips, and about 0.6 for both with skips".
    assert bidirectional < 1e-15
    assert 5e-3 < causal < 8e-3
    assert 0.5 < causal_skip < 0.6 < bidirectional_skip < 0.7
    # The answer states these figures, rounded, in both languages.
    answer = BANK["architecture-residual-connections"].answer
    for text in (answer.en, answer.zh):
        assert f"{bidirectional:.0e}".replace("e-", r" \times 10^{-") + "}" in text
        assert f"{causal:.0e}".replace("e-0", r" \times 10^{-") + "}" in text
        assert f"{(bidirectional_skip + causal_skip) / 2:.1f}" in text


# -- tokenization --


def test_bert_uncased_normalizer_lowercases_and_strips_accents():
    from tokenizers.normalizers import BertNormalizer

    # bert-uncased-accent-stripping: do_lower_case also strips accents (NFD, then drop Mn).
    uncased = BertNormalizer(lowercase=True, strip_accents=None)
    cased = BertNormalizer(lowercase=False, strip_accents=None)
    assert uncased.normalize_str("Café Müller") == "cafe muller"
    assert cased.normalize_str("Café Müller") == "Café Müller"


def test_bpe_worked_example_merges_ug_then_un_then_hug():
    import json

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    # bpe-training-merges: word counts hug 10, pug 5, pun 12, bun 4, hugs 5 (pairs u·g 20,
    # p·u 17, u·n 16, h·u 15), so the first three merges are ug, un, hug.
    corpus = ["hug"] * 10 + ["pug"] * 5 + ["pun"] * 12 + ["bun"] * 4 + ["hugs"] * 5
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    alphabet = set("".join(corpus))
    trainer = trainers.BpeTrainer(vocab_size=len(alphabet) + 3, show_progress=False)
    tokenizer.train_from_iterator(corpus, trainer)
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    assert merges == [["u", "g"], ["u", "n"], ["h", "ug"]]
    assert tokenizer.encode("hugs bun").tokens == ["hug", "s", "b", "un"]


def test_bert_puts_spaces_around_cjk_characters_and_they_take_3_utf8_bytes():
    from tokenizers.normalizers import BertNormalizer

    # chinese-text-tokenization: BERT's basic tokenizer isolates every CJK character, so Chinese
    # is character-tokenized; a byte-level tokenizer sees 3 UTF-8 bytes per common character.
    spaced = BertNormalizer(handle_chinese_chars=True).normalize_str("自然语言")
    assert spaced.split() == ["自", "然", "语", "言"]
    assert [len(c.encode("utf-8")) for c in "自然语言"] == [3, 3, 3, 3]
    assert len("𠀀".encode()) == 4  # CJK Extension B: the "rarer ones 4"


def test_gpt2_byte_level_pre_tokenizer_attaches_the_space_as_g():
    from tokenizers.pre_tokenizers import ByteLevel

    # gpt2-space-prefix-g: GPT-2's regex keeps one leading space with the word, and the byte
    # mapping shows the space 0x20 as Ġ (U+0120) and the newline 0x0A as Ċ (U+010A).
    chunks = [
        piece for piece, _ in ByteLevel(add_prefix_space=False).pre_tokenize_str("Hi world\n")
    ]
    assert chunks == ["Hi", "Ġworld", "Ċ"]
    assert (ord("Ġ"), ord("Ċ")) == (0x100 + 0x20, 0x100 + 0x0A)


def test_nfkc_maps_compatibility_variants_to_plain_forms():
    import unicodedata

    # nfkc-normalization: the examples in the question, and the composition of e + U+0301.
    def nfkc(s: str) -> str:
        return unicodedata.normalize("NFKC", s)

    assert [nfkc(s) for s in ["ＡＢＣ１２３", "ﬁ", "x²", "①", "Ⅳ", "ｶ"]] == [
        "ABC123",
        "fi",
        "x2",
        "1",
        "IV",
        "カ",
    ]
    assert nfkc("e\u0301") == "\u00e9"
    assert nfkc("x²") == nfkc("x2")  # lossy: two inputs, one output


def test_wordpiece_rebuilds_words_but_not_the_original_spacing(tmp_path):
    from transformers import BertTokenizer

    # wordpiece-double-hash-prefix: inside a word, dropping ## and gluing restores it; the text
    # around punctuation, case and accents is gone before WordPiece runs.
    pieces = ["un", "##aff", "##able", "don", "'", "t", "hello", ",", "world", "!", "cafe"]
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *pieces]) + "\n")
    tokenizer = BertTokenizer(str(vocab))

    def round_trip(text: str) -> tuple[list[str], str]:
        tokens = tokenizer.tokenize(text)
        return tokens, tokenizer.decode(tokenizer.convert_tokens_to_ids(tokens))

    assert round_trip("unaffable") == (["un", "##aff", "##able"], "unaffable")
    assert round_trip("hello,world!") == round_trip("hello , world !")
    assert round_trip("Don't") == (["don", "'", "t"], "don ' t")
    assert round_trip("Café") == (["cafe"], "cafe")
    # The answer says so with the same example, in both languages.
    answer = BANK["wordpiece-double-hash-prefix"].answer
    assert all(round_trip("Don't")[1] in text for text in (answer.en, answer.zh))
