"""What a live demo returns: a list of typed parts that any front end can draw.

A demo never draws anything itself. It computes, then describes its result with these parts; the
app renders them with Streamlit, the tests read them directly. `Check` is the demo's claim, stated
and verified on the numbers it just computed.

Labels are either one string or a `{"en": ..., "zh": ...}` dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Label = str | dict[str, str]


@dataclass
class Metric:
    label: Label
    value: float | int | str
    note: Label = ""


@dataclass
class Table:
    columns: list[str]
    rows: list[list]
    title: Label = ""


@dataclass
class Lines:
    """Line chart: one x axis, several named series of the same length."""

    x: list[float]
    series: dict[str, list[float]]
    title: Label = ""
    x_label: str = ""
    y_label: str = ""
    log_y: bool = False


@dataclass
class Heatmap:
    """A matrix drawn as coloured cells; rows are y (top to bottom), columns are x."""

    matrix: list[list[float]]
    x_labels: list[str]
    y_labels: list[str]
    title: Label = ""
    value_label: str = "value"


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
