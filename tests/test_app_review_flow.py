"""Review as in Anki: narrowed to topics and tags per profile, new cards interleaved across topics,
counters, learn-ahead with a countdown, a session summary, time per card, the caption of a new
card, rating override and undo of the previous card."""

from datetime import UTC, datetime, timedelta

from studyapp.progress.store import ProgressStore
from tests.bankfixtures import open_app
from tests.studyflow import (  # noqa: F401  (flow_env is the env fixture)
    button,
    click,
    durations,
    flow_env,
    pick,
    reviews,
    shown_question,
)


def counters(at) -> str:
    return at.markdown[0].value


def answer_right(at) -> None:
    """Answer the question on screen correctly, confirming the proposed rating."""
    qid = shown_question(at)
    if qid == "pick-the-encoder":
        pick(at, "The encoder")
        click(at, "Check answer")
        click(at, "Next question")
    elif qid in ("gpt2-small-params", "gpt3-compute"):
        at.text_input[0].input("124,439,808" if qid == "gpt2-small-params" else "3.15")
        click(at, "Check answer")
        click(at, "Next question")
    else:
        click(at, "Show answer")
        click(at, "Good ·")  # rating a recall card moves on


def test_review_narrowed_to_two_topics_is_remembered_per_profile(env):
    at = open_app("review")
    assert "**New** 6]" in counters(at)
    at.multiselect(key="review_topics_1").select("bert").select("gpt").run()
    assert not at.exception
    assert "**New** 3]" in counters(at)
    assert "Studying: BERT, GPT" in at.expander[0].label.replace("\\", "")
    with ProgressStore(env) as store:
        assert store.study_setting(1, "review_filter") == {"topics": ["bert", "gpt"], "tags": []}
        other = store.create_profile("other").id
    seen = []
    for _ in range(3):
        seen.append(shown_question(at))
        answer_right(at)
    # Topics take turns: bert, gpt, bert (not both bert cards first); nothing from other topics.
    assert seen[1] == "gpt-causal" and {seen[0], seen[2]} == {"sample-question", "pick-the-encoder"}
    assert "**New** 0]" in counters(at)
    # A reload (a new session) keeps the narrowing; another profile has its own.
    at = open_app("review")
    assert at.multiselect(key="review_topics_1").value == ["bert", "gpt"]
    at = open_app("review", profile=str(other))
    assert at.multiselect(key=f"review_topics_{other}").value == []
    assert "**New** 6]" in counters(at)


def test_a_tag_narrows_review_too(env):
    at = open_app("review")
    at.multiselect(key="review_tags_1").select("bert").run()
    assert "**New** 6]" in counters(at)  # every question of the fixture carries the bert tag
    at.multiselect(key="review_topics_1").select("attention").run()
    assert "**New** 1]" in counters(at)
    assert shown_question(at) == "attention-scale"


def test_a_new_card_keeps_its_caption_after_rating_and_time_is_recorded(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("sizes").run()
    assert shown_question(at) in ("gpt2-small-params", "gpt3-compute")
    assert at.caption[0].value.endswith("· new")
    at.text_input[0].input("1")
    click(at, "Check answer")
    assert at.caption[0].value.endswith("· new")  # it was "due" once the review was saved
    [duration] = durations(env)
    assert duration is not None and 0 <= duration <= 60_000


def test_wrong_answers_come_back_within_minutes_with_a_countdown_then_a_summary(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("gpt").run()
    click(at, "Show answer")
    click(at, "Again ·")  # due again in a minute
    assert "**Learning** 0]" in counters(at)  # not due yet: counted down instead
    [info] = at.info
    assert "1 question(s) still being learnt come back within 20 minutes" in info.value
    assert "due in 1:00" in info.value or "due in 0:5" in info.value
    assert [s.value for s in at.subheader] == ["This session"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reviewed"] == "1" and metrics["Right or recalled"] == "0 / 1"
    assert any("tomorrow" in m.value for m in at.markdown)
    click(at, "Study it now")  # Anki's learn ahead
    assert shown_question(at) == "gpt-causal"
    assert at.caption[0].value.endswith("· learning")
    click(at, "Show answer")
    click(at, "Good ·")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reviewed"] == "2" and metrics["Right or recalled"] == "1 / 2"


def test_an_automatic_grade_can_be_changed_before_moving_on(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("sizes").run()
    qid = shown_question(at)
    at.text_input[0].input("124M" if qid == "gpt2-small-params" else "3.14e23")
    click(at, "Check answer")
    if qid == "gpt2-small-params":  # 124M is within 1 % of 124,439,808: close, Hard proposed
        assert at.warning[0].value.startswith("Close")
        assert reviews(env) == [(qid, 2, False)]
    else:  # 3.14e23 read in the unit "× 10^23 FLOPs": 3.14, inside the tolerance
        assert at.success[0].value == "Right."
        assert reviews(env) == [(qid, 3, True)]
    assert button(at, "Hard" if qid == "gpt2-small-params" else "Good").proto.type == "primary"
    assert [
        b.proto.shortcut for b in at.button if b.label in ("Again", "Hard", "Good", "Easy")
    ] == [
        "1",
        "2",
        "3",
        "4",
    ]
    click(at, "Easy")  # a lucky guess is not Good, a near miss is not Again: the learner decides
    assert reviews(env) == [(qid, 4, qid == "gpt3-compute")]
    assert shown_question(at) != qid  # changing the rating moved on
    with ProgressStore(env) as store:
        card = store.get_card(1, qid)
        assert card.due - datetime.now(UTC) > timedelta(days=1)


def test_undo_of_the_previous_card_after_rating_moved_on(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("gpt").select("attention").run()
    first = shown_question(at)
    click(at, "Show answer")
    click(at, "Hard ·")
    assert shown_question(at) != first
    assert button(at, "Undo this answer").proto.shortcut.upper() == "Z"
    click(at, "Undo this answer")
    assert reviews(env) == []
    assert shown_question(at) == first
    assert any(b.label == "Show answer" for b in at.button)


def test_today_names_the_narrowed_review_and_cards_coming_back_in_minutes(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("gpt").run()
    click(at, "Show answer")
    click(at, "Again ·")
    at = open_app()  # Today
    assert "Review is narrowed to GPT: 0 due and 0 new there." in at.caption[0].value.replace(
        "\\", ""
    )
    with ProgressStore(env) as store:
        store.update_settings(1, new_per_day=1)  # no new question left today
    at = open_app()
    assert not at.success  # not "come back tomorrow"
    assert at.info[0].value.startswith(
        "Nothing is due right now. 1 question(s) still being learnt come back within 20 minutes"
    )


def test_a_recall_card_takes_two_keys_as_in_anki(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("gpt").run()
    assert button(at, "Show answer").proto.shortcut.lower() == "space"  # key one: reveal
    click(at, "Show answer")
    keys = [b.proto.shortcut for b in at.button if " · " in b.label]
    assert keys == ["1", "2", "3", "4"]  # key two: rate, which moves on
    click(at, "Good ·")
    assert reviews(env) == [("gpt-causal", 3, None)]
    assert not any(" · " in b.label for b in at.button)  # moved on: no rating buttons left


def test_undo_of_the_previous_card_also_while_the_next_one_is_revealed(env):
    at = open_app("review")
    at.multiselect(key="review_topics_1").select("gpt").select("attention").run()
    first = shown_question(at)
    click(at, "Show answer")
    click(at, "Easy ·")
    click(at, "Show answer")  # the next card, revealed but not rated
    click(at, "Undo this answer")
    assert reviews(env) == [] and shown_question(at) == first
