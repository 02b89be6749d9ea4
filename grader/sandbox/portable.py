"""A student's own `check` where the machine lacks what the sandbox's rooms are built on
(Windows: no O_NOFOLLOW, no descriptor-relative os.open, no select on pipes, no wait statuses).

Each room keeps its POSIX code as it is and takes a fallback branch only where the feature is
missing (`fallback`), and only inside `unsandboxed()`, which grader.sandbox.plain enters for the
kit's `check`. Anywhere else such a machine is refused (launcher.SandboxUnavailable): grading,
class runs, nbgrader and Gradescope never read a submission or wait on a worker this way.

    with unsandboxed():
        fd = files.open_file("exercises/ex01_linear_model.py")   # by path, links refused
        data = read_within(fd_of_a_pipe, 16, time.monotonic() + 10)   # a thread waits on it

What the fallbacks give up, on the student's own machine and own files: a file is looked at
(os.lstat) before it is opened, so a link swapped in between the two is not caught by the open
itself (the descriptor is checked to be the same file after); a worker is stopped alone, without
whatever it started.
"""
from __future__ import annotations

import contextlib
import os
import queue
import select
import stat
import threading
import time

_ALLOWED = [0]   # > 0 inside unsandboxed()


@contextlib.contextmanager
def unsandboxed():
    """The kit's `check` (grader.sandbox.plain.grade_unsandboxed): the fallbacks may be taken
    (and protocol.read_exact waits on a pipe with read_within, where select() cannot)."""
    from grader.sandbox import protocol
    _ALLOWED[0] += 1
    before = protocol.timed_read
    if not selectable_pipes():
        protocol.timed_read = read_within
    try:
        yield
    finally:
        protocol.timed_read = before
        _ALLOWED[0] -= 1


def fallback(present: bool, what: str) -> bool:
    """False where the feature is `present` (the room's own POSIX code runs); True where it is
    missing inside unsandboxed(); SandboxUnavailable (one line, exit 2) where it is missing
    anywhere else. `what`: the feature, for that line ("select() on pipes")."""
    if present:
        return False
    if _ALLOWED[0]:
        return True
    from grader.sandbox.launcher import SandboxUnavailable
    raise SandboxUnavailable(f"the sandbox needs {what}, which this machine lacks: nothing is "
                             f"graded on this machine (grade on Linux)")


# -- what is missing where

def posix_files() -> bool:
    """Can files be opened as the rooms open them: without following a link (O_NOFOLLOW), a
    folder as a descriptor (O_DIRECTORY), a FIFO without waiting (O_NONBLOCK), and relative to
    a folder's descriptor (os.open's dir_fd, os.scandir of a descriptor)? Linux and macOS can;
    Windows cannot."""
    return all(hasattr(os, flag) for flag in ("O_NOFOLLOW", "O_DIRECTORY", "O_NONBLOCK")) \
        and os.open in os.supports_dir_fd and os.unlink in os.supports_dir_fd \
        and os.scandir in os.supports_fd


def selectable_pipes() -> bool:
    """Can select() wait on a pipe? Where there is poll() (POSIX); Windows' select() waits on
    sockets only, and it has no poll()."""
    return hasattr(select, "poll")


def wait_statuses() -> bool:
    """Does os read a process's end from a wait status (os.WIFSIGNALED and the others)?"""
    return all(hasattr(os, name) for name in ("WIFSIGNALED", "WTERMSIG", "WIFEXITED",
                                                "WEXITSTATUS"))


BINARY = getattr(os, "O_BINARY", 0)   # Windows: no \r\n translation on a descriptor
NO_INHERIT = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)


def binary(fd: int) -> int:
    """`fd` in binary mode (Windows' C runtime would translate line ends); itself elsewhere."""
    if BINARY:
        import msvcrt
        msvcrt.setmode(fd, BINARY)
    return fd


# -- files, by path

def is_link(st: os.stat_result) -> bool:
    """A symbolic link, or on Windows any reparse point (a junction too), by os.lstat."""
    reparse = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & reparse)


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """Whether two stats are of the same file (where the system gives file numbers)."""
    if not (a.st_ino and b.st_ino):
        return True
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


# -- pipes, with threads

_PIPES: dict[int, "_Pipe"] = {}
_LOCK = threading.Lock()


class _Pipe:
    """The threads that read and write one pipe descriptor for a caller with a deadline: a
    thread does the blocking os.read or os.write; the caller waits for it at most until its
    deadline (TimeoutError), and a thread still blocked then ends when the worker is killed.
    At most what was asked for is read, so a worker cannot fill the grader's memory."""

    def __init__(self, fd: int):
        self.fd = fd
        self.asked: queue.Queue = queue.Queue()
        self.got: queue.Queue = queue.Queue()
        self.waiting = False        # a read asked for and not yet taken
        self.extra = b""            # bytes read beyond what the last call needed
        self.eof = False
        self.reader: threading.Thread | None = None
        self.writer: threading.Thread | None = None
        self.write_error: BaseException | None = None

    def _read_loop(self):
        while True:
            n = self.asked.get()
            if n is None:
                return
            try:
                data = os.read(self.fd, n)
            except OSError:
                data = b""
            self.got.put(data)
            if not data:
                return

    def read(self, n: int, deadline: float) -> bytes:
        if self.extra:
            data, self.extra = self.extra[:n], self.extra[n:]
            return data
        if self.eof:
            raise EOFError
        if self.reader is None:
            self.reader = threading.Thread(target=self._read_loop, daemon=True,
                                           name=f"grader-pipe-{self.fd}")
            self.reader.start()
        if not self.waiting:
            self.asked.put(n)
            self.waiting = True
        try:
            data = self.got.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        self.waiting = False
        if not data:
            self.eof = True
            raise EOFError
        data, self.extra = data[:n], data[n:]
        return data

    def write(self, data: bytes, deadline: float) -> None:
        if self.writer is not None and self.writer.is_alive():
            raise TimeoutError   # the last write never finished: the worker reads nothing

        def write_all():
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(self.fd, view):]
            except OSError as exc:
                self.write_error = exc
        self.write_error = None
        self.writer = threading.Thread(target=write_all, daemon=True,
                                       name=f"grader-pipe-{self.fd}")
        self.writer.start()
        self.writer.join(max(0.0, deadline - time.monotonic()))
        if self.writer.is_alive():
            raise TimeoutError
        if self.write_error is not None:
            raise EOFError from None

    def stop(self, wait: float) -> bool:
        """Let the threads end; whether none is left blocked on the descriptor."""
        self.asked.put(None)
        for thread in (self.reader, self.writer):
            if thread is not None:
                thread.join(wait)
        return not any(t is not None and t.is_alive() for t in (self.reader, self.writer))


def _pipe(fd: int) -> _Pipe:
    with _LOCK:
        pipe = _PIPES.get(fd)
        if pipe is None:
            pipe = _PIPES[fd] = _Pipe(fd)
        return pipe


def read_within(fd: int, n: int, deadline: float) -> bytes:
    """protocol.read_exact's reading with a deadline, where select() cannot wait on a pipe:
    exactly `n` bytes (EOFError when the pipe ends first, TimeoutError at the deadline)."""
    fallback(selectable_pipes(), "select() on pipes")
    pipe = _pipe(fd)
    chunks = []
    while n:
        if deadline - time.monotonic() <= 0:
            raise TimeoutError
        data = pipe.read(min(n, 1 << 20), deadline)
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def write_within(fd: int, data, deadline: float) -> None:
    """All of `data` into the pipe `fd` by the deadline (TimeoutError), where select() cannot
    wait on it; EOFError when its reader is gone."""
    fallback(selectable_pipes(), "select() on pipes")
    _pipe(fd).write(bytes(data), deadline)


def close_pipe(fd: int) -> None:
    """Close a pipe descriptor these threads may use. Its worker is dead by now, so a thread
    blocked on it sees the end; one still blocked after a second (something the worker started
    holds the other end) keeps the descriptor open, since closing it under a blocked read
    could wait as long (Windows)."""
    with _LOCK:
        pipe = _PIPES.pop(fd, None)
    if pipe is not None and not pipe.stop(wait=1.0):
        return
    try:
        os.close(fd)
    except OSError:
        pass


# -- how a process ended

def describe_exit(status) -> str:
    """process._describe_status where os has no wait-status readers: `status` as
    grader.sandbox.plain gives it (an exit code shifted left by 8, or a signal number)."""
    if status is None:
        return ""
    if status & 0x7F:
        return f"killed by signal {status & 0x7F}"
    code = status >> 8
    if code >= 0xC0000000:    # a Windows exception code: an access violation, a stack overflow
        return f"crashed (Windows status 0x{code:08X}: a crash in native code)"
    return f"exited with code {code} (sys.exit or os._exit)"
