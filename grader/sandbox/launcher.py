"""The launcher, on the trusted side of the boundary: start the zygote, the process that has
imported torch and forks a worker per submission (grader.sandbox.submission), and keep it alive.

    zygote = Zygote()                     # one per grading process: imports torch once
    sub = Submission("alice/", zygote)    # a worker forked from it (grader.sandbox.submission)
    zygote.close()

Born clean: the zygote is exec'd, not forked from the grader, with an allow-listed environment
(zygote_env, from ENV_ALLOWED and GRADER_PASS_ENV) and nothing of the course on its command line;
its self-test's facts come back over its socket and measure every layer (grader.sandbox.layers).
"""
from __future__ import annotations

import json
import os
import random
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.sandbox.layers import Measured, Setting, measure, missing
from grader.sandbox.limits import DEFAULT_LIMITS, Limits
from grader.sandbox.memory import MemoryGroup
from grader.sandbox.view import (SecretReachable, bwrap_command, bwrap_problem,
                                 host_path_canaries, secret_modules, secret_samples)

ROOT = Path(__file__).resolve().parents[2]

# Workers get uids from this range (no /etc/passwd entry needed), one per submission.
UID_BASE, UID_SPAN = 2_100_000_000, 40_000_000
SANDBOX_MODES = ("auto", "strict", "bwrap", "unshare", "basic")


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
                 warm_optim: bool = True, require=(),
                 memory_bytes: int = DEFAULT_LIMITS["RLIMIT_AS"]):
        # require: layers without which it runs nothing, checked at every start (restarts
        # included): alternatives, as sandbox.layers.missing takes them; LayersMissing if not
        # warm_optim: create one torch.optim optimizer before forking (it imports torch._dynamo,
        # 1-3 s), so that no worker pays it; only worth it when the exercises train with optim.
        # memory_bytes: what a worker and everything it starts may hold together, beyond the
        # zygote's own memory (a memory cgroup, where this machine lets the grader make one).
        why = sandbox_missing()
        if why:   # never graded without it (a student's own `check` in the kit: sandbox.plain)
            raise SandboxUnavailable(f"{why}: nothing is graded on this machine (grade on Linux)")
        self.warm_optim = warm_optim
        self.memory_bytes = int(memory_bytes)
        self.memory: MemoryGroup | None = None
        self.require = tuple(tuple(names) for names in require)
        self.mode = sandbox or os.environ.get("GRADER_SANDBOX", "auto") or "auto"
        if self.mode not in SANDBOX_MODES:
            raise SandboxRefused(f"sandbox mode {self.mode!r} (GRADER_SANDBOX): use one of "
                                 f"{', '.join(SANDBOX_MODES)}")
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
                raise SandboxRefused(f"GRADER_SANDBOX=bwrap, but bubblewrap cannot start here: "
                                     f"{self.bwrap_problem}")
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
                "canaries": (host_path_canaries if self.bwrap else list)(
                    [str(ROOT), str(ROOT / "grader"), os.getcwd(), self.spool]),
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
        self.memory = MemoryGroup.make() if self.mode != "basic" else None
        memory_fd = self.memory.open_procs() if self.memory is not None else None
        if memory_fd is not None:
            fds.append(memory_fd)
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
            if memory_fd is not None:
                os.close(memory_fd)
        child.close()
        parent.sendall(json.dumps(dict(self._config(), memory_fd=memory_fd)).encode() + b"\n")
        self._buf = b""
        self._ready = False

    def _line(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise RuntimeError("the worker zygote did not answer")
            try:
                chunk = self.sock.recv(65536)
            except ConnectionError:       # it ended with our words unread: ended all the same
                chunk = b""
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
                self._limit_memory()
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
                    raise SandboxRefused("sandbox layers missing (GRADER_SANDBOX=strict):\n"
                                         + "\n".join(w for w in self.warnings()))
                lacking = missing(self.layers, self.require)
                if lacking:
                    self.close()
                    raise LayersMissing(lacking)

    def _limit_memory(self):
        """The zygote is in its memory group (or said why not): the group may hold the zygote's
        own memory and a worker's budget (facts "memory_group": the limit, or why none)."""
        if self.memory is None:
            self.facts["memory_group"] = "GRADER_SANDBOX=basic" if self.mode == "basic" else \
                MemoryGroup.why_not or "no memory cgroup"
            return
        if self.facts.get("memory_join_error"):
            self.facts["memory_group"] = f"the zygote could not join its memory cgroup " \
                                         f"({self.facts['memory_join_error']})"
            return
        try:
            self.memory.limit_beyond_usage(self.memory_bytes)
            self.facts["memory_group"] = self.memory_bytes
        except OSError as exc:
            self.facts["memory_group"] = f"its limit could not be set ({exc})"

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
        if self.memory is not None:
            self.memory.close()
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
            if self.memory is not None:
                self.memory.close()
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


class SandboxRefused(RuntimeError):
    """The sandbox the instructor asked for (GRADER_SANDBOX) cannot be had here: nothing runs.
    str() says why, for people; the command line prints it as one error and exits 2."""


class SandboxUnavailable(SandboxRefused):
    """This machine cannot run the sandbox at all (not Linux, no os.fork, no `resource`)."""


def sandbox_missing() -> str:
    """'' where the sandbox can run; else why not: "the sandbox needs Linux (this is darwin)".
    The zygote forks its workers and confines them with Linux's namespaces and rlimits."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (this is {sys.platform})"
    if not hasattr(os, "fork"):
        return "the sandbox needs os.fork, which this Python lacks"
    try:
        import resource  # noqa: F401
    except ImportError:
        return "the sandbox needs the module resource, which this Python lacks"
    if not hasattr(socket, "send_fds"):
        return "the sandbox needs socket.send_fds, which this Python lacks"
    return ""


class LayersMissing(SandboxRefused):
    """A zygote lacks a layer its owner requires (Zygote(require=...)): it runs nothing."""

    def __init__(self, lacking: list[str]):
        super().__init__("the sandbox lacks the layer " + ", ".join(lacking))
        self.lacking = lacking
