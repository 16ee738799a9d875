"""The bank as an Anki deck (`.apkg`), written with genanki.

One note per question, in a sub-deck per topic (`studyapp::attention`). Re-importing a newer
export updates the notes already in Anki instead of adding copies, because every id Anki matches
on is derived from a fixed string, never drawn at random:

- a note's GUID from its question id (`guid_for("studyapp", id)`), so editing a question's text
  changes the note's content and keeps its GUID (and the learner's review history in Anki);
- the note type's id from `MODEL_NAME`, the decks' ids from their names. Changing the note type's
  fields or templates needs a new `MODEL_NAME`: Anki keeps a note type's id tied to its fields.

Anki only replaces a note whose incoming modification time is newer, so each export is stamped
with the current time.

Bank Markdown becomes HTML through markdown-it-py with raw HTML turned off (a `<script>` in the
bank arrives as text), links only to http(s) URLs that pass the validator's `bad_url` check and
no images (Anki must not fetch anything). `$...$` and `$$...$$` math becomes Anki's MathJax
`\\(...\\)` and `\\[...\\]`, taken out before Markdown runs so that `_` and `*` inside math survive;
elsewhere a backslash before a bracket gets an invisible word joiner and `[` a character
reference, so text can neither open MathJax nor play a `[sound:...]` file.

Code exercises: Anki cannot run tests, so the front shows the task and the starter code (with the
hints folded away) and the back the reference solution, which passes every test; the learner
compares their own attempt with it. The tests and known mistakes are the grader's data and stay
out.

The few words on the cards ("Answer", "Sources") are kept here in both languages: the bank
package sits below the app and cannot use its `i18n` table. The app and the CLI pass the app's
`unit_label`, so a Chinese card reads "124,439,808 个参数" as the app does.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import genanki
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Scanned, StateInline

from studyapp.bank.load import get_bank, load_bank
from studyapp.bank.schema import Question, Text
from studyapp.bank.validate import Report, bad_url

Language = Literal["en", "zh", "both"]
LANGUAGE_CHOICES: tuple[Language, ...] = ("both", "en", "zh")
DECK_ROOT = "studyapp"
MODEL_NAME = "studyapp question v1"
FIELDS = ("Question", "Answer", "Sources", "Id")
# A numeric answer's unit as shown in a language, e.g. the app's `widgets.unit_label`, which
# writes "个参数" for "parameters"; without one, the unit as the bank writes it.
UnitLabel = Callable[[str, str], str]


def unit_as_written(unit: str, lang: str) -> str:
    return unit.strip()


WORDS: dict[str, dict[str, str]] = {
    "answer": {"en": "Answer", "zh": "答案"},
    "options": {"en": "Options", "zh": "选项"},
    "correct": {"en": "correct", "zh": "正确"},
    "wrong": {"en": "wrong", "zh": "错误"},
    "value": {"en": "Expected value", "zh": "标准答案"},
    "tolerance": {"en": "accepted within ±", "zh": "允许误差 ±"},
    "starter": {"en": "Starter code", "zh": "初始代码"},
    "hints": {"en": "Hints", "zh": "提示"},
    "solution": {"en": "Reference solution", "zh": "参考实现"},
    "sources": {"en": "Sources", "zh": "出处"},
    "computed_by": {"en": "computed by", "zh": "计算见"},
}

CSS = """\
.card { font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC",
  "Microsoft YaHei", sans-serif; font-size: 18px; line-height: 1.5; text-align: left;
  color: #1f2328; background: #ffffff; max-width: 46em; margin: 0 auto; padding: 0 0.5em; }
/* Anki desktop marks night mode on the card itself, AnkiDroid (older) on an ancestor */
.card.nightMode, .card.night_mode, .nightMode .card, .night_mode .card {
  color: #e6edf3; background: #1e1e1e; }
section + section { border-top: 1px dashed #999; margin-top: 1em; padding-top: 0.5em; }
h4 { margin: 1em 0 0.3em; font-size: 0.85em; text-transform: uppercase; color: #777; }
pre { overflow-x: auto; padding: 0.6em; border-radius: 4px; background: rgba(127,127,127,0.12);
  font-size: 0.8em; line-height: 1.35; }
code { font-family: "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono", monospace; }
:not(pre) > code { padding: 0 0.2em; border-radius: 3px; background: rgba(127,127,127,0.12); }
blockquote { margin: 0.3em 0 0.6em; padding-left: 0.8em; border-left: 3px solid #999;
  color: inherit; opacity: 0.85; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
ol.options > li { margin: 0.3em 0; }
li > p { margin: 0.1em 0; }
.right { color: #1a7f37; } .wrong { color: #cf222e; }
.nightMode .right, .night_mode .right { color: #3fb950; }
.nightMode .wrong, .night_mode .wrong { color: #f85149; }
.value { font-size: 1.2em; font-weight: 600; }
.qid { margin-top: 1.5em; font-size: 0.7em; color: #888; }
"""

FRONT = "{{Question}}"
BACK = (
    '{{FrontSide}}\n<hr id="answer">\n{{Answer}}\n'
    '{{#Sources}}<div class="sources">{{Sources}}</div>{{/Sources}}\n'
    '<div class="qid">{{Id}}</div>'
)


def stable_id(*parts: str) -> int:
    """An Anki model or deck id from fixed strings: the same on every export, in [2^30, 2^31)
    like the ids genanki's documentation draws at random."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def note_guid(question_id: str) -> str:
    return genanki.guid_for(DECK_ROOT, question_id)


MODEL = genanki.Model(
    stable_id("model", MODEL_NAME),
    MODEL_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Card 1", "qfmt": FRONT, "afmt": BACK}],
    css=CSS,
)


# -- Markdown and math ---------------------------------------------------------------------------


def _link_allowed(url: str) -> bool:
    return bad_url(url) is None


_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_MARKDOWN.disable("image")  # `![x](url)` stays text: a card must not fetch anything
_MARKDOWN.validateLink = _link_allowed  # only http(s) links; `javascript:` stays text


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "FWH" and not (
        "\u1100" <= char <= "\u11ff" or "\uac00" <= char <= "\ud7af" or "\u3130" <= char <= "\u318f"
    )


def _softbreak(self, tokens, idx, options, env) -> str:
    # A line break inside a Chinese paragraph is not a space (CSS Text 3; browsers show one).
    before = tokens[idx - 1].content if idx > 0 else ""
    after = tokens[idx + 1].content if idx + 1 < len(tokens) else ""
    if before and after and _wide(before[-1]) and _wide(after[0]):
        return ""
    return "\n"


_MARKDOWN.add_render_rule("softbreak", _softbreak)


class _CjkEmphasisState(StateInline):
    """CommonMark's emphasis rule with the CJK-friendly amendment: next to a Chinese character
    or punctuation mark, punctuation just inside a `**` may meet anything just outside it, as it
    may meet a space, so `**答案。**当` and `**答案。**RLHF` close their bold (Chinese writes no
    space after `。`; plain CommonMark shows the asterisks)."""

    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:  # noqa: N802, N803
        end = start
        while end < self.posMax and self.src[end] == self.src[start]:
            end += 1
        before = self.src[start - 1] if start > 0 else " "
        after = self.src[end] if end < self.posMax else " "
        punct_before = isMdAsciiPunct(ord(before)) or isPunctChar(before)
        punct_after = isMdAsciiPunct(ord(after)) or isPunctChar(after)
        space_before, space_after = isWhiteSpace(ord(before)), isWhiteSpace(ord(after))
        cjk = _wide(before) or _wide(after)
        left = not (space_after or (punct_after and not (space_before or punct_before or cjk)))
        right = not (space_before or (punct_before and not (space_after or punct_after or cjk)))
        can_open = left and (canSplitWord or not right or punct_before)
        can_close = right and (canSplitWord or not left or punct_after)
        return Scanned(can_open, can_close, end - start)


def _parse_inline(src: str, md: MarkdownIt, env, tokens: list) -> list:
    state = _CjkEmphasisState(src, md, env, tokens)
    _MARKDOWN.inline.tokenize(state)
    for rule in _MARKDOWN.inline.ruler2.getRules(""):
        rule(state)
    return state.tokens


_MARKDOWN.inline.parse = _parse_inline

# Placeholders for math while Markdown runs: private-use characters no Markdown rule reacts to.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
# Code (fenced or inline) is skipped, `\$` is a literal dollar, then display and inline math.
_MATH_OR_CODE = re.compile(
    r"(?P<fence>^[ ]{0,3}(?P<ticks>`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}(?P=ticks)[ \t]*$|\Z))"
    r"|(?P<code>(?P<run>`+).+?(?<!`)(?P=run)(?!`))"
    r"|(?P<escaped>\\[\\$])"
    r"|\$\$(?P<display>.+?)\$\$"
    r"|\$(?P<inline>(?:\\.|[^$\\])+?)\$",
    re.MULTILINE | re.DOTALL,
)


# Anki's MathJax reads the page's text, where a character reference is already decoded: an
# invisible word joiner after a backslash keeps a literal `\(` or `\[` from opening math.
_MATHJAX_DELIMITER = re.compile(r"\\(?=[()\[\]])")
WORD_JOINER = "\u2060"


def _no_media(html_text: str) -> str:
    # Anki finds `[sound:...]`, `[latex]` and `[$]` in the field's HTML source: no `[` is left.
    return html_text.replace("[", "&#91;")


def _plain(text: str) -> str:
    """Text as HTML that shows exactly `text`: no tag, no MathJax, no `[sound:...]`."""
    return _no_media(html.escape(_MATHJAX_DELIMITER.sub("\\\\" + WORD_JOINER, text)))


def _text_token(self, tokens, idx, options, env) -> str:
    return _plain(tokens[idx].content)


_MARKDOWN.add_render_rule("text", _text_token)  # code spans and blocks keep their own rules


def markdown_html(text: str) -> str:
    """Bank Markdown as HTML for a card: math in MathJax delimiters, no raw HTML, safe links."""
    maths: list[str] = []

    def take_math(match: re.Match) -> str:
        if match.group("display") is not None:
            maths.append(f"\\[{match.group('display').strip()}\\]")
        elif match.group("inline") is not None:
            maths.append(f"\\({match.group('inline').strip()}\\)")
        else:
            return match.group(0)
        return f"{_OPEN}{len(maths) - 1}{_CLOSE}"

    text = text.replace(_OPEN, "").replace(_CLOSE, "")
    rendered = _no_media(_MARKDOWN.render(_MATH_OR_CODE.sub(take_math, text)))
    return _PLACEHOLDER.sub(lambda m: html.escape(maths[int(m.group(1))], quote=False), rendered)


def code_html(code: str) -> str:
    code = _no_media(html.escape(code.rstrip()))  # MathJax skips <code>: no joiners needed
    return f'<pre><code class="language-python">{code}</code></pre>'


# -- one note ------------------------------------------------------------------------------------


def _languages(language: Language) -> tuple[str, ...]:
    return ("en", "zh") if language == "both" else (language,)


def _word(key: str, language: Language) -> str:
    return " · ".join(WORDS[key][lang] for lang in _languages(language))


def _sections(language: Language, build) -> str:
    """`build(lang)` for each language shown, each in its own `lang`-tagged section."""
    parts = [(lang, build(lang)) for lang in _languages(language)]
    return "".join(f'<section lang="{lang}">{body}</section>' for lang, body in parts if body)


def _text(text: Text, lang: str) -> str:
    return markdown_html(getattr(text, lang))


def number_text(value: float) -> str:
    """124,439,808 for whole numbers, 0.004082 for others, 3.14e+23 when very large or small."""
    if value != 0 and (abs(value) >= 1e15 or abs(value) < 1e-4):
        return f"{value:.6g}"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _front(q: Question, lang: str) -> str:
    parts = [_text(q.question, lang)]
    if q.choices:
        items = "".join(f"<li>{_text(c.text, lang)}</li>" for c in q.choices)
        parts.append(f'<ol class="options" type="A">{items}</ol>')
    if q.code:
        parts.append(f"<h4>{WORDS['starter'][lang]}</h4>{code_html(q.code.starter)}")
        if q.code.hints:
            hints = "".join(f"<li>{_text(hint, lang)}</li>" for hint in q.code.hints)
            parts.append(
                f"<details><summary>{WORDS['hints'][lang]}</summary><ol>{hints}</ol></details>"
            )
    return "".join(parts)


def _back(q: Question, lang: str, unit_label: UnitLabel) -> str:
    parts = []
    if q.numeric:
        shown = unit_label(q.numeric.unit, lang) if q.numeric.unit.strip() else ""
        unit = f" {_plain(shown)}" if shown else ""
        parts.append(
            f'<h4>{WORDS["value"][lang]}</h4><p class="value">{number_text(q.numeric.value)}'
            f"{unit}</p><p>{WORDS['tolerance'][lang]} {number_text(q.numeric.tolerance)}{unit}</p>"
        )
    if q.choices:
        items = []
        for choice in q.choices:
            kind = "right" if choice.correct else "wrong"
            mark = "✔" if choice.correct else "✘"
            verdict = WORDS["correct" if choice.correct else "wrong"][lang]
            items.append(
                f'<li class="{kind}"><span class="{kind}" title="{verdict}">{mark}</span> '
                f"{_text(choice.text, lang)}"
                f"<blockquote>{_text(choice.why, lang)}</blockquote></li>"
            )
        parts.append(
            f'<h4>{WORDS["options"][lang]}</h4><ol class="options" type="A">{"".join(items)}</ol>'
        )
    if q.code:
        parts.append(f"<h4>{WORDS['solution'][lang]}</h4>{code_html(q.code.solution)}")
    parts.append(f"<h4>{WORDS['answer'][lang]}</h4>{_text(q.answer, lang)}")
    return "".join(parts)


def source_html(source, language: Language = "both") -> str:
    """A source as a list item: a link only when its URL passes the validator's check."""
    title = _plain(source.title)
    if bad_url(source.url) is None:
        title = f'<a href="{html.escape(source.url, quote=True)}">{title}</a>'
    item = f"{title}, {_plain(source.where)}"
    if source.quote:
        item += f"<blockquote>{markdown_html(source.quote)}</blockquote>"
    if source.computed_by:
        item += f" ({_word('computed_by', language)} {_plain(source.computed_by)})"
    return f"<li>{item}</li>"


def _tag(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip())  # Anki separates tags by spaces


def note_tags(q: Question) -> list[str]:
    """Hierarchical tags under `studyapp::`, so they never mix with the learner's own."""
    tags = [f"{DECK_ROOT}::topic::{q.topic}", f"{DECK_ROOT}::type::{q.type}"]
    tags.append(f"{DECK_ROOT}::difficulty::{q.difficulty}")
    tags += [f"{DECK_ROOT}::tag::{_tag(tag)}" for tag in q.tags if tag.strip()]
    return tags


def question_note(
    q: Question, language: Language = "both", unit_label: UnitLabel = unit_as_written
) -> genanki.Note:
    sources = "".join(source_html(s, language) for s in q.sources)
    fields = [
        _sections(language, lambda lang: _front(q, lang)),
        _sections(language, lambda lang: _back(q, lang, unit_label)),
        f"<h4>{_word('sources', language)}</h4><ul>{sources}</ul>",
        _plain(q.id),
    ]
    return genanki.Note(model=MODEL, fields=fields, tags=note_tags(q), guid=note_guid(q.id))


# -- the deck ------------------------------------------------------------------------------------


def deck_name(topic: str) -> str:
    return f"{DECK_ROOT}::{topic}"


def build_package(
    questions: Iterable[Question],
    language: Language = "both",
    unit_label: UnitLabel = unit_as_written,
) -> genanki.Package:
    """A package with a deck per topic, each note in its topic's deck, in id order."""
    if language not in LANGUAGE_CHOICES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGE_CHOICES)}, not {language!r}")
    decks: dict[str, genanki.Deck] = {}
    for q in sorted(questions, key=lambda q: (q.topic, q.id)):
        if q.topic not in decks:
            decks[q.topic] = genanki.Deck(stable_id("deck", deck_name(q.topic)), deck_name(q.topic))
        decks[q.topic].add_note(question_note(q, language, unit_label))
    return genanki.Package(list(decks.values()))


def apkg_bytes(
    questions: Iterable[Question],
    language: Language = "both",
    unit_label: UnitLabel = unit_as_written,
) -> bytes:
    buffer = io.BytesIO()
    build_package(questions, language, unit_label).write_to_file(buffer)
    return buffer.getvalue()


def export_apkg(
    bank: Path | str,
    out: Path | str,
    language: Language = "both",
    unit_label: UnitLabel = unit_as_written,
) -> Report:
    """Write the valid questions under `bank` to `out` as a deck; the report names what was
    skipped. The file is written whole or not at all."""
    report = load_bank(bank)
    data = apkg_bytes(report.questions.values(), language, unit_label)
    out = Path(out)
    partial = out.with_name(out.name + ".part")
    partial.write_bytes(data)
    partial.replace(out)
    return report


def bank_apkg(language: Language = "both", unit_label: UnitLabel = unit_as_written) -> bytes:
    """The app's bank (as loaded for the app, re-read on change) as a deck."""
    return apkg_bytes(get_bank().questions.values(), language, unit_label)
