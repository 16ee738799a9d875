"""The question bank: the schema of a question file, safe YAML reading with line numbers, the
numbered validation rules, loading the bank for the app (parsed once, re-read on change), and the
bank as an Anki deck (`anki`).

May import: `studyapp.demos` (for the ids a question's `demo:` may name), pydantic, PyYAML;
`anki` also genanki and markdown-it-py.
Never imports Streamlit, torch or the rest of studyapp.
"""
