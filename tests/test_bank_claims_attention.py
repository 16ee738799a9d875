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


# -- mlm-loss questions (this file holds the computed claims of both of this auditor's topics) --


def test_cross_entropy_with_every_label_ignored_is_nan_and_bert_denominator_gives_zero():
    # mlm-loss-no-selected-positions
    torch.manual_seed(0)
    logits = torch.randn(6, 11)
    nothing_selected = torch.full((6,), -100)
    assert torch.isnan(F.cross_entropy(logits, nothing_selected))
    assert F.cross_entropy(logits, nothing_selected, reduction="sum") == 0
    label_weights = torch.zeros(6)  # run_pretraining.py: numerator / (sum(label_weights) + 1e-5)
    per_example = F.cross_entropy(logits, torch.zeros(6, dtype=torch.long), reduction="none")
    assert (label_weights * per_example).sum() / (label_weights.sum() + 1e-5) == 0
    assert [round(0.85**n, 4) for n in (5, 10, 40)] == [0.4437, 0.1969, 0.0015]


def test_mean_of_micro_batch_means_weights_positions_1_20_and_1_60_not_1_40():
    # mlm-loss-gradient-accumulation: 10 and 30 selected positions, each micro-batch mean / 2.
    torch.manual_seed(0)
    logits = torch.randn(40, 7)
    targets = torch.randint(0, 7, (40,))
    terms = F.cross_entropy(logits, targets, reduction="none").requires_grad_()
    accumulated = terms[:10].mean() / 2 + terms[10:].mean() / 2
    # Each position's weight is the derivative of the accumulated loss with respect to its term.
    (weights,) = torch.autograd.grad(accumulated, terms)
    assert torch.allclose(weights[:10], torch.full((10,), 1 / 20))
    assert torch.allclose(weights[10:], torch.full((30,), 1 / 60))
    assert not torch.allclose(accumulated, F.cross_entropy(logits, targets))
    # The fix: sum over every micro-batch, divide by the global count of 40.
    fixed = (terms[:10].sum() + terms[10:].sum()) / 40
    assert torch.allclose(fixed, F.cross_entropy(logits, targets))
