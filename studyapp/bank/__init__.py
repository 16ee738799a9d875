"""The question bank: the schema of a question file, safe YAML reading with line numbers, the
numbered validation rules, and loading the bank for the app (parsed once, re-read on change).

May import: `studyapp.demos` (for the ids a question's `demo:` may name), pydantic, PyYAML.
Never imports Streamlit, torch or the rest of studyapp.
"""
