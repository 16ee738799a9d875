"""The bank's code exercises test their own tests (as Exercism's CI does), through the real runner.

For every exercise: the shown solution and the reference pass every test, well inside the limits;
the starter fails at least one test; every known mistake fails at least one test and is recognised
as itself there. A wrong test, or a tolerance loosened until anything passes, fails here.
"""

import os

import pytest

from studyapp.bank.load import load_bank
from studyapp.exercises import runner
from studyapp.exercises.runner import Runner, Sandbox
from tests.bankfixtures import REPO

EXERCISES = sorted(
    (q for q in load_bank(REPO / "questions").questions.values() if q.code), key=lambda q: q.id
)


@pytest.fixture(scope="module")
def worker():
    problem = runner.probe_bwrap()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(f"CI grades exercises in the isolated sandbox: {problem}")
    r = Runner(Sandbox("not-isolated" if problem else "isolated", problem or "test"))
    yield r
    r.close()


def spec(q):
    return q.code.model_dump(mode="json")


def test_the_bank_has_code_exercises():
    assert EXERCISES


@pytest.mark.parametrize("q", EXERCISES, ids=lambda q: q.id)
def test_solution_and_reference_pass_every_test_well_inside_the_limits(worker, q):
    for code in (q.code.solution, reference_as_code(q)):
        result = worker.grade(code, spec(q))
        assert result["status"] == "passed", (q.id, code, result)
        assert [t["id"] for t in result["tests"]] == [t.id for t in q.code.tests]
        assert result["seconds"] < 0.25 * q.code.limits.wall_s, (q.id, result["seconds"])


@pytest.mark.parametrize("q", EXERCISES, ids=lambda q: q.id)
def test_the_starter_fails(worker, q):
    result = worker.grade(q.code.starter, spec(q))
    assert result["status"] != "passed", q.id


@pytest.mark.parametrize("q", EXERCISES, ids=lambda q: q.id)
def test_every_known_mistake_fails_and_is_recognised_as_itself(worker, q):
    for mistake in q.code.mistakes:
        result = worker.grade(mistake.code, spec(q))
        failed = [t for t in result["tests"] if t["status"] != "passed"]
        assert failed, (q.id, mistake.id, "passes every test")
        recognised = {t.get("mistake") for t in failed}
        assert mistake.id in recognised, (q.id, mistake.id, failed)


def reference_as_code(q) -> str:
    module, _, name = q.code.reference.partition(":")
    return f"from {module} import {name} as {q.code.entry}\n"
