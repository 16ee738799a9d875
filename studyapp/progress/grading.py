"""A quiz session and how answers grade: which questions, in which order, with which option order.

Pure logic: the Quiz page keeps a `QuizSession` (saved as JSON in the progress store, so that a
reload resumes it) and calls these functions.

Grading proposes a rating; the learner may change it, as after a recall card (a lucky guess is not
Good, a near miss is not Again):

- a choice: right -> Good, wrong -> Again;
- a number: within the question's tolerance -> exact, Good; within 1 % of the value -> close, Hard;
  else wrong, Again.

Numbers are read in the unit the question shows. A number typed with a scale (`124M`, `3.14e23`,
`3.14 × 10^23`, `1.2万`) is absolute and converted into that unit (`3.14e23` is 3.14 when the
unit is "× 10^23 FLOPs"); a plain number is taken to be in the unit already. The unit itself may be
typed after the number (`120 GB`).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from studyapp.bank.schema import Question

# Anki's "maximum answer seconds": a card left open over lunch does not count as an hour's work.
MAX_ANSWER_MS = 60_000
CLOSE_SHARE = 0.01


class NumericGrade(StrEnum):
    EXACT = "exact"
    CLOSE = "close"
    WRONG = "wrong"


@dataclass
class Outcome:
    question_id: str
    correct: bool | None  # None for recall questions, which the learner rates instead
    rating: int  # the FSRS rating recorded: Again 1, Hard 2, Good 3, Easy 4
    duration_ms: int = 0


@dataclass
class QuizSession:
    question_ids: list[str]
    # For each choice question, the order its options are shown in (indices into `choices`).
    option_order: dict[str, list[int]] = field(default_factory=dict)
    position: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    # Whether answers update the spaced-repetition schedule (Anki's "reschedule cards based on my
    # answers"); chosen before the quiz starts.
    reschedule: bool = True
    # What the learner chose on the start screen, so that a resumed quiz can show it.
    filters: dict[str, list] = field(default_factory=dict)
    # The answer card of each position still on screen (stage, picks, the review it recorded).
    cards: dict[str, dict] = field(default_factory=dict)

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

    def step_back(self) -> Outcome:
        """Undo the last answer: back to its question, which is asked again."""
        last = self.outcomes.pop()
        self.position -= 1
        self.cards.pop(str(self.position), None)
        return last

    def missed(self) -> list[str]:
        """Questions answered wrongly or rated Again, in the order they came."""
        return [o.question_id for o in self.outcomes if o.correct is False or o.rating == 1]

    def right(self) -> int:
        """Answers that were right (or recalled), whatever rating the learner then chose."""
        return sum(o.correct is True or (o.correct is None and o.rating > 1) for o in self.outcomes)

    def time_spent_ms(self) -> int:
        return sum(o.duration_ms for o in self.outcomes)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> QuizSession:
        """A session saved by `to_json`; `ValueError` when the data is not one."""
        try:
            session = cls(
                question_ids=[str(q) for q in data["question_ids"]],
                option_order={str(k): [int(i) for i in v] for k, v in data["option_order"].items()},
                position=int(data["position"]),
                outcomes=[Outcome(**o) for o in data["outcomes"]],
                reschedule=bool(data["reschedule"]),
                filters=dict(data.get("filters", {})),
                cards={str(k): dict(v) for k, v in data.get("cards", {}).items()},
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"not a saved quiz: {err}") from err
        if not 0 <= session.position <= len(session.question_ids):
            raise ValueError(f"quiz position {session.position} is out of range")
        return session


def start_quiz(
    questions: list[Question],
    count: int,
    seed: int | None = None,
    *,
    reschedule: bool = True,
    filters: dict[str, list] | None = None,
) -> QuizSession:
    """Pick `count` of `questions` in random order, shuffling every choice question's options."""
    rng = random.Random(seed)
    picked = rng.sample(questions, k=min(count, len(questions)))
    order = {}
    for q in picked:
        if q.choices:
            indices = list(range(len(q.choices)))
            rng.shuffle(indices)
            order[q.id] = indices
    return QuizSession(
        question_ids=[q.id for q in picked],
        option_order=order,
        reschedule=reschedule,
        filters=dict(filters or {}),
    )


def grade_choice(q: Question, selected: set[int]) -> bool:
    """Right when the selected options are exactly the correct ones."""
    assert q.choices is not None
    return selected == {i for i, c in enumerate(q.choices) if c.correct}


def grade_numeric(q: Question, value: float) -> NumericGrade:
    """Exact within the question's tolerance; close within 1 % of the value; else wrong."""
    assert q.numeric is not None
    target = q.numeric.value
    # A relative epsilon so that 0.1 + 0.2 style rounding never fails an exact answer.
    slack = q.numeric.tolerance + 1e-9 * max(1.0, abs(target))
    miss = abs(value - target)
    if miss <= slack:
        return NumericGrade.EXACT
    if miss <= CLOSE_SHARE * abs(target):
        return NumericGrade.CLOSE
    return NumericGrade.WRONG


def proposed_rating(correct: bool | None = None, grade: NumericGrade | None = None) -> int:
    """The rating an automatic grade proposes: exact/right Good (3), close Hard (2), else Again."""
    if grade is not None:
        return {NumericGrade.EXACT: 3, NumericGrade.CLOSE: 2, NumericGrade.WRONG: 1}[grade]
    if correct is None:
        raise ValueError("a proposed rating needs `correct` or a numeric grade")
    return 3 if correct else 1


# -- numbers and units -----------------------------------------------------------------------

_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "g": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
    "千": 1e3,
    "万": 1e4,
    "百万": 1e6,
    "亿": 1e8,
}
_UNIT_SCALE = re.compile(
    r"^\s*(?:[x×*]\s*10\s*(?:\^|\*\*)\s*([+-]?\d+)|(thousand|million|billion|trillion))\b\s*(.*)$",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"  # mantissa, maybe with an exponent
    r"(?:[x×*]10(?:\^|\*\*)([+-]?\d+)|([a-z\u4e00-\u9fff]+))?$"  # × 10^n, or a scale word
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_TO_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _normalized(text: str) -> str:
    # Superscript digits first: NFKC would turn 10²³ into 1023.
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), text)
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()


def unit_scale(unit: str) -> tuple[float, int | None, str]:
    """A unit split into its scale and the rest: "× 10^23 FLOPs" -> (1e23, 23, "FLOPs"),
    "million parameters" -> (1e6, None, "parameters"), "GB" -> (1.0, None, "GB")."""
    match = _UNIT_SCALE.match(_normalized(unit))
    if not match:
        return 1.0, None, unit.strip()
    power, word, rest = match.groups()
    if power is not None:
        return float(f"1e{int(power)}"), int(power), rest.strip()
    return _SCALES[word.lower()], None, rest.strip()


def parse_number(text: str, unit: str = "") -> float | None:
    """A number as people type it, in the question's `unit`: `124,439,808`, `124 439 808`,
    `1.2e8`, `124.4M`, `4.72M`, `3.14e23`, `3.14 × 10^23`, `120 GB`, `15%`, `1.2万`.

    Returns None when the text is not a number. A `%` is dropped, not divided by 100: questions
    that ask for a percentage store it as such.
    """
    cleaned = _normalized(text)
    unit = _normalized(unit)
    factor, _power, base = unit_scale(unit)
    # "335,000,000 parameters" against "million parameters": the unit without its scale was
    # typed, so the number is absolute.
    absolute = False
    for suffix in (unit, base):
        if suffix and cleaned.casefold().endswith(suffix.casefold()):
            cleaned = cleaned[: -len(suffix)]
            absolute = suffix is base and factor != 1.0
            break
    cleaned = re.sub(r"[\s,_'’]", "", cleaned).rstrip("%").casefold()
    match = _NUMBER.match(cleaned)
    if not match:
        return None
    mantissa, power, word = match.groups()
    if word is not None and word not in _SCALES:
        return None
    try:
        value = float(mantissa)
    except ValueError:
        return None
    if power is not None:
        value *= float(f"1e{int(power)}")
    elif word is not None:
        value *= _SCALES[word]
    if absolute or power is not None or word is not None or "e" in mantissa:
        value /= factor  # written with its scale: absolute, so converted into the unit shown
    return value if value == value and abs(value) != float("inf") else None


def _power_of_ten(exponent: int) -> str:
    return "10" + str(exponent).translate(_TO_SUPERSCRIPT)


def format_number(value: float) -> str:
    """A number as the bank states it: whole numbers exact with thousands separators
    (124,439,808, never 1.2444e+08), others as Python writes them (0.004082); very large or very
    small ones with a power of ten written as math (3.14 × 10²³, never a 24-digit integer)."""
    value = float(value)
    if value != 0 and (abs(value) >= 1e15 or abs(value) < 1e-4):
        mantissa, exponent = f"{value:.6e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × {_power_of_ten(int(exponent))}"
    return f"{int(value):,}" if value.is_integer() else f"{value:,}"


def format_unit(unit: str) -> str:
    """A unit with its power of ten written as math: "× 10^23 FLOPs" -> "× 10²³ FLOPs"."""
    _factor, power, base = unit_scale(unit)
    if power is None:
        return unit.strip()
    return f"× {_power_of_ten(power)} {base}".strip()


def format_quantity(value: float, unit: str) -> str:
    """A value with its unit, as the learner reads it: "3.15 × 10²³ FLOPs", "124,439,808 parameters"."""
    return f"{format_number(value)} {format_unit(unit)}".strip()


# -- interview ---------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LEAD_BOLD = re.compile(r"^\*\*(.+?)\*\*")
# A sentence ends at . ! ? followed by a space and a capital (so "e.g. the" goes on), or at a
# Chinese full stop, question or exclamation mark.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*$(“\"])|(?<=[。！？])")


def _first_sentence(text: str) -> str:
    """The first sentence, with the next ones while it is too short to say anything ("(Section
    3).")."""
    sentences = _SENTENCE_END.split(text.strip())
    lead = sentences[0]
    for following in sentences[1:]:
        if len(lead) >= 25:
            break
        lead = f"{lead} {following}" if lead.isascii() else lead + following
    return lead.strip()


def _lead(text: str) -> str:
    text = re.sub(r"[ \t]*\n[ \t]*", " ", text.strip())
    bold = _LEAD_BOLD.match(text)
    if not bold:
        return _first_sentence(text)
    title = bold.group(1).strip().rstrip(".:：。")
    rest = _first_sentence(text[bold.end() :].lstrip(" .:：。"))
    # A short bold lead is a heading ("Mechanism."): the point is the sentence after it.
    if rest and len(title.split()) < 5 and len(title) < 30:
        return f"{title}: {rest}" if title.isascii() else f"{title}：{rest}"
    return title


def key_points(answer: str, limit: int = 8) -> list[str]:
    """The points a model answer makes, for the interview checklist: each paragraph's or list
    item's lead (its opening bold phrase, else its first sentence). Display math, code and
    tables are left out; they support a point rather than make one."""
    points: list[str] = []
    for block in re.split(r"\n\s*\n", answer.strip()):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or lines[0].lstrip().startswith(("$$", "```", "|", "~~~")):
            continue
        if _BULLET.match(lines[0]):
            items: list[str] = []
            for line in lines:
                if _BULLET.match(line):
                    items.append(_BULLET.sub("", line))
                elif items:
                    items[-1] += " " + line.strip()
            points += [_lead(item) for item in items]
        else:
            points.append(_lead("\n".join(lines)))
    return [p for p in points if p][:limit]


def interview_rating(ticked: int, total: int) -> int:
    """The rating a mock-interview answer proposes: every key point Good (3), at least half Hard
    (2), fewer Again (1). Easy is the learner's call."""
    if total <= 0:
        raise ValueError("an answer needs at least one key point")
    if ticked >= total:
        return 3
    return 2 if 2 * ticked >= total else 1
