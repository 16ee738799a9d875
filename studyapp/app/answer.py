"""The answer card: ask a question, take the answer, grade it, let the learner rate it, record it.

Keyboard as in Anki: Space reveals a recall card and 1-4 rate it, which moves on (Z takes it
back); a choice is picked with 1-9 or A-I and checked with Enter; a number is checked with Enter.
An automatic grade (choice, number) only proposes a rating: the four buttons under it change it,
and Enter keeps it. The rating buttons sit in a bar that sticks to the bottom of the window, so a
long answer never pushes them out of reach.

The card's state is a plain JSON-able dict, which the caller may own (the Quiz page saves it in
the progress store, so that a reload resumes the card where it was).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from studyapp.app import widgets
from studyapp.app.exercise_view import exercise_card
from studyapp.app.i18n import tr
from studyapp.app.text import literal
from studyapp.bank.schema import Question
from studyapp.bank.validate import Report
from studyapp.progress.grading import (
    MAX_ANSWER_MS,
    NumericGrade,
    Outcome,
    format_number,
    grade_choice,
    grade_numeric,
    parse_number,
    proposed_rating,
)
from studyapp.progress.scheduling import Rating, format_interval, preview_intervals

__all__ = ["Answered", "answer_card", "key_help", "take_back", "undo_button"]

# One copy per page. The script only acts while a choice is on screen (a container whose key
# starts with "choices-") and never while the learner types in a text field.
_PAGE_HELPERS = """
<style>
/* Streamlit wraps a keyed container in a box of its own size: the wrapper is what sticks. */
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-ratingbar-"]) {
  position: sticky; bottom: 0; z-index: 50;
}
[class*="st-key-ratingbar-"] {
  padding: 0.5rem 0;
  background: var(--studyapp-page-background, #fff);
  box-shadow: 0 -0.5rem 0.75rem -0.75rem rgba(0, 0, 0, 0.35);
}
@media (pointer: coarse) { [class*="st-key-keyhint-"] { display: none; } }
</style>
<script>
(() => {
  if (window.studyappChoiceKeys) return;
  window.studyappChoiceKeys = true;
  // The sticky bar needs an opaque background of the page's own colour, light or dark theme.
  const followTheme = () => {
    const app = document.querySelector(".stApp");
    if (app) document.documentElement.style.setProperty(
      "--studyapp-page-background", getComputedStyle(app).backgroundColor);
  };
  followTheme();
  setInterval(followTheme, 500);
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    const typing = target && (target.isContentEditable || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" ||
      (target.tagName === "INPUT" && !["radio", "checkbox"].includes(target.type)));
    if (typing) return;
    const box = document.querySelector('[class*="st-key-choices-"]');
    if (!box) return;
    const key = event.key.toLowerCase();
    if (key === "enter") {
      const submit = box.querySelector('[class*="-submit"] button');
      if (submit) { event.preventDefault(); event.stopImmediatePropagation(); submit.click(); }
      return;
    }
    let index = "123456789".indexOf(key);
    if (index < 0 && key.length === 1) index = "abcdefghi".indexOf(key);
    const options = box.querySelectorAll(
      '[data-testid="stRadioOption"] input, [data-testid="stCheckbox"] input');
    if (index >= 0 && index < options.length) {
      event.preventDefault(); event.stopImmediatePropagation(); options[index].click();
    }
  }, true);
})();
</script>
"""

RATINGS = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)


@dataclass
class Answered:
    outcome: Outcome
    # The learner rated a recall card, or confirmed or changed an automatic grade, and wants the
    # next question (only when the caller offered one).
    moved_on: bool = False


def _page_helpers() -> None:
    # App code only: no bank text goes into this HTML.
    st.html(_PAGE_HELPERS, unsafe_allow_javascript=True)


def key_help(text: str, key: str) -> None:
    """A keyboard hint, hidden on touch screens."""
    st.container(key=f"keyhint-{key}").caption(text)


def undo_button(lang: str, key: str) -> bool:
    """The Undo button (Z, as Ctrl+Z in Anki)."""
    return st.button(
        tr("undo", lang), key=key, icon=":material/undo:", type="tertiary", shortcut="Z"
    )


def _elapsed_ms(state: dict) -> int:
    return min(MAX_ANSWER_MS, max(0, int((time.time() - state["shown_at"]) * 1000)))


def _record(
    q: Question,
    state: dict,
    *,
    rating: int,
    correct: bool | None,
    reschedule: bool,
) -> None:
    """Commit the review to disk first (when the answer reschedules); the card shows the result
    only after that returned."""
    duration = _elapsed_ms(state)
    state.update(
        stage="done", rating=rating, proposed=rating, correct=correct, duration_ms=duration
    )
    if not reschedule:
        return
    me = widgets.profile()
    done = widgets.store().record_review(
        me.id, q.id, kind=q.type, rating=rating, correct=correct, duration_ms=duration
    )
    state.update(
        due=done.card.due.isoformat(),
        at=done.reviewed_at.isoformat(),
        review_id=done.review_id,
        profile_id=me.id,
    )


def take_back(state: dict) -> None:
    """Undo an answer: its review is deleted (the card rebuilt from the others), and the question
    is asked again from the start."""
    if state.get("review_id") is not None:
        widgets.store().delete_review(state["profile_id"], state["review_id"])
    order = state.get("order")
    state.clear()
    state.update(stage="ask", shown_at=time.time(), **({"order": order} if order else {}))


def _rerate(state: dict, rating: int) -> None:
    state["rating"] = rating
    if state.get("review_id") is not None:
        rec = widgets.store().change_rating(state["profile_id"], state["review_id"], rating)
        state["due"] = rec.card.due.isoformat()


def _row(bar):
    """A row of buttons that shares the width and wraps on a phone instead of stacking (columns
    would put each button on a line of its own and fill the screen)."""
    return bar.container(horizontal=True, gap="small")


def _intervals(q: Question, lang: str, reschedule: bool) -> dict[Rating, str]:
    """Each rating button's label: the rating and, when it reschedules, the interval it gives."""
    names = {r: tr(widgets.RATING_KEYS[r], lang) for r in RATINGS}
    if not reschedule:
        return names
    me = widgets.profile()
    card = widgets.store().get_card(me.id, q.id)
    intervals = preview_intervals(
        card, datetime.now(UTC), desired_retention=me.desired_retention, question_id=q.id
    )
    return {r: f"{names[r]} · {format_interval(intervals[r], lang)}" for r in RATINGS}


def answer_card(
    q: Question,
    lang: str,
    report: Report,
    *,
    key: str,
    state: dict | None = None,
    order: list[int] | None = None,
    show_demo: widgets.ShowDemo | None = None,
    reschedule: bool = True,
    next_label: str | None = None,
) -> Answered | None:
    """Ask `q`, take the learner's answer, record it (when `reschedule`), then explain.

    Returns None while the learner is still answering. A choice question's options come in
    `order`, or shuffled once when none is given. Nothing is graded and no answer is shown before
    the learner acts. With `next_label`, a button (Enter) moves on, and rating moves on too.
    """
    if state is None:
        state = st.session_state.setdefault(key, {})
    state.setdefault("stage", "ask")
    state.setdefault("shown_at", time.time())
    _page_helpers()
    if q.type == "code":  # written and run, then graded by tests: a card of its own
        done = exercise_card(
            q, lang, report, key=key, state=state, show_demo=show_demo,
            reschedule=reschedule, next_label=next_label,
        )  # fmt: skip
        return None if done is None else Answered(*done)
    st.markdown(widgets.bank_text(q.question, lang))
    if q.type == "recall":
        moved = _recall(q, lang, state, key, show_demo, reschedule, next_label)
    else:
        if q.type == "choice":
            if order is None:  # shuffled once per card, so the right option is not always first
                order = state.setdefault(
                    "order", random.sample(range(len(q.choices)), len(q.choices))
                )
            _choice(q, lang, state, key, order, reschedule)
        else:
            _numeric(q, lang, state, key, reschedule)
        moved = _graded(q, lang, report, state, key, show_demo, reschedule, next_label)
    if state["stage"] != "done":
        return None
    outcome = Outcome(q.id, state["correct"], state["rating"], state.get("duration_ms", 0))
    return Answered(outcome, moved)


def _saved_message(lang: str, state: dict, reschedule: bool) -> str:
    rating = tr(widgets.RATING_KEYS[Rating(state["rating"])], lang)
    if not reschedule:
        return tr("rated_unscheduled", lang, rating=rating)
    due, at = datetime.fromisoformat(state["due"]), datetime.fromisoformat(state["at"])
    return tr("saved", lang, rating=rating, interval=format_interval(due - at, lang))


def _recall(
    q: Question,
    lang: str,
    state: dict,
    key: str,
    show_demo: widgets.ShowDemo | None,
    reschedule: bool,
    next_label: str | None,
) -> bool:
    if state["stage"] == "ask":
        if st.button(
            tr("show_answer", lang),
            key=f"{key}-reveal",
            type="primary",
            help=tr("think_first", lang),
            shortcut="Space",
        ):
            state["stage"] = "revealed"
            st.rerun()
        return False
    if state["stage"] == "revealed":
        widgets.render_answer(q, lang, report=None, show_demo=show_demo)
        labels = _intervals(q, lang, reschedule)
        bar = st.container(key=f"ratingbar-{key}")
        row = _row(bar)
        for rating in RATINGS:
            if row.button(
                labels[rating],
                key=f"{key}-rate-{int(rating)}",
                width="stretch",
                shortcut=str(int(rating)),  # Anki's keys: 1 Again, 2 Hard, 3 Good, 4 Easy
            ):
                _record(q, state, rating=int(rating), correct=None, reschedule=reschedule)
                if next_label is not None:
                    return True
                st.rerun()
        return False
    st.success(_saved_message(lang, state, reschedule))
    if undo_button(lang, f"{key}-undo"):
        take_back(state)
        st.rerun()
    widgets.render_answer(q, lang, report=None, show_demo=show_demo)
    return False


def _choice(
    q: Question, lang: str, state: dict, key: str, order: list[int], reschedule: bool
) -> None:
    assert q.choices is not None
    several = sum(c.correct for c in q.choices) > 1
    label = lambda i: widgets.bank_text(q.choices[i].text, lang)  # noqa: E731
    if state["stage"] == "ask":
        box = st.container(key=f"choices-{key}")
        if several:
            box.caption(tr("select_all", lang))
            picked = {i for i in order if box.checkbox(label(i), key=f"{key}-opt-{i}")}
        else:
            one = box.radio(
                tr("select_one", lang), order, format_func=label, index=None, key=f"{key}-radio"
            )
            picked = set() if one is None else {one}
        submitted = box.button(tr("submit", lang), key=f"{key}-submit", type="primary")
        with box:
            key_help(
                tr("choice_keys", lang, last=len(order), letter="ABCDEFGHI"[len(order) - 1]), key
            )
        if submitted:
            if not picked:
                st.warning(tr("pick_something", lang))
                return
            state["picked"] = sorted(picked)
            correct = grade_choice(q, picked)
            _record(
                q, state, rating=proposed_rating(correct), correct=correct, reschedule=reschedule
            )
            st.rerun()
        return
    (st.success if state["correct"] else st.error)(
        tr("right" if state["correct"] else "wrong_answer", lang)
    )
    widgets.options_with_reasons(q, lang, order, set(state["picked"]))


def _numeric(q: Question, lang: str, state: dict, key: str, reschedule: bool) -> None:
    assert q.numeric is not None
    unit = widgets.unit_label(q.numeric.unit, lang)
    if state["stage"] == "ask":
        with st.form(f"{key}-form", border=False):  # a form, so that Enter in the field submits
            text = st.text_input(
                f"{tr('your_number', lang)} ({literal(unit)})" if unit else tr("your_number", lang),
                key=f"{key}-number",
                placeholder=tr("number_examples", lang),
            )
            submitted = st.form_submit_button(
                tr("submit", lang), key=f"{key}-submit", type="primary"
            )
        if submitted:
            value = parse_number(text, q.numeric.unit)
            if value is None:
                st.warning(tr("not_a_number", lang, text=literal(text)))
                return
            grade = grade_numeric(q, value)
            state["value"] = value
            state["grade"] = str(grade)
            _record(
                q,
                state,
                rating=proposed_rating(grade=grade),
                correct=grade is NumericGrade.EXACT,
                reschedule=reschedule,
            )
            st.rerun()
        return
    grade = NumericGrade(state["grade"])
    show = {NumericGrade.EXACT: st.success, NumericGrade.CLOSE: st.warning}.get(grade, st.error)
    show(tr({"exact": "right", "close": "close_answer", "wrong": "wrong_answer"}[grade], lang))
    st.markdown(
        tr("you_said", lang, value=literal(f"{format_number(state['value'])} {unit}".strip()))
    )


def _graded(
    q: Question,
    lang: str,
    report: Report,
    state: dict,
    key: str,
    show_demo: widgets.ShowDemo | None,
    reschedule: bool,
    next_label: str | None,
) -> bool:
    """After an automatic grade: the saved rating, the bar to change it or move on, the answer."""
    if state["stage"] != "done":
        return False
    st.success(_saved_message(lang, state, reschedule))
    bar = st.container(key=f"ratingbar-{key}")
    bar.caption(
        tr("change_rating", lang, proposed=tr(widgets.RATING_KEYS[Rating(state["proposed"])], lang))
    )
    row = _row(bar)
    labels = {r: tr(widgets.RATING_KEYS[r], lang) for r in RATINGS}
    for rating in RATINGS:
        if row.button(
            labels[rating],
            key=f"{key}-rerate-{int(rating)}",
            type="primary" if int(rating) == state["rating"] else "secondary",
            width="stretch",
            shortcut=str(int(rating)),
        ):
            if int(rating) != state["rating"]:
                _rerate(state, int(rating))
            if next_label is not None:
                return True
            st.rerun()
    if next_label is not None and row.button(
        next_label, key=f"{key}-next", type="primary", width="stretch", shortcut="Enter"
    ):
        return True
    with bar:
        key_help(tr("rating_keys", lang), key)
    if undo_button(lang, f"{key}-undo"):
        take_back(state)
        st.rerun()
    widgets.render_answer(q, lang, report, with_options=False, show_demo=show_demo)
    return False
