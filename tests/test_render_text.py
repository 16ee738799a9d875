"""The Markdown helpers: values shown literally, links that cannot break out, Chinese line breaks.

A CommonMark parser (markdown-it, as Streamlit's react-markdown follows CommonMark) checks what the
built Markdown turns into, rather than comparing strings.
"""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from studyapp.app.text import WORD_JOINER, join_cjk_breaks, link, literal, safe_url

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def inline_tokens(markdown: str) -> list:
    blocks = MD.parse(markdown)
    return [child for tok in blocks if tok.type == "inline" for child in tok.children]


HOSTILE = [
    "`x` breaks out",
    "[click](http://evil.example)",
    "![](http://evil.example/track.png)",
    "<b>bold</b><script>alert(1)</script>",
    "$\\rule{5000em}{5000em}$",
    "*stars* and _under_ and ~~gone~~",
    ":red[coloured] :material/home:",
    "# heading",
    "- list item",
    "1. numbered",
    "> quote",
    "| a | b |",
    "http://bare.example and www.bare.example",
    "line one\nline two\n\n- list",
    "back\\slash\\`",
    "&amp; &#60;",
]


# The patterns GFM (mdast-util-gfm-autolink-literal, as in Streamlit) links in text that has
# already been unescaped: a URL with its scheme, a www. name, an e-mail address.
GFM_AUTOLINK = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE)


@pytest.mark.parametrize(
    "value", ["http://evil.example", "see www.evil.example", "mail me@evil.example", "HTTPS://X.Y"]
)
def test_literal_text_is_never_autolinked(value):
    shown = "".join(t.content for t in inline_tokens(literal(value)))
    assert GFM_AUTOLINK.search(value) and not GFM_AUTOLINK.search(shown)
    assert shown.replace(WORD_JOINER, "") == value


@pytest.mark.parametrize("value", HOSTILE)
def test_literal_renders_as_exactly_its_text(value):
    tokens = inline_tokens(literal(value))
    assert {t.type for t in tokens} == {"text"}, tokens
    shown = "".join(t.content for t in tokens).replace(WORD_JOINER, "")
    assert shown == re.sub(r"\n+", " ", value)
    assert len(MD.parse(literal(value))) == 3  # one paragraph: open, inline, close


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60))
def test_literal_never_produces_markup(value):
    tokens = inline_tokens(literal(value))
    assert {t.type for t in tokens} <= {"text"}
    shown = "".join(t.content for t in tokens).replace(WORD_JOINER, "")
    assert not GFM_AUTOLINK.search("".join(t.content for t in tokens))
    # Every non-space character shows as itself (CommonMark turns NUL into U+FFFD).
    expected = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", value).replace("\x00", "\ufffd")
    assert "".join(shown.split()) == "".join(expected.split())


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/1810.04805)![x](http://evil.example/t.png",
        "https://example.org/a_(b)[c]!d",
        'https://example.org/"quoted" <tag>',
        "https://example.org/a b",
    ],
)
def test_a_source_url_cannot_inject_markdown(url):
    tokens = inline_tokens(link("Title ](x)", url))
    kinds = [t.type for t in tokens]
    assert kinds == ["link_open", "text", "link_close"], kinds
    assert tokens[1].content == "Title ](x)"
    assert tokens[0].attrs["href"].startswith("https://example.org/") or tokens[0].attrs[
        "href"
    ].startswith("https://arxiv.org/abs/1810.04805")
    assert not any(c in tokens[0].attrs["href"] for c in '()[]<> "')


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "//evil.example", "http://", "ftp://a.b/c"]
)
def test_only_http_urls_become_links(url):
    assert safe_url(url) is None
    assert [t.type for t in inline_tokens(link("Title", url))] == ["text"]


def test_a_plain_url_is_kept_as_it_is():
    assert safe_url("https://arxiv.org/abs/1810.04805v2#page=3") == (
        "https://arxiv.org/abs/1810.04805v2#page=3"
    )


# ---- Chinese line breaks -------------------------------------------------------------------


def test_the_issue_example_loses_its_stray_space():
    assert join_cjk_breaks("数据并行复制整个模型到每个主副本，\n以及优化器状态。") == (
        "数据并行复制整个模型到每个主副本，以及优化器状态。"
    )


def test_breaks_next_to_latin_text_or_math_stay():
    text = "BERT 使用\nMLM 目标，预测 $x_i$\n的概率。"
    assert join_cjk_breaks(text) == text


def test_markdown_structure_is_kept():
    text = "第一段，\n继续。\n\n- 列表项，\n  继续说明\n- 第二项\n\n```python\n中\n文\n```\n\n$$\n中\n文\n$$\n硬换行  \n下一行"
    assert join_cjk_breaks(text) == (
        "第一段，继续。\n\n- 列表项，继续说明\n- 第二项\n\n```python\n中\n文\n```\n\n$$\n中\n文\n$$\n"
        "硬换行  \n下一行"
    )


def test_japanese_joins_and_korean_keeps_its_space():
    assert join_cjk_breaks("日本語の\nテキスト") == "日本語のテキスト"
    assert join_cjk_breaks("한국어\n문장") == "한국어\n문장"


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80)
PIECES = st.one_of(
    st.text(HAN, min_size=1, max_size=5),
    st.sampled_from(["，", "。", "$x$", "**粗**", "`code`", "BERT", " ", "(1)", "中文"]),
)
LINE = st.lists(PIECES, min_size=1, max_size=5).map("".join)
BLOCK_LINE = st.one_of(
    LINE,
    LINE.map(lambda s: "- " + s),
    LINE.map(lambda s: "1. " + s),
    LINE.map(lambda s: "# " + s),
    LINE.map(lambda s: "> " + s),
    LINE.map(lambda s: s + "  "),
    st.just(""),
    st.just("```"),
    st.just("$$"),
)
DOCUMENT = st.lists(BLOCK_LINE, min_size=1, max_size=12).map("\n".join)


def block_structure(markdown: str) -> list[str]:
    return [t.type for t in MD.parse(markdown) if t.type != "inline"]


def shown_text(markdown: str) -> str:
    """The characters a reader sees, without the whitespace between them."""
    return "".join("".join(t.content.split()) for t in MD.parse(markdown) if t.content)


@settings(max_examples=400, deadline=None)
@given(DOCUMENT)
def test_joining_keeps_structure_and_characters(document):
    joined = join_cjk_breaks(document)
    assert block_structure(joined) == block_structure(document)
    assert shown_text(joined) == shown_text(document)
    assert joined.replace("\n", "").replace(" ", "") == document.replace("\n", "").replace(" ", "")
    assert join_cjk_breaks(joined) == joined  # idempotent


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(HAN, min_size=1, max_size=6), min_size=2, max_size=6))
def test_no_break_between_two_chinese_characters_survives_in_a_paragraph(lines):
    assert join_cjk_breaks("\n".join(lines)) == "".join(lines)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(max_codepoint=0x7F), max_size=80))
def test_text_without_wide_characters_is_unchanged(text):
    assert join_cjk_breaks(text) == text


# ---- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "lang", "shown"),
    [
        ("parameters", "en", "parameters"),
        ("parameters", "zh", "个参数"),
        ("million parameters", "zh", "百万个参数"),
        ("billion parameters", "zh", "十亿个参数"),
        ("million FLOPs per token", "zh", "百万 FLOPs/词元"),
        ("× 10^23 FLOPs", "en", "× 10²³ FLOPs"),
        ("× 10^23 FLOPs", "zh", "× 10²³ FLOPs"),
        ("GB", "zh", "GB"),
        ("tokens", "zh", "个词元"),
    ],
)
def test_units_are_shown_in_the_language_with_powers_as_math(unit, lang, shown):
    from studyapp.app.widgets import unit_label

    assert unit_label(unit, lang) == shown


def test_every_unit_in_the_bank_reads_in_chinese_or_is_a_symbol():
    from studyapp.app.widgets import unit_label
    from studyapp.bank.load import load_bank

    bank = load_bank(Path(__file__).resolve().parents[1] / "questions")
    units = {q.numeric.unit for q in bank.questions.values() if q.numeric}
    assert len(units) > 10
    latin_words = {
        u: unit_label(u, "zh")
        for u in units
        if any(
            len(word) > 5 and word.isalpha() and word.islower()
            for word in unit_label(u, "zh").split()
        )
    }
    assert not latin_words


def test_dates_read_in_the_language():
    from datetime import date

    from studyapp.app.widgets import date_label

    assert date_label(date(2026, 12, 1), "en") == "Dec 1, 2026"
    assert date_label(date(2026, 12, 1), "zh") == "2026年12月1日"


def test_the_whole_bank_keeps_its_structure_and_loses_every_chinese_break():
    from studyapp.app.text import _wide
    from studyapp.bank.load import load_bank

    bank = load_bank(Path(__file__).resolve().parents[1] / "questions")
    texts = [
        t.zh
        for q in bank.questions.values()
        for t in (q.question, q.answer, *(x for c in q.choices or [] for x in (c.text, c.why)))
    ]
    joined_breaks = 0
    for text in texts:
        joined = join_cjk_breaks(text)
        assert block_structure(joined) == block_structure(text), text
        assert shown_text(joined) == shown_text(text)
        joined_breaks += text.count("\n") - joined.count("\n")
        lines = joined.split("\n")
        fenced = False
        for line, following in zip(lines, lines[1:], strict=False):
            fenced ^= line.lstrip().startswith(("```", "$$"))
            paragraph = not fenced and not line.lstrip().startswith(("#", "|"))
            if paragraph and line and following.strip() and not line.endswith("  "):
                assert not (_wide(line[-1]) and _wide(following.lstrip()[0])), (line, following)
    assert joined_breaks > 100  # the issue counted 644 such breaks in 157 files


def test_every_topic_in_the_bank_has_a_name_in_both_languages():
    from studyapp.app.i18n import STRINGS

    topics = {p.name for p in (Path(__file__).resolve().parents[1] / "questions").iterdir()}
    topics = {t for t in topics if (Path(__file__).resolve().parents[1] / "questions" / t).is_dir()}
    assert len(topics) > 8
    missing = {t for t in topics if set(STRINGS.get(f"topic_{t}", {})) != {"en", "zh"}}
    assert not missing
