"""The grading worker: runs inside the sandbox, imports torch once, and grades one job per line.

Run as a script (`python worker.py`), never imported by the app: the Streamlit process talks to it
over stdin/stdout, one JSON job in, one JSON result out. The file is self-contained (no studyapp
import) because the sandbox mounts only this folder, `minimodels/` and the Python installation.

Trust, per job (every process below is a fresh `fork` of this clean worker):

    worker ──fork──▶ judge (trusted: builds inputs, runs the reference, compares, decides)
                       ├──fork──▶ learner server  (runs the learner's code; answers calls)
                       └──fork──▶ mistake servers (run each known wrong solution the same way)

Code under test only ever answers calls: the judge sends it tensors, it sends outputs back as data
(raw bytes, never pickle). Every comparison happens in the judge, a process that code under test
never touched, so patching `torch.allclose` or the judge's functions changes nothing. Each server
gets CPU, memory, file-size and file-count limits, a seccomp filter (no new processes, no sockets,
no signals to other processes) where libseccomp is available, and the judge enforces a wall clock
on every call. The worker's parent (the app) adds bubblewrap around all of this when it can.
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import math
import os
import resource
import select
import signal
import struct
import sys
import tempfile
import time
import traceback

import torch

torch.set_num_threads(1)  # one thread: no OpenMP pool exists when we fork (forking after one hangs)
torch.set_num_interop_threads(1)

from hypothesis import HealthCheck, given, settings  # noqa: E402  (after torch's thread settings)
from hypothesis import strategies as st  # noqa: E402

try:  # loaded before any fork: the children run under file-count limits
    import pyseccomp as sc
except (ImportError, OSError, RuntimeError):  # not installed, or no libseccomp on this system
    sc = None

PREVIEW_CHARS = 500  # printed output shown per test, as Exercism does
MAX_SHRINK_CALLS = 120  # calls a random test may spend shrinking a wrong answer
MAX_MESSAGE = 64 << 20  # bytes of one message between judge and server
DEFAULT_LIMITS = {"cpu_s": 10, "wall_s": 15, "memory_mb": 1024}
DEFAULT_COMPARE = {"rtol": 1e-7, "atol": 1e-10}
DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "int64": torch.int64,
    "bool": torch.bool,
}


# -- values crossing a process boundary: plain JSON, tensors as raw bytes -----------------------


def encode(value):
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        return {
            "__tensor__": str(t.dtype).removeprefix("torch."),
            "shape": list(t.shape),
            "data": base64.b64encode(t.numpy().tobytes()).decode(),
        }
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"returned a {type(value).__name__}, not a tensor, number, list or dict")


def decode(value):
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "__tensor__" in value:
            dtype = DTYPES.get(value["__tensor__"]) or getattr(torch, value["__tensor__"])
            raw = bytearray(base64.b64decode(value["data"]))
            flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            return flat.reshape(value["shape"])
        if "__float__" in value:
            return float(value["__float__"])
        return {decode(k): decode(v) for k, v in value["__dict__"]}
    return value


def send(fd: int, message: dict) -> None:
    data = json.dumps(message).encode()
    os.write(fd, struct.pack("!I", len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def receive(fd: int, deadline: float) -> dict | None:
    """One message, or None if the other side died or the deadline passed."""
    head = _read_exactly(fd, 4, deadline)
    if head is None:
        return None
    (size,) = struct.unpack("!I", head)
    if size > MAX_MESSAGE:
        return None
    body = _read_exactly(fd, size, deadline)
    return None if body is None else json.loads(body)


def _read_exactly(fd: int, n: int, deadline: float) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# -- the server: code under test, answering calls ------------------------------------------------


class _CappedText(io.TextIOBase):
    """stdout/stderr for code under test: keeps the first characters, counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < PREVIEW_CHARS:
            self.kept.append(text[: PREVIEW_CHARS - self.size])
        self.size += len(text)
        return len(text)

    def take(self) -> dict:
        out = {"printed": "".join(self.kept), "printed_cut": self.size > PREVIEW_CHARS}
        self.kept, self.size = [], 0
        return out


def _limit(limits: dict, base_address_space: int) -> None:
    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # Torch alone reserves ~700 MB of address space: the cap is what is mapped now plus the budget.
    memory = base_address_space + int(limits["memory_mb"]) * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(
        signal.SIGXFSZ, signal.SIG_IGN
    )  # a too-large file raises EFBIG instead of killing


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 4 << 30


def _seccomp() -> bool:
    """Forbid new processes, sockets and signals to others; threads (torch's) stay allowed."""
    if sc is None:
        return False
    try:
        f = sc.SyscallFilter(defaction=sc.ALLOW)
        for name in ("fork", "vfork", "socket", "socketpair", "ptrace", "setsid", "setpgid"):
            f.add_rule(sc.ERRNO(1), name)  # EPERM
        clone_thread = 0x00010000
        f.add_rule(sc.ERRNO(1), "clone", sc.Arg(0, sc.MASKED_EQ, clone_thread, 0))
        f.add_rule(sc.ERRNO(38), "clone3")  # ENOSYS: glibc then falls back to clone for threads
        me = os.getpid()
        for name in ("kill", "tgkill"):
            f.add_rule(sc.ERRNO(1), name, sc.Arg(0, sc.NE, me))
        f.load()
        return True
    except Exception:  # an unknown syscall name on an odd architecture: run without the filter
        return False


def _serve(code: str, entry: str, fd_in: int, fd_out: int, limits: dict, base_as: int) -> None:
    """Body of a server process: load `code`, then answer `{"args": ...}` calls until EOF."""
    out = _CappedText()
    sys.stdout = sys.stderr = out
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1), os.dup2(devnull, 2)
    _limit(limits, base_as)
    seccomp = _seccomp()
    deadline = time.monotonic() + 3600
    try:
        module: dict = {"__name__": "solution"}
        exec(compile(code, "<your code>", "exec"), module)
        fn = module.get(entry)
        if not callable(fn):
            raise NameError(f"define a function named `{entry}`")
        send(fd_out, {"ready": True, "seccomp": seccomp, **out.take()})
    except BaseException as err:
        send(fd_out, {"ready": False, "error": _learner_traceback(err), **out.take()})
        return
    while (call := receive(fd_in, deadline)) is not None:
        args = decode(call["args"])
        try:
            result = fn(**args)
            reply = {"result": encode(result), "args_after": encode(args)}
        except BaseException as err:
            reply = {"error": _learner_traceback(err), "memory": _is_memory(err)}
        send(fd_out, {**reply, **out.take()})


def _learner_traceback(err: BaseException) -> str:
    """The learner's part of a traceback: frames from their code, then the error, trimmed."""
    if isinstance(err, SyntaxError):
        return "".join(traceback.format_exception_only(type(err), err)).strip()[-1500:]
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == "<your code>"]
    lines = [f"line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames[-5:]]
    lines.append("".join(traceback.format_exception_only(type(err), err)).strip())
    return "\n".join(lines)[-1500:]


def _is_memory(err: BaseException) -> bool:
    return isinstance(err, MemoryError) or "can't allocate memory" in str(err).lower()


class Server:
    """A forked process running code under test; `call` asks it for one result."""

    def __init__(self, code: str, entry: str, limits: dict):
        self.wall = float(limits["wall_s"])
        to_server_r, self._to = os.pipe()
        self._from, from_server_w = os.pipe()
        base_as = _address_space()
        self.pid = os.fork()
        if self.pid == 0:  # the server
            os.close(self._to), os.close(self._from)
            with tempfile.TemporaryDirectory() as scratch:
                os.chdir(scratch)
                try:
                    _serve(code, entry, to_server_r, from_server_w, limits, base_as)
                finally:
                    os._exit(0)
        os.close(to_server_r), os.close(from_server_w)
        self.deadline = time.monotonic() + self.wall
        self.hello = receive(self._from, self.deadline) or self._death()

    def call(self, **args) -> dict:
        """`{"result": value}` or `{"error": text}`, `{"status": "time_limit" | "crashed" ...}`."""
        if "status" in self.hello or not self.hello.get("ready"):
            return self.hello
        try:
            send(self._to, {"args": encode(args)})
        except OSError:
            return self._death()
        reply = receive(self._from, self.deadline)
        if reply is None:
            return self._death()
        if "result" in reply:
            reply["result"] = decode(reply["result"])
            reply["args_after"] = decode(reply["args_after"])
        elif reply.get("memory"):
            reply["status"] = "memory_limit"
        return reply

    def _death(self) -> dict:
        """Why the server stopped answering: its wall clock, its CPU limit, or a crash."""
        if time.monotonic() >= self.deadline:
            self.stop()
            status = "time_limit"
        else:
            _, wait = os.waitpid(self.pid, 0)
            self.pid = 0
            sig = os.WTERMSIG(wait) if os.WIFSIGNALED(wait) else 0
            status = {signal.SIGXCPU: "time_limit", signal.SIGKILL: "time_limit"}.get(sig)
            status = status or "crashed"
        self.hello = {"status": status}
        return self.hello

    def stop(self) -> None:
        for fd in (self._to, self._from):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0


# -- inputs: a small declarative language, never eval ------------------------------------------


def build(spec, dims: dict, gen: torch.Generator, dtype: torch.dtype):
    """Turn an input spec into a value: literals stay, `{randn: [B, T, d]}` becomes a tensor."""
    if isinstance(spec, dict):
        if "tensor" in spec:
            return torch.tensor(spec["tensor"], dtype=DTYPES[spec.get("dtype", "float64")]).to(
                dtype if spec.get("dtype", "float64").startswith("float") else None
            )
        shape = [_size(d, dims) for d in _shape_of(spec)]
        if "randn" in spec:
            return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype) * spec.get(
                "scale", 1
            )
        if "rand" in spec:
            return torch.rand(shape, generator=gen, dtype=torch.float64).to(dtype)
        if "randint" in spec:
            low, high = (dims.get(v, v) if isinstance(v, str) else v for v in spec["randint"][:2])
            ints = torch.randint(low, high, shape, generator=gen)
            if "ignore_p" in spec:  # labels: a share of positions set to the ignore index
                ignored = torch.rand(shape, generator=gen) < spec["ignore_p"]
                ints = ints.masked_fill(ignored, int(spec.get("ignore_value", -100)))
            return ints.tolist() if spec.get("as_list") else ints
        if "randbool" in spec:
            return torch.rand(shape, generator=gen) < spec.get("p", 0.5)
        if "dim" in spec:
            return _size(spec["dim"], dims)
        raise ValueError(f"unknown input form {sorted(spec)}")
    return spec


def _size(d, dims: dict) -> int:
    """A dimension: a number, a drawn name, or a product of those ("H*hs")."""
    if not isinstance(d, str):
        return d
    return math.prod(int(f) if f.isdigit() else dims[f] for f in d.split("*"))


def _shape_of(spec: dict) -> list:
    for form in ("randn", "rand", "randbool"):
        if form in spec:
            return spec[form]
    if "randint" in spec:
        return spec["randint"][2]
    return []


def make_args(test: dict, dims: dict | None = None, dtype=torch.float64) -> dict:
    gen = torch.Generator().manual_seed(int(test.get("seed", 0)))
    dims = {**test.get("dims_fixed", {}), **(dims or {})}
    return {name: build(spec, dims, gen, dtype) for name, spec in test.get("inputs", {}).items()}


# -- comparisons: exact / close / different, with a message a learner can act on ---------------


def compare(got, want, compare_opts: dict, where: str = "output") -> str | None:
    """None when `got` matches `want`; else what differs, first shape, then dtype, then values."""
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"{where}: expected a tensor, got {type(got).__name__} {_short(got)}"
        if got.shape != want.shape:
            return f"{where}: shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        if want.dtype == torch.bool or not want.is_floating_point():
            if got.dtype != want.dtype and got.dtype.is_floating_point is not False:
                return f"{where}: dtype {got.dtype}, expected {want.dtype}"
            bad = got.to(want.dtype) != want
            if bad.any():
                first = tuple(int(i) for i in bad.nonzero()[0])
                return (
                    f"{where}: {int(bad.sum())}/{want.numel()} elements differ; at {first} "
                    f"got {got[first].item()}, expected {want[first].item()}"
                )
            return None
        g, w = got.detach().to(torch.float64), want.to(torch.float64)
        if torch.isnan(g).any() and not torch.isnan(w).any():
            first = tuple(int(i) for i in torch.isnan(g).nonzero()[0])
            return f"{where}: NaN at {first}; expected {w[first].item():.6g}"
        close = torch.isclose(
            g, w, rtol=compare_opts["rtol"], atol=compare_opts["atol"], equal_nan=True
        )
        if not close.all():
            diff = (g - w).abs().nan_to_num(nan=math.inf, posinf=math.inf)[~close]  # -inf = -inf
            first = tuple(int(i) for i in (~close).nonzero()[0])
            return (
                f"{where}: {int((~close).sum())}/{w.numel()} elements differ (max |diff| "
                f"{diff.max().item():.3g}); at {first} got {g[first].item():.6g}, expected "
                f"{w[first].item():.6g}"
            )
        return None
    if isinstance(want, list | tuple):
        if not isinstance(got, list | tuple) or len(got) != len(want):
            return f"{where}: expected {len(want)} items, got {_short(got)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            if msg := compare(g, w, compare_opts, f"{where}[{i}]"):
                return msg
        return None
    if isinstance(want, float) or (isinstance(want, int) and isinstance(got, float)):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, int | float) or not math.isclose(
            got, want, rel_tol=compare_opts["rtol"], abs_tol=compare_opts["atol"]
        ):
            return f"{where}: got {_short(got)}, expected {want!r}"
        return None
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    return None if got == want else f"{where}: got {_short(got)}, expected {want!r}"


def _short(value) -> str:
    text = repr(
        value.tolist() if isinstance(value, torch.Tensor) and value.numel() <= 16 else value
    )
    return text if len(text) <= 120 else text[:117] + "..."


def _same(a, b, compare_opts: dict) -> bool:
    try:
        return compare(a, b, compare_opts) is None
    except Exception:
        return False


# -- the judge ------------------------------------------------------------------------------------


def load_reference(path: str):
    module, _, name = path.partition(":")
    mod = __import__(module, fromlist=[name])
    return getattr(mod, name)


class Judge:
    """Runs an exercise's tests in order against a learner server; trusted code only."""

    def __init__(self, job: dict):
        self.spec = job["exercise"]
        self.limits = {**DEFAULT_LIMITS, **self.spec.get("limits", {})}
        self.compare_opts = {**DEFAULT_COMPARE, **self.spec.get("compare", {})}
        self.entry = self.spec["entry"]
        self.reference = load_reference(self.spec["reference"])
        self.code = job["code"]
        self.only_visible = job.get("visible_only", False)

    def run(self) -> dict:
        started = time.monotonic()
        learner = Server(self.code, self.entry, self.limits)
        mistakes: dict[str, Server] = {}
        results, status, printed = [], "passed", {"printed": "", "printed_cut": False}
        try:
            hello = learner.hello
            printed = {k: hello.get(k, printed[k]) for k in printed}
            if not hello.get("ready"):
                kind = hello.get("status") or "error"
                return self._result(kind, [], started, error=hello.get("error", ""), **printed)
            for test in self.spec["tests"]:
                if self.only_visible and not test.get("visible"):
                    continue
                outcome = self._run_test(test, learner)
                if outcome["status"] != "passed" and outcome.get("args") is not None:
                    outcome["mistake"] = self._recognise(outcome.pop("args"), outcome, mistakes)
                for internal in ("args", "got", "signature"):
                    outcome.pop(internal, None)
                results.append(outcome)
                if outcome.get("printed"):
                    printed = {"printed": outcome["printed"], "printed_cut": outcome["printed_cut"]}
                if outcome["status"] in ("time_limit", "memory_limit", "crashed"):
                    status = outcome["status"]
                    break
            else:
                if any(r["status"] == "error" for r in results):
                    status = "error"
                elif any(r["status"] != "passed" for r in results):
                    status = "failed"
            if printed["printed_cut"] and status == "passed":
                status = "output_cut"
            return self._result(status, results, started, **printed)
        finally:
            learner.stop()
            for server in mistakes.values():
                server.stop()

    def _result(self, status, tests, started, **extra) -> dict:
        return {
            "status": status,
            "tests": tests,
            "seconds": round(time.monotonic() - started, 4),
            "limits": self.limits,
            **extra,
        }

    def _run_test(self, test: dict, learner: Server) -> dict:
        kind = test.get("kind", "example")
        base = {"id": test["id"], "visible": bool(test.get("visible"))}
        try:
            if kind == "random":
                return {**base, **self._random(test, learner)}
            return {**base, **CHECKS[kind](self, test, learner)}
        except _Stop as stop:
            return {**base, **stop.outcome}

    def _ask(self, learner: Server, args: dict) -> tuple:
        """The learner's output for `args` (cloned first); stops the test on an error or limit."""
        sent = {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in args.items()}
        reply = learner.call(**sent)
        printed = {
            "printed": reply.get("printed", ""),
            "printed_cut": reply.get("printed_cut", False),
        }
        if "status" in reply:
            raise _Stop({"status": reply["status"], **printed})
        if "error" in reply:
            raise _Stop({"status": "error", "message": reply["error"], **printed})
        return reply["result"], reply["args_after"], printed

    def _expect(self, test: dict, args: dict):
        if test.get("expect") is not None:  # a literal, or {tensor: [...], dtype} for a tensor
            return build(test["expect"], {}, torch.Generator(), torch.float64)
        copy = {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in args.items()}
        return self.reference(**copy)

    def _recognise(self, args: dict, outcome: dict, servers: dict) -> str | None:
        """The id of the known mistake whose output equals the learner's on the failing input."""
        got = outcome.get("got")
        if got is None:
            return None
        for mistake in self.spec.get("mistakes", []):
            server = servers.get(mistake["id"])
            if server is None:
                server = servers[mistake["id"]] = Server(mistake["code"], self.entry, self.limits)
            reply = server.call(
                **{k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in args.items()}
            )
            if "result" not in reply:
                continue
            if "signature" in outcome:  # a random draw: the same failure, not the same values
                test = next(t for t in self.spec["tests"] if t["id"] == outcome["id"])
                if proportions_verdict(test, args, reply["result"])[1] == outcome["signature"]:
                    return mistake["id"]
            elif _same(got, reply["result"], self.compare_opts):
                return mistake["id"]
        return None

    def _random(self, test: dict, learner: Server) -> dict:
        """Reference match over shapes drawn by hypothesis; a failure shrinks to the smallest."""
        ranges = test["dims"]
        failure: dict = {}

        @settings(
            max_examples=int(test.get("max_examples", 25)),
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            st.fixed_dictionaries(
                {name: st.integers(low, high) for name, (low, high) in ranges.items()}
            ),
            st.integers(0, 2**16),
        )
        def check(dims, seed):
            args = make_args({**test, "seed": seed}, dims)
            case = f"(smallest failing case: {dims}, seed {seed})"
            calls[0] += 1
            if calls[0] > MAX_SHRINK_CALLS and failure:
                raise _Abort  # shrinking long enough: report the smallest case found so far
            try:
                got, _, printed = self._ask(learner, args)
            except _Stop as stop:  # an error or a limit ends the test: nothing to shrink towards
                failure.clear()
                failure.update(stop.outcome)
                if "message" in failure:
                    failure["message"] += f" {case}"
                raise _Abort from None
            if msg := compare(got, self._expect(test, args), self.compare_opts):
                failure.clear()
                failure.update(
                    status="failed", message=f"{msg} {case}", args=args, got=got, **printed
                )
                raise AssertionError(msg)

        calls = [0]
        try:
            check()
        except (Exception, _Abort):  # AssertionError, _Abort, or hypothesis' Flaky* errors
            if failure:
                return failure
            raise
        return {"status": "passed"}


class _Abort(BaseException):
    """Not an Exception, so hypothesis stops at once instead of shrinking."""


class _Stop(Exception):
    def __init__(self, outcome: dict):
        self.outcome = outcome


def check_example(judge: Judge, test: dict, learner: Server) -> dict:
    """The learner's output equals the reference's (or `expect`) on fixed inputs, in float64."""
    args = make_args(test)
    got, _, printed = judge._ask(learner, args)
    if msg := compare(got, judge._expect(test, args), judge.compare_opts):
        return {"status": "failed", "message": msg, "args": args, "got": got, **printed}
    return {"status": "passed", **printed}


def check_dtype_kept(judge: Judge, test: dict, learner: Server) -> dict:
    """float32 in gives float32 out, with the reference's shape (values checked loosely)."""
    args = make_args(test, dtype=torch.float32)
    got, _, printed = judge._ask(learner, args)
    want = judge._expect(test, args)
    if isinstance(want, torch.Tensor) and isinstance(got, torch.Tensor):
        if got.shape != want.shape:
            return {
                "status": "failed",
                "message": f"shape {tuple(got.shape)}, expected {tuple(want.shape)}",
                **printed,
            }
        if got.dtype != want.dtype:
            return {
                "status": "failed",
                "message": f"dtype {got.dtype} for {want.dtype} inputs: keep the input dtype",
                **printed,
            }
    if msg := compare(got, want, {"rtol": 1e-4, "atol": 1e-5}):
        return {"status": "failed", "message": msg, **printed}
    return {"status": "passed", **printed}


def check_inputs_unchanged(judge: Judge, test: dict, learner: Server) -> dict:
    """The function does not modify its arguments in place."""
    args = make_args(test)
    _, after, printed = judge._ask(learner, args)
    for name, before in args.items():
        if isinstance(before, torch.Tensor) and compare(
            after[name], before, {"rtol": 0, "atol": 0}
        ):
            return {
                "status": "failed",
                "message": f"your function changed its input `{name}` in place",
                **printed,
            }
    return {"status": "passed", **printed}


def check_prefix_invariance(judge: Judge, test: dict, learner: Server) -> dict:
    """Changing the inputs at positions >= t along `axis` leaves outputs before t unchanged."""
    args = make_args(test)
    axis, t = int(test.get("axis", -2)), int(test.get("position", 1))
    got, _, printed = judge._ask(learner, args)
    changed = dict(args)
    gen = torch.Generator().manual_seed(1234)
    for name in test["perturb"]:
        x = args[name].clone()
        tail = x.narrow(axis, t, x.shape[axis] - t)
        tail.copy_(torch.randn(tail.shape, generator=gen, dtype=x.dtype) * 3)
        changed[name] = x
    got2, _, _ = judge._ask(learner, changed)
    before = got.narrow(axis, 0, t)
    if msg := compare(
        got2.narrow(axis, 0, t), before, judge.compare_opts, "output before position"
    ):
        return {
            "status": "failed",
            "message": f"changing {', '.join(test['perturb'])} at positions >= {t} changed {msg}",
            "args": args,
            "got": got,
            **printed,
        }
    return {"status": "passed", **printed}


def check_proportions(judge: Judge, test: dict, learner: Server) -> dict:
    """Graded on invariants and proportions of a random draw, never on the draw order.

    `expect_shares` maps a category to its expected share; categories come from the reference's
    `categories` callable named in the test (module:function), applied to inputs and output.
    """
    args = make_args(test)
    got, _, printed = judge._ask(learner, args)
    message, signature = proportions_verdict(test, args, got)
    if message:
        return {"status": "failed", "message": message, "args": args, "got": got,
                "signature": signature, **printed}  # fmt: skip
    return {"status": "passed", **printed}


def proportions_verdict(test: dict, args: dict, got) -> tuple[str | None, str | None]:
    """(message, signature) of a draw: None when it passes; the signature names what failed
    (the broken invariant, or the category and the side its share is on), so a known mistake is
    recognised by failing the same way, since two random draws never match value for value."""
    categorise = load_reference(test["categories"])
    try:
        counts, total, broken = categorise(args, got)
    except Exception as err:  # a wrong shape or type from the learner: say what it was
        return f"could not read your output: {err}", "unreadable"
    if broken:
        return broken, broken
    sigmas = float(test.get("sigmas", 5))
    for category, share in (test.get("expect_shares") or {}).items():
        n = total[category] if isinstance(total, dict) else total
        seen = counts.get(category, 0) / max(n, 1)
        spread = sigmas * math.sqrt(share * (1 - share) / max(n, 1))
        if abs(seen - share) > spread:
            side = "too many" if seen > share else "too few"
            message = f"{category}: {seen:.4f} of {n}, expected {share} ± {spread:.4f}"
            return message, f"{category}: {side}"
    return None, None


CHECKS = {
    "example": check_example,
    "dtype_kept": check_dtype_kept,
    "inputs_unchanged": check_inputs_unchanged,
    "prefix_invariance": check_prefix_invariance,
    "proportions": check_proportions,
}
TEST_KINDS = (*CHECKS, "random")


# -- the worker loop --------------------------------------------------------------------------------


def grade(job: dict) -> dict:
    """Grade one job in a forked judge, under a wall clock for the whole job."""
    limits = {**DEFAULT_LIMITS, **job["exercise"].get("limits", {})}
    budget = float(limits["wall_s"]) * (1 + len(job["exercise"].get("mistakes", []))) + 5
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.setpgid(0, 0)
        try:
            result = Judge(job).run()
        except (
            BaseException
        ) as err:  # a broken exercise spec: an error of the bank, not the learner
            result = {"status": "refused", "tests": [], "error": f"exercise error: {err!r}"}
        send(write, result)
        os._exit(0)
    os.close(write)
    reply = receive(read, time.monotonic() + budget)
    os.close(read)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    _sweep()
    return reply or {"status": "time_limit", "tests": [], "limits": limits}


def _sweep() -> None:
    """In a PID namespace (bubblewrap) nothing but us and our parent should be left: kill the rest."""
    if os.getpid() > 5:  # not in our own PID namespace: nothing here is ours to sweep
        return
    keep = {1, os.getpid()}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry), signal.SIGKILL)


def _warm_up() -> None:
    """Pay hypothesis' first-run cost (~0.6 s) once, here, instead of in every job."""

    @settings(max_examples=3, database=None, deadline=None, derandomize=True)
    @given(st.integers(0, 3))
    def warm(n):
        pass

    warm()


def main() -> None:
    sys.setrecursionlimit(10_000)
    _warm_up()
    counter = itertools.count()
    out = sys.stdout
    out.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    out.flush()
    # The loop ends when the app closes our stdin (or dies): that is how the worker stops. Not
    # PR_SET_PDEATHSIG or bwrap --die-with-parent: both watch the *thread* that started us, and
    # Streamlit starts it from a script thread that ends with the run.
    for line in sys.stdin:
        job = json.loads(line)
        with contextlib.suppress(Exception):  # trusted code, imported once, before any fork
            load_reference(job["exercise"]["reference"])
        reply = grade(job)
        reply["job"] = job.get("id", next(counter))
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
