"""The question format: one YAML file per question, modelled in pydantic.

`questions/schema.json` is generated from these models (`studyapp schema`); editors use it through
the `# yaml-language-server: $schema=...` line every question file starts with. Checks that need
more than one field, the file's path or the whole bank live in `studyapp.bank.validate` with their own
rule ids; constraints that only help editors are added to the JSON Schema without being enforced
here, so that the validator can report them under those rule ids instead of a generic schema error.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

KEBAB_CASE = r"^[a-z0-9]+(-[a-z0-9]+)*$"
QuestionType = Literal["recall", "choice", "numeric", "code"]
# How a code exercise's test checks the learner's function (the runner's check library).
TestKind = Literal[
    "example", "dtype_kept", "inputs_unchanged", "prefix_invariance", "proportions", "random"
]
REFERENCE = r"^minimodels(\.\w+)+:\w+$"


class _Strict(BaseModel):
    # Unknown keys are typos (`anwser:`) more often than extensions: reject them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """The same text in English and Chinese, Markdown with `$...$` and `$$...$$` math."""

    en: str = Field(json_schema_extra={"minLength": 1})
    zh: str = Field(json_schema_extra={"minLength": 1})


class Choice(_Strict):
    text: Text
    correct: bool
    why: Text = Field(description="Why this option is right or wrong.")


class Numeric(_Strict):
    value: float
    tolerance: float = Field(json_schema_extra={"minimum": 0})
    unit: str = Field(default="", description='Shown next to the input, e.g. "parameters".')


class Source(_Strict):
    title: str = Field(min_length=1)
    url: str = Field(json_schema_extra={"pattern": "^https?://"})
    where: str = Field(min_length=1, description='Locator, e.g. "Section 3.1" or "Table 4".')
    quote: str | None = Field(
        default=None,
        description="The sentence(s) at that locator that carry the answer's key claim, verbatim, "
        "in the source's language: a reviewer can check the claim in ten seconds.",
    )
    computed_by: str | None = Field(
        default=None,
        pattern=r"^tests/[\w/]+\.py::\w+$",
        description="Where the claim is computed rather than quoted: the test that computes it, "
        'as "tests/<file>.py::<test_name>".',
    )


class Limits(_Strict):
    cpu_s: float = Field(default=10, gt=0, le=30)
    wall_s: float = Field(default=15, gt=0, le=60)
    memory_mb: int = Field(default=1024, ge=64, le=4096)


class Compare(_Strict):
    """Tolerances for floating-point results; inputs and the reference run in float64."""

    rtol: float = Field(default=1e-7, ge=0)
    atol: float = Field(default=1e-10, ge=0)


class CodeTest(_Strict):
    """One test, in teaching order; its id is permanent and never reused for another check."""

    id: str = Field(pattern=KEBAB_CASE)
    kind: TestKind = "example"
    visible: bool = Field(
        default=False, description='Run by "Run examples"; shown before a submit.'
    )
    name: Text | None = None
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        description="Argument name -> a literal, {tensor: [...], dtype}, {randn: [dims]}, "
        "{rand: [dims]}, {randint: [low, high, [dims]]}, {randbool: [dims], p} or {dim: name}; "
        "dims are numbers or names drawn by `dims`.",
    )
    seed: int = 0
    expect: Any = Field(default=None, description="A literal result; else the reference's.")
    dims: dict[str, tuple[int, int]] | None = Field(
        default=None, description="kind random: the range of each named dimension."
    )
    dims_fixed: dict[str, int] = Field(default_factory=dict)
    max_examples: int = Field(default=25, ge=1, le=100)
    perturb: list[str] | None = Field(default=None, description="kind prefix_invariance.")
    axis: int = -2
    position: int = 1
    categories: str | None = Field(
        default=None, pattern=REFERENCE, description="kind proportions: module:function."
    )
    expect_shares: dict[str, float] | None = None
    sigmas: float = 5


class Mistake(_Strict):
    """A classic wrong solution, recognised when a submission's output equals its output."""

    id: str = Field(pattern=KEBAB_CASE)
    code: str = Field(min_length=1)
    message: Text


class CodeExercise(_Strict):
    entry: str = Field(pattern=r"^[A-Za-z_]\w*$", description="The function the tests call.")
    starter: str = Field(min_length=1)
    solution: str = Field(min_length=1, description="Shown after solving; passes every test.")
    reference: str = Field(
        pattern=REFERENCE,
        description="The minimodels function the tests compare with: the live code learners read.",
    )
    tests: list[CodeTest] = Field(min_length=1)
    mistakes: list[Mistake] = Field(default_factory=list)
    hints: list[Text] = Field(default_factory=list, description="Revealed one at a time.")
    limits: Limits = Field(default_factory=Limits)
    compare: Compare = Field(default_factory=Compare)


class Question(_Strict):
    id: str = Field(
        pattern=KEBAB_CASE, description="Kebab-case, equals the file stem, never reused."
    )
    topic: str = Field(pattern=KEBAB_CASE, description="Equals the folder the file is in.")
    type: QuestionType
    difficulty: int = Field(ge=1, le=3)
    tags: list[str] = Field(default_factory=list)
    question: Text
    answer: Text
    choices: list[Choice] | None = Field(default=None, description="Only for type: choice.")
    numeric: Numeric | None = Field(default=None, description="Only for type: numeric.")
    code: CodeExercise | None = Field(default=None, description="Only for type: code.")
    demo: str | None = Field(default=None, description="Id of a registered live demo.")
    sources: list[Source] = Field(min_length=1)
    related: list[str] = Field(default_factory=list, description="Ids of related questions.")
    deepens: list[str] = Field(
        default_factory=list,
        description="Ids of questions this one deliberately goes deeper into: `studyapp bank "
        "similar --check` accepts its likeness to them instead of reporting a duplicate.",
    )

    def texts(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every bilingual string with its location, e.g. (("choices", 0, "why", "zh"), "...")."""
        found: list[tuple[tuple[str | int, ...], Text]] = [
            (("question",), self.question),
            (("answer",), self.answer),
        ]
        for i, choice in enumerate(self.choices or []):
            found += [(("choices", i, "text"), choice.text), (("choices", i, "why"), choice.why)]
        if self.code:
            found += [(("code", "hints", i), hint) for i, hint in enumerate(self.code.hints)]
            found += [
                (("code", "mistakes", i, "message"), m.message)
                for i, m in enumerate(self.code.mistakes)
            ]
        return [
            (loc + (lang,), getattr(text, lang)) for loc, text in found for lang in ("en", "zh")
        ]


def json_schema() -> dict:
    schema = Question.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
