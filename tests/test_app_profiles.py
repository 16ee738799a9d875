"""The active profile belongs to the browser session and its URL, never to the whole database
(issue 11, item 2): picking one in Settings leaves other sessions alone, a reload keeps it, a new
profile becomes the session's, the default changes only on request, deleting asks for the name."""

import json

import pytest
import streamlit as st
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from studyapp.progress.store import ProgressStore
from tests.bankfixtures import REPO, open_app, study_bank

APP = str(REPO / "studyapp" / "app" / "main.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    bank = study_bank(tmp_path / "questions")
    path = tmp_path / "progress.db"
    monkeypatch.setenv("STUDYAPP_BANK", str(bank))
    monkeypatch.setenv("STUDYAPP_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    with ProgressStore(path) as store:
        store.default_profile()
        store.create_profile("Second")
    yield path
    st.cache_resource.clear()


def profile_ids(path) -> dict[str, int]:
    with ProgressStore(path) as store:
        return {p.name: p.id for p in store.list_profiles()}


def default_name(path) -> str:
    with ProgressStore(path) as store:
        return store.default_profile().name


def header_profile(at: AppTest) -> str:
    [chip] = [e for e in at.get("page_link") if e.proto.page == "settings"]
    return chip.proto.label


def answer_numeric(at: AppTest) -> None:
    at.multiselect(key="quiz_types").select("numeric").run()
    at.button(key="quiz_start").click().run()
    at.text_input[0].input("124439808")
    [submit] = [b for b in at.button if b.label == "Check answer"]
    submit.click().run()
    assert not at.exception, at.exception


def reviews_of(path, name: str) -> int:
    with ProgressStore(path) as store:
        return store.review_count(profile_ids(path)[name])


def test_picking_a_profile_leaves_other_sessions_and_the_default_alone(db):
    second = profile_ids(db)["Second"]
    mine = open_app("settings")
    mine.selectbox[0].select(second).run()
    assert not mine.exception
    assert header_profile(mine) == "Second"
    assert mine.query_params["profile"] == str(second)
    assert default_name(db) == "default"

    other = open_app("quiz")  # another browser session that never picked a profile
    assert header_profile(other) == "default"
    answer_numeric(other)
    assert (reviews_of(db, "default"), reviews_of(db, "Second")) == (1, 0)


def test_the_url_profile_survives_a_reload_and_a_change_of_page(db):
    second = profile_ids(db)["Second"]
    at = open_app("quiz", profile=str(second))
    assert header_profile(at) == "Second"
    at.switch_page("app_pages/stats.py").run()  # a change of page drops the query string
    assert header_profile(at) == "Second"
    answer_numeric(at.switch_page("app_pages/quiz.py").run())
    assert (reviews_of(db, "default"), reviews_of(db, "Second")) == (0, 1)


@pytest.mark.parametrize("bad", ["999", "abc", "-1", "1" * 40])
def test_an_unknown_or_malformed_url_profile_falls_back_to_the_default(db, bad):
    at = open_app(profile=bad)
    assert header_profile(at) == "default"


def test_a_new_profile_becomes_the_sessions_and_survives_a_reload(db):
    at = open_app("settings")
    at.text_input(key="new_profile_name").input("Third").run()
    at.button(key="create_profile").click().run()
    assert not at.exception, at.exception
    third = profile_ids(db)["Third"]
    assert header_profile(at) == "Third"
    assert at.query_params["profile"] == str(third)
    assert default_name(db) == "default"
    reloaded = open_app("settings", profile=str(third))
    assert header_profile(reloaded) == "Third"


def test_the_default_changes_only_on_request(db):
    second = profile_ids(db)["Second"]
    at = open_app("settings", profile=str(second))
    assert default_name(db) == "default"
    at.button(key="make_default").click().run()
    assert default_name(db) == "Second"
    assert header_profile(open_app()) == "Second"  # a new session opens in it
    assert "make_default" not in [b.key for b in at.button]


def test_deleting_a_profile_asks_for_its_name(db):
    second = profile_ids(db)["Second"]
    at = open_app("settings", profile=str(second))
    delete = at.button(key="delete_profile")
    assert delete.disabled
    at.text_input(key=f"delete_confirm_{second}").input("second").run()  # not the exact name
    assert at.button(key="delete_profile").disabled
    at.text_input(key=f"delete_confirm_{second}").input("Second").run()
    at.button(key="delete_profile").click().run()
    assert not at.exception, at.exception
    assert set(profile_ids(db)) == {"default"}
    assert header_profile(at) == "default"
    assert "profile" not in at.query_params


def test_a_profile_name_is_shown_literally(db):
    hostile = "![x](http://evil.example/t.png) `b` *c*"
    with ProgressStore(db) as store:
        evil = store.create_profile(hostile)
    at = open_app("settings", profile=str(evil.id))
    label = header_profile(at)
    md = MarkdownIt("commonmark")
    tokens = [c for t in md.parse(label) if t.type == "inline" for c in t.children]
    assert [t.type for t in tokens] == ["text"]
    assert tokens[0].content.replace("\u2060", "") == hostile  # minus the autolink breaker
    [confirm] = [w for w in at.text_input if w.key == f"delete_confirm_{evil.id}"]
    assert "\\!\\[x\\]" in confirm.label


def upload(at: AppTest, content: bytes) -> AppTest:
    at.file_uploader(key="import_file").set_value(("progress.json", content, "application/json"))
    at.run()
    [button] = [b for b in at.button if b.label == "Import into this profile"]
    button.click().run()
    assert not at.exception, at.exception
    return at


def test_an_import_error_is_shown_literally_and_changes_nothing(db):
    hostile = "![x](http://evil.example/t.png)`y`"
    entry = {
        "question_id": hostile,
        "kind": "recall",
        "rating": 9,
        "reviewed_at": "2026-01-01T00:00:00+00:00",
    }
    bad = json.dumps({"format": "studyapp-progress", "version": 1, "reviews": [entry]})
    at = upload(open_app("settings"), bad.encode())
    [error] = at.error
    md = MarkdownIt("commonmark")
    kinds = {c.type for t in md.parse(error.value) if t.type == "inline" for c in t.children}
    assert kinds <= {"text", "softbreak"}, error.value
    assert error.value.startswith("Nothing was imported") and "evil" in error.value
    assert reviews_of(db, "default") == 0


def test_an_import_reports_what_it_added(db):
    with ProgressStore(db) as store:
        donor = store.create_profile("Donor")
        store.record_review(donor.id, "sample-question", kind="recall", rating=3)
        exported = store.export_json(donor.id)
    at = upload(open_app("settings"), exported.encode())
    assert [s.value for s in at.success] == ["Imported 1 reviews (0 were already here)."]
    assert reviews_of(db, "default") == 1
