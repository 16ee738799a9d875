"""Figures in the alignment questions, recomputed: each test names the question it backs, and
checks the question's numeric value against the computation, so that neither can drift alone."""

import math

import pytest
import torch
import torch.nn.functional as F
import yaml

from tests.bankfixtures import REPO

BANK = REPO / "questions" / "alignment"


def value_of(question_id: str) -> float:
    data = yaml.safe_load((BANK / f"{question_id}.yaml").read_text(encoding="utf-8"))
    return data["numeric"]["value"]


def lora_parameters(rank: int, shapes: list[tuple[int, int]]) -> int:
    """A is (r, in) and B is (out, r): r * (in + out) per adapted matrix."""
    return sum(rank * (d_in + d_out) for d_in, d_out in shapes)


def test_lora_adapter_on_a_4096_square_matrix():
    count = lora_parameters(8, [(4096, 4096)])
    assert count == value_of("alignment-lora-param-count-4096") == 65_536
    assert count / 4096**2 == pytest.approx(0.0039, abs=1e-4)  # "0.39 %"


def test_lora_on_gpt3_query_and_value_at_rank_4():
    layers, d = 96, 12288
    count = lora_parameters(4, [(d, d), (d, d)] * layers)
    assert count == value_of("alignment-lora-gpt3-qv-rank4") == 18_874_368
    assert 175e9 / count == pytest.approx(9272, abs=1)  # the paper's "10,000 times"
    assert count * 2 / 1e6 == pytest.approx(37.7, abs=0.05)  # MB in 16 bits; the paper says 35


def test_reward_model_comparisons_per_prompt():
    assert math.comb(9, 2) == value_of("alignment-reward-model-comparisons-k9") == 36
    assert math.comb(4, 2) == 6
    assert 64 * math.comb(9, 2) == 2304  # InstructGPT's RM batch: 64 prompts, up to 2,304 pairs


def test_dpo_loss_at_the_reference_policy():
    # Policy = reference: every log-ratio is 0, so the loss is -log sigmoid(0) = ln 2.
    zero = torch.zeros(5)
    loss = -F.logsigmoid(0.1 * ((zero - zero) - (zero - zero))).mean().item()
    assert loss == pytest.approx(math.log(2))
    assert round(loss, 3) == value_of("alignment-dpo-initial-loss")


def test_label_smoothing_best_logit_gap():
    eps, classes = 0.1, 10
    top, rest = 1 - eps + eps / classes, eps / classes
    gap = math.log(top / rest)
    assert gap == pytest.approx(math.log(91))
    assert round(gap, 2) == value_of("alignment-label-smoothing-logit-gap")
    # The smoothed cross-entropy is smallest exactly at that gap: logits (gap, 0, ..., 0).
    target = torch.full((1, classes), rest)
    target[0, 0] = top

    def loss_at(g: float) -> float:
        logits = torch.zeros(1, classes, dtype=torch.float64)
        logits[0, 0] = g
        return -(target.double() * F.log_softmax(logits, dim=-1)).sum().item()

    assert loss_at(gap) < min(loss_at(gap - 0.05), loss_at(gap + 0.05))
    assert F.cross_entropy(
        torch.tensor([[gap] + [0.0] * (classes - 1)]), torch.tensor([0]), label_smoothing=eps
    ).item() == pytest.approx(loss_at(gap), abs=1e-5)


def test_ppo_model_states_for_four_7b_models():
    n = 7e9
    trained, frozen = 16 * n, 2 * n  # mixed-precision Adam; bf16 weights only
    total_gb = (2 * trained + 2 * frozen) / 1e9
    assert total_gb == value_of("alignment-ppo-memory-7b") == 252
    assert trained / 1e9 == 112  # SFT of the same model
    assert (trained + frozen) / 1e9 == 126  # DPO: policy + frozen reference


def test_dpo_loss_for_a_margin_of_ten():
    beta = 0.1
    w, l_, rw, rl = (torch.tensor([v]) for v in (3.0, -7.0, 0.0, 0.0))  # log-ratios as given
    loss = -F.logsigmoid(beta * ((w - rw) - (l_ - rl))).item()
    assert loss == pytest.approx(math.log1p(math.exp(-1)))
    assert round(loss, 3) == value_of("alignment-dpo-loss-margin")
    assert torch.sigmoid(torch.tensor(-1.0)).item() == pytest.approx(0.269, abs=5e-4)
    # The same loss when both log-ratios fall by 5: only the difference counts.
    shifted = -F.logsigmoid(beta * ((w - 5) - (l_ - 5))).item()
    assert shifted == pytest.approx(loss)
