"""Links, phone and dark mode in a real browser: a related link in Chinese stays in Chinese and in
the same tab; on a 390 px phone the question starts high on the screen, options are thumb-sized
and no keyboard badge shows; dark mode keeps the charts' colours."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.bankfixtures import CHOICE, VALID, write_question
from tests.browser.conftest import RunningApp, screenshot, wait_idle

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("bank")
    write_question(root, VALID.replace("related: []", "related: [pick-the-encoder]"))
    write_question(
        root, CHOICE.replace("related: []", "related: [sample-question]"), qid="pick-the-encoder"
    )
    running = RunningApp(root, tmp_path_factory.mktemp("data"))
    yield running
    running.stop()


def test_a_related_link_in_chinese_stays_in_chinese_and_in_the_tab(app, page):
    page.goto(f"{app.url}/question?q=pick-the-encoder&lang=zh")
    wait_idle(page)
    page.get_by_text("编码器", exact=True).click()
    page.get_by_role("button", name="提交答案").click()
    wait_idle(page)
    related = page.get_by_role("link", name="为什么 BERT 不能从左到右生成文本？")
    expect(related).to_be_visible()
    screenshot(page, "related-link-zh")
    related.click()
    wait_idle(page)
    assert len(page.context.pages) == 1  # the same tab
    assert "/question?" in page.url and "q=sample-question" in page.url and "lang=zh" in page.url
    expect(page.get_by_text("为什么 BERT 不能从左到右生成文本？").first).to_be_visible()
    expect(page.get_by_role("button", name="显示答案")).to_be_visible()
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("button", name="显示答案")).to_be_visible()


def test_on_a_phone_the_question_comes_first_and_no_key_badge_shows(app, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{app.url}/question?q=sample-question&lang=zh")
    wait_idle(page)
    question = page.get_by_text("为什么 BERT 不能从左到右生成文本？").first
    expect(question).to_be_visible()
    assert question.bounding_box()["y"] < 0.25 * 844  # was 38 % of the screen before
    reveal = page.get_by_role("button", name="显示答案")
    expect(reveal.locator("kbd")).to_be_hidden()
    screenshot(page, "phone-390-question-zh")

    page.goto(f"{app.url}/question?q=pick-the-encoder")
    wait_idle(page)
    option = page.locator('[data-testid="stRadioOption"]').first
    assert option.bounding_box()["height"] >= 40  # a thumb, not a 20 px dot
    expect(page.get_by_role("link", name="default")).to_be_visible()  # the active profile
    screenshot(page, "phone-390-choice-en")
    context.close()


def test_on_a_desktop_the_key_badge_shows(app, page):
    page.goto(f"{app.url}/question?q=sample-question")
    wait_idle(page)
    expect(page.get_by_role("button", name="Show answer").locator("kbd")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_statistics_and_today_in_both_themes(app, browser, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{app.url}/question?q=sample-question")
    wait_idle(page)
    page.get_by_role("button", name="Show answer").click()
    wait_idle(page)
    page.get_by_role("button", name="Good").first.click()
    wait_idle(page)
    for name in ("", "stats"):
        page.goto(f"{app.url}/{name}?lang=zh")
        wait_idle(page, 800)
        expect(page.locator("canvas, svg.marks").first).to_be_visible()
        screenshot(page, f"{name or 'today'}-zh-{scheme}")
    context.close()


def test_an_unknown_id_in_the_url_shows_as_text_not_as_a_link_or_image(app, page):
    hostile = "x`](http://evil.example) ![t](http://evil.example/t.png) www.evil.example"
    page.goto(f"{app.url}/?q={quote(hostile)}")
    wait_idle(page)
    expect(page.get_by_text("There is no question with id")).to_be_visible()
    assert page.locator("[data-testid=stAlert] a").count() == 0
    assert page.locator("[data-testid=stAlert] img").count() == 0
    shown = page.locator("[data-testid=stAlert]").first.inner_text().replace("\u2060", "")
    assert hostile in shown
