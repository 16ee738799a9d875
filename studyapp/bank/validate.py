"""The bank's linter: numbered rules, each finding located at the line of the offending key.

Y rules are about the file as YAML, S rules about the schema, Q rules about one question, B rules
about the bank as a whole. `RULES` is the reference printed by `studyapp validate --rules` and
listed in CONTRIBUTING.md.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from pydantic import ValidationError

from studyapp.bank.schema import Question
from studyapp.bank.yamlfile import Problem, YamlFile, read_yaml

SCHEMA_HEADER = "# yaml-language-server: $schema="

RULES: dict[str, str] = {
    "Y001": "file is a readable regular file, at most 256 KB, and not a link out of the bank",
    "Y002": "file is UTF-8",
    "Y003": "file is valid YAML",
    "Y004": "no key appears twice in one mapping",
    "Y005": "no anchors or aliases (& and *)",
    "Y006": "no tags (!!python/object and the like): plain YAML only",
    "Y007": "file is not empty",
    "Y008": "top level is a mapping of fields",
    "Y009": "no text cut short by ` #`, which starts a YAML comment in an unquoted value",
    "Y010": "no bidi controls, zero-width or control characters (bar newline and tab)",
    "S001": "every required field is present",
    "S002": "every field has the right type and range",
    "S003": "no unknown fields",
    "Q001": "file starts with the `# yaml-language-server: $schema=` line",
    "Q002": "id equals the file name without .yaml",
    "Q003": "topic equals the folder the file is in",
    "Q004": "every text has non-empty `en` and `zh`",
    "Q005": "math delimiters `$` and `$$` are balanced",
    "Q006": "a choice question has `choices` with at least one correct option; others have none",
    "Q007": "a numeric question has `numeric` with tolerance >= 0; others have none",
    "Q008": "source URLs are well-formed http(s) URLs, with nothing that could break a link",
    "Q009": "`demo` names a registered live demo",
    "Q010": "no remote images (Markdown `![](http...)` or HTML `<img>`): the app makes no "
    "third-party requests",
    "Q011": "no KaTeX commands that blow up sizes or define macros (`\\rule`, `\\kern`, "
    "`\\Huge`, `\\def`, ...)",
    "Q012": "a code question has `code` (unique test and mistake ids, a visible test, a reference "
    "function that exists in minimodels); others have none",
    "Q013": "bold `**` opens and closes where CommonMark allows: not between punctuation and a "
    "letter (`**答案。**当` shows raw asterisks; write `**答案**。当`)",
    "B001": "ids are unique across the bank",
    "B002": "`related` ids exist in the bank and are not the question itself",
    "B003": "`deepens` ids exist in the bank and are not the question itself",
}


@dataclass
class Report:
    """A validated bank: the questions that passed every rule, and every problem found."""

    questions: dict[str, Question] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files_checked: int = 0

    @property
    def broken_files(self) -> dict[str, list[Problem]]:
        by_file: dict[str, list[Problem]] = {}
        for problem in self.problems:
            by_file.setdefault(problem.path, []).append(problem)
        return by_file


def _schema_problems(doc: YamlFile, err: ValidationError) -> list[Problem]:
    found = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if e["type"] == "missing":
            parent = ".".join(map(str, loc[:-1]))
            where = f" in {parent}" if parent else ""
            found.append(doc.problem(loc[:-1], "S001", f"missing field {loc[-1]!r}{where}"))
        elif e["type"] == "extra_forbidden":
            found.append(doc.problem(loc, "S003", f"unknown field {'.'.join(map(str, loc))!r}"))
        else:
            found.append(doc.problem(loc, "S002", f"{'.'.join(map(str, loc))}: {e['msg']}"))
    return found


def unbalanced_math(text: str) -> str | None:
    """Why the `$`/`$$` delimiters of a Markdown text do not pair up, or None.

    `\\$` is a literal dollar, and code spans and fenced blocks are not math.
    """
    text = _outside_code(text).replace("\\$", "")
    displays = text.count("$$")
    if displays % 2:
        return "an odd number of $$"
    if text.replace("$$", "").count("$") % 2:
        return "an odd number of $"
    return None


# `<img`, a Markdown image with a URL that has a scheme or starts with //, and any image by
# reference (its definition could be remote).
_REMOTE_IMAGE = re.compile(
    r"<img\b|!\[[^\]]*\]\(\s*<?\s*(?:[a-z][a-z0-9+.-]*:|//)|!\[[^\]]*\]\s*\[", re.IGNORECASE
)
# Spacing, rules, raised boxes, a line break's extra space (`\\[9999em]`) and the largest sizes
# can push the page 100,000 px down; macro definitions can expand exponentially; links, images and
# HTML attributes reach outside the page; `\char` can type a bidi override the text may not hold.
_KATEX_SIZE = re.compile(
    r"\\(?:rule|kern|mkern|mskip|hskip|hspace\*?|vspace\*?|raisebox|Huge|huge|LARGE|Large"
    r"|def|gdef|edef|xdef|let|futurelet|newcommand|renewcommand|providecommand|DeclareMathOperator"
    r"|href|url|includegraphics|htmlClass|htmlId|htmlStyle|htmlData|char)(?![a-zA-Z])"
    r"|\\\\\s*\["
)
_URL_BREAKERS = set("()[]!<>\"'`\\{}|^") | {" "}


_CODE = re.compile(r"```.*?```|`[^`\n]*`", flags=re.DOTALL)


def _outside_code(text: str) -> str:
    return _CODE.sub("", text) if "`" in text else text


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_MASK = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$", flags=re.DOTALL)
_STRONG = re.compile(r"(?<![*\\])\*\*(?!\*)")


def _punct(c: str) -> bool:
    return unicodedata.category(c)[0] in "PS"


def _space(c: str) -> bool:
    return c == "" or c.isspace()


def unclosed_bold(text: str) -> str | None:
    """The first `**` that CommonMark cannot open or close where the writer meant it to, or None.

    CommonMark opens `**` only if the next character is not a space and, when it is punctuation,
    the previous one is a space or punctuation; closing mirrors it. So `**答案。**当` stays literal
    asterisks: the closing `**` sits between punctuation and a letter.
    """
    if "**" not in text:
        return None
    masked = _MASK.sub(lambda m: m.group()[0] + "x" * (len(m.group()) - 2) + m.group()[-1], text)
    for paragraph in _BLANK_LINE.split(masked):
        runs = [m.start() for m in _STRONG.finditer(paragraph)]
        if len(runs) < 2:
            continue
        for k, at in enumerate(runs[: len(runs) // 2 * 2]):
            before = paragraph[at - 1] if at else ""
            after = paragraph[at + 2] if at + 2 < len(paragraph) else ""
            if k % 2 == 0:  # opening: left-flanking
                ok = not _space(after) and (not _punct(after) or _space(before) or _punct(before))
            else:  # closing: right-flanking
                ok = not _space(before) and (not _punct(before) or _space(after) or _punct(after))
            if not ok:
                start = max(0, at - 12)
                return paragraph[start : at + 14].replace("\n", " ")
    return None


def rendered_texts(q: Question) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string the app renders as Markdown, with its location."""
    found = q.texts()
    for i, source in enumerate(q.sources):
        found += [(("sources", i, "title"), source.title), (("sources", i, "where"), source.where)]
        if source.quote:
            found.append((("sources", i, "quote"), source.quote))
    if q.numeric is not None and q.numeric.unit:
        found.append((("numeric", "unit"), q.numeric.unit))
    return found


def bad_url(url: str) -> str | None:
    """Why `url` is not a well-formed http(s) URL safe to put in a Markdown link, or None."""
    # Every space but " " (a breaker) is unprintable, so this also finds tabs and newlines.
    if not url.isprintable() or not _URL_BREAKERS.isdisjoint(url):
        bad = next(c for c in url if c in _URL_BREAKERS or c.isspace() or not c.isprintable())
        return f"contains {bad!r}; percent-encode it (e.g. {quote(bad)!r})"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as err:
        return f"is malformed: {err}"
    if parts.scheme not in ("http", "https"):
        return "is not http(s)"
    if not parts.hostname or "." not in parts.hostname and parts.hostname != "localhost":
        return "has no host name"
    if parts.username or parts.password:
        return "carries a user name or password"
    return None


def check_question(doc: YamlFile, q: Question, known_demos: set[str] | None) -> list[Problem]:
    found: list[Problem] = []
    if not doc.first_line.startswith(SCHEMA_HEADER):
        found.append(
            Problem(
                doc.path, 1, 1, "Q001", f"first line must be `{SCHEMA_HEADER}<path to schema.json>`"
            )
        )
    path = Path(doc.path)
    if q.id != path.stem:
        found.append(
            doc.problem(("id",), "Q002", f"id {q.id!r} differs from file name {path.stem!r}")
        )
    if q.topic != path.parent.name:
        found.append(
            doc.problem(
                ("topic",), "Q003", f"topic {q.topic!r} differs from folder {path.parent.name!r}"
            )
        )
    for loc, text in q.texts():
        if not text.strip():
            found.append(doc.problem(loc, "Q004", f"{'.'.join(map(str, loc))} is empty"))
        elif why := unbalanced_math(text):
            found.append(doc.problem(loc, "Q005", f"{'.'.join(map(str, loc))} has {why}"))
    if q.type == "choice":
        if not q.choices:
            found.append(doc.problem(("type",), "Q006", "a choice question needs `choices`"))
        elif not any(c.correct for c in q.choices):
            found.append(doc.problem(("choices",), "Q006", "no option is marked `correct: true`"))
    elif q.choices is not None:
        found.append(
            doc.problem(
                ("choices",), "Q006", f"`choices` is only for choice questions, not {q.type}"
            )
        )
    if q.type == "numeric":
        if q.numeric is None:
            found.append(doc.problem(("type",), "Q007", "a numeric question needs `numeric`"))
        elif q.numeric.tolerance < 0:
            found.append(
                doc.problem(
                    ("numeric", "tolerance"), "Q007", f"tolerance {q.numeric.tolerance} is negative"
                )
            )
    elif q.numeric is not None:
        found.append(
            doc.problem(
                ("numeric",), "Q007", f"`numeric` is only for numeric questions, not {q.type}"
            )
        )
    found += _check_code(doc, q)
    for i, source in enumerate(q.sources):
        if why := bad_url(source.url):
            found.append(doc.problem(("sources", i, "url"), "Q008", f"url {source.url!r} {why}"))
    for loc, text in rendered_texts(q):
        where = ".".join(map(str, loc))
        prose = _outside_code(text)
        if image := _REMOTE_IMAGE.search(prose):
            found.append(
                doc.problem(
                    loc,
                    "Q010",
                    f"{where} has an image from outside the repo ({image.group()!r}); "
                    "describe it in words",
                )
            )
        if stuck := unclosed_bold(text):
            found.append(
                doc.problem(
                    loc,
                    "Q013",
                    f"{where}: this ** stays literal asterisks ({stuck!r}); move the punctuation "
                    "outside the bold",
                )
            )
        if macro := _KATEX_SIZE.search(prose):
            found.append(
                doc.problem(
                    loc, "Q011", f"{where} uses {macro.group()}, which KaTeX may blow up; drop it"
                )
            )
    if q.demo is not None and known_demos is not None and q.demo not in known_demos:
        hint = (
            f"; registered: {', '.join(sorted(known_demos))}"
            if known_demos
            else "; none is registered yet"
        )
        found.append(doc.problem(("demo",), "Q009", f"demo {q.demo!r} is not registered{hint}"))
    return found


MINIMODELS = Path(__file__).resolve().parents[2] / "minimodels"


def _check_code(doc: YamlFile, q: Question) -> list[Problem]:
    if q.type != "code":
        if q.code is None:
            return []
        return [doc.problem(("code",), "Q012", f"`code` is only for code questions, not {q.type}")]
    if q.code is None:
        return [doc.problem(("type",), "Q012", "a code question needs `code`")]
    found = []
    for what, items in (("test", q.code.tests), ("mistake", q.code.mistakes)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                loc = ("code", f"{what}s", i, "id")
                found.append(doc.problem(loc, "Q012", f"{what} id {item.id!r} appears twice"))
            seen.add(item.id)
    if not any(t.visible for t in q.code.tests):
        found.append(doc.problem(("code", "tests"), "Q012", "no test is `visible: true`"))
    module, _, name = q.code.reference.partition(":")
    source = MINIMODELS.parent.joinpath(*module.split(".")).with_suffix(".py")
    if not source.is_file() or f"def {name}(" not in source.read_text(encoding="utf-8"):
        found.append(doc.problem(("code", "reference"), "Q012", f"no function {name} in {module}"))
    return found


def question_files(paths: Iterable[Path | str]) -> list[Path]:
    """The question files under `paths` (files as given; folders searched), `_`-files skipped.

    Symlinked folders are not entered: one pointing at / would walk the whole disk."""
    files: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            for folder, _, names in os.walk(p):
                files.update(
                    Path(folder, n) for n in names if n.endswith(".yaml") and not n.startswith("_")
                )
        else:
            files.add(p)
    return sorted(files, key=lambda path: path.parts)  # as Paths sort, without their slow `<`


def link_out_of(path: Path, root: Path | None) -> Path | None:
    """Where `path` really is, when it lies in `root` but a symlink takes it out of it."""
    if root is None or not path.absolute().is_relative_to(root.absolute()):
        return None
    below = path.absolute().relative_to(root.absolute())
    if ".." not in below.parts and not any(
        (root.absolute() / Path(*below.parts[: i + 1])).is_symlink()
        for i in range(len(below.parts))
    ):
        return None  # no link on the way down from `root`: two `lstat`s instead of resolving
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return path
    return None if real.is_relative_to(root.resolve()) else real


@dataclass
class CheckedFile:
    """One file's own findings, those that need no other file; the bank rules come later."""

    doc: YamlFile
    question: Question | None
    problems: list[Problem]


def check_file(
    f: Path, known_demos: set[str] | None = None, root: Path | None = None
) -> CheckedFile:
    """Read and check one question file; `root` (if given) makes its printed path relative."""
    display = str(f.relative_to(root)) if root and f.is_relative_to(root) else str(f)
    if (real := link_out_of(f, root)) is not None:
        doc = YamlFile(display)
        doc.problems.append(
            Problem(display, 1, 1, "Y001", f"a symlink to {real}, outside {root}: not read")
        )
    else:
        doc = read_yaml(f, display)
    problems = list(doc.problems)
    question = None
    if not doc.problems:
        try:
            question = Question.model_validate(doc.data)
        except ValidationError as err:
            problems += _schema_problems(doc, err)
        else:
            problems += check_question(doc, question, known_demos)
    return CheckedFile(doc, question, problems)


def validate_files(
    files: Iterable[Path], known_demos: set[str] | None = None, root: Path | None = None
) -> Report:
    """Validate question files; `root` (if given) makes printed paths relative to it."""
    with gc_paused():
        return bank_report([check_file(f, known_demos, root) for f in files], root)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection while a bank is built: every collection of the oldest generation
    walks all the objects built so far, which made loading 10,000 questions take twice as long.
    A bank holds no reference cycles to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def bank_report(checked: list[CheckedFile], root: Path | None = None) -> Report:
    """The bank made of checked files: their findings, the bank rules', and the questions that
    passed every rule."""
    report = Report(files_checked=len(checked))
    for one in checked:
        report.problems += one.problems
    parsed = [(one.doc, one.question) for one in checked]

    # When two files claim one id, the one with no other problem keeps it.
    has_problems = set(report.broken_files)
    first_of: dict[str, YamlFile] = {}
    for doc, q in sorted(parsed, key=lambda pair: (pair[0].path in has_problems, pair[0].path)):
        if q is None:
            continue
        if q.id in first_of:
            report.problems.append(
                doc.problem(
                    ("id",), "B001", f"id {q.id!r} is already used by {first_of[q.id].path}"
                )
            )
        else:
            first_of[q.id] = doc
    for doc, q in parsed:
        if q is None:
            continue
        for field_name, rule, ids in (
            ("related", "B002", q.related),
            ("deepens", "B003", q.deepens),
        ):
            for i, other in enumerate(ids):
                if other == q.id:
                    why = f"a question cannot name itself in `{field_name}`"
                elif other not in first_of:
                    why = f"{field_name} id {other!r} is not in the bank"
                else:
                    continue
                report.problems.append(doc.problem((field_name, i), rule, why))

    broken = report.broken_files
    for doc, q in parsed:
        if q is not None and doc.path not in broken and first_of[q.id] is doc:
            report.questions[q.id] = q
            report.paths[q.id] = Path(doc.path) if root is None else root / doc.path
    report.problems.sort(key=lambda p: (p.path, p.line, p.col, p.rule))
    return report
