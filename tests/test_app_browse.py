"""The Browse page under Streamlit's own test runner: it starts, degrades gracefully, shows a page
of titles with ranked search, filters by status, and draws an answer only when it is opened."""

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studyapp import semantic
from studyapp.bank.load import load_bank
from studyapp.bank.search import MAX_QUERY_CHARS, title_of
from studyapp.progress.scheduling import Rating
from studyapp.progress.store import ProgressStore
from tests.bankfixtures import REPO, VALID, write_question

APP = str(REPO / "studyapp" / "app" / "main.py")


@pytest.fixture
def shipped(tmp_path):
    """A copy of the shipped bank: the test reads the same files as the app, even while
    someone edits the bank."""
    copy = tmp_path / "shipped"
    shutil.copytree(REPO / "questions", copy)
    return copy


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    # The keyword ranking, with or without the 'real' extra installed (search by meaning is
    # tested in test_app_browse_meaning.py).
    monkeypatch.setattr(semantic, "available", lambda: False)
    st.cache_resource.clear()

    def start(bank=None, query=None) -> AppTest:
        if bank is not None:
            monkeypatch.setenv("STUDYAPP_BANK", str(bank))
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        return at.switch_page("app_pages/browse.py").run()

    return start


def titles(at: AppTest) -> list[str]:
    """The questions listed, in order (an expander per question; the bank warning is not one)."""
    return [e.label for e in at.expander if not e.label.startswith(":warning:")]


def open_question(at: AppTest, qid: str) -> AppTest:
    at.session_state[f"q-{qid}"] = True  # what clicking the expander does
    return at.run()


def shown_markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


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
    assert any("Why can BERT not generate text" in label for label in titles(at))
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
    assert [label.split("  \n")[0] for label in titles(at)] == [
        "How does GPT not generate text left to right?"
    ]
    at.text_input(key="q_search").input("nothing-like-this").run()
    assert "No question matches" in at.info[0].value


def test_kv_cache_search_ranks_the_kv_cache_questions_first_with_a_snippet(app, shipped):
    at = app(shipped)
    at.text_input(key="q_search").input("KV-cache").run()
    assert not at.exception
    top = titles(at)[:4]
    assert all("KV cache" in label or "KV" in label.split("  \n")[2] for label in top), top
    # The snippet (third line of each title) marks the matched words in bold.
    assert all("**" in label.split("  \n")[2] for label in top)
    assert any("**KV cache**" in label for label in top)
    at.text_input(key="q_search").input("kv cache").run()
    assert titles(at)[:4] == top


def test_chinese_search_finds_chinese_text_in_the_chinese_interface(app, shipped):
    at = app(shipped, query={"lang": "zh"})
    at.text_input(key="q_search").input("位置编码").run()
    assert not at.exception
    labels = titles(at)
    assert labels and all("**位置" in label.split("  \n")[2] for label in labels[:5])


def test_a_snippet_shows_bank_text_literally(app, tmp_path):
    write_question(
        tmp_path,
        VALID.replace(
            "It is trained to predict $x_i$ from both sides.",
            "It is trained [here](javascript:alert(1)) <b>bold</b> :red[red] to predict.",
        ),
    )
    at = app(tmp_path)
    at.text_input(key="q_search").input("trained").run()
    [label] = titles(at)
    snippet = label.split("  \n")[2]
    assert "**trained**" in snippet
    assert "\\[here\\]\\(javascript\\:alert\\(1\\)\\)" in snippet  # escaped: no link
    assert "\\<b\\>bold\\<\\/b\\>" in snippet and "\\:red\\[red\\]" in snippet


def test_titles_are_the_first_sentence(app, tmp_path):
    write_question(
        tmp_path,
        VALID.replace(
            "Why can BERT not generate text left to right?",
            "BERT reads both sides (Devlin et al. 2019). Why can it not generate text?",
        ),
    )
    at = app(tmp_path)
    [label] = titles(at)
    assert label.split("  \n")[0] == "BERT reads both sides (Devlin et al. 2019)."


def listed_ids(at: AppTest, questions: dict, lang: str = "en") -> list[str]:
    """The ids of the questions listed, in order, recognised by their titles."""
    by_title = {title_of(getattr(q.question, lang)): qid for qid, q in questions.items()}
    assert len(by_title) == len(questions)  # titles tell questions apart
    return [by_title[label.split("  \n")[0]] for label in titles(at)]


def test_a_page_of_titles_and_an_answer_drawn_only_when_opened(app, shipped):
    questions = load_bank(shipped).questions
    at = app(shipped)
    assert not at.exception
    assert len(titles(at)) == 25 and f"{len(questions)} of {len(questions)}" in at.caption[0].value
    # Nothing of any answer is drawn while every question is closed.
    assert not any(q.answer.en.strip()[:40] in shown_markdown(at) for q in questions.values())
    assert not [m for m in at.markdown if "**Answer**" in m.value]
    qid = listed_ids(at, questions)[3]
    at = open_question(at, qid)
    assert questions[qid].answer.en.strip()[:40] in shown_markdown(at)


def test_every_question_of_the_shipped_bank_opens_in_both_languages(app, shipped):
    questions = load_bank(shipped).questions
    for lang in ("en", "zh"):
        at = app(shipped, query={"lang": lang})
        assert not at.exception
        seen: list[str] = []
        for page in range(1, int(at.number_input(key="browse_page").max) + 1):
            at.number_input(key="browse_page").set_value(page).run()
            on_page = listed_ids(at, questions, lang)
            for qid in on_page:
                at.session_state[f"q-{qid}"] = True
            at.run()
            assert not at.exception, (lang, page)
            shown = shown_markdown(at)
            for qid in on_page:
                assert getattr(questions[qid].answer, lang).strip()[:40] in shown, (lang, qid)
            seen += on_page
        assert sorted(seen) == sorted(questions), lang


def test_browse_expands_the_question_of_the_url(app, tmp_path):
    write_question(tmp_path, VALID)
    at = app(tmp_path, query={"q": "sample-question"})
    opened = [e for e in at.expander if "Why can BERT" in e.label]
    assert opened and opened[0].proto.expanded
    assert "It is trained to predict" in shown_markdown(at)


def test_raw_html_in_the_bank_is_not_rendered(app, tmp_path):
    write_question(
        tmp_path, VALID.replace("It is trained", "<script>alert(1)</script> It is trained")
    )
    at = app(tmp_path, query={"q": "sample-question"})
    markdown = [m for m in at.markdown if "<script>" in m.value]
    assert markdown and not any(m.proto.allow_html for m in markdown)


def test_source_locators_are_shown_literally(app, tmp_path):
    write_question(
        tmp_path, VALID.replace("where: Section 3.1", "where: 'Section 3.1 (Task #1 Masked LM)'")
    )
    at = app(tmp_path, query={"q": "sample-question"})
    sources = [m.value for m in at.markdown if "arxiv.org/abs/1810.04805" in m.value]
    assert len(sources) == 1 and "Section 3\\.1 \\(Task \\#1 Masked LM\\)" in sources[0]


def test_a_huge_query_in_the_url_is_cut_and_says_so(app, tmp_path):
    write_question(tmp_path, VALID)
    at = app(tmp_path, query={"q_search": "bert " * 12_000})
    assert not at.exception
    assert len(at.text_input(key="q_search").value) <= MAX_QUERY_CHARS
    assert any(f"first {MAX_QUERY_CHARS} characters" in c.value for c in at.caption)
    assert "1 of 1 questions" in " ".join(c.value for c in at.caption)


def test_status_filters_and_due_dates(app, tmp_path):
    names = ("q-new", "q-again", "q-good", "q-later")
    for qid in names:
        write_question(
            tmp_path,
            VALID.replace("sample-question", qid).replace(
                "Why can BERT", f"{qid} asks why can BERT"
            ),
            qid=qid,
        )
    at = app(tmp_path)  # creates the database and the default profile
    db = ProgressStore(str(tmp_path / "progress.db"))
    me = db.default_profile()
    long_ago = datetime.now(UTC) - timedelta(days=400)
    db.record_review(me.id, "q-again", kind="recall", rating=Rating.Again)
    db.record_review(me.id, "q-good", kind="recall", rating=Rating.Good, reviewed_at=long_ago)
    db.record_review(me.id, "q-later", kind="recall", rating=Rating.Again, reviewed_at=long_ago)
    db.record_review(me.id, "q-later", kind="recall", rating=Rating.Easy)
    later_due = db.get_card(me.id, "q-later").due
    db.close()

    def shown(*status: str) -> set[str]:
        at.multiselect(key="browse_status").set_value(list(status)).run()
        assert not at.exception
        return {label.split()[0] for label in titles(at)}

    assert shown() == set(names)
    assert shown("new") == {"q-new"}
    assert shown("seen") == {"q-again", "q-good", "q-later"}
    assert shown("again") == {"q-again"}  # q-later was Again once, then Easy
    assert shown("easy") == {"q-later"}
    assert shown("due") == {"q-good"}  # reviewed 400 days ago: due long since
    assert shown("new", "easy") == {"q-new", "q-later"}
    at.multiselect(key="browse_status").set_value(["easy"]).run()
    [label] = titles(at)
    assert f"due {later_due.date().isoformat()}" in label  # (the test runs in UTC)
    at.multiselect(key="browse_status").set_value(["new"]).run()
    assert "Never seen" in titles(at)[0]
