"""The code-exercise card under AppTest, with the real grader (not isolated, for speed): Run
examples, Submit, a recognised mistake, hints, the solution, ratings, attempts in the store, the
refused mode, the Exercises page, the text-area fallback, and no torch in the app's process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studyapp.app import exercise_view
from studyapp.bank.load import load_bank
from studyapp.progress.scheduling import Rating
from studyapp.progress.store import ProgressStore
from tests.bankfixtures import REPO

APP = str(REPO / "studyapp" / "app" / "main.py")
QID = "implement-causal-attention"
KEY = f"question-0-{QID}"


def exercise_bank(root: Path) -> Path:
    """The shipped causal-attention exercise alone (its `related` ids are not in this bank)."""
    text = (REPO / "questions" / "attention" / f"{QID}.yaml").read_text(encoding="utf-8")
    kept = "\n".join(line for line in text.splitlines() if not line.startswith("related:"))
    (root / "attention").mkdir(parents=True)
    (root / "attention" / f"{QID}.yaml").write_text(kept + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    root = exercise_bank(tmp_path_factory.mktemp("bank") / "questions")
    mp = pytest.MonkeyPatch()
    mp.setenv("STUDYAPP_BANK", str(root))
    mp.setenv("STUDYAPP_SANDBOX", "not-isolated")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield load_bank(root).questions[QID]
    exercise_view.runner().close()
    st.cache_resource.clear()
    mp.undo()


@pytest.fixture
def db(bank, tmp_path, monkeypatch):
    """A fresh database per test; the grader (one per server) stays warm between tests."""
    path = tmp_path / "progress.db"
    monkeypatch.setenv("STUDYAPP_DB", str(path))
    return path


def open_exercise(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["q"] = QID
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def act(at: AppTest, code: str | None, action: str) -> AppTest:
    """Put `code` in the editor (as the editor would), then press a button of the card."""
    if code is not None:
        at.session_state[KEY]["code"] = code
    at.button(key=f"{KEY}-{action}").click().run()
    assert not at.exception, at.exception
    return at


def reviews(db) -> list[tuple[str, str, int, bool | None]]:
    with ProgressStore(db) as store:
        return [(e.question_id, e.kind, int(e.rating), e.correct) for e in store.reviews(1)]


def attempts(db) -> list[tuple[str, str, list[str]]]:
    with ProgressStore(db) as store:
        return [(a.action, a.status, [t["id"] for t in a.tests]) for a in store.attempts(1, QID)]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_run_examples_runs_the_visible_tests_only_and_keeps_the_attempt(db, bank):
    at = act(open_exercise(), bank.code.solution, "run")
    assert texts(at.success) == ["All 2 examples passed. Submit to run the hidden tests too."]
    lines = [m for m in texts(at.markdown) if m.startswith(":material/")]
    assert lines == [
        ":material/check_circle: **passed** · 2 tokens, d = 1: token 0 sees only itself",
        ":material/check_circle: **passed** · float32\\-stays\\-float32",
    ]
    assert attempts(db) == [("run", "passed", ["tiny-by-hand", "float32-stays-float32"])]
    assert reviews(db) == []  # Run examples never grades the card
    at.run()  # a rerun shows the same result without running the code again
    assert attempts(db) == [("run", "passed", ["tiny-by-hand", "float32-stays-float32"])]


def test_first_submit_passing_is_recorded_as_good_before_it_is_confirmed(db, bank):
    at = act(open_exercise(), bank.code.solution, "submit")
    assert reviews(db) == [(QID, "code", int(Rating.Good), True)]
    assert at.success[0].value.startswith("Saved as **Good**. Next review in")
    assert "All 7 tests passed." in texts(at.success)
    assert attempts(db) == [("submit", "passed", [t.id for t in bank.code.tests])]
    assert bank.code.solution.strip() in [
        c.value for c in at.code
    ]  # the solution next to the answer


def test_a_failing_submit_explains_the_mistake_and_a_later_pass_is_hard(db, bank):
    no_scale = next(m for m in bank.code.mistakes if m.id == "no-scale")
    at = act(open_exercise(), no_scale.code, "submit")
    assert at.error[0].value.endswith("tests failed.")
    explanation = "Recognised mistake: " + no_scale.message.en
    assert texts(at.warning).count(explanation) == 1  # once, however many tests show it
    assert reviews(db) == []  # a failed submit does not end the card
    ((action, status, _),) = attempts(db)
    assert (action, status) == ("submit", "failed")
    act(at, bank.code.solution, "submit")
    assert reviews(db) == [(QID, "code", int(Rating.Hard), True)]


def test_results_speak_chinese(db, bank):
    no_scale = next(m for m in bank.code.mistakes if m.id == "no-scale")
    at = act(open_exercise("zh"), no_scale.code, "submit")
    assert "个测试中有" in at.error[0].value
    assert "识别出的常见错误：" + no_scale.message.zh in texts(at.warning)
    assert any("**未通过**" in m for m in texts(at.markdown))


def test_hints_are_revealed_one_at_a_time_and_make_a_pass_hard(db, bank):
    at = open_exercise()
    assert not at.info and at.button(key=f"{KEY}-hint").label == "Hint (3 left)"
    act(at, None, "hint")
    assert [i.value.split(" · ")[0] for i in at.info] == ["**Hint 1**"]
    assert bank.code.hints[0].en in at.info[0].value
    assert at.button(key=f"{KEY}-hint").label == "Hint (2 left)"
    act(at, None, "hint")
    assert len(at.info) == 2
    act(at, bank.code.solution, "submit")
    assert reviews(db) == [(QID, "code", int(Rating.Hard), True)]


def test_show_solution_records_again_and_shows_it(db, bank):
    at = act(open_exercise(), None, "solution")
    assert reviews(db) == [(QID, "code", int(Rating.Again), False)]
    assert at.success[0].value.startswith("Solution shown. Saved as **Again**.")
    assert bank.code.solution.strip() in [c.value for c in at.code]
    assert attempts(db) == []  # nothing was run


def test_the_learner_can_change_the_proposed_rating(db, bank):
    at = act(open_exercise(), bank.code.solution, "submit")
    at.button(key=f"{KEY}-rerate-4").click().run()
    assert reviews(db) == [(QID, "code", int(Rating.Easy), True)]


def test_an_error_shows_the_learners_trimmed_traceback(db, bank):
    broken = "def causal_attention(q, k, v):\n    return q.no_such_method()\n"
    at = act(open_exercise(), broken, "run")
    assert texts(at.error) == ["Your code raised an error."]
    shown = "\n".join(c.value for c in at.code)
    assert "no_such_method" in shown and "worker.py" not in shown
    assert attempts(db)[0][:2] == ("run", "error")


def test_a_syntax_error_is_an_error_with_its_line(db, bank):
    at = act(open_exercise(), "def causal_attention(q, k, v)\n    return q\n", "run")
    assert texts(at.error) == ["Your code raised an error."]
    assert any("SyntaxError" in c.value for c in at.code)


def test_undo_starts_the_exercise_again_from_the_starter(db, bank):
    at = act(open_exercise(), bank.code.solution, "submit")
    assert reviews(db)
    act(at, None, "undo")
    assert reviews(db) == []
    assert at.session_state[KEY]["code"] == bank.code.starter
    act(at, bank.code.solution, "submit")  # the same code again: its result is remembered
    assert reviews(db) == [(QID, "code", int(Rating.Good), True)]
    assert [a[:2] for a in attempts(db)] == [("submit", "passed")]  # and not run again


def test_each_review_starts_from_the_starter(db, bank):
    at = act(open_exercise(), bank.code.solution, "submit")
    [again] = [b for b in at.button if b.label == "Answer it again"]
    again.click().run()
    assert at.session_state[f"question-1-{QID}"]["code"] == bank.code.starter


def test_review_shows_the_exercise(db, bank):
    at = open_exercise()
    at.switch_page("app_pages/review.py").run()
    assert not at.exception, at.exception
    key = at.session_state["review_current"]["key"]
    assert key.endswith(QID)
    assert at.button(key=f"{key}-run").label == "Run examples"


def test_exercises_page_lists_each_exercise_with_its_status(db, bank):
    at = open_exercise()
    at.switch_page("app_pages/exercises.py").run()
    assert not at.exception, at.exception
    assert "0 of 1 solved, 0 tried." in texts(at.caption)
    assert any("not tried yet" in c for c in texts(at.caption))
    [link] = [e for e in at.get("page_link") if e.proto.page == "question"]
    assert link.proto.label == "Open" and f"q={QID}" in link.proto.query_string
    title = (
        "Implement `causal_attention(q, k, v)`: single-head scaled dot-product attention with a "
    )
    assert title + "causal mask." in texts(at.markdown)  # the first sentence, not the statement
    with ProgressStore(db) as store:
        store.record_attempt(1, QID, action="submit", code="", status="failed", tests=[])
    at.run()
    assert "0 of 1 solved, 1 tried." in texts(at.caption)
    with ProgressStore(db) as store:
        store.record_attempt(1, QID, action="submit", code="", status="passed", tests=[])
    at.run()
    assert "1 of 1 solved, 0 tried." in texts(at.caption)


def test_the_plain_text_area_works_when_the_editor_is_missing(db, bank, monkeypatch):
    monkeypatch.setitem(sys.modules, "code_editor", None)  # import code_editor fails
    exercise_view._editor_component.clear()
    try:
        at = open_exercise()
        assert "plain text box" in " ".join(texts(at.caption))
        at.text_area[0].input(bank.code.solution).run()
        at.button(key=f"{KEY}-run").click().run()
        assert texts(at.success)[0].startswith("All 2 examples passed.")
    finally:
        exercise_view._editor_component.clear()


def test_refused_mode_disables_run_and_submit(db, bank, monkeypatch):
    monkeypatch.setenv("STUDYAPP_SANDBOX", "refused")
    exercise_view.runner.clear()  # the mode is decided once per server
    try:
        at = open_exercise()
        assert at.button(key=f"{KEY}-run").disabled and at.button(key=f"{KEY}-submit").disabled
        assert not at.button(key=f"{KEY}-reset").disabled
        assert any("Code cannot run here" in m for m in texts(at.markdown))
        assert "runs none" in " ".join(texts(at.caption))
    finally:
        exercise_view.runner().close()
        exercise_view.runner.clear()


def test_the_offline_editor_build_has_no_third_party_import(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    build = exercise_view._offline_build()
    assert build is not None and build.is_relative_to(tmp_path)
    import code_editor

    original = Path(code_editor.__file__).parent / "frontend" / "build"
    changed = 0
    for path in original.rglob("*"):
        if path.is_dir():
            continue
        before, after = path.read_bytes(), (build / path.relative_to(original)).read_bytes()
        assert b"fonts.googleapis.com" not in after
        if before != after:  # only the import itself is gone, the rest of the bundle stays
            changed += 1
            removed = exercise_view.FONT_IMPORT.findall(before.decode())
            assert removed and len(before) - len(after) == sum(map(len, removed)) > 0
    assert changed >= 1


def test_proposed_ratings():
    propose = exercise_view.proposed_code_rating
    assert propose(passed=True, failed_submits=0, hints=0) == Rating.Good
    assert propose(passed=True, failed_submits=1, hints=0) == Rating.Hard
    assert propose(passed=True, failed_submits=0, hints=2) == Rating.Hard
    assert propose(passed=False, failed_submits=0, hints=0) == Rating.Again


def test_the_app_process_never_imports_torch_even_while_grading(tmp_path):
    root = exercise_bank(tmp_path / "questions")
    script = f"""
import json, os, sys
os.environ.update(STUDYAPP_BANK={str(root)!r}, STUDYAPP_DB={str(tmp_path / "p.db")!r},
                  STUDYAPP_SANDBOX="not-isolated")
from streamlit.testing.v1 import AppTest
from studyapp.bank.load import load_bank
q = load_bank({str(root)!r}).questions[{QID!r}]
at = AppTest.from_file({APP!r}, default_timeout=120)
at.query_params["q"] = q.id
at.run()
at.session_state[{KEY!r}]["code"] = q.code.solution
at.button(key={KEY + "-run"!r}).click().run()
print(json.dumps([[s.value for s in at.success], "torch" in sys.modules]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    successes, torch_loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert successes == ["All 2 examples passed. Submit to run the hidden tests too."]
    assert torch_loaded is False


def test_a_quiz_asks_the_exercise_and_moves_on_after_a_pass(db, bank, monkeypatch):
    monkeypatch.setitem(sys.modules, "code_editor", None)  # type into the plain text box
    exercise_view._editor_component.clear()
    try:
        at = open_exercise()
        at.switch_page("app_pages/quiz.py").run()
        at.multiselect(key="quiz_types").select("code").run()
        at.button(key="quiz_start").click().run()
        assert not at.exception, at.exception
        key = f"quiz-0-{QID}"
        at.text_area[0].input(bank.code.solution).run()
        at.button(key=f"{key}-submit").click().run()
        assert reviews(db) == [(QID, "code", int(Rating.Good), True)]
        at.button(key=f"{key}-next").click().run()
        assert not at.exception, at.exception
        assert any("Quiz finished: 1 of 1" in s for s in texts(at.subheader))
    finally:
        exercise_view._editor_component.clear()


@pytest.mark.parametrize(
    "status, shown",
    [
        ("time_limit", "Time limit: your code ran longer than 15 s (an endless loop?)."),
        ("memory_limit", "Memory limit: your code needed more than 1024 MB."),
        ("output_cut", "Every test passed, but your code printed too much: the output was cut."),
        ("crashed", "Your code's process stopped abruptly (it was killed or crashed)."),
        ("refused", "Not run: this server runs no code."),
    ],
)
def test_each_outcome_has_its_own_words(db, bank, status, shown):
    """The words for outcomes that take long to provoke (the sandbox tests provoke them for
    real); a result is shown from the session's results, as after any run."""
    at = open_exercise()
    key = exercise_view._result_key(bank, "submit", "x = 1")
    result = {
        "status": status,
        "tests": [{"id": "tiny-by-hand", "status": "passed"}]
        + ([{"id": "float32-stays-float32", "status": status}] if status != "refused" else []),
        "limits": {"wall_s": 15, "memory_mb": 1024},
        "printed": "hello\n" * 3,
        "printed_cut": status == "output_cut",
    }
    at.session_state["exercise_results"] = {key: result}
    at.session_state[KEY]["shown"] = {"action": "submit", "key": key}
    at.run()
    assert not at.exception, at.exception
    assert any(text.startswith(shown) for text in texts(at.warning) + texts(at.error))
    if status != "refused":
        words = {"time_limit": "time limit", "memory_limit": "memory limit"}.get(status)
        words = words or {"output_cut": "output cut", "crashed": "process stopped"}[status]
        line = f"{exercise_view.STATUS_ICONS[status]} **{words}** · float32\\-stays\\-float32"
        assert line in texts(at.markdown)
    assert "hello\nhello\nhello" in [c.value for c in at.code]  # the printed output preview
    assert attempts(db) == []  # showing a kept result runs and records nothing
