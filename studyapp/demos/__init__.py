"""The registry of live demos: what each proves, its parameters, and where its code lives.

Pure Python that never imports torch: the validator and the quiz pages read the registry, and only
a page that runs a demo imports its compute function (`load_compute`). Each demo's compute
function lives in `minimodels/demos/`, takes its parameters as keyword arguments plus an optional
`progress` callback, and returns a list of `minimodels.results` parts.

Specs are split by kind into `analytic.py` (closed-form or one forward pass, under a second) and
`training.py` (trains a tiny model; shows progress; cached and shared across sessions).

Imports nothing of studyapp: the bank, the app and the CLI read it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Bilingual = dict[str, str]


class DemoParamError(ValueError):
    """A parameter value the demo cannot take; the message says which and why."""


def _number(value: Any) -> float | None:
    """`value` if it is a real, finite number (not a bool, not NaN), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return value


def _in_range(param: IntParam | FloatParam, value: float) -> float:
    if not param.min <= value <= param.max:
        raise DemoParamError(
            f"{param.name} must be between {param.min} and {param.max}, got {value}"
        )
    return value


@dataclass(frozen=True)
class IntParam:
    name: str
    label: Bilingual
    default: int
    min: int
    max: int
    step: int = 1

    def check(self, value: Any) -> int:
        if _number(value) is None or int(value) != value:
            raise DemoParamError(f"{self.name} must be a whole number, got {value!r}")
        return int(_in_range(self, value))


@dataclass(frozen=True)
class FloatParam:
    name: str
    label: Bilingual
    default: float
    min: float
    max: float
    step: float = 0.1

    def check(self, value: Any) -> float:
        if _number(value) is None:
            raise DemoParamError(f"{self.name} must be a number, got {value!r}")
        return float(_in_range(self, value))


@dataclass(frozen=True)
class ChoiceParam:
    name: str
    label: Bilingual
    default: str
    options: tuple[str, ...]

    def check(self, value: Any) -> str:
        if value not in self.options:
            raise DemoParamError(
                f"{self.name} must be one of {', '.join(self.options)}, got {value!r}"
            )
        return value


@dataclass(frozen=True)
class TextParam:
    name: str
    label: Bilingual
    default: str
    max_chars: int = 200

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise DemoParamError(f"{self.name} must be some text")
        if len(value) > self.max_chars:
            raise DemoParamError(
                f"{self.name} is {len(value)} characters; the limit is {self.max_chars}"
            )
        return value


Param = IntParam | FloatParam | ChoiceParam | TextParam


@dataclass(frozen=True)
class Demo:
    id: str
    title: Bilingual
    explanation: Bilingual  # one paragraph: what the demo shows and what it proves
    compute: str  # "module:function"
    params: tuple[Param, ...] = field(default_factory=tuple)
    trains: bool = False  # trains a model: cached for every session, shows progress

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def check_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` completed with defaults and checked; `DemoParamError` names the first bad one."""
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise DemoParamError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        return {p.name: p.check(values.get(p.name, p.default)) for p in self.params}


# One module of specs per area; each holds a `DEMOS` list.
SPEC_MODULES = (
    "analytic",
    "training",
    "alignment",
    "pretraining",
    "architecture",
    "serving",
    "family",
    "pretrained",
)


def _registry() -> dict[str, Demo]:
    demos = [
        demo
        for name in SPEC_MODULES
        for demo in importlib.import_module(f"studyapp.demos.{name}").DEMOS
    ]
    registry = {d.id: d for d in demos}
    assert len(registry) == len(demos), "two demos share an id"
    return registry


REGISTRY: dict[str, Demo] = _registry()


def registered_ids() -> set[str]:
    return set(REGISTRY)


def load_compute(demo: Demo) -> Callable[..., list]:
    module, _, name = demo.compute.partition(":")
    return getattr(importlib.import_module(module), name)


def source_of(demo: Demo) -> str:
    """The real source of the demo's module, shown to learners as the live code.

    Read from its file, not imported: the module imports torch (1.5 s or more), and a page that
    shows a result from the disk cache must not pay for it."""
    spec = importlib.util.find_spec(demo.compute.partition(":")[0])
    return Path(spec.origin).read_text(encoding="utf-8")


def run_demo(
    demo: Demo, values: dict[str, Any] | None = None, progress: Callable | None = None
) -> list:
    params = demo.check_params(values or {})
    from minimodels.train import set_threads  # torch's thread count, chosen once per process

    set_threads()
    compute = load_compute(demo)
    if "progress" in inspect.signature(compute).parameters:
        return compute(**params, progress=progress)
    return compute(**params)


def catalogue(questions_per_demo: dict[str, int]) -> str:
    """Every demo as a Markdown table row: id, title, training or not, questions it proves (the
    README shows it)."""
    rows = ["| demo | what it shows | trains | questions |", "|---|---|:-:|---:|"]
    for demo in REGISTRY.values():
        trains = "yes" if demo.trains else ""
        count = questions_per_demo.get(demo.id, 0)
        rows.append(f"| `{demo.id}` | {demo.title['en']} | {trains} | {count} |")
    return "\n".join(rows)
