"""A quiz session: which questions, in which order, with which option order, and how answers grade.

Pure logic: the Quiz page keeps a `QuizSession` in `st.session_state` and calls these functions.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from studyapp.bank.schema import Question


@dataclass
class Outcome:
    question_id: str
    correct: bool | None  # None for recall questions, which the learner rates instead
    rating: int  # the FSRS rating recorded: Again 1, Hard 2, Good 3, Easy 4


@dataclass
class QuizSession:
    question_ids: list[str]
    # For each choice question, the order its options are shown in (indices into `choices`).
    option_order: dict[str, list[int]] = field(default_factory=dict)
    position: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def current(self) -> str | None:
        return self.question_ids[self.position] if self.position < len(self.question_ids) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.question_ids)

    def record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def advance(self) -> None:
        self.position += 1

    def missed(self) -> list[str]:
        """Questions answered wrongly or rated Again, in the order they came."""
        return [o.question_id for o in self.outcomes if o.correct is False or o.rating == 1]


def start_quiz(questions: list[Question], count: int, seed: int | None = None) -> QuizSession:
    """Pick `count` of `questions` in random order, shuffling every choice question's options."""
    rng = random.Random(seed)
    picked = rng.sample(questions, k=min(count, len(questions)))
    order = {}
    for q in picked:
        if q.choices:
            indices = list(range(len(q.choices)))
            rng.shuffle(indices)
            order[q.id] = indices
    return QuizSession(question_ids=[q.id for q in picked], option_order=order)


def grade_choice(q: Question, selected: set[int]) -> bool:
    """Right when the selected options are exactly the correct ones."""
    assert q.choices is not None
    return selected == {i for i, c in enumerate(q.choices) if c.correct}


_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}


def parse_number(text: str) -> float | None:
    """A number as people type it: `124,439,808`, `124 439 808`, `1.2e8`, `124.4M`, `15%`.

    Returns None when the text is not a number. A `%` is dropped, not divided by 100: questions
    that ask for a percentage store it as such.
    """
    cleaned = re.sub(r"[\s,_]", "", text.strip()).rstrip("%")
    scale = 1.0
    if cleaned and cleaned[-1].lower() in _SUFFIXES:
        scale = _SUFFIXES[cleaned[-1].lower()]
        cleaned = cleaned[:-1]
    try:
        value = float(cleaned) * scale
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def format_number(value: float) -> str:
    """A number as the bank states it: whole numbers exact with thousands separators
    (124,439,808, never 1.2444e+08), others as Python writes them (0.004082)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def grade_numeric(q: Question, value: float) -> bool:
    assert q.numeric is not None
    # A relative epsilon so that 0.1 + 0.2 style rounding never fails an exact answer.
    slack = q.numeric.tolerance + 1e-9 * max(1.0, abs(q.numeric.value))
    return abs(value - q.numeric.value) <= slack
