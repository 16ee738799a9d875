"""Demos: every live demo, each with its parameters, its result and the code that produced it.

`?demo=<id>` opens one directly.
"""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.demo_view import label, render_demo
from studyapp.app.i18n import tr
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
questions = [q for q in widgets.bank(lang).questions.values() if q.demo == chosen]
if questions:
    st.caption(
        tr("demo_questions", lang)
        + " "
        + " · ".join(
            f"[{getattr(q.question, lang).strip()[:80]}](question?q={q.id})" for q in questions
        )
    )
render_demo(REGISTRY[chosen], lang, key=f"demos-{chosen}")
