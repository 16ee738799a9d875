"""Streamlit entry script: it only routes. Pages live in studyapp/app/pages/.

Deep links at the root open their page: `?q=<id>` a question, `?topic=<topic>` a filtered quiz,
`?demo=<id>` a live demo. Every page also has its own path (`/quiz?topic=bert`).
"""

from pathlib import Path

import streamlit as st

from studyapp.app.heap import freeze_long_lived
from studyapp.app.i18n import tr
from studyapp.app.widgets import current_language

freeze_long_lived()  # Streamlit's collection after each run then skips what lives as long as the server
# A shipped file, not a Material icon name: Streamlit fetches those from a font CDN.
FAVICON = str(Path(__file__).with_name("favicon.png"))
st.set_page_config(page_title="studyapp", page_icon=FAVICON, layout="wide")
lang = current_language()
ICONS = {
    "today": ":material/today:",
    "quiz": ":material/quiz:",
    "review": ":material/replay:",
    "interview": ":material/record_voice_over:",
    "browse": ":material/menu_book:",
    "demos": ":material/science:",
    "stats": ":material/monitoring:",
    "settings": ":material/settings:",
    "question": ":material/help:",
}
pages = {
    name: st.Page(
        f"pages/{name}.py",
        title=tr(name, lang),
        icon=icon,
        default=name == "today",
        visibility="hidden" if name == "question" else "visible",
    )
    for name, icon in ICONS.items()
}
current = st.navigation(list(pages.values()), position="top")
if current is pages["today"]:
    for param, target in (("q", "question"), ("topic", "quiz"), ("demo", "demos")):
        if param in st.query_params:
            st.switch_page(pages[target], query_params=st.query_params.to_dict())
current.run()
