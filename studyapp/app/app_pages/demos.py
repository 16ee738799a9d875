"""Demos: every live demo, each with its parameters, its result and the code that produced it.

`?demo=<id>` opens one directly.
"""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.demo_view import label, render_demo
from studyapp.app.i18n import tr
from studyapp.bank.search import title_of
from studyapp.demos import REGISTRY

lang = widgets.language()
st.title(tr("demos", lang))
ids = list(REGISTRY)
wanted = st.query_params.get("demo")
chosen = st.selectbox(
    tr("pick_demo", lang),
    ids,
    index=ids.index(wanted) if wanted in ids else 0,
    format_func=lambda i: f"{label(REGISTRY[i].title, lang)}  ·  {i}",
    key="demo_pick",
)
st.query_params["demo"] = chosen
render_demo(REGISTRY[chosen], lang, key=f"demos-{chosen}")
# Below the demo, so that its parameters and live curve stay at the top of the page.
questions = [q for q in widgets.bank(lang).questions.values() if q.demo == chosen]
if questions:
    st.markdown(f"**{tr('demo_questions', lang)}**")
    for q in questions:
        st.page_link(
            "app_pages/question.py",
            label=title_of(getattr(q.question, lang)),
            icon=":material/arrow_forward:",
            query_params=widgets.link_params(lang, q=q.id),
        )
