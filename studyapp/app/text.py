"""Text helpers for Markdown the app builds: values shown literally, safe links, Chinese line breaks.

Streamlit renders every label and message as Markdown (plus its own `:red[..]` and `:icon:`
directives and `$math$`), so a value put into such a string can turn into a link, an image or a
code span unless it is escaped. `literal` escapes it; `link` builds a link whose URL and title
cannot escape their place; `join_cjk_breaks` removes the space a browser puts where a Chinese
paragraph was broken across two lines.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
# also disarms Streamlit's `:directive[...]`, `$math$` and GFM's bare `www.`/`http://` links.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# Line breaks would start a new block (a list item, a heading); tabs and other controls would
# render as nothing at all. Both become a visible space.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


# Streamlit's GFM turns "http://...", "www.x" and "a@b.c" into links after escapes are resolved,
# so no backslash stops it: an invisible word joiner where those patterns join does.
_AUTOLINK_JOINTS = re.compile(r"(?=://)|(?<=www)(?=\.)|(?<=[\w.+-])(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def literal(value: object) -> str:
    """`value` as Markdown that renders exactly as its text: no link, image, code, math or HTML."""
    text = _AUTOLINK_JOINTS.sub(WORD_JOINER, _BREAKS.sub(" ", str(value)))
    return _PUNCTUATION.sub(r"\\\1", text)


# A URL keeps only the characters a Markdown link destination cannot be confused by; everything
# else (parentheses, brackets, spaces, quotes, backslashes, `<`, `>`) is percent-encoded.
_URL_SAFE = "/:?#&=%~+,;@-._!*'"


def safe_url(url: str) -> str | None:
    """`url` percent-encoded for a Markdown link, or None unless it is a well-formed http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if _BREAKS.search(url):
        return None
    return quote(url.strip(), safe=_URL_SAFE).replace("!", "%21").replace("*", "%2A")


def link(title: str, url: str) -> str:
    """A Markdown link showing `title` literally; just the title if `url` is not plain http(s)."""
    target = safe_url(url)
    return literal(title) if target is None else f"[{literal(title)}]({target})"


def _wide(char: str) -> bool:
    # CSS Text 3 removes a line break between two East Asian wide characters (not Hangul, which
    # separates words with spaces); browsers do not implement that rule, so it is done here.
    return unicodedata.east_asian_width(char) in "FWH" and not (
        "\u1100" <= char <= "\u11ff" or "\uac00" <= char <= "\ud7af" or "\u3130" <= char <= "\u318f"
    )


# Lines that are complete blocks by themselves: an ATX heading, a table row. The next line starts
# a new block, so the break after them is not a soft break.
_SINGLE_LINE_BLOCK = re.compile(r"^ {0,3}(#{1,6}(\s|$)|\|)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}|\$\$)")


def _soft_break_between(line: str, following: str) -> bool:
    # Two trailing spaces (or a backslash, which is not wide) make a hard break: keep it.
    end = line[:-1] if line.endswith(" ") and not line.endswith("  ") else line
    start = following.lstrip(" \t")
    return (
        bool(end and start)
        and _wide(end[-1])
        and _wide(start[0])
        and not _SINGLE_LINE_BLOCK.match(line)
    )


def _join_soft_breaks(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and _soft_break_between(out[-1], line):
            out[-1] = out[-1].rstrip(" ") + line.lstrip(" \t")
        else:
            out.append(line)
    return out


def _closes(fence: str, line: str) -> bool:
    if fence == "$$":
        return "$$" in line
    return line.strip().startswith(fence) and not line.strip().strip(fence[0])


def join_cjk_breaks(text: str) -> str:
    """`text` with each line break between two Chinese (or Japanese) characters removed.

    Only soft breaks inside a paragraph are joined: fenced code, `$$` math blocks and lines that
    end in a hard break are left alone, and a line that starts with a wide character can never
    be a list item, heading, quote or table row, so Markdown structure is kept.
    """
    if "\n" not in text:
        return text
    out: list[str] = []
    paragraph: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        if fence is not None:
            out.append(line)
            fence = None if _closes(fence, line) else fence
        elif opener := _FENCE.match(line):
            out.extend(_join_soft_breaks(paragraph) if paragraph else [])
            paragraph = []
            out.append(line)
            fence = opener.group(1)
            if fence == "$$" and "$$" in line.strip()[2:]:
                fence = None  # a one-line $$ ... $$ block
        else:
            paragraph.append(line)
    out.extend(_join_soft_breaks(paragraph) if paragraph else [])
    return "\n".join(out)
