"""Streamlit entry script: it only routes. Pages live in studyapp/app_pages/.

Deep links pick the landing page: `?q=<id>` opens that question, `?topic=<topic>` a filtered quiz.
"""

import streamlit as st

from studyapp.i18n import tr

st.set_page_config(page_title="studyapp", page_icon=":material/school:", layout="wide")
params = st.query_params
lang = st.session_state.get("language") or params.get("lang", "en")
landing = "question" if "q" in params else "quiz" if "topic" in params else "today"


def page(name: str, icon: str, **options) -> st.Page:
    return st.Page(
        f"app_pages/{name}.py", title=tr(name, lang), icon=icon, default=landing == name, **options
    )


st.navigation(
    [
        page("today", ":material/today:"),
        page("quiz", ":material/quiz:"),
        page("review", ":material/replay:"),
        page("browse", ":material/menu_book:"),
        page("stats", ":material/monitoring:"),
        page("settings", ":material/settings:"),
        page("question", ":material/help:", visibility="hidden"),
    ],
    position="top",
).run()
