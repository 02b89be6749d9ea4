"""The grading process of a class run: one per local job (pool.py) and one per Dask worker
(cluster.py), the same code. It starts one zygote (torch imported once, the checks collected
once), says it is ready, then grades submissions one after another as the parent hands them
over, until it is told to stop; SIGTERM (a submission past its time limit) kills its zygote's
workers and ends it, and it dies with its parent.

    job = Job(request.to_dict(), html_dir="feedback/", jobs=2, references="table")
    proc = GradingProcess(multiprocessing.get_context("fork"), job)   # the parent's side

`grading_process` is the child's side: its start, then the loop every grading process has
(grader.engine.serving); the parent's side is grader.engine.service's Service.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.classroom.feedback import page_name
from grader.engine.request import GradeRequest
from grader.engine.service import Service, start_process
from grader.engine.serving import PipeRequests, Serving, table_of


def _die_with_parent():
    """Linux: this process gets SIGKILL when the process that started it dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


@dataclass(frozen=True)
class Job:
    """What every grading process of a class run is told: the request (as plain data: it
    crosses a process boundary), where feedback pages go, and how many processes share the
    machine."""

    request: dict
    html_dir: str | None = None
    jobs: int = 1
    references: str | None = None   # the run's reference table, a file
                                    # (grader.engine.reference_table)
    require: tuple = ()             # sandbox layers every zygote of the process must have
                                    # (Zygote(require=...); a cluster worker's)


def grading_process(conn, job: Job, parent: int, zygote=None, others=()):
    """Runs in each grading process: one zygote, then submissions one after another, served by
    the loop every grading process has (grader.engine.serving: its handshake, requests and
    answers), over `conn`, until None or the parent's end.

    Forked (Linux), it inherits the parent's warmed-up imports and a zygote the parent started
    for it; `others` are the parent's zygotes meant for other processes, closed here. Each
    request (submission, source, student, notes) is answered {"ok": True, "result": plain
    data}, its feedback page written here. A cluster worker's requests also carry their
    "request" (plain data; a worker serves one class run after another) and "references" (a
    table file); {"table": request} asks for the request's reference table, computed here."""
    _die_with_parent()
    # Ctrl-C is the parent's to handle; here it is only remembered: it reached the zygote too
    # (one process group), and what fails for that (its socket reset) ends this process
    # quietly, without a traceback or a result for the submission it was grading
    signal.signal(signal.SIGINT, lambda *_: _CTRL_C.append(True))
    for other in others:
        other.sock.close()
    if job.jobs > 1:
        import torch
        torch.set_num_threads(1)
    from functools import partial

    from grader.sandbox import Zygote
    new_zygote = partial(Zygote, require=job.require)
    request = GradeRequest.from_dict(job.request)
    if zygote is None:      # spawned: start one, and warm up while it boots
        zygote = new_zygote()
        warm_up(request.exercises)
    from grader.engine.runner import collected_checks, prepare_trusted_side, set_aside_warm_objects
    prepare_trusted_side(request.exercises)   # (forked: done in the parent already)
    collected_checks(request)   # collected once, for every submission of this process
    set_aside_warm_objects()
    serving = Serving(zygote, new_zygote, request, references=job.references,
                      after=partial(_after_grade, job.html_dir))
    signal.signal(signal.SIGTERM, lambda *_: _terminate(serving.zygote))
    try:
        serving.run(PipeRequests(conn, parent))
    except Exception:
        if _CTRL_C:
            os._exit(1)
        raise


_CTRL_C: list = []      # Ctrl-C came (grading_process)


def _after_grade(html_dir, result, message) -> None:
    """Once a submission is graded: its feedback page; and where Ctrl-C stopped its zygote
    meanwhile, no result of it: the process ends."""
    if html_dir:
        try:
            from grader.classroom.feedback import write_page
            write_page(result, Path(html_dir) / page_name(message["student"]),
                       student=message["student"], notes=message.get("notes", ()))
        except Exception as exc:  # noqa: BLE001 - a page is not worth a grade
            result.errors.append(f"no feedback page: {type(exc).__name__}: {exc}")
    if _CTRL_C:       # graded while Ctrl-C stopped its zygote: no result of that
        os._exit(1)


def _terminate(zygote):
    """SIGTERM (the submission ran out of time): kill the zygote's workers, whatever they are
    doing, and the zygote, then leave. Linux finds the workers in /proc; elsewhere they end
    when they read from their closed pipe or hit their CPU limit."""
    for pid in _children(zygote.proc.pid):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
    try:
        zygote.proc.kill()
    except OSError:
        pass
    spool = getattr(zygote, "spool", None)   # the submission's staged files
    if spool:
        shutil.rmtree(spool, ignore_errors=True)
    os._exit(1)


def _children(pid: int) -> list[int]:
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat_line = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat_line.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(name))
    return out


def warm_up(exercises):
    """Import the references and collect the checks once, so that the first submission costs
    no more than the others (saves seconds per grading process); and read the scoring digest a
    reference table is tied to (grader.engine.reference_table.version: every Python file that
    decides a score, parsed), so that the first table written or loaded does not wait for it."""
    import contextlib
    import io

    import pytest

    from grader.engine import reference, reference_table, runner
    try:
        reference_table.version()
    except Exception:  # noqa: BLE001 - read again where a table needs it
        pass
    for ex in exercises:
        try:
            reference.solution_module(ex)
        except Exception:  # noqa: BLE001 - the checks will report it
            pass
    files = runner.check_files(exercises)
    if files:
        with contextlib.redirect_stdout(io.StringIO()), runner.no_plugin_autoload():
            pytest.main(runner.pytest_args(files) + ["--collect-only"])


def write_reference_table(request: GradeRequest, path) -> None:
    """Compute the reference results of the run's checks once, in the parent, into the file
    `path` that every grading process loads (grader.engine.reference_table). Forked
    processes also inherit them, with the optimizer warm-up the computation includes."""
    from grader.engine import session as collected
    try:
        Path(path).write_bytes(table_of(request))
    finally:
        collected.forget()   # the children collect their own


class GradingProcess(Service):
    """A grading process, seen from the parent (grader.engine.service.Service over a
    multiprocessing pipe): None asks it to finish, 10 s before it is killed; SIGTERM (hard: a
    submission past its time limit) 3 s. Forked: `zygote` (started by the parent, which closes
    its own end of the zygote's socket here) goes to the child."""

    def __init__(self, ctx, job: Job, zygote=None, others=()):
        proc, pipe = start_process(ctx, grading_process,
                                   (job, os.getpid(), zygote, tuple(others)))
        super().__init__(proc, pipe, grace=10, hard_grace=3)
        self.conn = pipe.conn
        self.zygote = zygote
        if zygote is not None:
            zygote.sock.close()
        self.task = None
        self.ready = False     # set when the process says it has warmed up

    def give(self, task, timeout: float) -> None:
        """Hand it `task` (a submission of the class run), to be answered within `timeout`
        seconds (answer(): TimeoutError past it)."""
        self.task = task
        self.request({"submission": task["folder"],
                      **{k: task[k] for k in ("student", "source", "notes", "request")
                         if k in task}},   # request: its own
                     timeout)
