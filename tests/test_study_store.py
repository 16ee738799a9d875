"""Per-profile study settings (schema version 2) and a changed rating, in the progress store."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from studyapp.progress.migrations import migrate
from studyapp.progress.store import ProgressStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_study_settings_are_per_profile_json_and_go_with_the_profile(tmp_path):
    with ProgressStore(tmp_path / "p.db") as store:
        me = store.default_profile().id
        other = store.create_profile("other").id
        assert store.study_setting(me, "review_filter") is None
        store.save_study_setting(me, "review_filter", {"topics": ["bert", "gpt"], "tags": []})
        store.save_study_setting(other, "review_filter", {"topics": ["注意力"], "tags": ["x"]})
        assert store.study_setting(me, "review_filter") == {"topics": ["bert", "gpt"], "tags": []}
        assert store.study_setting(other, "review_filter")["topics"] == ["注意力"]
        store.save_study_setting(me, "review_filter", None)
        assert store.study_setting(me, "review_filter") is None
        store.delete_profile(other)
    with sqlite3.connect(tmp_path / "p.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM profile_settings").fetchone()[0] == 0


def test_a_version_1_database_is_migrated_keeping_its_reviews(tmp_path):
    path = tmp_path / "old.db"
    with ProgressStore(path) as store:
        me = store.default_profile().id
        store.record_review(me, "q1", kind="recall", rating=3, reviewed_at=T0)
    with sqlite3.connect(path, isolation_level=None) as conn:  # back to what version 1 had
        conn.execute("DROP TABLE profile_settings")
        conn.execute("DROP TABLE attempts")  # added by version 3
        conn.execute("PRAGMA user_version = 1")
    with ProgressStore(path) as store:
        assert store.schema_version() == 3
        assert store.review_count(me) == 1
        store.save_study_setting(me, "k", [1])
        assert store.study_setting(me, "k") == [1]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    assert migrate(conn) == 3


def test_change_rating_rebuilds_the_card_as_if_rated_so(tmp_path):
    with ProgressStore(tmp_path / "p.db") as store:
        me = store.default_profile().id
        done = store.record_review(me, "q1", kind="choice", correct=True, reviewed_at=T0)
        assert done.card.due - T0 == timedelta(minutes=10)  # Good on a new card
        rebuilt = store.change_rating(me, done.review_id, 2)
        [event] = store.reviews(me)
        assert int(event.rating) == 2 and event.correct is True
        with ProgressStore(tmp_path / "q.db") as fresh:
            you = fresh.default_profile().id
            hard = fresh.record_review(you, "q1", kind="recall", rating=2, reviewed_at=T0)
        assert rebuilt.card.due == hard.card.due
        assert store.get_card(me, "q1").due == hard.card.due
        with pytest.raises(LookupError):
            store.change_rating(me, 999, 3)
        with pytest.raises(ValueError):
            store.change_rating(me, done.review_id, 5)
