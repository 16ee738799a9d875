"""The BERT-family and generation demos: each runs with its defaults, every Check passes, and the
claim holds again when read back from the numbers it returns or recomputed independently."""

import itertools
import math
import random

import pytest
import torch

from minimodels.cgmh import BigramLM, log_target, mh_step
from minimodels.demos import cgmh_keywords, in_context_learning, mlm_independence
from minimodels.results import Check, Metric, Table
from studyapp.demos import REGISTRY, family, run_demo

IDS = ["mlm-independence", "cgmh-keywords", "in-context-learning", "static-vs-contextual"]


@pytest.fixture(scope="module")
def results():
    return {demo_id: run_demo(REGISTRY[demo_id]) for demo_id in IDS}


def metric(parts, english: str):
    return next(p.value for p in parts if isinstance(p, Metric) and p.label["en"] == english)


def test_the_registry_lists_the_demos():
    assert [d.id for d in family.DEMOS] == IDS


@pytest.mark.parametrize("demo_id", IDS)
def test_every_check_passes(results, demo_id):
    checks = [p for p in results[demo_id] if isinstance(p, Check)]
    assert len(checks) >= 2
    assert all(c.passed for c in checks), [c.claim["en"] for c in checks if not c.passed]


def test_mlm_independence_puts_mass_on_cities_that_do_not_exist(results):
    parts = results["mlm-independence"]
    assert metric(parts, "MLM mass on city names that do not exist") == pytest.approx(
        0.625, abs=0.02
    )
    table = next(p for p in parts if isinstance(p, Table))
    by_pair = {row[0]: row for row in table.rows}
    assert float(by_pair["new angeles"][2]) > 0.1  # the MLM's product of marginals
    assert float(by_pair["new angeles"][3]) == 0.0  # left to right
    assert float(by_pair["new york"][3]) == pytest.approx(0.5)


def test_mlm_independence_follows_the_corpus_shares():
    """With 80 % 'new york' the mismatched mass is 1 - (0.64 + 2 * 0.01) = 0.34."""
    parts = mlm_independence.run(new_york_share=0.8, steps=300, seed=1)
    assert all(p.passed for p in parts if isinstance(p, Check))
    assert metric(parts, "MLM mass on city names that do not exist") == pytest.approx(
        0.34, abs=0.02
    )


def test_cgmh_keeps_the_keywords_and_climbs(results):
    parts = results["cgmh-keywords"]
    best = metric(parts, "likeliest sentence visited").split()
    assert {"dog", "park"} <= set(best)
    lm = BigramLM(cgmh_keywords.CORPUS)
    assert lm.log_prob(best) > lm.log_prob(["dog", "park"]) + 3
    assert (
        metric(parts, "replace: accepted / proposed").split("/")[0]
        == (metric(parts, "replace: accepted / proposed").split("/")[1])
    )  # a Gibbs step is always accepted


def test_cgmh_reports_unknown_keywords():
    parts = cgmh_keywords.run(keywords="dog zebra")
    assert len(parts) == 1 and not parts[0].passed
    assert "zebra" in parts[0].detail["en"]


def test_cgmh_chain_samples_the_exact_target():
    """The chain's stationary distribution is pi ∝ p_LM · [keyword present]: on a 3-word
    vocabulary, sentences of at most 3 words, the visit frequencies of a long run match the
    enumerated target, and a chain without the Metropolis-Hastings correction does not."""
    gap, support = cgmh_keywords.stationarity_gap(60_000, seed=3)
    assert support == 1 + 5 + 19  # sentences over {a, b, c} of length 1, 2, 3 that contain "b"
    assert gap < 0.025

    # The same chain, accepting every proposal, drifts away from pi.
    lm = BigramLM(["a b c", "b a", "c c a b", "a c"], k=0.5)
    vocab, max_len, rng = ["a", "b", "c"], 3, random.Random(3)
    states = [list(s) for n in range(1, 4) for s in itertools.product(vocab, repeat=n)]
    weights = {" ".join(s): math.exp(log_target(s, lm.log_prob, ["b"], max_len)) for s in states}
    total = sum(weights.values())
    visits = dict.fromkeys(weights, 0)
    words = ["b"]
    for _ in range(60_000):
        step = mh_step(words, vocab, lm.log_prob, ["b"], max_len, rng)
        if step.action != "replace":
            # Without the acceptance rate: any edit that keeps the constraint is taken.
            m = rng.randrange(len(words) + (step.action == "insert"))
            if step.action == "insert":
                candidate = words[:m] + [rng.choice(vocab)] + words[m:]
            else:
                candidate = words[:m] + words[m + 1 :]
            if log_target(candidate, lm.log_prob, ["b"], max_len) > -math.inf:
                step.words = candidate
        words = step.words
        visits[" ".join(words)] += 1
    wrong_gap = 0.5 * sum(abs(visits[s] / 60_000 - w / total) for s, w in weights.items())
    assert wrong_gap > 2 * gap


def test_in_context_learning_answers_from_the_prompt(results):
    """Frozen weights, new dictionaries: the queried key in the prompt makes the answer right;
    without it the model is at chance, so the answer cannot have come from the weights."""
    parts = results["in-context-learning"]
    assert metric(parts, "accuracy when the prompt shows the key") > 0.8
    assert abs(metric(parts, "accuracy when it does not (chance 0.125)") - 0.125) < 0.07


def test_in_context_learning_marks_which_queries_were_shown():
    """make_batch's 'shown' flag is exactly 'an earlier or the same-step example had that key'."""
    g = torch.Generator().manual_seed(0)
    tokens, answers, shown = in_context_learning.make_batch(50, 6, g)
    for seq, flags in zip(tokens.tolist(), shown.tolist(), strict=True):
        example_keys = [(t - in_context_learning.PAIR) // 8 for t in seq[0::2]]
        asked = [t - in_context_learning.QUERY for t in seq[1::2]]
        assert flags == [asked[i] in example_keys[: i + 1] for i in range(6)]


def test_static_vs_contextual_separates_senses_only_in_context(results):
    parts = results["static-vs-contextual"]
    table = next(p for p in parts if isinstance(p, Table))
    static, contextual = (
        dict(zip(["name", "same", "other"], row, strict=True)) for row in table.rows
    )
    assert static["name"] == "static" and float(static["same"]) == float(static["other"]) == 1.0
    assert float(contextual["same"]) > float(contextual["other"])
    assert metric(parts, "sense recovered from the contextual vector") > 0.85
