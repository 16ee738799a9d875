"""The architecture and positions demos: each runs with its defaults and every Check passes, and
each claim is recomputed here independently of the demo's own Check (so a Check that could not
fail would still be caught)."""

import math

import pytest
import torch

from minimodels.demos import moe_routing, norms, sinusoid_shift
from minimodels.positions import alibi_slopes, inverse_frequencies, ntk_base, rope, sinusoidal
from minimodels.results import Check, Lines, Metric, Table
from studyapp.demos import REGISTRY, DemoParamError, architecture, run_demo, source_of

MINE = ["rope-relative", "rope-scaling", "sinusoid-shift", "rmsnorm-vs-layernorm", "moe-routing"]


def en(text) -> str:
    return text["en"] if isinstance(text, dict) else text


def of_type(parts, kind):
    return [p for p in parts if isinstance(p, kind)]


@pytest.fixture(scope="module")
def results():
    return {demo_id: run_demo(REGISTRY[demo_id]) for demo_id in MINE}


def test_registry_lists_exactly_these_demos():
    assert [d.id for d in architecture.DEMOS] == MINE


@pytest.mark.parametrize("demo_id", MINE)
def test_demo_runs_with_defaults_and_every_check_passes(results, demo_id):
    checks = of_type(results[demo_id], Check)
    assert checks
    assert [(en(c.claim), en(c.detail)) for c in checks if not c.passed] == []
    for c in checks:
        assert c.claim["en"] and c.claim["zh"] and en(c.detail)
    source = source_of(REGISTRY[demo_id])
    assert source.startswith('"""') and "def run(" in source


@pytest.mark.parametrize("demo_id", MINE)
def test_every_parameter_extreme_keeps_every_check(demo_id):
    demo = REGISTRY[demo_id]
    for param in demo.params:
        if hasattr(param, "min"):
            for value in (param.min, param.max):
                parts = run_demo(demo, {param.name: value})
                failed = [en(c.claim) for c in of_type(parts, Check) if not c.passed]
                assert failed == [], (param.name, value)


def test_bad_parameters_raise_a_clear_error():
    with pytest.raises(DemoParamError, match="top_k"):
        REGISTRY["moe-routing"].check_params({"top_k": 9})
    with pytest.raises(DemoParamError, match="dim"):
        REGISTRY["rope-relative"].check_params({"dim": 1.5})


# -- RoPE --


def test_rope_score_is_a_function_of_the_offset_only():
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(2, 32, generator=g, dtype=torch.float64)
    at = lambda v, p: rope(v[None], torch.tensor([p]))[0]  # noqa: E731
    for m, n in [(0, 7), (100, 107), (5000, 5007)]:
        assert (at(q, m) @ at(k, n)).item() == pytest.approx(
            (at(q, 0) @ at(k, 7)).item(), abs=1e-10
        )
    # ... and not of the positions' sum: a different offset gives a different score.
    assert abs((at(q, 0) @ at(k, 8) - at(q, 0) @ at(k, 7)).item()) > 1e-3


def test_rope_matches_the_complex_form():
    # RoFormer Section 3.2: pair i as a complex number, multiplied by e^{i·m·θ_i}.
    g = torch.Generator().manual_seed(2)
    x = torch.randn(5, 16, generator=g, dtype=torch.float64)
    positions = torch.arange(5) * 37
    complex_x = torch.view_as_complex(x.reshape(5, 8, 2).contiguous())
    angles = positions.double()[:, None] * inverse_frequencies(16)[None, :]
    expected = torch.view_as_real(complex_x * torch.polar(torch.ones_like(angles), angles))
    assert torch.allclose(rope(x, positions), expected.reshape(5, 16), atol=1e-12)


def test_rope_relative_demo_reports_a_large_spread_only_for_added_encodings(results):
    metrics = {en(m.label): float(m.value) for m in of_type(results["rope-relative"], Metric)}
    assert metrics["RoPE: largest spread along a diagonal"] < 1e-9
    assert metrics["Added sinusoids: largest spread along a diagonal"] > 1.0


def test_rope_decay_of_aligned_vectors_and_not_of_random_ones(results):
    chart = of_type(results["rope-relative"], Lines)[0]
    aligned, random = chart.series["all-ones"], chart.series["random"]
    assert aligned[0] == pytest.approx(64)  # Σ 2·cos(0) over 32 pairs
    assert max(abs(v) for v in aligned[len(aligned) // 2 :]) < aligned[0] / 2
    # A random pair's score changes sign again and again far from the start.
    far = random[len(random) // 2 :]
    assert sum(a * b < 0 for a, b in zip(far, far[1:], strict=False)) > 10


def test_rope_scaling_counts_pairs_against_the_wavelength_formula(results):
    # θ_i = 10000^(-2i/128); pair i's wavelength 2π·10000^(2i/128) exceeds 2,048 tokens for i ≥ 41.
    first_long = min(i for i in range(64) if 2 * math.pi * 10_000 ** (2 * i / 128) > 2048)
    assert first_long == 41
    metric = of_type(results["rope-scaling"], Metric)[0]
    assert metric.value == f"{64 - first_long} / 64"


def test_ntk_base_for_four_times_the_context_at_head_dim_128():
    base = ntk_base(10_000, 4, 128)
    assert base == pytest.approx(10_000 * 4 ** (128 / 126))
    assert round(base) == 40_890
    theta = inverse_frequencies(128, base)
    assert theta[0].item() == 1.0
    assert theta[-1].item() == pytest.approx(inverse_frequencies(128)[-1].item() / 4, rel=1e-12)


def test_slowest_rope_pair_of_a_128_dim_head_turns_once_in_about_54_thousand_tokens():
    theta = inverse_frequencies(128)
    assert 2 * math.pi / theta[-1].item() == pytest.approx(54_410, abs=1)


def test_interpolated_positions_stay_in_the_trained_range():
    trained, scale = 2048, 4
    # Position interpolation reads p as p·L/L': the last position 8,191 becomes 2,047.75 < 2,048.
    assert (scale * trained - 1) / scale < trained
    assert 5000 * trained / (scale * trained) == 1250


# -- sinusoids --


def test_sinusoid_shift_matrix_moves_every_position():
    pe = sinusoidal(torch.arange(300), 32)
    m = sinusoid_shift.shift_matrix(32, 9)
    assert torch.allclose(pe[:291] @ m.T, pe[9:], atol=1e-10)
    # It depends on k: the k = 9 map does not move positions by 10.
    assert not torch.allclose(pe[:290] @ m.T, pe[10:], atol=1e-3)


def test_sinusoid_norm_is_the_square_root_of_half_the_width():
    pe = sinusoidal(torch.arange(1000), 512)
    assert torch.allclose(pe.norm(dim=-1), torch.full((1000,), 16.0, dtype=torch.float64))


def test_sinusoid_dot_product_cannot_tell_before_from_after():
    pe = sinusoidal(torch.arange(40), 64)
    assert (pe[20] @ pe[25]).item() == pytest.approx((pe[20] @ pe[15]).item(), abs=1e-12)


# -- norms --


def test_rms_norm_equals_layer_norm_only_for_zero_mean_vectors():
    x = torch.tensor([[1.0, 2.0, 3.0, 6.0]], dtype=torch.float64)
    centred = x - x.mean()
    assert torch.allclose(norms.rms_norm(centred), norms.layer_norm(centred), atol=1e-12)
    assert not torch.allclose(norms.rms_norm(x), norms.layer_norm(x), atol=1e-2)
    # RMS of (1, 2, 3, 6) is √12.5: RMSNorm divides by it.
    assert torch.allclose(norms.rms_norm(x), x / math.sqrt(12.5 + norms.EPS))


def test_batch_norm_leaks_across_sequences_and_time(results):
    table = [
        t for t in of_type(results["rmsnorm-vs-layernorm"], Table) if t.rows[0][0] == "LayerNorm"
    ]
    moved = {row[0]: float(row[1]) for row in table[0].rows}
    assert moved["LayerNorm"] == 0.0 and moved["RMSNorm"] == 0.0
    assert moved["BatchNorm"] > 0.01


# -- MoE --


def test_mixtral_counts_match_the_paper_47b_and_13b():
    stored, active = moe_routing.MIXTRAL.counts()
    assert stored == 46_702_792_704
    assert active == 12_879_925_248
    assert round(stored / 1e9) == 47 and round(active / 1e9) == 13


def test_balancing_loss_is_one_for_uniform_routing_and_larger_when_skewed():
    experts = 4
    logits = torch.zeros(8, experts)  # P uniform
    chosen = torch.arange(8)[:, None] % experts  # f uniform
    assert moe_routing.balance_loss(logits, chosen, experts).item() == pytest.approx(1.0)
    skewed = torch.zeros(8, experts)
    skewed[:, 0] = 5.0  # every token prefers expert 0
    loss = moe_routing.balance_loss(skewed, torch.zeros(8, 1, dtype=torch.long), experts)
    assert loss.item() > 3.5  # f_0 = 1, P_0 ≈ 0.98: loss ≈ 4 · 0.98


def test_capacity_and_overflow_arithmetic():
    # Switch Transformer: capacity = tokens / experts · capacity factor.
    assert int(1.25 * 1 * 4096 / 64) == 80
    load = torch.tensor([100, 80, 60, 80])
    assert moe_routing.overflow(load, 80) == 20


def test_moe_demo_balances_load(results):
    table = of_type(results["moe-routing"], Table)[0]
    before = [row[1] for row in table.rows]
    after = [row[2] for row in table.rows]
    assert sum(before) == sum(after) == 4096 * 2
    assert max(after) < max(before)


def test_alibi_slopes_for_8_and_16_heads():
    assert alibi_slopes(8) == [2**-i for i in range(1, 9)]
    assert alibi_slopes(16)[0] == pytest.approx(2**-0.5)
    assert alibi_slopes(16)[-1] == 2**-8
    with pytest.raises(ValueError, match="power of two"):
        alibi_slopes(12)


# -- on the Demos page --


@pytest.mark.parametrize("demo_id", MINE)
def test_demo_page_shows_every_check_in_chinese_and_links_its_questions(
    demo_id, tmp_path, monkeypatch
):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from studyapp.bank.load import load_bank
    from tests.bankfixtures import REPO

    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "studyapp" / "app" / "main.py"), default_timeout=120)
    at.query_params["demo"] = demo_id
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    checks = [c for c in run_demo(REGISTRY[demo_id]) if isinstance(c, Check)]
    shown = [s.value for s in at.success]
    assert len(shown) == len(checks)
    assert all(
        c.claim["zh"].split("：")[0][:8] in text for c, text in zip(checks, shown, strict=True)
    )
    proving = {q.id for q in load_bank(REPO / "questions").questions.values() if q.demo == demo_id}
    linked = {p.proto.query_string for p in at.get("page_link") if p.proto.page == "question"}
    assert proving, f"no question links {demo_id}"
    assert all(any(f"q={qid}" in link for link in linked) for qid in proving)
