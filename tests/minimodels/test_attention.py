import pytest
import torch

from minimodels.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    prefix_lm_mask,
    scaled_dot_product_attention,
)

B, H, T, HS = 3, 4, 10, 8


def qkv(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, H, T, HS, generator=g) for _ in range(3)]


def real_tokens():
    am = torch.ones(B, T, dtype=torch.long)
    am[1, 7:] = 0
    am[2, 3:] = 0
    return am


MASKS = {
    "none": lambda: None,
    "padding-bert": lambda: padding_mask(real_tokens()),
    "padding-inf": lambda: padding_mask(real_tokens(), float("-inf")),
    "padding-dtype-min": lambda: padding_mask(real_tokens(), torch.finfo(torch.float32).min),
    "causal": lambda: causal_mask(T),
    "prefix-int": lambda: prefix_lm_mask(T, 4),
    "prefix-per-row": lambda: prefix_lm_mask(T, torch.tensor([0, 4, 10])),
}


@pytest.mark.parametrize("name", MASKS)
def test_explicit_path_agrees_with_fused_sdpa(name):
    q, k, v = qkv()
    mask = MASKS[name]()
    fused, no_weights = scaled_dot_product_attention(q, k, v, mask)
    explicit, weights = scaled_dot_product_attention(q, k, v, mask, return_weights=True)
    assert no_weights is None
    torch.testing.assert_close(explicit, fused, atol=1e-5, rtol=0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, H, T))


def test_the_three_padding_fills_give_the_same_output():
    q, k, v = qkv()
    outs = [scaled_dot_product_attention(q, k, v, MASKS[n]())[0] for n in MASKS if "padding" in n]
    for out in outs[1:]:
        torch.testing.assert_close(out, outs[0], atol=1e-6, rtol=0)


def test_bert_padding_mask_is_minus_10000_times_one_minus_mask():
    am = real_tokens()
    expected = (-10000.0 * (1.0 - am.float()))[:, None, None, :]
    assert torch.equal(padding_mask(am), expected)


def test_padded_keys_and_future_keys_get_zero_weight():
    q, k, v = qkv()
    _, w = scaled_dot_product_attention(q, k, v, padding_mask(real_tokens()), return_weights=True)
    assert w[2, :, :, 3:].abs().max() == 0  # row 2 has 3 real tokens
    assert w[2, :, :, :3].min() > 0
    _, w = scaled_dot_product_attention(q, k, v, causal_mask(T), return_weights=True)
    upper = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    assert w[..., upper].abs().max() == 0
    assert w[..., ~upper].min() > 0


def test_prefix_lm_mask_structure():
    m = prefix_lm_mask(6, 3).int()
    expected = torch.tensor(
        [
            [1, 1, 1, 0, 0, 0],  # prefix: bidirectional within the prefix
            [1, 1, 1, 0, 0, 0],
            [1, 1, 1, 0, 0, 0],
            [1, 1, 1, 1, 0, 0],  # after it: the whole prefix, then causal
            [1, 1, 1, 1, 1, 0],
            [1, 1, 1, 1, 1, 1],
        ]
    )
    assert torch.equal(m, expected)
    assert torch.equal(prefix_lm_mask(6, 0), causal_mask(6))
    per_row = prefix_lm_mask(6, torch.tensor([3, 0]))
    assert per_row.shape == (2, 1, 6, 6)
    assert torch.equal(per_row[0, 0].int(), expected)
    assert torch.equal(per_row[1, 0], causal_mask(6))


def test_causal_mask_for_cached_queries_is_the_bottom_rows_of_the_full_mask():
    assert torch.equal(causal_mask(3, 8), causal_mask(8)[-3:])
    assert causal_mask(1, 5).all()


def test_multi_head_attention_returns_the_same_output_with_weights():
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4).eval()
    x = torch.randn(2, T, 32)
    fast, none = mha(x, causal_mask(T))
    slow, weights = mha(x, causal_mask(T), return_weights=True)
    assert none is None
    assert weights.shape == (2, 4, T, T)
    torch.testing.assert_close(slow, fast, atol=1e-5, rtol=0)


def test_bfloat16_autocast_takes_the_explicit_path_and_stays_close():
    q, k, v = qkv()
    reference, _ = scaled_dot_product_attention(q, k, v, causal_mask(T))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = scaled_dot_product_attention(q, k, v, causal_mask(T))
        _, weights = scaled_dot_product_attention(q, k, v, causal_mask(T), return_weights=True)
    assert out.dtype == torch.bfloat16
    assert weights.dtype == torch.float32  # the softmax itself runs in float32
    torch.testing.assert_close(out.float(), reference, atol=3e-2, rtol=0)
