"""The check library's additions for the bank's exercises, through the real worker.

Input forms (product dims, labels with an ignore share, list inputs, tensor literals as expected
results), the mismatch message, and recognising a known mistake of a random exercise by the way
it fails rather than by equal values (two random draws never match value for value).
"""

import json
import os
import subprocess
import sys

import pytest

from studyapp.bank.load import load_bank
from studyapp.exercises import runner
from studyapp.exercises.runner import Runner, Sandbox
from tests.bankfixtures import REPO

WORKER_DIR = REPO / "studyapp" / "exercises"


def worker_eval(expression: str):
    """Evaluate `expression` in a fresh process that imported the worker as `w` (as the sandbox
    does: torch's thread settings at import must come before any parallel work)."""
    code = (
        f"import json, sys, torch; sys.path[:0] = [{str(WORKER_DIR)!r}, {str(REPO)!r}]\n"
        f"import worker as w\nprint(json.dumps({expression}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def test_shapes_may_multiply_named_dims():
    shapes = worker_eval(
        "[list(v.shape) if hasattr(v, 'shape') else v for v in w.make_args("
        "{'inputs': {'x': {'randn': ['B', 'H*hs']}, 'd': {'dim': '2*h'}}}, "
        "{'B': 3, 'H': 2, 'hs': 5, 'h': 4}).values()]"
    )
    assert shapes == [[3, 10], 8]


def test_labels_get_their_share_of_ignore_index_and_lists_stay_lists():
    labels, ids = worker_eval(
        "[w.make_args({'seed': 5, 'inputs': {'y': {'randint': [0, 7, [20000]], 'ignore_p': 0.3}}}"
        ")['y'].tolist(), w.make_args({'inputs': {'i': {'randint': [0, 3, [6]], 'as_list': True}}}"
        ")['i']]"
    )
    ignored = sum(v == -100 for v in labels) / len(labels)
    assert 0.28 < ignored < 0.32
    assert {v for v in labels if v != -100} == set(range(7))
    assert isinstance(ids, list) and len(ids) == 6 and all(isinstance(i, int) for i in ids)


def test_a_mismatch_reports_the_largest_difference_among_mismatched_elements():
    message = worker_eval(
        "w.compare(torch.tensor([float('-inf'), 1.0, -0.5]), "
        "torch.tensor([float('-inf'), 3.0, float('-inf')]), w.DEFAULT_COMPARE)"
    )
    assert message.startswith("output: 2/3 elements differ (max |diff| inf)")
    message = worker_eval(
        "w.compare(torch.tensor([float('-inf'), 1.0]), torch.tensor([float('-inf'), 3.0]), "
        "w.DEFAULT_COMPARE)"
    )
    assert "(max |diff| 2)" in message


@pytest.fixture(scope="module")
def worker():
    problem = runner.probe_bwrap()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(f"CI grades exercises in the isolated sandbox: {problem}")
    r = Runner(Sandbox("not-isolated" if problem else "isolated", problem or "test"))
    yield r
    r.close()


MASK_ONLY = {
    "entry": "causal",
    "reference": "minimodels.attention:causal_mask",
    "tests": [
        {
            "id": "three-by-three",
            "inputs": {"t_query": 3},
            "expect": {
                "tensor": [[True, False, False], [True, True, False], [True, True, True]],
                "dtype": "bool",
            },
        }
    ],
}


def test_an_expected_tensor_literal_is_compared_as_a_tensor(worker):
    good = (
        "import torch\ndef causal(t_query):\n    return torch.ones(t_query, t_query).tril() > 0\n"
    )
    assert worker.grade(good, MASK_ONLY)["status"] == "passed"
    wrong = good.replace("tril()", "triu()")
    result = worker.grade(wrong, MASK_ONLY)
    assert result["status"] == "failed"
    assert "elements differ" in result["tests"][0]["message"]


BERT_MASKING = load_bank(REPO / "questions").questions["implement-bert-masking"].code


def test_a_random_submission_is_recognised_by_how_it_fails(worker):
    # Masks every selected token like the known mistake `always-mask`, but draws in another
    # order, so its values never equal the mistake's: it is still recognised.
    other_draws = (
        "import torch\n"
        "def mask_tokens(input_ids, mask_id, special_ids, vocab_size, seed):\n"
        "    g = torch.Generator().manual_seed(seed + 99)\n"
        "    keep = torch.rand(input_ids.shape, generator=g) >= 0.15\n"
        "    chosen = ~keep & ~torch.isin(input_ids, torch.tensor(special_ids))\n"
        "    return input_ids.masked_fill(chosen, mask_id), input_ids.masked_fill(~chosen, -100)\n"
    )
    result = worker.grade(other_draws, BERT_MASKING.model_dump(mode="json"))
    failed = {t["id"]: t for t in result["tests"] if t["status"] != "passed"}
    assert failed["shares-8192-tokens"]["mistake"] == "always-mask"
    assert failed["shares-8192-tokens"]["message"].startswith("masked: 1.0000 of ")


def test_a_random_submission_failing_another_way_is_not_misnamed(worker):
    too_rare = BERT_MASKING.solution.replace("< 0.15", "< 0.05")
    result = worker.grade(too_rare, BERT_MASKING.model_dump(mode="json"))
    failed = [t for t in result["tests"] if t["status"] != "passed"]
    assert failed and all(t.get("mistake") is None for t in failed)
    assert failed[0]["message"].startswith("selected: ")
