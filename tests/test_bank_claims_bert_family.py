"""Figures in the bert-family and generation questions, recomputed: each test names the question
whose answer it checks, and computes the figure the way the answer explains it."""

import itertools
import math
import random

import pytest

from minimodels.attention import causal_mask, prefix_lm_mask
from minimodels.cgmh import BigramLM, log_target, mh_step


def test_mlm_independence_mismatch_mass():
    """mlm-independence-mismatch-mass: masks filled from their marginals put 1 - sum p_i^2 on
    pairs that never occur; counted pair by pair, not from the closed form."""
    cities = {("new", "york"): 0.5, ("los", "angeles"): 0.25, ("san", "francisco"): 0.25}
    first, second = {}, {}
    for (a, b), p in cities.items():  # the optimal MLM's marginal for each masked position
        first[a] = first.get(a, 0) + p
        second[b] = second.get(b, 0) + p
    mismatched = sum(
        first[a] * second[b] for a, b in itertools.product(first, second) if (a, b) not in cities
    )
    assert mismatched == pytest.approx(0.625)
    assert 1 - sum(p * p for p in cities.values()) == pytest.approx(mismatched)


def test_xlnet_average_visible_context():
    """xlnet-average-visible-context: a token sees (T-1)/2 others on average over random orders;
    exact for T = 5 by enumerating all 120 orders, and 255.5 for T = 512 by simulation."""
    seen = [order.index(0) for order in itertools.permutations(range(5))]  # tokens before token 0
    assert sum(seen) / len(seen) == (5 - 1) / 2
    rng = random.Random(0)
    trials = 4000
    mean = sum(rng.sample(range(512), 512).index(0) for _ in range(trials)) / trials
    assert mean == pytest.approx(511 / 2, abs=4 * 148 / math.sqrt(trials))  # sd of U{0..511}: 148


def test_cgmh_delete_acceptance():
    """cgmh-delete-acceptance: min(1, pi(x') g(x|x') / (pi(x) g(x'|x))) with the question's numbers,
    then the same formula inside minimodels.cgmh: a two-word vocabulary where the reverse insert
    draws the deleted word with probability 0.25 and pi(x') / pi(x) = 3."""
    assert min(1.0, 6e-6 * 0.25 / (2e-6 * 1.0)) == pytest.approx(0.75)

    # log p of a sentence is set directly: x = [k, a] and x' = [k]; the reverse move inserts a word
    # after k, choosing "a" with weight 1 and "b" with weight 3, so g(x | x') = 0.25.
    scores = {("k", "a"): math.log(2e-6), ("k",): math.log(6e-6), ("k", "b"): math.log(6e-6)}

    def log_prob(words):
        return scores.get(tuple(words), -math.inf)

    deletes = accepted = 0
    rng = random.Random(0)
    for _ in range(30_000):
        step = mh_step(["k", "a"], ["a", "b", "k"], log_prob, ["k"], 2, rng)
        if step.action == "delete":
            deletes += 1
            accepted += step.accepted
    # Half the deletions pick "k" and are always rejected (the keyword would be lost); the other
    # half pick "a" and are accepted with probability 0.75.
    assert accepted / deletes == pytest.approx(0.5 * 0.75, abs=0.02)
    assert log_target(["a"], log_prob, ["k"], 2) == -math.inf


def test_simbert_in_batch_negatives():
    """simbert-in-batch-negatives: a row of the b x b matrix, minus the masked diagonal, minus the
    one positive."""
    b = 128
    row = [j for j in range(b) if j != 0]  # the diagonal entry of row 0 is masked
    positive = 1  # sentence 0's partner
    assert len([j for j in row if j != positive]) == 126


def test_the_bigram_lm_is_a_distribution():
    """The CGMH demo's language model: p(. | prev) sums to one over the vocabulary and </s>."""
    lm = BigramLM(["a b", "b a c"])
    for prev in ["<s>", "a", "b", "c"]:
        total = sum(math.exp(lm.log_p(prev, w)) for w in [*lm.vocab, "</s>"])
        assert total == pytest.approx(1.0)


def test_wordpiece_first_merge_score():
    """wordpiece-merge-score-example: counts every adjacent pair of the split words and applies
    freq(pair) / (freq(first) * freq(second)); the best is (##g, ##s) at 0.05, while BPE's most
    frequent pair is (##u, ##g)."""
    words = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
    pieces, pairs = {}, {}
    for word, n in words.items():
        split = [word[0]] + ["##" + c for c in word[1:]]
        for p in split:
            pieces[p] = pieces.get(p, 0) + n
        for a, b in zip(split, split[1:], strict=False):
            pairs[a, b] = pairs.get((a, b), 0) + n
    scores = {pair: n / (pieces[pair[0]] * pieces[pair[1]]) for pair, n in pairs.items()}
    best = max(scores, key=scores.get)
    assert best == ("##g", "##s") and scores[best] == pytest.approx(0.05)
    assert max(pairs, key=pairs.get) == ("##u", "##g")
    assert scores["##u", "##g"] == pytest.approx(1 / 36)


def test_unilm_seq2seq_mask_visible_pairs():
    """unilm-seq2seq-mask-visible-pairs: minimodels' prefix-LM mask with a 6-token source in 10
    tokens allows 70 pairs, between causal (55) and bidirectional (100); the source never sees
    the target."""
    mask = prefix_lm_mask(10, 6)
    assert int(mask.sum()) == 70
    assert int(causal_mask(10).sum()) == 55
    assert not mask[:6, 6:].any() and mask[6:, :6].all()
