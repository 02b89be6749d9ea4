"""The trust boundary: student code runs in a worker process; the grader gets inert data back.

    zygote = Zygote()                     # one per grading process: imports torch once
    sub = Submission("alice/", zygote)    # copies alice's exNN_*.py into a private temp folder
    sub.call("ex02.gradient", [1., 2.], [2., 4.], 1.0)   # runs in alice's worker, returns data
    sub.close()

The rooms, trusted side first:

    launcher.py   the Zygote: started once, clean, with torch imported; forks the workers
    submission.py Submission: one student's files and worker, its calls, timeouts and notes
    process.py    one forked worker: its pipes, its deadline, how it ended
    workdir.py    a worker's folder: kept as staged, restored for each new worker
    replies.py    what a reply may hold, and its schema
    limits.py     Limits and the rlimits a worker gets
    staging.py    the one way a submission's files enter
    view.py       the read-only view (bubblewrap) and where the secrets lie
    layers.py     the layers, declared: how each is applied, measured and described
    protocol.py   the frames that cross the boundary: inert data, shared by both sides
    plain.py      a student's own `check` where the sandbox cannot run (macOS, Windows):
                  plain subprocesses as workers; never used to grade
    portable.py   the rooms' fallbacks for that check where POSIX is missing (Windows):
                  files read by path, threads waiting on pipes; refused anywhere else
    inside/       what runs in the worker process (the zygote, the request loop, the
                  confinement); it imports nothing of the trusted side

The names below are loaded from their room when first used, so that a worker, which imports
grader.sandbox.protocol and therefore this package, loads no room of the trusted side.
"""
from __future__ import annotations

import importlib

_ROOMS = {
    "launcher": ("Zygote", "ZygoteDied", "LayersMissing", "SandboxRefused", "SANDBOX_MODES",
                 "sweep_stale_temp", "with_package_path", "worker_env", "SandboxUnavailable",
                 "sandbox_missing"),
    "submission": ("Submission", "StudentError"),
    "limits": ("Limits", "DEFAULT_LIMITS", "SHARED_UID_NPROC", "CUDA_NPROC", "effective_rlimits"),
    "staging": ("stage_submission",),
    "view": ("secret_locations", "secret_modules", "SecretReachable", "bwrap_command"),
    "layers": ("LAYERS",),
}
_WHERE = {name: room for room, names in _ROOMS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    room = _WHERE.get(name)
    if room is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{room}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
