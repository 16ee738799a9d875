"""What `studyapp` runs: the entry script `main.py` as a Streamlit `st.App` behind `HostGuard`,
which refuses requests for host names the server was not started for (DNS rebinding) and framing
by other origins. `streamlit run` finds `app` here and serves it with uvicorn.

Started another way (`streamlit run studyapp/app/serve.py --server.address 0.0.0.0`), it still
refuses to serve beyond loopback unless the user acknowledged that the app has no login.

Once the server is up, a background thread warms it (`warm_up`): it imports what the pages import
and loads the bank, so the first page a learner opens after a restart does not pay for them
(seconds on a busy machine). The server answers meanwhile; a page that needs a module the thread
is importing waits for that import only.
"""

import ast
import contextlib
import importlib
import importlib.util
import inspect
import os
import threading
import time
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit.logger import get_logger

from studyapp.app.hostguard import SHARE_ENV, HostGuard, exposure_refusal

log = get_logger(__name__)
HERE = Path(__file__).resolve().parent
WARM_UP_DONE = "studyapp warm-up done"  # the log line a benchmark waits for


# What a first page needs beyond the pages' own imports, found by comparing the modules loaded
# before and after a first run (tests/test_serve_warmup.py keeps the list complete): the favicon is
# read with PIL, the language switch's "中文" loads Streamlit's emoji table, a `:material/...:` icon
# is checked against Streamlit's list of names, Streamlit inserts its
# magic into each script, the progress database's path comes from platformdirs, and a demo's source
# is found through its package.
FIRST_RUN_IMPORTS = [
    "PIL.Image",
    "streamlit.emojis",
    "streamlit.material_icon_names",
    "streamlit.runtime.scriptrunner.magic_funcs",
    "platformdirs",
    "minimodels.demos",
]


def page_imports() -> list[str]:
    """The modules the entry script and every page import at their top level, in file order."""
    modules: dict[str, None] = {}
    for script in [HERE / "main.py", *sorted((HERE / "app_pages").glob("*.py"))]:
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                modules.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules[node.module] = None
                # `from studyapp.app import widgets` names modules too
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    with contextlib.suppress(ImportError):
                        if importlib.util.find_spec(name):
                            modules[name] = None
    return list(modules)


def _draw_offscreen() -> None:
    """What a page's first chart and table cost once per process, paid here: altair building and
    validating a chart of a pandas frame (its schema, narwhals' pandas support), the frame turned
    into Arrow for the browser, and the demo cache's pydantic readers of result parts."""
    import altair as alt
    import pandas as pd
    import pyarrow as pa

    from studyapp.demos.diskcache import PART_TYPES, decode_parts

    frame = pd.DataFrame({"step": [0, 1], "loss": [1.0, 0.5], "curve": ["a", "a"]})
    alt.Chart(frame).mark_line().encode(x="step", y="loss", color="curve").to_dict()
    pa.Table.from_pandas(frame)
    for name in PART_TYPES:  # a part that does not fit: pydantic's reader is built, then refuses
        with contextlib.suppress(ValueError, TypeError):
            decode_parts([{"part": name, "fields": {}}])


def warm_up() -> None:
    """Import the pages' modules, load the bank and hash the demos' training code and text, as
    the first page would. Torch is never imported: only a demo that trains needs it. Any failure
    is logged; the page that needs the failed piece then meets the error itself."""
    from studyapp.app.heap import freeze_long_lived

    start = time.perf_counter()
    try:
        for name in page_imports() + FIRST_RUN_IMPORTS:
            importlib.import_module(name)
        from PIL import Image

        Image.preinit()  # the common image formats, which reading the favicon loads
        _draw_offscreen()
        # Streamlit's first element in a process checks for a REPL with `inspect.stack()`, whose
        # cost is inspect's index of every loaded module's file: built here, once.
        inspect.stack()
        from studyapp.bank.load import get_bank
        from studyapp.demos.diskcache import code_hash, corpus_fingerprint

        get_bank()
        code_hash()  # the demo cache's key, computed once per process
        corpus_fingerprint()
        # What the first run's own freeze would do: it then finds nothing new.
        freeze_long_lived()
    except Exception:
        log.exception("studyapp warm-up failed (the pages load what they need themselves)")
        return
    log.info("%s in %.1f s", WARM_UP_DONE, time.perf_counter() - start)


def start_warm_up() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="studyapp-warm-up", daemon=True)
    thread.start()
    return thread


@contextlib.asynccontextmanager
async def warm_up_in_background(_app):
    """Lifespan hook: runs once the server's runtime has started; the server serves meanwhile."""
    start_warm_up()
    yield


if why := exposure_refusal(st.get_option("server.address") or "", bool(os.environ.get(SHARE_ENV))):
    raise SystemExit(f"studyapp: {why}")
app = st.App("main.py", middleware=[Middleware(HostGuard)], lifespan=warm_up_in_background)
