"""The exercises' reference wrappers agree with the live code learners read elsewhere.

The sampling filters are compared with `minimodels.gpt.sample_next` draw for draw, the cached
attention step with full causal attention, and the `proportions` categorisers are checked to pass
the reference's own draws and to name a broken rule.
"""

import torch

from minimodels import reference as ref
from minimodels.gpt import sample_next


def draws(probs: torch.Tensor, seed: int) -> torch.Tensor:
    return torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(seed))


def test_filters_and_temperature_draw_exactly_what_sample_next_draws():
    logits = torch.randn(6, 50, generator=torch.Generator().manual_seed(0)) * 3
    for seed in range(20):
        for kwargs in ({"top_k": 7}, {"top_p": 0.8}):
            filtered = (
                ref.top_k_filter(logits / 0.7, 7)
                if "top_k" in kwargs
                else ref.top_p_filter(logits / 0.7, 0.8)
            )
            want = sample_next(logits, 0.7, generator=torch.Generator().manual_seed(seed), **kwargs)
            assert torch.equal(draws(torch.softmax(filtered, -1), seed), want)
        want = sample_next(logits, 0.7, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(draws(ref.temperature_probs(logits, 0.7), seed), want)
    assert torch.equal(
        ref.temperature_probs(logits, 0).argmax(-1, keepdim=True), sample_next(logits, 0)
    )


def test_top_p_keeps_the_token_that_crosses_p():
    logits = torch.tensor([[0.1, 0.6, 0.3]]).log()
    kept = ref.top_p_filter(logits, 0.7).isfinite()
    assert kept.tolist() == [[False, True, True]]  # 0.6 < 0.7, so 0.3 is kept too


def test_a_cached_step_equals_the_last_rows_of_full_causal_attention():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 9, 4, generator=g, dtype=torch.float64) for _ in range(3))
    full = ref.causal_attention(q, k, v)
    out, keys, values = ref.cached_attention(q[:, 6:], k[:, 6:], v[:, 6:], k[:, :6], v[:, :6])
    torch.testing.assert_close(out, full[:, 6:], rtol=1e-12, atol=1e-12)
    assert torch.equal(keys, k) and torch.equal(values, v)


def test_the_bert_masking_categoriser_passes_the_reference_and_names_broken_rules():
    ids = torch.randint(0, 20, (64, 128), generator=torch.Generator().manual_seed(0))
    args = {"input_ids": ids, "mask_id": 3, "special_ids": [0, 1, 2, 3], "vocab_size": 20}
    inputs, labels = ref.bert_mask_tokens(**args, seed=0)
    counts, totals, broken = ref.bert_masking_categories(args, (inputs, labels))
    assert broken is None
    assert abs(counts["selected"] / totals["selected"] - 0.15) < 0.02
    assert abs(counts["masked"] / totals["masked"] - 0.8) < 0.05
    assert counts["masked"] + counts["random"] + counts["kept"] == totals["masked"]
    everywhere = torch.where(torch.isin(ids, torch.tensor([0, 1, 2, 3])), -100, ids)
    assert ref.bert_masking_categories(args, (inputs, everywhere))[2] is None  # shares catch it
    special_label = labels.clone()
    special_label[ids == 1] = 1
    assert "special token" in ref.bert_masking_categories(args, (inputs, special_label))[2]


def test_the_nsp_categoriser_passes_the_reference_and_names_broken_rules():
    documents = [[[1, 2], [3], [4, 5]], [[6], [7, 8]]]
    pairs = ref.nsp_pairs(documents, 500, seed=0)
    counts, totals, broken = ref.nsp_categories({"documents": documents, "n_pairs": 500}, pairs)
    assert broken is None and abs(counts["is_next"] / totals["is_next"] - 0.5) < 0.1
    args = {"documents": documents, "n_pairs": 1}
    assert "does not follow" in ref.nsp_categories(args, [[[1, 2], [4, 5], 0]])[2]
    assert "own document" in ref.nsp_categories(args, [[[1, 2], [4, 5], 1]])[2]
    assert "no next segment" in ref.nsp_categories(args, [[[4, 5], [6], 1]])[2]


def test_parameter_counts_match_the_published_configurations():
    assert ref.gpt2_param_count(50257, 1024, 12, 768) == 124_439_808
    assert ref.bert_param_count(30522, 512, 12, 768, 3072) == 109_482_240


def test_alibi_bias_uses_the_papers_slopes():
    bias = ref.alibi_bias(8, 4)
    assert bias[:, 1, 0].tolist() == [-(2.0**-k) for k in range(1, 9)]
    assert bias[:, 0, 1].isneginf().all()


def test_softmax_is_unchanged_by_each_rows_maximum_and_the_naive_formula_breaks():
    x = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]], dtype=torch.float64)
    shifted = x - x.amax(-1, keepdim=True)
    stable = shifted.exp() / shifted.exp().sum(-1, keepdim=True)
    torch.testing.assert_close(stable, ref.softmax(x), rtol=1e-15, atol=0)
    torch.testing.assert_close(stable[0], stable[1].flip(0), rtol=1e-15, atol=0)
    naive = x.exp() / x.exp().sum(-1, keepdim=True)
    assert naive.isnan().all()  # inf / inf in the first row, 0 / 0 in the second


def test_cross_entropy_is_logsumexp_minus_the_target_logit_even_for_huge_scores():
    logits = torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 10.0]], dtype=torch.float64)
    targets = torch.tensor([2, 1])
    by_hand = (logits.logsumexp(-1) - logits[[0, 1], targets]).mean()
    torch.testing.assert_close(ref.cross_entropy(logits, targets), by_hand, rtol=1e-15, atol=0)
    assert by_hand.item() == 1000.0  # -log p = 2000 for the first row, 0 for the second
    via_softmax = -(logits.exp() / logits.exp().sum(-1, keepdim=True))[[0, 1], targets].log()
    assert not via_softmax.isfinite().all()


def test_the_gibbs_calibration_is_near_one_half_for_sampling_and_far_for_argmax():
    g = torch.Generator().manual_seed(0)
    args = {
        "ids": torch.randint(4, 20, (2000, 12), generator=g),
        "position": torch.randint(0, 12, (2000,), generator=g),
        "logits": torch.randn(2000, 20, generator=g, dtype=torch.float64) * 2,
        "special_ids": [0, 1, 2, 3],
    }
    for seed in range(5):
        counts, totals, broken = ref.gibbs_categories(args, ref.gibbs_step(**args, seed=seed))
        assert broken is None
        assert abs(counts["top1_calibration"] / totals["top1_calibration"] - 0.5) < 0.04
    greedy = args["ids"].clone()
    allowed = args["logits"].clone()
    allowed[:, :4] = float("-inf")
    greedy[torch.arange(2000), args["position"]] = allowed.argmax(-1)
    counts, totals, _ = ref.gibbs_categories(args, greedy)
    assert counts["top1_calibration"] / totals["top1_calibration"] > 0.9


def test_a_row_with_no_allowed_key_is_nan_by_softmax_and_zero_in_the_reference_and_fused_kernel():
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(1, 2, 3, generator=g), torch.randn(1, 3, 3, generator=g)
    mask = torch.tensor([[[False, False, False], [True, False, True]]])
    plain = (q @ k.transpose(-2, -1)).masked_fill(~mask, float("-inf")).softmax(-1)
    assert plain[0, 0].isnan().all()
    weights = ref.attention_weights(q, k, mask)
    assert weights[0, 0].tolist() == [0.0, 0.0, 0.0]
    torch.testing.assert_close(weights[0, 1].sum(), torch.tensor(1.0))
    fused = torch.nn.functional.scaled_dot_product_attention(q, k, k, attn_mask=mask)
    assert fused[0, 0].tolist() == [0.0, 0.0, 0.0]
