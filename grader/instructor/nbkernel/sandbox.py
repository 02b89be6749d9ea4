"""Where the kernel runs: bubblewrap's command for it (the workers' read-only view plus what a
kernel needs), its environment, the files it may import, and the sockets the launcher relays."""
from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import tempfile
from pathlib import Path

from grader.instructor.nbkernel.settings import (KERNEL_CODE, KERNEL_DISTRIBUTIONS, KERNEL_ETC,
                                                KERNEL_SCRATCH_BYTES, KERNEL_THREADS, PREFIX, ROOT,
                                                SHARED_INSIDE)



def sandbox_problem() -> str:
    """'' when bubblewrap can start the kernel's sandbox here, else why not."""
    from grader.sandbox.view import bwrap_problem
    spool = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-probe-")
    try:
        return bwrap_problem(spool, False)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def kernel_files(root: Path = ROOT) -> list[str]:
    """The package's files the kernel imports (KERNEL_CODE and what it imports at module
    level, the packages above each), with their bytecode where it exists."""
    from grader.sandbox.view import module_files
    return module_files(Path(root).resolve(), [Path(root).resolve() / f for f in KERNEL_CODE],
                        top_level=True)


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


def listen(transport: str, ip: str, port: int) -> socket.socket:
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


def forward_log(stream) -> None:
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


def others_can_run_python() -> bool:
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
