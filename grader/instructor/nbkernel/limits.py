"""The kernel's limits as the instructor sets them (TORCHDRILLS_KERNEL_LIMITS, e.g.
`RLIMIT_AS=8G,RLIMIT_CPU=14400,scratch=1G,memory=10G`), and the lines that name a limit a cell
or the kernel reached."""
from __future__ import annotations

import os
import signal

from grader.instructor.nbkernel.settings import (KERNEL_OUTPUT_BYTES, KERNEL_OWN_BYTES,
                                                KERNEL_RLIMITS, KERNEL_SCRATCH_BYTES,
                                                KERNEL_WALL_SECONDS, LIMITS_VARIABLE)



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
    """{"rlimits": ..., "scratch_bytes": ..., "memory_bytes": ...}: KERNEL_RLIMITS and
    KERNEL_SCRATCH_BYTES, changed by TORCHDRILLS_KERNEL_LIMITS in `environ` (default
    os.environ, the instructor's): NAME=VALUE pairs, comma-separated, NAME an RLIMIT_*,
    `scratch`, `memory` (the total of the kernel and every process it starts; default a
    process's RLIMIT_AS and KERNEL_OWN_BYTES), `output` (what it may send out in all,
    KERNEL_OUTPUT_BYTES) or `wall` (seconds for the whole notebook, waits included,
    KERNEL_WALL_SECONDS), VALUE a number with an optional K, M, G or T, or
    `none` (no limit). ValueError for anything else: the kernel then does not start.

        TORCHDRILLS_KERNEL_LIMITS=RLIMIT_AS=8G,RLIMIT_CPU=14400,scratch=1G nbgrader autograde ex01
    """
    import resource
    environ = os.environ if environ is None else environ
    rlimits, scratch, memory = dict(KERNEL_RLIMITS), KERNEL_SCRATCH_BYTES, "default"
    output, wall = KERNEL_OUTPUT_BYTES, KERNEL_WALL_SECONDS
    for item in environ.get(LIMITS_VARIABLE, "").split(","):
        if not item.strip():
            continue
        name, eq, value = (part.strip() for part in item.partition("="))
        if not eq:
            raise ValueError(f"{LIMITS_VARIABLE}: {item.strip()!r} is not NAME=VALUE")
        if name.lower() == "scratch":
            scratch = _amount(name, value)
        elif name.lower() == "memory":
            memory = _amount(name, value)
        elif name.lower() == "output":
            output = _amount(name, value)
        elif name.lower() == "wall":
            wall = _amount(name, value)
        elif name.upper().startswith("RLIMIT_") and hasattr(resource, name.upper()):
            rlimits[name.upper()] = _amount(name, value)
        else:
            raise ValueError(f"{LIMITS_VARIABLE}: no limit is called {name!r} (RLIMIT_AS, "
                             f"RLIMIT_CPU, RLIMIT_FSIZE, ..., scratch, memory, output or wall)")
    if memory == "default":
        figure = rlimits.get("RLIMIT_AS") or rlimits.get("RLIMIT_DATA")
        memory = figure + KERNEL_OWN_BYTES if figure else None
    return {"rlimits": rlimits, "scratch_bytes": scratch, "memory_bytes": memory,
            "output_bytes": output, "wall_seconds": wall}


def cuda_build() -> bool:
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


def limit_notes(rlimits: dict, scratch_bytes, memory_bytes=None) -> dict:
    """What each limit is, in words: the line a cell that reached one gets (grader.sandbox.kernel_boot)."""
    notes = {}
    memory = rlimits.get("RLIMIT_AS") or rlimits.get("RLIMIT_DATA")
    if memory:
        notes["memory"] = f"{_size(int(memory))} of memory a process"
    if memory_bytes:
        notes["memory total"] = (f"{_size(int(memory_bytes))} of memory for the kernel and "
                                 f"every process it starts")
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
        why = (f"the end of its CPU time ({notes.get('cpu', 'no limit')}), its memory total "
               f"({notes.get('memory total', 'none set')}) or the machine's out-of-memory "
               f"killer")
    else:
        why = "its limits: " + "; ".join(notes.values()) if notes else "it has no limits"
    return (f"torchdrills kernel: the kernel was killed by {name} ({why}); this notebook "
            f"fails, the next one gets a new kernel")
