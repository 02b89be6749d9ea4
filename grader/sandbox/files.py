"""Reading one file of a submission as untrusted data: only a regular file, never through a
symbolic link, never a FIFO or a device waited on, at most a cap of bytes; and a name shown to
people escaped. The leaf every room that reads a student's file uses (staging, the review of a
file's source, notebooks, a worker's folder).

    data = read_file("alice/ex01_linear_model.py")    # bytes, or Refused("a symbolic link ...")
    shown(b"ex01\xff.py")                              # "'ex01\\xff.py'"
"""
from __future__ import annotations

import os
import stat

MAX_FILE_BYTES = 20 * 1024**2    # one exercise file (a notebook with outputs can be large)

# (getattr: a machine without them, Windows, reads by path instead: by_path)
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_DIRECTORY", 0) | \
    getattr(os, "O_CLOEXEC", 0)
# O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: a terminal never becomes ours
FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | \
    getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


LINK = "a symbolic link (links are not followed: hand in the file itself)"


class Refused(ValueError):
    """A file or a submission the grader does not read; str() says why, for people."""


def shown(name, quote=True, limit=80) -> str:
    """A name as notes show it: bytes that are not UTF-8 as \\xNN, control and invisible
    characters escaped, at most `limit` characters; quoted unless quote=False."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    out = []
    for ch in str(name):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:      # a byte that is not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\\" or (quote and ch == "'"):
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    text = "".join(out)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return f"'{text}'" if quote else text


def printable(text) -> str:
    """Text (a path) as it may be stored and shown: itself when it is plain, else escaped."""
    text = os.fspath(text) if not isinstance(text, str) else text
    text = text.decode("utf-8", "surrogateescape") if isinstance(text, bytes) else text
    if all(ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return text
    return shown(text, quote=False, limit=4096)

def size_text(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n} bytes"



def kind_of(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return what
    return "not a regular file"




def open_error(exc: OSError, name: str) -> Refused:
    import errno
    if exc.errno == errno.ELOOP:
        return Refused(LINK)
    if exc.errno in (errno.ENOTDIR, errno.EISDIR):
        return Refused("not a regular file")
    return Refused(f"could not be read ({exc.strerror or exc})")


def read_fd(fd: int, cap: int) -> bytes:
    """The bytes of an open regular file, at most `cap` (Refused otherwise); reads at most
    cap + 1 bytes. Refused when the descriptor is not a regular file, or when the bytes do not
    match the file's size (a /proc file: size 0, then data)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"{kind_of(st.st_mode)}, not a regular file")
    if st.st_size > cap:
        raise Refused(f"larger than {size_text(cap)}")
    chunks, got = [], 0
    while got <= cap:
        block = os.read(fd, min(1 << 20, cap + 1 - got))
        if not block:
            break
        chunks.append(block)
        got += len(block)
    if got > cap:
        raise Refused(f"larger than {size_text(cap)}")
    if got != st.st_size:
        raise Refused("not an ordinary file (its size and its contents differ)")
    return b"".join(chunks)


def open_file(name, dir_fd: int | None = None) -> int:
    """Open a regular file without following a link (relative to `dir_fd` when given);
    Refused for anything else. The caller closes the descriptor. (Where descriptors cannot
    do that, Windows, and only in a student's own check: open_by_path.)"""
    if by_path():
        return open_by_path(name if dir_fd is None else os.path.join(dir_fd, name))
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise open_error(exc, str(name)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{kind_of(st.st_mode)}, not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def by_path() -> bool:
    """Whether files are read by path (open_by_path, open_dir_by_path): only where this machine
    cannot open them through descriptors (grader.sandbox.portable.posix_files: Windows), and
    only in a student's own check; elsewhere such a machine is refused (SandboxUnavailable)."""
    from grader.sandbox.portable import fallback, posix_files
    return fallback(posix_files(), "O_NOFOLLOW and descriptor-relative os.open")


def open_by_path(path) -> int:
    """open_file where O_NOFOLLOW is missing: the entry is looked at first (os.lstat: a link,
    a junction, anything but a regular file is Refused), then opened (binary), and the
    descriptor checked to be a regular file, the same one."""
    from grader.sandbox.portable import BINARY, NO_INHERIT, is_link, same_file
    try:
        before = os.lstat(path)
    except OSError as exc:
        raise open_error(exc, str(path)) from None
    if is_link(before):
        raise Refused(LINK)
    if not stat.S_ISREG(before.st_mode):
        raise Refused(f"{kind_of(before.st_mode)}, not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | BINARY | NO_INHERIT | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise open_error(exc, str(path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{kind_of(st.st_mode)}, not a regular file")
        if not same_file(before, st):
            raise Refused("it was replaced while it was being read")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_dir_by_path(parent: str, name: str) -> str:
    """A folder inside `parent`, where folders cannot be opened as descriptors: its path, after
    os.lstat says it is a folder and no link (OSError otherwise, as os.open's O_NOFOLLOW)."""
    import errno
    from grader.sandbox.portable import is_link
    path = os.path.join(parent, name)
    st = os.lstat(path)
    if is_link(st):
        raise OSError(errno.ELOOP, "a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(errno.ENOTDIR, "not a folder")
    return path


def read_file(path, cap: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one regular file at `path` (its last component is never a link followed),
    capped; Refused with the reason otherwise."""
    fd = open_file(os.fspath(path))
    try:
        return read_fd(fd, cap)
    finally:
        os.close(fd)


def read_head(path, n: int) -> bytes:
    """At most the first `n` bytes of one regular file at `path`, opened as read_file opens it:
    no link followed, no FIFO or device waited on (Refused for those). For the trusted side
    asking what a file in a worker's folder begins with."""
    fd = open_file(os.fspath(path))
    try:
        return os.read(fd, max(0, n))
    finally:
        os.close(fd)
