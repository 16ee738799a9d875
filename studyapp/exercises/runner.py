"""Run a learner's code against an exercise's tests, outside this process, in a sandbox.

The app never runs learner code itself. It starts `worker.py` once (torch imported there, not here)
and sends it one job per submission; the worker forks a judge and the code's own process for each
job (see `worker.py` for what runs where). This module decides *how* the worker is started, once,
by probing the machine, and says so:

- **isolated**: bubblewrap works. The worker runs in new user, PID, network, IPC and mount
  namespaces with a read-only system, only this folder, `minimodels/` and Python visible, no home
  folder, no bank, an empty private /tmp, no network and no capabilities, as an unprivileged uid.
- **not isolated**: bubblewrap is missing or blocked, and the app serves only this machine
  (loopback). The worker runs with the same per-process limits and seccomp filter (no new
  processes, no sockets, no signals to others), but it can read what the user can read. The page
  shows this mode with its reason.
- **refused**: no bubblewrap and the server is reachable from the network: nobody else's code runs
  unisolated on this machine. Never a silent fallback.

`STUDYAPP_SANDBOX=isolated|not-isolated|refused` forces a mode (tests use it).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass
from pathlib import Path

WORKER = Path(__file__).resolve().with_name("worker.py")
MODE_ENV = "STUDYAPP_SANDBOX"
MODES = ("isolated", "not-isolated", "refused")
START_TIMEOUT_S = 60.0  # importing torch on a cold disk
SANDBOX_UID = 1000


@dataclass(frozen=True)
class Sandbox:
    mode: str  # one of MODES
    reason: str  # why this mode, in English, for the badge and the CLI's JSON


def _minimodels_dir() -> Path:
    import minimodels  # a package of plain files: importing it does not import torch

    return Path(minimodels.__file__).resolve().parent


def bwrap_command(python: str | None = None) -> list[str]:
    """The bubblewrap command line that starts the worker; the last items are the program."""
    python = python or sys.executable
    binds: list[str] = []
    for path in sorted(
        {
            Path(sys.base_prefix).resolve(),
            Path(sys.prefix).resolve(),
            Path(sysconfig.get_paths()["purelib"]).resolve(),
            _minimodels_dir(),
            WORKER.parent,
        }
    ):
        binds += ["--ro-bind", str(path), str(path)]
    return [
        "bwrap",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin",  # ctypes finds libseccomp with /sbin/ldconfig
        "--ro-bind-try", "/etc/alternatives", "/etc/alternatives",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        # /tmp first: the checkout or the venv may live under /tmp, and a later tmpfs would hide them
        "--tmpfs", "/tmp",
        *binds,
        "--proc", "/proc",
        "--dev", "/dev",
        "--remount-ro", "/",  # the sandbox's own root too: only /tmp is writable
        "--unshare-all",
        "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--new-session",
        "--cap-drop", "ALL",
        "--clearenv",
        "--setenv", "PATH", "/usr/bin",
        "--setenv", "HOME", "/tmp",
        "--setenv", "PYTHONPATH", str(_minimodels_dir().parent),
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        "--setenv", "MALLOC_ARENA_MAX", "2",
        "--chdir", "/tmp",
        python, "-s", str(WORKER),
    ]  # fmt: skip


def _plain_command() -> list[str]:
    return [sys.executable, "-s", str(WORKER)]


def _plain_env() -> dict[str, str]:
    """A cleared environment: nothing of the app's (tokens, paths) reaches learner code."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "PYTHONPATH": str(_minimodels_dir().parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MALLOC_ARENA_MAX": "2",
    }


def probe_bwrap() -> str | None:
    """None when bubblewrap can start a process with our flags here, else why not."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap runs only on Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)"
    cmd = bwrap_command()[:-3] + ["/usr/bin/true"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap failed to start: {err}"
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no message"
        return f"bubblewrap cannot create namespaces here ({detail})"
    return None


def is_loopback(address: str | None) -> bool:
    return (address or "127.0.0.1") in ("127.0.0.1", "localhost", "::1") or (
        address or ""
    ).startswith("127.")


def choose(server_address: str | None = "127.0.0.1", *, forced: str | None = None) -> Sandbox:
    """Decide the mode: isolated where bubblewrap works, else by who can reach the server."""
    forced = forced or os.environ.get(MODE_ENV)
    if forced:
        if forced not in MODES:
            raise ValueError(f"{MODE_ENV} must be one of {', '.join(MODES)}, not {forced!r}")
        return Sandbox(forced, f"forced by {MODE_ENV}")
    problem = probe_bwrap()
    if problem is None:
        return Sandbox("isolated", "bubblewrap: no network, no home folder, read-only system")
    if is_loopback(server_address):
        return Sandbox("not-isolated", problem)
    return Sandbox(
        "refused",
        f"{problem}; the server listens on {server_address}, so code from the network would run "
        "unisolated on this machine",
    )


class Runner:
    """One warm worker, started on first use, one job at a time; restarted if it dies."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._jobs = 0

    def _start(self) -> subprocess.Popen:
        if self.sandbox.mode == "refused":
            raise RuntimeError(self.sandbox.reason)
        isolated = self.sandbox.mode == "isolated"
        process = subprocess.Popen(
            bwrap_command() if isolated else _plain_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=None if isolated else _plain_env(),  # bwrap clears it itself
            text=True,
            bufsize=1,
        )
        hello = self._read_line(process, time.monotonic() + START_TIMEOUT_S)
        if not hello or not json.loads(hello).get("ready"):
            process.kill()
            raise RuntimeError("the grading worker did not start")
        return process

    def start(self) -> None:
        """Start the worker now (the page does this while the learner reads the statement)."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()

    @staticmethod
    def _read_line(process: subprocess.Popen, deadline: float) -> str | None:
        assert process.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
            if ready:
                return process.stdout.readline() or None
        return None

    def grade(self, code: str, exercise: dict, *, visible_only: bool = False) -> dict:
        """The result of running `code` against `exercise` (its `code:` block as plain data)."""
        if self.sandbox.mode == "refused":
            return {"status": "refused", "tests": [], "error": self.sandbox.reason}
        limits = exercise.get("limits", {})
        budget = float(limits.get("wall_s", 15)) * (2 + len(exercise.get("mistakes", []))) + 10
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            self._jobs += 1
            job = {"id": self._jobs, "code": code, "exercise": exercise}
            job["visible_only"] = visible_only
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps(job) + "\n")
                self._process.stdin.flush()
                line = self._read_line(self._process, time.monotonic() + budget)
            except (BrokenPipeError, OSError):
                line = None
            if not line:  # the worker died (the code killed it) or hung: start afresh next time
                self._process.kill()
                self._process.wait()
                self._process = None
                return {"status": "crashed", "tests": [], "error": "the grading worker stopped"}
        result = json.loads(line)
        result["sandbox"] = {"mode": self.sandbox.mode, "reason": self.sandbox.reason}
        return result

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.kill()
                self._process.wait()
                self._process = None
