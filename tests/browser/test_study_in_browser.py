"""A learner's day in a real browser: Today, a quiz with every question type, a deep link,
Chinese, and a reload that keeps the progress."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(study_app):
    return study_app


def metric(page, label: str):
    return (
        page.locator("[data-testid=stMetric]")
        .filter(has_text=label)
        .locator("[data-testid=stMetricValue]")
    )


QUESTIONS = {
    "Why can BERT not generate text left to right?": "recall",
    "Which stack is BERT?": "choice",
    "How many parameters has GPT-2 small?": "numeric",
}


def answer_current_question(page) -> str:
    """Answer whichever question is on screen, correctly; return its type."""
    shown = page.get_by_text(re.compile("|".join(map(re.escape, QUESTIONS)))).first
    expect(shown).to_be_visible()
    kind = QUESTIONS[shown.inner_text().strip()]
    if kind == "recall":  # by keyboard, as in Anki: Space reveals, 3 rates Good
        page.keyboard.press("Space")
        wait_idle(page)
        expect(page.get_by_text("It is trained to predict")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile(r"^Good · "))).to_be_visible()
        page.keyboard.press("3")  # rating moves on, as in Anki (Z takes it back)
        wait_idle(page)
        return kind
    elif kind == "choice":
        page.get_by_text("The encoder").click()
        page.get_by_role("button", name="Check answer").click()
    else:  # Enter in the field submits
        page.get_by_label(re.compile("Your answer")).fill("124,439,808")
        page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Saved as")).to_be_visible()
    return kind


def test_a_learners_day(app, page):
    page.goto(app.url)
    wait_idle(page)
    expect(metric(page, "New today")).to_have_text("3")
    screenshot(page, "today-before")

    page.get_by_role("link", name="Quiz").click()
    wait_idle(page)
    page.get_by_role("button", name="Start quiz").click()
    wait_idle(page)
    kinds = []
    for i in range(3):
        expect(page.get_by_text(f"Question {i + 1} of 3")).to_be_visible()
        kinds.append(answer_current_question(page))
        screenshot(page, f"quiz-{kinds[-1]}-answered")
        if kinds[-1] == "recall":  # already on the next question (or the summary)
            continue
        if i == 0:
            page.get_by_role("button", name="Next question").click()
        else:  # Enter moves on
            expect(
                page.get_by_role("button", name="Finish" if i == 2 else "Next question")
            ).to_be_visible()
            page.keyboard.press("Enter")
        wait_idle(page)
    assert sorted(kinds) == ["choice", "numeric", "recall"]
    expect(page.get_by_text("Quiz finished: 3 of 3 right or recalled.")).to_be_visible()
    expect(page.get_by_text("Nothing missed. Well done.")).to_be_visible()
    screenshot(page, "quiz-summary")

    page.goto(f"{app.url}/?q=pick-the-encoder")
    wait_idle(page)
    expect(page.get_by_text("Which stack is BERT?")).to_be_visible()
    screenshot(page, "deep-link")

    page.get_by_role("radio", name="中文").click()
    wait_idle(page)
    expect(page.get_by_text("BERT 是哪一种结构？")).to_be_visible()

    page.goto(f"{app.url}/?lang=zh")
    wait_idle(page)
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="今日")).to_be_visible()
    expect(metric(page, "今日已复习")).to_have_text("3")
    expect(metric(page, "今日新题")).to_have_text("0")
    screenshot(page, "today-after-reload-zh")
