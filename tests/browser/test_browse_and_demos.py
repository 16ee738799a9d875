"""Browse and a training demo in a real browser, on the shipped bank: ranked search with snippets,
an answer drawn when opened, and a training demo that starts on Run, shows its live curve at the
top of the page and keeps going through a language switch."""

import re
import shutil

import pytest
from playwright.sync_api import expect

from studyapp.demos import REGISTRY
from tests.bankfixtures import REPO
from tests.browser.conftest import RunningApp, screenshot, wait_idle

pytestmark = pytest.mark.browser


def titles(page):
    """The listed questions (not the warning about broken files, should the bank have one)."""
    return page.locator("[data-testid=stExpander]").filter(
        has_not_text=re.compile("could not be loaded|无法加载")
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    bank = tmp_path_factory.mktemp("bank") / "questions"
    shutil.copytree(REPO / "questions", bank)  # the bank as it is now, even while it is edited
    running = RunningApp(bank, tmp_path_factory.mktemp("data"))
    yield running
    running.stop()


def test_search_then_open_an_answer(app, page):
    page.goto(f"{app.url}/browse")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^(\d+) of \1 questions"))).to_be_visible()
    expect(titles(page)).to_have_count(25)  # a page of titles

    page.get_by_label("Search questions and answers").fill("KV-cache")
    page.keyboard.press("Enter")
    wait_idle(page)
    first = titles(page).first
    expect(first).to_contain_text("KV cache")
    expect(first.locator("strong").first).to_have_text(re.compile("KV cache", re.I))
    screenshot(page, "browse-search-en")

    first.locator("summary").click()
    wait_idle(page)
    expect(first.get_by_text("Answer", exact=True)).to_be_visible()
    expect(first.get_by_text("Sources", exact=True)).to_be_visible()
    screenshot(page, "browse-opened-en")

    page.get_by_role("radio", name="中文").click()
    wait_idle(page)
    page.get_by_label("搜索题目与答案").fill("位置编码")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(titles(page).first.locator("strong").first).to_contain_text("位置")
    screenshot(page, "browse-search-zh")


def test_a_training_demo_starts_on_run_and_survives_a_language_switch(app, page):
    page.goto(f"{app.url}/demos?demo=decoder-vs-encdec")
    wait_idle(page)
    expect(page.get_by_text("Press Run to train this model")).to_be_visible()
    expect(page.locator("[data-testid=stProgress]")).to_have_count(0)  # nothing trains yet

    # The default steps: long enough (about 10 s) to switch the language while it trains.
    steps = next(p for p in REGISTRY["decoder-vs-encdec"].params if p.name == "steps").default
    page.get_by_role("button", name="Run").click()
    bar = page.locator("[data-testid=stProgress]")
    expect(bar).to_contain_text(re.compile(rf"step \d+/{steps}\b"), timeout=60_000)
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart).to_be_in_viewport()  # the live curve without scrolling
    screenshot(page, "demo-training-en")

    done = page.get_by_role("progressbar")
    before = float(done.get_attribute("aria-valuenow"))
    page.get_by_role("radio", name="中文").click()
    expect(page.get_by_role("heading", name="演示")).to_be_visible()
    expect(bar).to_contain_text(re.compile(rf"第 \d+/{steps} 步"), timeout=30_000)
    # A restart would begin again from zero; the run went on where it was.
    assert float(done.get_attribute("aria-valuenow")) >= before > 0
    screenshot(page, "demo-training-zh")

    expect(page.locator("[data-testid=stAlertContentSuccess]").first).to_be_visible(timeout=300_000)
    expect(bar).to_have_count(0)
    wait_idle(page)
    screenshot(page, "demo-trained-zh")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_browse_and_demos_on_a_phone(app, browser, scheme):
    """390 px wide, in Chinese: the titles, an opened answer and a demo's Run are reachable."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{app.url}/browse?lang=zh&q_search=KV")
        wait_idle(page)
        first = titles(page).first
        expect(first.locator("strong").first).to_contain_text(re.compile("kv", re.I))
        first.locator("summary").click()
        wait_idle(page)
        expect(first.get_by_text("答案", exact=True)).to_be_visible()
        screenshot(page, f"browse-phone-zh-{scheme}")

        page.goto(f"{app.url}/demos?demo=gpt-train&lang=zh")
        wait_idle(page)
        expect(page.get_by_text("按“运行”开始训练这个模型")).to_be_visible()
        expect(page.get_by_role("button", name="运行")).to_be_visible()
        screenshot(page, f"demo-phone-zh-{scheme}")
    finally:
        context.close()
