"""The BPE demo learns from the clean English corpus: its first merges are pairs of letters."""

from minimodels.demos.tokenizer_demo import REPO, trained


def test_the_first_bpe_merges_join_only_letters_and_spaces():
    _, bpe, _, chars, answers = trained(str(REPO / "questions"), 100)
    first = [bpe.vocab[new].decode("utf-8") for new in list(bpe.merges.values())[:10]]
    print("first merges:", first)
    assert all(piece.replace(" ", "").isalpha() and piece.isascii() for piece in first), first
    assert first[0] in {" t", "th", "he", "e "}  # the most frequent pairs of English text
    assert answers > 300 and chars > 10_000
