"""The trusted side of the trust boundary: start workers, send calls, read inert results.

    zygote = Zygote()                     # one per grading process: imports torch once
    sub = Submission("alice/", zygote)    # copies alice's exNN_*.py into a private temp folder
    sub.call("ex02.gradient", [1., 2.], [2., 4.], 1.0)   # runs in alice's worker, returns data
    sub.close()

A call that raises, times out, kills its worker or sends back garbage raises a StudentError
describing what happened; the next call gets a fresh worker (forked from the zygote in
milliseconds). A module whose import failed is not imported again.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.exercises import EXERCISES, module_of

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_LIMITS = {
    "RLIMIT_CPU": 120,                    # CPU seconds for the whole submission
    "RLIMIT_AS": 6 * 1024**3,             # address space (CPU-only runs; see docs/security.md)
    "RLIMIT_FSIZE": 64 * 1024**2,         # largest file it may write (its prints included)
    "RLIMIT_NOFILE": 256,
    "RLIMIT_NPROC": 512,
    "RLIMIT_CORE": 0,
}


@dataclass
class Limits:
    call_seconds: float = 10.0        # wall-clock per call
    import_seconds: float = 20.0      # wall-clock for importing one module
    submission_seconds: float = 300.0  # wall-clock for everything of one submission
    result_bytes: int = 256 * 1024**2
    rlimits: dict = field(default_factory=lambda: dict(DEFAULT_LIMITS))


class StudentError(Exception):
    """The student's code did not produce a value; `kind` says why, `str()` says it for people.

    kinds: not_started, missing, no_file, import, exception, timeout, crashed, protocol, budget
    """

    def __init__(self, kind, message, where="", traceback="", stdout=""):
        super().__init__(message)
        self.kind, self.where, self.traceback, self.stdout = kind, where, traceback, stdout

    def describe(self, call: str = "") -> str:
        msg = str(self)
        if self.kind == "not_started":
            return f"not started: {call or 'this function'} still raises NotImplementedError" \
                   + (f" ({msg.split(':', 1)[-1].strip()})" if ":" in msg else "")
        prefix = f"{call}: " if call else ""
        text = prefix + msg
        if self.where:
            text += f"\n  at {self.where}"
        if self.traceback and self.kind == "exception":
            text += "\n" + "\n".join("  " + line for line in self.traceback.rstrip().splitlines()[-6:])
        return text


def worker_env(workdir: str, threads: int = 1) -> dict:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES",
                                       "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    keep.update(HOME=workdir, TMPDIR=workdir, OMP_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads), PYTHONDONTWRITEBYTECODE="1")
    return keep


class Zygote:
    """A process that has imported torch and forks workers on request."""

    def __init__(self, wrapper: list[str] | None = None):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = parent
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in
                                                           env.get("PYTHONPATH", "").split(
                                                               os.pathsep) if p])
        cmd = list(wrapper or []) + [sys.executable, "-m", "grader.worker", str(child.fileno())]
        self.proc = subprocess.Popen(cmd, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, env=env, cwd=str(ROOT))
        child.close()
        self._buf = b""
        self._ready = False

    def _line(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise RuntimeError("the worker zygote did not answer")
            chunk = self.sock.recv(65536)
            if not chunk:
                self.log.seek(0)
                raise RuntimeError("the worker zygote stopped: "
                                   + self.log.read()[-2000:].decode(errors="replace"))
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def wait_ready(self):
        if not self._ready:
            self._line(timeout=120)
            self._ready = True

    def request(self, message: dict, fds=()):
        self.wait_ready()
        socket.send_fds(self.sock, [json.dumps(message).encode()], list(fds))
        return self._line()

    def close(self):
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class _Process:
    """One forked worker and the two pipes to it."""

    def __init__(self, zygote: Zygote, spec: dict):
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        try:
            self.pid = zygote.request(dict(spec, op="spawn"), fds=[req_r, res_w])["pid"]
        finally:
            os.close(req_r)
            os.close(res_w)
        self.zygote = zygote
        self.alive = True

    def send(self, frame: bytes, deadline: float):
        view = memoryview(frame)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.req_w], [], left)[1]:
                raise TimeoutError
            try:
                n = os.write(self.req_w, view[:1 << 16])
            except BrokenPipeError:
                raise EOFError from None
            view = view[n:]

    def read_exact(self, n: int, deadline: float) -> bytes:
        chunks = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.res_r], [], [], left)[0]:
                raise TimeoutError
            b = os.read(self.res_r, min(n, 1 << 20))
            if not b:
                raise EOFError
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def kill(self) -> str:
        """Kill the worker and its whole process group; say how it had ended if it had."""
        if not self.alive:
            return ""
        self.alive = False
        status = None
        try:
            status = self.zygote.request({"op": "status", "pid": self.pid, "wait": 0.05})["status"]
            self.zygote.request({"op": "kill", "pid": self.pid})
            if status is None:
                status = self.zygote.request({"op": "status", "pid": self.pid,
                                              "wait": 1.0})["status"]
        except (OSError, RuntimeError):
            pass
        for fd in (self.req_w, self.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        return _describe_status(status)


def _describe_status(status) -> str:
    if status is None:
        return ""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        extra = {"SIGXCPU": " (the CPU-time limit)", "SIGKILL": " (killed: out of memory, or by "
                 "the code itself)", "SIGSEGV": " (a crash in native code)"}.get(name, "")
        return f"killed by {name}{extra}"
    if os.WIFEXITED(status):
        return f"exited with code {os.WEXITSTATUS(status)} (sys.exit or os._exit)"
    return ""


class Submission:
    """One student's code, behind its own worker process."""

    def __init__(self, path, zygote: Zygote, limits: Limits | None = None, threads: int = 1):
        self.source = Path(path)
        self.zygote = zygote
        self.limits = limits or Limits()
        self.threads = threads
        self.tmp = Path(tempfile.mkdtemp(prefix="grader-sub-"))
        self.workdir = self.tmp / "work"
        self.workdir.mkdir()
        self.modules = stage_submission(self.source, self.workdir)
        self.proc: _Process | None = None
        self.import_errors: dict[str, StudentError] = {}
        self.used = 0.0
        self.stdout_chars = 0
        self.stdout_sample = ""
        self.events: list[str] = []

    # -- life cycle
    def _spec(self):
        return {"workdir": str(self.workdir), "modules": self.modules,
                "env": worker_env(str(self.workdir), self.threads), "threads": self.threads,
                "limits": self.limits.rlimits, "hide_paths": [str(ROOT), os.getcwd()]}

    def _process(self) -> _Process:
        if self.proc is None or not self.proc.alive:
            self.proc = _Process(self.zygote, self._spec())
        return self.proc

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- calls
    def call(self, target: str, *args, grad: bool | None = None, timeout: float | None = None,
             **kwargs):
        """Run `exNN.func(*args, **kwargs)` in the worker; `grad=False` runs it with autograd
        off (torch.set_grad_enabled(False))."""
        ex, func = target.split(".", 1)
        return self._run({"op": "call", "module": module_of(ex), "func": func, "args": args,
                          "kwargs": kwargs, "grad": grad}, timeout)

    def probe(self, name: str, module: str, *args, timeout: float | None = None, **kwargs):
        """Run grader.probes.<name>(student_module, *args) in the worker."""
        return self._run({"op": "call", "module": module_of(module), "probe": name,
                          "args": args, "kwargs": kwargs, "grad": None}, timeout)

    def _run(self, request, timeout):
        from grader import protocol  # imported here so that starting a Zygote needs no torch
        module = request["module"]
        if module in self.import_errors:
            raise self.import_errors[module]
        if self.used > self.limits.submission_seconds:
            raise StudentError("budget", f"the submission used up its "
                                         f"{self.limits.submission_seconds:.0f} s of wall time; "
                                         f"remaining checks are not run")
        first_import = module not in getattr(self, "_imported", set())
        limit = timeout or self.limits.call_seconds
        if first_import:
            limit += self.limits.import_seconds
        started = time.monotonic()
        deadline = started + limit
        try:
            proc = self._process()
            frame = protocol.encode(request)
            proc.send(frame, deadline)
            header, payload = protocol.read_frame(lambda n: proc.read_exact(n, deadline),
                                                  max_payload=self.limits.result_bytes)
            reply = protocol.decode(header, payload)
            if not isinstance(reply, dict) or reply.get("status") not in ("ok", "error"):
                raise protocol.ProtocolError("the reply is not a result")
        except TimeoutError:
            self._restart()
            err = StudentError("timeout", f"timed out after {limit:.0f} s (an infinite loop, a "
                                          f"sleep, or far too much work?)")
            if first_import:
                err = StudentError("timeout", f"importing {module}.py did not finish within "
                                              f"{limit:.0f} s: is there a loop at the top level "
                                              f"of the file?")
                self.import_errors[module] = err
            raise err from None
        except EOFError:
            how = self._restart()
            err = StudentError("crashed", "the worker process running your code ended during "
                                          "the call" + (f": {how}" if how else ""))
            if first_import:
                err = StudentError("crashed", f"importing {module}.py ended the worker process"
                                              + (f": {how}" if how else "")
                                              + ". Is there a sys.exit(), os._exit() or a crash "
                                                "at the top level of the file?")
                self.import_errors[module] = err
            raise err from None
        except (protocol.ProtocolError, ValueError, KeyError, TypeError) as exc:
            self._restart()
            raise StudentError("protocol", f"the worker sent back something that is not a "
                                           f"result ({exc})") from None
        finally:
            self.used += time.monotonic() - started
        self._imported = getattr(self, "_imported", set()) | {module}
        chars = reply.get("stdout_chars", 0)
        if isinstance(chars, int) and chars:
            self.stdout_chars += chars
            if len(self.stdout_sample) < 2000:
                self.stdout_sample += str(reply.get("stdout", ""))[:2000]
        if reply["status"] == "ok":
            return reply.get("value")
        err = StudentError(str(reply.get("kind", "exception")), str(reply.get("message", "")),
                           str(reply.get("where", "")), str(reply.get("traceback", "")))
        if err.kind in ("import", "no_file"):
            self.import_errors[module] = err
        raise err

    def _restart(self) -> str:
        how = ""
        if self.proc is not None:
            how = self.proc.kill()
            self.proc = None
        return how


def stage_submission(source: Path, workdir: Path) -> dict[str, str]:
    """Copy the exercise files of a submission (exNN_*.py, or notebooks turned into .py) into
    workdir; return {module name: file name}."""
    from grader.notebooks import notebook_to_module
    found = {}
    if source.is_file():
        files = [source]
    else:
        files = sorted(source.iterdir()) if source.is_dir() else []
        # a single nested folder (a zip that unpacks into one directory) is looked into
        if not any(_exercise_of(f) for f in files):
            dirs = [f for f in files if f.is_dir() and not f.name.startswith((".", "__"))]
            if len(dirs) == 1:
                files = sorted(dirs[0].iterdir())
    for f in files:
        ex = _exercise_of(f)
        if ex is None or ex in found:
            continue
        name = module_of(ex)
        try:
            if f.suffix == ".py":
                text = f.read_bytes()
            else:
                text = notebook_to_module(f).encode()
        except (OSError, ValueError) as exc:
            text = f"raise ImportError({f'could not read {f.name}: {exc}'!r})\n".encode()
        (workdir / f"{name}.py").write_bytes(text)
        found[ex] = f"{name}.py"
    from grader.datasets import FILES, path
    for name in FILES:  # the data sets of ex08-ex10, next to the code that loads them
        if path(name).exists():
            shutil.copyfile(path(name), workdir / name)
    return {module_of(ex): file for ex, file in found.items()}


def _exercise_of(path: Path) -> str | None:
    name = path.name
    if not (path.is_file() and name[:2] == "ex" and name[2:4].isdigit()):
        return None
    if path.suffix not in (".py", ".ipynb"):
        return None
    ex = name[:4]
    return ex if ex in EXERCISES else None
