"""Draw any registered demo: its parameters as widgets, its result parts, and its real source.

Only pages that show a demo import this module, and torch is imported only when a demo runs.
"""

from __future__ import annotations

import time
import traceback

import altair as alt
import pandas as pd
import streamlit as st

from minimodels.results import (
    Check,
    Heatmap,
    Lines,
    Metric,
    Table,
    Text,
    TokenStrip,
    label,
)
from studyapp.app.i18n import tr
from studyapp.app.widgets import plain
from studyapp.demos import (
    REGISTRY,
    ChoiceParam,
    Demo,
    DemoParamError,
    FloatParam,
    IntParam,
    TextParam,
    run_demo,
    source_of,
)
from studyapp.demos.diskcache import DemoCache
from studyapp.demos.runs import QueueFull, Run, TrainingQueue, run_key

# Neutral colours first: the first category is usually "nothing happened", and red reads as an error.
STRIP_COLOURS = ["gray", "blue", "orange", "green", "violet", "red", "rainbow"]


@st.cache_resource(show_spinner=False)
def training_queue() -> TrainingQueue:
    """The server's one queue of training runs, shared by every session; finished runs are kept
    on disk, so a restart keeps them."""
    return TrainingQueue(cache=DemoCache())


@st.cache_data(show_spinner=False, max_entries=256)
def _computed(demo_id: str, params: tuple, _demo: Demo) -> list:
    return run_demo(_demo, dict(params))


def _widget(param, lang: str, key: str):
    text = label(param.label, lang)
    if isinstance(param, IntParam):
        if (param.max - param.min) / param.step <= 200:
            return st.slider(text, param.min, param.max, param.default, param.step, key=key)
        return st.number_input(text, param.min, param.max, param.default, param.step, key=key)
    if isinstance(param, FloatParam):
        return st.slider(text, param.min, param.max, param.default, param.step, key=key)
    if isinstance(param, ChoiceParam):
        return st.selectbox(text, param.options, param.options.index(param.default), key=key)
    assert isinstance(param, TextParam)
    return st.text_input(text, param.default, max_chars=param.max_chars, key=key)


def _escape(token: str) -> str:
    """A token as literal text inside Streamlit's `:color-background[...]` markdown."""
    return plain(token).replace(" ", "␣") or "∅"


def render_part(part, lang: str) -> None:
    if isinstance(part, Metric):
        st.metric(label(part.label, lang), part.value, help=label(part.note, lang) or None)
    elif isinstance(part, Table):
        if part.title:
            st.markdown(f"**{label(part.title, lang)}**")
        st.dataframe(table_frame(part, lang), hide_index=True)
    elif isinstance(part, Lines):
        if part.title:
            st.markdown(f"**{label(part.title, lang)}**")
        names = [label(part.series_labels.get(k, k), lang) for k in part.series]
        # Fixed field names, titled with the labels: Vega-Lite reads "." or "[" in a field as a path.
        data = pd.DataFrame({"x": part.x, **dict(zip(names, part.series.values(), strict=True))})
        data = data.melt("x", var_name="series", value_name="y")
        scale = alt.Scale(type="log") if part.log_y else alt.Scale(zero=False)
        chart = (
            alt.Chart(data)
            .mark_line(point=len(part.x) <= 30)
            .encode(
                x=alt.X("x:Q", title=label(part.x_label, lang) or "x"),
                y=alt.Y("y:Q", scale=scale, title=label(part.y_label, lang) or "y"),
                # In the demo's order, so a curve keeps its colour in either language.
                color=alt.Color("series:N", sort=names, title=None),
            )
        )
        st.altair_chart(chart)
    elif isinstance(part, Heatmap):
        if part.title:
            st.markdown(f"**{label(part.title, lang)}**")
        rows = [
            {
                "y": f"{i:03d} {label(part.y_labels[i], lang)}",
                "x": f"{j:03d} {label(part.x_labels[j], lang)}",
                "value": v,
            }
            for i, row in enumerate(part.matrix)
            for j, v in enumerate(row)
        ]
        axis = alt.Axis(labelExpr="substring(datum.value, 4)")
        value = label(part.value_label, lang)
        chart = (
            alt.Chart(pd.DataFrame(rows))
            .mark_rect()
            .encode(
                x=alt.X("x:O", axis=axis, title=None),
                y=alt.Y("y:O", axis=axis, title=None),
                color=alt.Color("value:Q", scale=alt.Scale(scheme="viridis"), title=value),
                tooltip=["y", "x", alt.Tooltip("value:Q", title=value)],
            )
        )
        st.altair_chart(chart)
    elif isinstance(part, TokenStrip):
        if part.title:
            st.markdown(f"**{label(part.title, lang)}**")
        kinds = list(dict.fromkeys([*part.legend, *part.categories]))
        colour = {k: STRIP_COLOURS[i % len(STRIP_COLOURS)] for i, k in enumerate(kinds)}
        st.markdown(
            " ".join(
                f":{colour[c]}-background[{_escape(t)}]"
                for t, c in zip(part.tokens, part.categories, strict=True)
            )
        )
        st.caption(
            " · ".join(f":{colour[k]}-background[{label(v, lang)}]" for k, v in part.legend.items())
        )
    elif isinstance(part, Text):
        st.markdown(label(part.markdown, lang))
    elif isinstance(part, Check):
        icon = ":material/check_circle:" if part.passed else ":material/cancel:"
        (st.success if part.passed else st.error)(check_text(part, lang), icon=icon)


def check_text(part: Check, lang: str) -> str:
    """The claim and its detail as one line, joined as `lang` writes it ("。" in Chinese)."""
    claim = label(part.claim, lang).rstrip(" .。")
    detail = label(part.detail, lang).strip()
    return tr("check_line", lang, claim=claim, detail=detail) if detail else claim


def render_demo(demo: Demo, lang: str, key: str) -> None:
    """Parameters, result and source of `demo`; `key` keeps widgets apart when shown twice.

    An analytic demo computes at once. A training demo trains only when Run is pressed, in the
    server's queue (`studyapp.demos.runs`), so that reruns of the page never restart it."""
    st.markdown(f"#### {label(demo.title, lang)}")
    st.markdown(label(demo.explanation, lang))
    if demo.trains:
        _training_demo(demo, lang, key)
        return
    with st.form(f"{key}-form", border=True):
        values = {p.name: _widget(p, lang, f"{key}-{p.name}") for p in demo.params}
        st.form_submit_button(tr("run_demo", lang), type="primary", icon=":material/play_arrow:")
    try:
        params = demo.check_params(values)
        with st.spinner(tr("computing", lang)):
            parts = _computed(demo.id, tuple(sorted(params.items())), demo)
    except DemoParamError as err:
        st.error(tr("bad_param", lang, error=err))
        return
    except Exception as err:  # a demo bug must not take the page down
        _failure(f"{type(err).__name__}: {err}", traceback.format_exc(), lang)
        return
    render_parts(parts, lang)
    _code(demo, lang)


def _training_demo(demo: Demo, lang: str, key: str) -> None:
    """The parameters beside the run: its place in line, its live curve, then its result."""
    settings, output = st.columns([1, 2], gap="medium")
    with settings, st.form(f"{key}-form", border=True):
        values = {p.name: _widget(p, lang, f"{key}-{p.name}") for p in demo.params}
        pressed = st.form_submit_button(
            tr("run_demo", lang), type="primary", icon=":material/play_arrow:"
        )
    with output:
        try:
            params = demo.check_params(values)
        except DemoParamError as err:
            st.error(tr("bad_param", lang, error=err))
            return
        queue = training_queue()
        if pressed:
            try:
                queue.submit(demo, params)
            except QueueFull:
                st.warning(tr("queue_full", lang, n=queue.max_waiting))
                return
        run = queue.find(demo, params)
        if run is None:
            queue.warm_up()  # torch and the corpus load while the learner picks parameters
            st.info(tr("press_run", lang), icon=":material/play_arrow:")
        elif not run.over:
            _follow(run_key(demo, params), lang)
        elif run.state == "failed":
            _failure(run.error.strip().splitlines()[-1], run.error, lang)
        else:
            _trained(run, params, lang, key)
            try:
                render_parts(run.parts, lang)
            except Exception as err:  # e.g. a stored result edited by hand: Run trains it anew
                queue.forget(run)
                _failure(f"{type(err).__name__}: {err}", traceback.format_exc(), lang)
    _code(demo, lang)


def trained_ago(trained_at: float, now: float, lang: str) -> str:
    """When a run was trained, as a learner says it: "Trained 5 minutes ago"."""
    seconds = max(now - trained_at, 0)
    for key, unit in (("trained_days", 86400), ("trained_hours", 3600), ("trained_minutes", 60)):
        if seconds >= unit:
            n = int(seconds // unit)
            return tr(key, lang, n=n, s="" if n == 1 else "s")
    return tr("trained_now", lang)


def _trained(run: Run, params: dict, lang: str, key: str) -> None:
    """When the shown result was trained, and a button that trains it anew (the result may come
    from the disk cache, trained days ago by an older server)."""
    if st.session_state.pop(f"{key}-again-full", False):
        st.warning(tr("queue_full", lang, n=training_queue().max_waiting))
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(trained_ago(run.trained_at or time.time(), time.time(), lang), width="content")
        st.button(
            tr("train_again", lang),
            key=f"{key}-again",
            type="tertiary",
            icon=":material/refresh:",
            help=tr("train_again_help", lang),
            on_click=_train_again,
            args=(run.demo, params, key),
        )


def _train_again(demo: Demo, params: dict, key: str) -> None:
    try:
        training_queue().submit(demo, params, again=True)
    except QueueFull:
        st.session_state[f"{key}-again-full"] = True


@st.fragment(run_every=1.0)
def _follow(key: tuple, lang: str) -> None:
    """Redrawn every second on its own: the run's place in line, or its progress and curve;
    the whole page reruns once the run is over, to draw the result."""
    demo_id, params = key
    queue = training_queue()
    run = queue.find(REGISTRY[demo_id], dict(params))
    if run is None or run.over:
        st.rerun(scope="app")
    draw_run(run, queue.ahead_of(run), lang)


def draw_run(run: Run, ahead: int, lang: str) -> None:
    """A run that is not over: how many runs train before it, or its progress and live curve."""
    if run.state == "waiting" and ahead:
        st.info(tr("queued", lang, n=ahead), icon=":material/hourglass_top:")
        return
    text = label(run.text, lang) if run.text else tr("training", lang)
    st.progress(run.done, text=text)
    if run.curve is not None:
        render_part(run.curve, lang)


def render_parts(parts: list, lang: str) -> None:
    """A demo's result: every part in order, its metrics together in a row at the end."""
    metrics = [p for p in parts if isinstance(p, Metric)]
    for part in parts:
        if not isinstance(part, Metric):
            render_part(part, lang)
    if metrics:
        for col, metric in zip(
            st.columns(min(4, len(metrics))) * len(metrics), metrics, strict=False
        ):
            with col:
                render_part(metric, lang)


def _failure(summary: str, trace: str, lang: str) -> None:
    st.error(tr("demo_failed", lang, error=summary))
    with st.expander(tr("details", lang)):
        st.code(trace, language=None)


def _code(demo: Demo, lang: str) -> None:
    with st.expander(tr("show_code", lang), icon=":material/code:"):
        st.caption(f"`{demo.compute.partition(':')[0].replace('.', '/')}.py`")
        st.code(source_of(demo), language="python", line_numbers=True)


def table_frame(part: Table, lang: str = "en") -> pd.DataFrame:
    """The table as a DataFrame the browser can receive, in `lang`: a column mixing numbers
    and text ("—" for "not measured") is sent as text, which Arrow would otherwise refuse."""
    rows = [[label(c, lang) if isinstance(c, dict) else c for c in row] for row in part.rows]
    frame = pd.DataFrame(rows, columns=[label(c, lang) for c in part.columns])
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(str)
    return frame
