"""The pre-training demos: each runs with its defaults, every Check passes, and the claims hold again
when recomputed from the parts they return (and from torch directly where that is possible)."""

import math

import pytest
import torch

from minimodels.results import Check, Table
from studyapp.demos import REGISTRY, pretraining, run_demo, source_of

MINE = ["mixed-precision", "training-memory", "bits-per-character", "metric-emergence"]


@pytest.fixture(scope="module")
def results():
    return {}


def parts_of(results, demo_id):
    if demo_id not in results:
        results[demo_id] = run_demo(REGISTRY[demo_id])
    return results[demo_id]


def en(text) -> str:
    return text["en"] if isinstance(text, dict) else text


def table(parts, title_word: str) -> Table:
    return next(p for p in parts if isinstance(p, Table) and title_word in en(p.title))


def column(t: Table, name: str) -> int:
    return [en(c) for c in t.columns].index(name)


def test_registry_holds_exactly_my_demos():
    assert [d.id for d in pretraining.DEMOS] == MINE


@pytest.mark.parametrize("demo_id", MINE)
def test_demo_runs_with_defaults_and_every_check_passes(results, demo_id):
    parts = parts_of(results, demo_id)
    checks = [p for p in parts if isinstance(p, Check)]
    assert checks
    assert [(en(c.claim), en(c.detail)) for c in checks if not c.passed] == []
    for c in checks:
        assert c.claim["en"] and c.claim["zh"]
    source = source_of(REGISTRY[demo_id])
    assert source.startswith('"""') and "def run(" in source


def test_mixed_precision_formats_match_ieee_and_bfloat16():
    # The table's source of truth, checked directly: fp16 overflows above 65504, bf16 does not.
    assert torch.tensor(70000.0).half().isinf()
    assert not torch.tensor(70000.0).bfloat16().isinf()
    assert torch.tensor(2.0**-25).half() == 0 and torch.tensor(2.0**-24).half() > 0
    assert torch.tensor(2.0**-25).bfloat16() > 0


def test_mixed_precision_scaling_and_master_weights(results):
    parts = parts_of(results, "mixed-precision")
    formats = table(parts, "formats")
    rows = {row[0]: row for row in formats.rows}
    assert rows["fp16"][1:4] == [1, 5, 10] and rows["bf16"][1:4] == [1, 8, 7]
    assert rows["fp16"][column(formats, "largest")] == "65504"
    grads = table(parts, "four ways")
    err = {row[0]: float(row[2]) for row in grads.rows}
    assert err["fp32"] == 0
    assert err["fp16 × 2^16"] < err["fp16"] / 2
    assert err["bf16"] > err["fp16 × 2^16"]
    updates = {row[0]: float(row[1].rstrip("%")) for row in table(parts, "optimizer step").rows}
    assert updates["fp32"] == 0 < updates["fp16"] < updates["bf16"]


def test_mixed_precision_tiny_update_is_lost_by_most_bf16_weights():
    parts = run_demo(REGISTRY["mixed-precision"], {"lr": 1e-6, "vocab": "256"})
    updates = {row[0]: float(row[1].rstrip("%")) for row in table(parts, "optimizer step").rows}
    # bf16 keeps 8 significant bits: an update of 1e-6 survives only on weights below ~2.6e-4.
    assert updates["bf16"] > 90 and updates["fp32"] == 0


def test_training_memory_bytes_per_parameter(results):
    parts = parts_of(results, "training-memory")
    t = table(parts, "Bytes per parameter")
    by_setup = {row[0]: row[1:] for row in t.rows}
    # weights, gradients, master, optimizer states, total, formula
    assert by_setup["fp32 + Adam"] == [4, 4, 0, 8, 16, 16]
    assert by_setup["fp32 + SGD-momentum"] == [4, 4, 0, 4, 12, 12]
    assert by_setup["bf16 mixed + Adam"] == [2, 2, 4, 8, 16, 16]


def test_training_memory_zero_stages_for_gpt2_xl(results):
    parts = parts_of(results, "training-memory")
    stages = [row[1] for row in table(parts, "Model states").rows]
    psi = 1_557_611_200  # GPT-2 XL, tests/test_bank_numbers.py recounts it
    assert stages[0] == round(16 * psi / 1e9, 2) == 24.92
    assert stages[3] == round(16 * psi / 64 / 1e9, 2)
    assert stages == sorted(stages, reverse=True)


def test_training_memory_one_gpu_shards_nothing():
    parts = run_demo(REGISTRY["training-memory"], {"gpus": 1, "preset": "bert-base"})
    stages = [row[1] for row in table(parts, "Model states").rows]
    assert len(set(stages)) == 1


def test_bits_per_character_recomputes_from_the_table(results):
    parts = parts_of(results, "bits-per-character")
    t = table(parts, "tokenizations")
    cols = {en(c): i for i, c in enumerate(t.columns)}
    rows = {row[0]: row for row in t.rows}
    for row in t.rows:
        tokens, chars_per_token = row[cols["tokens scored"]], row[cols["chars per token"]]
        nats = row[cols["nats per token"]] * tokens
        bpc = nats / (tokens * chars_per_token) / math.log(2)
        assert bpc == pytest.approx(row[cols["bits per char"]], rel=0.01)
        assert row[cols["perplexity per token"]] == pytest.approx(
            math.exp(row[cols["nats per token"]]), rel=0.01
        )
    char, biggest = rows["char"], rows["byte-BPE 768"]
    assert char[cols["perplexity per token"]] < biggest[cols["perplexity per token"]]
    assert char[cols["bits per char"]] > biggest[cols["bits per char"]]


def test_bits_per_character_chinese_counts_three_bytes_per_han_character():
    parts = run_demo(REGISTRY["bits-per-character"], {"language": "zh"})
    t = table(parts, "tokenizations")
    cols = {en(c): i for i, c in enumerate(t.columns)}
    char = next(row for row in t.rows if row[0] == "char")
    # Mostly Han characters (3 UTF-8 bytes each), some ASCII: between 1 and 3 bytes per char.
    ratio = char[cols["bits per char"]] / char[cols["bits per byte"]]
    assert 1.5 < ratio < 3
    assert all(c.passed for c in parts if isinstance(c, Check))


def test_metric_emergence_exact_match_is_p_to_the_l_and_jumps(results):
    parts = parts_of(results, "metric-emergence")
    rows = table(parts, "scored two ways").rows
    length = REGISTRY["metric-emergence"].defaults()["answer_length"]
    for _, p, exact, wrong in rows:
        assert exact == pytest.approx(p**length, abs=0.04)
        assert wrong == pytest.approx(length * (1 - p), abs=0.25)
    exact = [row[2] for row in rows]
    steps = [b - a for a, b in zip(exact, exact[1:], strict=False)]
    assert exact[0] < 0.01 and exact[-1] > 0.8  # near zero, then most answers right
    assert max(steps) > 0.2  # one decade of size adds over a fifth of the answers


@pytest.mark.parametrize("length", [5, 40])
def test_metric_emergence_holds_for_short_and_long_answers(length):
    parts = run_demo(REGISTRY["metric-emergence"], {"answer_length": length, "seed": 3})
    assert all(c.passed for c in parts if isinstance(c, Check))
