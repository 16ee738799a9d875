"""Streamlit entry script: it only routes. Pages live in studyapp/app/app_pages/.

The folder is not called `pages/`: Streamlit treats a `pages/` folder beside the entry script as a
version-1 multipage app and then runs a page without this script (AppTest on every run, the server
on its first run), with no navigation, no database guard and no heap freeze.

Deep links at the root open their page: `?q=<id>` a question, `?topic=<topic>` a filtered quiz,
`?demo=<id>` a live demo. Every page also has its own path (`/quiz?topic=bert`).
"""

import sqlite3
from pathlib import Path

import streamlit as st

from studyapp.app.heap import freeze_long_lived
from studyapp.app.i18n import LANGUAGES, tr
from studyapp.app.widgets import current_language
from studyapp.progress.store import ProgressError, UnknownProfileError

freeze_long_lived()  # Streamlit's collection after each run then skips what lives as long as the server
# A shipped file, not a Material icon name: Streamlit fetches those from a font CDN.
FAVICON = str(Path(__file__).with_name("favicon.png"))
st.set_page_config(page_title="studyapp", page_icon=FAVICON, layout="wide")
ICONS = {
    "today": ":material/today:",
    "quiz": ":material/quiz:",
    "review": ":material/replay:",
    "exercises": ":material/code:",
    "interview": ":material/record_voice_over:",
    "browse": ":material/menu_book:",
    "demos": ":material/science:",
    "stats": ":material/monitoring:",
    "settings": ":material/settings:",
    "question": ":material/help:",
}


UNUSABLE = (ProgressError, sqlite3.Error)


def url_language() -> str:
    wanted = st.query_params.get("lang")
    return wanted if wanted in LANGUAGES else "en"


def show_unusable_database(err: Exception, lang: str) -> None:
    """One plain page instead of a traceback on every page; the error says which file and what
    to do. It is shown as code: a path must not render as Markdown."""
    st.title(tr("db_unusable", lang))
    st.write(tr("db_unusable_help", lang))
    st.code(str(err), language=None, wrap_lines=True)


try:
    lang, unusable = current_language(), None
except UNUSABLE as err:
    lang, unusable = url_language(), err
pages = {
    name: st.Page(
        f"app_pages/{name}.py",
        title=tr(name, lang),
        icon=icon,
        default=name == "today",
        visibility="hidden" if name == "question" else "visible",
    )
    for name, icon in ICONS.items()
}
current = st.navigation(list(pages.values()), position="top")
try:
    if unusable is not None:
        raise unusable
    if current is pages["today"]:
        for param, target in (("q", "question"), ("topic", "quiz"), ("demo", "demos")):
            if param in st.query_params:
                st.switch_page(pages[target], query_params=st.query_params.to_dict())
    current.run()
except UnknownProfileError:
    raise  # a bug, not the database: keep its traceback
except UNUSABLE as err:
    show_unusable_database(err, lang)
