"""One memory cgroup per zygote, made on the trusted side: a worker and every process it starts
share one memory budget, whatever they fork.

    group = MemoryGroup.make()             # None where this machine lets the grader make none
    fd = group.open_procs()                # passed to the zygote, which joins it at once
    group.limit_beyond_usage(6 * 1024**3)  # once the zygote is ready: its own size + the budget
    group.close()                          # kills what is left in it, removes it

RLIMIT_AS caps each process alone: a worker that forks four children holds four times its
figure. The zygote joins the group before it imports torch (it writes "0", itself, into the
cgroup.procs file the grader opened for it: no path, no /sys, needed inside the sandbox), so
everything forked from it is in the group, and the kernel's OOM killer acts inside the group
only: a worker is chosen before the zygote (grader.sandbox.inside.zygote._child raises its
oom_score_adj), the grader and the other submissions are never touched.

cgroup v1 (a `memory` hierarchy) or v2 where the grader's own cgroup may have children with the
memory controller; elsewhere (not root, no delegation) `make` returns None with the reason in
`MemoryGroup.why_not`, and the layer "memory total" says so.
"""
from __future__ import annotations

import os
import signal
import time

V1, V2 = "/sys/fs/cgroup/memory", "/sys/fs/cgroup"
PREFIX = "grader-memory-"


class MemoryGroup:
    why_not = ""

    def __init__(self, path: str, v2: bool):
        self.path, self.v2 = path, v2

    # -- making one
    @classmethod
    def make(cls) -> "MemoryGroup | None":
        try:
            parent, v2 = _own_parent()
            _remove_stale(parent)
            path = os.path.join(parent, f"{PREFIX}{os.getpid()}-{time.monotonic_ns() % 10**9}")
            os.mkdir(path)
            if v2 and not os.path.exists(os.path.join(path, "memory.max")):
                os.rmdir(path)
                raise OSError("the memory controller is not delegated to the grader's cgroup")
            return cls(path, v2)
        except (OSError, ValueError) as exc:
            cls.why_not = f"no memory cgroup here ({exc})"
            return None

    def open_procs(self) -> int:
        """A descriptor of the group's cgroup.procs, for the zygote to join it by writing "0"."""
        return os.open(os.path.join(self.path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)

    # -- its limit
    def usage(self) -> int:
        return int(self._read("memory.current" if self.v2 else "memory.usage_in_bytes"))

    def peak(self) -> int | None:
        try:
            return int(self._read("memory.peak" if self.v2 else "memory.max_usage_in_bytes"))
        except (OSError, ValueError):
            return None

    def limit_beyond_usage(self, budget: int) -> int:
        """Limit the group to what it holds now (the zygote: torch, imported once) plus
        `budget` (a worker's figure), swap included where the machine has it."""
        limit = self.usage() + int(budget)
        if self.v2:
            self._write("memory.max", limit)
            self._write("memory.swap.max", 0, missing_ok=True)
        else:
            self._write("memory.limit_in_bytes", limit)
            self._write("memory.memsw.limit_in_bytes", limit, missing_ok=True)
        return limit

    def limit(self) -> int | None:
        try:
            text = self._read("memory.max" if self.v2 else "memory.limit_in_bytes")
        except OSError:
            return None
        return None if text == "max" else int(text)

    # -- the end
    def close(self) -> None:
        """SIGKILL whatever is left in the group, then remove it."""
        _empty_and_remove(self.path)

    def _read(self, name) -> str:
        with open(os.path.join(self.path, name)) as f:
            return f.read().strip()

    def _write(self, name, value, missing_ok=False) -> None:
        try:
            with open(os.path.join(self.path, name), "w") as f:
                f.write(str(value))
        except FileNotFoundError:
            if not missing_ok:
                raise


def _own_parent() -> tuple[str, bool]:
    """The folder of this process's own memory cgroup (v1), or its unified cgroup (v2)."""
    with open("/proc/self/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for _id, controllers, path in lines:
        if "memory" in controllers.split(",") and os.path.isdir(V1):
            return os.path.join(V1, path.lstrip("/")), False
    for _id, controllers, path in lines:
        if _id == "0" and controllers == "" and os.path.exists(os.path.join(V2,
                                                                            "cgroup.controllers")):
            return os.path.join(V2, path.lstrip("/")), True
    raise OSError(0, "this machine has no memory cgroup hierarchy")


def _remove_stale(parent: str) -> None:
    """Groups left by graders that were killed (their pid is gone)."""
    for name in os.listdir(parent):
        if not name.startswith(PREFIX):
            continue
        try:
            os.kill(int(name[len(PREFIX):].split("-")[0]), 0)
            continue
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue
        _empty_and_remove(os.path.join(parent, name))


def _empty_and_remove(path: str, rounds: int = 500) -> None:
    for _ in range(rounds):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            return                    # gone
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.002)
    try:
        os.rmdir(path)
    except OSError:
        pass
