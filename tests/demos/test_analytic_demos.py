"""The analytic demos: each runs headless with its defaults, every Check passes, and the key claim
holds again when read back from the returned parts. Plus the contract between the registry and
the compute functions (parameter names, defaults, rejected values)."""

import inspect
import math
import subprocess
import sys

import pytest

from minimodels.results import Check, Heatmap, Lines, Metric, Part, Table, Text, TokenStrip
from studyapp.demos import (
    REGISTRY,
    ChoiceParam,
    DemoParamError,
    FloatParam,
    IntParam,
    TextParam,
    analytic,
    load_compute,
    run_demo,
    source_of,
)

MINE = [
    "attention-masks",
    "attention-rank",
    "causal-leakage",
    "decoder-pipeline",
    "embedding-sum",
    "kv-cache",
    "complexity",
    "tokenizers",
    "param-count",
]
PART_TYPES = tuple(Part.__args__)


@pytest.fixture(scope="module")
def results():
    """Each demo run once with its defaults, shared by the tests below."""
    return {}


def parts_of(results, demo_id):
    if demo_id not in results:
        results[demo_id] = run_demo(REGISTRY[demo_id])
    return results[demo_id]


def of_type(parts, kind):
    return [p for p in parts if isinstance(p, kind)]


def en(text) -> str:
    """A label's English: headers, titles, axis labels, table cells with words and checks' details
    are a string or {"en", "zh"}."""
    return text["en"] if isinstance(text, dict) else text


def title(part) -> str:
    return en(part.title)


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_registry_keeps_the_two_first_demos_and_adds_mine():
    ids = [d.id for d in analytic.DEMOS]
    assert ids[:2] == ["mlm-masking", "mlm-loss"]
    assert ids[2:] == MINE


@pytest.mark.parametrize("demo_id", MINE)
def test_demo_runs_with_defaults_and_every_check_passes(results, demo_id):
    parts = parts_of(results, demo_id)
    assert parts and all(isinstance(p, PART_TYPES) for p in parts)
    checks = of_type(parts, Check)
    assert checks, "a demo states at least one claim"
    failed = [(c.claim["en"], en(c.detail)) for c in checks if not c.passed]
    assert failed == []
    for c in checks:  # bilingual claims
        assert c.claim["en"] and c.claim["zh"]
    source = source_of(REGISTRY[demo_id])
    assert source.startswith('"""') and "def run(" in source


def test_attention_masks_padded_keys_get_no_weight_and_minus_inf_rows_are_nan(results):
    parts = parts_of(results, "attention-masks")
    padding = REGISTRY["attention-masks"].defaults()["padding"]
    weights = [h for h in of_type(parts, Heatmap) if en(h.value_label) == "weight"]
    assert len(weights) == 3
    for h in weights:
        pad_columns = [j for j, t in enumerate(h.x_labels) if t == "[PAD]"]
        assert len(pad_columns) == padding
        assert max(row[j] for row in h.matrix for j in pad_columns) < 1e-4
        assert all(abs(sum(row) - 1) < 1e-5 for row in h.matrix)
    fully_masked = of_type(parts, Table)[0]
    columns = [en(c) for c in fully_masked.columns]
    minus_inf = columns.index("-inf added")
    filled = columns.index("-10000 masked_fill")
    n = len(fully_masked.rows)
    assert all(row[minus_inf] == "nan" for row in fully_masked.rows)
    assert all(abs(float(row[filled]) - 1 / n) < 1e-4 for row in fully_masked.rows)


def test_attention_masks_with_minus_inf_passes_the_same_checks():
    parts = run_demo(REGISTRY["attention-masks"], {"fill": "-inf", "padding": 8})
    assert all(c.passed for c in of_type(parts, Check))


def test_attention_rank_linear_ranks_are_d_and_n_and_slogdet_is_finite(results):
    parts = parts_of(results, "attention-rank")
    n, d = 64, 8
    ranks = {en(row[0]): row[2] for row in of_type(parts, Table)[0].rows}
    assert ranks["QKᵀ/√d"] <= d
    assert ranks["linear, bidirectional"] == d
    assert ranks["linear, causal"] == n
    log10_det = next(m for m in of_type(parts, Metric) if "log10 det" in m.label["en"])
    assert math.isfinite(float(log10_det.value)) and float(log10_det.value) < -10
    collapse = next(line for line in of_type(parts, Lines) if "Collapse" in title(line))
    assert collapse.series["bidirectional, no skip"][-1] < 1e-6
    assert collapse.series["causal, skip"][-1] > 0.1


@pytest.mark.parametrize(("n", "d", "seed"), [(16, 2, 1), (128, 32, 7), (100, 3, 42)])
def test_attention_rank_checks_hold_across_the_parameter_range(n, d, seed):
    parts = run_demo(REGISTRY["attention-rank"], {"n": n, "d": d, "seed": seed})
    assert all(c.passed for c in of_type(parts, Check))


def test_causal_leakage_gpt_is_unchanged_before_the_position_and_bert_moves_everywhere(results):
    parts = parts_of(results, "causal-leakage")
    t = REGISTRY["causal-leakage"].defaults()["position"]
    rows = of_type(parts, Table)[0].rows
    gpt = [float(row[2]) for row in rows]
    bert = [float(row[3]) for row in rows]
    assert max(gpt[:t]) == 0.0
    assert min(gpt[t:]) > 0
    assert min(bert) > 1e-6


def test_decoder_pipeline_shares_add_up_to_count_params(results):
    from minimodels.gpt import GPTConfig
    from minimodels.params import count_params

    parts = parts_of(results, "decoder-pipeline")
    shares = next(t for t in of_type(parts, Table) if en(t.columns[0]) == "part")
    total = sum(number(row[1]) for row in shares.rows)
    sentence = REGISTRY["decoder-pipeline"].defaults()["sentence"]
    config = GPTConfig(
        vocab_size=len(set(sentence)), block_size=256, n_layer=2, n_head=4, n_embd=64
    )
    assert total == count_params(config)["total"]
    assert dict((en(row[0]), row[1]) for row in shares.rows)["lm_head (tied)"] == "0"
    top = next(t for t in of_type(parts, Table) if en(t.columns[1]) == "next token")
    assert len(top.rows) == min(10, len(set(sentence)))


def test_decoder_pipeline_byte_tokenizer_handles_chinese_and_emoji():
    parts = run_demo(
        REGISTRY["decoder-pipeline"], {"sentence": "注意力 is all 😀", "tokenizer": "byte"}
    )
    assert all(c.passed for c in of_type(parts, Check))
    stages = of_type(parts, Table)[0].rows
    assert stages[0][1] == f"(1, {len('注意力 is all 😀'.encode())})"


def test_embedding_sum_equals_a_linear_map_of_the_concatenated_one_hots(results):
    parts = parts_of(results, "embedding-sum")
    linear = next(c for c in of_type(parts, Check) if "linear layer" in c.claim["en"])
    assert float(en(linear.detail).split("=")[-1]) < 1e-6
    one_hot = of_type(parts, Heatmap)[0]
    assert all(sum(row) == 3 for row in one_hot.matrix)  # token, segment, position
    assert one_hot.y_labels == [
        "[CLS]",
        "my",
        "dog",
        "is",
        "cute",
        "[SEP]",
        "he",
        "likes",
        "playing",
        "[SEP]",
    ]
    text = of_type(parts, Text)[0].markdown
    assert text["en"] and text["zh"]


def test_kv_cache_tokens_equal_and_token_passes_are_exact(results):
    parts = parts_of(results, "kv-cache")
    table = of_type(parts, Table)[0]
    lengths = [row[0] for row in table.rows]
    assert lengths == [16, 32, 64, 128]
    for T, without, with_cache, *_, same in table.rows:
        assert number(without) == T * (T + 1) // 2
        assert number(with_cache) == T
        assert en(same) == "yes"


def test_complexity_counted_flops_and_traced_paths_equal_the_formulas(results):
    parts = parts_of(results, "complexity")
    flops, paths = of_type(parts, Table)
    for _, counted, _, formula_value in flops.rows:
        assert counted == formula_value
    n, d, k = 512, 64, 3
    counted = {en(row[0]): number(row[1]) for row in flops.rows}
    assert counted["self-attention"] == 2 * (4 * n * d * d + 2 * n * n * d)
    assert counted["recurrent"] == 2 * 2 * n * d * d
    assert counted["convolution"] == 2 * k * n * d * d
    traced = {en(row[0]): row[1] for row in paths.rows}
    assert traced["self-attention"] == "1"
    assert traced["convolution"] == str(math.ceil((n - 1) / (k - 1)))
    assert traced["dilated convolution"] == "6"  # 3**6 = 729 >= 512 > 243


def test_tokenizers_on_the_fixture_bank_round_trip(bank_dir, monkeypatch):
    monkeypatch.setenv("STUDYAPP_BANK", str(bank_dir))
    values = {"english": "Tokens, tokens: BERT's ##pieces!", "chinese": "它的训练目标 😀 é"}
    parts = run_demo(REGISTRY["tokenizers"], values)
    assert all(c.passed for c in of_type(parts, Check))
    strips = of_type(parts, TokenStrip)
    assert len(strips) == 4
    # The emoji never appears in the bank: WordPiece has no piece for it, byte-level BPE does.
    wordpiece_zh, bpe_zh = strips[2], strips[3]
    assert "[UNK]" in wordpiece_zh.tokens
    assert "unk" not in bpe_zh.categories and "partial" in bpe_zh.categories


def test_tokenizers_default_run_has_merges_and_continuation_pieces(results):
    from minimodels.demos.tokenizer_demo import REPO, trained

    parts = parts_of(results, "tokenizers")
    merges = next(t for t in of_type(parts, Table) if en(t.columns[0]) == "merge")
    assert len(merges.rows) == 15
    assert any(c == "continue" for c in of_type(parts, TokenStrip)[0].categories)
    _, bpe, learned, _, _ = trained(str(REPO / "questions"), 100)
    assert len(bpe.merges) == 100 and len(learned) == 100
    for text in ["Attention ist alles 😀", "注意力机制\n\t  两个空格", "ÿ\x00"]:
        assert bpe.decode(bpe.encode(text)) == text


@pytest.mark.parametrize(
    ("preset", "published"),
    [
        ("gpt1", 116_534_784),
        ("gpt2-small", 124_439_808),
        ("gpt2-medium", 354_823_168),
        ("gpt2-large", 774_030_080),
        ("bert-base", 109_482_240),
        ("bert-base-no-pooler", 108_891_648),
        ("bert-base-mlm", 109_514_298),
        ("bert-large", 335_141_888),
        ("gpt-tiny", 804_096),
    ],
)
def test_param_count_equals_the_published_totals(preset, published):
    parts = run_demo(REGISTRY["param-count"], {"preset": preset})
    checks = of_type(parts, Check)
    assert len(checks) == 2 and all(c.passed for c in checks)
    total = next(m for m in parts if isinstance(m, Metric) and m.label["en"] == "parameters")
    assert number(total.value) == published
    table = of_type(parts, Table)[0]
    assert table.rows[-1][1] == table.rows[-1][2] == f"{published:,}"


def test_param_count_untied_head_adds_v_times_d():
    parts = run_demo(REGISTRY["param-count"], {"preset": "gpt2-small"})
    untied = next(m for m in parts if isinstance(m, Metric) and "untied" in m.label["en"])
    assert number(untied.value) == 124_439_808 + 50257 * 768


def test_param_count_lists_every_preset():
    from minimodels.params import PRESETS

    (param,) = REGISTRY["param-count"].params
    assert set(param.options) == set(PRESETS)
    for preset in set(PRESETS) - {"gpt2-small"}:  # no published total needed: the counts agree
        parts = run_demo(REGISTRY["param-count"], {"preset": preset})
        assert all(c.passed for c in of_type(parts, Check))


@pytest.mark.parametrize("demo_id", list(REGISTRY))
def test_params_match_the_compute_signature(demo_id):
    demo = REGISTRY[demo_id]
    signature = inspect.signature(load_compute(demo)).parameters
    spec = {p.name for p in demo.params}
    assert spec <= set(signature), f"{demo_id}: run() does not accept {spec - set(signature)}"
    required = {n for n, q in signature.items() if q.default is inspect.Parameter.empty}
    assert required <= spec, f"{demo_id}: run() needs {required - spec}, which the spec lacks"
    if demo_id in MINE:  # mine take exactly the spec's parameters, in the spec's order
        assert list(signature) == [p.name for p in demo.params]
    for p in demo.params:
        default = signature[p.name].default
        if default is not inspect.Parameter.empty:
            assert default == p.default, f"{demo_id}.{p.name}: spec {p.default!r}, run {default!r}"
        assert p.check(p.default) == p.default  # the spec's default passes its own check


def bad_values(param):
    if isinstance(param, IntParam):
        return [param.max + 1, param.min - 1, "7", 2.5, True]
    if isinstance(param, FloatParam):
        return [param.max + 1, param.min - 1, "0.1", float("nan")]
    if isinstance(param, ChoiceParam):
        return ["no-such-option", None]
    assert isinstance(param, TextParam)
    return ["x" * (param.max_chars + 1), "   ", 42]


@pytest.mark.parametrize("demo_id", MINE)
def test_bad_parameters_raise_a_clear_demo_param_error(demo_id):
    demo = REGISTRY[demo_id]
    for param in demo.params:
        for value in bad_values(param):
            with pytest.raises(DemoParamError) as err:
                run_demo(demo, {param.name: value})
            message = str(err.value)
            assert param.name in message and len(message) < 300, message
    with pytest.raises(DemoParamError, match="unknown parameter"):
        run_demo(demo, {"no_such_param": 1})


def test_too_long_text_names_the_limit():
    with pytest.raises(DemoParamError, match="the limit is 80"):
        run_demo(REGISTRY["attention-masks"], {"sentence": "word " * 20})


def test_the_registry_imports_no_torch():
    code = "import sys, studyapp.demos; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
