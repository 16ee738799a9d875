"""A code exercise in a real browser: type into the Ace editor, press Ctrl+Enter, see per-test
results; the editor makes no third-party request; the page at phone width in Chinese."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningApp, screenshot, wait_idle
from tests.test_app_exercises import QID, exercise_bank

pytestmark = pytest.mark.browser

# Pasted as one text input, as a learner pasting from elsewhere (typed Enter would also accept
# Ace's autocompletion popup instead of starting a line).
WRONG_SCALE = """import torch


def causal_attention(q, k, v):
    T = q.size(-2)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    return (q @ k.transpose(-2, -1)).masked_fill(future, float("-inf")).softmax(-1) @ v
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    bank = exercise_bank(tmp_path_factory.mktemp("bank") / "questions")
    running = RunningApp(bank, tmp_path_factory.mktemp("data"))
    yield running
    running.stop()


def editor(page):
    frame = page.frame_locator("iframe[title*='code_editor']")
    content = frame.locator(".ace_editor .ace_content").first
    expect(content).to_be_visible(timeout=30_000)
    return content


def test_type_press_ctrl_enter_and_see_per_test_results(app, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{app.url}/?q={QID}")
    wait_idle(page)
    content = editor(page)
    expect(content).to_contain_text("raise NotImplementedError")
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(WRONG_SCALE)
    expect(content).to_contain_text("masked_fill(future")
    page.keyboard.press("Control+Enter")
    results = page.locator(".st-key-exercise-results")
    expect(results).to_contain_text("2 tokens, d = 1", timeout=90_000)
    wait_idle(page)
    # Without 1/sqrt(d) the d = 1 example still passes; the float32 one (d = 8) does not.
    expect(results).to_contain_text(re.compile(r"passed · 2 tokens, d = 1"))
    expect(results).to_contain_text(re.compile(r"failed · float32-stays-float32"))
    expect(results).to_contain_text(re.compile(r"\d+/80 elements differ"))
    expect(page.get_by_text(re.compile(r"Sandboxed|Not isolated"))).to_be_visible()
    screenshot(page, "exercise-ctrl-enter")
    foreign = [u for u in requested if not u.startswith((app.url, "data:", "blob:"))]
    assert foreign == []


def test_phone_width_chinese_dark(app, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{app.url}/?q={QID}&lang=zh")
        wait_idle(page)
        editor(page)
        expect(page.get_by_role("button", name="运行示例")).to_be_visible()
        expect(page.get_by_role("button", name="提交")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing pushes the page sideways on a phone
        screenshot(page, "exercise-zh-dark-390")
    finally:
        context.close()
