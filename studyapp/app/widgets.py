"""Streamlit pieces shared by the pages: language, the bank with its warning, question rendering.

Bank text is rendered with `st.markdown`, which does not render raw HTML: `<script>` in a question
shows as text, never runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from studyapp.app.i18n import LANGUAGES, STRINGS, tr
from studyapp.app.text import join_cjk_breaks, link, literal
from studyapp.bank.load import default_bank_dir, get_bank
from studyapp.bank.schema import Question, Text
from studyapp.bank.validate import Report
from studyapp.progress.grading import (
    Outcome,
    format_number,
    grade_choice,
    grade_numeric,
    parse_number,
)
from studyapp.progress.scheduling import Rating, format_interval, preview_intervals
from studyapp.progress.store import Profile, ProgressStore, UnknownProfileError, default_db_path

RATING_KEYS = {
    Rating.Again: "rate_again",
    Rating.Hard: "rate_hard",
    Rating.Good: "rate_good",
    Rating.Easy: "rate_easy",
}


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> ProgressStore:
    return ProgressStore(path)


def store() -> ProgressStore:
    """The progress database (`$STUDYAPP_DB` or the user data folder), one per process."""
    return _open_store(str(default_db_path()))


def timezone() -> tzinfo:
    """The learner's time zone as the browser reports it, so that "today" starts at their midnight."""
    try:
        return ZoneInfo(st.context.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def profile() -> Profile:
    """This session's profile: picked in Settings, else the URL's (`?profile=2`), else the default.

    It belongs to the session, never to the database: another browser session that picked none
    keeps recording into the default profile. A URL's profile is adopted by the session, so it
    survives a change of page (which drops the query string) and a reload (which keeps it).
    """
    db = store()
    state = st.session_state
    wanted = state.get("profile_id")
    if wanted is None:
        from_url = st.query_params.get("profile", "")
        wanted = int(from_url) if from_url.isdecimal() and len(from_url) < 12 else None
    if wanted is not None:
        try:
            me = db.profile(wanted)
        except UnknownProfileError:  # deleted in another session, or a stale link
            state.pop("profile_id", None)
        else:
            state.profile_id = me.id
            return me
    return db.default_profile()


def use_profile(profile_id: int) -> None:
    """Make `profile_id` this session's profile (the database's default stays as it is)."""
    st.session_state.profile_id = profile_id
    st.query_params["profile"] = str(profile_id)


def link_params(lang: str, **params: str) -> dict[str, str]:
    """Query parameters for an internal link: `params` plus this session's language and profile."""
    return {**params, "lang": lang, "profile": str(profile().id)}


def question_link(q: Question, lang: str, *, where=None) -> None:
    """A link to `q` on its own page, in the same tab, keeping the language and the profile."""
    (where or st).page_link(
        "pages/question.py",
        label=question_title(q, lang),
        icon=":material/arrow_forward:",
        query_params=link_params(lang, q=q.id),
    )


def topic_link(topic: str, lang: str, *, where=None) -> None:
    """A link to a quiz over `topic`, in the same tab, keeping the language and the profile."""
    (where or st).page_link(
        "pages/quiz.py",
        label=literal(topic_label(topic, lang)),
        query_params=link_params(lang, topic=topic),
    )


def bank_text(text: Text, lang: str) -> str:
    """Bank Markdown in `lang`, with the line breaks inside Chinese paragraphs joined."""
    return join_cjk_breaks(getattr(text, lang))


def question_title(q: Question, lang: str) -> str:
    """The question's text on one line, for a link or a list."""
    return " ".join(bank_text(q.question, lang).split())


def topic_label(topic: str, lang: str) -> str:
    """A topic's name in `lang` (its folder name if the interface has no name for it yet)."""
    key = f"topic_{topic}"
    return tr(key, lang) if key in STRINGS else topic


def current_language() -> str:
    """This session's language: chosen earlier in the session, else the URL's, else the profile's."""
    chosen = st.session_state.get("language")
    if chosen in LANGUAGES:
        return chosen
    wanted = st.query_params.get("lang")
    return wanted if wanted in LANGUAGES else profile().language


def language() -> str:
    """The interface language, chosen at the top of every page and kept in the URL (`?lang=zh`).

    A new session starts in the language of the URL, else the profile's. The choice lives in its
    own session key: a widget's value would be dropped when the learner changes page.
    """
    state = st.session_state
    state.language = current_language()
    me = profile()
    # Top right of the page, not in a sidebar: the sidebar panel alone made every rerun of a page
    # about a quarter slower in the browser (see studyapp/tools/bench.py).
    header = st.container(
        horizontal=True,
        horizontal_alignment="right",
        vertical_alignment="center",
        gap="small",
        key="page_header",
    )
    header.page_link(  # the active profile, on every page; a click opens Settings to change it
        "pages/settings.py",
        label=literal(me.name),
        icon=":material/person:",
        help=tr("active_profile", state.language),
        query_params={"lang": state.language, "profile": str(me.id)},
    )
    choice = header.segmented_control(
        "Language / 语言",
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        default=state.language,
        required=True,
        label_visibility="collapsed",
    )
    state.language = choice or state.language
    if st.query_params.get("lang") != state.language:  # each write costs the browser a URL update
        st.query_params["lang"] = state.language
    if "profile_id" in state and st.query_params.get("profile") != str(me.id):
        st.query_params["profile"] = str(me.id)
    return state.language


def bank(lang: str) -> Report:
    """The bank, with a visible warning naming each broken file and what is wrong with it."""
    report = get_bank()
    broken = report.broken_files
    if broken:
        with st.expander(f":warning: {tr('broken_files', lang, n=len(broken))}", expanded=False):
            for path, problems in broken.items():
                st.markdown(f"**{literal(path)}**")
                st.code("\n".join(str(p) for p in problems), language=None, wrap_lines=True)
    if not report.questions:
        st.info(tr("empty_bank", lang, path=literal(default_bank_dir())))
    return report


def plain(text: str) -> str:
    """`text` shown literally inside Markdown (a source's "Task #1" must not lose its "#1")."""
    return literal(text)


def type_label(kind: str, lang: str) -> str:
    return tr(f"type_{kind}", lang)


def difficulty_label(level: int, lang: str) -> str:
    return tr(f"difficulty_{level}", lang)


def options_with_reasons(q: Question, lang: str, order, picked: set[int] = frozenset()) -> None:
    """Every option marked right or wrong, with why; the learner's picks carry an arrow."""
    for i in order:
        choice = q.choices[i]
        mark = ":green[✔]" if choice.correct else ":red[✘]"
        mine = " ⟵" if i in picked else ""
        text, why = bank_text(choice.text, lang), bank_text(choice.why, lang)
        st.markdown(f"{mark} {text}{mine}\n\n> {why}")


# Draws the live demo behind an answer; pages pass `demo_switch.demo_switch`, so these widgets
# never import the demo machinery themselves.
ShowDemo = Callable[[Question, str], None]


def render_answer(
    q: Question,
    lang: str,
    report: Report | None,
    *,
    with_options: bool = True,
    show_demo: ShowDemo | None = None,
) -> None:
    """Everything shown after the learner has answered: options with reasons, answer, sources."""
    if q.numeric:
        st.markdown(
            tr(
                "numeric_answer",
                lang,
                value=format_number(q.numeric.value),
                unit=q.numeric.unit,
                tolerance=format_number(q.numeric.tolerance),
            )
        )
    if q.choices and with_options:
        st.markdown(f"**{tr('options', lang)}**")
        options_with_reasons(q, lang, range(len(q.choices)))
    st.markdown(f"**{tr('answer', lang)}**")
    st.markdown(bank_text(q.answer, lang))
    st.markdown(f"**{tr('sources', lang)}**")
    st.markdown("\n".join(f"- {link(s.title, s.url)}, {literal(s.where)}" for s in q.sources))
    if q.demo and show_demo:
        show_demo(q, lang)
    related = [report.questions[r] for r in q.related if r in report.questions] if report else []
    if related:
        st.markdown(f"**{tr('related', lang)}**")
        for r in related:
            question_link(r, lang)


def _record(
    q: Question, state: dict, *, rating: int | None = None, correct: bool | None = None
) -> None:
    """Commit the review to disk first; the card shows the result only after that returned."""
    me = profile()
    done = store().record_review(me.id, q.id, kind=q.type, rating=rating, correct=correct)
    state.update(
        stage="done",
        rating=int(done.rating),
        correct=correct,
        due=done.card.due,
        at=done.reviewed_at,
        review_id=done.review_id,
        profile_id=me.id,
    )


def _undo(state: dict) -> None:
    """Take the review back (the card is rebuilt from the others) and ask the question again."""
    store().delete_review(state["profile_id"], state["review_id"])
    order = state.get("order")
    state.clear()
    state.update(stage="ask", **({"order": order} if order else {}))


def answer_card(
    q: Question,
    lang: str,
    report: Report,
    *,
    key: str,
    order: list[int] | None = None,
    show_demo: ShowDemo | None = None,
) -> Outcome | None:
    """Ask `q`, take the learner's answer, record it as a review, then explain.

    Returns the outcome once the review is saved, None while the learner is still answering.
    A choice question's options come in `order`, or shuffled when none is given.
    Nothing is graded and no answer is shown before the learner acts.
    """
    state = st.session_state.setdefault(key, {"stage": "ask"})
    st.markdown(bank_text(q.question, lang))
    if q.type == "recall":
        _recall(q, lang, state, key, show_demo)
    elif q.type == "choice":
        if order is None:  # shuffled once per card, so the right option is not always first
            order = state.setdefault("order", random.sample(range(len(q.choices)), len(q.choices)))
        _choice(q, lang, state, key, order)
    else:
        _numeric(q, lang, state, key)
    if state["stage"] != "done":
        return None
    rating = Rating(state["rating"])
    interval = format_interval(state["due"] - state["at"], lang)
    st.success(tr("saved", lang, rating=tr(RATING_KEYS[rating], lang), interval=interval))
    if st.button(
        tr("undo", lang), key=f"{key}-undo", icon=":material/undo:", type="tertiary", shortcut="Z"
    ):
        _undo(state)
        st.rerun()
    render_answer(q, lang, report, with_options=False, show_demo=show_demo)
    return Outcome(q.id, state["correct"], state["rating"])


def _recall(q: Question, lang: str, state: dict, key: str, show_demo: ShowDemo | None) -> None:
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
        return
    if state["stage"] == "revealed":
        me = profile()
        card = store().get_card(me.id, q.id)
        intervals = preview_intervals(
            card, datetime.now(UTC), desired_retention=me.desired_retention, question_id=q.id
        )
        render_answer(q, lang, report=None, show_demo=show_demo)
        cols = st.columns(4)
        for col, (rating, label) in zip(cols, RATING_KEYS.items(), strict=True):
            text = f"{tr(label, lang)} · {format_interval(intervals[rating], lang)}"
            if col.button(
                text,
                key=f"{key}-rate-{int(rating)}",
                use_container_width=True,
                shortcut=str(int(rating)),  # Anki's keys: 1 Again, 2 Hard, 3 Good, 4 Easy
            ):
                _record(q, state, rating=int(rating))
                st.rerun()


def _choice(q: Question, lang: str, state: dict, key: str, order: list[int]) -> None:
    assert q.choices is not None
    several = sum(c.correct for c in q.choices) > 1
    label = lambda i: bank_text(q.choices[i].text, lang)  # noqa: E731
    if state["stage"] == "ask":
        if several:
            st.caption(tr("select_all", lang))
            picked = {i for i in order if st.checkbox(label(i), key=f"{key}-opt-{i}")}
        else:
            one = st.radio(
                tr("select_one", lang), order, format_func=label, index=None, key=f"{key}-radio"
            )
            picked = set() if one is None else {one}
        # No shortcut: picking an option focuses it, and Streamlit ignores shortcuts in inputs.
        if st.button(tr("submit", lang), key=f"{key}-submit", type="primary"):
            if not picked:
                st.warning(tr("pick_something", lang))
                return
            state["picked"] = sorted(picked)
            _record(q, state, correct=grade_choice(q, picked))
            st.rerun()
        return
    picked = set(state["picked"])
    (st.success if state["correct"] else st.error)(
        tr("right" if state["correct"] else "wrong_answer", lang)
    )
    options_with_reasons(q, lang, order, picked)


def _numeric(q: Question, lang: str, state: dict, key: str) -> None:
    assert q.numeric is not None
    if state["stage"] == "ask":
        with st.form(f"{key}-form", border=False):  # a form, so that Enter in the field submits
            text = st.text_input(
                f"{tr('your_number', lang)} ({q.numeric.unit})"
                if q.numeric.unit
                else tr("your_number", lang),
                key=f"{key}-number",
            )
            submitted = st.form_submit_button(
                tr("submit", lang), key=f"{key}-submit", type="primary"
            )
        if submitted:
            value = parse_number(text)
            if value is None:
                st.warning(tr("not_a_number", lang, text=text))
                return
            state["value"] = value
            _record(q, state, correct=grade_numeric(q, value))
            st.rerun()
        return
    (st.success if state["correct"] else st.error)(
        tr("right" if state["correct"] else "wrong_answer", lang)
    )
    st.markdown(
        tr("you_said", lang, value=f"{format_number(state['value'])} {q.numeric.unit}".strip())
    )
