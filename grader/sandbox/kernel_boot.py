"""The first code of the sandboxed kernel (grader.instructor.nbkernel), inside the sandbox: give the kernel
a bounded tmpfs of its own, drop to the kernel's own uid, set its limits, make sure no secret is
in reach, hand its folder to the launcher, then become ipykernel.

    python -c "...; grader.sandbox.kernel_boot.main()" UID BOOT_JSON CONNECTION_FILE [KERNEL_ARGS...]

UID: the kernel's own uid, or "-" to keep the caller's (the launcher runs as root: the kernel
gets a uid of its own, and no capability, before anything of the notebook runs). BOOT_JSON and
CONNECTION_FILE (written by the launcher) are read first, while the boot may still mount:

    folder           the kernel's folder: its home, its sockets, where it starts
    new_folder       make it (in the kernel's tmpfs, once the uid is the kernel's)
    copy_connection  copy CONNECTION_FILE into it (the launcher's folder is read-only here)
    scratch_bytes    one tmpfs of that size at /tmp and /dev/shm (the workers' private_scratch);
                     null: none of its own
    limits           the rlimits (the workers' apply_limits)
    memory_fd        the kernel's memory cgroup's cgroup.procs, joined first (or null)
    notes            each limit in words: the line a cell that reached one gets
    report_fd        a socket to the launcher: the folder's descriptor goes there, then it is
                     closed, before any cell runs
    check_secrets, secrets, modules   files it must not read, modules it must not import

The kernel may not make a user namespace (seccomp, as the workers): in one it could mount a
tmpfs of its own, outside every limit. A secret in reach: one line on stderr, exit 3, no kernel.
This module imports nothing of the trusted side: grader.sandbox.inside.confine is the workers'
own confinement, inside code.
"""
from __future__ import annotations

import errno
import importlib.util
import json
import os
import signal
import sys

from grader.sandbox.inside.confine import (
    PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, apply_limits, become, drop_capabilities,
    forbid_user_namespaces, prctl, private_scratch)
from grader.sandbox.inside.memory_join import join_memory_group


def reachable_secret(config: dict) -> str:
    """'' when no listed secret can be read or imported here, else the first one found."""
    for path in config.get("secrets", []):
        try:
            with open(path, "rb") as f:
                f.read(1)
        except OSError:
            continue
        return path
    for name in config.get("modules", []):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            return name
    return ""


# ----------------------------------------------------------------------------------------------
# a cell that reached a limit: one more line, naming it

_ERRNO_LIMIT = {errno.ENOMEM: "memory", errno.ENOSPC: "disk", errno.EDQUOT: "disk",
                errno.EFBIG: "file", errno.EMFILE: "files"}


def which_limit(exc: BaseException | None) -> str:
    """The limit an exception (or one it was raised from) shows was reached, '' if none:
    memory, disk, file, files or processes (keys of the boot's notes)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, MemoryError):
            return "memory"
        if isinstance(exc, OSError) and exc.errno in _ERRNO_LIMIT:
            return _ERRNO_LIMIT[exc.errno]
        text = str(exc)
        if "can't allocate memory" in text or "Cannot allocate memory" in text:
            return "memory"   # torch's CPU allocator: a RuntimeError
        if "can't start new thread" in text:
            return "processes"
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return ""


def note_limits(notes: dict):
    """IPython's post_run_cell callback: after a cell whose error shows a limit, one line on
    the cell's stderr naming that limit."""
    def after(result):
        what = which_limit(getattr(result, "error_in_exec", None))
        if what and notes.get(what):
            print(f"torchdrills kernel: this cell reached a limit of the notebook's kernel: "
                  f"{notes[what]}", file=sys.stderr, flush=True)
    return after


# ----------------------------------------------------------------------------------------------

def _report_folder(fd: int, folder: str) -> None:
    """Send the launcher a descriptor on the kernel's folder (it may lie in a tmpfs only this
    mount namespace shows), then close the socket."""
    import socket
    sock = socket.socket(fileno=fd)
    handle = os.open(folder, os.O_PATH | os.O_DIRECTORY)
    try:
        socket.send_fds(sock, [b"k"], [handle])
    finally:
        os.close(handle)
        sock.close()


def too_deep_is_a_syntax_error(shell) -> None:
    """A cell nested too deeply to compile (`x = 1+1+...+1`, 100 000 terms) is shown as a
    SyntaxError and the next cell runs. IPython lets the parser's RecursionError escape, and
    the kernel then sends no reply at all: nbgrader waited out its timeout, 300 s a cell."""
    import IPython.core.interactiveshell as shells
    should_be_async, parse = shells._should_be_async, shell.compile.ast_parse

    def checked(cell):
        try:
            return should_be_async(cell)
        except (RecursionError, MemoryError):
            return False

    def ast_parse(source, *args, **kwargs):
        try:
            return parse(source, *args, **kwargs)
        except (RecursionError, MemoryError) as exc:
            raise SyntaxError(f"the cell is nested too deeply to compile "
                              f"({type(exc).__name__})") from None
    shells._should_be_async = checked
    shell.compile.ast_parse = ast_parse


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    with open(argv[1]) as f:
        config = json.load(f)
    connection = None
    if config.get("copy_connection"):
        with open(argv[2], "rb") as f:
            connection = f.read()
    join_memory_group(config)    # first: everything the kernel starts is counted in it
    warning = f"torchdrills kernel: not in its memory cgroup ({config['memory_join_error']})" \
        if config.get("memory_join_error") else ""
    scratch = config.get("scratch_bytes")
    if scratch:   # before the uid changes: mounting needs the capability
        _folder, why = private_scratch(None, int(scratch))
        if why:
            warning += "\n" * bool(warning) + (f"torchdrills kernel: no tmpfs of its own ({why}); /tmp and /dev/shm "
                       f"are bubblewrap's, of {int(scratch)} bytes each")
    if argv[0] != "-":
        become(int(argv[0]))   # every capability goes with root
    elif scratch:
        drop_capabilities()    # those of a user namespace of its own (private_scratch)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # after the uid changed (a change clears it):
    prctl(PR_SET_NO_NEW_PRIVS, 1)             # the kernel dies with the process that started it
    forbid_user_namespaces()
    apply_limits(config.get("limits") or {})
    folder = config.get("folder")
    if folder:
        if config.get("new_folder"):
            os.mkdir(folder, 0o700)
        os.chdir(folder)
    if config.get("check_secrets", True):
        found = reachable_secret(config)
        if found:
            print(f"torchdrills kernel: the sandbox shows a secret ({found}); "
                  f"the kernel does not start", file=sys.stderr)
            sys.exit(3)
    if connection is not None:
        argv[2] = os.path.join(folder, "kernel.json")
        fd = os.open(argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(connection)
    if config.get("report_fd") is not None and folder:
        _report_folder(int(config["report_fd"]), folder)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    sys.argv = ["ipykernel_launcher", "-f", argv[2], *argv[3:]]
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize()
    too_deep_is_a_syntax_error(app.shell)
    if config.get("notes"):
        app.shell.events.register("post_run_cell", note_limits(config["notes"]))
    app.start()


if __name__ == "__main__":
    main()
