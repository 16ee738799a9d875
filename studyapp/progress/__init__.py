"""The learner's progress: the SQLite store (profiles, the review log, FSRS cards), its schema
migrations, export and import, FSRS scheduling and queues, grading of answers, and statistics.

May import: `studyapp.bank`, fsrs. Never imports Streamlit, torch or `studyapp.app`.
Inside: `scheduling` is pure FSRS and imports nothing of the store; `queues` and `stats` read the
store; `store` writes it.
"""
