"""Claims of the attention questions that are computed rather than quoted (named by `computed_by`)."""

import torch
import torch.nn.functional as F


def test_fully_masked_row_is_nan_with_neg_inf_and_unmasked_softmax_with_neg_10000():
    # attention-mask-value-neg-inf-nan: a query row whose keys are all masked.
    torch.manual_seed(0)
    scores = torch.randn(4, 6)
    all_masked = torch.ones(4, 6, dtype=torch.bool)

    with_inf = F.softmax(scores.masked_fill(all_masked, float("-inf")), dim=-1)
    assert torch.isnan(with_inf).all()

    # BERT's additive mask: (1 - mask) * -10000 added to every entry of the row cancels out.
    with_adder = F.softmax(scores + all_masked.float() * -10000.0, dim=-1)
    assert torch.allclose(with_adder, F.softmax(scores, dim=-1), atol=1e-3)

    # With one key left unmasked, the masked keys get weight e^-10000 = 0 and that key gets 1.
    one_left = all_masked.clone()
    one_left[:, 2] = False
    partly = F.softmax(scores + one_left.float() * -10000.0, dim=-1)
    assert torch.equal(partly[:, 2], torch.ones(4))
    assert torch.equal(partly[one_left], torch.zeros(int(one_left.sum())))


def test_two_fp16_minimum_masks_overflow_to_neg_inf():
    # attention-mask-value-neg-inf-nan: the dtype's minimum is safe once, not when two masks add up.
    lowest = torch.finfo(torch.float16).min
    assert lowest == -65504.0
    twice = torch.tensor([lowest], dtype=torch.float16) + torch.tensor(
        [lowest], dtype=torch.float16
    )
    assert torch.isneginf(twice).all()


def test_shared_qk_is_symmetric_but_normalised_keys_trade_symmetry_for_a_max_diagonal():
    # attention-shared-qk-reformer: the two properties never hold together.
    q = torch.tensor([[1.0, 0.0], [2.0, 0.0]])
    raw = q @ q.T
    assert torch.equal(raw, raw.T)
    assert raw[0, 1] > raw[0, 0]  # symmetric, but token 0 scores token 1 (2) above itself (1)

    keys = q / q.norm(dim=-1, keepdim=True)  # the Reformer's k_j = q_j / |q_j|
    normalised = q @ keys.T
    assert normalised[0, 1] == 1.0 and normalised[1, 0] == 2.0  # symmetry is lost
    torch.manual_seed(0)
    q = torch.randn(64, 16)
    scores = q @ (q / q.norm(dim=-1, keepdim=True)).T
    assert torch.all(scores.diagonal() >= scores.max(dim=-1).values - 1e-5)  # self-score is the max
