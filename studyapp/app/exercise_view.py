"""The code-exercise card: statement, editor, Run examples / Submit, per-test results, hints, the
solution, and the FSRS rating a submit proposes.

The learner's code never runs here: `studyapp.exercises.runner` sends it to a warm worker in a
sandbox (one per server, started in the background when an exercise is opened), and this process
never imports torch. A result is kept in `session_state` under (exercise, action, code hash), so a
rerun of the page never runs code again.

Ratings, as in `/work/shared/research/code-exercises.md` section 5: every test passed at the first
submit with no hint proposes Good; passed after failed submits or with hints, Hard; the solution
shown (giving up), Again. The review is committed to the store before the page confirms it, and
the four buttons change it. A review of an exercise starts again from the starter code.

The card's state is a JSON-able dict (the Quiz page saves it in the store): `stage` ask/done,
`code`, `hints`, `failed_submits`, `gave_up`, and after the answer the same `rating`, `review_id`,
`profile_id`, `due`, `at` keys as `answer.py`'s cards, so that its `take_back` undoes one too.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import streamlit as st

from studyapp.app import widgets
from studyapp.app.i18n import tr
from studyapp.app.text import literal
from studyapp.bank.schema import CodeExercise, Question
from studyapp.bank.validate import Report
from studyapp.exercises.runner import Runner, choose
from studyapp.progress.grading import MAX_ANSWER_MS, Outcome
from studyapp.progress.scheduling import Rating, format_interval

__all__ = ["exercise_card", "proposed_code_rating", "runner", "sandbox_badge", "take_back"]

RATINGS = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)
KEPT_RESULTS = 32  # per session: enough to flip between versions of the code without re-running
SHOWN_TRACEBACK_LINES = 25
# The editor bundle's only third-party request: a CSS import inside minified JavaScript.
FONT_IMPORT = re.compile(r"@import url\('https://fonts\.googleapis\.com/[^')]*'\);?")
STATUS_ICONS = {
    "passed": ":material/check_circle:",
    "failed": ":material/cancel:",
    "error": ":material/error:",
    "time_limit": ":material/timer_off:",
    "memory_limit": ":material/memory:",
    "crashed": ":material/dangerous:",
    "output_cut": ":material/content_cut:",
    "not_run": ":material/radio_button_unchecked:",
}


# -- the runner: one per server --------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def runner() -> Runner:
    """The server's grader. Its mode is decided once, by probing: an unset address means every
    interface, so it counts as reachable from the network."""
    return Runner(choose(st.get_option("server.address") or "0.0.0.0"))


@st.cache_resource(show_spinner=False)
def _grading_thread() -> ThreadPoolExecutor:
    """The one thread that starts the worker and talks to it, alive as long as the server.

    The worker asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG, and bubblewrap's
    --die-with-parent), and Linux means the parent *thread*: a worker started from a script run's
    thread, which ends after the run, or from a short-lived thread, would be killed at once.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="exercise-grader")


def _warm_up() -> None:
    """Start the worker (torch imported once) while the learner reads the statement."""
    grader = runner()
    if grader.sandbox.mode != "refused":
        _grading_thread().submit(_start_quietly, grader)


def _start_quietly(grader: Runner) -> None:
    with suppress(OSError, RuntimeError):  # the first Run tries again and shows why
        grader.start()


def sandbox_badge(lang: str) -> bool:
    """A badge naming the sandbox mode (with its reason when not isolated); False if refused."""
    sandbox = runner().sandbox
    reason = literal(sandbox.reason)
    if sandbox.mode == "isolated":
        st.badge(tr("ex_mode_isolated", lang), icon=":material/shield:", color="green")
    elif sandbox.mode == "not-isolated":
        st.badge(tr("ex_mode_not_isolated", lang), icon=":material/warning:", color="orange")
        st.caption(tr("ex_mode_not_isolated_help", lang, reason=reason))
    else:
        st.badge(tr("ex_mode_refused", lang), icon=":material/block:", color="red")
        st.caption(tr("ex_mode_refused_help", lang, reason=reason))
    return sandbox.mode != "refused"


# -- the editor --------------------------------------------------------------------------------


def _offline_build() -> Path | None:
    """streamlit-code-editor's frontend with its one third-party request removed.

    Its bundle `@import`s Source Code Pro from fonts.googleapis.com; the app makes no third-party
    request, so a copy without that line is served instead (the editor falls back to the browser's
    monospace font). Made once per installed version, in the user's cache folder.
    """
    try:
        import code_editor
    except ImportError:
        return None
    source = Path(code_editor.__file__).resolve().parent / "frontend" / "build"
    stamp = hashlib.blake2b(str(sorted(p.name for p in source.rglob("*"))).encode(), digest_size=6)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    target = base / "studyapp" / f"code-editor-{stamp.hexdigest()}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".code-editor-", dir=target.parent))
    shutil.copytree(source, scratch, dirs_exist_ok=True)
    for path in [*scratch.rglob("*.js"), *scratch.rglob("*.js.map")]:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        kept = FONT_IMPORT.sub("", text)
        if kept != text:
            path.write_text(kept, encoding="utf-8", errors="surrogateescape")
    try:
        scratch.rename(target)  # atomic: another session may have made it meanwhile
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


@st.cache_resource(show_spinner=False)
def _editor_component():
    """The Ace editor component served from the offline copy, None when it is not installed."""
    try:
        build = _offline_build()
    except OSError:  # no writable cache folder: the plain text area still works
        return None
    if build is None:
        return None
    import streamlit.components.v1 as components

    return components.declare_component("code_editor", path=str(build))


def _editor(exercise: CodeExercise, lang: str, state: dict, key: str) -> str | None:
    """Show the editor on the card's code; returns "run" when Ctrl+Enter asked for a run."""
    component = _editor_component()
    # A new key for each fresh start (a reset, an undo): the editor then opens on the starter.
    editor_key = f"{key}-editor-{int(state['shown_at'] * 1000)}-{state['editor_round']}"
    st.markdown(f"**{tr('ex_your_code', lang)}**")
    if component is None:
        st.caption(tr("ex_plain_editor", lang))
        st.html(
            f"<style>.st-key-{editor_key} textarea {{font-family: monospace; font-size: 14px;}}"
            "</style>"
        )
        state["code"] = st.text_area(
            tr("ex_your_code", lang),
            value=state["code"],
            height=max(200, 22 * (state["code"].count("\n") + 3)),
            key=editor_key,
            label_visibility="collapsed",
        )
        return None
    event = component(
        code=state["code"],
        lang="python",
        theme="default",
        key=editor_key,
        height=[12, 30],
        focus=False,
        shortcuts="vscode",
        snippets=["", ""],
        completions=[],
        keybindings={},
        buttons=[],
        options={"wrap": False, "showLineNumbers": True, "tabSize": 4},
        props={},
        editor_props={},
        component_props={},
        menu={},
        info={},
        allow_reset=False,
        replace_completer=False,
        # Text on Ctrl+Enter and when the editor loses focus (a click on Run or Submit): a debounced
        # change arriving just after Ctrl+Enter would replace the run request before it was seen.
        response_mode=["blur"],
        ghost_text="",
        default={"id": "", "type": "", "lang": "", "text": "", "selected": "", "cursor": ""},
    )
    st.caption(tr("ex_keys", lang))
    if not event or not event.get("id") or event["id"] == state.get("editor_event"):
        return None
    state["editor_event"] = event["id"]  # each event is acted on once, not on every rerun
    state["code"] = event.get("text", state["code"])
    return "run" if event.get("type") == "submit" else None


# -- grading -----------------------------------------------------------------------------------


def proposed_code_rating(*, passed: bool, failed_submits: int, hints: int) -> Rating:
    """Good for all tests passed at the first submit with no hint, Hard for passed after failed
    submits or with hints, Again otherwise (the solution shown, or given up)."""
    if not passed:
        return Rating.Again
    return Rating.Good if failed_submits == 0 and hints == 0 else Rating.Hard


def _result_key(q: Question, action: str, code: str) -> str:
    digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{q.id}:{action}:{digest}"


def _grade(q: Question, code: str, action: str) -> tuple[dict, bool]:
    """The result of `action` on `code`, and whether it was run just now (else remembered)."""
    results: dict = st.session_state.setdefault("exercise_results", {})
    key = _result_key(q, action, code)
    if key in results:
        return results[key], False
    assert q.code is not None
    spec = q.code.model_dump(mode="json")
    try:
        job = _grading_thread().submit(runner().grade, code, spec, visible_only=action == "run")
        result = job.result()
    except (OSError, RuntimeError) as err:  # the worker could not start
        result = {"status": "crashed", "tests": [], "error": str(err), "grader_failed": True}
    while len(results) >= KEPT_RESULTS:
        results.pop(next(iter(results)))
    results[key] = result
    return result, True


def _record_attempt(q: Question, action: str, code: str, result: dict) -> None:
    if result.get("grader_failed"):
        return  # nothing of the learner's was run
    widgets.store().record_attempt(
        widgets.profile().id,
        q.id,
        action=action,
        code=code,
        status=result["status"],
        tests=result.get("tests", []),
        seconds=result.get("seconds"),
    )


def _trimmed_traceback(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) <= SHOWN_TRACEBACK_LINES:
        return "\n".join(lines)
    return "\n".join(["…", *lines[-SHOWN_TRACEBACK_LINES:]])


def _summary(q: Question, lang: str, result: dict, action: str) -> None:
    status = result["status"]
    tests = result.get("tests", [])
    limits = result.get("limits", {})
    if result.get("grader_failed"):
        st.error(tr("ex_grader_failed", lang, reason=literal(result.get("error", ""))))
        return
    if status == "passed":
        key = "ex_all_passed" if action == "submit" else "ex_examples_passed"
        st.success(tr(key, lang, n=len(tests)))
    elif status == "failed":
        failed = sum(t["status"] != "passed" for t in tests)
        st.error(tr("ex_some_failed", lang, failed=failed, n=len(tests)))
    elif status == "error":
        st.error(tr("ex_outcome_error", lang))
    elif status == "time_limit":
        st.warning(tr("ex_outcome_time_limit", lang, seconds=limits.get("wall_s", "?")))
    elif status == "memory_limit":
        st.warning(tr("ex_outcome_memory_limit", lang, mb=limits.get("memory_mb", "?")))
    elif status == "output_cut":
        st.warning(tr("ex_outcome_output_cut", lang))
    elif status == "refused":
        st.error(tr("ex_outcome_refused", lang))
    else:  # crashed
        st.error(tr("ex_outcome_crashed", lang))
    if result.get("error"):  # the code did not even load: its traceback, trimmed
        st.code(_trimmed_traceback(result["error"]), language=None, wrap_lines=True)


def _per_test(q: Question, lang: str, result: dict, action: str) -> None:
    """Every test that this action runs, in the exercise's order, with its own words."""
    assert q.code is not None
    by_id = {t["id"]: t for t in result.get("tests", [])}
    mistakes = {m.id: m for m in q.code.mistakes}
    box = st.container(key="exercise-results")
    explained: set[str] = set()
    for test in q.code.tests:
        if action == "run" and not test.visible:
            continue
        outcome = by_id.get(test.id, {"status": "not_run"})
        status = outcome["status"]
        name = widgets.bank_text(test.name, lang) if test.name else literal(test.id)
        if not test.visible:
            name += f" ({tr('ex_test_hidden', lang)})"
        words = tr(f"ex_test_{status}", lang)
        box.markdown(f"{STATUS_ICONS.get(status, '')} **{words}** · {name}")
        if outcome.get("mistake") in mistakes and outcome["mistake"] not in explained:
            explained.add(outcome["mistake"])  # once, at the first test it shows in
            message = widgets.bank_text(mistakes[outcome["mistake"]].message, lang)
            box.warning(tr("ex_mistake", lang, message=message))
        if outcome.get("message"):
            text = outcome["message"]
            if status == "error":
                text = _trimmed_traceback(text)
            box.code(text, language=None, wrap_lines=True)
    printed = result.get("printed") or ""
    if printed:
        with st.expander(tr("ex_printed", lang)):
            st.code(printed, language=None, wrap_lines=True)
            if result.get("printed_cut"):
                st.caption(tr("ex_printed_cut", lang))
    if result.get("seconds") is not None:
        st.caption(tr("ex_took", lang, seconds=f"{result['seconds']:.2f}"))


def show_result(q: Question, lang: str, result: dict, action: str) -> None:
    _summary(q, lang, result, action)
    _per_test(q, lang, result, action)


# -- the card ----------------------------------------------------------------------------------


def _elapsed_ms(state: dict) -> int:
    return min(MAX_ANSWER_MS, max(0, int((time.time() - state["shown_at"]) * 1000)))


def _record_review(
    q: Question, state: dict, *, rating: Rating, passed: bool, reschedule: bool
) -> None:
    """Commit the review first; the card confirms it only after this returned."""
    duration = _elapsed_ms(state)
    state.update(
        stage="done", rating=int(rating), proposed=int(rating), correct=passed, duration_ms=duration
    )
    if not reschedule:
        return
    me = widgets.profile()
    done = widgets.store().record_review(
        me.id, q.id, kind="code", rating=rating, correct=passed, duration_ms=duration
    )
    state.update(
        due=done.card.due.isoformat(),
        at=done.reviewed_at.isoformat(),
        review_id=done.review_id,
        profile_id=me.id,
    )


def _hints(q: Question, lang: str, state: dict, key: str) -> None:
    assert q.code is not None
    hints = q.code.hints
    for i, hint in enumerate(hints[: state["hints"]]):
        st.info(f"**{tr('ex_hint_title', lang, i=i + 1)}** · {widgets.bank_text(hint, lang)}")
    left = len(hints) - state["hints"]
    if left > 0 and st.button(
        tr("ex_hint", lang, left=left), key=f"{key}-hint", icon=":material/lightbulb:"
    ):
        state["hints"] += 1
        st.rerun()


def _ask(q: Question, lang: str, state: dict, key: str, reschedule: bool) -> None:
    assert q.code is not None
    can_run = sandbox_badge(lang)
    if can_run:
        _warm_up()
    _hints(q, lang, state, key)
    wanted = _editor(q.code, lang, state, key)
    visible = sum(t.visible for t in q.code.tests)
    row = st.container(horizontal=True, gap="small", key=f"exercise-actions-{key}")
    if row.button(
        tr("ex_run", lang),
        key=f"{key}-run",
        icon=":material/play_arrow:",
        disabled=not can_run,
        help=tr("ex_run_help", lang, n=visible),
    ):
        wanted = "run"
    if row.button(
        tr("ex_submit", lang),
        key=f"{key}-submit",
        type="primary",
        icon=":material/task_alt:",
        disabled=not can_run,
        help=tr("ex_submit_help", lang, n=len(q.code.tests)),
    ):
        wanted = "submit"
    if row.button(tr("ex_reset", lang), key=f"{key}-reset", icon=":material/restart_alt:"):
        state.update(code=q.code.starter, editor_round=state["editor_round"] + 1, shown=None)
        st.rerun()
    if row.button(
        tr("ex_show_solution", lang),
        key=f"{key}-solution",
        type="tertiary",
        icon=":material/visibility:",
        help=tr("ex_solution_help", lang),
    ):
        state["gave_up"] = True
        _record_review(q, state, rating=Rating.Again, passed=False, reschedule=reschedule)
        st.rerun()
    if wanted and can_run:
        code = state["code"]
        with st.spinner(tr("ex_running", lang)):
            result, fresh = _grade(q, code, wanted)
        if fresh:
            _record_attempt(q, wanted, code, result)
        state["shown"] = {"action": wanted, "key": _result_key(q, wanted, code)}
        if wanted == "submit" and result["status"] == "passed":
            # Also a remembered pass: after an undo, the same code submitted again is answered.
            rating = proposed_code_rating(
                passed=True, failed_submits=state["failed_submits"], hints=state["hints"]
            )
            _record_review(q, state, rating=rating, passed=True, reschedule=reschedule)
            st.rerun()
        elif wanted == "submit" and fresh and not result.get("grader_failed"):
            state["failed_submits"] += 1  # the same failing code submitted twice counts once
    shown = state.get("shown")
    result = st.session_state.get("exercise_results", {}).get(shown["key"]) if shown else None
    if result is not None:
        show_result(q, lang, result, shown["action"])


def _saved_message(lang: str, state: dict, reschedule: bool) -> str:
    rating = tr(widgets.RATING_KEYS[Rating(state["rating"])], lang)
    if not reschedule:
        key = "ex_gave_up_unscheduled" if state.get("gave_up") else "rated_unscheduled"
        return tr(key, lang, rating=rating)
    due, at = datetime.fromisoformat(state["due"]), datetime.fromisoformat(state["at"])
    key = "ex_gave_up" if state.get("gave_up") else "saved"
    return tr(key, lang, rating=rating, interval=format_interval(due - at, lang))


def _done(
    q: Question,
    lang: str,
    report: Report,
    state: dict,
    key: str,
    show_demo,
    reschedule: bool,
    next_label: str | None,
) -> bool:
    """After a passing submit or the solution: the saved rating, the bar to change it, the
    solution next to the learner's code, the explanation. True when the learner moves on."""
    st.success(_saved_message(lang, state, reschedule))
    shown = state.get("shown")
    result = st.session_state.get("exercise_results", {}).get(shown["key"]) if shown else None
    if result is not None and not state.get("gave_up"):
        show_result(q, lang, result, shown["action"])
    bar = st.container(key=f"ratingbar-{key}")
    proposed = tr(widgets.RATING_KEYS[Rating(state["proposed"])], lang)
    bar.caption(tr("ex_change_rating", lang, proposed=proposed))
    row = bar.container(horizontal=True, gap="small")
    for rating in RATINGS:
        if row.button(
            tr(widgets.RATING_KEYS[rating], lang),
            key=f"{key}-rerate-{int(rating)}",
            type="primary" if int(rating) == state["rating"] else "secondary",
            width="stretch",
            shortcut=str(int(rating)),
        ):
            if int(rating) != state["rating"]:
                state["rating"] = int(rating)
                if state.get("review_id") is not None:
                    rec = widgets.store().change_rating(
                        state["profile_id"], state["review_id"], int(rating)
                    )
                    state["due"] = rec.card.due.isoformat()
            if next_label is not None:
                return True
            st.rerun()
    if next_label is not None and row.button(
        next_label, key=f"{key}-next", type="primary", width="stretch", shortcut="Enter"
    ):
        return True
    if st.button(
        tr("undo", lang), key=f"{key}-undo", icon=":material/undo:", type="tertiary", shortcut="Z"
    ):
        take_back(state)
        st.rerun()
    if not state.get("gave_up"):
        st.markdown(f"**{tr('ex_your_last_code', lang)}**")
        st.code(state["code"], language="python")
    widgets.render_answer(q, lang, report, show_demo=show_demo)
    return False


def take_back(state: dict) -> None:
    """Undo the answer: its review is deleted (the card rebuilt from the others) and the exercise
    starts again from the starter code. Same keys as `answer.take_back`, which Review and Quiz
    call for the previous card, whatever its type."""
    if state.get("review_id") is not None:
        widgets.store().delete_review(state["profile_id"], state["review_id"])
    state.clear()
    state.update(stage="ask", shown_at=time.time())


def exercise_card(
    q: Question,
    lang: str,
    report: Report,
    *,
    key: str,
    state: dict,
    show_demo=None,
    reschedule: bool = True,
    next_label: str | None = None,
) -> tuple[Outcome, bool] | None:
    """A code exercise as a study card (see the module docstring). Returns None while the
    learner works on it, else the outcome and whether they asked for the next question."""
    assert q.code is not None
    state.setdefault("stage", "ask")
    state.setdefault("shown_at", time.time())
    state.setdefault("code", q.code.starter)  # a new card, or one taken back, starts afresh
    state.setdefault("hints", 0)
    state.setdefault("failed_submits", 0)
    state.setdefault("editor_round", 0)
    st.markdown(widgets.bank_text(q.question, lang))
    if state["stage"] != "done":
        _ask(q, lang, state, key, reschedule)
        return None
    moved = _done(q, lang, report, state, key, show_demo, reschedule, next_label)
    outcome = Outcome(q.id, state["correct"], state["rating"], state.get("duration_ms", 0))
    return outcome, moved
