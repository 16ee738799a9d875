"""Hostile or careless progress imports: each one gets one clear ProgressError naming the entry and
changes nothing; any input at all either imports or raises ProgressError (fuzzed)."""

from __future__ import annotations

import json
import random
import threading
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyapp.progress import store as store_module
from studyapp.progress.records import check_name
from studyapp.progress.store import IMPORT_ATTEMPTS, ProgressError, ProgressStore
from studyapp.progress.transfer import MAX_IMPORT_MB, parse_export
from tests.bankfixtures import REPO

GOOD_REVIEW = {
    "question_id": "bert-nsp",
    "reviewed_at": "2025-03-01T10:00:00+00:00",
    "kind": "recall",
    "rating": 3,
    "correct": None,
    "duration_ms": 4200,
    "desired_retention": 0.9,
}


def export(*reviews: dict, **top) -> dict:
    return {"format": "studyapp-progress", "version": 1, "reviews": list(reviews), **top}


def review(**changes) -> dict:
    return {**GOOD_REVIEW, **changes}


@pytest.fixture
def store(tmp_path):
    with ProgressStore(tmp_path / "p.db") as s:
        s.record_review(
            s.default_profile().id,
            "kept",
            kind="recall",
            rating=3,
            reviewed_at=datetime(2025, 1, 1, tzinfo=UTC),
        )
        yield s


def whole_state(store: ProgressStore) -> tuple:
    pid = store.default_profile().id
    return (
        [(e.question_id, e.reviewed_at, e.rating) for e in store.reviews(pid)],
        {q: r.card.to_dict() for q, r in store.cards(pid).items()},
        store.profile(pid),
    )


BAD_REVIEWS = {
    "year 9999": (review(reviewed_at="9999-12-31T23:59:59+00:00"), "outside 2000-01-01"),
    "year 3000": (review(reviewed_at="3000-01-01T00:00:00+00:00"), "outside 2000-01-01"),
    "year 1": (review(reviewed_at="0001-01-01T00:00:00+00:00"), "outside 2000-01-01"),
    "year 1 east of UTC": (review(reviewed_at="0001-01-01T00:00:00+05:00"), "not a date"),
    "day after tomorrow": (
        review(reviewed_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
        "outside",
    ),
    "1999": (review(reviewed_at="1999-12-31T23:59:59+00:00"), "outside"),
    "no time zone": (review(reviewed_at="2025-03-01T10:00:00"), "no time zone"),
    "a number for a date": (review(reviewed_at=1700000000), "ISO 8601"),
    "rating 7": (review(rating=7), "rating must be an integer 1-4"),
    "rating 0": (review(rating=0), "rating must be an integer 1-4"),
    "rating 2.0": (review(rating=2.0), "rating must be an integer 1-4"),
    "rating as text": (review(rating="3"), "rating must be an integer 1-4"),
    "rating true": (review(rating=True), "rating must be an integer 1-4"),
    "rating 2**70": (review(rating=2**70), "rating must be an integer 1-4"),
    "correct as text": (review(kind="choice", correct="yes"), "correct must be"),
    "correct as 1": (review(kind="choice", correct=1), "correct must be"),
    "duration 2**70": (review(duration_ms=2**70), "duration_ms"),
    "duration as float": (review(duration_ms=1.5), "duration_ms"),
    "duration true": (review(duration_ms=True), "duration_ms"),
    "retention 10**400": (review(desired_retention=10**400), "desired retention"),
    "retention as text": (review(desired_retention="0.9"), "desired retention"),
    "unknown kind": (review(kind="essay"), "kind must be one of"),
    "kind as list": (review(kind=["recall"]), "kind must be one of"),
    "id too long": (review(question_id="a" * 251), "longer than 250"),
    "id with a bidi override": (review(question_id="bert\u202enps"), "not kebab-case"),
    "id with a zero-width space": (review(question_id="bert\u200bnsp"), "not kebab-case"),
    "id with a control character": (review(question_id="bert\x00nsp"), "not kebab-case"),
    "id as number": (review(question_id=12), "question id"),
    "not an object": ([1, 2], "must be an object"),
}


@pytest.mark.parametrize("name", list(BAD_REVIEWS))
def test_impossible_review_is_refused_naming_the_entry(store, name):
    bad, reason = BAD_REVIEWS[name]
    before = whole_state(store)
    data = export(review(question_id="first-ok"), bad)
    for form in (data, json.dumps(data)):
        with pytest.raises(ProgressError) as err:
            store.import_progress(store.default_profile().id, form, apply_settings=True)
        assert "review #2" in str(err.value)
        assert reason in str(err.value)
    assert whole_state(store) == before


BAD_FILES = {
    "duplicate key": ('{"format": "studyapp-progress", "format": "x"}', "duplicate key 'format'"),
    "duplicate key in a review": (
        json.dumps(export(review()))[:-3] + ', "rating": 4}]}',
        "duplicate key 'rating'",
    ),
    "NaN": (json.dumps(export(review())).replace("0.9", "NaN"), "NaN is not a number"),
    "Infinity": (json.dumps(export(review())).replace("0.9", "Infinity"), "Infinity"),
    "1e999": (json.dumps(export(review())).replace("0.9", "1e999"), "out of range"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "a 5000-digit number": ('{"version": ' + "9" * 5000 + "}", "not a valid JSON"),
    "not UTF-8": (b'{"format": "\xff"}', "not a valid JSON"),
    "version true": (json.dumps(export(version=True)), "bad export version"),
    "version 2**70": (json.dumps(export(version=2**70)), "newer than this app"),
    "profile a list": (json.dumps(export(profile=[1])), "`profile` must be an object"),
    "new per day 2**70": (
        json.dumps(export(profile={"new_per_day": 2**70})),
        "profile settings are invalid",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_file_is_refused_with_a_clear_message(store, name):
    text, reason = BAD_FILES[name]
    before = whole_state(store)
    with pytest.raises(ProgressError, match=reason.replace("*", r"\*")):
        store.import_progress(store.default_profile().id, text, apply_settings=True)
    assert whole_state(store) == before


def test_edge_of_the_window_imports(store):
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    reviews, _ = parse_export(
        export(
            review(reviewed_at="2000-01-01T00:00:00+00:00"),
            review(reviewed_at=(now + timedelta(hours=23)).isoformat(), rating=4),
        ),
        now=now,
    )
    assert [r["rating"] for r in reviews] == [3, 4]
    with pytest.raises(ProgressError, match="outside"):
        parse_export(export(review(reviewed_at=(now + timedelta(hours=25)).isoformat())), now=now)


@pytest.mark.parametrize(
    "name", ["eurt\u202e", "a\u2066b", "zero\u200bwidth", "bell\x07", "nul\x00", "bom\ufeff"]
)
def test_profile_names_refuse_invisible_and_control_characters(store, name):
    with pytest.raises(ValueError, match="must not contain U\\+"):
        check_name(name)
    with pytest.raises(ValueError, match="must not contain"):
        store.create_profile(name)
    assert check_name("  学习 tab\tok ") == "学习 tab\tok"


# -- fuzzing -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
dates = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ).map(datetime.isoformat),
    st.text(max_size=30),
)
reviews = st.fixed_dictionaries(
    {},
    optional={
        "question_id": st.sampled_from(["bert-nsp", "gpt-2", "", "x" * 300, "A_b"]) | json_values,
        "reviewed_at": dates | json_values,
        "kind": st.sampled_from(["recall", "choice", "numeric", "essay"]) | json_values,
        "rating": st.integers(min_value=-1, max_value=6) | json_values,
        "correct": st.booleans() | json_values,
        "duration_ms": st.integers(min_value=-1, max_value=2**70) | json_values,
        "desired_retention": st.floats(0.5, 1.0) | json_values,
    },
)
exports = st.fixed_dictionaries(
    {
        "format": st.just("studyapp-progress") | json_values,
        "version": st.just(1) | json_values,
        "reviews": st.lists(reviews | json_values, max_size=5) | json_values,
    },
    optional={"profile": st.dictionaries(st.text(max_size=20), json_values) | json_values},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=exports | json_values)
def test_any_structure_imports_or_raises_progress_error(data):
    with ProgressStore(":memory:") as s:
        pid = s.default_profile().id
        try:
            s.import_progress(pid, data, apply_settings=True)
        except ProgressError:
            assert s.review_count(pid) == 0
        s.cards(pid)  # whatever was imported can be read back


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200))
def test_any_bytes_import_or_raise_progress_error(raw):
    with ProgressStore(":memory:") as s:
        pid = s.default_profile().id
        try:
            s.import_progress(pid, raw)
        except ProgressError:
            assert s.review_count(pid) == 0


# -- importing alongside other sessions ------------------------------------------------------


def history(n: int, questions: int = 7, seed: int = 3) -> dict:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return export(
        *(
            review(
                question_id=f"q-{rng.randrange(questions)}",
                reviewed_at=(start + timedelta(hours=7 * i)).isoformat(),
                rating=rng.choice([1, 2, 3, 3, 4]),
                duration_ms=rng.randrange(100, 60_000),
                desired_retention=rng.choice([None, 0.85, 0.9]),
            )
            for i in range(n)
        )
    )


def log_and_cards(store: ProgressStore, pid: int) -> tuple:
    events = [
        (e.question_id, e.reviewed_at, e.rating, e.state_before, e.desired_retention)
        for e in store.reviews(pid)
    ]
    return events, {q: (r.card.to_dict(), r.reps, r.lapses) for q, r in store.cards(pid).items()}


def test_planned_import_writes_what_replaying_inside_the_lock_writes(tmp_path, monkeypatch):
    base, extra = history(300), history(200, seed=4)
    results = []
    for attempts in (IMPORT_ATTEMPTS, 0):  # 0: the fallback that does everything in the lock
        monkeypatch.setattr(store_module, "IMPORT_ATTEMPTS", attempts)
        with ProgressStore(tmp_path / f"{attempts}.db") as s:
            pid = s.default_profile().id
            s.record_review(
                pid, "q-1", kind="recall", rating=1, reviewed_at=datetime(2024, 3, 1, tzinfo=UTC)
            )
            first = s.import_progress(pid, base)
            second = s.import_progress(
                pid, json.dumps(extra | {"reviews": extra["reviews"] + base["reviews"][:50]})
            )
            results.append((first, second, log_and_cards(s, pid)))
            s.rebuild_cards(pid)
            assert log_and_cards(s, pid) == results[-1][2]  # the same as a full replay
    assert results[0] == results[1]
    assert results[0][1].duplicates >= 50  # the 50 repeated, and any the two share by chance


def test_a_review_recorded_while_the_import_is_planned_is_kept(tmp_path, monkeypatch):
    db = tmp_path / "p.db"
    other = ProgressStore(db)
    planned: list[float] = []

    def review_meanwhile(fraction: float) -> None:
        if fraction != 0.9:  # 0.9: a plan is made, not yet written
            return
        planned.append(fraction)
        if len(planned) == 1:  # another device answers one of the file's questions now
            when = datetime(2024, 2, 2, 1, tzinfo=UTC)
            other.record_review(
                other.default_profile().id, "q-2", kind="recall", rating=4, reviewed_at=when
            )

    with ProgressStore(db) as s:
        pid = s.default_profile().id
        result = s.import_progress(pid, history(120), progress=review_meanwhile)
        assert len(planned) == 2  # the first plan was stale, so it was made again
        assert result.added == 120
        assert s.review_count(pid) == 121
        kept = log_and_cards(s, pid)
        s.rebuild_cards(pid)
        assert log_and_cards(s, pid) == kept
    other.close()


def test_other_sessions_review_while_an_import_is_planned(tmp_path):
    """While the merged cards are computed, neither this store's lock nor the database's write
    lock is held: a session sharing the store and another process's store both record."""
    db = tmp_path / "p.db"
    other = ProgressStore(db, timeout=0.05)  # would fail with "database is locked" if held
    recorded: list[str] = []
    fractions: list[float] = []

    def on_progress(fraction: float) -> None:
        fractions.append(fraction)
        if 0.1 < fraction < 0.9 and not recorded:
            session = threading.Thread(
                target=lambda: recorded.append(
                    str(s.record_review(pid, "shared", kind="recall", rating=3).review_id)
                )
            )
            session.start()
            session.join(30)  # returns at once unless this thread's store lock blocks it
            assert recorded, "another session sharing the store was held up by the import"
            other.record_review(other.default_profile().id, "elsewhere", kind="recall", rating=3)
            recorded.append("other process")

    with ProgressStore(db) as s:
        pid = s.default_profile().id
        s.import_progress(pid, history(400, questions=60), progress=on_progress)
        assert len(recorded) == 2
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
        assert s.review_count(pid) == 402
    other.close()


def test_upload_cap_matches_the_import_limit_and_fits_a_decade():
    config = tomllib.loads((REPO / "studyapp/app/.streamlit/config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_IMPORT_MB
    day = review(question_id="attention-causal-mask-entry-count", kind="choice", correct=True)
    decade = json.dumps(export(*[day] * (30 * 3653)), ensure_ascii=False, indent=1)
    assert len(decade) < MAX_IMPORT_MB * 1024 * 1024
    with pytest.raises(ProgressError, match=f"over {MAX_IMPORT_MB} MB"):
        parse_export(" " * (MAX_IMPORT_MB * 1024 * 1024 + 1))


@pytest.mark.parametrize(
    "data",
    [
        export(review(kind="k" * 1_000_000)),
        export(version="v" * 1_000_000),
        '{"' + "x" * 1_000_000 + '": 1, "' + "x" * 1_000_000 + '": 2}',
    ],
)
def test_error_messages_stay_short_whatever_the_file_holds(data):
    with pytest.raises(ProgressError) as err:
        parse_export(data)
    assert len(str(err.value)) < 500
