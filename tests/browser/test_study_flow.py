"""The study flow in a real browser: a review narrowed to two topics, a reload mid-quiz that resumes,
a choice answered by keyboard, and a rating override; screenshots in English and Chinese."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.bankfixtures import write_question
from tests.browser.conftest import ARTIFACTS, RunningApp, screenshot, wait_idle
from tests.studyflow import recall, topics_bank

pytestmark = pytest.mark.browser

QUESTIONS = {
    "Why can BERT not generate text left to right?": "sample-question",
    "Which stack is BERT?": "pick-the-encoder",
    "How many parameters has GPT-2 small?": "gpt2-small-params",
    "How much compute trained GPT-3?": "gpt3-compute",
    "Why is GPT causal?": "gpt-causal",
    "Why scale by sqrt(d)?": "attention-scale",
}


@pytest.fixture
def app(tmp_path):
    bank = topics_bank(tmp_path / "bank")
    data = tmp_path / "data"
    data.mkdir()
    running = RunningApp(bank, data)
    running.bank = bank
    running.db = data / "progress.db"
    yield running
    running.stop()


def shown(page, after: str | None = None) -> str:
    """The question on screen (stale elements of the previous run left out); with `after`, wait
    until it is another question than that one."""
    pattern = re.compile("^(" + "|".join(map(re.escape, QUESTIONS)) + ")$")
    fresh = page.locator("[data-testid=stElementContainer]:not([data-stale=true])")
    deadline = time.monotonic() + 15
    while True:
        text = fresh.get_by_text(pattern).first
        expect(text).to_be_visible()
        qid = QUESTIONS[text.inner_text().strip()]
        if qid != after or time.monotonic() > deadline:
            return qid
        page.wait_for_timeout(100)


def test_review_narrowed_to_two_topics_with_keyboard_and_override(app, page):
    page.goto(f"{app.url}/review")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"New\s*6"))).to_be_visible()
    page.get_by_text("Studying: all topics").click()
    wait_idle(page)
    for name in ("BERT", "GPT"):
        page.get_by_role("combobox").first.click()
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        wait_idle(page)
    screenshot(page, "review-narrowed")
    page.reload()  # remembered for the profile; and the keys go to the page, not the filter
    wait_idle(page)
    expect(page.get_by_text(re.compile("Studying: BERT.*GPT"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"New\s*3"))).to_be_visible()
    seen = []
    for _ in range(3):
        qid = shown(page, after=seen[-1] if seen else None)
        seen.append(qid)
        if qid == "pick-the-encoder":
            expect(page.locator("[data-testid=stRadioOption]").first).to_be_visible()
            order = page.locator("[data-testid=stRadioOption]").all_inner_texts()
            key = "AB"[[o.strip() for o in order].index("The encoder")]  # shuffled
            page.keyboard.press(key)  # a letter picks the option
            wait_idle(page)
            picked = page.locator("[data-testid=stRadioOption] input").nth("AB".index(key))
            expect(picked).to_be_checked()
            screenshot(page, "review-choice-picked-by-key")
            page.keyboard.press("Enter")  # and Enter checks it
            wait_idle(page)
            expect(page.get_by_text("Right.")).to_be_visible()
            expect(page.get_by_role("button", name=re.compile("^Good"))).to_be_visible()
            screenshot(page, "review-choice-graded")
            page.keyboard.press("2")  # override: a lucky guess is Hard, not Good; moves on
        else:
            expect(page.get_by_role("button", name=re.compile("^Show answer"))).to_be_visible()
            page.keyboard.press("Space")
            wait_idle(page)
            screenshot(page, "review-recall-revealed")
            expect(page.get_by_role("button", name=re.compile(r"^Good · "))).to_be_in_viewport()
            page.keyboard.press("3")
        wait_idle(page)
    assert seen[1] == "gpt-causal"  # topics take turns
    assert sorted(seen) == ["gpt-causal", "pick-the-encoder", "sample-question"]
    expect(page.get_by_text("This session")).to_be_visible()
    screenshot(page, "review-session-summary")


def test_a_reload_mid_quiz_resumes_and_a_number_gets_a_rating_override(app, page):
    page.goto(f"{app.url}/quiz?lang=zh")
    wait_idle(page)
    page.get_by_role("button", name="开始测验").click()
    wait_idle(page)
    expect(page.get_by_text("第 1 / 6 题")).to_be_visible()
    screenshot(page, "quiz-zh-first")
    page.goto(f"{app.url}/quiz")
    page.reload()
    wait_idle(page)
    page.get_by_role("radio", name="English").click()
    wait_idle(page)
    page.evaluate("document.activeElement.blur()")  # Space would press the language switch
    expect(page.get_by_text("Question 1 of 6")).to_be_visible()
    first = previous = shown(page)
    for i in range(6):
        qid = previous = shown(page, after=previous if i else None)
        if qid == "gpt2-small-params":
            break
        if qid == "pick-the-encoder":
            page.get_by_text("The encoder").click()
            page.get_by_role("button", name="Check answer").click()
        elif qid == "gpt3-compute":
            page.get_by_label(re.compile("Your answer")).fill("3.15e23")
            page.keyboard.press("Enter")
        else:
            page.keyboard.press("Space")
            expect(page.get_by_role("button", name=re.compile(r"^Good · "))).to_be_visible()
            page.keyboard.press("3")
            wait_idle(page)
            continue
        expect(page.get_by_text(re.compile("^Saved as"))).to_be_visible()
        page.keyboard.press("Enter")
        wait_idle(page)
    assert shown(page) == "gpt2-small-params", first
    position = page.get_by_text(re.compile(r"^Question \d of 6$")).inner_text()
    page.get_by_label(re.compile("Your answer")).fill("124M")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text(re.compile("^Close: within 1 %"))).to_be_visible()
    expect(page.get_by_text("You answered 124,000,000 parameters.")).to_be_visible()
    screenshot(page, "quiz-numeric-close")

    page.reload()  # mid-quiz: same question, still graded
    wait_idle(page)
    expect(page.get_by_text(position)).to_be_visible()
    expect(page.get_by_text(re.compile("^Close: within 1 %"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Good\b")).click()  # a near miss is not Again
    wait_idle(page)
    expect(page.get_by_text(position)).not_to_be_visible()


def test_pages_in_chinese_and_on_a_phone(app, browser):
    paragraph = "A long explanation that goes on and on about attention. " * 12
    long_answer = (
        f"answer:\n  en: |\n{('    ' + paragraph + chr(10) + chr(10)) * 12}  zh: |\n"
        + ("    很长的解释。" * 40 + "\n\n") * 12
    )
    write_question(
        app.bank,
        recall(
            "long-answer", "bert", "A question with a long answer?", "答案很长的题？", long_answer
        ),
        qid="long-answer",
    )
    for name, size, lang in (("desktop", (1280, 900), "zh"), ("phone", (390, 844), "en")):
        phone = name == "phone"
        context = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, has_touch=phone, is_mobile=phone
        )
        page = context.new_page()
        for path in ("review", "interview"):
            page.goto(f"{app.url}/{path}?lang={lang}")
            wait_idle(page)
            screenshot(page, f"{path}-{lang}-{name}")
        page.goto(f"{app.url}/question?q=long-answer&lang={lang}")
        wait_idle(page)
        page.keyboard.press("Space")
        wait_idle(page)
        rate = page.get_by_role("button", name=re.compile("^(Good|良好) · "))
        expect(rate).to_be_in_viewport()  # not pushed below a long answer
        main = page.locator("[data-testid=stMain]")  # the scrolling box
        assert main.evaluate("e => e.scrollHeight") > 2 * size[1]
        page.screenshot(path=str(ARTIFACTS / f"recall-long-answer-{lang}-{name}.png"))
        page.goto(f"{app.url}/question?q=pick-the-encoder&lang={lang}")
        wait_idle(page)
        page.get_by_text("编码器" if lang == "zh" else "The encoder").click()
        page.get_by_role("button", name=re.compile("提交答案|Check answer")).click()
        wait_idle(page)
        bar = page.locator('[class*="st-key-ratingbar-"]')
        expect(bar).to_be_in_viewport()  # the rating buttons are reachable without scrolling
        hint = page.locator('[class*="st-key-keyhint-"]').first
        if phone:  # no keyboard hints on a touch screen
            expect(hint).to_be_hidden()
        else:
            expect(hint).to_be_visible()
        # The window as the learner sees it (a full-page capture would not show the sticky bar).
        page.screenshot(path=str(ARTIFACTS / f"question-graded-{lang}-{name}.png"))
        context.close()


def test_a_card_due_in_seconds_is_counted_down_then_shown_by_itself(app, page):
    from datetime import UTC, datetime, timedelta

    from studyapp.progress.store import ProgressStore

    with ProgressStore(app.db) as store:
        me = store.default_profile().id
        store.update_settings(me, new_per_day=1)
        # Rated Again 55 s ago: due again in about 5 s, and no new question left for today.
        at = datetime.now(UTC) - timedelta(seconds=55)
        store.record_review(me, "gpt-causal", kind="recall", rating=1, reviewed_at=at)
    page.goto(f"{app.url}/review")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"The next one is due in 0:0\d"))).to_be_visible()
    screenshot(page, "review-learn-ahead-countdown")
    # No click, no key: the countdown brings the card when it is due.
    expect(page.get_by_text("Why is GPT causal?", exact=True)).to_be_visible(timeout=20_000)
    expect(page.get_by_text(re.compile("· learning$"))).to_be_visible()
