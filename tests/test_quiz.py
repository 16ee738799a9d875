"""Quiz sessions: selection, shuffling, grading and number parsing."""

from hypothesis import given
from hypothesis import strategies as st

from studyapp.bank.schema import Question
from studyapp.progress.grading import (
    Outcome,
    format_number,
    grade_choice,
    grade_numeric,
    parse_number,
    start_quiz,
)

TEXT = {"en": "x", "zh": "x"}
SOURCE = [{"title": "t", "url": "https://arxiv.org/abs/1810.04805", "where": "Section 1"}]


def question(qid: str, **fields) -> Question:
    base = {
        "id": qid,
        "topic": "bert",
        "type": "recall",
        "difficulty": 1,
        "question": TEXT,
        "answer": TEXT,
    }
    return Question.model_validate({**base, "sources": SOURCE, **fields})


def choice_question(qid: str, correct: list[bool]) -> Question:
    choices = [{"text": TEXT, "correct": c, "why": TEXT} for c in correct]
    return question(qid, type="choice", choices=choices)


def numeric_question(value: float, tolerance: float) -> Question:
    return question(
        "n", type="numeric", numeric={"value": value, "tolerance": tolerance, "unit": ""}
    )


def test_quiz_picks_count_distinct_questions_and_is_seeded():
    bank = [question(f"q{i}") for i in range(20)]
    a, b = start_quiz(bank, 5, seed=7), start_quiz(bank, 5, seed=7)
    assert a.question_ids == b.question_ids
    assert len(set(a.question_ids)) == 5
    assert start_quiz(bank, 50, seed=1).question_ids.__len__() == 20


def test_options_are_shuffled_per_question_and_cover_every_option():
    bank = [choice_question(f"c{i}", [True, False, False, False]) for i in range(30)]
    session = start_quiz(bank, 30, seed=3)
    orders = list(session.option_order.values())
    assert all(sorted(order) == [0, 1, 2, 3] for order in orders)
    # The correct option is not always shown first.
    assert len({order.index(0) for order in orders}) == 4


def test_session_walks_through_and_lists_what_was_missed():
    session = start_quiz([question("a"), question("b"), question("c")], 3, seed=0)
    first, second, third = session.question_ids
    session.record(Outcome(first, None, 3))
    session.advance()
    session.record(Outcome(second, False, 1))
    session.advance()
    session.record(Outcome(third, None, 1))
    session.advance()
    assert session.finished and session.current is None
    assert session.missed() == [second, third]


def test_choice_is_right_only_with_exactly_the_correct_set():
    q = choice_question("c", [True, False, True])
    assert grade_choice(q, {0, 2})
    assert not grade_choice(q, {0})
    assert not grade_choice(q, {0, 1, 2})
    assert not grade_choice(q, set())


def test_numeric_tolerance_is_inclusive_and_exact_answers_survive_rounding():
    q = numeric_question(124_439_808, 0)
    assert grade_numeric(q, 124_439_808.0)
    assert not grade_numeric(q, 124_439_809)
    q = numeric_question(0.3, 0.0)
    assert grade_numeric(q, 0.1 + 0.2)
    q = numeric_question(15, 0.5)
    assert grade_numeric(q, 15.5) and grade_numeric(q, 14.5) and not grade_numeric(q, 15.6)


def test_numbers_as_people_type_them():
    assert parse_number("124,439,808") == 124_439_808
    assert parse_number(" 124 439 808 ") == 124_439_808
    assert parse_number("1.2e8") == 1.2e8
    assert parse_number("124.4M") == 124_400_000
    assert parse_number("15%") == 15
    assert parse_number("-0.5") == -0.5
    for bad in ["", "abc", "1.2.3", "nan", "inf", "M"]:
        assert parse_number(bad) is None


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_parse_number_reads_back_what_python_prints(value):
    assert parse_number(repr(value)) == value
    assert parse_number(f"{value:,}") == value


def test_answers_are_shown_exactly():
    assert format_number(124_439_808.0) == "124,439,808"
    assert format_number(0.004082) == "0.004082"
    assert format_number(3.3616) == "3.3616"
    assert format_number(0) == "0"
