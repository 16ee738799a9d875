"""The Interview page: a timed mock interview over chosen topics, the model answer's key points as a
checklist, a summary, the schedule changed only if chosen, and a reload that resumes it."""

from studyapp.progress.grading import interview_rating, key_points
from studyapp.progress.store import ProgressStore
from tests.bankfixtures import open_app, write_question
from tests.studyflow import (  # noqa: F401  (flow_env is the env fixture)
    INTERVIEW_ANSWER,
    click,
    flow_env,
    recall,
    reviews,
)


def with_interview_question(env) -> None:
    bank = env.parent / "questions"
    text = recall(
        "bert-not-generative", "bert", "Why is BERT not generative?", "为什么 BERT 不能生成？"
    )
    write_question(
        bank,
        text.replace("difficulty: 2", "difficulty: 3") + "",
        topic="bert",
        qid="bert-not-generative",
    )
    path = bank / "bert" / "bert-not-generative.yaml"
    text = path.read_text()
    start, end = text.index("answer:"), text.index("sources:")
    path.write_text(text[:start] + INTERVIEW_ANSWER + text[end:])


def start(at, topic: str, *, reschedule: bool = False):
    at.multiselect(key="interview_topics").select(topic).run()
    at.multiselect(key="interview_levels").unselect(2).run()  # only the difficulty-3 question
    if reschedule:
        at.toggle(key="interview_reschedule").set_value(True).run()
    at.button(key="interview_start").click().run()
    assert not at.exception, at.exception
    return at


def test_key_points_are_each_paragraphs_lead_and_ticks_propose_a_rating():
    points = key_points(INTERVIEW_ANSWER.split("en: |\n")[1].split("  zh: |")[0])
    assert points == [
        "Bidirectional context: The model sees the whole sentence at once.",
        "No causal mask: Every token attends to every other one, so there is no left-to-right "
        "order to sample in.",
    ]
    assert key_points("**Fewer parameters does not mean less computation.** Sharing...") == [
        "Fewer parameters does not mean less computation"
    ]
    assert key_points("- one. two\n- three\n\n$$x$$\n\n| a |\n") == [
        "one. two",
        "three",
    ]  # too short alone
    assert [interview_rating(k, 4) for k in range(5)] == [1, 1, 2, 2, 3]


def test_a_mock_interview_without_rescheduling(env):
    with_interview_question(env)
    at = start(open_app("interview"), "bert")
    assert at.get("progress")[0].proto.text == "Question 1 of 1"
    assert at.get("progress")[1].proto.text == "Time left: 3:00"  # 3 minutes by default
    assert any(m.value.strip() == "Why is BERT not generative?" for m in at.markdown)
    assert not at.checkbox  # no answer before the learner asks for it
    at.text_area[0].input("It sees both sides <b>at once</b>.")
    click(at, "Show the model answer")
    assert at.text[0].value == "It sees both sides <b>at once</b>."  # shown literally
    labels = [c.label for c in at.checkbox]
    assert labels[0].startswith("Bidirectional context") and labels[1].startswith("No causal mask")
    at.checkbox[0].check().run()
    assert at.caption[0].value == "1 of 2 key points covered."
    assert [b.label for b in at.button if b.proto.type == "primary"][0] == "Hard"  # half: Hard
    click(at, "Finish")  # Enter keeps the proposed rating
    assert at.subheader[0].value.startswith("Interview finished: 1 of 2 key points covered")
    assert "the schedule was not changed" in at.caption[0].value
    assert reviews(env) == []
    rows = at.dataframe[0].value
    assert rows["Key points"].tolist() == ["1 / 2"] and rows["Rating"].tolist() == ["Hard"]


def test_an_interview_that_reschedules_records_the_chosen_rating(env):
    with_interview_question(env)
    at = start(open_app("interview"), "bert", reschedule=True)
    click(at, "Show the model answer")
    for box in at.checkbox:
        box.check().run()
    assert [b.label for b in at.button if b.proto.type == "primary"][0] == "Good"
    click(at, "Easy")  # the learner's call
    assert reviews(env) == [("bert-not-generative", 4, None)]
    assert "the schedule was updated" in at.caption[0].value


def test_a_reload_mid_interview_resumes_it(env):
    with_interview_question(env)
    at = start(open_app("interview"), "bert")
    click(at, "Show the model answer")
    at.checkbox[1].check().run()
    at = open_app("interview")  # a reload
    assert not at.exception
    assert [c.value for c in at.checkbox] == [False, True]
    with ProgressStore(env) as store:
        assert store.study_setting(1, "interview")["cards"]["0"]["ticked"] == [1]
    click(at, "Finish")
    click(at, "New interview")
    with ProgressStore(env) as store:
        assert store.study_setting(1, "interview") is None


def test_interview_in_chinese(env):
    with_interview_question(env)
    at = open_app("interview", lang="zh")
    assert at.title[0].value == "模拟面试"
    at = start(at, "bert")
    click(at, "显示参考答案")
    assert at.checkbox[0].label.startswith("双向上下文：模型一次看到整个句子。")


def test_interview_and_question_pages_never_import_torch():
    from tests.test_demo_registry import imports_torch

    body = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("studyapp/app/main.py", default_timeout=60).run()
for page in ("today", "review", "quiz", "interview"):
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, (page, at.exception)
at.button(key="interview_start").click().run()
assert not at.exception, at.exception
"""
    assert not imports_torch(body)


def test_a_broken_file_does_not_stop_the_interview(env):
    (env.parent / "questions" / "bert" / "broken.yaml").write_text("id: [unclosed\n")
    at = open_app("interview")
    assert any("could not be loaded" in e.label for e in at.expander)
    at.button(key="interview_start").click().run()
    assert not at.exception and at.get("progress")
