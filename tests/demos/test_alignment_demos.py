"""The fine-tuning and alignment demos: each runs with its defaults, every Check passes, and the
claim holds again when read back from the numbers it returns."""

import math

import pytest
import torch
from torch import nn

from minimodels.demos import dpo_loss, reward_model, sft_masking
from minimodels.lora import LoRALinear, add_lora, merge_lora, trainable_parameters
from minimodels.masking import IGNORE_INDEX
from minimodels.results import Check, Metric, Table
from minimodels.tokenizers import CharTokenizer
from studyapp.demos import REGISTRY, alignment, run_demo

IDS = ["sft-loss-masking", "dpo-loss", "label-smoothing", "reward-model", "lora-rank"]


@pytest.fixture(scope="module")
def results():
    return {demo_id: run_demo(REGISTRY[demo_id]) for demo_id in IDS}


def metric(parts, english: str) -> float:
    return next(p.value for p in parts if isinstance(p, Metric) and p.label["en"] == english)


def test_the_registry_lists_the_five_demos():
    assert [d.id for d in alignment.DEMOS] == IDS


@pytest.mark.parametrize("demo_id", IDS)
def test_every_check_passes(results, demo_id):
    checks = [p for p in results[demo_id] if isinstance(p, Check)]
    assert len(checks) >= 2
    assert all(c.passed for c in checks), [c.claim["en"] for c in checks if not c.passed]


def test_sft_masking_counts_only_the_answer(results):
    parts = results["sft-loss-masking"]
    # "chat" has 4 characters: the separator's position predicts the first, so 4 terms count.
    assert metric(parts, "answer tokens counted") == 4
    by_hand = metric(parts, "mean over answer tokens, by hand")
    assert by_hand == pytest.approx(metric(parts, "cross_entropy(ignore_index=-100)"), abs=1e-6)
    assert metric(parts, "if the prompt were trained too") != pytest.approx(by_hand, abs=1e-3)
    assert metric(parts, "batch of two: mean per token") != pytest.approx(
        metric(parts, "batch of two: mean per sequence"), abs=1e-4
    )


def test_sft_example_labels_the_prompt_and_separator_minus_100():
    tok = CharTokenizer.train("ab|xy")
    ids, labels = sft_masking.sft_example(tok, "ab", "xy")
    assert tok.decode(ids.tolist()) == "ab|xy"
    assert labels.tolist()[:3] == [IGNORE_INDEX] * 3
    assert labels.tolist()[3:] == ids.tolist()[3:]


def test_dpo_starts_at_ln2_and_learns_the_preferences(results):
    parts = results["dpo-loss"]
    assert metric(parts, "loss at the start, by hand") == pytest.approx(math.log(2), abs=1e-6)
    table = next(p for p in parts if isinstance(p, Table))
    assert all(float(chosen) > float(rejected) for _, chosen, rejected in table.rows)


def test_dpo_preference_loss_matches_the_closed_form():
    # Margin 2 with beta 0.5: loss = log(1 + e^-1).
    w, l_, rw, rl = (torch.tensor([v]) for v in (-3.0, -5.0, -4.0, -4.0))
    losses, chosen, rejected = dpo_loss.preference_loss(w, l_, rw, rl, beta=0.5)
    assert losses.item() == pytest.approx(math.log1p(math.exp(-1.0)))
    assert chosen.item() == pytest.approx(0.5) and rejected.item() == pytest.approx(-0.5)


def test_label_smoothing_confidence_stops_at_the_ceiling(results):
    parts = results["label-smoothing"]
    assert metric(parts, "confidence ceiling 1 − ε + ε/K") == pytest.approx(0.91)
    assert metric(parts, "best logit gap ln((1 − ε + ε/K)/(ε/K))") == pytest.approx(
        math.log(91), abs=1e-4
    )
    smoothed = next(p for p in parts if isinstance(p, Table)).rows[1]
    assert float(smoothed[2]) <= 0.911


def test_label_smoothing_with_other_settings():
    parts = run_demo(REGISTRY["label-smoothing"], {"epsilon": 0.2, "classes": 5})
    assert metric(parts, "confidence ceiling 1 − ε + ε/K") == pytest.approx(0.84)
    assert all(c.passed for c in parts if isinstance(c, Check))


def test_lora_rank_table(results):
    rows = next(p for p in results["lora-rank"] if isinstance(p, Table)).rows
    by_name = {r[0]: r for r in rows}
    # 2 blocks x (qkv 32->96, proj 32->32, fc 32->128, proj 128->32): r * 832 per block.
    for rank in (1, 2, 4, 8):
        assert by_name[f"LoRA r={rank}"][1] == rank * 2 * (128 + 64 + 160 + 160)
    assert float(by_name["LoRA r=8"][3]) < float(by_name["LoRA r=1"][3])
    assert float(by_name["LoRA r=1"][3]) < 0.5 * float(by_name["base (task A only)"][3])


def test_lora_linear_starts_as_the_base_and_merges_exactly():
    torch.manual_seed(0)
    base = nn.Linear(12, 7)
    model = nn.Sequential(base)
    (adapter,) = add_lora(model, rank=3, alpha=6.0, targets=("0",))
    x = torch.randn(5, 12)
    assert torch.equal(model(x), base(x))  # B = 0: the same numbers, not just close
    assert trainable_parameters(model) == 3 * (12 + 7)
    with torch.no_grad():
        adapter.B.normal_()
    expected = base(x) + 2.0 * x @ (adapter.B @ adapter.A).T  # alpha / r = 2
    assert torch.allclose(model(x), expected, atol=1e-5)
    merged = merge_lora(model)
    assert not any(isinstance(m, LoRALinear) for m in merged.modules())
    assert torch.allclose(merged(x), expected, atol=1e-5)


def test_lora_rank_reports_progress_in_order():
    calls = []
    run_demo(REGISTRY["lora-rank"], {"steps": 20}, lambda done, text, curve: calls.append(done))
    # 4 points while pre-training (the first after 20 steps), then the base and each rank
    assert len(calls) == 9 and calls == sorted(calls) and calls[0] > 0 and calls[-1] < 1


def test_reward_model_counts_pairs_and_generalises(results):
    parts = results["reward-model"]
    assert metric(parts, "rankings") == 300
    assert 300 * math.comb(4, 2) <= metric(parts, "pairs from them, Σ C(K, 2)") <= 300 * 36
    held_out = next(p for p in parts if isinstance(p, Metric) and p.label["en"].startswith("held"))
    true_acc = float(held_out.note["en"].split(": ")[1])
    assert held_out.value > 0.8 and held_out.value >= true_acc - 0.03


def test_reward_model_pairs_and_loss_by_hand():
    pairs = reward_model.to_pairs([[2, 0, 1]])  # 2 best, then 0, then 1
    assert pairs.tolist() == [[2, 0], [2, 1], [0, 1]]
    scores = torch.tensor([0.0, -1.0, 1.0])
    by_hand = sum(math.log1p(math.exp(-(scores[a] - scores[b]).item())) for a, b in pairs) / 3
    assert reward_model.pairwise_loss(scores, pairs).item() == pytest.approx(by_hand)
