"""Browse the bank in a real browser: broken-file warning, search, language, deep links, reload."""

import pytest
from playwright.sync_api import expect

from tests.bankfixtures import VALID, write_question
from tests.browser.conftest import RunningApp, screenshot, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("bank")
    write_question(root, VALID)
    write_question(root, VALID.replace("difficulty: 2", "difficulty: 7"), qid="broken-copy")
    running = RunningApp(root, tmp_path_factory.mktemp("data"))
    yield running
    running.stop()


def test_browse_search_language_and_deep_link(app, page):
    page.goto(f"{app.url}/browse")
    wait_idle(page)
    expect(page.get_by_text("1 question file(s) could not be loaded")).to_be_visible()
    expect(page.get_by_text("Why can BERT not generate text left to right?").first).to_be_visible()
    screenshot(page, "browse-en")

    page.get_by_text("1 question file(s) could not be loaded").click()
    expect(page.get_by_text("bert/broken-copy.yaml:5:1: S002 difficulty")).to_be_visible()

    page.get_by_label("Search questions and answers").fill("nothing-like-this")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("No question matches these filters.")).to_be_visible()

    page.get_by_role("radio", name="中文").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="浏览")).to_be_visible()
    assert "lang=zh" in page.url
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="浏览")).to_be_visible()

    page.goto(f"{app.url}/browse?q=sample-question&lang=zh")
    wait_idle(page)
    expect(page.get_by_text("它的训练目标是根据两侧上下文预测")).to_be_visible()
    screenshot(page, "browse-zh-deep-link")
