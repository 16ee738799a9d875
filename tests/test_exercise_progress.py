"""Code exercises in the progress store: schema version 3 (reviews of kind `code`, the attempts
table), recording and reading attempts, and attempts in an export and a strict import."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyapp.progress.migrations import MIGRATIONS, SCHEMA_VERSION
from studyapp.progress.records import MAX_CODE_CHARS, MAX_TEST_MESSAGE_CHARS
from studyapp.progress.scheduling import ANSWER_KINDS, Rating, rating_for
from studyapp.progress.store import ProgressError, ProgressStore
from studyapp.progress.transfer import EXPORT_VERSION, parse_progress

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
QID = "implement-causal-attention"
TESTS = [
    {"id": "tiny-by-hand", "status": "passed", "message": None, "mistake": None},
    {
        "id": "matches-reference",
        "status": "failed",
        "message": "output differs at [0, 1, 0]: expected 1.5, got 2.0",
        "mistake": "no-scale",
    },
]


@pytest.fixture
def store(tmp_path: Path):
    with ProgressStore(tmp_path / "progress.db") as s:
        yield s


def version_2_database(path: Path) -> None:
    """A database exactly as schema version 2 left it, with reviews whose ids have gaps."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:2]:
        step(conn)
    conn.execute("PRAGMA user_version = 2")
    rows = [
        (7, 1, "q-one", "recall", 3, None, 1200, "2026-11-20T09:00:00.000000+00:00", 0.9, None),
        (9, 1, "q-two", "choice", 1, 0, 800, "2026-11-21T09:00:00.000000+00:00", 0.9, None),
        (12, 1, "q-one", "recall", 4, None, None, "2026-11-22T09:00:00.000000+00:00", 0.9, 2),
    ]
    conn.executemany("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()


def test_a_version_2_database_becomes_version_3_keeping_review_ids(tmp_path):
    path = tmp_path / "v2.db"
    version_2_database(path)
    with ProgressStore(path) as s:
        assert s.schema_version() == SCHEMA_VERSION == 3
        assert s.integrity_check() == "ok"
        events = s.reviews(1)
        assert [(e.id, e.question_id, e.kind, int(e.rating)) for e in events] == [
            (7, "q-one", "recall", 3),
            (9, "q-two", "choice", 1),
            (12, "q-one", "recall", 4),
        ]
        assert events[0].duration_ms == 1200 and events[1].correct is False
        # An undo still finds a migrated review by its id, and the new kind is accepted.
        s.delete_review(1, 9)
        done = s.record_review(1, QID, kind="code", rating=Rating.Hard, reviewed_at=T0)
        assert s.reviews(1, question_id=QID)[0].kind == "code"
        assert done.review_id > 12  # ids are not reused
    raw = sqlite3.connect(path)
    indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "reviews_by_time" in indexes
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "attempts" in tables and "reviews_v3" not in tables
    with pytest.raises(sqlite3.IntegrityError):  # the rebuilt CHECK still refuses other kinds
        raw.execute(
            "INSERT INTO reviews (profile_id, question_id, kind, rating, reviewed_at, "
            "desired_retention) VALUES (1, 'x', 'essay', 3, '2026', 0.9)"
        )
    raw.close()


def test_a_code_review_needs_an_explicit_rating(store):
    assert "code" in ANSWER_KINDS
    with pytest.raises(ValueError, match="code answer needs an explicit rating"):
        rating_for("code", correct=True)
    assert rating_for("code", correct=True, rating=2) == Rating.Hard
    with pytest.raises(ValueError):
        store.record_review(1, QID, kind="code", correct=True)
    assert store.review_count(1) == 0


def test_attempts_are_recorded_and_read_back_in_time_order(store):
    first = store.record_attempt(
        1, QID, action="run", code="def f(): pass", status="failed", tests=TESTS, seconds=0.25,
        attempted_at=T0,
    )  # fmt: skip
    store.record_attempt(
        1, QID, action="submit", code="x = 1", status="passed", tests=TESTS[:1],
        attempted_at=T0 + timedelta(minutes=1),
    )  # fmt: skip
    store.record_attempt(1, "other-exercise", action="run", code="", status="error", tests=[])
    got = store.attempts(1, QID)
    assert [(a.action, a.status, a.seconds) for a in got] == [
        ("run", "failed", 0.25),
        ("submit", "passed", None),
    ]
    assert got[0].id == first.id and got[0].code == "def f(): pass"
    assert got[0].tests == TESTS and got[0].attempted_at == T0
    assert len(store.attempts(1)) == 3
    assert store.exercise_status(1) == {QID: "solved", "other-exercise": "tried"}


def test_two_attempts_in_the_same_microsecond_are_both_kept(store):
    for action in ("run", "run"):
        store.record_attempt(1, QID, action=action, code="", status="failed", tests=[],
                             attempted_at=T0)  # fmt: skip
    got = store.attempts(1, QID)
    assert [a.attempted_at - T0 for a in got] == [timedelta(0), timedelta(microseconds=1)]


def test_recorded_results_keep_four_fields_and_cut_long_messages(store):
    long = "Traceback\n" + "x" * (3 * MAX_TEST_MESSAGE_CHARS)
    raw = [{"id": "t", "status": "error", "message": long, "printed": "hi", "seconds": 1.0}]
    a = store.record_attempt(1, QID, action="run", code="", status="error", tests=raw)
    assert set(a.tests[0]) == {"id", "status", "message", "mistake"}
    assert len(a.tests[0]["message"]) == MAX_TEST_MESSAGE_CHARS
    assert a.tests[0]["message"].endswith("…")


@pytest.mark.parametrize(
    "change, error",
    [
        ({"action": "debug"}, "action must be one of"),
        ({"status": "great"}, "status must be one of"),
        ({"code": "x" * (MAX_CODE_CHARS + 1)}, "code is longer"),
        ({"tests": [{"id": "t", "status": "nearly"}]}, "test #1 status"),
        ({"seconds": -1}, "seconds must be"),
        ({"question_id": "Not Kebab"}, "kebab-case"),
    ],
)
def test_bad_attempts_are_refused_and_nothing_is_written(store, change, error):
    args = dict(question_id=QID, action="run", code="", status="passed", tests=[], seconds=0.1)
    with pytest.raises(ValueError, match=error):
        store.record_attempt(1, **{**args, **change})
    assert store.attempts(1) == []


def test_reset_and_deleted_profile_forget_attempts(store):
    other = store.create_profile("other").id
    for profile in (1, other):
        store.record_attempt(profile, QID, action="run", code="", status="failed", tests=[])
    store.reset_profile(1)
    assert store.attempts(1) == [] and len(store.attempts(other)) == 1
    store.delete_profile(other)
    assert store.attempts(other) == []


def test_attempts_travel_with_an_export_and_import_twice_adds_nothing(tmp_path, store):
    store.record_review(1, QID, kind="code", rating=3, correct=True, reviewed_at=T0)
    store.record_attempt(1, QID, action="submit", code="def f():\n    return 1\n",
                         status="failed", tests=TESTS, seconds=0.5, attempted_at=T0)  # fmt: skip
    exported = store.export_json(1, now=T0)
    data = json.loads(exported)
    assert data["version"] == EXPORT_VERSION == 2
    assert data["attempts"] == [
        {
            "question_id": QID,
            "attempted_at": "2026-11-22T09:00:00.000000+00:00",
            "action": "submit",
            "code": "def f():\n    return 1\n",
            "status": "failed",
            "tests": TESTS,
            "seconds": 0.5,
        }
    ]
    with ProgressStore(tmp_path / "elsewhere.db") as other:
        first = other.import_progress(1, exported)
        again = other.import_progress(1, exported)
        assert (first.added, first.attempts_added) == (1, 1)
        assert (again.added, again.attempts_added) == (0, 0)
        (a,) = other.attempts(1, QID)
        assert (a.code, a.tests, a.attempted_at) == ("def f():\n    return 1\n", TESTS, T0)
        assert other.reviews(1)[0].kind == "code"


def test_a_version_1_export_without_attempts_still_imports(store):
    review = {"question_id": "q-one", "reviewed_at": T0.isoformat(), "kind": "recall", "rating": 3}
    result = store.import_progress(1, {"format": "studyapp-progress", "version": 1,
                                       "reviews": [review]})  # fmt: skip
    assert (result.added, result.attempts_added) == (1, 0)


GOOD_ATTEMPT = {
    "question_id": QID,
    "attempted_at": "2026-11-22T09:00:00+00:00",
    "action": "run",
    "code": "",
    "status": "passed",
    "tests": [],
    "seconds": 0.1,
}


@pytest.mark.parametrize(
    "change, error",
    [
        ({"status": "solved"}, "status must be one of"),
        ({"action": "exec"}, "action must be one of"),
        ({"code": "x" * (MAX_CODE_CHARS + 1)}, "code is longer"),
        ({"code": 5}, "code must be a string"),
        ({"tests": [{"id": "t", "status": "passed", "extra": 1}]}, "unknown fields"),
        ({"tests": [{"id": "t", "status": "passed", "message": "m" * 5000}]}, "longer than"),
        ({"tests": [{"id": "t", "status": "passed"}] * 201}, "at most 200 tests"),
        ({"tests": "all good"}, "tests must be a list"),
        ({"seconds": float("nan")}, "seconds must be"),
        ({"attempted_at": "9999-01-01T00:00:00+00:00"}, "attempted_at .* is outside"),
        ({"shell": "rm -rf /"}, "unknown fields"),
    ],
)
def test_import_refuses_a_bad_attempt_and_changes_nothing(store, change, error):
    data = {"format": "studyapp-progress", "version": 2, "reviews": [],
            "attempts": [GOOD_ATTEMPT, {**GOOD_ATTEMPT, **change}]}  # fmt: skip
    with pytest.raises(
        ProgressError, match=rf"attempt #2 \(question_id .*\) is invalid: .*{error}"
    ):
        store.import_progress(1, data)
    assert store.attempts(1) == []
    store.import_progress(1, {**data, "attempts": [GOOD_ATTEMPT]})
    assert len(store.attempts(1)) == 1


def test_import_refuses_attempts_that_are_not_a_list(store):
    with pytest.raises(ProgressError, match="`attempts` must be a list"):
        store.import_progress(1, {"format": "studyapp-progress", "version": 2, "reviews": [],
                                  "attempts": {"a": 1}})  # fmt: skip


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
attempt_like = st.fixed_dictionaries(
    {},
    optional={
        key: json_values | st.just(value) for key, value in GOOD_ATTEMPT.items()
    } | {"tests": json_values | st.lists(st.fixed_dictionaries({}, optional={
        "id": json_values | st.just("t"), "status": json_values | st.just("failed"),
        "message": json_values, "mistake": json_values | st.just("no-scale"),
    }), max_size=3)},
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(attempt_like | json_values, max_size=3))
def test_any_attempts_entry_is_accepted_whole_or_refused_with_a_progress_error(raw):
    data = {"format": "studyapp-progress", "version": 2, "reviews": [], "attempts": raw}
    try:
        _, _, attempts = parse_progress(data, now=T0 + timedelta(days=1))
    except ProgressError:
        return
    assert len(attempts) == len(raw)
    for a in attempts:
        assert a["action"] in ("run", "submit") and isinstance(a["code"], str)
        assert all(set(t) == {"id", "status", "message", "mistake"} for t in a["tests"])
