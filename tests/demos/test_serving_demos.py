"""The serving demos: each runs with its defaults and every Check passes; the claims hold again when
read back from the returned parts; the building blocks in minimodels.serving are tested directly,
including that a wrong speculative rule is caught by the same test the demo uses."""

import itertools
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from minimodels.attention import KVCache
from minimodels.demos import beam_search, prefill_decode, speculative_sampling
from minimodels.results import Check, Lines, Metric, Part, Table
from minimodels.serving import (
    GroupedQueryAttention,
    kv_cache_bytes,
    residual,
    sample,
    speculative_step,
    standard_attention_io,
    tiled_attention,
)
from studyapp.demos import REGISTRY, run_demo, serving, source_of

MINE = [
    "kv-cache-bytes",
    "online-softmax",
    "speculative-sampling",
    "prefill-vs-decode",
    "beam-search-exact",
]


def en(text) -> str:
    return text["en"] if isinstance(text, dict) else text


def of_type(parts, kind):
    return [p for p in parts if isinstance(p, kind)]


def test_the_registry_module_holds_these_demos():
    assert [d.id for d in serving.DEMOS] == MINE


@pytest.mark.parametrize("demo_id", MINE)
def test_demo_runs_with_defaults_and_every_check_passes(demo_id):
    parts = run_demo(REGISTRY[demo_id])
    assert parts and all(isinstance(p, tuple(Part.__args__)) for p in parts)
    checks = of_type(parts, Check)
    assert checks and all(c.claim["en"] and c.claim["zh"] for c in checks)
    assert [en(c.claim) for c in checks if not c.passed] == []
    source = source_of(REGISTRY[demo_id])
    assert source.startswith('"""') and "def run(" in source


# -- kv-cache-bytes --


@pytest.mark.parametrize(
    ("values", "bytes_per"),
    [({}, 2), ({"dtype": "float32", "heads": 16, "group_size": 2, "tokens": 7, "batch": 3}, 4)],
)
def test_kv_cache_bytes_counted_equal_the_formula_and_shrink_by_the_group_size(values, bytes_per):
    demo = REGISTRY["kv-cache-bytes"]
    params = demo.check_params(values)
    parts = run_demo(demo, values)
    rows = {row[0]: row for row in of_type(parts, Table)[0].rows}
    counted = {kind: int(row[3].replace(",", "")) for kind, row in rows.items()}
    layers, heads, group = params["layers"], params["heads"], params["group_size"]
    tokens, batch, head_dim = params["tokens"], params["batch"], params["head_dim"]
    assert counted["MHA"] == 2 * layers * heads * head_dim * tokens * batch * bytes_per
    assert counted["MHA"] == group * counted["GQA"] == heads * counted["MQA"]
    assert rows["GQA"][2] == str((batch, heads // group, tokens, head_dim))


def test_kv_cache_bytes_published_shapes():
    parts = run_demo(REGISTRY["kv-cache-bytes"])
    published = {row[0]: row for row in of_type(parts, Table)[1].rows}
    assert published["LLaMA 7B"][5] == "512"  # 2 x 32 x 4096 x 2 bytes = 512 KiB per token
    assert published["Llama 2 70B"][5] == "320"  # 2 x 80 x 8 x 128 x 2 = 320 KiB
    assert published["Mistral 7B"][6] == "0.5"  # 128 KiB x 4096 = 0.5 GiB


def test_grouped_query_attention_decoding_with_the_cache_matches_a_full_pass():
    torch.manual_seed(0)
    layer = GroupedQueryAttention(n_embd=32, n_head=8, n_kv_head=2)
    x = torch.randn(2, 9, 32)
    with torch.no_grad():
        full = layer(x, KVCache())  # all 9 tokens at once
        cache = KVCache()
        layer(x[:, :8], cache)  # prefill 8 tokens
        last = layer(x[:, 8:], cache)  # decode the 9th from the cache
    assert torch.allclose(last, full[:, 8:], atol=1e-6)
    assert tuple(cache.k.shape) == (2, 2, 9, 4)  # 2 K/V heads cached, not 8
    assert kv_cache_bytes(1, 2, 4, 9, 4, batch=2) == 2 * cache.k.numel() * 4


def test_grouped_query_attention_with_one_group_per_head_is_multi_head_attention():
    torch.manual_seed(0)
    layer = GroupedQueryAttention(n_embd=16, n_head=4, n_kv_head=4)
    x = torch.randn(1, 5, 16)
    q = layer.q(x).view(1, 5, 4, 4).transpose(1, 2)
    k, v = (z.view(1, 5, 4, 4).transpose(1, 2) for z in layer.kv(x).split(16, dim=2))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    expected = layer.proj(expected.transpose(1, 2).reshape(1, 5, 16))
    with torch.no_grad():
        assert torch.allclose(layer(x, KVCache()), expected, atol=1e-6)


# -- online-softmax --


@pytest.mark.parametrize(
    ("n", "d", "block_q", "block_k", "causal"),
    [(37, 8, 8, 16, True), (64, 16, 64, 64, False), (50, 4, 7, 5, True), (1, 8, 4, 4, False)],
)
def test_tiled_attention_equals_pytorch_attention_for_any_blocks(n, d, block_q, block_k, causal):
    torch.manual_seed(n)
    q, k, v = (torch.randn(n, d, dtype=torch.float64) * 3 for _ in range(3))
    out, lse, _ = tiled_attention(q, k, v, block_q, block_k, causal)
    expected = F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=causal)[0]
    assert torch.allclose(out, expected, atol=1e-12)
    scores = q @ k.T / d**0.5
    if causal:
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    assert torch.allclose(lse, torch.logsumexp(scores, -1), atol=1e-12)


def test_tiled_traffic_is_k_v_once_and_q_o_once_per_key_block():
    n, d, block = 256, 32, 32
    x = torch.zeros(n, d)
    io = tiled_attention(x, x, x, block, block)[2]
    key_blocks = n // block
    assert io["read"] == 2 * n * d + key_blocks * (2 * n * d + 2 * n)
    assert io["written"] == key_blocks * (n * d + 2 * n)
    assert standard_attention_io(n, d) == {
        "read": 3 * n * d + 2 * n * n,
        "written": 2 * n * n + n * d,
    }


@pytest.mark.parametrize("values", [{"causal": "no"}, {"n": 96, "d": 8, "block": 48, "seed": 3}])
def test_online_softmax_checks_hold_across_parameters(values):
    parts = run_demo(REGISTRY["online-softmax"], values)
    assert all(c.passed for c in of_type(parts, Check))
    errors = [m for m in of_type(parts, Metric) if "float64" in en(m.label)]
    assert float(errors[0].value) < 1e-12


# -- speculative-sampling --


def one_position_distribution(p, q, step, draws=40_000, seed=0):
    """Empirical distribution of the first emitted token when drafting from q and checking with p."""
    rng = random.Random(seed)
    counts = [0] * len(p)
    for _ in range(draws):
        counts[step([0], lambda c: p, lambda c: q, 1, rng)[0][0]] += 1
    return [c / draws for c in counts]


def test_speculative_step_reproduces_p_and_a_wrong_resampling_rule_does_not():
    p, q = [0.1, 0.6, 0.3], [0.5, 0.2, 0.3]
    right = one_position_distribution(p, q, speculative_step)
    assert max(abs(a - b) for a, b in zip(right, p, strict=True)) < 0.01

    def resample_from_p(prefix, target, draft, gamma, rng):  # the common mistake: p, not p - q
        token = sample(draft(prefix), rng)
        if rng.random() < min(1.0, target(prefix)[token] / draft(prefix)[token]):
            return [token], 1
        return [sample(target(prefix), rng)], 0

    wrong = one_position_distribution(p, q, resample_from_p)
    assert max(abs(a - b) for a, b in zip(wrong, p, strict=True)) > 0.05
    assert residual(p, q) == pytest.approx([0.0, 1.0, 0.0])


def test_speculative_sampling_chi_square_separates_speculative_from_draft():
    parts = run_demo(REGISTRY["speculative-sampling"], {"mismatch": 0.5, "samples": 5000})
    chi = {en(row[0]): float(row[1]) for row in of_type(parts, Table)[1].rows}
    dof = 5**3 - 1
    assert chi["speculative (draft + target)"] < dof + 5 * (2 * dof) ** 0.5
    assert chi["draft model alone"] > dof + 5 * (2 * dof) ** 0.5
    exact = of_type(parts, Table)[0].rows
    assert all(row[2] == row[5] for row in exact)  # the total column equals p column


def test_a_worse_draft_lowers_acceptance_but_not_correctness():
    good = run_demo(REGISTRY["speculative-sampling"], {"mismatch": 0.5, "samples": 5000})
    bad = run_demo(REGISTRY["speculative-sampling"], {"mismatch": 3.0, "samples": 5000})
    rate = {
        name: float(next(m for m in of_type(parts, Metric) if "accepted" in en(m.label)).value)
        for name, parts in (("good", good), ("bad", bad))
    }
    assert rate["good"] > rate["bad"] + 0.2
    assert all(c.passed for c in of_type(bad, Check))
    assert speculative_sampling.LENGTH == 3


# -- prefill-vs-decode --


def test_prefill_decode_layer_is_real_grouped_query_attention():
    # The layer counted on the meta device computes causal GQA correctly on real tensors.
    torch.manual_seed(0)
    layer = prefill_decode.Layer(width=32, heads=8, kv_heads=2)
    x = torch.randn(2, 5, 32)
    empty = torch.zeros(2, 2, 0, 4)
    with torch.no_grad():
        out = layer(x, empty, empty)
        q = layer.q(x).view(2, 5, 8, 4).transpose(1, 2)
        k, v = layer.kv(x).view(2, 5, 2, 2, 4).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        h = x + layer.o(y.transpose(1, 2).reshape(2, 5, 32))
        expected = h + layer.down(F.gelu(layer.up(h)))
    assert torch.allclose(out, expected, atol=1e-5)


def test_prefill_vs_decode_numbers_at_llama_7b_size():
    parts = run_demo(REGISTRY["prefill-vs-decode"])
    rows = of_type(parts, Table)[0].rows
    intensity = [float(row[3].replace(",", "")) for row in rows]
    assert intensity[0] == 2048.0  # prefill: as many FLOPs per byte as prompt tokens
    assert intensity[1] == 1.0  # decode at batch 1: one FLOP per byte
    assert intensity[1:] == sorted(intensity[1:])  # batching raises it...
    assert intensity[-1] < 156  # ...but at a 2,048-token context not past the ridge
    ms_batch_1 = float(rows[1][4])
    # 12.9 GB of fp16 weights + 1.07 GB of cache (2,048 tokens x 0.5 MiB) at 2 TB/s: the 7 ms floor
    assert 6.9 < ms_batch_1 < 7.1
    assert en(rows[1][5]) == "memory" and en(rows[0][5]) == "compute"


@pytest.mark.parametrize(("attention", "group"), [("MHA", 1), ("GQA-8", 4), ("MQA", 32)])
def test_attention_intensity_is_the_group_size(attention, group):
    parts = run_demo(REGISTRY["prefill-vs-decode"], {"attention": attention, "weights": "int4"})
    curves = of_type(parts, Lines)[0].series
    assert curves["attention"] == [group] * 5
    assert curves["weights"] == [4.0 * b for b in prefill_decode.BATCHES]  # 4 bits: 4 FLOPs/byte
    assert all(c.passed for c in of_type(parts, Check))


# -- beam-search-exact --


def brute_force_mode(logp, max_words):
    """Every complete output listed one by one with itertools: (log-probability, length)."""
    eos = logp.shape[0] - 1
    best = (-float("inf"), 0)
    for length in range(max_words + 1):
        for words in itertools.product(range(eos), repeat=length):
            tokens = [eos, *words, eos]  # start symbol, words, end token
            score = sum(logp[a, b] for a, b in itertools.pairwise(tokens))
            best = max(best, (score, length))
    return best


def test_exact_mode_and_beam_search_agree_with_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(5):
        logp = beam_search.bigram_model(4, 0.0, rng)
        best, length = beam_search.exact_mode(logp, 4)
        assert (best, length) == pytest.approx(brute_force_mode(logp, 4))
        assert beam_search.beam_search(logp, 4, 5**4)[0] == pytest.approx(best)


def test_width_one_is_greedy_decoding():
    rng = np.random.default_rng(4)
    logp = beam_search.bigram_model(5, 0.0, rng)
    eos, last, score, length = 5, 5, 0.0, 0
    while True:  # take the single most probable next token until EOS (or out of room)
        token = int(np.argmax(logp[last])) if length < 6 else eos
        score += logp[last, token]
        if token == eos:
            break
        last, length = token, length + 1
    assert beam_search.beam_search(logp, 6, 1) == pytest.approx((score, length))


def test_beam_search_demo_numbers():
    parts = run_demo(REGISTRY["beam-search-exact"])
    rows = {en(row[0]): row for row in of_type(parts, Table)[0].rows}
    found = {name: float(row[1].rstrip(" %")) for name, row in rows.items() if row[1] != "—"}
    assert (
        found["greedy"] < found["beam, width 2"] < found["beam, width 4"] <= found["beam, width 8"]
    )
    mode_length = float(rows["exact mode (enumeration)"][3])
    assert mode_length < float(rows["one sample per model"][3])
    empty = next(m for m in of_type(parts, Metric) if "empty" in en(m.label))
    assert float(empty.value.rstrip(" %")) > 30  # the mode is often the empty output
