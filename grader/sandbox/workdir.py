"""A submission's own folder, on the trusted side: the files as they were staged, put back for
every new worker, and which modules the notebook loader wrote (so that only its notes about
skipped cells reach the student).

Everything here is decided before any student code runs, or from what was read then: the worker
may rewrite its folder (without the private scratch layer), so nothing in it is trusted later.
"""
from __future__ import annotations

import os
import re
import shutil
import stat

from grader.sandbox.files import Refused, by_path, read_file


def snapshot(workdir, depth: int = 2) -> dict[str, bytes]:
    """The regular files of a freshly staged folder, by their path in it ('data/x.csv': a
    folder staging made, `depth` levels down), read through the safe reader
    (grader.sandbox.files: no link followed)."""
    out = {}
    for name in sorted(os.listdir(workdir)):
        path = os.path.join(workdir, name)
        if depth and stat.S_ISDIR(os.lstat(path).st_mode):
            out.update({f"{name}/{k}": v for k, v in snapshot(path, depth - 1).items()})
            continue
        try:
            out[name] = read_file(path)
        except (Refused, OSError):
            continue
    return out


def restore(workdir, files: dict[str, bytes], uid=None) -> None:
    """Put a submission's folder back as it was staged: each file removed, whatever stands at
    its name (a file, a link, a FIFO, a folder), and written anew, through a descriptor of the
    folder and without following links; what else a worker left there stays. A worker's own
    folder, made by the grader: nothing here reaches outside it. (Without descriptor-relative
    opens, Windows, and only in a student's own check: by path, _restore_by_path.)"""
    if by_path():
        return _restore_by_path(workdir, files)
    top = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for path, data in files.items():
            *folders, name = path.split("/")
            folder = _folder(top, folders, uid)
            try:
                _write(folder, name, data, uid)
            finally:
                if folder != top:
                    os.close(folder)
    finally:
        os.close(top)


def _folder(top: int, folders: list, uid) -> int:
    """The folder `folders` below `top` (a descriptor), made anew where anything else (a file,
    a link) stands at its name; never a link followed."""
    folder = top
    for part in folders:
        try:
            sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
        except OSError:
            try:
                os.unlink(part, dir_fd=folder)
            except FileNotFoundError:
                pass
            os.mkdir(part, 0o755, dir_fd=folder)
            sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            if uid is not None:
                os.fchown(sub, uid, uid)
        if folder != top:
            os.close(folder)
        folder = sub
    return folder


def _write(folder: int, name: str, data: bytes, uid) -> None:
    """`name` in `folder` written anew with `data`, whatever stood there removed first."""
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


def _restore_by_path(workdir, files: dict[str, bytes]) -> None:
    """restore by path: whatever stands at each name (a link or a junction removed as itself,
    never followed), then the file written anew."""
    from grader.sandbox.portable import BINARY, NO_INHERIT, is_link
    for name, data in files.items():
        path = os.path.join(workdir, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None and is_link(st):
            try:
                os.unlink(path)
            except OSError:           # a link to a folder, or a junction (Windows)
                os.rmdir(path)
        elif st is not None and stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path, ignore_errors=True)
        elif st is not None:
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY | NO_INHERIT, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)


# exactly what the notebook loader (grader.sandbox.notebooks) writes about a cell it skipped
_CELL_NOTE = re.compile(r"(?:(ex\d\d_[a-z0-9_]+)\.ipynb: )?(?:code )?cell \d{1,5}"
                        r"(?: \([A-Za-z_]\w{0,60}\.py\))? was skipped, "
                        r"(?:line \d{1,6} |it )(?:called sys\.exit\(\)|raised [A-Za-z_][\w.]{0,80}"
                        r"(?:: [^\n]{0,200})?)\. The cell starts: [^\n]{0,60}")
NOTEBOOK_LOADER = b"# The code cells of a notebook"


def is_cell_note(note, notebooks) -> bool:
    """Whether a note the worker sent is what the notebook loader writes about a skipped cell
    of one of this submission's notebooks: in the loader's exact words, about a module that
    was staged from a notebook (`notebooks`, decided at staging, before any student code ran).
    The worker runs student code, so anything else (e.g. "all checks passed" set by the
    student's own module) is dropped; no file of the worker's folder is read for it."""
    m = _CELL_NOTE.fullmatch(note) if isinstance(note, str) else None
    if m is None:
        return False
    return bool(notebooks) and (m.group(1) in notebooks if m.group(1) else True)


_STOPPED = re.compile(r"([A-Za-z_][\w.]{0,200})\.py: line (\d{1,7}) was "
                      r"(stopped|cut|skipped|not run)")


def stopped_note(note, timed) -> str | None:
    """The note for a statement at the top of a .py file that ran past its time and was
    stopped (grader.sandbox.inside.statements), where the worker's `note` names one of the
    modules staged from .py files (`timed`) in its exact words; None for anything else. The
    text shown is written here: the worker says only which file and line."""
    from grader.sandbox.inside.statements import STATEMENT_SECONDS
    m = _STOPPED.fullmatch(note) if isinstance(note, str) else None
    if m is None or m.group(1) not in timed:
        return None
    module, line = m.group(1), int(m.group(2))
    file = f"{module.replace('.', '/')}.py"
    if m.group(3) == "not run":
        return (f"{file}: the statement at line {line} and those after it were not run: the "
                f"statements above them had used the time an import has, so only the "
                f"definitions after them ran: "
                f"the checks call your functions, and a long experiment belongs under "
                f"`if __name__ == \"__main__\":`")
    if m.group(3) == "cut":
        return (f"{file}: the statement at line {line} was stopped when the import's time ran "
                f"out (the statements above it had used most of it), and the lines after it "
                f"ran only as definitions: the checks call your functions, and a long "
                f"experiment belongs under `if __name__ == \"__main__\":`")
    if m.group(3) == "skipped":
        return (f"{file}: the statement at line {line} raised an error after a statement above "
                f"it was stopped, so it was skipped too")
    return (f"{file}: the statement at line {line} ran longer than {STATEMENT_SECONDS} s, so it "
            f"was stopped and the lines after it ran: the checks call your functions, and a "
            f"long experiment belongs under `if __name__ == \"__main__\":`")

