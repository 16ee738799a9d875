"""Quiz sessions: selection, shuffling, grading and number parsing."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.bank.schema import Question
from studyapp.progress.grading import (
    NumericGrade,
    Outcome,
    QuizSession,
    format_number,
    format_quantity,
    format_unit,
    grade_choice,
    grade_numeric,
    parse_number,
    proposed_rating,
    start_quiz,
    unit_scale,
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
    assert grade_numeric(q, 124_439_808.0) is NumericGrade.EXACT
    assert grade_numeric(q, 124_439_809) is NumericGrade.CLOSE
    q = numeric_question(0.3, 0.0)
    assert grade_numeric(q, 0.1 + 0.2) is NumericGrade.EXACT
    q = numeric_question(15, 0.5)
    assert grade_numeric(q, 15.5) is grade_numeric(q, 14.5) is NumericGrade.EXACT
    assert grade_numeric(q, 15.6) is NumericGrade.WRONG  # outside the tolerance and 1 %


def test_a_count_within_one_percent_is_close_and_proposes_hard():
    q = numeric_question(124_439_808, 0)
    assert grade_numeric(q, parse_number("124M", "parameters")) is NumericGrade.CLOSE
    assert grade_numeric(q, parse_number("124.4M", "parameters")) is NumericGrade.CLOSE
    assert grade_numeric(q, 123_195_411) is NumericGrade.CLOSE  # 0.99999 % under
    assert grade_numeric(q, 123_195_409) is NumericGrade.WRONG  # just over 1 % under
    assert grade_numeric(q, parse_number("117M", "parameters")) is NumericGrade.WRONG
    assert grade_numeric(numeric_question(4_722_432, 0), parse_number("4.72M")) == "close"
    assert grade_numeric(numeric_question(0, 0), 0.001) is NumericGrade.WRONG
    assert [proposed_rating(grade=g) for g in NumericGrade] == [3, 2, 1]
    assert proposed_rating(correct=True) == 3 and proposed_rating(correct=False) == 1
    with pytest.raises(ValueError):
        proposed_rating()


def test_numbers_are_read_in_the_unit_the_question_shows():
    flops = "× 10^23 FLOPs"
    assert parse_number("3.14e23", flops) == pytest.approx(3.14)
    assert parse_number("3.14 × 10^23", flops) == pytest.approx(3.14)
    assert parse_number("3.14x10^23 FLOPs", flops) == pytest.approx(3.14)
    assert parse_number("3.14 × 10²³", flops) == pytest.approx(3.14)
    assert parse_number("3.15", flops) == 3.15  # a plain number is in the unit already
    assert parse_number("314e21", flops) == pytest.approx(3.14)
    assert parse_number("335", "million parameters") == 335
    assert parse_number("335M", "million parameters") == pytest.approx(335)
    assert parse_number("335,000,000 parameters", "million parameters") == pytest.approx(335)
    assert parse_number("0.335B", "million parameters") == pytest.approx(335)
    assert parse_number("120 GB", "GB") == 120
    assert parse_number("120GB", "GB") == 120
    assert parse_number("768 MiB", "MiB") == 768
    assert parse_number("124M", "parameters") == 124_000_000
    assert parse_number("4.72M", "parameters") == 4_720_000
    assert parse_number("124,439,808 parameters", "parameters") == 124_439_808
    assert parse_number("1.5%", "% of all tokens") == 1.5
    assert parse_number("1.5 % of all tokens", "% of all tokens") == 1.5
    assert parse_number("1.2亿", "parameters") == 120_000_000
    assert parse_number("１２４，４３９，８０８", "parameters") == 124_439_808  # full-width
    assert parse_number("−0.5") == -0.5
    for bad in ["120 TB", "12 apples", "3.14e", "GB", "1.2.3M"]:
        assert parse_number(bad, "GB") is None, bad


def test_units_and_powers_of_ten_are_shown_as_math_never_with_a_caret():
    assert unit_scale("× 10^23 FLOPs") == (1e23, 23, "FLOPs")
    assert unit_scale("million parameters") == (1e6, None, "parameters")
    assert unit_scale("GB") == (1.0, None, "GB")
    assert format_unit("× 10^23 FLOPs") == "× 10²³ FLOPs"
    assert format_quantity(3.15, "× 10^23 FLOPs") == "3.15 × 10²³ FLOPs"
    assert format_number(3.14e23) == "3.14 × 10²³"  # never 314,000,000,000,000,000,000,000
    assert format_number(-2.5e-7) == "-2.5 × 10⁻⁷"
    assert format_quantity(124_439_808, "parameters") == "124,439,808 parameters"
    assert "^" not in format_quantity(6e23, "× 10^23 FLOPs")
    # What the app shows, the learner can type back.
    for value in (3.14e23, 2.5e-7, 1.23456e20):
        assert parse_number(format_number(value)) == pytest.approx(value)


def test_a_quiz_round_trips_through_json_with_its_answers_and_choice():
    bank = [choice_question(f"c{i}", [True, False, False]) for i in range(5)]
    session = start_quiz(bank, 3, seed=5, reschedule=False, filters={"topics": ["bert"]})
    session.cards["0"] = {"stage": "done", "picked": [1], "rating": 1}
    session.record(Outcome(session.question_ids[0], False, 1, 4200))
    session.advance()
    data = json.loads(json.dumps(session.to_json()))
    again = QuizSession.from_json(data)
    assert again == session
    assert again.reschedule is False and again.filters == {"topics": ["bert"]}
    assert again.time_spent_ms() == 4200 and again.right() == 0
    assert again.step_back().question_id == session.question_ids[0]
    assert again.position == 0 and again.cards == {} and again.outcomes == []
    for broken in ({}, {**data, "position": 9}, {**data, "outcomes": [{"x": 1}]}):
        with pytest.raises(ValueError):
            QuizSession.from_json(broken)


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
