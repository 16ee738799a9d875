"""Streamlit pieces shared by the pages: language, the bank with its warning, question rendering.

Bank text is rendered with `st.markdown`, which does not render raw HTML: `<script>` in a question
shows as text, never runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from studyapp.app.i18n import LANGUAGES, SCALES_ZH, STRINGS, UNITS_ZH, tr
from studyapp.app.text import join_cjk_breaks, link, literal
from studyapp.bank.load import default_bank_dir, get_bank
from studyapp.bank.schema import Question, Text
from studyapp.bank.validate import Report
from studyapp.progress.grading import QuizSession, format_number, format_unit, unit_scale
from studyapp.progress.scheduling import Rating
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
        "app_pages/question.py",
        label=question_title(q, lang),
        icon=":material/arrow_forward:",
        query_params=link_params(lang, q=q.id),
    )


def topic_link(topic: str, lang: str, *, where=None) -> None:
    """A link to a quiz over `topic`, in the same tab, keeping the language and the profile."""
    (where or st).page_link(
        "app_pages/quiz.py",
        label=literal(topic_label(topic, lang)),
        icon=":material/quiz:",
        query_params=link_params(lang, topic=topic),
    )


def bank_text(text: Text, lang: str) -> str:
    """Bank Markdown in `lang`, with the line breaks inside Chinese paragraphs joined."""
    return join_cjk_breaks(getattr(text, lang))


def question_title(q: Question, lang: str) -> str:
    """The question's text on one line, for a link or a list."""
    return " ".join(bank_text(q.question, lang).split())


def unit_label(unit: str, lang: str) -> str:
    """A numeric answer's unit as shown in `lang`, its power of ten as math ("× 10²³ FLOPs")."""
    shown = format_unit(unit)
    if lang != "zh":
        return shown
    if unit.strip() in UNITS_ZH:
        return UNITS_ZH[unit.strip()]
    base = unit_scale(unit)[2]
    if not shown.endswith(base):
        return shown
    scale, name = shown[: len(shown) - len(base)], UNITS_ZH.get(base, base)
    if scale.strip().lower() in SCALES_ZH:  # "百万个参数", "百万 FLOPs/词元"
        scale = SCALES_ZH[scale.strip().lower()] + (" " if name[:1].isascii() else "")
    return scale + name


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def date_label(day: date, lang: str) -> str:
    """A day as the learner reads it: "Dec 1, 2026" or "2026年12月1日"."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"  # not %b: it follows the locale


def topic_label(topic: str, lang: str) -> str:
    """A topic's name in `lang` (its folder name if the interface has no name for it yet)."""
    key = f"topic_{topic}"
    return tr(key, lang) if key in STRINGS else topic


# App CSS only (no bank text), applied on every page from the header. On a phone the page starts
# with the question rather than with padding and a poster-sized title; metrics sit two a row;
# options are thumb-sized; Streamlit's keyboard badges are hidden where there is no keyboard.
_LAYOUT_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4.5rem; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding: 4rem 1rem 5rem; }
  [data-testid="stHeading"] h1 { font-size: 1.6rem !important; padding: 0.1rem 0 0.25rem !important; }
  [data-testid="stHeading"] h2, [data-testid="stHeading"] h3 { font-size: 1.2rem !important; }
  .st-key-page_header { gap: 0.25rem; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stMetric"]) { flex-flow: row wrap; gap: 0 1rem; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stMetric"]) > [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important;
  }
  [data-testid="stMetricValue"] { font-size: 1.5rem; }
}
@media (pointer: coarse) {
  [data-testid="stRadioOption"], [data-testid="stCheckbox"] label {
    display: flex; min-height: 2.75rem; align-items: center; width: 100%;
  }
  button kbd { display: none !important; }
}
</style>"""


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
    st.html(_LAYOUT_CSS)
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
        "app_pages/settings.py",
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
                unit=literal(unit_label(q.numeric.unit, lang)),  # "× 10²³ FLOPs", never a caret
                tolerance=format_number(q.numeric.tolerance),
            )
        )
    if q.choices and with_options:
        st.markdown(f"**{tr('options', lang)}**")
        options_with_reasons(q, lang, range(len(q.choices)))
    if q.code:  # a code exercise's shown solution: the same code the tests pass
        st.markdown(f"**{tr('ex_solution', lang)}**")
        st.code(q.code.solution, language="python")
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


def resumed_session(slot: str, name: str) -> QuizSession | None:
    """The quiz or interview this browser session holds in `slot`; a new browser session (a
    reload) takes the one saved in the profile under `name`, if any."""
    state = st.session_state
    if slot not in state:
        data = store().study_setting(profile().id, name)
        try:
            state[slot] = QuizSession.from_json(data) if data else None
        except ValueError:
            state[slot] = None
    return state[slot]


def save_session(slot: str, name: str, session: QuizSession | None) -> None:
    """Write the session to the profile when it changed since the last write (one small row)."""
    data = None if session is None else session.to_json()
    if st.session_state.get(f"{slot}_saved") != data:
        store().save_study_setting(profile().id, name, data)
        st.session_state[f"{slot}_saved"] = data
