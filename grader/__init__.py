"""The grading engine, the checks and the command line of the PyTorch exercises."""
import os as _os
import sys as _sys

__version__ = "0.1.0"


def _forget_current_directory() -> None:
    """Import nothing from the folder the grader was started in.

    `python -m grader` and `python -c` put the current folder first on sys.path, and an
    instructor may well run the grader from inside a class folder, which holds whatever the
    students uploaded: a `pytest.py`, a `numpy/`, a `sqlite3.py`. Those must never run in the
    grading process. This runs first, before anything else of the grader is imported. The
    package's own folder stays (running from a checkout of the package is how it finds
    `solutions/`). `torchdrills`, the console script, never had the current folder on sys.path.
    A `grader/` folder in the current folder is the one thing this cannot stop under
    `python -m grader` (Python imports it before any code of ours runs): from untrusted
    folders, run `torchdrills` or `python -P -m grader` (docs/security.md)."""
    try:
        cwd = _os.path.realpath(_os.getcwd())
    except OSError:  # the folder was removed under us
        cwd = None
    own_root = _os.path.dirname(_os.path.dirname(_os.path.realpath(__file__)))
    if cwd == own_root:
        return
    _sys.path[:] = [p for p in _sys.path
                    if p and (cwd is None or _os.path.realpath(p) != cwd)]


_forget_current_directory()
