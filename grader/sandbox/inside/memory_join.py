"""Joining the memory cgroup the grader made (grader.sandbox.memory), by a descriptor of its
cgroup.procs: the first thing the zygote and the notebooks' kernel do, so that everything they
start is counted in it. Inside code: the standard library only."""
from __future__ import annotations

import os


def join_memory_group(config) -> None:
    """Join the memory cgroup whose cgroup.procs the grader opened for this process (the
    descriptor "memory_fd"; grader.sandbox.memory): "0" is this process, whatever pid
    namespace it is in. Why not, if it fails, is config["memory_join_error"] (the zygote's
    facts, the kernel's line on the terminal). The zygote and the notebooks' kernel join."""
    fd = config.pop("memory_fd", None)
    if fd is None:
        return
    try:
        os.write(int(fd), b"0")
    except OSError as exc:
        config["memory_join_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            os.close(int(fd))
        except OSError:
            pass
