"""Claims in the positions questions that are computed rather than quoted.

Each test recomputes a figure a question states with `minimodels.positions` (the code the live
demos run), compares it with the question's numeric value, and checks the answer writes the same
number in both languages."""

import math

import torch

from minimodels.demos import rope_scaling
from minimodels.positions import alibi_slopes, inverse_frequencies, ntk_base, sinusoidal
from studyapp.bank.load import load_bank
from tests.bankfixtures import REPO

BANK = load_bank(REPO / "questions").questions


def both_answers(qid: str) -> tuple[str, str]:
    answer = BANK[qid].answer
    return answer.en, answer.zh


def test_sinusoid_norm_is_16_at_width_512():
    pe = sinusoidal(torch.tensor([0, 1, 1000, 123_456]), 512)
    norms = pe.norm(dim=-1)
    assert torch.allclose(norms, torch.full((4,), 16.0, dtype=torch.float64), atol=1e-12)
    assert BANK["positions-sinusoid-norm"].numeric.value == 16 == math.sqrt(512 / 2)


def test_slowest_rope_pair_turns_once_in_54410_tokens():
    theta = inverse_frequencies(128)
    wavelength = 2 * math.pi / theta[-1].item()
    question = BANK["positions-rope-slowest-wavelength"]
    assert abs(wavelength - question.numeric.value) <= question.numeric.tolerance
    assert round(wavelength) == 54_410
    # Pairs 41 to 63 (23 of 64) have wavelengths above 2,048 tokens, as the answer says.
    longer = [i for i in range(64) if 2 * math.pi / theta[i].item() > 2048]
    assert longer == list(range(41, 64))
    for text in both_answers("positions-rope-slowest-wavelength"):
        assert "54{,}410" in text and "41" in text and "63" in text and "23" in text


def test_position_interpolation_maps_5000_to_1250():
    trained, extended = 2048, 8192
    assert 5000 * trained / extended == BANK["positions-pi-position-index"].numeric.value == 1250
    assert (extended - 1) * trained / extended == 2047.75
    # With PI every rotary pair stays inside the angles it saw in training.
    theta = inverse_frequencies(128)
    assert bool(((extended - 1) * theta / (extended / trained) < trained * theta).all())
    for text in both_answers("positions-pi-position-index"):
        assert "2,047.75" in text


def test_alibi_first_slope_with_16_heads():
    slopes = alibi_slopes(16)
    question = BANK["positions-alibi-slopes-16-heads"]
    assert abs(slopes[0] - question.numeric.value) <= question.numeric.tolerance
    # The 16-head slopes are the 8-head ones with their geometric means in between.
    eight = alibi_slopes(8)
    assert slopes[1::2] == eight
    assert all(
        math.isclose(slopes[2 * k], math.sqrt(eight[k] * (eight[k - 1] if k else 1)))
        for k in range(8)
    )
    # The answer's penalties: e^(-7.07) at distance 10 for head 1, ~1,810 tokens for the last head.
    assert round(math.exp(-10 * slopes[0]), 5) == 0.00085
    assert round(10 * slopes[0] / slopes[-1]) == 1810
    for text in both_answers("positions-alibi-slopes-16-heads"):
        assert "0.00085" in text and "1,800" in text


def test_ntk_base_and_the_pairs_it_leaves_out_of_range():
    assert round(ntk_base(10_000, 4, 128)) == 40_890
    for text in both_answers("positions-ntk-aware"):
        assert "40{,}890" in text
    # The answer's figures come from the rope-scaling demo at d = 128, L = 2,048, s = 4.
    checks = [p for p in rope_scaling.run(dim=128, trained=2048, scale=4) if hasattr(p, "passed")]
    ntk_detail = checks[-1].detail["en"]
    assert ntk_detail.startswith("22 pairs still leave their trained range, by up to 1.62×")
    assert "23 pairs, up to 4.00×" in ntk_detail


def test_rope_base_500k_slowest_wavelength():
    theta = inverse_frequencies(128, base=500_000.0)
    wavelength = 2 * math.pi / theta[-1].item()
    question = BANK["positions-rope-base-500k"]
    assert abs(wavelength - question.numeric.value) <= question.numeric.tolerance
    old = 2 * math.pi / inverse_frequencies(128)[-1].item()
    assert round(wavelength / old) == 47 and math.isclose(wavelength / old, 50 ** (126 / 128))
    assert round(360 * 131_072 / wavelength) == 18  # degrees swept over a 128K context
    for text in both_answers("positions-rope-base-500k"):
        assert "2{,}559{,}196" in text and "18°" in text and "47" in text


def test_yarn_temperature_and_frequency_split_match_transformers():
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import _compute_yarn_parameters

    config = LlamaConfig(
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=65_536,
        rope_parameters={
            "rope_type": "yarn",
            "factor": 16.0,
            "original_max_position_embeddings": 4096,
            "rope_theta": 10_000.0,
        },
    )
    inv_freq, attention_factor = _compute_yarn_parameters(config, "cpu")
    assert math.isclose(attention_factor, 0.1 * math.log(16) + 1)
    question = BANK["positions-yarn-temperature"]
    assert abs(attention_factor**2 - question.numeric.value) <= question.numeric.tolerance
    ratio = (inv_freq.double() / inverse_frequencies(128)).tolist()
    unchanged = [i for i, r in enumerate(ratio) if math.isclose(r, 1.0, rel_tol=1e-5)]
    interpolated = [i for i, r in enumerate(ratio) if math.isclose(r, 1 / 16, rel_tol=1e-5)]
    assert unchanged == list(range(0, 21)) and interpolated == list(range(46, 64))
    assert all(1 / 16 < r < 1 for r in ratio[21:46])
    for text in both_answers("positions-yarn-temperature"):
        assert "1.2773" in text and "1.6314" in text and "0–20" in text and "46–63" in text


def test_t5_decoder_bucket_of_offset_100():
    from transformers.models.t5.modeling_t5 import T5Attention

    offsets = torch.arange(0, 300)  # keys 0 ... 299 positions before the query
    buckets = T5Attention._relative_position_bucket(
        -offsets, bidirectional=False, num_buckets=32, max_distance=128
    )
    assert buckets[100].item() == BANK["positions-t5-relative-bucket"].numeric.value == 30
    assert 16 + int(math.log(100 / 16) / math.log(128 / 16) * 16) == 30
    spans = {b: [int(o) for o in offsets[buckets == b]] for b in (16, 30, 31)}
    assert (spans[16][0], spans[16][-1]) == (16, 18)
    assert (spans[30][0], spans[30][-1]) == (99, 112)
    assert spans[31][0] == 113 and spans[31][-1] == 299
    assert buckets[:16].tolist() == list(range(16))
    for text in both_answers("positions-t5-relative-bucket"):
        assert "99–112" in text and "113" in text and "16–18" in text
