"""Read one question file safely and remember where every key stands.

PyYAML alone would keep the last of two duplicate keys without a word, expand alias bombs, and give
no line numbers after loading. Here libyaml (PyYAML's C parser) turns the file into events, anchors
and aliases are refused, and the data is built from the events by hand so that each key's line and
column are kept for error messages. Scalars are resolved and constructed by PyYAML's safe loader.
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


class _Fatal(Exception):
    """A finding after which nothing else in the file is worth reporting (Y003, Y005)."""

    def __init__(self, mark: yaml.Mark | None, rule: str, message: str):
        super().__init__(message)
        self.mark, self.rule, self.message = mark, rule, message


class _Builder:
    """Builds the data from the C parser's events, keeping each key's and item's position.

    libyaml (`yaml.CSafeLoader`) does the parsing; resolving and constructing scalars is PyYAML's
    safe loader, as in `yaml.load`. Building from events rather than composed nodes takes one pass
    and sees every anchor and alias, which a composed tree hides.
    """

    def __init__(self, text: str, out: YamlFile):
        self.loader = yaml.CSafeLoader(text)
        self.events = iter(self.loader.get_event, None)
        self.out = out
        self.text = text
        self.last_line = text.count("\n") + 1

    def position(self, mark: yaml.Mark | None) -> tuple[int, int]:
        """1-based (line, col) of `mark`, at most the end of the text: libyaml may point one line
        past a last line without a newline (where it notices an empty document or a lost colon)."""
        line, col = _position(mark)
        if line > self.last_line:
            return self.last_line, len(self.text) - self.text.rfind("\n")
        return line, col

    def fail(self, mark: yaml.Mark | None, rule: str, message: str) -> None:
        self.out.problems.append(Problem(self.out.path, *self.position(mark), rule, message))

    def next_event(self) -> yaml.Event:
        event = next(self.events)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Fatal(event.start_mark, "Y005", "anchors and aliases (& and *) are not allowed")
        return event

    def document(self) -> yaml.Event | None:
        """The single document's first event (None for an empty stream); errors as _Fatal."""
        self.next_event()  # the stream's start
        event = self.next_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        return self.next_event()  # after the document's start

    def finish(self) -> None:
        self.next_event()  # the document's end
        event = self.next_event()
        if not isinstance(event, yaml.StreamEndEvent):
            while not isinstance(self.next_event(), yaml.StreamEndEvent):
                pass  # an anchor or a syntax error further on is reported first, as it is fatal too
            raise _Fatal(
                event.start_mark,
                "Y003",
                "invalid YAML: expected a single document in the stream, but found another "
                "document",
            )

    def tag(self, event: yaml.NodeEvent, kind: type[yaml.Node]) -> str:
        if event.tag is not None and event.tag != "!":
            return event.tag
        value = event.value if isinstance(event, yaml.ScalarEvent) else None
        return self.loader.resolve(kind, value, event.implicit)

    def build(self, event: yaml.Event, loc: Location) -> Any:
        if isinstance(event, yaml.MappingStartEvent):
            tag = self.tag(event, yaml.MappingNode)
            if tag not in _PLAIN_TAGS:
                self.fail(event.start_mark, "Y006", f"tag {tag!r} is not allowed")
                self.skip(event)
                return None
            result: dict[Any, Any] = {}
            while not isinstance(key_event := self.next_event(), yaml.MappingEndEvent):
                if not isinstance(key_event, yaml.ScalarEvent):
                    self.fail(key_event.start_mark, "Y003", "a key must be a plain scalar")
                    self.skip(key_event)
                    self.skip(self.next_event())
                    continue
                key = self.scalar(key_event)
                value_event = self.next_event()
                if key in result:
                    first = self.out.positions.get(loc + (key,), (0, 0))[0]
                    self.fail(
                        key_event.start_mark,
                        "Y004",
                        f"duplicate key {key!r} (first on line {first}); YAML would keep only the last",
                    )
                    self.skip(value_event)
                else:
                    self.out.positions[loc + (key,)] = _position(key_event.start_mark)
                    result[key] = self.build(value_event, loc + (key,))
            return result
        if isinstance(event, yaml.SequenceStartEvent):
            tag = self.tag(event, yaml.SequenceNode)
            if tag not in _PLAIN_TAGS:
                self.fail(event.start_mark, "Y006", f"tag {tag!r} is not allowed")
                self.skip(event)
                return None
            items = []
            while not isinstance(item := self.next_event(), yaml.SequenceEndEvent):
                self.out.positions[loc + (len(items),)] = _position(item.start_mark)
                items.append(self.build(item, loc + (len(items),)))
            return items
        return self.scalar(event)

    def skip(self, event: yaml.Event) -> None:
        """Read past the rest of the node that `event` starts (still checking every event)."""
        depth = int(isinstance(event, yaml.CollectionStartEvent))
        while depth:
            event = self.next_event()
            depth += isinstance(event, yaml.CollectionStartEvent)
            depth -= isinstance(event, yaml.CollectionEndEvent)

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = self.tag(event, yaml.ScalarNode)
        if tag == "tag:yaml.org,2002:str":
            value: Any = event.value  # what the safe constructor returns, without its overhead
        else:
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                # The safe constructor refuses python/* tags and anything else it does not know.
                value = self.loader.construct_object(node, deep=True)
            except yaml.YAMLError as err:
                self.fail(event.start_mark, "Y006", f"tag {tag!r} is not allowed ({err.problem})")
                return None
        # libyaml marks a plain scalar with style "", PyYAML's own parser with None.
        if isinstance(value, str) and not event.style and " " in value.strip():
            rest = self.text[event.end_mark.index :].split("\n", 1)[0]
            if rest.lstrip().startswith("#"):
                self.fail(
                    event.end_mark,
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

    # libyaml skips a byte-order mark without counting it: drop it so that indexes agree.
    builder = _Builder(text.removeprefix("\ufeff"), out)
    try:
        try:
            first = builder.document()
            if first is None:
                return fail(1, 1, "Y007", "file is empty: expected a mapping of question fields")
            if (
                not isinstance(first, yaml.MappingStartEvent)
                or builder.tag(first, yaml.MappingNode) not in _PLAIN_TAGS
            ):
                kind = {
                    yaml.SequenceStartEvent: "a list",
                    yaml.ScalarEvent: "a single value",
                }.get(type(first), "a tagged value")
                builder.skip(first)
                builder.finish()
                line, col = builder.position(first.start_mark)
                return fail(line, col, "Y008", f"top level is {kind}; expected a mapping of fields")
            out.data = builder.build(first, ())
            builder.finish()
        finally:
            builder.loader.dispose()
    except _Fatal as err:
        out.data, out.positions, out.problems = None, {}, []
        return fail(*builder.position(err.mark), err.rule, err.message)
    except yaml.MarkedYAMLError as err:
        out.data, out.positions, out.problems = None, {}, []
        line, col = builder.position(err.problem_mark or err.context_mark)
        return fail(line, col, "Y003", f"invalid YAML: {err.problem or err.context}")
    except yaml.YAMLError as err:
        out.data, out.positions, out.problems = None, {}, []
        return fail(1, 1, "Y003", f"invalid YAML: {err}")
    return out
