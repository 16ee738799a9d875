"""The training demos, headless: each runs with its defaults (fixed seeds), every Check passes, the
key claim holds again on the returned numbers, and progress is reported in order up to the end.

The models are trained on a snapshot of the question bank taken at the start, so that questions
written while the tests run cannot change the corpus halfway. Trained models are cached in the
process, so later tests reuse the GPT and BERT that earlier ones trained (as the app does).
"""

import math
import shutil
import threading

import pytest
import torch

from minimodels.results import Check, Lines, Metric, Table, Text
from studyapp.demos import REGISTRY, run_demo
from tests.bankfixtures import REPO

TRAINING = [d for d in REGISTRY.values() if d.trains]


@pytest.fixture(scope="module", autouse=True)
def bank_snapshot(tmp_path_factory):
    snapshot = tmp_path_factory.mktemp("bank") / "questions"
    shutil.copytree(REPO / "questions", snapshot)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDYAPP_BANK", str(snapshot))
        yield snapshot


class Recorder:
    """A progress callback that remembers every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, done, text, curve=None):
        assert text["en"] and text["zh"]  # what is happening, in both languages
        if curve is not None:  # the curve so far, drawn as the final chart would be
            assert isinstance(curve, Lines)
            lengths = {len(curve.x), *(len(v) for v in curve.series.values())}
            assert len(lengths) == 1, f"curve series of different lengths: {lengths}"
        self.calls.append(done)

    def check(self):
        assert self.calls, "progress was never called"
        assert all(0.0 <= d <= 1.0 for d in self.calls)
        assert all(a <= b for a, b in zip(self.calls, self.calls[1:], strict=False)), self.calls
        assert self.calls[-1] >= 0.99


def run(demo_id: str, **values):
    recorder = Recorder()
    parts = run_demo(REGISTRY[demo_id], values, progress=recorder)
    recorder.check()
    checks = [p for p in parts if isinstance(p, Check)]
    assert checks, "a demo states at least one claim"
    for c in checks:
        assert c.passed, f"{demo_id}: {c.claim['en']} — {en(c.detail)}"
    return parts


def en(text) -> str:
    """A label's English: table cells with words and checks' details are a string or a dict."""
    return text["en"] if isinstance(text, dict) else text


def of(parts, kind):
    return [p for p in parts if isinstance(p, kind)]


def metric(parts, en_label: str):
    [m] = [p for p in of(parts, Metric) if p.label["en"] == en_label]
    return m.value


def test_every_training_demo_is_registered_with_a_module_and_defaults_matching_its_signature():
    import inspect

    from studyapp.demos import load_compute

    # The engine's own demos; areas add theirs (alignment, family...), held to the same rules below.
    assert {d.id for d in TRAINING} >= {
        "gpt-train",
        "bert-fill-mask",
        "bert-gibbs",
        "clm-vs-mlm",
        "decoding",
        "gpt1-aux-loss",
        "decoder-vs-encdec",
    }
    for demo in TRAINING:
        signature = inspect.signature(load_compute(demo))
        assert "progress" in signature.parameters
        for p in demo.params:
            assert signature.parameters[p.name].default == p.default, (demo.id, p.name)


@pytest.mark.slow
def test_gpt_train_with_defaults_beats_the_bigram_and_starts_near_ln_v():
    parts = run("gpt-train")
    [curve] = of(parts, Lines)
    val = curve.series["val loss"]
    assert val[-1] < curve.series["bigram baseline"][-1]
    assert abs(val[0] - curve.series["uniform baseline"][0]) < 0.3
    # The baselines are ordered as they should be: each knows more than the one before.
    assert (
        curve.series["uniform baseline"][0]
        > curve.series["unigram baseline"][0]
        > curve.series["bigram baseline"][0]
    )
    assert curve.x[0] == 0 and curve.x[-1] == REGISTRY["gpt-train"].defaults()["steps"]
    # Below the bigram baseline with a margin (measured 0.6 nats over 3 seeds), not by a hair.
    assert val[-1] < curve.series["bigram baseline"][-1] - 0.3
    sample = of(parts, Text)[-1].markdown
    assert "Attention " in sample
    # The English corpus: letters, digits and punctuation (the mixed corpus had 1,369 characters).
    vocabulary = metric(parts, "vocabulary")
    assert vocabulary <= 100
    assert abs(curve.series["uniform baseline"][0] - math.log(vocabulary)) < 1e-9


def test_the_first_progress_report_is_the_initial_loss_before_any_training_step():
    """A learner sees the live chart's first point at once (before the optimizer even exists),
    not after a tenth of the run; then step 1, then every evaluation."""
    from minimodels.demos.trained import tiny_gpt

    calls = []
    gpt = tiny_gpt(40, 7, lambda done, text, curve=None: calls.append((done, text["en"], curve)))
    done, text, curve = calls[0]
    assert done == 0.0 and text == f"GPT · step 0/40 · val {gpt.initial_val_loss:.3f}"
    assert curve.x == [0] and math.isclose(curve.series["val loss"][0], 4.5, abs_tol=0.3)
    assert math.isclose(curve.series["train loss"][0], 4.5, abs_tol=0.3)  # before any update
    assert calls[1][1].startswith("GPT · step 1/40 · loss ")
    evaluated = [c.x[-1] for _, _, c in calls if c is not None]
    assert evaluated == sorted(evaluated) and set(evaluated) >= {0, 4, 8, 40}  # every 40 // 10
    assert gpt.curve["step"] == [0, *range(4, 41, 4)]


@pytest.mark.slow
def test_gpt_train_in_chinese_trains_on_the_chinese_corpus():
    parts = run("gpt-train", language="zh", prompt="注意力")
    assert metric(parts, "vocabulary") > 1000  # every Chinese character is a token
    sample = of(parts, Text)[-1].markdown
    assert "注意力" in sample


@pytest.mark.slow
def test_decoding_greedy_repeats_most_and_is_deterministic():
    parts = run("decoding")  # the same GPT as gpt-train: cached, no second training
    [table] = of(parts, Table)
    repetition = {en(row[0]): float(row[1].rstrip("%")) for row in table.rows}
    greedy = repetition.pop("greedy")
    assert all(greedy >= r for r in repetition.values())
    nll = {en(row[0]): row[2] for row in table.rows}
    assert nll["greedy"] == min(nll.values())  # the likeliest text, yet the most repetitive


@pytest.mark.slow
def test_gpt1_aux_loss_keeps_the_language_model():
    parts = run("gpt1-aux-loss")
    [table] = of(parts, Table)
    lm_loss = {en(row[0]): row[3] for row in table.rows}
    assert lm_loss["L2 + 0.5·L1"] < lm_loss["L2 only"]
    task, lm = of(parts, Lines)
    for curves in (task, lm):
        assert len(curves.series) == 2
        assert all(len(v) == len(curves.x) for v in curves.series.values())


@pytest.mark.slow
def test_clm_vs_mlm_signal_shares():
    parts = run("clm-vs-mlm")
    clm = metric(parts, "causal LM: positions with a target")
    mlm = metric(parts, "masked LM: positions with a target")
    assert clm == "100.0%"
    assert abs(float(mlm.rstrip("%")) - 15.0) < 1.0
    [table] = of(parts, Table)
    gpt_n, bert_n = (int(v.replace(",", "")) for v in table.rows[0][1:])
    assert abs(gpt_n - bert_n) / gpt_n < 0.05


@pytest.mark.slow
def test_bert_fill_mask_beats_unigram_and_ranks_candidates():
    parts = run("bert-fill-mask")
    assert metric(parts, "masked-LM val loss") < metric(parts, "unigram baseline")
    tables = of(parts, Table)
    default_text = REGISTRY["bert-fill-mask"].defaults()["text"]
    assert len(tables) == default_text.count("[MASK]")
    for t in tables:
        probs = [float(r[2].rstrip("%")) for r in t.rows]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True)
    assert "[MASK]" not in of(parts, Text)[-1].markdown["en"]


@pytest.mark.slow
def test_bert_fill_mask_without_a_mask_explains_instead_of_failing():
    parts = run("bert-fill-mask", text="no blank here")  # the cached BERT
    assert not of(parts, Table)
    assert "[MASK]" in of(parts, Text)[-1].markdown["en"]


@pytest.mark.slow
def test_bert_gibbs_chain_fills_every_position():
    parts = run("bert-gibbs")
    defaults = REGISTRY["bert-gibbs"].defaults()
    assert metric(parts, "steps") == defaults["iterations"]
    block = of(parts, Text)[1].markdown  # the final text in a fenced code block
    final = block.split("\n", 1)[1].rsplit("\n", 1)[0]
    assert "[MASK]" not in final and len(final) == defaults["length"]
    assert "Markov random field" in of(parts, Text)[-1].markdown["en"]


@pytest.mark.slow
def test_the_listed_gibbs_loop_is_the_engines_gibbs_chain():
    from minimodels.demos.bert_gibbs import gibbs_steps
    from minimodels.demos.trained import tiny_bert
    from minimodels.sampling import gibbs_sample

    bert = tiny_bert()  # the defaults: cached by the tests above
    tok = bert.tokenizer
    kwargs = dict(length=12, iterations=60, burn_in=20, top_k=5)
    ours, _ = gibbs_steps(
        bert.model,
        *kwargs.values(),
        tok.token_to_id,
        tok.special_ids,
        torch.Generator().manual_seed(3),
    )
    engine = gibbs_sample(
        bert.model,
        cls_id=tok.token_to_id["[CLS]"],
        sep_id=tok.token_to_id["[SEP]"],
        mask_id=tok.token_to_id["[MASK]"],
        special_ids=tok.special_ids,
        generator=torch.Generator().manual_seed(3),
        **kwargs,
    )
    assert torch.equal(ours, engine[0])


@pytest.mark.slow
def test_decoder_vs_encdec_equal_size_and_both_learn_the_task():
    parts = run("decoder-vs-encdec")
    [table] = of(parts, Table)
    counts = [int(r[1].replace(",", "")) for r in table.rows]
    assert abs(counts[0] - counts[1]) / max(counts) <= 0.10
    for row in table.rows:
        assert float(row[2].rstrip("%")) >= 99.0, row  # exact match after the default run
        assert row[3] <= 90, row  # 95 % reached with 10 % of the steps to spare (seeds 0-2: <= 85)
    loss_curves, match_curves = of(parts, Lines)
    for series in loss_curves.series.values():
        assert series[-1] < series[0] / 10


def test_decoder_vs_encdec_exact_match_in_one_pass_equals_greedy_decoding():
    """All-right under teacher forcing <=> greedy decoding writes the whole target right."""
    from dataclasses import replace

    from minimodels.demos import decoder_vs_encdec as d
    from minimodels.gpt import GPT, GPTConfig

    config = GPTConfig(vocab_size=d.VOCAB, block_size=4, n_head=2, n_embd=32)
    torch.manual_seed(0)
    models = [GPT(replace(config, block_size=8, n_layer=2)), d.EncoderDecoder(config, 1, 1)]
    src, tgt = d.make_batch(400, 4, "copy", torch.Generator().manual_seed(0))
    batches = torch.Generator().manual_seed(1)
    for model in models:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        partly_right = 0  # checkpoints where some strings are right and some wrong
        for step in range(1, 81):
            loss = d.loss_of(model, *d.make_batch(64, 4, "copy", batches))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 10 == 0:
                by_greedy = (d.greedy(model, src) == tgt).all(dim=1).float().mean().item()
                assert d.exact_match(model, src, tgt) == by_greedy
                partly_right += 0.0 < by_greedy < 1.0
        assert partly_right >= 1


def test_two_sessions_asking_at_once_train_one_model():
    from minimodels.demos.trained import tiny_gpt

    results, calls = [], []

    def ask():
        results.append(tiny_gpt(20, 123, lambda done, text, curve=None: calls.append(text)))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] is results[1]
    assert sum("step 20/20" in c["en"] for c in calls) == 1  # trained once
    assert math.isfinite(results[0].val_loss)


@pytest.mark.parametrize(("length", "n_prompt"), [(30, 3), (8, 2), (9, 8), (20, 12), (5, 1)])
def test_decodings_batched_score_is_the_one_character_at_a_time_definition(length, n_prompt):
    """mean_nll scores every generated character in two batched passes; the definition is one
    forward pass per character over the context it was generated from (at most block_size)."""
    import torch.nn.functional as F

    from minimodels.demos.decoding import mean_nll
    from minimodels.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=16)).eval()
    ids = torch.randint(20, (1, length), generator=torch.Generator().manual_seed(length))
    total = 0.0
    with torch.no_grad():
        for t in range(n_prompt, length):
            logits = model(ids[:, max(0, t - 8) : t])[0, -1]
            total -= F.log_softmax(logits, dim=-1)[ids[0, t]].item()
    assert mean_nll(model, ids, n_prompt) == pytest.approx(total / (length - n_prompt), abs=1e-5)
