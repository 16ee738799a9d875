"""Read one question file safely and remember where every key stands.

PyYAML alone would keep the last of two duplicate keys without a word, expand alias bombs, and give
no line numbers after loading. Here the file is composed into nodes with the safe loader, anchors and
aliases are refused, and the data is built from the nodes by hand so that each key's line and column
are kept for error messages.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 256 * 1024
# Bidi controls make text display in another order than it reads ("eurt" shows as "true"),
# zero-width characters hide inside ids and words, and control characters are never text.
_UNSAFE_CHARACTER = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
Location = tuple[str | int, ...]
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass(frozen=True)
class Problem:
    """One validator finding: `path:line:col: RULE message`."""

    path: str
    line: int
    col: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.rule} {self.message}"


@dataclass
class YamlFile:
    path: str
    data: Any = None
    # (line, col), 1-based, of each key (or list item) by its location in the data.
    positions: dict[Location, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    first_line: str = ""

    def where(self, loc: Location) -> tuple[int, int]:
        """Position of the deepest located ancestor of `loc` (the file start if none)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.positions:
                return self.positions[loc[:end]]
        return (1, 1)

    def problem(self, loc: Location, rule: str, message: str) -> Problem:
        line, col = self.where(loc)
        return Problem(self.path, line, col, rule, message)


def describe_character(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'a control character')})"


def unsafe_character(text: str) -> str | None:
    """The first bidi control, zero-width or control character (bar newline and tab) in `text`,
    described with its position, or None."""
    found = _UNSAFE_CHARACTER.search(text)
    if found is None:
        return None
    return f"{describe_character(found.group())} at character {found.start() + 1}"


def _position(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, out: YamlFile, text: str):
        self.loader = loader
        self.out = out
        self.text = text

    def fail(self, mark: yaml.Mark | None, rule: str, message: str) -> None:
        line, col = _position(mark)
        self.out.problems.append(Problem(self.out.path, line, col, rule, message))

    def build(self, node: yaml.Node, loc: Location) -> Any:
        if isinstance(node, yaml.MappingNode):
            if node.tag not in _PLAIN_TAGS:
                self.fail(node.start_mark, "Y006", f"tag {node.tag!r} is not allowed")
                return None
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.fail(key_node.start_mark, "Y003", "a key must be a plain scalar")
                    continue
                key = self.scalar(key_node)
                if key in result:
                    first = self.out.positions.get(loc + (key,), (0, 0))[0]
                    self.fail(
                        key_node.start_mark,
                        "Y004",
                        f"duplicate key {key!r} (first on line {first}); YAML would keep only the last",
                    )
                    continue
                self.out.positions[loc + (key,)] = _position(key_node.start_mark)
                result[key] = self.build(value_node, loc + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag not in _PLAIN_TAGS:
                self.fail(node.start_mark, "Y006", f"tag {node.tag!r} is not allowed")
                return None
            items = []
            for i, item in enumerate(node.value):
                self.out.positions[loc + (i,)] = _position(item.start_mark)
                items.append(self.build(item, loc + (i,)))
            return items
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            # The safe constructor refuses python/* tags and anything else it does not know.
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as err:
            self.fail(node.start_mark, "Y006", f"tag {node.tag!r} is not allowed ({err.problem})")
            return None
        if isinstance(value, str) and node.style is None and " " in value.strip():
            rest = self.text[node.end_mark.index :].split("\n", 1)[0]
            if rest.lstrip().startswith("#"):
                self.fail(
                    node.end_mark,
                    "Y009",
                    f"' #' starts a YAML comment, so the text ends at {value[-20:]!r}: quote the value",
                )
        return value


def _file_kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "a special file")


def _read_regular_file(path: Path) -> tuple[bytes | None, str]:
    """At most MAX_BYTES + 1 bytes of a regular file, or None and why not.

    Checked with `os.stat` before opening, as reading a FIFO blocks forever and a device such as
    /dev/zero never ends; opened non-blocking and checked again in case the file was swapped.
    """
    try:
        if not stat.S_ISREG(mode := os.stat(path).st_mode):
            return None, f"{_file_kind(mode)}, not a regular file"
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        return None, f"cannot read file: {err.strerror}"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(mode := os.fstat(fd).st_mode):
            return None, f"{_file_kind(mode)}, not a regular file"
        try:
            raw = f.read(MAX_BYTES + 1)
        except OSError as err:
            return None, f"cannot read file: {err.strerror}"
    if len(raw) > MAX_BYTES:
        return None, f"file is over {MAX_BYTES:,} bytes, the limit"
    return raw, ""


def read_yaml(path: Path | str, display: str | None = None) -> YamlFile:
    """Parse `path`; problems are collected in the result, never raised."""
    path = Path(path)
    out = YamlFile(path=display or str(path))

    def fail(line: int, col: int, rule: str, message: str) -> YamlFile:
        out.problems.append(Problem(out.path, line, col, rule, message))
        return out

    raw, why = _read_regular_file(path)
    if raw is None:
        return fail(1, 1, "Y001", why)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return fail(
            line, col, "Y002", f"not UTF-8: byte 0x{raw[err.start]:02x} at offset {err.start}"
        )
    out.first_line = text.split("\n", 1)[0].lstrip("\ufeff").rstrip("\r")
    # A byte-order mark may open a file, and a line may end in CR LF.
    body = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if found := _UNSAFE_CHARACTER.search(body):
        before = body[: found.start()]
        line, col = before.count("\n") + 1, found.start() - (before.rfind("\n") + 1) + 1
        return fail(line, col, "Y010", f"{describe_character(found.group())}: remove it")

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line, col = _position(event.start_mark)
                return fail(line, col, "Y005", "anchors and aliases (& and *) are not allowed")
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return fail(1, 1, "Y007", "file is empty: expected a mapping of question fields")
            if not isinstance(node, yaml.MappingNode) or node.tag not in _PLAIN_TAGS:
                kind = {yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}.get(
                    type(node), "a tagged value"
                )
                line, col = _position(node.start_mark)
                return fail(line, col, "Y008", f"top level is {kind}; expected a mapping of fields")
            out.data = _Builder(loader, out, text).build(node, ())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        line, col = _position(err.problem_mark or err.context_mark)
        return fail(line, col, "Y003", f"invalid YAML: {err.problem or err.context}")
    except yaml.YAMLError as err:
        return fail(1, 1, "Y003", f"invalid YAML: {err}")
    return out
