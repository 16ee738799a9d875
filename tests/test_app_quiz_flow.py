"""Quiz: reschedule or not as chosen before starting, resume after a reload (position, answers,
filters), numbers in the question's unit with powers of ten as math, keyboard and rating override."""

from datetime import UTC, datetime

from studyapp.progress.queues import new_remaining_today
from studyapp.progress.store import ProgressStore
from tests.bankfixtures import open_app
from tests.studyflow import (  # noqa: F401  (flow_env is the env fixture)
    button,
    click,
    flow_env,
    pick,
    reviews,
    shown_question,
)


def start(at, *, topics=(), types=(), reschedule=True, count=None):
    for topic in topics:
        at.multiselect(key="quiz_topics").select(topic).run()
    for kind in types:
        at.multiselect(key="quiz_types").select(kind).run()
    if count is not None:
        at.slider(key="quiz_count").set_value(count).run()
    if not reschedule:
        at.toggle(key="quiz_reschedule").set_value(False).run()
    at.button(key="quiz_start").click().run()
    assert not at.exception, at.exception
    return at


def test_a_practice_quiz_leaves_the_schedule_and_the_new_allowance_alone(env):
    at = start(open_app("quiz"), topics=["bert"], reschedule=False)
    assert at.caption[0].value == "BERT · Practice: answers do not change the schedule."
    for _ in range(2):
        if shown_question(at) == "pick-the-encoder":
            pick(at, "The decoder")
            click(at, "Check answer")
            assert at.error[0].value == "Not quite."
            assert "The schedule is not changed" in at.success[0].value
            click(at, "Again")  # a rating confirms and moves on
        else:
            click(at, "Show answer")
            assert [b.label for b in at.button if b.label in ("Again", "Hard", "Good", "Easy")]
            click(at, "Good")  # no interval on the buttons: nothing is scheduled
    assert reviews(env) == []
    with ProgressStore(env) as store:
        assert new_remaining_today(store, 1, datetime.now(UTC)) == 10
    assert "1 of 2 right or recalled" in at.subheader[0].value
    assert "the schedule was not changed" in at.caption[0].value


def test_a_rescheduling_quiz_records_reviews_and_uses_the_new_allowance(env):
    at = start(open_app("quiz"), types=["recall"], count=1)
    click(at, "Show answer")
    click(at, "Good ·")
    assert len(reviews(env)) == 1
    with ProgressStore(env) as store:
        assert new_remaining_today(store, 1, datetime.now(UTC)) == 9
    assert "the schedule was updated" in at.caption[0].value


def test_a_reload_mid_quiz_resumes_position_answers_and_filters(env):
    at = start(open_app("quiz"), topics=["bert", "sizes"], count=4)
    first = shown_question(at)
    if first == "pick-the-encoder":
        pick(at, "The encoder")
        click(at, "Check answer")
    elif first in ("gpt2-small-params", "gpt3-compute"):
        at.text_input[0].input("1")
        click(at, "Check answer")
    else:
        click(at, "Show answer")
        click(at, "Again ·")
    if first != "sample-question":
        click(at, "Next question")
    second = shown_question(at)
    assert at.get("progress")[0].proto.text == "Question 2 of 4"
    if second == "sample-question":
        click(at, "Show answer")  # revealed, not rated yet
    elif second == "pick-the-encoder":
        pick(at, "The encoder")
        click(at, "Check answer")  # answered, not moved on yet
    else:
        at.text_input[0].input("3.15" if second == "gpt3-compute" else "124439808")
        click(at, "Check answer")
    recorded = reviews(env)

    at = open_app("quiz")  # a reload: a new browser session
    assert at.get("progress")[0].proto.text == "Question 2 of 4"
    assert shown_question(at) == second
    if second == "sample-question":
        assert any(b.label.startswith("Good ·") for b in at.button)  # still revealed
    else:
        assert at.success[0].value == "Right."  # still graded, not asked again
    assert reviews(env) == recorded  # nothing recorded twice
    with ProgressStore(env) as store:
        saved = store.study_setting(1, "quiz")
    assert saved["filters"]["topics"] == ["bert", "sizes"] and saved["position"] == 1
    assert at.caption[0].value.replace("\\", "").startswith("BERT, Model sizes")
    # The resumed quiz goes on to its end.
    for _ in range(3):
        qid = shown_question(at)
        if any(b.label == "Show answer" for b in at.button):
            click(at, "Show answer")
        if any(b.label.startswith("Good ·") for b in at.button):
            click(at, "Good ·")
            continue
        if qid == "pick-the-encoder" and at.radio:
            pick(at, "The encoder")
            click(at, "Check answer")
        elif at.text_input:
            at.text_input[0].input("3.15" if qid == "gpt3-compute" else "124439808")
            click(at, "Check answer")
        click(at, "Finish" if "Finish" in [b.label for b in at.button] else "Next question")
    assert at.subheader[0].value.startswith("Quiz finished")
    click(at, "New quiz")
    with ProgressStore(env) as store:
        assert store.study_setting(1, "quiz") is None


def test_powers_of_ten_are_read_and_shown_as_math(env):
    at = open_app("quiz")
    at.multiselect(key="quiz_topics").select("sizes").run()
    at.multiselect(key="quiz_types").select("numeric").run()
    at.slider(key="quiz_count").set_value(2).run()
    at.button(key="quiz_start").click().run()
    if shown_question(at) != "gpt3-compute":
        at.text_input[0].input("124439808")
        click(at, "Check answer")
        click(at, "Next question")
    assert at.text_input[0].label == "Your answer (× 10²³ FLOPs)"
    at.text_input[0].input("3.14e23")  # as typed: read in the unit shown, 3.14
    click(at, "Check answer")
    assert at.success[0].value == "Right."
    shown = [m.value.replace("\\", "") for m in at.markdown]
    assert "You answered 3.14 × 10²³ FLOPs." in shown
    assert not any("^" in text or "314000000" in text.replace(",", "") for text in shown)


def test_choices_and_ratings_carry_their_keys(env):
    at = start(open_app("quiz"), types=["choice"])
    assert any("1–2 or A–B pick an option, Enter checks" in c.value for c in at.caption)
    # The page script that maps 1-9 / A-I and Enter onto the options (app code, no bank text).
    assert any("st-key-choices-" in h.proto.body for h in at.get("html"))
    pick(at, "The encoder")
    click(at, "Check answer")
    keys = {b.label: b.proto.shortcut for b in at.button}
    assert [keys[r] for r in ("Again", "Hard", "Good", "Easy")] == ["1", "2", "3", "4"]
    assert keys["Finish"].lower() == "enter"
    click(at, "Hard")  # a lucky guess: Hard instead of the proposed Good, and on to the end
    assert reviews(env) == [("pick-the-encoder", 2, True)]
    assert "1 of 1 right or recalled" in at.subheader[0].value


def test_a_quiz_can_be_ended_half_way_and_a_topic_link_then_starts_another(env):
    at = start(open_app("quiz"), types=["recall"], count=2)
    click(at, "Show answer")
    click(at, "Good ·")
    assert at.get("progress")[0].proto.text == "Question 2 of 2"
    click(at, "End this quiz")
    assert len(reviews(env)) == 1  # what was answered stays answered
    with ProgressStore(env) as store:
        assert store.study_setting(1, "quiz") is None
    at = open_app("quiz", topic="sizes")
    assert at.multiselect(key="quiz_topics").value == ["sizes"]


def test_key_hints_sit_in_containers_that_touch_screens_hide(env):
    at = start(open_app("quiz"), types=["choice"])
    pick(at, "The encoder")
    click(at, "Check answer")
    texts = [c.value for c in at.caption]
    assert "Keys: 1–4 rate, Enter keeps the proposed rating." in texts
    assert not any("1–4" in t for t in texts if t.startswith("Proposed rating"))
    # The CSS that hides them where there is no keyboard ships with the card.
    assert any(
        '[class*="st-key-keyhint-"] { display: none; }' in h.proto.body for h in at.get("html")
    )


def test_undo_while_the_next_card_is_revealed_asks_both_again_in_order(env):
    at = start(open_app("quiz"), types=["recall"], topics=["gpt", "attention"])
    first = shown_question(at)
    click(at, "Show answer")
    click(at, "Hard ·")
    second = shown_question(at)
    click(at, "Show answer")
    click(at, "Undo this answer")
    assert shown_question(at) == first and reviews(env) == []
    click(at, "Show answer")
    click(at, "Good ·")
    assert shown_question(at) == second
    assert any(b.label == "Show answer" for b in at.button)  # asked afresh, not left revealed
