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
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.exercises import EXERCISES, module_of
from grader.sandbox.staging import stage_submission  # noqa: F401 - the one way files enter

ROOT = Path(__file__).resolve().parents[2]

DEFAULT_LIMITS = {
    "RLIMIT_CPU": 120,                    # CPU seconds for the whole submission
    "RLIMIT_AS": 6 * 1024**3,             # address space on CPU-only runs; with CUDA the same
                                          # number becomes RLIMIT_DATA (see docs/security.md)
    "RLIMIT_FSIZE": 64 * 1024**2,         # largest file it may write (its prints included)
    "RLIMIT_NOFILE": 256,
    "RLIMIT_NPROC": 32,                   # processes + threads of the worker's own uid
    "RLIMIT_CORE": 0,
}
# Without a uid of its own, RLIMIT_NPROC counts every process of the grader's user: raise it.
SHARED_UID_NPROC = 512
# With CUDA, a worker runs more threads (the driver's, one autograd thread per GPU): at least.
CUDA_NPROC = 64

# What student code must never see: the references, the checks (hidden ones, recorded values,
# trusted helpers), the notebooks that hold the solutions, the history. Hidden wherever they lie
# next to the package or can be imported from (see secret_locations).
SECRETS = ("solutions", "grader/checks", "source_notebooks", ".git")
SECRET_PACKAGES = ("solutions", "grader.checks")
# Workers get uids from this range (no /etc/passwd entry needed), one per submission.
UID_BASE, UID_SPAN = 2_100_000_000, 40_000_000
SANDBOX_MODES = ("auto", "strict", "bwrap", "unshare", "basic")


@dataclass
class Limits:
    call_seconds: float = 10.0        # wall-clock per call
    import_seconds: float = 20.0      # wall-clock for importing one module
    submission_seconds: float = 300.0  # wall-clock for everything of one submission
    result_bytes: int = 256 * 1024**2
    rlimits: dict = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    cuda_init_seconds: float = 30.0   # added to a worker's first call that uses the GPU
    scratch_bytes: int = 128 * 1024**2  # a worker's own /tmp, /dev/shm and folder, together


class StudentError(Exception):
    """The student's code did not produce a value; `kind` says why, `str()` says it for people.

    kinds: not_started, missing, no_file, import, exception, timeout, crashed, protocol, budget
    """

    def __init__(self, kind, message, where="", traceback="", stdout=""):
        super().__init__(message)
        self.kind, self.where, self.traceback, self.stdout = kind, where, traceback, stdout

    def describe(self, call: str = "") -> str:
        msg = str(self).replace("\n", "\n  | ")  # the student's lines, quoted: none of them
        if self.kind == "not_started":              # can pass for a line of the grader's
            return f"not started: {call or 'this function'} still raises NotImplementedError" \
                   + (f" ({msg.split(':', 1)[-1].strip()})" if ":" in msg else "")
        prefix = f"{call}: " if call else ""
        text = prefix + msg
        if self.where:
            text += f"\n  at {self.where}"
        if self.traceback and self.kind == "exception":
            text += "\n" + "\n".join("  | " + line for line in self.traceback.rstrip().splitlines()[-6:])
        return text


def worker_env(workdir: str, threads: int = 1) -> dict:
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES",
                                       "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    keep.update(HOME=workdir, TMPDIR=workdir, OMP_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads), PYTHONDONTWRITEBYTECODE="1")
    return keep


@dataclass
class Layer:
    """One layer of the sandbox, as measured when the zygote started."""

    name: str
    on: bool
    detail: str
    missing: str = ""  # what an absent layer lets student code do

    def line(self) -> str:
        return f"  {'on ' if self.on else 'OFF'}  {self.name:<20} " + \
            (self.detail if self.on else f"{self.detail}: {self.missing}")


def secret_locations() -> list[str]:
    """Every folder of this machine that holds a secret of the package, wherever the package is
    installed: beside the package's own root, in every folder on sys.path (site-packages, a
    `pip install --target` folder, PYTHONPATH), and wherever the import system would find the
    secret packages (an editable install's finder). A second, forgotten copy of the package in
    site-packages is found as well as the one in use."""
    import importlib.util
    bases = [str(ROOT)] + [p for p in sys.path if p]
    found: dict[str, None] = {}
    for base in bases:
        for secret in SECRETS:
            path = os.path.join(base, secret)
            if os.path.isdir(path):
                found[os.path.realpath(path)] = None
    for name in ("solutions", "grader"):  # every finder, not only the first that answers
        for finder in sys.meta_path:
            try:
                spec = finder.find_spec(name, None)
            except Exception:  # noqa: BLE001 - a finder that cannot answer finds nothing
                continue
            for folder in (spec.submodule_search_locations or []) if spec else []:
                folder = os.path.join(folder, "checks") if name == "grader" else folder
                if os.path.isdir(folder):
                    found[os.path.realpath(folder)] = None
    for name in SECRET_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for folder in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isdir(folder):
                found[os.path.realpath(folder)] = None
    return list(found)


def _secret_paths() -> list[str]:
    return secret_locations()


def _masked_paths() -> list[str]:
    """What the read-only view covers with an empty folder (the self-test checks the result
    against every secret location)."""
    return secret_locations()


def secret_modules() -> list[str]:
    """Modules a worker must not be able to import: the references and the checks."""
    names = [f"solutions.{module}" for module in EXERCISES.values()]
    from grader.exercises import check_modules
    return names + check_modules()


def _secret_samples() -> list[str]:
    """A few files under each secret folder: the self-test tries to read them as a worker."""
    out = []
    for folder in _secret_paths():
        found = 0
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames)[:2]:
                out.append(os.path.join(dirpath, name))
                found += 1
            if found >= 2:
                break
    return out


def bwrap_command(spool: str, *, as_root: bool,
                  gpu_devices: list[str] | None = None) -> list[str]:
    """The bubblewrap command line the zygote runs under: a read-only view of the system, of
    Python and of grader/ (its checks/ masked), the spool of submission folders writable,
    nothing else of the disk; new pid, network, ipc and uts namespaces. `gpu_devices` (default:
    the machine's /dev/nvidia*) are bound into the sandbox's /dev, with /sys, for CUDA."""
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
           "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
           "--perms", "1777", "--tmpfs", "/dev/shm"]
    bound: list[str] = []
    made: set[str] = {"/"}

    def parents(dest: str):  # bwrap would make missing parents 0700: unreachable for workers
        chain = []
        d = os.path.dirname(dest)
        while d not in made and not any(d == b or d.startswith(b + os.sep) for b in bound):
            chain.append(d)
            d = os.path.dirname(d)
        for d in reversed(chain):
            made.add(d)
            cmd.extend(["--perms", "0755", "--dir", d])

    def bind(path: str, how="--ro-bind"):
        real = os.path.realpath(path)
        if not os.path.isdir(real) or any(real == b or real.startswith(b + os.sep)
                                          for b in bound):
            return
        parents(real)
        bound.append(real)
        cmd.extend([how, real, real])

    for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.islink(d):
            cmd.extend(["--symlink", os.readlink(d), d])
        elif os.path.isdir(d):
            bind(d)
    for d in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        bind(d)
    root, cwd = str(ROOT), os.path.realpath(os.getcwd())
    for entry in sys.path:  # site-packages and the like; never ROOT, above it, or the cwd
        if not entry:
            continue
        real = os.path.realpath(entry)
        spool_real = os.path.realpath(spool)
        if real == cwd or real == root or (root + os.sep).startswith(real + os.sep) \
                or (spool_real + os.sep).startswith(real + os.sep):
            continue  # (a script run from /tmp puts /tmp on sys.path: never over the spool)
        bind(real)
    bind(str(ROOT / "grader"))
    for secret in _masked_paths():
        cmd.extend(["--tmpfs", secret])  # mask every copy, also where a parent is bound
    from grader.device import gpu_device_nodes
    devs = gpu_device_nodes() if gpu_devices is None else list(gpu_devices)
    for dev in devs:  # CUDA: the driver's devices (--dev /dev above shows none of them)
        cmd.extend(["--dev-bind-try", dev, dev])
    if devs:          # and what the driver reads besides (/proc/driver/nvidia is in --proc)
        cmd.extend(["--ro-bind-try", "/sys", "/sys", "--ro-bind-try",
                    "/run/nvidia-persistenced", "/run/nvidia-persistenced"])
    bind(spool, "--bind")
    cmd.extend(["--chdir", root, "--remount-ro", "/"])
    if as_root:  # the zygote switches workers to their own uids and kills them by uid
        cmd.extend(["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                    "--cap-add", "CAP_KILL", "--cap-add", "CAP_SYS_ADMIN"])  # (private scratch)
    return cmd


def _bwrap_problem(spool: str, as_root: bool) -> str:
    """'' when bubblewrap can start a sandbox here, else why not."""
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed; on Debian/Ubuntu: apt-get install bubblewrap"
    try:
        done = subprocess.run(bwrap_command(spool, as_root=as_root) + ["true"],
                              capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not start: {exc}"
    if done.returncode != 0:
        return "bubblewrap cannot create a sandbox here: " + \
            done.stderr.decode(errors="replace").strip()[-300:]
    return ""


def _hide_paths() -> list[str]:
    """sys.path entries a worker drops: the package's root (solutions/ is there in a checkout)
    and the grader's current folder."""
    out = [str(ROOT)]
    try:
        out.append(os.getcwd())
    except OSError:
        pass
    return out


def _gpu_devices() -> list[str]:
    """The GPU device files a worker must be able to open (the self-test tries)."""
    from grader.device import gpu_device_nodes
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
                 warm_optim: bool = True):
        # warm_optim: create one torch.optim optimizer before forking (it imports torch._dynamo,
        # 1-3 s), so that no worker pays it; only worth it when the exercises train with optim.
        self.warm_optim = warm_optim
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
            self.bwrap_problem = _bwrap_problem(self.spool, self.as_root)
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
        self.layers: list[Layer] = []
        self._start()

    def _config(self) -> dict:
        basic = self.mode == "basic"
        self.probe_uid = None if basic or not self.as_root else self.new_uid(force=True)
        return {"bwrap": self.bwrap, "unshare_net": not basic and not self.bwrap,
                "pids_cgroup": self.as_root and not basic and not self.bwrap,
                "probe_uid": self.probe_uid, "secrets": _secret_samples(),
                "secret_modules": secret_modules(), "hide_paths": _hide_paths(),
                "warm_optim": self.warm_optim,
                "scratch_bytes": None if basic else Limits().scratch_bytes,
                "canaries": [str(ROOT), str(ROOT / "grader"), os.getcwd(), self.spool],
                "python_files": _python_files(), "gpu_devices": _gpu_devices()}

    def _start(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = parent
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ)
        env.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # never init CUDA before a fork
        env.pop("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", None)     # workers compute float32 exactly
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in
                                                           env.get("PYTHONPATH", "").split(
                                                               os.pathsep) if p])
        wrapper = self.wrapper or (bwrap_command(self.spool, as_root=self.as_root)
                                   if self.bwrap else [])
        cmd = wrapper + [sys.executable, "-m", "grader.sandbox.inside", str(child.fileno()),
                         json.dumps(self._config())]
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
                raise ZygoteDied("the worker zygote stopped: "
                                 + self.log.read()[-2000:].decode(errors="replace"))
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def wait_ready(self):
        with self._lock:
            if not self._ready:
                hello = self._line(timeout=120)
                self._ready = True
                self.facts = hello.get("facts", {})
                self.layers = self._measure_layers()
                if self.mode == "strict" and not all(layer.on for layer in self.layers):
                    self.close()
                    raise RuntimeError("sandbox layers missing (GRADER_SANDBOX=strict):\n"
                                       + "\n".join(w for w in self.warnings()))

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

    # -- the layers, as measured by the zygote's self-test
    def _measure_layers(self) -> list[Layer]:
        t = self.facts.get("self_test", {})
        layers = [
            Layer("private folder", True, "a fresh temporary folder per submission holding "
                  "only its files; HOME and TMPDIR point there"),
            Layer("clean environment", True, "only PATH, LANG and thread settings are passed on"),
            Layer("own session", True, "setsid: the worker and what it starts are killed "
                  "together" + (", in a pid namespace of their own"
                                if self.facts.get("pid") != self.proc.pid else "")),
            Layer("resource limits", True, _limits_text(DEFAULT_LIMITS)),
            Layer("timeouts", True, "wall clock per call and per submission (Limits)"),
        ]
        tu = self.facts.get("self_test_uid") or t  # the test as a uid of its own
        uid_ok = self.probe_uid is not None and tu.get("uid") == self.probe_uid \
            and tu.get("python_readable", False)
        self.separate_uids = uid_ok
        nproc = DEFAULT_LIMITS["RLIMIT_NPROC"]
        if uid_ok:
            layers.append(Layer("separate user", True, "each worker runs as its own "
                                "unprivileged uid, without capabilities: it cannot signal other "
                                "workers or the grader, nor write their files"))
            layers.append(Layer("process limit", True, f"RLIMIT_NPROC {nproc} on the worker's "
                                "own uid; whatever it started is killed by uid after each call"))
        else:
            if self.as_root:
                why = tu.get("uid_error") or ("Python is installed where other users cannot "
                                              "read it" if not tu.get("python_readable", True)
                                              else "")
                why = why or ("GRADER_SANDBOX=basic" if self.mode == "basic" else "unknown")
                layers.append(Layer("separate user", False, f"workers run as root without "
                                    f"capabilities ({why})", "student code can signal the "
                                    "grader and write every root-owned file in its view"))
            else:
                layers.append(Layer("separate user", False, "workers run as you (the grader is "
                                    "not root)", "student code can signal your processes"
                                    + ("" if self.bwrap else " and read and write your files")))
            if self.facts.get("pids_cgroup"):
                layers.append(Layer("process limit", True, f"a pids cgroup per worker "
                                    f"(pids.max {nproc})"))
            elif not self.as_root:
                layers.append(Layer("process limit", True, f"RLIMIT_NPROC "
                                    f"{max(nproc, SHARED_UID_NPROC)} on your user (shared with "
                                    f"your own processes)"))
            else:
                why = self.facts.get("pids_cgroup_error") or \
                    ("GRADER_SANDBOX=basic" if self.mode == "basic" else "no pids cgroup")
                layers.append(Layer("process limit", False, f"none ({why})", "root ignores "
                                    "RLIMIT_NPROC: a fork bomb is not contained"))
        scratch_error = t.get("scratch", "not tried")
        self.private_scratch = not scratch_error
        if self.private_scratch:
            layers.append(Layer("private scratch", True, f"a fresh tmpfs of "
                                f"{Limits().scratch_bytes // 1024**2} MiB per worker at /tmp, "
                                f"/dev/shm and its folder; gone when the worker ends"))
        else:
            why = "GRADER_SANDBOX=basic" if self.mode == "basic" else scratch_error
            shared = "this grading process's" if self.bwrap else "the machine's"
            layers.append(Layer("private scratch", False, f"{shared} /tmp and /dev/shm ({why})",
                                "a submission can leave files there for the next one, and "
                                "fill them beyond its limits"))
        net_error = self.facts.get("unshare_net_error", "")
        ifaces = [i for i in t.get("interfaces", ["?"]) if i != "lo"]
        if not ifaces:
            how = "a network namespace of its own (bubblewrap)" if self.bwrap else \
                "a network namespace of its own (unshare)"
            layers.append(Layer("no network", True, how + ": no interface but loopback"))
        else:
            why = "GRADER_SANDBOX=basic" if self.mode == "basic" else \
                (f"unshare failed: {net_error}" if net_error else "no namespace")
            layers.append(Layer("no network", False, f"network reachable ({why})",
                                "student code can open connections, e.g. send the inputs of "
                                "the hidden checks out"))
        secrets, writable = t.get("readable_secrets", ["?"]), t.get("writable", ["?"])
        secrets = list(secrets) + list(t.get("importable_secrets", ["?"]))
        if self.bwrap and secrets:  # the view was built to hide them: a broken install, loudly
            self.close()
            raise SecretReachable(
                "refusing to grade: student code could read the answers here, although the "
                "sandbox hides every copy it knows of: " + ", ".join(secrets[:5])
                + ". Remove stray copies of the package (pip uninstall torchdrills; "
                "pip install it once), then try again.")
        if self.bwrap and not secrets and not writable:
            layers.append(Layer("read-only view", True, "bubblewrap: the system, Python and "
                                "grader/ read-only; no solutions/, hidden checks, .git, home "
                                "folders, other submissions, gradebook or results"))
        else:
            what = []
            if secrets:
                what.append("student code can read " + ", ".join(_secret_tops(secrets)))
            if writable:
                what.append("it can write in " + ", ".join(dict.fromkeys(writable)))
            why = self.bwrap_problem or (f"GRADER_SANDBOX={self.mode}"
                                         if self.mode in ("basic", "unshare") else "no bubblewrap")
            layers.append(Layer("read-only view", False, f"the whole disk is visible ({why})",
                                "; ".join(what) or "every file the worker's user may read is "
                                "readable by absolute path"))
        return layers

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


class ZygoteDied(RuntimeError):
    pass


class SecretReachable(RuntimeError):
    """The sandbox's self-test could read or import a reference or a hidden check as a worker."""


def _secret_tops(paths) -> list[str]:
    """'solutions/' for a path under the package's root, the secret folder itself elsewhere."""
    tops = {}
    for p in paths:
        if "/" not in p:  # a module name the self-test could import
            tops[p] = None
            continue
        rel = os.path.relpath(p, ROOT)
        top = next((s + "/" for s in SECRETS if rel == s or rel.startswith(s + "/")), None)
        if top is None:
            top = next((p[:p.index("/" + s) + len(s) + 1] + "/" for s in SECRETS
                        if "/" + s + "/" in p or p.endswith("/" + s)), p)
        tops[top] = None
    return list(tops)


def _limits_text(limits: dict) -> str:
    parts = []
    names = {"RLIMIT_CPU": ("CPU", lambda v: f"{v} s"),
             "RLIMIT_AS": ("memory", lambda v: f"{v / 1024**3:.0f} GiB (address space; data "
                                              f"segment with CUDA)"),
             "RLIMIT_DATA": ("data", lambda v: f"{v / 1024**3:.0f} GiB"),
             "RLIMIT_FSIZE": ("file size", lambda v: f"{v / 1024**2:.0f} MiB"),
             "RLIMIT_NOFILE": ("open files", str), "RLIMIT_NPROC": ("processes", str)}
    for key, value in limits.items():
        if key in names and value is not None:
            label, fmt = names[key]
            parts.append(f"{label} {fmt(value)}")
    return ", ".join(parts)


def effective_rlimits(limits: dict, *, cuda: bool, separate_uid: bool) -> dict:
    """The rlimits a worker gets: with CUDA, RLIMIT_AS (which breaks the CUDA driver's large
    virtual reservations) becomes RLIMIT_DATA, and RLIMIT_NPROC is at least CUDA_NPROC (the
    driver's threads count too); without a uid of its own, RLIMIT_NPROC is raised to
    SHARED_UID_NPROC (it then counts every process of the grader's user)."""
    out = dict(limits)
    if cuda and out.get("RLIMIT_AS") is not None:
        value = out.pop("RLIMIT_AS")
        out.setdefault("RLIMIT_DATA", value)
    if cuda and out.get("RLIMIT_NPROC") is not None:
        out["RLIMIT_NPROC"] = max(int(out["RLIMIT_NPROC"]), CUDA_NPROC)
    if not separate_uid and out.get("RLIMIT_NPROC") is not None:
        out["RLIMIT_NPROC"] = max(int(out["RLIMIT_NPROC"]), SHARED_UID_NPROC)
    return out


def _pids_max(limits: dict, cuda: bool):
    """The size of a worker's own pids cgroup (it counts threads): RLIMIT_NPROC, at least
    CUDA_NPROC with CUDA."""
    value = limits.get("RLIMIT_NPROC")
    return max(int(value), CUDA_NPROC) if cuda and value is not None else value


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
        self.modules = stage_submission(self.source, self.workdir, self.notes)
        self.uid = zygote.new_uid() if hasattr(zygote, "new_uid") else None
        if self.uid is not None:  # its own folder: only its uid (and the grader) may enter
            os.chown(self.workdir, self.uid, self.uid)
            os.chmod(self.workdir, 0o700)
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
                "limits": effective_rlimits(self.limits.rlimits, cuda=_cuda(),
                                            separate_uid=self.uid is not None),
                "hide_paths": _hide_paths(), "uid": self.uid,
                "pids_max": _pids_max(self.limits.rlimits, _cuda()),
                "scratch_bytes": self.limits.scratch_bytes
                if getattr(self.zygote, "private_scratch", False) else None}

    def _process(self) -> _Process:
        if self.proc is None or not self.proc.alive:
            self.proc = _Process(self.zygote, self._spec())
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
        """Run grader.probes.<name>(student_module, *args) in the worker."""
        return self._run({"op": "call", "module": module_of(module), "probe": name,
                          "args": args, "kwargs": kwargs, "grad": None}, timeout)

    def _run(self, request, timeout):
        from grader import safetext
        from grader.sandbox import protocol  # here: starting a Zygote needs no torch
        module = request["module"]
        if module in self.import_errors:
            raise self.import_errors[module]
        now = time.monotonic()  # the budget counts the grader's own time on it too
        self.began = getattr(self, "began", None) or now
        self.used = max(self.used, now - self.began)
        if self.used > self.limits.submission_seconds:
            raise StudentError("budget", f"the submission used up its "
                                         f"{self.limits.submission_seconds:.0f} s of wall time; "
                                         f"remaining checks are not run")
        budget = protocol.reply_budget(request.get("args", ()), request.get("kwargs"))
        first_import = module not in getattr(self, "_imported", set())
        limit = timeout or self.limits.call_seconds
        if first_import:
            limit += self.limits.import_seconds
        first_cuda = _first_cuda_call(self.proc, request)
        if first_cuda:  # a fresh worker creates its CUDA context (seconds) in this call
            limit += getattr(self.limits, "cuda_init_seconds", 0.0)
        started = time.monotonic()
        deadline = started + limit
        try:
            proc = self._process()
            self._sent = getattr(self, "_sent", 0) + 1
            request = dict(request, id=self._sent)
            frame = protocol.encode(request)
            proc.send(frame, deadline)
            for _stale in range(64):  # replies to earlier requests (from forks of the worker
                header, payload = protocol.read_frame(  # that student code made) are skipped
                    lambda n: proc.read_exact(n, deadline), max_payload=self.limits.result_bytes)
                reply = protocol.decode(header, payload, max_items=budget)
                if not isinstance(reply, dict) or reply.get("status") not in ("ok", "error"):
                    raise protocol.ProtocolError("the reply is not a result")
                if reply.get("id") == self._sent:
                    break
                if type(reply.get("id")) is not int or not 0 < reply["id"] < self._sent:
                    raise protocol.ProtocolError("a reply to no request")
            else:
                raise protocol.ProtocolError("too many replies to earlier calls")
        except TimeoutError:
            self._restart(settle=0)
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
            self._restart(settle=0)
            raise StudentError("protocol", f"the worker sent back something that is not a "
                                           f"result ({exc})") from None
        finally:
            self.used += time.monotonic() - started
        reply = safetext.clean_reply(reply)  # all of its text is the student's: made safe here
        self._imported = getattr(self, "_imported", set()) | {module}
        if first_cuda and self.proc is not None:
            self.proc.cuda_ready = True
        if reply.get("restart") is True:  # e.g. a CUDA error: the next call gets a new worker
            self._restart(settle=0)
        notes = reply.get("notes")
        for note in notes if isinstance(notes, list) else ():
            if _is_cell_note(note, self.modules) and note not in self.notes \
                    and len(self.notes) < 20:
                self.notes.append(note[:500])
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

    def _restart(self, settle: float = 0.05) -> str:
        how = ""
        if self.proc is not None:
            how = self.proc.kill(settle)
            self.proc = None
        return how


_CELL_NOTE = re.compile(r"(?:(ex\d\d_[a-z0-9_]+)\.ipynb: )?(code )?cell \d{1,5} was skipped, ")


def _is_cell_note(note, modules) -> bool:
    """Whether a note the worker sent is what the notebook loader writes about a skipped cell
    of one of this submission's notebooks. The worker runs student code, so anything else
    (e.g. "all checks passed" set by the student's own module) is dropped."""
    m = _CELL_NOTE.match(note) if isinstance(note, str) else None
    return m is not None and (m.group(1) is None or m.group(1) in modules)


def _first_cuda_call(proc, request) -> bool:
    """Whether this call is the first of its worker process to use the GPU."""
    if proc is not None and proc.alive and getattr(proc, "cuda_ready", False):
        return False
    from grader.device import mentions_cuda
    return mentions_cuda((request.get("args"), request.get("kwargs")))


def _cuda() -> bool:
    """Whether workers may load CUDA: torch is a CUDA (or ROCm) build. Decided from the build,
    not by asking the driver (which would initialise CUDA in a process that may fork), and
    also without a GPU: a CUDA build maps gigabytes of libraries, too close to RLIMIT_AS."""
    from grader.device import cuda_build
    return cuda_build()
