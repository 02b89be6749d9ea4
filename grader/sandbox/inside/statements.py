"""How a staged module runs in the worker: from the bytes the grader read (staged_spec), and
for a .py file as Python runs it, one top-level statement after another, except that a
statement running past STATEMENT_SECONDS (a training run or a plot loop at the top of the
file) is stopped and the statements after it run on, as a notebook's cell is skipped
(grader.sandbox.notebooks.CELL_SECONDS): the checks call the functions, and an experiment at
the top level would otherwise cost the whole exercise its import. The import as a whole has a
time of its own (Limits.import_seconds, set_import_time): once the timed statements have used
what it leaves for them, the rest are not run ("not run"), and the definitions still are, so
that several slow experiments cost their own output only. Anything else a statement
raises ends the import, as it does in Python, unless a statement above it was stopped: then it
is skipped too (it may need what the stopped one did not make).

    stopped = run_statements(code, "/work/ex01.py", module.__dict__)   # [(40, "stopped")]
"""
from __future__ import annotations

import __future__
import ast
import importlib.abc
import importlib.util
import os
import signal
import threading
import time

STATEMENT_SECONDS = 5
_running: list = []     # the files whose statement runs now (one import inside another)
_deadline: list = [None]  # time.monotonic() past which no timed statement of an import runs


def set_import_time(seconds: float | None) -> None:
    """The import about to run has `seconds` in all (the trusted side's limit): its timed
    statements and cells stop early enough to leave the definitions and the reply the rest."""
    _deadline[0] = None if seconds is None else time.monotonic() + max(0.8 * seconds - 0.5,
                                                                         0.2 * seconds)


def time_left(seconds: float) -> float:
    """How long the next timed statement or cell may run: `seconds`, or less where the
    import's own time ends first (0: it is not run)."""
    if _deadline[0] is None:
        return seconds
    left = _deadline[0] - time.monotonic()
    return min(seconds, left) if left > 0.05 else 0.0


class Stopped(BaseException):
    """Raised in a statement that ran too long: a BaseException, so that the student's own
    `except Exception:` does not swallow it."""


def _flags(tree: ast.Module) -> int:
    """The compiler flags of the file's `from __future__ import ...` lines, which each
    statement compiled on its own must keep."""
    flags = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def run_statements(code: bytes, path: str, scope: dict,
                   seconds: float = STATEMENT_SECONDS) -> list[tuple[int, str]]:
    """Run the module `code` in `scope`; return (line, "stopped", "cut", "skipped" or "not
    run") of the statements stopped (at their own limit, or "cut": at the time the import had
    left), of those not run for the import's time (time_left), and of those
    that raised after one was stopped (a print of what the
    stopped one made: skipped, as a notebook's next cell is). Without a timer (not the main
    thread, no setitimer) it runs as one piece."""
    whole = compile(code, path, "exec", dont_inherit=True)   # a SyntaxError, as Python's
    if _running or not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        exec(whole, scope)     # imported while a timed statement runs: within its time
        return []
    tree = ast.parse(code, path)
    flags = _flags(tree)
    stopped = []

    def too_long(signum, frame):
        if frame is not None and frame.f_code is run_statements.__code__:
            return          # the statement had just ended: nothing of it to stop
        raise Stopped()

    for node in tree.body:
        unit = _compiled(node, code, path, flags)
        timed = not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                      ast.Import, ast.ImportFrom))
        limit = time_left(seconds) if timed else seconds
        if timed and not limit:     # said once, for the first
            if not any(how == "not run" for _, how in stopped):
                stopped.append((node.lineno, "not run"))
            continue
        before = signal.signal(signal.SIGALRM, too_long) if timed else None
        if timed:
            signal.setitimer(signal.ITIMER_REAL, limit)
        if timed:
            _running.append(path)
        try:
            exec(unit, scope)
        except Stopped:     # past its own limit, or past what the import had left ("cut")
            stopped.append((node.lineno, "stopped" if limit >= seconds else "cut"))
        except Exception:   # noqa: BLE001 - as Python would, unless a stop came first
            if not stopped:
                raise
            stopped.append((node.lineno, "skipped"))
        finally:
            if timed:
                _running.pop()
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, before)
    return stopped


def _compiled(node, code: bytes, path: str, flags: int):
    """One top-level statement compiled, at its own lines. From its syntax tree; where that is
    too deep for the compiler's walk of a tree (a sum of 1 500 terms, which Python compiles
    from text), from its text, read from the file at the same lines."""
    try:
        return compile(ast.Module(body=[node], type_ignores=[]), path, "exec", flags=flags,
                       dont_inherit=True)
    except RecursionError:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        lines = code.decode("utf-8", "replace").splitlines(keepends=True)
        part = lines[first - 1:node.end_lineno]
        if first == node.lineno:                 # after a `;` on its line
            part[0] = part[0][node.col_offset:] if len(part) > 1 else \
                part[0][node.col_offset:node.end_col_offset]
        if len(part) > 1 and node.end_col_offset is not None:
            part[-1] = part[-1][:node.end_col_offset]
        return compile("\n" * (first - 1) + "".join(part), path, "exec", flags=flags,
                       dont_inherit=True)


class _StagedLoader(importlib.abc.Loader):
    """Runs a staged module from the bytes taken when the worker started."""

    def __init__(self, code: bytes, path: str, stops: list | None = None):
        self.code, self.path = code, path
        self.stops = stops      # a .py file's: where a statement stopped for its time is said

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = self.path
        if self.stops is None:
            module.__dict__["__time_left__"] = time_left    # a notebook's cells read it
            exec(compile(self.code, self.path, "exec", dont_inherit=True), module.__dict__)
            return
        for line, how in run_statements(self.code, self.path, module.__dict__):
            self.stops.append(f"{os.path.basename(self.path)}: line {line} was {how}")

    def get_source(self, name):   # tracebacks and linecache show the staged text
        return self.code.decode("utf-8", "replace")


def staged_spec(name, code, path, package=False, stops=None):
    """The import spec of a module staged from `code` (a package's where `package`); `stops`:
    the list that says where a statement was stopped (run_statements), for a .py file."""
    return importlib.util.spec_from_loader(name, _StagedLoader(code, path, stops), origin=path,
                                           is_package=package)
