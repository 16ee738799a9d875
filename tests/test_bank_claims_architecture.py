"""Claims in the architecture and tokenization questions that are computed rather than quoted.

Each test recomputes a figure a question states, so that the question can name it in
`computed_by` and an edit that changes the answer or the code it describes fails here."""

import torch

from minimodels.demos import attention_rank


def _collapse_after_depth(causal: bool, skip: bool, generator: torch.Generator) -> float:
    runs = [
        attention_rank.collapse(64, 8, causal, skip, generator)
        for _ in range(attention_rank.SEEDS)
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
