"""Keep the garbage collection Streamlit runs after every script run cheap.

Streamlit calls `gc.collect(2)` after each run (`runner.postScriptGC`, on by default). A full
collection walks every container object in the process, so its cost grows with what is loaded:
measured on this project's machine, 19 ms for Streamlit alone, 32 ms once the app's modules and the
bank are loaded, 100 ms once a demo has imported torch. That pause was most of every click: a
rerun of the Quiz page took 45-60 ms in the browser, an empty Streamlit page 33-44 ms.

Modules, the parsed bank and torch live as long as the server. `gc.freeze()` moves them to the
permanent generation, which collections skip; garbage that runs create is still collected after
every run. See `python -m studyapp.tools.bench` for the figures.
"""

from __future__ import annotations

import gc
import sys

_modules_when_frozen = 0


def freeze_long_lived() -> bool:
    """Freeze every live object if modules were imported since the last freeze; True if it froze.

    Called at the start of every run, so it must be cheap when nothing new was imported: the count
    of loaded modules tells whether long-lived objects were added (the first run of a page imports
    its modules, a demo imports torch). Unreachable objects are collected first, so only live ones
    are frozen. Frozen objects are still freed when their last reference goes, but a reference cycle
    among them never is: objects of the sessions open at one of these few freezes may stay.
    """
    global _modules_when_frozen
    loaded = len(sys.modules)
    if loaded == _modules_when_frozen:
        return False
    gc.collect()
    gc.freeze()
    _modules_when_frozen = loaded
    return True
