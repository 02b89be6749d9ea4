"""A worker and everything it starts share one memory budget.

RLIMIT_AS caps each process alone, so a function that forks children, each under the cap, once
held several times a worker's figure (6.6 GiB against 6 GiB). Where the grader may make a
memory cgroup (root, or a delegated cgroup: CI's machine), each zygote has one and the whole
tree is bounded; the zygote survives and grades the next call.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.sandbox import StudentError, Submission, Zygote
from grader.sandbox.memory import MemoryGroup

MB = 1024**2
BUDGET = 400 * MB

FORKS = '''
import os
import time


def held_together(children, megabytes):
    """How many children held `megabytes` each, all at the same time, and ended well."""
    r, w = os.pipe()
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            block = bytearray(megabytes * 2**20)
            block[::4096] = b"x" * len(block[::4096])   # touched: resident, not just reserved
            os.write(w, b".")
            time.sleep(1.0)
            os._exit(0)
        pids.append(pid)
    os.close(w)
    ok = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        ok += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return ok


def forward(x, w):
    return x * w
'''


def _has_memory_cgroups() -> bool:
    group = MemoryGroup.make()
    if group is None:
        return False
    group.close()
    return True


@pytest.mark.skipif(not _has_memory_cgroups(), reason="this machine lets the grader make no "
                    "memory cgroup (not root, no delegation): the layer reports itself off")
def test_a_workers_children_share_its_memory_budget(tmp_path):
    (tmp_path / "ex01_linear_model.py").write_text(FORKS)
    zygote = Zygote(memory_bytes=BUDGET)
    try:
        zygote.wait_ready()
        layer = {m.name: m for m in zygote.layers}["memory total"]
        assert layer.on, layer.detail
        group = zygote.memory
        assert group.limit() is not None and group.limit() <= group.usage() + BUDGET
        with Submission(tmp_path, zygote) as sub:
            assert sub.call("ex01.held_together", 2, 60) == 2       # 120 MB: within the budget
            try:    # 3 x 200 MB, each far under its own address-space cap, not together
                held = sub.call("ex01.held_together", 3, 200)
            except StudentError as err:       # the worker itself was the one killed
                held = err.kind
            assert held != 3
            assert group.peak() <= group.limit()
        with Submission(tmp_path, zygote) as sub:           # the zygote grades on
            assert sub.call("ex01.forward", 2.0, 3.0) == 6.0
        path = group.path
    finally:
        zygote.close()
    assert not Path(path).exists()                         # removed with the zygote


def test_without_a_memory_cgroup_the_layer_says_what_that_allows(monkeypatch):
    from grader.sandbox.layers import MemoryTotal, Setting
    off = MemoryTotal().measure(Setting(facts={"memory_group": "no memory cgroup here (x)"},
                                        mode="auto", as_root=False, bwrap=True))
    assert not off.on and "per process" in off.missing and "no memory cgroup" in off.detail
    on = MemoryTotal().measure(Setting(facts={"memory_group": 6 * 1024**3}, mode="auto",
                                       as_root=True, bwrap=True))
    assert on.on and "6 GiB" in on.detail
