"""The local pool of a class run: `jobs` grading processes (process.py) on this machine, each
handed one submission at a time; a submission past its time limit, or whose process ended,
costs only itself (its process is replaced). The caller records each result (`record`).

    run_tasks(tasks, request, job, timeout, record, bar)
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
from multiprocessing.connection import wait
from pathlib import Path

from grader.classroom.interrupt import check
from grader.classroom.process import GradingProcess, warm_up, write_reference_table
from grader.engine.service import dropped, error_result, running
from grader.engine.request import GradeRequest
from grader.engine.result import GradeResult


def run_tasks(tasks, request: GradeRequest, job, timeout, record, bar) -> None:
    """Hand the submissions (`tasks`, a deque of readable ones) to the grading processes one at
    a time. `record(task, result, page=False)` is called here for each one, once (page: its
    feedback page is to be written from the gradebook: no grading process wrote it); `bar`
    (progress.Bar) hears each one done."""
    method = start_method(request.device)
    fork = method == "fork"
    ctx = multiprocessing.get_context(method)
    n = min(job.jobs, len(tasks))
    zygotes = []

    def start(count):
        """Start `count` grading processes. Forked: the zygotes boot first (they import torch),
        while this process warms up once for all of its children."""
        if not fork:
            return [GradingProcess(ctx, job) for _ in range(count)]
        from grader.sandbox import Zygote
        new = [Zygote() for _ in range(count)]
        zygotes.extend(new)
        warm_up(request.exercises)
        if not Path(job.references).exists():   # while the zygotes boot, once
            write_reference_table(request, job.references)
        return [GradingProcess(ctx, job, z, new[i + 1:]) for i, z in enumerate(new)]

    def start_one():
        return start(1)[0]

    procs = start(n)        # a slot each; None where one was dropped and none started since
    if not Path(job.references).exists():   # spawned: while they boot
        write_reference_table(request, job.references)
    failed_starts = 0
    try:
        while tasks or any(p is not None and p.task for p in procs):
            check()      # a Ctrl-C swallowed while the processes started (interrupt.py)
            for i, p in enumerate(procs):
                if p is None and tasks:     # the restart (grader.engine.service)
                    procs[i] = p = running(None, start_one)
                if p is not None and p.ready and p.task is None and tasks:
                    p.give(tasks.popleft(), timeout)   # its time limit starts now
            live = [p for p in procs if p is not None]
            wait([p.conn for p in live] + [p.proc.sentinel for p in live], timeout=0.25)
            for i, p in enumerate(procs):
                if p is None:
                    continue
                try:
                    message = p.answer()    # None: none yet, within its time limit
                except (TimeoutError, EOFError, OSError) as exc:
                    overdue = isinstance(exc, TimeoutError)
                else:
                    if message is None:
                        continue
                    if "ready" in message:  # not ready: it ends, and is told so below
                        p.ready = bool(message["ready"])
                        continue
                    record(p.task, GradeResult.from_dict(message["result"]))
                    bar.advance(p.task["student"])
                    p.task = None
                    continue
                task = p.task
                procs[i] = dropped(p, hard=True)
                if task is not None:
                    why = (f"grading stopped after {timeout:g} s (the time limit of one "
                           f"submission)" if overdue else
                           f"the grading process ended unexpectedly (exit code "
                           f"{p.proc.exitcode})")
                    task["notes"] = list(task.get("notes", ())) + [why]
                    record(task, error_result(task["source"], request, why), page=True)
                    bar.advance(task["student"])
                elif not p.ready:
                    failed_starts += 1
                    if failed_starts >= 3:
                        raise RuntimeError(f"the grading processes could not start (exit code "
                                           f"{p.proc.exitcode}); try `python -m grader grade` "
                                           f"on one submission to see why")
            bar.refresh()
    finally:
        live = [p for p in procs if p is not None]
        for p in live:           # ask them all first: they shut down side by side
            p.ask_to_stop(hard=p.task is not None)
        for p in live:
            p.stop(hard=p.task is not None)
        for z in zygotes:       # started here: reaped here (they end when their socket closes)
            _reap(z)


def _reap(zygote):
    try:
        zygote.proc.wait(timeout=5)
    except Exception:  # noqa: BLE001 - still running: stop it
        try:
            zygote.proc.kill()
            zygote.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass
    spool = getattr(zygote, "spool", None)   # the zygote's private folder, if it has one
    if spool:
        shutil.rmtree(spool, ignore_errors=True)


def start_method(device="all") -> str:
    """How grading processes start: "fork" (Linux, CPU: they inherit this process's warm
    imports and reference table) or "spawn" (elsewhere, and wherever torch sees a GPU, whatever
    the class's device: there a process forked from one that ran autograd cannot run autograd
    ("Unable to handle autograd's threading in combination with fork-based multiprocessing"),
    and this process runs the references before it forks; a correct ex02 scored 32/50 so on an
    H100 machine). GRADER_START_METHOD=fork|spawn decides, except that fork is never used where
    it breaks autograd."""
    forced = os.environ.get("GRADER_START_METHOD", "")
    from grader.sandbox.device import cuda_available   # (through NVML: this process may still fork)
    if not sys.platform.startswith("linux") or cuda_available():
        return "spawn"
    if forced in ("fork", "spawn"):
        return forced
    if device != "cpu":
        import torch
        if torch.version.cuda or getattr(torch.version, "hip", None):
            return "spawn"
    return "fork"

