"""Claims of the serving questions that are computed rather than quoted (named by `computed_by`).

Each numeric test recomputes the answer from the question's own assumptions, with real tensors
where there is something to measure, and compares it with the value stored in the bank."""

import random

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from minimodels.attention import KVCache
from minimodels.demos import prefill_decode
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


def roofline_ms(batch: int, new_tokens: int, cached: int, kv_heads: int = 32) -> float:
    """Roofline time of one step of a LLaMA-7B-sized stack (the prefill-vs-decode demo's layer)
    on a 312 TFLOP/s, 2.0 TB/s GPU: FLOPs counted, bytes of fp16 weights and KV cache."""
    with torch.device("meta"):
        layer = prefill_decode.Layer(4096, 32, kv_heads)
    mm, bmm = prefill_decode.count_step(layer, 32, batch, new_tokens, cached, 4096, kv_heads, 128)
    weight_bytes = 32 * sum(p.numel() for p in layer.parameters()) * 2
    kv_bytes = kv_cache_bytes(32, kv_heads, 128, cached + new_tokens, 2, batch)
    return 1000 * max((mm + bmm) / 312e12, (weight_bytes + kv_bytes) / 2.0e12)


def test_verifying_five_tokens_is_free_only_while_the_step_is_memory_bound():
    # serving-speculative-large-batch: the target scores gamma + 1 = 5 positions per sequence.
    def extra_cost(batch, cached, kv_heads=32):
        return roofline_ms(batch, 5, cached, kv_heads) / roofline_ms(batch, 1, cached, kv_heads)

    assert extra_cost(1, 2048) < 1.01  # batch 1: the same bytes, so almost free
    assert extra_cost(256, 512, kv_heads=8) > 3.0  # GQA, short context, big batch: compute-bound
    assert extra_cost(256, 2048) < 1.01  # MHA at 2,048 tokens: the cache keeps it memory-bound
    assert roofline_ms(1, 1, 2048) == pytest.approx(6.98, abs=0.01)


def test_forward_flops_per_token_are_two_per_weight():
    # serving-decode-flops-per-token: 2 N FLOPs per token, counted on a linear layer.
    layer = nn.Linear(64, 48, bias=False)
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(10, 64))
    assert counter.get_total_flops() == 2 * layer.weight.numel() * 10
    assert 2 * 7e9 / 1e9 == answer("serving-decode-flops-per-token") == 14


def test_prefill_floor_is_flops_over_peak():
    # serving-prefill-time-floor: 2 N T FLOPs at 312 TFLOP/s, N = 7e9, T = 2,048, in ms.
    milliseconds = 2 * 7e9 * 2048 / 312e12 * 1000
    assert milliseconds == pytest.approx(answer("serving-prefill-time-floor"), abs=0.05)
    # The weights' bytes would take 7 ms: prefill is compute-bound by a factor of ~13.
    assert milliseconds / (7e9 * 2 / 2.0e12 * 1000) == pytest.approx(13.1, abs=0.1)


def test_split_kv_partials_merge_exactly_with_their_log_sum_exp():
    # serving-split-kv-decoding: one query, the cache split in 4 chunks computed independently.
    torch.manual_seed(2)
    d, n = 16, 1000
    q = torch.randn(1, d, dtype=torch.float64)
    k, v = (torch.randn(n, d, dtype=torch.float64) for _ in range(2))
    partial_outputs, partial_lse = [], []
    for ks, vs in zip(k.split(250), v.split(250), strict=True):
        out, lse, _ = tiled_attention(q, ks, vs, 1, 250)  # each chunk on its own
        partial_outputs.append(out)
        partial_lse.append(lse)
    lse = torch.stack(partial_lse)  # (chunks, 1)
    weights = torch.exp(lse - torch.logsumexp(lse, dim=0))  # each chunk's share of the softmax
    merged = sum(w[:, None] * o for w, o in zip(weights, partial_outputs, strict=True))
    full = torch.softmax(q @ k.T / d**0.5, -1) @ v
    assert torch.allclose(merged, full, atol=1e-12)
    naive = sum(partial_outputs) / len(partial_outputs)  # averaging the chunks is wrong
    assert not torch.allclose(naive, full, atol=1e-3)


def absmax_int8(x: torch.Tensor) -> torch.Tensor:
    """Symmetric absmax quantization: scale so that the largest magnitude maps to 127."""
    return torch.round(x * 127 / x.abs().max()).to(torch.int8)


def test_one_outlier_squeezes_ordinary_values_into_a_few_int8_levels():
    # serving-absmax-int8-outlier: 0.5 next to an outlier of 60 becomes the integer 1.
    with_outlier = absmax_int8(torch.tensor([0.5, -0.3, 60.0]))
    assert with_outlier.tolist() == [1, -1, 127]
    assert with_outlier[0].item() == answer("serving-absmax-int8-outlier")
    without = absmax_int8(torch.tensor([0.5, -0.3, 1.2]))
    assert without.tolist() == [53, -32, 127]  # the same 0.5 keeps about 1 % precision
    relative_error = abs(1 * 60 / 127 - 0.5) / 0.5  # dequantized 0.472 instead of 0.5
    assert relative_error == pytest.approx(0.055, abs=0.001)
    assert absmax_int8(torch.tensor([0.5, -0.3, 60.0]))[1].item() == -1  # -0.3 and 0.5 nearly merge


def test_linear_attention_state_equals_a_64_token_cache_at_head_size_128():
    # serving-linear-attention-state-size: d x d state vs 2 d numbers per cached token.
    d = 128
    torch.manual_seed(3)
    keys, values = torch.randn(1000, d).relu(), torch.randn(1000, d)  # phi(k) >= 0, as elu + 1
    state = torch.zeros(d, d)
    for k, v in zip(keys, values, strict=True):  # the recurrent update S += phi(k) v^T
        state += torch.outer(k, v)
    assert torch.allclose(state, keys.T @ values, rtol=1e-4, atol=1e-3)  # same as the full sum
    assert state.numel() == d * d  # fixed, whatever the length
    tokens = next(t for t in range(1, 1000) if 2 * d * t >= state.numel())
    assert tokens == answer("serving-linear-attention-state-size") == 64
