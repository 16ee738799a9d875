"""studyapp: a study and interview-prep app about how Transformers work.

One package per concern; imports point one way (checked by `lint-imports`, see pyproject.toml):

    cli, tools  ->  app  ->  progress  ->  bank  ->  demos

- `bank/`: the question files: schema, YAML reading, validation, loading.
- `progress/`: the learner's progress: SQLite store, FSRS scheduling, grading, statistics.
- `app/`: the Streamlit interface: the entry script, pages, widgets, the demo view.
- `demos/`: the registry of live demos (their code is in `minimodels/demos/`).
- `tools/`: benchmarks.
- `cli.py`: the `studyapp` command.
"""

__version__ = "0.1.0"
