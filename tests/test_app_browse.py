"""The app under Streamlit's own test runner: it starts, degrades gracefully and browses the bank."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.bankfixtures import REPO, VALID, write_question

APP = str(REPO / "studyapp" / "app" / "main.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    st.cache_resource.clear()

    def start(bank=None, query=None) -> AppTest:
        if bank is not None:
            monkeypatch.setenv("STUDYAPP_BANK", str(bank))
        at = AppTest.from_file(APP, default_timeout=30)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        return at.switch_page("pages/browse.py").run()

    return start


def expander_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def test_starts_with_a_broken_file_and_names_it(app, tmp_path):
    write_question(tmp_path, VALID)
    write_question(
        tmp_path, VALID.replace("difficulty: 2", "difficulty: 2\ndifficulty: 3"), qid="dup-key"
    )
    write_question(tmp_path, "- a list\n", topic="gpt", qid="top-level-list")
    at = app(tmp_path)
    assert not at.exception
    warning = [e for e in at.expander if "2 question file(s) could not be loaded" in e.label]
    assert len(warning) == 1
    shown = "\n".join(c.value for c in warning[0].code)
    assert "bert/dup-key.yaml:6:1: Y004 duplicate key 'difficulty'" in shown
    assert "gpt/top-level-list.yaml:1:1: Y008" in shown
    # The valid question is still served.
    assert any("Why can BERT not generate text" in label for label in expander_labels(at))
    assert "1 of 1 questions" in at.caption[0].value


def test_empty_bank_says_so(app, tmp_path):
    at = app(tmp_path)
    assert not at.exception
    assert "has no valid question yet" in at.info[0].value


def test_search_matches_either_language(app, tmp_path):
    write_question(tmp_path, VALID)
    write_question(
        tmp_path,
        VALID.replace("sample-question", "other-question").replace("Why can BERT", "How does GPT"),
        qid="other-question",
    )
    at = app(tmp_path)
    assert "2 of 2 questions" in at.caption[0].value
    at.text_input(key="q_search").input("从左到右 GPT").run()
    assert "1 of 2 questions" in at.caption[0].value
    assert any("How does GPT" in label for label in expander_labels(at))
    at.text_input(key="q_search").input("nothing-like-this").run()
    assert "No question matches" in at.info[0].value


def test_chinese_interface_and_text(app, tmp_path):
    write_question(tmp_path, VALID)
    at = app(tmp_path, query={"lang": "zh"})
    assert at.title[0].value == "浏览"
    assert any("为什么 BERT 不能从左到右生成文本" in label for label in expander_labels(at))


def test_browse_expands_the_question_of_the_url(app, tmp_path):
    write_question(tmp_path, VALID)
    at = app(tmp_path, query={"q": "sample-question"})
    opened = [e for e in at.expander if "Why can BERT" in e.label]
    assert opened and opened[0].proto.expanded


def test_raw_html_in_the_bank_is_not_rendered(app, tmp_path):
    write_question(
        tmp_path, VALID.replace("It is trained", "<script>alert(1)</script> It is trained")
    )
    at = app(tmp_path)
    markdown = [m for m in at.markdown if "<script>" in m.value]
    assert markdown and not any(m.proto.allow_html for m in markdown)


def test_shipped_bank_renders_every_question_in_both_languages(app):
    from studyapp.bank.load import load_bank

    questions = load_bank(REPO / "questions").questions
    for lang in ("en", "zh"):
        at = app(REPO / "questions", query={"lang": lang})
        assert not at.exception
        assert not [e for e in at.expander if "could not be loaded" in e.label]
        assert len(at.expander) == len(questions)  # one per question, answer inside
        shown = "\n".join(m.value for m in at.markdown)
        for q in questions.values():
            assert getattr(q.answer, lang).strip()[:40] in shown, (lang, q.id)


def test_source_locators_are_shown_literally(app, tmp_path):
    write_question(
        tmp_path, VALID.replace("where: Section 3.1", "where: 'Section 3.1 (Task #1 Masked LM)'")
    )
    at = app(tmp_path)
    sources = [m.value for m in at.markdown if "arxiv.org/abs/1810.04805" in m.value]
    assert sources == [
        "- [BERT](https://arxiv.org/abs/1810.04805), Section 3\\.1 \\(Task \\#1 Masked LM\\)"
    ]
