"""Streamlit entry script: it only routes. Pages live in studyapp/app_pages/."""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "app_pages"

st.set_page_config(page_title="studyapp", page_icon=":material/school:", layout="wide")
page = st.navigation(
    [
        st.Page(PAGES / "browse.py", title="Browse", icon=":material/menu_book:", default=True),
    ],
    position="top",
)
page.run()
