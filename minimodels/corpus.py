"""The text the app's demo models learn from: its own question bank, plus files the user supplies.

Nothing is downloaded. The bank is read from a folder passed in (questions/<topic>/<id>.yaml), so
this package does not depend on the app. Every answer is one document, in one language per corpus
(English by default). A demo model should learn language, not markup, so every document is
cleaned into plain prose: the Markdown is parsed (markdown-it-py, the parser Streamlit renders
with) and only its text is kept; headings, emphasis, links and list markers go, tables, code
blocks, images and HTML are dropped, inline code stays only when it is a word. TeX formulas
($...$, $$...$$, \\(...\\), \\[...\\]) become nothing (a display formula) or "the formula" (an
inline one), except a formula that is just a number, a letter or a Greek letter, which is kept as
plain text. English text is then folded to ASCII (é -> e, – -> -, ＡＢ -> AB), so the English
corpus's characters are letters, digits and ordinary punctuation: about 80 of them.

A user file (STUDYAPP_CORPUS, or `studyapp run --corpus FILE`) is read as UTF-8, cleaned the same
way and split into documents at blank lines; its line breaks are kept (verse stays verse).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

LANGUAGES = ("en", "zh")
CORPUS_ENV = "STUDYAPP_CORPUS"  # the user's files, separated by os.pathsep

# Every character the English corpus may contain; anything else left after folding is dropped.
ENGLISH_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n.,;:!?'\"()[]-/%&+=<>~@"
)
# Markup characters that never belong in plain prose, in any language.
MARKUP_CHARACTERS = frozenset("\\{}^|#*$`_")
FORMULA_WORD = {"en": "the formula", "zh": "公式"}
GREEK = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "pi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Pi",
        "Sigma",
        "Upsilon",
        "Phi",
        "Psi",
        "Omega",
    ]
)
# TeX commands that read as plain text (Greek letters read as their names).
TEX_WORDS = {
    "times": "x",
    "approx": "~",
    "sim": "~",
    "le": "<=",
    "leq": "<=",
    "ge": ">=",
    "geq": ">=",
    "to": "->",
    "rightarrow": "->",
    "ldots": "...",
    "dots": "...",
    "cdots": "...",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "max": "max",
    "min": "min",
}
# Characters NFKC and accent stripping leave non-ASCII, as an English reader would write them.
ASCII_SPELLING = str.maketrans(
    {
        "–": "-",
        "—": " - ",
        "−": "-",
        "‐": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "→": "->",
        "←": "<-",
        "×": "x",
        "·": " ",
        "≈": "~",
        "≤": "<=",
        "≥": ">=",
        "°": " degrees",
        "\u00a0": " ",
    }
)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A line wrap inside Chinese text is no space: a space between two Chinese characters or marks.
WRAP_BETWEEN_CHINESE = re.compile(
    r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])"
)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 5x faster, as safe


def _math_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: $...$ or $$...$$ becomes one "math" token (content = the TeX), so Markdown
    never reads the formula's * and _ as emphasis. Pandoc's rule tells a formula from a price:
    the opening $ is followed by a non-space, the closing $ follows a non-space and is not
    followed by a digit."""
    src, start = state.src, state.pos
    if src[start] != "$":
        return False
    display = src.startswith("$$", start)
    opener = 2 if display else 1
    pos = start + opener
    if not display and (pos >= state.posMax or src[pos].isspace()):
        return False
    while pos < state.posMax:
        if src[pos] == "\\":
            pos += 2
            continue
        closes = src.startswith("$" * opener, pos)
        # an inline formula's closing $ follows a non-space and is not followed by a digit
        if closes and (
            display or not src[pos - 1].isspace() and not src[pos + 1 : pos + 2].isdigit()
        ):
            break
        pos += 1
    else:
        return False
    if not silent:
        token = state.push("math", "", 0)
        token.content = src[start + opener : pos]
        token.info = "display" if display else "inline"
    state.pos = pos + opener
    return True


_markdown = MarkdownIt("commonmark").enable("table").enable("strikethrough")
_markdown.inline.ruler.before("escape", "math", _math_rule)


def formula_text(tex: str, language: str) -> str:
    """A formula as prose when it reads as one: numbers, letters, Greek letters and plain
    operators (x \\approx -0.75 -> "x ~ -0.75", \\beta -> "beta"); anything with a subscript,
    a power, a fraction or a sum becomes `FORMULA_WORD` (a model would only learn to babble TeX)."""
    tex = tex.replace("{,}", ",")
    tex = re.sub(r"\\[,;:! ]|\\q?quad\b", " ", tex)
    tex = re.sub(r"\\(?:text|mathrm|mathit|operatorname)\{([A-Za-z ]+)\}", r"\1", tex)
    tex = re.sub(
        r"\\([A-Za-z]+)",
        lambda m: (
            m.group(1).removeprefix("var")
            if m.group(1) in GREEK
            else TEX_WORDS.get(m.group(1), m.group())
        ),
        tex,
    )
    tex = re.sub(r"\s+", " ", tex.replace("\\%", "%")).strip()
    if tex and len(tex) <= 40 and re.fullmatch(r"[A-Za-z0-9 .,()+\-=<>~/%']+", tex):
        return tex
    return FORMULA_WORD[language]


def _code_word(code: str) -> str:
    """Inline code kept as a word when it is one (`softmax`, `[MASK]`, `d_model` -> d model)."""
    code = code.strip()
    if re.fullmatch(r"\[?[A-Za-z][A-Za-z0-9_.\-]*\]?", code) and len(code) <= 30:
        return code.replace("_", " ").strip()
    return ""


def _inline_text(children: Sequence[Token], language: str, line_breaks: bool) -> str:
    parts = []
    for child in children:
        if child.type == "text":
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(_code_word(child.content))
        elif child.type == "math":
            display = child.info == "display"
            parts.append("" if display else formula_text(child.content, language))
        elif child.type == "softbreak":
            parts.append("\n" if line_breaks else " ")
        elif child.type == "hardbreak":
            parts.append("\n")
        # link/emphasis/strikethrough open and close, images, inline HTML: no text of their own
    return "".join(parts)


def _tex_brackets(text: str) -> str:
    r"""\(...\) and \[...\] formulas, which Markdown reads as escaped brackets, as $ and $$."""
    text = re.sub(r"\\\[(.+?)\\\]", r"$$\1$$", text, flags=re.S)
    return re.sub(r"\\\((.+?)\\\)", r"$\1$", text, flags=re.S)


def plain_prose(markdown: str, language: str = "en", line_breaks: bool = False) -> str:
    """The text of a Markdown answer as plain prose, one line per paragraph, heading or list item.

    line_breaks keeps the line breaks inside a paragraph (a user's verse); otherwise they are
    line wrapping and become spaces."""
    lines = []
    skip_depth = 0  # inside a table: its cells are not prose
    for token in _markdown.parse(_tex_brackets(markdown)):
        if token.type == "table_open":
            skip_depth += 1
        elif token.type == "table_close":
            skip_depth -= 1
        elif token.type == "inline" and not skip_depth:
            lines.append(_inline_text(token.children or [], language, line_breaks))
        # fence, code_block, html_block, hr: dropped
    text = "\n".join(tidy(line, language) for line in lines)
    return re.sub(r"\n{2,}", "\n", text).strip("\n")


def tidy(line: str, language: str) -> str:
    """Fold to the language's characters and mend the spacing that dropped markup leaves."""
    if language == "en":
        line = unicodedata.normalize("NFKC", line).translate(ASCII_SPELLING)
        line = "".join(
            c for c in unicodedata.normalize("NFKD", line) if not unicodedata.combining(c)
        )
        line = "".join(c if c in ENGLISH_CHARACTERS else " " if c == "_" else "" for c in line)
    else:
        line = "".join(c for c in unicodedata.normalize("NFC", line) if c not in MARKUP_CHARACTERS)
        line = WRAP_BETWEEN_CHINESE.sub("", line)
    line = re.sub(r"\(\s*[,;]?\s*\)|\[\s*\]", "", line)  # brackets whose formula or code went
    line = re.sub(r"[ \t]+", " ", line)
    if language == "en":  # "the $O(n^2)$ term" -> "the the formula term": one article is enough
        line = re.sub(r"\b(?:[Tt]he|an?) (?=the formula\b)", "", line)
    line = re.sub(r" +([.,;:!?)])", r"\1", line)
    line = re.sub(r"([(]) +", r"\1", line)
    return "\n".join(part.strip() for part in line.split("\n"))


def _is_language(text: str, language: str) -> bool:
    """An English corpus skips a paragraph that is mostly Chinese (a Chinese corpus keeps
    English words: Chinese technical prose is full of them)."""
    if language != "en":
        return True
    letters = sum(c.isalpha() for c in text)
    return len(CJK.findall(text)) <= 0.2 * max(1, letters)


def bank_answers(bank_dir: str | Path, language: str) -> list[str]:
    """The raw Markdown answers in `language`, in path order.

    Files whose name starts with "_" (templates) and files that do not parse are skipped: the bank
    is being written while the app runs, and a half-saved file must not stop a demo.
    """
    answers = []
    for path in sorted(Path(bank_dir).glob("*/*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        answer = data.get("answer") if isinstance(data, dict) else None
        text = answer.get(language) if isinstance(answer, dict) else None
        if isinstance(text, str) and text.strip():
            answers.append(text)
    return answers


class CorpusFileError(ValueError):
    """A user's corpus file that cannot be read as text."""


def file_documents(path: str | Path, language: str = "en") -> list[str]:
    """A user's UTF-8 file, cleaned, one document per paragraph (split at blank lines)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CorpusFileError(
            f"corpus file {path} is not UTF-8 text (byte {error.start} is {error.object[error.start]:#04x});"
            " save it as UTF-8 and try again"
        ) from error
    except OSError as error:
        raise CorpusFileError(f"cannot read corpus file {path}: {error.strerror}") from error
    documents = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        prose = plain_prose(paragraph, language, line_breaks=True)
        if prose.strip() and _is_language(paragraph, language):
            documents.append(prose + "\n\n")
    return documents


def user_files(extra_files: Sequence[str | Path] = ()) -> list[Path]:
    """The files named in STUDYAPP_CORPUS (os.pathsep-separated), then extra_files."""
    named = [part for part in os.environ.get(CORPUS_ENV, "").split(os.pathsep) if part.strip()]
    return [Path(p) for p in [*named, *extra_files]]


def demo_documents(
    bank_dir: str | Path | None, language: str = "en", extra_files: Sequence[str | Path] = ()
) -> list[str]:
    """Clean plain-prose documents: the bank's answers in `language` ("en" or "zh"), then the
    user's files (env STUDYAPP_CORPUS, os.pathsep-separated, plus extra_files), cleaned the same
    way. Each document ends with one blank line, so joined they read as paragraphs.

    Raises CorpusFileError (a ValueError naming the file) for a user file that is missing or not
    UTF-8: better told than trained on mojibake."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    documents = []
    if bank_dir is not None:
        documents += _bank_prose_of(bank_dir, language)
    for path in user_files(extra_files):
        documents += file_documents(path, language)
    return documents


@functools.lru_cache(maxsize=4)
def _bank_prose(bank_dir: str, language: str, stamp: tuple) -> tuple[str, ...]:
    """The bank's cleaned answers; `stamp` (every file's path, mtime and size) keys the cache, so
    the bank is read again only when a file changed (cleaning it takes a second or two)."""
    documents = []
    for answer in bank_answers(bank_dir, language):
        prose = plain_prose(answer, language)
        if prose and _is_language(prose, language):
            documents.append(prose + "\n\n")
    return tuple(documents)


def _bank_prose_of(bank_dir: str | Path, language: str) -> tuple[str, ...]:
    files = sorted(Path(bank_dir).glob("*/*.yaml"))
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _bank_prose(str(bank_dir), language, stamp)
