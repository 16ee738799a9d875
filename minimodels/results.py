"""What a live demo returns: a list of typed parts that any front end can draw.

A demo never draws anything itself. It computes, then describes its result with these parts; the
app renders them with Streamlit, the tests read them directly. `Check` is the demo's claim, stated
and verified on the numbers it just computed.

Labels are either one string or a `{"en": ..., "zh": ...}` dict: every word a learner reads is a
Label, so the app can show it in the learner's language. Symbols and tokens stay plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Label = str | dict[str, str]


def label(text: Label, lang: str) -> str:
    """`text` in `lang`, falling back to English."""
    return text.get(lang) or text.get("en", "") if isinstance(text, dict) else str(text)


@dataclass
class Metric:
    label: Label
    value: float | int | str
    note: Label = ""


@dataclass
class Table:
    """Rows of cells. A cell is a number, a plain string (a token, a symbol, a name: shown as it
    is) or a Label (words, shown in the learner's language)."""

    columns: list[Label]
    rows: list[list]
    title: Label = ""


@dataclass
class Lines:
    """Line chart: one x axis, several named series of the same length.

    The keys of `series` name the curves for code and tests; `series_labels` gives the name a
    learner reads, where it differs from the key (a key without one is shown as it is)."""

    x: list[float]
    series: dict[str, list[float]]
    series_labels: dict[str, Label] = field(default_factory=dict)
    title: Label = ""
    x_label: Label = ""
    y_label: Label = ""
    log_y: bool = False


@dataclass
class Heatmap:
    """A matrix drawn as coloured cells; rows are y (top to bottom), columns are x."""

    matrix: list[list[float]]
    x_labels: list[Label]
    y_labels: list[Label]
    title: Label = ""
    value_label: Label = "value"


@dataclass
class TokenStrip:
    """Tokens in a row, each with a category (the legend says what each means)."""

    tokens: list[str]
    categories: list[str]
    legend: dict[str, Label] = field(default_factory=dict)
    title: Label = ""


@dataclass
class Text:
    markdown: Label


@dataclass
class Check:
    """The demo's claim and whether the numbers above bear it out."""

    claim: Label
    passed: bool
    detail: Label = ""


Part = Metric | Table | Lines | Heatmap | TokenStrip | Text | Check
