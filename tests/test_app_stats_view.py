"""Statistics and its charts: an empty period is not "no reviews yet" (issue 11, item 17); axes,
dates and topics in the learner's language; each series keeps one colour in every theme."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studyapp.app import charts
from studyapp.progress.store import ProgressStore
from tests.bankfixtures import REPO, study_bank

APP = str(REPO / "studyapp" / "app" / "main.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    bank = study_bank(tmp_path / "questions")
    path = tmp_path / "progress.db"
    monkeypatch.setenv("STUDYAPP_BANK", str(bank))
    monkeypatch.setenv("STUDYAPP_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()


def review(path, days_ago: int, rating: int = 3, qid: str = "sample-question") -> None:
    with ProgressStore(path) as store:
        me = store.default_profile()
        at = datetime.now(UTC) - timedelta(days=days_ago)
        store.record_review(me.id, qid, kind="recall", rating=rating, reviewed_at=at)


def stats(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("app_pages/stats.py").run()
    assert not at.exception, at.exception
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_an_empty_period_is_not_called_no_reviews_yet(db):
    review(db, days_ago=60)
    at = stats()
    assert at.info[0].value.startswith("No reviews in this period (1 month)")
    at.segmented_control(key="stats_period").set_value("quarter").run()
    assert not at.info or not at.info[0].value.startswith("No reviews")
    assert len(specs(at)) == 3  # reviews, accuracy, upcoming


def test_no_reviews_at_all_still_says_so(db):
    at = stats()
    assert at.info[0].value == "No reviews yet: answer a few questions first."


def test_charts_speak_chinese(db):
    review(db, days_ago=0, rating=1)
    review(db, days_ago=0, rating=3, qid="pick-the-encoder")
    at = stats("zh")
    per_day, accuracy, upcoming = (json.dumps(s, ensure_ascii=False) for s in specs(at))
    assert '"重来"' in per_day and '"良好"' in per_day and '"复习次数"' in per_day
    assert "%-m月%-d日" in per_day and "%-m月%-d日" in upcoming
    assert '"正确率"' in accuracy
    assert '"到期"' in upcoming
    assert "rate_" not in per_day and '"date"' not in per_day.replace('"field": "date"', "")


def test_the_mastery_table_names_topics_in_chinese(db):
    at = stats("zh")
    [table] = at.dataframe
    assert list(table.value["主题"]) == ["BERT", "模型规模"]


def test_series_keep_their_colour_whatever_the_data():
    """The colour scale lists every rating, so "Good" is green even on a day without "Again"."""
    day = datetime(2026, 1, 5).date()
    only_good = [{"date": day, "again": 0, "hard": 0, "good": 2, "easy": 0, "total": 2}]
    spec = charts.reviews_per_day(only_good, "en", day, day).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        "Again": "#e53935",
        "Hard": "#fb8c00",
        "Good": "#43a047",
        "Easy": "#1e88e5",
    }


def test_the_mastery_charts_count_axis_carries_the_title_and_unseen_is_muted():
    rows = [{"topic": "bert", "mastered": 1, "seen": 2, "total": 5}]
    spec = charts.mastery_by_topic(rows, "zh", lambda t, lang: {"bert": "BERT"}[t]).to_dict()
    assert spec["encoding"]["x"]["title"] == "题目数"  # x is the count axis of horizontal bars
    assert spec["encoding"]["y"]["title"] is None
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["已掌握", "已学", "未学"]
    assert spec["encoding"]["opacity"]["condition"]["value"] < 1
    assert spec["encoding"]["opacity"]["value"] == 1.0
