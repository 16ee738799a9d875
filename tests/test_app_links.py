"""Internal links keep the learner's place (issue 12): related questions open the question page in
the same tab with the language and the profile; interpolated values are shown literally (issue 11,
items 5 and 14); Chinese line breaks render without a stray space."""

from urllib.parse import parse_qs

import pytest
import streamlit as st
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from studyapp.progress.store import ProgressStore
from tests.bankfixtures import REPO, open_app, study_bank, write_question

APP = str(REPO / "studyapp" / "app" / "main.py")
MD = MarkdownIt("commonmark")


@pytest.fixture
def bank(tmp_path, monkeypatch):
    root = study_bank(tmp_path / "questions")
    recall = root / "bert" / "sample-question.yaml"
    text = recall.read_text(encoding="utf-8")
    text = text.replace(
        "  zh: 它的训练目标是根据两侧上下文预测 $x_i$。",
        "  zh: |-\n    它的训练目标是根据两侧上下文，\n    预测被遮住的词 $x_i$。",
    )
    text = text.replace("where: Section 3.1", "where: 'Section *3.1* [x](http://evil.example)'")
    recall.write_text(text, encoding="utf-8")
    choice = root / "bert" / "pick-the-encoder.yaml"
    text = choice.read_text(encoding="utf-8").replace("related: []", "related: [sample-question]")
    text = text.replace(
        "  zh: 它的训练目标是根据两侧上下文预测 $x_i$。",
        "  zh: |-\n    它的训练目标是根据两侧上下文，\n    预测被遮住的词 $x_i$。",
    )
    text = text.replace("where: Section 3.1", "where: 'Section *3.1* [x](http://evil.example)'")
    choice.write_text(text, encoding="utf-8")
    monkeypatch.setenv("STUDYAPP_BANK", str(root))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield root
    st.cache_resource.clear()


def links_to_questions(at: AppTest) -> list[tuple[str, dict[str, list[str]]]]:
    return [
        (e.proto.label, parse_qs(e.proto.query_string))
        for e in at.get("page_link")
        if e.proto.page == "question"
    ]


def only_text(markdown: str) -> str:
    """The text `markdown` shows, failing if it would show anything but text."""
    tokens = [c for t in MD.parse(markdown) if t.type == "inline" for c in t.children]
    assert {t.type for t in tokens} <= {"text", "softbreak", "strong_open", "strong_close"}, tokens
    return "".join(t.content for t in tokens).replace("\u2060", "")  # the autolink breaker


def reveal(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.key and b.key.endswith("-reveal")]
    button.click().run()
    assert not at.exception, at.exception
    return at


def answered(lang: str, **query) -> AppTest:
    """The choice question's page once the learner has answered it: the answer shows in full."""
    at = open_app(q="pick-the-encoder", lang=lang, **query)
    radio = at.radio[0]
    right = "编码器" if lang == "zh" else "The encoder"
    radio.set_value(next(i for i in range(2) if radio.format_func(i) == right)).run()
    [submit] = [b for b in at.button if b.key and b.key.endswith("-submit")]
    submit.click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_related_link_opens_the_question_page_in_the_same_language(bank, lang):
    [(label, query)] = links_to_questions(answered(lang))
    assert label == (
        "为什么 BERT 不能从左到右生成文本？"
        if lang == "zh"
        else "Why can BERT not generate text left to right?"
    )
    assert query == {"q": ["sample-question"], "lang": [lang], "profile": ["1"]}


def test_related_links_keep_the_sessions_profile(bank, tmp_path):
    with ProgressStore(tmp_path / "progress.db") as db:
        db.default_profile()
        other = db.create_profile("Other")
    [(_, query)] = links_to_questions(answered("zh", profile=str(other.id)))
    assert query["profile"] == [str(other.id)] and query["lang"] == ["zh"]


def test_no_internal_link_is_a_markdown_link(bank):
    """Markdown links open a new tab in Streamlit and resolve against the current page."""
    for md in answered("en").markdown:
        hrefs = [
            c.attrs["href"]
            for t in MD.parse(md.value)
            if t.type == "inline"
            for c in t.children
            if c.type == "link_open"
        ]
        assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs


def test_chinese_line_breaks_render_without_a_space(bank):
    shown = [m.value for m in answered("zh").markdown]
    assert "它的训练目标是根据两侧上下文，预测被遮住的词 $x_i$。" in shown


def test_a_source_locator_is_shown_literally(bank):
    [sources] = [m.value for m in answered("en").markdown if "arxiv.org" in m.value]
    tokens = [c for t in MD.parse(sources) if t.type == "inline" for c in t.children]
    assert [t.type for t in tokens if t.type.endswith("_open")] == ["link_open"]
    assert (
        "".join(t.content for t in tokens)
        .replace("\u2060", "")
        .endswith("Section *3.1* [x](http://evil.example)")
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "x`](http://evil.example)`",
        "[click](http://evil.example)",
        "![](http://evil.example/t.png)",
        "<b>bold</b>",
        "$\\rule{9em}{9em}$",
        "*a* _b_",
    ],
)
def test_an_unknown_question_id_is_shown_literally(bank, hostile):
    at = open_app(q=hostile)
    warning = at.warning[0].value
    assert hostile in only_text(warning)


def test_a_broken_file_name_is_shown_literally(bank):
    name = "![x](http:evil.example) `y` *z*"
    write_question(bank, "id: [broken", topic="bert", qid=name)
    at = open_app()
    [title] = [m.value for m in at.markdown if "evil" in m.value]
    assert only_text(title).endswith(f"{name}.yaml")


def test_topic_links_on_today_open_a_quiz_in_the_same_language(bank):
    at = open_app(lang="zh")
    links = [(e.proto.label, parse_qs(e.proto.query_string)) for e in at.get("page_link")]
    topics = [(label, q["topic"], q["lang"]) for label, q in links if "topic" in q]
    assert topics == [("BERT", ["bert"], ["zh"]), ("模型规模", ["sizes"], ["zh"])]
    assert all(
        e.proto.page == "quiz" for e in at.get("page_link") if "topic=" in e.proto.query_string
    )


def test_a_topic_link_preselects_the_quiz_topic(bank):
    at = open_app("quiz", topic="sizes", lang="zh")
    assert at.multiselect(key="quiz_topics").value == ["sizes"]


def test_a_numeric_answer_reads_its_unit_in_chinese(bank):
    at = open_app(q="gpt2-small-params", lang="zh")
    assert "个参数" in at.text_input[0].label
    at.text_input[0].input("124439808")
    [submit] = [b for b in at.button if b.key and b.key.endswith("-submit")]
    submit.click().run()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "124,439,808 个参数" in shown
    assert "parameters" not in shown
