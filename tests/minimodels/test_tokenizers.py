from hypothesis import given, settings
from hypothesis import strategies as st

from minimodels.tokenizers import (
    _CHUNK_RE,
    BERT_SPECIALS,
    ByteBPETokenizer,
    CharTokenizer,
    WordPieceTokenizer,
    pre_tokenize,
)

TRAIN_TEXT = (
    "the transformer attends to every token. the encoder reads; the decoder writes. "
    "attention is all you need, and tokens are all it sees. 注意力机制让每个词元看到其他词元。"
) * 5
CHARS = sorted(set(TRAIN_TEXT))
WORDPIECE = WordPieceTokenizer.train(TRAIN_TEXT, vocab_size=120)
BPE = ByteBPETokenizer.train(TRAIN_TEXT, vocab_size=300, specials=BERT_SPECIALS)


@given(st.text(alphabet=CHARS))
def test_char_round_trip(text):
    tok = CharTokenizer.train(TRAIN_TEXT)
    assert tok.decode(tok.encode(text)) == text


def test_char_tokenizer_specials_come_first_and_unknown_characters_map_to_unk():
    tok = CharTokenizer.train("abc", specials=BERT_SPECIALS)
    assert tok.vocab[:5] == list(BERT_SPECIALS) and tok.vocab_size == 8
    assert tok.encode("abz") == [5, 6, tok.token_to_id["[UNK]"]]
    assert tok.special_ids == [0, 1, 2, 3, 4]


def test_wordpiece_greedy_longest_match_first():
    tok = WordPieceTokenizer(["un", "##aff", "##able", "##a", "a", "f", "##f", "##b", "##le"])
    assert tok.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert tok.tokenize("xyz") == ["[UNK]"]  # no piece starts it: the whole word is unknown
    assert tok.tokenize("unaffablex") == ["[UNK]"]  # one unspellable character spoils the word
    assert tok.decode(tok.encode("unaffable a")) == "unaffable a"


def test_wordpiece_pre_tokenizer_splits_punctuation_and_each_chinese_character():
    assert pre_tokenize("Hi, BERT!  注意力") == ["Hi", ",", "BERT", "!", "注", "意", "力"]


def test_wordpiece_trainer_reaches_the_vocab_size_and_learns_frequent_words():
    assert WORDPIECE.vocab_size == 120
    assert WORDPIECE.vocab[:5] == list(BERT_SPECIALS)
    assert len(WORDPIECE.tokenize("the attention")) < len("theattention")
    assert "[UNK]" not in WORDPIECE.tokenize(TRAIN_TEXT)


words = st.text(alphabet=[c for c in CHARS if c != " "], min_size=1, max_size=12)


@given(st.lists(words, max_size=8))
def test_wordpiece_round_trip(word_list):
    text = " ".join(word_list)
    ids = WORDPIECE.encode(text)
    assert WORDPIECE.token_to_id["[UNK]"] not in ids
    assert WORDPIECE.decode(ids) == " ".join(pre_tokenize(text))


@settings(max_examples=300)
@given(st.text())
def test_byte_bpe_round_trips_any_text(text):
    assert "".join(_CHUNK_RE.findall(text)) == text
    ids = BPE.encode(text)
    assert all(0 <= i < BPE.vocab_size - len(BERT_SPECIALS) for i in ids)
    assert BPE.decode(ids) == text


def test_byte_bpe_round_trips_chinese_and_compresses_the_training_text():
    zh = "注意力机制让每个词元看到其他词元。"
    assert BPE.decode(BPE.encode(zh)) == zh
    assert len(BPE.encode(zh)) < len(zh.encode("utf-8"))
    assert len(BPE.encode(TRAIN_TEXT)) < len(TRAIN_TEXT.encode("utf-8")) / 1.5  # 39 merges


def test_byte_bpe_first_merge_is_the_most_frequent_pair():
    tok = ByteBPETokenizer.train("abab abab", vocab_size=257)  # ab: 4 times, ba: 2, " a": 1
    assert list(tok.merges) == [(ord("a"), ord("b"))]
    assert tok.encode("ab") == [256]


def test_byte_bpe_specials_decode_to_their_names():
    assert BPE.vocab_size == 300
    assert BPE.decode([BPE.token_to_id["[MASK]"]]) == "[MASK]"
