"""Training runs owned by the server, not by a page: one at a time, the others wait in line.

Streamlit stops a page's script whenever the learner touches a widget, switches the language or
leaves the page. A training demo that ran inside the script was therefore cut short and started
again from zero (a language switch at 8 s turned a 28 s run into 52 s), and eight sessions could
train at once (1.29 GB, 235 s each). Here a run is a job in a queue served by one worker thread:
pages submit a run when the learner presses Run, then only read its progress, so reruns of the page
never touch it. Finished results are kept for the `keep` most recently used parameter sets, and at
most `max_waiting` runs wait, so memory stays bounded.

With a `DemoCache` (`studyapp.demos.diskcache`) every finished run is also written to disk, and a
run that is in neither memory nor the queue is looked up there: after a server restart, a demo the
learner trained draws at once. Asking again for a finished run trains a fresh one only when the
learner says so (`again=True`); its result then replaces the stored one.

Pure Python without Streamlit: the app keeps one `TrainingQueue` per server.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studyapp.demos import Demo, run_demo
from studyapp.demos.diskcache import DemoCache

RunKey = tuple[str, tuple]
log = logging.getLogger(__name__)


class QueueFull(RuntimeError):
    """Too many runs are waiting; the message says how many."""


@dataclass
class Run:
    """One training run: what it trains, where it is, and its result once finished."""

    demo: Demo
    params: dict[str, Any]
    state: str = "waiting"  # waiting, running, done, failed
    done: float = 0.0  # fraction of the training, from the demo's progress reports
    text: Any = ""  # the demo's last progress text (a bilingual label)
    curve: Any = None  # the loss curve so far (a `Lines`), if the demo reports one
    parts: list | None = None  # the result, once done
    error: str = ""  # the traceback, once failed
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    trained_at: float | None = None  # wall-clock time (time.time()) the result was trained
    from_disk: bool = False  # read from the disk cache, not trained by this server

    @property
    def key(self) -> RunKey:
        return run_key(self.demo, self.params)

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    @property
    def over(self) -> bool:
        return self.state in ("done", "failed")


def _warm_up() -> None:
    try:
        from minimodels.demos.trained import warm_up  # torch, only once a training page is open

        warm_up()
    except Exception:  # a warm-up is only a head start: the run itself reports any failure
        logging.getLogger(__name__).exception("training warm-up failed")


def run_key(demo: Demo, params: dict[str, Any]) -> RunKey:
    return demo.id, tuple(sorted(params.items()))


Runner = Callable[[Demo, dict[str, Any], Callable], list]


class TrainingQueue:
    """Runs training demos one at a time, in the order they were asked for.

    The same demo with the same parameters is one run, shared by every session that asks for it.
    """

    def __init__(
        self,
        keep: int = 8,
        max_waiting: int = 8,
        runner: Runner | None = None,
        cache: DemoCache | None = None,
    ):
        self.keep = keep
        self.max_waiting = max_waiting
        self.cache = cache
        self._runner = runner  # None: `run_demo`, looked up when a run starts
        self._lock = threading.Lock()
        self._finished: OrderedDict[RunKey, Run] = OrderedDict()  # least recently used first
        self._waiting: deque[Run] = deque()
        self._running: Run | None = None
        self._worker: threading.Thread | None = None
        self._warm_up: threading.Thread | None = None

    def find(self, demo: Demo, params: dict[str, Any]) -> Run | None:
        """The run of `demo` with `params` (waiting, running or finished), if there is one: in
        memory, else a finished one in the disk cache."""
        key = run_key(demo, params)
        with self._lock:
            run = self._in_memory(key)
        if run is not None or self.cache is None:
            return run
        cached = self.cache.load(demo, params)  # outside the lock: it reads a file
        if cached is None:
            return None
        stored = Run(demo, dict(params), state="done", done=1.0, parts=cached.parts)
        stored.trained_at, stored.from_disk = cached.trained_at, True
        with self._lock:
            run = self._in_memory(key)  # another session may have found or submitted it meanwhile
            if run is None:
                run = self._keep_finished(stored)
        return run

    def _in_memory(self, key: RunKey) -> Run | None:
        if key in self._finished:
            self._finished.move_to_end(key)
            return self._finished[key]
        if self._running is not None and self._running.key == key:
            return self._running
        return next((r for r in self._waiting if r.key == key), None)

    def _keep_finished(self, run: Run) -> Run:
        self._finished[run.key] = run
        while len(self._finished) > self.keep:
            self._finished.popitem(last=False)
        return run

    def submit(self, demo: Demo, params: dict[str, Any], again: bool = False) -> Run:
        """The run of `demo` with `params`: an existing one, else a new one at the end of the
        line. A failed run is tried again, and so is a finished one when `again` (the learner
        pressed "train again"). Raises `QueueFull` when `max_waiting` already wait."""
        run = self.find(demo, params)
        if run is not None and not (run.state == "failed" or (again and run.state == "done")):
            return run
        with self._lock:
            current = self._in_memory(run_key(demo, params))
            if current is not None and not current.over:  # another session was quicker
                return current
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(f"{len(self._waiting)} training runs are already waiting")
            self._finished.pop(run_key(demo, params), None)
            run = Run(demo, dict(params))
            self._waiting.append(run)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="training", daemon=True)
                self._worker.start()
        return run

    def warm_up(self) -> None:
        """Once per queue, in the background: import torch and pay the first run's fixed costs
        (`minimodels.demos.trained.warm_up`), so that the learner who opened a training demo's
        page sees the first live point as soon as they press Run. Never with a stand-in runner."""
        with self._lock:
            if self._runner is not None or self._warm_up is not None:
                return
            self._warm_up = threading.Thread(target=_warm_up, name="training-warm-up", daemon=True)
            self._warm_up.start()

    def forget(self, run: Run) -> None:
        """Drop a finished run from memory and disk: its result could not be drawn."""
        with self._lock:
            if self._finished.get(run.key) is run:
                del self._finished[run.key]
        if self.cache is not None:
            self.cache.remove(run.demo, run.params)

    def ahead_of(self, run: Run) -> int:
        """How many runs will train before `run` starts (0 once it is running or finished)."""
        with self._lock:
            if run not in self._waiting:
                return 0
            return list(self._waiting).index(run) + (self._running is not None)

    def active(self) -> list[Run]:
        """The run that is training, then the waiting ones in order."""
        with self._lock:
            return [r for r in (self._running, *self._waiting) if r is not None]

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._worker = None
                    return
                run = self._running = self._waiting.popleft()
                run.state, run.started = "running", time.monotonic()

            def progress(done: float, text: Any, curve: Any = None, run: Run = run) -> None:
                run.done, run.text = min(max(done, 0.0), 1.0), text
                if curve is not None:
                    run.curve = curve

            identity = None
            try:
                # Taken before training: the bank may change while the model trains on it.
                identity = self.cache.identity(run.demo, run.params) if self.cache else None
                parts = (self._runner or run_demo)(run.demo, run.params, progress)
            except Exception:  # a demo's bug is shown on its page, never kills the worker
                run.error, run.state = traceback.format_exc(), "failed"
            else:
                run.parts, run.done, run.trained_at = parts, 1.0, time.time()
                run.state = "done"
            run.finished = time.monotonic()
            with self._lock:
                self._running = None
                self._keep_finished(run)
            if identity is not None and run.state == "done":
                try:
                    self.cache.store(identity, parts, run.trained_at, run.finished - run.started)
                except Exception:  # the result is shown all the same; it is just not kept
                    log.exception("could not store %s in the demo cache", run.demo.id)
