"""Charts for Today and Statistics: one palette for both themes, axes and dates in the language.

Each series has a fixed colour (a scale with an explicit domain), so "Good" is the same green in
light and dark mode and in every chart. The colours are mid-tone: readable on a white and on a
near-black background, none brighter than the text. "Not yet seen" is a translucent grey, the
quietest thing in its chart rather than the brightest.
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt

from studyapp.app.i18n import tr

RATING_COLOURS = {"again": "#e53935", "hard": "#fb8c00", "good": "#43a047", "easy": "#1e88e5"}
MASTERY_COLOURS = {"mastered": "#43a047", "seen": "#1e88e5", "unseen": "#9e9e9e"}
DUE_COLOUR = "#1e88e5"
ACCURACY_COLOUR = "#8e24aa"

# d3-time-format patterns: "Dec 1" and "12月1日".
_DAY_FORMAT = {"en": "%b %-d", "zh": "%-m月%-d日"}
_FULL_DATE_FORMAT = {"en": "%a %b %-d, %Y", "zh": "%Y年%-m月%-d日"}


def day_format(lang: str) -> str:
    return _DAY_FORMAT.get(lang, _DAY_FORMAT["en"])


# A day is a band (bars as wide as the day) in UTC: dates are sent as UTC midnights, and a
# local-time axis would move every bar a day back west of Greenwich.
DAY = "utcyearmonthdate(date):T"


def date_axis(lang: str, since: date | None = None, until: date | None = None) -> alt.X:
    """A day axis labelled in `lang`, from `since` to `until` when given (empty days show)."""
    domain = (
        [since.isoformat(), (until + timedelta(days=1)).isoformat()]
        if since and until
        else alt.Undefined
    )
    return alt.X(
        DAY,
        title=None,
        axis=alt.Axis(format=day_format(lang), labelAngle=0, labelOverlap=True),
        scale=alt.Scale(domain=domain),
    )


def date_tooltip(lang: str) -> alt.Tooltip:
    return alt.Tooltip(DAY, title=tr("date", lang), format=_FULL_DATE_FORMAT.get(lang, "%x"))


def reviews_per_day(rows: list[dict], lang: str, since: date, until: date) -> alt.Chart:
    """Stacked bars of reviews per day, one colour per rating."""
    names = {k: tr(f"rate_{k}", lang) for k in RATING_COLOURS}
    values = [
        {"date": r["date"].isoformat(), "rating": names[k], "n": r[k], "order": i}
        for r in rows
        for i, k in enumerate(RATING_COLOURS)
        if r[k]
    ]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=date_axis(lang, since, until),
            y=alt.Y("sum(n):Q", title=tr("reviews", lang), axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "rating:N",
                title=None,
                scale=alt.Scale(domain=list(names.values()), range=list(RATING_COLOURS.values())),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                date_tooltip(lang),
                alt.Tooltip("rating:N", title=tr("rating", lang)),
                alt.Tooltip("n:Q", title=tr("reviews", lang)),
            ],
        )
    )


def accuracy_per_day(rows: list[dict], lang: str, since: date, until: date) -> alt.Chart:
    """Accuracy per day on a fixed 0-100 % axis (it must not zoom on the data)."""
    values = [
        {"date": r["date"].isoformat(), "accuracy": r["accuracy"], "reviews": r["reviews"]}
        for r in rows
    ]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True, color=ACCURACY_COLOUR)
        .encode(
            x=date_axis(lang, since, until),
            y=alt.Y(
                "accuracy:Q",
                title=tr("accuracy", lang),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                date_tooltip(lang),
                alt.Tooltip("accuracy:Q", title=tr("accuracy", lang), format=".0%"),
                alt.Tooltip("reviews:Q", title=tr("reviews", lang)),
            ],
        )
    )


def due_per_day(rows: list[dict], lang: str) -> alt.Chart:
    """Bars of the cards coming due on each of the next days."""
    values = [{"date": r["date"].isoformat(), "due": r["due"]} for r in rows]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar(color=DUE_COLOUR)
        .encode(
            x=date_axis(lang, rows[0]["date"], rows[-1]["date"]),
            y=alt.Y("due:Q", title=tr("due_cards", lang), axis=alt.Axis(tickMinStep=1)),
            tooltip=[date_tooltip(lang), alt.Tooltip("due:Q", title=tr("due_cards", lang))],
        )
    )


def mastery_by_topic(rows: list[dict], lang: str, topic_label) -> alt.Chart:
    """Horizontal stacked bars per topic: mastered, seen, not yet seen; the count axis is titled."""
    names = {k: tr(k, lang) for k in MASTERY_COLOURS}
    counts = lambda r: {  # noqa: E731
        "mastered": r["mastered"],
        "seen": r["seen"] - r["mastered"],
        "unseen": r["total"] - r["seen"],
    }
    values = [
        {"topic": topic_label(r["topic"], lang), "part": names[k], "n": n, "order": i}
        for r in rows
        for i, (k, n) in enumerate(counts(r).items())
        if n
    ]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("topic:N", title=None, sort=None),
            x=alt.X("sum(n):Q", title=tr("questions", lang), axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "part:N",
                title=None,
                scale=alt.Scale(domain=list(names.values()), range=list(MASTERY_COLOURS.values())),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.condition(
                alt.datum.part == names["unseen"], alt.value(0.45), alt.value(1.0)
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("topic:N", title=tr("topic", lang)),
                alt.Tooltip("part:N", title=" "),
                alt.Tooltip("n:Q", title=tr("questions", lang)),
            ],
        )
    )
