"""In Chromium: Settings' Anki button downloads a deck the real server builds on click."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_idle
from tests.test_anki import Deck

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(study_app):
    return study_app


def test_settings_downloads_an_anki_deck_in_the_chosen_language(app, page, tmp_path):
    page.goto(app.url + "/settings")
    wait_idle(page)
    button = page.get_by_role("button", name=re.compile(r"Download the Anki deck"))
    # Drawn last: until it is, the last "中文" on the page could be the interface's language.
    expect(button).to_be_visible(timeout=60_000)
    page.get_by_text("中文", exact=True).last.click()  # the deck's language, below the profile's
    wait_idle(page)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    assert download.value.suggested_filename == "studyapp-zh.apkg"
    saved = tmp_path / "deck.apkg"
    download.value.save_as(saved)
    deck = Deck(saved.read_bytes(), tmp_path)
    assert sorted(deck.notes) == ["gpt2-small-params", "pick-the-encoder", "sample-question"]
    assert "从左到右" in deck.notes["sample-question"]["Question"]
    assert "left to right" not in deck.notes["sample-question"]["Question"]
    assert "124,439,808 个参数" in deck.notes["gpt2-small-params"]["Answer"]  # the app's unit names
