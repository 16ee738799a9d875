"""The Streamlit interface: `main.py` is the entry script and only routes; `app_pages/` holds one
script per page; `widgets` draws questions and answers; `demo_view` draws a live demo and
`demo_switch` is the toggle that loads it; `i18n` holds every interface string in both languages;
`heap` keeps Streamlit's per-run garbage collection cheap.

May import: `studyapp.progress`, `studyapp.bank`, `studyapp.demos`, Streamlit. torch loads only
when a demo runs. Nothing outside `studyapp.app` imports it (except the CLI, which starts it).
"""
