"""Streamlit pieces shared by the pages: language, the bank with its warning, question rendering.

Bank text is rendered with `st.markdown`, which does not render raw HTML: `<script>` in a question
shows as text, never runs.
"""

from __future__ import annotations

import streamlit as st

from studyapp.bank import default_bank_dir, get_bank
from studyapp.i18n import LANGUAGES, tr
from studyapp.schema import Question
from studyapp.validate import Report


def language() -> str:
    """The interface language, chosen in the sidebar and kept in the URL (`?lang=zh`)."""
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang")
        st.session_state.lang = wanted if wanted in LANGUAGES else "en"
    lang = st.sidebar.segmented_control(
        "Language / 语言",
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        key="lang",
        required=True,
        persist_state="session",
    )
    st.query_params["lang"] = lang
    return lang


def bank(lang: str) -> Report:
    """The bank, with a visible warning naming each broken file and what is wrong with it."""
    report = get_bank()
    broken = report.broken_files
    if broken:
        with st.expander(f":warning: {tr('broken_files', lang, n=len(broken))}", expanded=False):
            for path, problems in broken.items():
                st.markdown(f"**{path}**")
                st.code("\n".join(str(p) for p in problems), language=None, wrap_lines=True)
    if not report.questions:
        st.info(tr("empty_bank", lang, path=default_bank_dir()))
    return report


def type_label(kind: str, lang: str) -> str:
    return tr(f"type_{kind}", lang)


def difficulty_label(level: int, lang: str) -> str:
    return tr(f"difficulty_{level}", lang)


def render_answer(q: Question, lang: str, report: Report) -> None:
    """Everything shown after the learner has answered: options with reasons, answer, sources."""
    if q.numeric:
        st.markdown(
            tr(
                "numeric_answer",
                lang,
                value=f"{q.numeric.value:,g}",
                unit=q.numeric.unit,
                tolerance=f"{q.numeric.tolerance:,g}",
            )
        )
    if q.choices:
        st.markdown(f"**{tr('options', lang)}**")
        for choice in q.choices:
            mark = ":green[✔]" if choice.correct else ":red[✘]"
            st.markdown(f"{mark} {getattr(choice.text, lang)}\n\n> {getattr(choice.why, lang)}")
    st.markdown(f"**{tr('answer', lang)}**")
    st.markdown(getattr(q.answer, lang))
    st.markdown(f"**{tr('sources', lang)}**")
    st.markdown("\n".join(f"- [{s.title}]({s.url}), {s.where}" for s in q.sources))
    related = [report.questions[r] for r in q.related if r in report.questions]
    if related:
        st.markdown(f"**{tr('related', lang)}**")
        st.markdown(
            "\n".join(f"- [{getattr(r.question, lang).strip()}](?q={r.id})" for r in related)
        )
