"""A Jupyter kernel that runs a notebook's cells inside the grader's sandbox, for nbgrader.

    python -m grader nbgrader-kernel install --sys-prefix    # the kernel "torchdrills-sandbox"
    nbgrader autograde ex01_linear_model                      # nbgrader_config.py names it

A plain kernel runs a student's cells as the instructor, with the instructor's environment: a
cell can print the references, the hidden checks, the environment and any file this user can
read, and `nbgrader generate_feedback` hands it all back. This kernel's cells run as the
grader's workers do: in bubblewrap's read-only view of the system, of Python and of the grader
(references, checks, source notebooks and history masked: grader.sandbox.view), with no
network, their own /tmp, an empty home of their own, an environment built from an allow-list,
and, where the launcher runs as root, a uid of their own without capabilities. The kernel
checks that no secret is in reach before it starts (grader.sandbox.kernel_boot).

How it talks: Jupyter starts this module's `launch` (the trusted launcher, outside the sandbox)
with a connection file. The kernel inside listens on Unix sockets in its private folder
(ZeroMQ's ipc transport: a network namespace cuts TCP, not a socket file bound into the view),
and the launcher relays each channel's bytes between the ports Jupyter chose and those sockets,
without reading them. A check cell's `run_checks` sends its request to another socket of the
launcher (GRADER_CHECKS_SOCKET), which grades it in a grading process outside the sandbox
(grader.notebook.answer_check). During `nbgrader autograde` it grades nothing there: the check
cells are graded after the run by grader.instructor.autograde.GradeCheckCells.

Bounded: the kernel gets rlimits as the workers do (KERNEL_RLIMITS: memory, CPU time for the
whole notebook, file size, open files, processes and threads, no core file), and one tmpfs of
KERNEL_SCRATCH_BYTES (16384 files at most) is its home folder, /tmp and /dev/shm together, made
by the boot as the workers' is (grader.sandbox.inside.confine.private_scratch); it may not make
a user namespace (in one it could mount a tmpfs of its own). TORCHDRILLS_KERNEL_LIMITS changes
them. A cell that reaches a limit gets its error and a line naming the limit; a kernel killed by
one (CPU time) fails its own notebook, and the launcher says why on nbgrader's terminal.

Where bubblewrap cannot start, the kernel refuses with one line (nbgrader reports the notebook
as failed). TORCHDRILLS_KERNEL_UNSANDBOXED=1 in the instructor's environment runs it without
the view (still its own environment and folder; as root, a uid of its own where other users can
read its Python, else root), at the cost of every file that uid can read being readable by the
cells (its rlimits still hold; its folder is then on the disk, each file capped only).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.sandbox.limits import DEFAULT_LIMITS, effective_rlimits

ROOT = Path(__file__).resolve().parents[2]
KERNEL_NAME = "torchdrills-sandbox"
DISPLAY_NAME = "Python 3 (torchdrills sandbox)"
UNSANDBOXED = "TORCHDRILLS_KERNEL_UNSANDBOXED"
LIMITS_VARIABLE = "TORCHDRILLS_KERNEL_LIMITS"   # e.g. RLIMIT_AS=8G,RLIMIT_CPU=14400,scratch=1G
PREFIX = "grader-kernel-"
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
# kernels' uids, apart from the workers' (grader.sandbox.launcher.UID_BASE)
KERNEL_UID_BASE, KERNEL_UID_SPAN = 2_050_000_000, 40_000_000
START_SECONDS = 120.0     # how long a channel waits for the kernel inside to listen

# What one kernel (one notebook) may use: the workers' rlimits (grader.sandbox.limits), with
# more CPU time (a whole notebook, not one submission's calls), open files and threads.
KERNEL_RLIMITS = dict(
    DEFAULT_LIMITS,
    RLIMIT_CPU=24 * 300,   # CPU seconds, all threads, for the whole notebook: 24 cells' worth of
                           # nbgrader_config.py's Execute.timeout (300 s) on one core
    RLIMIT_NOFILE=1024,    # ZeroMQ's sockets, IPython's history, a DataLoader's shared tensors
    RLIMIT_NPROC=64)       # ipykernel's threads, torch's (KERNEL_THREADS at most), a DataLoader's
KERNEL_SCRATCH_BYTES = 256 * 1024**2   # its home folder, /tmp and /dev/shm: one tmpfs
KERNEL_THREADS = 16       # torch's threads in the kernel, where the machine has more cores
# Inside the sandbox: the launcher's files (read-only), and the kernel's own folder (its home,
# its sockets) in its tmpfs.
SHARED_INSIDE = "/grader-kernel"
FOLDER_INSIDE = "/tmp/kernel"

# What the kernel needs besides the workers' view (grader.sandbox.view.bwrap_command): the
# package's modules a check cell imports (followed from these, module-level imports only) and
# the folders Jupyter's kernel and matplotlib are installed in.
KERNEL_CODE = ("grader/sandbox/kernel_boot.py", "grader/notebook.py")
KERNEL_DISTRIBUTIONS = ("ipykernel", "matplotlib")
KERNEL_ETC = ("/etc/fonts",)   # a plot's fonts (fontconfig), besides the workers' /etc

_LAUNCH = ("import sys; sys.path[0] = {root!r}; "
           "from grader.instructor.nbkernel import launch; sys.exit(launch(sys.argv[1:]))")
_BOOT = ("import sys; sys.path[0] = {root!r}; "
         "from grader.sandbox.kernel_boot import main; main()")


# ----------------------------------------------------------------------------------------------
# the kernelspec

def kernel_spec() -> dict:
    """kernel.json: this Python runs the launcher. `-c` with the package's root first on
    sys.path: the launcher never imports from the folder Jupyter starts it in (a student's
    notebook folder)."""
    return {"argv": [sys.executable, "-c", _LAUNCH.format(root=str(ROOT)), "{connection_file}"],
            "display_name": DISPLAY_NAME, "language": "python",
            "interrupt_mode": "message",   # a signal to the launcher would not reach the kernel
            "metadata": {"debugger": False}}


def install(user: bool = False, prefix: str | None = None) -> str:
    """Install (or replace) the kernelspec; returns its folder. Default: this Python's prefix
    (sys.prefix), where nbgrader run by this Python finds it. Idempotent.

        install()                      # <sys.prefix>/share/jupyter/kernels/torchdrills-sandbox
        install(user=True)             # ~/.local/share/jupyter/kernels/...
        install(prefix="/opt/course")  # /opt/course/share/jupyter/kernels/...
    """
    from jupyter_client.kernelspec import KernelSpecManager
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / KERNEL_NAME
        folder.mkdir()
        (folder / "kernel.json").write_text(json.dumps(kernel_spec(), indent=1) + "\n")
        return KernelSpecManager().install_kernel_spec(
            str(folder), KERNEL_NAME, user=user,
            prefix=None if user else (prefix or sys.prefix))


# ----------------------------------------------------------------------------------------------
# the limits

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _amount(name: str, text: str):
    """'7200', '512M', '8G' (binary units), 'none' (no limit) -> the number, or None."""
    import re
    text = text.strip()
    if text.lower() in ("none", "unlimited"):
        return None
    found = re.fullmatch(r"(\d+)\s*([KMGT]?)(?:i?B)?", text, re.IGNORECASE)
    if not found:
        raise ValueError(f"{LIMITS_VARIABLE}: {name}={text!r} is not a number "
                         f"(e.g. 7200, 512M, 8G, or none)")
    return int(found.group(1)) * _UNITS[found.group(2).upper()]


def kernel_limits(environ=None) -> dict:
    """{"rlimits": ..., "scratch_bytes": ...}: KERNEL_RLIMITS and KERNEL_SCRATCH_BYTES, changed
    by TORCHDRILLS_KERNEL_LIMITS in `environ` (default os.environ, the instructor's): NAME=VALUE
    pairs, comma-separated, NAME an RLIMIT_* or `scratch`, VALUE a number with an optional K, M,
    G or T, or `none` (no limit). ValueError for anything else: the kernel then does not start.

        TORCHDRILLS_KERNEL_LIMITS=RLIMIT_AS=8G,RLIMIT_CPU=14400,scratch=1G nbgrader autograde ex01
    """
    import resource
    environ = os.environ if environ is None else environ
    rlimits, scratch = dict(KERNEL_RLIMITS), KERNEL_SCRATCH_BYTES
    for item in environ.get(LIMITS_VARIABLE, "").split(","):
        if not item.strip():
            continue
        name, eq, value = (part.strip() for part in item.partition("="))
        if not eq:
            raise ValueError(f"{LIMITS_VARIABLE}: {item.strip()!r} is not NAME=VALUE")
        if name.lower() == "scratch":
            scratch = _amount(name, value)
        elif name.upper().startswith("RLIMIT_") and hasattr(resource, name.upper()):
            rlimits[name.upper()] = _amount(name, value)
        else:
            raise ValueError(f"{LIMITS_VARIABLE}: no limit is called {name!r} (RLIMIT_AS, "
                             f"RLIMIT_CPU, RLIMIT_FSIZE, ... or scratch)")
    return {"rlimits": rlimits, "scratch_bytes": scratch}


def _cuda_build() -> bool:
    """Whether the kernel's torch is a CUDA or ROCm build, from its libraries (torch is not
    imported here): RLIMIT_AS then becomes RLIMIT_DATA, as for the workers."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return False
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if any(os.path.exists(os.path.join(folder, "lib", name))
               for name in ("libtorch_cuda.so", "libtorch_hip.so")):
            return True
    return False


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def limit_notes(rlimits: dict, scratch_bytes) -> dict:
    """What each limit is, in words: the line a cell that reached one gets (grader.sandbox.kernel_boot)."""
    notes = {}
    memory = rlimits.get("RLIMIT_AS") or rlimits.get("RLIMIT_DATA")
    if memory:
        notes["memory"] = f"{_size(int(memory))} of memory a process"
    if scratch_bytes:
        notes["disk"] = (f"{_size(int(scratch_bytes))} and 16384 files for its home folder, "
                         f"/tmp and /dev/shm together")
    for name, what in (("RLIMIT_FSIZE", "file"), ("RLIMIT_NOFILE", "files"),
                       ("RLIMIT_NPROC", "processes"), ("RLIMIT_CPU", "cpu")):
        value = rlimits.get(name)
        if value is not None:
            notes[what] = {"file": f"{_size(int(value))} a file",
                           "files": f"{int(value)} open files",
                           "processes": f"{int(value)} processes and threads",
                           "cpu": f"{int(value)} s of CPU time for the whole notebook"}[what]
    return notes


def death_note(code: int, sandboxed: bool, notes: dict) -> str:
    """The line for nbgrader's terminal when the kernel ended on a signal (bubblewrap exits
    with 128 + the signal), '' otherwise."""
    number = -code if code < 0 else code - 128 if sandboxed and 128 < code <= 128 + 64 else 0
    if not number:
        return ""
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    if number == signal.SIGXCPU:
        why = f"it used up its CPU time ({notes.get('cpu', 'its limit')})"
    elif number == signal.SIGKILL:
        why = (f"the end of its CPU time ({notes.get('cpu', 'no limit')}) or the machine's "
               f"out-of-memory killer")
    else:
        why = "its limits: " + "; ".join(notes.values()) if notes else "it has no limits"
    return (f"torchdrills kernel: the kernel was killed by {name} ({why}); this notebook "
            f"fails, the next one gets a new kernel")


# ----------------------------------------------------------------------------------------------
# the launcher

def sandbox_problem() -> str:
    """'' when bubblewrap can start the kernel's sandbox here, else why not."""
    from grader.sandbox.view import bwrap_problem
    spool = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-probe-")
    try:
        return bwrap_problem(spool, False)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _top_level_imports(path: Path) -> list[str]:
    """The grader.* modules a file imports outside its functions (for `from a import b`, both
    a and a.b: b may be a module)."""
    import ast
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (SyntaxError, ValueError, OSError):
        return []
    out, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        todo.extend(ast.iter_child_nodes(node))
    return [n for n in out if n == "grader" or n.startswith("grader.")]


def kernel_files(root: Path = ROOT) -> list[str]:
    """The package's files the kernel imports (KERNEL_CODE and what it imports at module
    level, the packages above each), with their bytecode where it exists."""
    import importlib.util
    todo, seen = [root / f for f in KERNEL_CODE], {}
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen[path] = None
        parent = path.parent
        while parent != root and root in parent.parents:
            todo.append(parent / "__init__.py")
            parent = parent.parent
        for name in _top_level_imports(path):
            base = root.joinpath(*name.split("."))
            todo += [base.with_suffix(".py"), base / "__init__.py"]
    out = []
    for path in seen:
        out.append(str(path))
        cached = importlib.util.cache_from_source(str(path))
        if os.path.isfile(cached):
            out.append(cached)
    return sorted(out)


def kernel_folders() -> list[str]:
    """The folders ipykernel, matplotlib and what they require are installed in."""
    from grader.sandbox.view import distribution_folders
    return [d for d in distribution_folders(KERNEL_DISTRIBUTIONS) if os.path.isdir(d)]


def sandbox_command(home: str, as_root: bool,
                    scratch_bytes=KERNEL_SCRATCH_BYTES) -> list[str]:
    """The workers' bubblewrap view (grader.sandbox.view.bwrap_command, its secrets masked)
    with what the kernel needs besides (kernel_files, kernel_folders, KERNEL_ETC) read-only,
    and the launcher's folder `home` read-only at SHARED_INSIDE. /tmp and /dev/shm are tmpfs
    of `scratch_bytes` each, until the boot replaces them with one of its own. As root, the
    kernel may only mount that tmpfs (CAP_SYS_ADMIN) and change its uid, which keeps no
    capability."""
    from grader.sandbox.view import bwrap_command
    cmd = bwrap_command(home, as_root=False,
                        extra=kernel_folders() + kernel_files() + list(KERNEL_ETC))
    real = os.path.realpath(home)
    at = next((i for i in range(len(cmd) - 2) if cmd[i:i + 3] == ["--bind", real, real]), None)
    if at is None:
        raise RuntimeError("grader.sandbox.view.bwrap_command did not bind the kernel's folder")
    cmd[at:at + 3] = ["--ro-bind", real, SHARED_INSIDE]   # the kernel writes in its tmpfs only
    if scratch_bytes:
        for i in reversed(range(len(cmd) - 1)):
            if cmd[i] == "--tmpfs" and cmd[i + 1] in ("/tmp", "/dev/shm"):
                cmd[i:i] = ["--size", str(int(scratch_bytes))]
    if "--chdir" in cmd:   # the boot goes to the kernel's folder once it has its uid
        cmd[cmd.index("--chdir") + 1] = "/"
    if as_root:   # the boot mounts the kernel's tmpfs, then switches to the kernel's uid
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        if scratch_bytes:
            cmd += ["--cap-add", "CAP_SYS_ADMIN"]
    return cmd


def kernel_env(home: str, checks_socket: str, sandboxed: bool) -> dict:
    """The kernel's whole environment, from an allow-list: nothing of the instructor's. torch
    uses KERNEL_THREADS threads at most (RLIMIT_NPROC counts them)."""
    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                    "/usr/bin", "/bin"]),
           "HOME": home, "TMPDIR": "/tmp" if sandboxed else os.path.join(home, "tmp"),
           "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
           "GRADER_CHECKS_SOCKET": checks_socket,
           "JPY_PARENT_PID": "1"}   # ipykernel: no parent polling, no banner on stderr
    if (os.cpu_count() or 1) > KERNEL_THREADS:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(KERNEL_THREADS)
    if os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate"):
        env["NBGRADER_EXECUTION"] = os.environ["NBGRADER_EXECUTION"]   # nbgrader's own flag
    if os.environ.get("CUDA_VISIBLE_DEVICES", "").replace(",", "").isdigit():
        env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
    return env


def _listen(transport: str, ip: str, port: int) -> socket.socket:
    """The socket Jupyter's client connects to for one channel, as the connection file says."""
    if transport == "ipc":
        path = f"{ip}-{port}"
        if os.path.exists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
    else:
        host = "0.0.0.0" if ip in ("*", "") else ip
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    sock.listen(16)
    return sock


LOG_LINES = 200   # of what the kernel writes to its own stdout and stderr, shown on ours


def _forward_log(stream) -> None:
    """What the kernel process writes outside the notebook (ipykernel's log, a cell's
    os.write(2, ...)), onto the launcher's stderr, which is nbgrader's terminal: escaped as
    student text (no terminal control sequence), LOG_LINES lines at most; the rest is read
    and dropped."""
    from grader.sandbox.safetext import LINE, clean
    shown = 0
    for raw in iter(lambda: stream.readline(4096), b""):
        if shown < LOG_LINES:
            shown += 1
            text = clean(raw.decode(errors="replace").rstrip("\n"), LINE, lines=False)
            note = " (the kernel's further output is not shown)" if shown == LOG_LINES else ""
            print(f"kernel: {text}{note}", file=sys.stderr, flush=True)


def _others_can_run_python() -> bool:
    """Whether a uid of its own can use this Python and the kernel's packages without the
    sandbox's view (whose folders bubblewrap makes 0755): every folder above them searchable
    by others, the folders themselves readable."""
    for folder in [sys.prefix, *kernel_folders()]:
        path = os.path.realpath(folder)
        try:
            if not os.stat(path).st_mode & stat.S_IROTH:
                return False
            while path != os.path.dirname(path):
                if not os.stat(path).st_mode & stat.S_IXOTH:
                    return False
                path = os.path.dirname(path)
        except OSError:
            return False
    return True


class Launcher:
    """One sandboxed kernel: the launcher's folder (the boot's configuration, the connection
    file, the check server's socket), the kernel's folder (handed over by the boot), the relay
    and the check server."""

    def __init__(self, connection_file: str, kernel_args: list[str]):
        with open(connection_file) as f:
            self.info = json.load(f)
        self.kernel_args = [a for a in kernel_args if a.startswith("--")]
        self.as_root = os.geteuid() == 0
        self.proc: subprocess.Popen | None = None
        self.listeners: list[socket.socket] = []
        self.conns: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        self.uid: int | None = None
        self.stopping = False
        self.limits: dict = {}        # kernel_limits(), read when the kernel starts
        self.notes: dict = {}
        self.folder: int | None = None    # an O_PATH descriptor on the kernel's folder
        self.folder_known = threading.Event()
        from grader.sandbox import sweep_stale_temp
        sweep_stale_temp(PREFIX)
        self.home = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")

    # -- the relay: Jupyter's sockets <-> the kernel's sockets in its folder, bytes only

    def _receive_folder(self, sock: socket.socket):
        """The kernel's folder, as the boot sends it before any cell runs: a descriptor (it
        may lie in the kernel's own tmpfs, which only its mount namespace shows). Only a
        folder, and of the kernel's own uid, is kept."""
        try:
            sock.settimeout(START_SECONDS)
            _data, fds, _flags, _address = socket.recv_fds(sock, 16, 1)
            for fd in fds[1:]:
                os.close(fd)
            if fds:
                st = os.fstat(fds[0])
                if stat.S_ISDIR(st.st_mode) and (self.uid is None or st.st_uid == self.uid):
                    self.folder = fds[0]
                else:
                    os.close(fds[0])
        except OSError:
            pass
        finally:
            sock.close()
            self.folder_known.set()

    def _inner(self, port: int) -> socket.socket | None:
        """A connection to the kernel's socket for `port`, once it listens. The kernel owns
        its folder: the name is opened in it without following links, and only a socket of
        the kernel's own is connected to (through /proc/self/fd, so the checked file is the
        one connected to)."""
        deadline = time.monotonic() + START_SECONDS
        self.folder_known.wait(START_SECONDS)
        while self.folder is not None and not self.closed and time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return None
            try:
                fd = os.open(f"k-{port}", os.O_PATH | os.O_NOFOLLOW, dir_fd=self.folder)
            except OSError:
                time.sleep(0.02)
                continue
            try:
                st = os.fstat(fd)
                if not stat.S_ISSOCK(st.st_mode) or (self.uid is not None
                                                     and st.st_uid != self.uid):
                    return None
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(f"/proc/self/fd/{fd}")
                    return sock
                except OSError:
                    sock.close()
                    time.sleep(0.02)
            finally:
                os.close(fd)
        return None

    def _pump(self, src: socket.socket, dst: socket.socket):
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass

    def _relay(self, outer: socket.socket, port: int):
        inner = self._inner(port)
        if inner is None:
            outer.close()
            return
        with self.lock:
            self.conns.update((outer, inner))
        there = threading.Thread(target=self._pump, args=(outer, inner), daemon=True)
        there.start()
        self._pump(inner, outer)
        there.join()
        with self.lock:
            self.conns.difference_update((outer, inner))
        outer.close()
        inner.close()

    def _accept(self, listener: socket.socket, port: int):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if conn.family != socket.AF_UNIX:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._relay, args=(conn, port), daemon=True).start()

    # -- the kernel

    def _files(self, sandboxed: bool, report_fd: int) -> tuple[str, str]:
        """(boot config, the kernel's connection file), written into the launcher's folder,
        as the paths the boot sees. Sandboxed, the boot reads them before it gives up root;
        the kernel's folder is FOLDER_INSIDE, in its tmpfs. Without the sandbox, the kernel's
        folder is the launcher's (and the kernel's own)."""
        from grader.sandbox.view import secret_modules, secret_samples
        folder = FOLDER_INSIDE if sandboxed else self.home
        inner = {k: self.info[k] for k in CHANNELS}
        inner.update(transport="ipc", ip=os.path.join(folder, "k"), key=self.info["key"],
                     signature_scheme=self.info.get("signature_scheme", "hmac-sha256"))
        if self.as_root and (sandboxed or _others_can_run_python()):
            self.uid = KERNEL_UID_BASE + random.SystemRandom().randrange(KERNEL_UID_SPAN)
        elif self.as_root:
            print("torchdrills kernel: its Python is not readable by other users, so it runs "
                  "as root", file=sys.stderr)
        rlimits = effective_rlimits(self.limits["rlimits"], cuda=_cuda_build(),
                                    separate_uid=self.uid is not None)
        scratch = self.limits["scratch_bytes"] if sandboxed else None
        self.notes = limit_notes(rlimits, scratch)
        boot = {"folder": folder, "new_folder": sandboxed, "copy_connection": sandboxed,
                "scratch_bytes": scratch, "limits": rlimits, "notes": self.notes,
                "report_fd": report_fd, "check_secrets": sandboxed,
                "secrets": secret_samples() if sandboxed else [],
                "modules": secret_modules() if sandboxed else []}
        for name, data in (("boot.json", boot), ("kernel.json", inner)):
            fd = os.open(os.path.join(self.home, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            if self.uid is not None and not sandboxed:
                os.chown(os.path.join(self.home, name), self.uid, self.uid)
        if not sandboxed:
            os.mkdir(os.path.join(self.home, "tmp"), 0o700)
            if self.uid is not None:
                os.chown(os.path.join(self.home, "tmp"), self.uid, self.uid)
        shared = SHARED_INSIDE if sandboxed else self.home
        return os.path.join(shared, "boot.json"), os.path.join(shared, "kernel.json")

    def command(self, sandboxed: bool, boot: str, connection: str) -> list[str]:
        python = [sys.executable, "-c", _BOOT.format(root=str(ROOT)),
                  "-" if self.uid is None else str(self.uid), boot, connection,
                  *self.kernel_args]
        if not sandboxed:
            return python
        return sandbox_command(self.home, self.as_root, self.limits["scratch_bytes"]) + python

    def run(self) -> int:
        try:
            self.limits = kernel_limits()
        except ValueError as exc:
            print(f"torchdrills kernel: not started: {exc}", file=sys.stderr)
            return 1
        sandboxed = True
        problem = sandbox_problem()
        if problem:
            if os.environ.get(UNSANDBOXED) != "1":
                print(f"torchdrills kernel: not started, the sandbox cannot start here "
                      f"({problem.splitlines()[0][:300]}); {UNSANDBOXED}=1 runs it without "
                      f"one", file=sys.stderr)
                return 1
            print(f"torchdrills kernel: running WITHOUT the sandbox ({UNSANDBOXED}=1): its "
                  f"cells can read every file this user can read", file=sys.stderr)
            sandboxed = False
        report, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        boot, connection = self._files(sandboxed, theirs.fileno())

        from grader.notebook import serve_checks
        checks_path = os.path.join(self.home, "checks.sock")
        checks = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        checks.bind(checks_path)
        os.chmod(checks_path, 0o666)   # the folder (0700 or 0710, the kernel's) keeps others out
        checks.listen(4)
        self.listeners.append(checks)
        defer = os.environ.get("NBGRADER_EXECUTION") == "autograde"
        threading.Thread(target=serve_checks, args=(checks, defer), daemon=True).start()

        transport, ip = self.info.get("transport", "tcp"), self.info.get("ip", "127.0.0.1")
        for name in CHANNELS:
            port = int(self.info[name])
            listener = _listen(transport, ip, port)
            self.listeners.append(listener)
            threading.Thread(target=self._accept, args=(listener, port), daemon=True).start()
        if self.uid is not None and sandboxed:   # the boot reads it as root, the kernel
            os.chown(self.home, -1, self.uid)     # only reaches the check server's socket
            os.chmod(self.home, 0o710)
        else:
            if self.uid is not None:
                os.chown(self.home, self.uid, self.uid)
            os.chmod(self.home, 0o700)

        if sandboxed:
            env = kernel_env(FOLDER_INSIDE, os.path.join(SHARED_INSIDE, "checks.sock"), True)
        else:
            env = kernel_env(self.home, checks_path, False)
        try:
            self.proc = subprocess.Popen(self.command(sandboxed, boot, connection), env=env,
                                         cwd=self.home, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         start_new_session=True, pass_fds=(theirs.fileno(),))
        finally:
            theirs.close()
        threading.Thread(target=self._receive_folder, args=(report,), daemon=True).start()
        log = threading.Thread(target=_forward_log, args=(self.proc.stdout,), daemon=True)
        log.start()
        code = self.proc.wait()
        log.join(timeout=2)
        note = "" if self.stopping else death_note(code, sandboxed, self.notes)
        if note:
            print(note, file=sys.stderr, flush=True)
        return code

    def stop(self, *_):
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def close(self):
        self.closed = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        with self.lock:
            socks = self.listeners + list(self.conns)
        for sock in socks:
            try:
                sock.close()
            except OSError:
                pass
        if self.info.get("transport") == "ipc":
            for name in CHANNELS:
                try:
                    os.unlink(f"{self.info.get('ip')}-{self.info[name]}")
                except (OSError, KeyError):
                    pass
        if self.folder is not None:   # (it holds the kernel's tmpfs)
            os.close(self.folder)
            self.folder = None
        from grader.notebook import _stop_server
        _stop_server()
        shutil.rmtree(self.home, ignore_errors=True)


def launch(argv: list[str]) -> int:
    """The kernelspec's entry point: `launch CONNECTION_FILE [KERNEL_ARGS...]`."""
    if not argv:
        print("usage: launch CONNECTION_FILE [KERNEL_ARGS...]", file=sys.stderr)
        return 2
    launcher = Launcher(argv[0], argv[1:])
    signal.signal(signal.SIGTERM, launcher.stop)
    signal.signal(signal.SIGINT, lambda *_: None)   # interrupts come as messages
    try:
        return launcher.run()
    finally:
        launcher.close()


# ----------------------------------------------------------------------------------------------
# the command line: `python -m grader nbgrader-kernel install`

def add_verbs(verbs) -> dict:
    k = verbs.add_parser("nbgrader-kernel",
                         help="install the sandboxed Jupyter kernel nbgrader runs notebooks in")
    k.add_argument("action", choices=["install"])
    where = k.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="in ~/.local/share/jupyter")
    where.add_argument("--sys-prefix", action="store_true",
                       help="in this Python's prefix (the default)")
    where.add_argument("--prefix", default=None, metavar="P", help="in P/share/jupyter")
    return {"nbgrader-kernel": cmd_nbgrader_kernel}


def cmd_nbgrader_kernel(args) -> int:
    try:
        import jupyter_client  # noqa: F401
    except ImportError:
        print("error: the kernel needs Jupyter: pip install -e \".[classroom]\"",
              file=sys.stderr)
        return 2
    folder = install(user=args.user, prefix=args.prefix)
    print(f"installed the kernel {KERNEL_NAME!r} in {folder}")
    problem = sandbox_problem()
    if problem:
        print(f"warning: the sandbox cannot start here ({problem.splitlines()[0][:300]}): the "
              f"kernel will refuse to start unless {UNSANDBOXED}=1", file=sys.stderr)
    return 0
