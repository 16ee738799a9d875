"""The "live demo" switch under an answer.

Pages hand `demo_switch` to the answer widgets, so `widgets` never imports the demo view, and the
demo machinery (altair, pandas, torch) loads only when a learner turns the switch on.
"""

from __future__ import annotations

import streamlit as st

from studyapp.app.i18n import tr
from studyapp.bank.schema import Question


def demo_switch(q: Question, lang: str) -> None:
    # A toggle, not an expander: a collapsed expander still runs what is inside it.
    if q.demo and st.toggle(tr("live_demo", lang), key=f"demo-on-{q.id}"):
        from studyapp.app.demo_view import render_demo
        from studyapp.demos import REGISTRY

        with st.container(border=True):
            render_demo(REGISTRY[q.demo], lang, key=f"demo-{q.id}")
