"""The launcher, on the trusted side of the boundary: start the zygote, fork a worker per
submission, send calls, read inert results, keep the time.

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
import random
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.exercises import module_of
from grader.sandbox.layers import Measured, Setting, measure, missing
from grader.sandbox.limits import Limits, effective_rlimits, pids_max
from grader.sandbox.staging import (Refused, read_file, read_head,  # how files enter
                                    stage_submission)
from grader.sandbox.view import SecretReachable, bwrap_command, bwrap_problem, secret_modules, \
    secret_samples

ROOT = Path(__file__).resolve().parents[2]

# Workers get uids from this range (no /etc/passwd entry needed), one per submission.
UID_BASE, UID_SPAN = 2_100_000_000, 40_000_000
SANDBOX_MODES = ("auto", "strict", "bwrap", "unshare", "basic")


class StudentError(Exception):
    """The student's code did not produce a value; `kind` says why, `str()` says it for people.

    kinds: not_started, missing, no_file, import, exception, layout (a model whose parameters
    are not laid out as a check's state asks), timeout, crashed, protocol, budget
    """

    def __init__(self, kind, message, where="", traceback="", stdout="", ancestry=(),
                 rebound=()):
        super().__init__(message)
        self.kind, self.where, self.traceback, self.stdout = kind, where, traceback, stdout
        self.ancestry = tuple(ancestry)   # the built-in exception classes it derives from
        # the local names the failed call rebound from a parameter (a leaf that requires
        # grad) to another tensor, seen by identity in the worker (worker._rebound_names)
        self.rebound = tuple(rebound)

    def again(self) -> "StudentError":
        """The same error met again by a later check (a module whose import failed): its
        describe() points to the first report instead of repeating it."""
        err = StudentError(self.kind, str(self), self.where, self.traceback, self.stdout,
                           self.ancestry, self.rebound)
        err.repeated = True
        return err

    repeated = False

    def derives_from(self, name: str) -> bool:
        """Whether the student's exception is a `name` ("ValueError"), by its class's bases."""
        return name in self.ancestry

    def describe(self, call: str = "") -> str:
        msg = str(self).replace("\n", "\n  | ")  # the student's lines, quoted: none of them
        if self.kind == "not_started":              # can pass for a line of the grader's
            return f"not started: {call or 'this function'} still raises NotImplementedError" \
                   + (f" ({msg.split(':', 1)[-1].strip()})" if ":" in msg else "")
        prefix = f"{call}: " if call else ""
        if self.repeated and self.kind in ("import", "timeout", "crashed"):
            what = str(self).split(":", 1)[0] if self.kind == "import" else ""
            what = what if what.isidentifier() else "failure"
            return (prefix + f"not run: the file does not import (see the {what} reported "
                    f"above" + (f", {self.where}" if self.where else "") + ")")
        text = prefix + msg
        if self.where:
            text += f"\n  at {self.where}"
        if self.traceback and self.kind in ("exception", "layout"):
            text += "\n" + "\n".join("  | " + line for line in self.traceback.rstrip().splitlines()[-6:])
        return text


def with_package_path(env=None) -> dict:
    """A copy of `env` (os.environ by default) whose PYTHONPATH starts with the package's root,
    so that a Python started with it imports this grader, whatever else is installed."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


# The only variables of the grader's environment that reach a process running student code
# (the zygote, its workers): what Python, torch and CUDA need to start, nothing an instructor
# or a cluster sets for itself (tokens, keys, paths to the course). Born clean: the zygote is
# exec'd with this environment, so no other variable is ever in its memory or /proc/self/environ.
ENV_ALLOWED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",
               "CUDA_DEVICE_ORDER", "CUDA_MODULE_LOADING", "NVIDIA_VISIBLE_DEVICES",
               "NVIDIA_DRIVER_CAPABILITIES", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


PASS_ENV = "GRADER_PASS_ENV"   # e.g. GRADER_PASS_ENV=NCCL_DEBUG,MY_SITE_SETTING


def allowed_names() -> tuple[str, ...]:
    """ENV_ALLOWED, and the names the instructor adds in GRADER_PASS_ENV (comma-separated: a
    setting of this site that torch or the GPU driver needs in the workers; never a secret)."""
    extra = [n.strip() for n in os.environ.get(PASS_ENV, "").split(",")]
    return ENV_ALLOWED + tuple(n for n in extra if n and n not in ENV_ALLOWED)


def allowed_env() -> dict:
    """The allow-listed part of this process's environment (allowed_names)."""
    return {k: os.environ[k] for k in allowed_names() if k in os.environ}


def zygote_env() -> dict:
    """The whole environment the zygote is exec'd with: the allowed variables, the package and
    the grader's own PYTHONPATH (where Python finds what it imports), and the settings every
    worker needs (CUDA never initialised before a fork)."""
    env = with_package_path(dict(allowed_env(), PYTHONPATH=os.environ.get("PYTHONPATH", "")))
    env.update(PYTORCH_NVML_BASED_CUDA_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def worker_env(workdir: str, threads: int = 1) -> dict:
    keep = allowed_env()
    keep.update(HOME=workdir, TMPDIR=workdir, OMP_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads), PYTHONDONTWRITEBYTECODE="1")
    return keep


def _gpu_devices() -> list[str]:
    """The GPU device files a worker must be able to open (the self-test tries)."""
    from grader.sandbox.device import gpu_device_nodes
    return [d for d in gpu_device_nodes() if not os.path.isdir(d)]


def _python_files() -> list[str]:
    """Files a worker must be able to read: the standard library, lazily imported modules."""
    import importlib.util
    files = [os.__file__, os.path.join(os.path.dirname(os.__file__), "json", "__init__.py")]
    for name in ("torch", "numpy"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            files.append(spec.origin)
    return files


class Zygote:
    """A process that has imported torch and forks workers on request.

    sandbox: "auto" (default; the environment variable GRADER_SANDBOX overrides it) uses every
    layer this machine offers and warns about the others; "strict" fails when any layer is
    missing; "bwrap" fails without bubblewrap; "unshare" uses every layer but bubblewrap (no
    read-only view); "basic" uses no namespaces, no bubblewrap, no separate uids and no cgroups
    (only the folder, environment, session, limits and timeouts)."""

    def __init__(self, wrapper: list[str] | None = None, sandbox: str | None = None,
                 warm_optim: bool = True, require=()):
        # require: layers without which it runs nothing, checked at every start (restarts
        # included): alternatives, as sandbox.layers.missing takes them; LayersMissing if not
        # warm_optim: create one torch.optim optimizer before forking (it imports torch._dynamo,
        # 1-3 s), so that no worker pays it; only worth it when the exercises train with optim.
        self.warm_optim = warm_optim
        self.require = tuple(tuple(names) for names in require)
        self.mode = sandbox or os.environ.get("GRADER_SANDBOX", "auto") or "auto"
        if self.mode not in SANDBOX_MODES:
            raise ValueError(f"sandbox mode {self.mode!r}: use one of {', '.join(SANDBOX_MODES)}")
        sweep_stale_temp("grader-spool-")
        self.spool = tempfile.mkdtemp(prefix=f"grader-spool-{os.getpid()}-")
        os.chmod(self.spool, 0o711)  # workers reach their own folder, cannot list the others
        self.as_root = os.geteuid() == 0
        self.wrapper = list(wrapper) if wrapper else None
        self.bwrap_problem = ""
        self.bwrap = False
        if self.wrapper is None and self.mode not in ("basic", "unshare"):
            self.bwrap_problem = bwrap_problem(self.spool, self.as_root)
            if self.bwrap_problem and self.mode == "bwrap":
                shutil.rmtree(self.spool, ignore_errors=True)
                raise RuntimeError(self.bwrap_problem)
            self.bwrap = not self.bwrap_problem
        self._lock = threading.RLock()
        self._uid_random = random.SystemRandom()
        self.separate_uids = False
        self.private_scratch = False
        self.restarts = 0
        self.facts: dict = {}
        self.layers: list[Measured] = []
        self._start()

    def _config(self) -> dict:
        basic = self.mode == "basic"
        self.probe_uid = None if basic or not self.as_root else self.new_uid(force=True)
        return {"bwrap": self.bwrap, "unshare_net": not basic and not self.bwrap,
                "pids_cgroup": self.as_root and not basic and not self.bwrap,
                "probe_uid": self.probe_uid, "secrets": secret_samples(),
                "secret_modules": secret_modules(),
                "warm_optim": self.warm_optim,
                "scratch_bytes": None if basic else Limits().scratch_bytes,
                "canaries": [str(ROOT), str(ROOT / "grader"), os.getcwd(), self.spool],
                "python_files": _python_files(), "gpu_devices": _gpu_devices(),
                "env_allowed": sorted(set(zygote_env()) | set(worker_env("")))}

    def _start(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = parent
        self.log = tempfile.TemporaryFile()
        wrapper = self.wrapper or (bwrap_command(self.spool, as_root=self.as_root)
                                   if self.bwrap else [])
        # Born clean: an allow-listed environment, nothing of the course on the command line
        # (/proc/self/cmdline), the self-test's configuration sent over the socket instead
        # (and bubblewrap's options, which name the course's folders, read from a file, not
        # from bubblewrap's command line, which is /proc/1/cmdline inside the sandbox)
        fds = [child.fileno()]
        options = None
        if wrapper and os.path.basename(wrapper[0]) == "bwrap":
            options = tempfile.TemporaryFile()
            options.write(b"".join(a.encode() + b"\0" for a in wrapper[1:]))
            options.seek(0)
            fds.append(options.fileno())
            wrapper = [wrapper[0], "--args", str(options.fileno())]
        cmd = wrapper + [sys.executable, "-m", "grader.sandbox.inside", str(child.fileno())]
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=fds, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=self.log, env=zygote_env(),
                                         cwd=str(ROOT))
        finally:
            if options is not None:
                options.close()
        child.close()
        parent.sendall(json.dumps(self._config()).encode() + b"\n")
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
                raise ZygoteDied("the worker zygote stopped: "
                                 + self.log.read()[-2000:].decode(errors="replace"))
            self._buf += chunk
            if len(self._buf) > MAX_ZYGOTE_LINE:  # its answers are a few hundred bytes
                raise ZygoteDied("the worker zygote sent an answer far too long")
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def wait_ready(self):
        with self._lock:
            if not self._ready:
                hello = self._line(timeout=120)
                self._ready = True
                self.facts = hello.get("facts", {})
                try:
                    self.layers = measure(Setting(
                        facts=self.facts, mode=self.mode, as_root=self.as_root, bwrap=self.bwrap,
                        bwrap_problem=self.bwrap_problem, probe_uid=self.probe_uid,
                        started_pid=self.proc.pid))
                except SecretReachable:  # a broken install: loudly, and nothing is graded
                    self.close()
                    raise
                on = {layer.name: layer.on for layer in self.layers}
                self.separate_uids = on["separate user"]
                self.private_scratch = on["private scratch"]
                if self.mode == "strict" and not all(layer.on for layer in self.layers):
                    self.close()
                    raise RuntimeError("sandbox layers missing (GRADER_SANDBOX=strict):\n"
                                       + "\n".join(w for w in self.warnings()))
                lacking = missing(self.layers, self.require)
                if lacking:
                    self.close()
                    raise LayersMissing(lacking)

    def request(self, message: dict, fds=()):
        with self._lock:
            for attempt in (0, 1):
                self.wait_ready()
                try:
                    socket.send_fds(self.sock, [json.dumps(message).encode()], list(fds))
                    return self._line()
                except (ZygoteDied, BrokenPipeError, ConnectionResetError):
                    if attempt:
                        raise
                    self._restart_zygote()
                    if message.get("op") != "spawn":  # its pids meant the old zygote's children
                        return {"ok": False, "status": None}

    def _restart_zygote(self):
        """The zygote died (student code cannot normally reach it, but be safe): start anew."""
        try:
            self.sock.close()
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.restarts += 1
        self._start()

    def new_uid(self, force=False) -> int | None:
        """A fresh uid for one submission's worker (None when workers share the grader's)."""
        if not (force or self.separate_uids):
            return None
        return UID_BASE + self._uid_random.randrange(UID_SPAN)

    def gpu_warnings(self) -> list[str]:
        """What would keep workers off this machine's GPU (docs/cuda.md); none without one."""
        self.wait_ready()
        out = []
        if self.facts.get("cuda_initialized"):
            out.append("the worker zygote initialised CUDA before forking: workers cannot use "
                       "the GPU")
        bad = self.facts.get("self_test", {}).get("gpu_unreachable") or []
        if bad:
            out.append(f"workers cannot open {', '.join(bad)}: checks on cuda will fail for "
                       f"every submission (is the device shown in the sandbox, mode 0666?)")
        return out

    def warnings(self) -> list[str]:
        self.wait_ready()
        return [f"sandbox layer missing: {layer.name}: {layer.detail}. {layer.missing}"
                for layer in self.layers if not layer.on]

    def summary(self) -> str:
        """One line: the layers in force (then `warnings()` for the missing ones)."""
        self.wait_ready()
        on = [layer.name for layer in self.layers if layer.on]
        off = [layer.name for layer in self.layers if not layer.on]
        return f"sandbox: {len(on)} of {len(self.layers)} layers: " + ", ".join(on) + \
            (f"; MISSING: {', '.join(off)}" if off else "")

    def describe(self) -> str:
        """One line per layer."""
        self.wait_ready()
        return "\n".join(layer.line() for layer in self.layers)

    def close(self):
        try:
            self.sock.close()
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.spool, ignore_errors=True)


def sweep_stale_temp(prefix: str) -> None:
    """Remove temporary folders named `{prefix}{pid}-...` whose process is gone (a grader killed
    with SIGKILL cannot clean up after itself; the next one does)."""
    for d in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
        pid = d.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass                      # alive, another user's


MAX_ZYGOTE_LINE = 1 << 22   # bytes: the self-test's facts are the longest answer (a few KB)


class ZygoteDied(RuntimeError):
    pass


class LayersMissing(RuntimeError):
    """A zygote lacks a layer its owner requires (Zygote(require=...)): it runs nothing."""

    def __init__(self, lacking: list[str]):
        super().__init__("the sandbox lacks the layer " + ", ".join(lacking))
        self.lacking = lacking


class _Process:
    """One forked worker and the two pipes to it."""

    def __init__(self, zygote: Zygote, spec: dict):
        self.uid = spec.get("uid")
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        try:
            self.pid = zygote.request(dict(spec, op="spawn"), fds=[req_r, res_w])["pid"]
        finally:
            os.close(req_r)
            os.close(res_w)
        self.zygote = zygote
        self.generation = getattr(zygote, "restarts", 0)  # pids are only valid in this zygote
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

    def kill(self, settle: float = 0.05) -> str:
        """Kill the worker and its whole process group; say how it had ended if it had."""
        if not self.alive:
            return ""
        self.alive = False
        status = None
        try:
            if getattr(self.zygote, "restarts", 0) != self.generation:  # died with its zygote
                if self.uid is not None:
                    self.zygote.request({"op": "kill", "pid": None, "uid": self.uid})
                raise RuntimeError("the zygote was replaced")
            status = self.zygote.request({"op": "status", "pid": self.pid,
                                          "wait": settle})["status"]
            self.zygote.request({"op": "kill", "pid": self.pid, "uid": self.uid})
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
        zygote.wait_ready()
        spool = getattr(zygote, "spool", None)
        self.tmp = Path(tempfile.mkdtemp(prefix="sub-", dir=spool))
        os.chmod(self.tmp, 0o711)
        self.workdir = self.tmp / "work"
        self.workdir.mkdir()
        # what staging left out (a link, a FIFO, a malformed notebook), then e.g. the notebook
        # cells that raised and were skipped
        self.notes: list[str] = []
        self.tampering: list[str] = []   # what its source does to what measures it
        self.modules = stage_submission(self.source, self.workdir, self.notes, self.tampering)
        # which modules the notebook loader wrote, known before any student code runs: the
        # worker may rewrite its folder (without the private scratch layer), so its files are
        # never read again to decide whether a note is the loader's
        self.notebooks = notebook_modules(self.workdir, self.modules)
        # the folder as staged, before any student code runs: every new worker of this
        # submission (the hidden checks' own, one after a crash) starts from it again
        self.staged = _snapshot(self.workdir)
        self.spawned = 0
        self.uid = zygote.new_uid() if hasattr(zygote, "new_uid") else None
        if self.uid is not None:  # its own folder: only its uid (and the grader) may enter
            os.chown(self.workdir, self.uid, self.uid)
            os.chmod(self.workdir, 0o700)
        self.proc: _Process | None = None
        self.import_errors: dict[str, StudentError] = {}
        self.used = 0.0
        self.stdout_chars = 0      # what the visible checks' calls printed: hidden ones' never
        self.stdout_sample = ""    # counts (it could carry their inputs)
        self.events: list[str] = []
        self.phase = "visible"

    def enter(self, phase: str) -> None:
        """Switch between the visible checks' calls and the hidden checks'. A worker that
        served a hidden check never serves a visible one: going back to the visible checks,
        it is replaced, and its imports are made again (from the staged files), so that
        nothing a hidden check's inputs produced (a value kept in the module, a file in its
        scratch space) is there when a visible check runs. (The runner puts every visible
        check first, so this happens only when checks are run in another order.) What the
        hidden phase prints or notes is not kept."""
        if phase not in ("visible", "hidden"):
            raise ValueError(f"phase {phase!r}: visible or hidden")
        if phase == "visible" and self.phase == "hidden":
            self._restart(settle=0)
            self.import_errors, self._imported = {}, set()
        self.phase = phase

    # -- life cycle
    def _spec(self):
        return {"workdir": str(self.workdir), "modules": self.modules,
                "env": worker_env(str(self.workdir), self.threads), "threads": self.threads,
                "limits": effective_rlimits(self.limits.rlimits, cuda=_cuda(),
                                            separate_uid=self.uid is not None),
                "uid": self.uid,
                "pids_max": pids_max(self.limits.rlimits, _cuda()),
                "scratch_bytes": self.limits.scratch_bytes
                if getattr(self.zygote, "private_scratch", False) else None}

    def _process(self) -> _Process:
        if self.proc is None or not self.proc.alive:
            if self.spawned:   # an earlier worker may have changed the folder (no private
                _restore(self.workdir, self.staged, self.uid)   # scratch): put it back
            self.proc = _Process(self.zygote, self._spec())
            self.spawned += 1
            self._imported = set()   # a new worker imports each module again, timed apart
        return self.proc

    def close(self):
        if self.proc is not None:
            self.proc.kill(settle=0)
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

    def put_file(self, name: str, text: str) -> None:
        """Write a data file (e.g. a CSV a check asks the student's code to load) into the
        worker's own folder, where the student's code runs."""
        self._run({"op": "put", "module": "", "name": name, "text": text}, None)

    def probe(self, name: str, module: str, *args, timeout: float | None = None, **kwargs):
        """Run grader.sandbox.inside.probes.<name>(student_module, *args) in the worker. Its answer is a dict
        whose facts (FACT_KEYS: measured inside the worker, not values the student's code
        returned) are counted when a check reads them (protocol.read_fact)."""
        value = self._run({"op": "call", "module": module_of(module), "probe": name,
                           "args": args, "kwargs": kwargs, "grad": None}, timeout)
        return Facts(value) if type(value) is dict else value

    def _run(self, request, timeout):
        """One request to the worker: its value, or the StudentError saying why there is none.
        A module not yet imported in this worker is imported first, by a request of its own,
        under the import's own time limit: a loop at the top level of the file is an import
        error (and stays one), a loop inside a function costs only the calls of that function."""
        module = request["module"]
        if module in self.import_errors:   # told in full once, by the first check that met it
            raise self.import_errors[module].again()
        if module and (self.proc is None or not self.proc.alive
                       or module not in getattr(self, "_imported", set())):
            self._exchange_checked({"op": "import", "module": module},
                                   self.limits.import_seconds, module, importing=True)
        return self._exchange_checked(request, timeout or self.limits.call_seconds, module)

    def _exchange_checked(self, request, seconds: float, module: str, importing=False):
        from grader.sandbox import safetext
        from grader.sandbox import protocol  # here: starting a Zygote needs no torch
        now = time.monotonic()  # the budget counts the grader's own time on it too
        self.began = getattr(self, "began", None) or now
        self.used = max(self.used, now - self.began)
        if self.used > self.limits.submission_seconds:
            raise StudentError("budget", f"the submission used up its "
                                         f"{self.limits.submission_seconds:.0f} s of wall time; "
                                         f"remaining checks are not run")
        budget = protocol.reply_budget(request.get("args", ()), request.get("kwargs"))
        limit = seconds
        first_cuda = _first_cuda_call(self.proc, request)
        if first_cuda:  # a fresh worker creates its CUDA context (seconds) in this call
            limit += getattr(self.limits, "cuda_init_seconds", 0.0)
        started = time.monotonic()
        failure = None
        try:
            reply = self._exchange(request, started + limit, budget)
        except TimeoutError:
            failure = "timeout"
        except EOFError:
            failure = "crashed"
        except (protocol.ProtocolError, ValueError, KeyError, TypeError) as exc:
            failure = f"the worker sent back something that is not a result ({exc})"
        finally:
            self.used += time.monotonic() - started
        if failure is not None:  # raised outside the handlers: no exception chain keeps the
            raise self._failed(failure, module, limit, importing,   # refused reply alive
                               request.get("func") or request.get("probe") or "")
        reply = safetext.clean_reply(reply)  # all of its text is the student's: made safe here
        if module:
            self._imported = getattr(self, "_imported", set()) | {module}
        if first_cuda and self.proc is not None:
            self.proc.cuda_ready = True
        if reply.get("restart") is True:  # e.g. a CUDA error: the next call gets a new worker
            self._restart(settle=0)
        for note in reply["notes"] if self.phase == "visible" and module in self.notebooks \
                else ():   # a note about a skipped cell comes from a notebook's loader only
            if _is_cell_note(note, self.notebooks) and note not in self.notes \
                    and len(self.notes) < 20:
                self.notes.append(note)
        if reply["stdout_chars"] and self.phase == "visible":
            self.stdout_chars = min(self.stdout_chars + reply["stdout_chars"], 2**53)
            if len(self.stdout_sample) < 2000:
                self.stdout_sample += reply["stdout"][:2000]
        if reply["status"] == "ok":
            return reply["value"]
        err = StudentError(reply["kind"], reply["message"], reply["where"], reply["traceback"],
                           ancestry=reply["ancestry"], rebound=reply.get("rebound", ()))
        if err.kind in ("import", "no_file"):
            self.import_errors[module] = err
        raise err

    def _exchange(self, request, deadline, budget) -> dict:
        """Send one request to the worker and read its reply, checked against the reply schema
        (protocol.decode_reply); replies to earlier requests (from forks of the worker that
        student code made) are skipped."""
        from grader.sandbox import protocol
        proc = self._process()
        self._sent = getattr(self, "_sent", 0) + 1
        # a random mark per request: the worker's own reply carries it; a frame that student
        # code writes into the result pipe (it can find the descriptor) cannot know it
        nonce = secrets.token_hex(16)
        proc.send(protocol.encode(dict(request, id=self._sent, nonce=nonce)), deadline)
        for _stale in range(64):
            header, payload = protocol.read_frame(
                lambda n: proc.read_exact(n, deadline), max_payload=self.limits.result_bytes,
                max_items=budget)
            reply = protocol.decode_reply(header, payload, max_items=budget)
            del header, payload
            if reply["id"] == self._sent:
                if not secrets.compare_digest(reply["nonce"], nonce):
                    raise protocol.ProtocolError("a reply the worker did not write")
                return reply
            if reply["id"] > self._sent:
                raise protocol.ProtocolError("a reply to no request")
        raise protocol.ProtocolError("too many replies to earlier calls")

    def _failed(self, failure: str, module: str, limit: float, importing: bool, func: str = ""):
        """The StudentError for a request that gave no reply; the worker is replaced. Only a
        failure of the import itself is kept as the module's import error."""
        what = f"{func}()" if func and "." not in func else "the call"
        if failure == "timeout":
            self._restart(settle=0)
            if not importing:
                return StudentError("timeout", f"{what} did not finish: timed out after "
                                               f"{limit:.0f} s (an infinite loop, a sleep, or "
                                               f"far too much work?)")
            err = StudentError("timeout", f"importing {module}.py did not finish within "
                                          f"{limit:.0f} s: is there a loop at the top level "
                                          f"of the file?")
        elif failure == "crashed":
            how = self._restart()
            if not importing:
                return StudentError("crashed", f"the worker process running your code ended "
                                               f"during {what}" + (f": {how}" if how else ""))
            err = StudentError("crashed", f"importing {module}.py ended the worker process"
                                          + (f": {how}" if how else "")
                                          + ". Is there a sys.exit(), os._exit() or a crash "
                                            "at the top level of the file?")
        else:
            self._restart(settle=0)
            return StudentError("protocol", failure)
        self.import_errors[module] = err
        return err

    def _restart(self, settle: float = 0.05) -> str:
        how = ""
        if self.proc is not None:
            how = self.proc.kill(settle)
            self.proc = None
        return how


# what the probes (grader.sandbox.inside.probes) measure inside the worker, as opposed to what the student's
# code returned or computed (results, states, losses, gradients: values, compared here)
FACT_KEYS = frozenset({
    "training", "training_before", "calls", "same_tensor", "is_ndarray", "tensor_changed",
    "writeable", "is_dataset", "is_loader", "type", "info", "drop_last", "grad_modes",
    "grad_enabled_inside", "grad_enabled_after", "structure", "modules", "parameters",
    "backward_error"})


class Facts(dict):
    """A probe's answer: reading one of its facts (FACT_KEYS) counts as resting on a fact
    measured inside the worker (grader.engine.result.withhold_facts); reading its values does not."""

    def __getitem__(self, key):
        if key in FACT_KEYS:
            from grader.sandbox.protocol import read_fact
            read_fact()
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key] if key in self else default


def _snapshot(workdir) -> dict[str, bytes]:
    """The regular files of a freshly staged folder, read through staging's safe reader."""
    out = {}
    for name in sorted(os.listdir(workdir)):
        try:
            out[name] = read_file(os.path.join(workdir, name))
        except (Refused, OSError):
            continue
    return out


def _restore(workdir, files: dict[str, bytes], uid=None) -> None:
    """Put a submission's folder back as it was staged: each file removed, whatever stands at
    its name (a file, a link, a FIFO, a folder), and written anew, through a descriptor of the
    folder and without following links; what else a worker left there stays. A worker's own
    folder, made by the grader: nothing here reaches outside it."""
    folder = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for name, data in files.items():
            try:
                os.unlink(name, dir_fd=folder)
            except IsADirectoryError:
                shutil.rmtree(name, dir_fd=folder, ignore_errors=True)
            except FileNotFoundError:
                pass
            except PermissionError:   # a folder on Linux's unlink
                shutil.rmtree(name, dir_fd=folder, ignore_errors=True)
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                         dir_fd=folder)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if uid is not None:
                    os.fchown(fd, uid, uid)
            finally:
                os.close(fd)
    finally:
        os.close(folder)


# exactly what the notebook loader (grader.sandbox.notebooks) writes about a cell it skipped
_CELL_NOTE = re.compile(r"(?:(ex\d\d_[a-z0-9_]+)\.ipynb: )?(?:code )?cell \d{1,5} was skipped, "
                        r"(?:line \d{1,6} |it )(?:called sys\.exit\(\)|raised [A-Za-z_][\w.]{0,80}"
                        r"(?:: [^\n]{0,200})?)\. The cell starts: [^\n]{0,60}")
NOTEBOOK_LOADER = b"# The code cells of a notebook"


def notebook_modules(workdir, modules) -> frozenset:
    """The staged modules that the notebook loader wrote (they begin with NOTEBOOK_LOADER), read
    through staging's safe reader (no link followed, no FIFO waited on, a few bytes only)."""
    found = set()
    for name in modules:
        try:
            if read_head(os.path.join(workdir, f"{name}.py"), len(NOTEBOOK_LOADER)) \
                    == NOTEBOOK_LOADER:
                found.add(name)
        except (Refused, OSError):
            continue
    return frozenset(found)


def _is_cell_note(note, notebooks) -> bool:
    """Whether a note the worker sent is what the notebook loader writes about a skipped cell
    of one of this submission's notebooks: in the loader's exact words, about a module that
    was staged from a notebook (`notebooks`, decided at staging, before any student code ran).
    The worker runs student code, so anything else (e.g. "all checks passed" set by the
    student's own module) is dropped; no file of the worker's folder is read for it."""
    m = _CELL_NOTE.fullmatch(note) if isinstance(note, str) else None
    if m is None:
        return False
    return bool(notebooks) and (m.group(1) in notebooks if m.group(1) else True)


def _first_cuda_call(proc, request) -> bool:
    """Whether this call is the first of its worker process to use the GPU."""
    if proc is not None and proc.alive and getattr(proc, "cuda_ready", False) or not _cuda():
        return False
    from grader.sandbox.device import mentions_cuda
    return mentions_cuda((request.get("args"), request.get("kwargs")))


def _cuda() -> bool:
    """Whether workers may load CUDA: torch is a CUDA (or ROCm) build. Decided from the build,
    not by asking the driver (which would initialise CUDA in a process that may fork), and
    also without a GPU: a CUDA build maps gigabytes of libraries, too close to RLIMIT_AS."""
    from grader.sandbox.device import cuda_build
    return cuda_build()
