"""Claims of the serving questions that are computed rather than quoted (named by `computed_by`).

Each numeric test recomputes the answer from the question's own assumptions, with real tensors
where there is something to measure, and compares it with the value stored in the bank."""

import random

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from minimodels.attention import KVCache
from minimodels.serving import (
    GroupedQueryAttention,
    kv_cache_bytes,
    residual,
    speculative_step,
    tiled_attention,
)
from studyapp.bank.load import load_bank
from tests.bankfixtures import REPO

BANK = load_bank(REPO / "questions").questions


def answer(qid: str) -> float:
    return BANK[qid].numeric.value


def decode_flops_per_weight_byte(batch: int, width: int = 256) -> float:
    """FLOPs of one decode step through a width x width fp16 weight for `batch` sequences (one new
    token each), counted by PyTorch, per byte of that weight read from memory."""
    layer = nn.Linear(width, width, bias=False)
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(batch, width))
    return counter.get_total_flops() / (layer.weight.numel() * 2)


def test_decode_intensity_equals_the_batch_and_the_ridge_batch_is_156():
    # serving-decode-ridge-batch: 312 TFLOP/s over 2.0 TB/s; each sequence adds 1 FLOP per byte.
    assert [decode_flops_per_weight_byte(b) for b in (1, 8, 64)] == [1.0, 8.0, 64.0]
    ridge = 312e12 / 2.0e12
    batch = next(b for b in range(1, 1000) if decode_flops_per_weight_byte(b) >= ridge)
    assert batch == answer("serving-decode-ridge-batch") == 156


def test_decode_step_floor_is_weight_bytes_over_bandwidth():
    # serving-decode-latency-floor: 7e9 fp16 weights read once per step at 2.0 TB/s, in ms.
    milliseconds = 7e9 * 2 / 2.0e12 * 1000
    assert milliseconds == pytest.approx(answer("serving-decode-latency-floor"))
    assert 1000 / milliseconds == pytest.approx(1000 / 7)  # at most ~143 tokens/s at batch 1


def test_kv_cache_budget_fits_20_llama_7b_sequences_and_80_with_gqa_8():
    # serving-kv-cache-batch-budget: LLaMA 7B shape (32 layers, 32 heads of 128), fp16.
    per_sequence = kv_cache_bytes(32, 32, 128, 4096, 2)
    assert per_sequence == 2 * 2**30
    assert 40 * 2**30 // per_sequence == answer("serving-kv-cache-batch-budget") == 20
    assert 40 * 2**30 // kv_cache_bytes(32, 8, 128, 4096, 2) == 80
    # The formula against real cached tensors of one layer at a reduced width (same per-head math).
    layer = GroupedQueryAttention(n_embd=4 * 128, n_head=4, n_kv_head=4).half()
    cache = KVCache()
    with torch.no_grad():
        layer(torch.zeros(1, 16, 4 * 128, dtype=torch.float16), cache)
    counted = sum(t.numel() * t.element_size() for t in (cache.k, cache.v))
    assert counted == kv_cache_bytes(1, 4, 128, 16, 2)


def test_rolling_buffer_keeps_window_tokens_so_32k_needs_8x_less():
    # serving-rolling-buffer-cache-ratio: Mistral 7B, W = 4096, a 32,768-token sequence.
    window, tokens = 4096, 32_768
    full = kv_cache_bytes(32, 8, 128, tokens, 2)
    rolling = kv_cache_bytes(32, 8, 128, min(tokens, window), 2)
    assert full / rolling == answer("serving-rolling-buffer-cache-ratio") == 8
    # A rolling buffer: position i is written to slot i mod W, so it never holds more than W.
    buffer = [None] * 8
    for position in range(30):
        buffer[position % 8] = position
    assert sorted(buffer) == list(range(22, 30))  # exactly the last W positions


def test_acceptance_rate_is_the_overlap_of_p_and_q():
    # serving-speculative-acceptance-rate: p = (0.5, 0.3, 0.2), q = (0.2, 0.5, 0.3).
    p, q = [0.5, 0.3, 0.2], [0.2, 0.5, 0.3]
    overlap = sum(map(min, p, q))
    assert overlap == pytest.approx(answer("serving-speculative-acceptance-rate"))
    assert overlap == pytest.approx(1 - 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True)))
    assert residual(p, q) == pytest.approx([1.0, 0.0, 0.0])  # only token 0 is under-proposed
    rng = random.Random(0)
    draws = [speculative_step([0], lambda c: p, lambda c: q, 1, rng)[1] for _ in range(40_000)]
    assert sum(draws) / len(draws) == pytest.approx(overlap, abs=0.01)


def test_int4_weights_of_a_70b_model_take_35_gb():
    # serving-int4-70b-weights-gb: half a byte per weight, decimal gigabytes.
    assert 70e9 * 4 / 8 / 1e9 == answer("serving-int4-70b-weights-gb") == 35


def test_full_fine_tuning_state_is_8x_the_fp16_weights():
    # serving-finetune-vs-inference-memory: ZeRO's 16 bytes per parameter against 2 for fp16.
    per_param_training = 2 + 2 + 4 + 4 + 4  # fp16 weights, fp16 grads, fp32 master, m, v
    per_param_inference = 2
    assert per_param_training / per_param_inference == answer(
        "serving-finetune-vs-inference-memory"
    )
    assert 7e9 * per_param_training / 1e9 == 112  # GB for a 7B model, before activations


def test_resampling_from_p_after_a_rejection_is_biased():
    # serving-speculative-wrong-residual: min(p, q) + (1 - beta) * p is not p.
    p, q = [0.1, 0.6, 0.3], [0.5, 0.2, 0.3]
    beta = sum(map(min, p, q))
    right = [min(a, b) + (1 - beta) * r for a, b, r in zip(p, q, residual(p, q), strict=True)]
    wrong = [min(a, b) + (1 - beta) * a for a, b in zip(p, q, strict=True)]
    assert right == pytest.approx(p)
    assert wrong == pytest.approx([0.14, 0.44, 0.42])  # token 1, under-proposed, loses mass


def test_online_softmax_rescaling_matches_a_full_row():
    # serving-online-softmax-rescale: fold blocks into (m, l) with exp(m_old - m_new).
    torch.manual_seed(0)
    row = torch.randn(100, dtype=torch.float64) * 5
    m, total = float("-inf"), 0.0
    for block in row.split(16):
        m_new = max(m, block.max().item())
        total = (
            total * torch.exp(torch.tensor(m - m_new)).item()
            + torch.exp(block - m_new).sum().item()
        )
        m = m_new
    assert m + torch.log(torch.tensor(total)).item() == pytest.approx(
        torch.logsumexp(row, 0).item()
    )
    # Forgetting the rescale (adding exp(s - m_new) to an l kept under an older max) is wrong.
    m, wrong = float("-inf"), 0.0
    for block in row.split(16):
        m = max(m, block.max().item())
        wrong += torch.exp(block - m).sum().item()
    assert m + torch.log(torch.tensor(wrong)).item() != pytest.approx(
        torch.logsumexp(row, 0).item(), abs=1e-3
    )


def test_tiled_attention_keeps_only_block_sized_scores_and_the_log_sum_exp():
    # serving-flashattention-backward-statistics: O and one log-sum-exp per row suffice.
    torch.manual_seed(1)
    n, d = 64, 8
    q, k, v = (torch.randn(n, d, dtype=torch.float64) for _ in range(3))
    out, lse, _ = tiled_attention(q, k, v, 16, 16)
    scores = q @ k.T / d**0.5
    probabilities = torch.exp(scores - lse[:, None])  # rebuilt from the saved statistics alone
    assert torch.allclose(probabilities, torch.softmax(scores, -1), atol=1e-12)
    assert torch.allclose(out, probabilities @ v, atol=1e-12)
