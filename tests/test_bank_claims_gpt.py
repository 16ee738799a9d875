"""Claims in the gpt and decoding questions that are computed rather than quoted.

Each test recomputes a figure or a direction a question states, so that a question can name it in
`computed_by` and a wrong edit to the answer or to the code it describes fails here."""

import math

import torch
from transformers import RepetitionPenaltyLogitsProcessor

from minimodels.demos.attention_rank import softmax_attention

N, D, SEEDS = 64, 8, 100  # the measurement gpt-causal-attention-full-rank-claim reports


def _attention_pair(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Bidirectional and causal softmax attention (n x n) from random float64 queries and keys."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(N, D, generator=g, dtype=torch.float64)
    k = torch.randn(N, D, generator=g, dtype=torch.float64)
    return softmax_attention(q, k, False), softmax_attention(q, k, True)


def test_causal_softmax_is_invertible_but_matrix_rank_usually_reads_63_of_64():
    bidirectional_ranks, causal_ranks, smallest = [], [], []
    for seed in range(SEEDS):
        bi, causal = _attention_pair(seed)
        # The structural certificate: lower-triangular, positive diagonal, finite log-determinant.
        assert torch.equal(causal, causal.tril())
        assert (causal.diagonal() > 0).all()
        sign, logdet = torch.linalg.slogdet(causal)
        assert sign == 1 and math.isclose(logdet, causal.diagonal().log().sum(), rel_tol=1e-9)
        bidirectional_ranks.append(int(torch.linalg.matrix_rank(bi)))
        causal_ranks.append(int(torch.linalg.matrix_rank(causal)))
        smallest.append(torch.linalg.svdvals(causal)[-1].item())
    # Softmax lifts the bidirectional matrix to full numerical rank although rank(QKᵀ) <= d.
    assert bidirectional_ranks == [N] * SEEDS
    # The causal matrix, invertible in exact arithmetic, reads 63 in most seeds.
    assert set(causal_ranks) == {N - 1, N}
    assert causal_ranks.count(N - 1) == 84
    assert min(smallest) > 1e-21 and max(smallest) < 1e-9


def test_repetition_penalty_lowers_seen_tokens_like_a_higher_temperature():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    seen = torch.tensor([[0, 1, 0]])  # token 0 twice, token 1 once, token 2 never
    penalised = RepetitionPenaltyLogitsProcessor(penalty=1.2)(seen, logits.clone())
    # Positive logits are divided by 1.2, negative ones multiplied, unseen ones untouched,
    # and a token seen twice is penalised once.
    assert torch.allclose(penalised, torch.tensor([[2.0 / 1.2, -1.2, 0.5]]))
    # CTRL's rule, exp(x / (T * theta)) for seen tokens: the effective temperature T * theta is
    # higher, not lower. Every seen token loses odds against every unseen one (token 2); the
    # absolute probability of token 1 can still rise, because token 0 gives up more mass.
    before, after = logits.softmax(-1)[0], penalised.softmax(-1)[0]
    assert after[0] < before[0] and after[2] > before[2]
    assert (
        after[0] / after[2] < before[0] / before[2] and after[1] / after[2] < before[1] / before[2]
    )
    assert after[1] > before[1]
    sharper = torch.tensor([[2.0 * 1.2, -1.0, 0.5]]).softmax(-1)[0]  # a *lower* temperature
    assert sharper[0] > before[0]


def test_gnmt_length_normalisation_picks_the_longer_hypothesis():
    def score(log_p: float, length: int, alpha: float) -> float:
        return log_p / ((5 + length) / 6) ** alpha

    a, b = score(-3.0, 4, 1.0), score(-4.5, 10, 1.0)
    assert math.isclose(a, -2.0) and math.isclose(b, -1.8) and b > a
    assert score(-3.0, 4, 0.0) > score(-4.5, 10, 0.0)  # without normalisation A wins
