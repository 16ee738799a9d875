"""Claims in the llm-architecture questions that are computed rather than quoted.

Each test recomputes a figure a question states (numeric value and the numbers written in its
answer, in both languages), so an edit that changes the answer or the code it describes fails
here."""

import math

import pytest
import torch

from minimodels.demos import moe_routing
from studyapp.bank.load import load_bank
from tests.bankfixtures import REPO

BANK = load_bank(REPO / "questions").questions


def answer_texts(qid: str) -> tuple[str, str]:
    answer = BANK[qid].answer
    return answer.en, answer.zh


def llama_7b_parameters(biases: bool) -> int:
    """LLaMA-7B's shapes (Table 2; FFN hidden 11,008): untied embedding and head, RMSNorm gains."""
    d, hidden, layers, vocab = 4096, 11008, 32, 32000
    per_layer = 4 * d * d + 3 * d * hidden + 2 * d
    if biases:
        per_layer += 4 * d + 2 * hidden + d  # q, k, v, o; gate and up; down
    return 2 * vocab * d + layers * per_layer + d


def test_biases_would_be_0_02_percent_of_llama_7b():
    without = llama_7b_parameters(biases=False)
    added = llama_7b_parameters(biases=True) - without
    assert without == 6_738_415_616  # the "6.7B" of the LLaMA paper
    assert added == 1_359_872
    assert round(100 * added / without, 2) == 0.02
    for text in answer_texts("llm-arch-no-biases"):
        assert "1{,}359{,}872" in text and "0.02" in text


def test_mixtral_parameters_used_and_stored():
    stored, used = moe_routing.MIXTRAL.counts()
    assert (stored, used) == (46_702_792_704, 12_879_925_248)
    question = BANK["llm-arch-mixtral-active-params"]
    assert round(used / 1e9, 2) == question.numeric.value
    en, zh = answer_texts("llm-arch-mixtral-active-params")
    assert "12{,}879{,}925{,}248" in en and "46{,}702{,}792{,}704" in en
    assert "12{,}879{,}925{,}248" in zh and "46{,}702{,}792{,}704" in zh
    # The per-layer pieces the answer lists.
    assert 2 * 4096**2 + 2 * 4096 * 8 * 128 == 41_943_040
    assert 3 * 4096 * 14_336 == 176_160_768


def test_switch_expert_capacity():
    tokens, experts, capacity_factor = 4096, 64, 1.25
    capacity = tokens / experts * capacity_factor
    assert capacity == BANK["llm-arch-moe-capacity"].numeric.value == 80
    assert moe_routing.overflow(torch.tensor([100, 80, 64, 12]), int(capacity)) == 20


def test_deepnorm_constants_for_a_48_layer_decoder():
    layers = 48
    alpha, beta = (2 * layers) ** 0.25, (8 * layers) ** -0.25
    assert f"{alpha:.2f}" == "3.13" and f"{beta:.3f}" == "0.226"
    for text in answer_texts("llm-arch-deepnorm"):
        assert r"\alpha \approx 3.13" in text and r"\beta \approx 0.226" in text


def test_factored_query_key_costs_a_sixth_of_a_full_matrix():
    d, heads = 768, 12
    head = d // heads
    factored, full = 2 * d * head, d * d
    assert (factored, full) == (98_304, 589_824) and full / factored == 6
    # The product of the two factors has rank d_h, a full W_QK rank d.
    g = torch.Generator().manual_seed(0)
    w_q = torch.randn(d, head, generator=g, dtype=torch.float64)
    w_k = torch.randn(d, head, generator=g, dtype=torch.float64)
    assert torch.linalg.matrix_rank(w_q @ w_k.T).item() == head
    for text in answer_texts("llm-arch-qk-factorised"):
        assert "98,304" in text and "589,824" in text


@pytest.mark.parametrize("layers", [6, 48, 1000])
def test_deepnorm_alpha_grows_and_beta_shrinks_with_depth(layers):
    alpha, beta = (2 * layers) ** 0.25, (8 * layers) ** -0.25
    assert alpha > 1 > beta
    # Their product is (2N / 8N)^(1/4) = 1/sqrt(2) whatever the depth.
    assert math.isclose(alpha * beta, 2**-0.5, rel_tol=1e-12)


def llama_ffn_hidden(dim: int, multiple_of: int, ffn_dim_multiplier: float | None = None) -> int:
    """The reference code's FeedForward size: 2/3 of 4d, optionally scaled, rounded up."""
    hidden = int(2 * 4 * dim / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def test_llama_ffn_hidden_sizes():
    assert llama_ffn_hidden(4096, 256) == 11_008 == BANK["llm-arch-llama-ffn-hidden"].numeric.value
    assert 11_008 == 2**8 * 43
    assert 3 * 4096 * (11_008 - 10_922) == 1_056_768
    assert round(100 * (11_008 - 10_922) / 11_008, 1) == 0.8
    # The sizes the answer names: Llama 2 70B and Llama 3 8B configs.
    assert llama_ffn_hidden(8192, 4096, 1.3) == 28_672
    assert llama_ffn_hidden(4096, 1024, 1.3) == 14_336
    for text in answer_texts("llm-arch-llama-ffn-hidden"):
        assert "1{,}056{,}768" in text and "28,672" in text and "14,336" in text


def test_mixtral_gate_is_a_softmax_over_the_top_two():
    # The demo's routing rule: softmax over the top-k logits only.
    logits = torch.tensor([[2.0, 1.0, -3.0, 0.5, -1.0, 0.9, -2.0, 0.0]])
    chosen, weights = moe_routing.route(logits, 2)
    assert chosen.tolist() == [[0, 1]]
    assert torch.allclose(weights, torch.tensor([[1 / (1 + math.e**-1), 1 / (1 + math.e)]]))
    assert round(weights[0, 0].item(), 2) == 0.73 and round(weights[0, 1].item(), 2) == 0.27
    # The other six logits do not change the weights; a full softmax would.
    other = logits.clone()
    other[0, 2:] = 0.8  # still below the second-best logit
    assert torch.allclose(moe_routing.route(other, 2)[1], weights)
    assert torch.softmax(logits, -1)[0, :2].sum() < 1
    for text in answer_texts("llm-arch-moe-gating-weights"):
        assert "0.73" in text and "0.27" in text


def test_fine_grained_experts_multiply_the_combinations():
    assert math.comb(16, 2) == 120
    assert math.comb(64, 8) == 4_426_165_368
    # Same parameters and FLOPs: 4x the experts at 1/4 the hidden size, 4x as many active.
    hidden, d = 4096, 1024
    assert 16 * 2 * d * hidden == 64 * 2 * d * (hidden // 4)
    assert 2 * 2 * d * hidden == 8 * 2 * d * (hidden // 4)
    for text in answer_texts("llm-arch-moe-fine-grained-shared"):
        assert "4{,}426{,}165{,}368" in text and "= 120" in text
