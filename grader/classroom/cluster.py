"""grade-class on a Dask cluster: lab machines, SLURM through dask-jobqueue, Kubernetes.

    python -m grader grade-class submissions/ --cluster tcp://scheduler:8786
    python -m grader grade-class submissions/ --cluster scheduler.json   # a scheduler file

The instructor's process gathers the class exactly as a local run does, sends each submission to
the cluster as bytes (its gathered exercise files, `pack`), and writes the gradebook itself: it
is the only writer. On a Dask worker, `grade_bytes` writes those files, under their own names,
into a private folder, and the worker's grading process grades that folder with the same
staging, sandbox and checks as a local run: each Dask worker process keeps one grading process
(a local run's, grader.classroom.process: its zygote, torch imported once, and the checks,
collected once) for its whole life. As a run starts, every worker warms its up at once
(`check_worker`), and the first one free computes the run's reference results (`references`,
grader.engine.reference_table): an inert table, sent to every worker once (`keep_table`) before
the grading tasks are handed out, which name it. What comes back is the result as JSON text, the
same plain data the gradebook and the Gradescope JSON are written from: nothing a student made
is ever unpickled here.

A task whose worker dies is run again on another worker (Dask retries it); a result is
recorded when it arrives, once. A run that was stopped goes on where it stopped, as a local
run does. See docs/cluster.md.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from grader.classroom.packing import pack, unpack
from grader.classroom.process import Job, grading_process
from grader.engine.service import Service, dropped, error_result, running, start_with_socket
from grader.engine.request import GradeRequest
from grader.engine.result import GradeResult

# Each Dask worker process: one zygote for its whole life, one submission at a time.
_STATE: dict = {}
_LOCK = threading.Lock()
_FILES = threading.RLock()     # this worker's folder and its tables (kept while one grades)


class ClusterUnavailable(RuntimeError):
    """Dask's distributed package is missing, or the scheduler cannot be reached."""


def client_for(address: str, timeout: float = 30.0):
    """A distributed.Client for a scheduler address (tcp://host:8786) or a scheduler file
    (the JSON file `dask scheduler --scheduler-file` writes)."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterUnavailable("grading on a cluster needs Dask: pip install "
                                 "'torchdrills[cluster]' (or: pip install distributed)") from None
    try:
        if address.endswith(".json") and Path(address).is_file():
            return Client(scheduler_file=address, timeout=timeout)
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") \
            from None


# Layers a Dask worker must have before it runs any student code. Dask's network carries
# pickles between the scheduler, the workers and the instructor's client, with no password: a
# submission that can open a connection to it can run code in any of them (a reviewer recorded
# another student's grade as 0 and ran a command in the instructor's process that way). The
# "no network" layer keeps student code off that network; and the network namespace must not
# be undone by code planted for the zygote's next start, which a worker running as the grader's
# own user on a writable disk could do (a .pth file in the user's site-packages, then killing
# its zygote): so a separate user or the read-only view is required too. Every zygote of a
# worker's grading process is held to them as it starts (Zygote(require=...)), restarts too.
REQUIRED = (("no network",), ("separate user", "read-only view"))


class UnsafeWorker(RuntimeError):
    """This Dask worker lacks a layer that grading on a cluster requires (REQUIRED)."""


START_TIMEOUT = 300.0   # seconds a grading process may take to start (torch, zygote, checks)
SERVE = "from grader.classroom.cluster import serve; serve()"   # the grading process's start


class _Grader(Service):
    """This Dask worker's grading process: the same as a local run's (grader.classroom.process),
    with the zygote, the sandbox and the checks, collected once, for the worker's whole life. It
    runs apart from Dask's own threads (they would share its interpreter lock); this process
    only hands it submissions and waits. Started with subprocess, not multiprocessing (a Dask
    worker process is daemonic: it may not have multiprocessing children), from a thread that
    lives as long as this process, so that the grading process dies with it (PDEATHSIG follows
    the thread that started a process). Its messages go over a socket pair; it stops on SIGTERM
    (it kills its zygote's workers, whatever they are doing, then leaves), killed after 5 s."""

    def __init__(self, request: dict):
        import sys

        from grader.sandbox.launcher import ROOT, with_package_path
        proc, pipe = start_with_socket(   # in the package's folder: what -c puts on sys.path
            lambda fd: [sys.executable, "-c", SERVE, str(fd), str(os.getpid())],
            popen=lambda *a, **kw: _keeper().submit(subprocess.Popen, *a, **kw).result(),
            stdin=subprocess.DEVNULL, env=with_package_path(), cwd=str(ROOT))
        super().__init__(proc, pipe, ending="terminate", grace=5)
        self.send(Job(request, require=REQUIRED))

    def wait_ready(self, timeout: float = START_TIMEOUT) -> list:
        """Its sandbox's measured layers, once it is warm; UnsafeWorker (and it grades
        nothing) if it lacks a layer that grading on a cluster requires."""
        if self.layers is None:
            try:
                ready = super().wait_ready(timeout)
            except TimeoutError:
                raise RuntimeError(f"the grading process did not start within "
                                   f"{timeout:g} s") from None
            if "error" in ready:    # its zygote could not start, and it ended
                raise EOFError
            if not ready["ready"]:
                raise UnsafeWorker(unsafe_reason(ready["lacking"]))
        return self.layers

    def ask(self, message: dict, timeout: float) -> dict:
        self.wait_ready()
        return super().ask(message, timeout)


def serve() -> None:
    """The grading process of a Dask worker (see _Grader): argv holds the socket and the
    worker's pid; the first message is the job."""
    import sys
    from multiprocessing.connection import Connection

    conn = Connection(int(sys.argv[1]))
    grading_process(conn, conn.recv(), int(sys.argv[2]))


def _keeper():
    """One thread, for as long as this process lives, that starts the grading process."""
    if "keeper" not in _STATE:
        from concurrent.futures import ThreadPoolExecutor
        _STATE["keeper"] = ThreadPoolExecutor(1, "grader-keeper")
    return _STATE["keeper"]


def _grader(request: dict) -> _Grader:
    """This worker's grading process, started if it is not running (hold _LOCK)."""
    _STATE["grader"] = running(_STATE.get("grader"), lambda: _Grader(request))
    return _STATE["grader"]


def _drop_grader() -> None:
    dropped(_STATE.pop("grader", None))


def unsafe_reason(missing) -> str:
    return (f"this Dask worker lacks the sandbox layer {', '.join(missing)}: student code could "
            f"reach the cluster's network, which carries code to every worker and to the "
            f"instructor's process. Give the workers network namespaces (bubblewrap, or "
            f"unprivileged user namespaces) and a separate user (the grader as root) or "
            f"bubblewrap's read-only view (docs/cluster.md), then grade again.")


async def check_worker(request: dict) -> str:
    """Run by `client.run` on every worker as a class run starts, before anything is handed
    out: starts the worker's grading process if needed and waits until it is warm (its zygote
    booted, the checks collected); "" when this worker may grade, else why not. In a thread:
    the worker's event loop goes on meanwhile."""
    import asyncio

    def check():
        from grader.sandbox.launcher import sweep_stale_temp
        with _LOCK:
            try:
                sweep_stale_temp("grader-cluster-")   # left by workers killed on this machine
                _grader(request).wait_ready()
            except UnsafeWorker as exc:
                _drop_grader()
                return str(exc)
            except Exception:  # noqa: BLE001 - another failure: each submission tells it
                _drop_grader()
            return ""
    return await asyncio.get_running_loop().run_in_executor(None, check)


def keep_table(table: bytes) -> str:
    """Run by `client.run` on every worker once a class run's reference table is computed
    (grader.engine.reference_table): written once per worker, as a file for its grading
    process; the run's tasks name it by its digest (returned). "" for none."""
    if not table:
        return ""
    digest = hashlib.blake2b(table, digest_size=16).hexdigest()
    with _FILES:
        written = _STATE.setdefault("tables", {})   # digest -> file, least recently used first
        path = written.pop(digest, None)
        if path is None or not Path(path).is_file():
            path = str(_folder() / f"table-{digest}")
            Path(path).write_bytes(table)
        written[digest] = path
        while len(written) > KEEP_TABLES:           # runs long over: their tables go
            Path(written.pop(next(iter(written)))).unlink(missing_ok=True)
    return digest


def _table_file(digest: str) -> str:
    """The file of the table keep_table kept under `digest`; "" for none (a worker that
    joined or restarted since: its grading process computes the references it needs)."""
    with _FILES:
        written = _STATE.setdefault("tables", {})
        path = written.pop(digest, None) if digest else None
        if path is None or not Path(path).is_file():
            return ""
        written[digest] = path                       # used last
        return path


KEEP_TABLES = 4     # the tables a worker keeps: of the class runs it may serve side by side


def _folder() -> Path:
    """This worker's private folder (the tables, the submissions being graded), removed when
    the worker ends; one of a worker killed before it could is swept as a run starts
    (check_worker)."""
    with _FILES:
        folder = _STATE.get("folder")
        if folder is None or not folder.is_dir():    # (a cleaner may empty /tmp under it)
            import atexit
            folder = _STATE["folder"] = Path(tempfile.mkdtemp(
                prefix=f"grader-cluster-{os.getpid()}-"))
            atexit.register(shutil.rmtree, folder, True)
        return folder


def references(request: dict) -> bytes:
    """Runs on one Dask worker, once per class run: the reference results of the run's checks
    as a table the grading tasks load (grader.engine.reference_table), computed by the
    worker's grading process; b"" if that fails."""
    with _LOCK:
        try:
            return _grader(request).ask({"table": request}, START_TIMEOUT)["table"]
        except Exception:  # noqa: BLE001 - a cache: each worker then computes its own
            _drop_grader()
            return b""


def grade_bytes(blob: bytes, request: dict, source: str = "", table: str = "",
                timeout: float = 600.0) -> str:
    """Runs on a Dask worker: grade one submission (`pack`'s bytes) as `request` (plain data)
    says, with the run's reference table (`references`; `table`: its digest, keep_table), in
    the worker's grading process, within
    `timeout` seconds; return the result as JSON text. A failure of the grading machinery is a
    result with the reason in `errors`, never an exception (so Dask does not retry a
    submission that fails the same way everywhere)."""
    with _LOCK:   # pytest, and a zygote, serve one submission at a time
        work = Path(tempfile.mkdtemp(dir=_folder()))
        try:
            graded = _grade_files(blob, work, request, source, table, timeout)
            if not isinstance(graded, str):
                return json.dumps(graded)
            why = graded
            result = error_result(source, GradeRequest.from_dict(request), why)
            data = result.to_dict()
            data["notes for the gradebook"] = [why]   # as a local run notes it
            return json.dumps(data)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _grade_files(blob, work: Path, request: dict, source, table, timeout):
    """The result of the submission `blob` (plain data), written into `work` and graded by
    this worker's grading process; or why it was not graded (a str)."""
    try:
        unpack(blob, work)
    except (OSError, ValueError) as exc:   # never graded from what part of it was written
        return f"the worker could not write the submission's files: {type(exc).__name__}: {exc}"
    for attempt in (1, 2):   # a grading process that ended: once more, in a new one
        try:
            task = {"student": source, "submission": str(work), "source": source,
                    "notes": [], "request": request, "references": _table_file(table)}
            return _grader(request).ask(task, timeout)["result"]
        except TimeoutError:
            _drop_grader()
            return f"grading stopped after {timeout:g} s (the time limit of one submission)"
        except UnsafeWorker as exc:   # a worker that joined after the run's check
            _drop_grader()
            return f"not graded: {exc}"
        except Exception as exc:  # noqa: BLE001 - this submission only
            _drop_grader()
            why = f"grading failed on the cluster: {type(exc).__name__}: {exc}"
    return why


def _lost_counts(dask_scheduler=None, keys=()) -> dict:
    """Runs on the scheduler: how often each task's worker died while running it."""
    return {k: dask_scheduler.tasks[k].suspicious for k in keys if k in dask_scheduler.tasks}


def run_on_cluster(tasks, client, request: GradeRequest, record, *, progress=None,
                   timeout: float = 600.0):
    """Grade `tasks` (dicts with student, folder, source, hash) on the cluster `client` is
    connected to (see client_for);
    `record(task, result)` is called in this process for each one, once, as it arrives.
    `progress(event, task)` hears "done", "failed" and "retried" (its worker died and it
    runs again elsewhere). `timeout` bounds the grading of one submission on its worker.

    The workers warm up and are checked; the first one free computes the run's reference
    results, which are then sent to every worker once (keep_table; workers that join later too),
    before the submissions are handed out: no worker computes the references again for its first
    ones, and a submission's table is no data Dask places it by (tasks that took the table's
    future along all went to the one worker that held it). Submissions are packed and handed out
    as results come back, a few per worker thread ahead (`in_flight`): a class of 50 000 is
    never all in memory, here or on the scheduler, and workers that join later get their share."""
    from distributed import as_completed, wait

    progress = progress or (lambda event, task: None)
    plain = request.to_dict()
    futures: dict = {}
    unsafe = {worker: why for worker, why in client.run(check_worker, plain).items() if why}
    if unsafe:
        worker, why = sorted(unsafe.items())[0]
        raise ClusterUnavailable(f"{len(unsafe)} of the cluster's workers may not grade "
                                 f"(e.g. {worker}): {why}")
    # the reference results, once for the run, on the first worker free, then kept by every
    # worker (keep_table): the submissions name them (computed before any is handed out; past
    # START_TIMEOUT, those handed out before them compute what they need)
    reference = client.submit(references, plain, pure=False, priority=10)
    table, kept = "", set()
    gpu = {"GPU": 1} if request.device == "cuda" else None  # workers started with
    waiting = list(enumerate(tasks))                          # --resources GPU=1
    waiting.reverse()
    done_so_far = as_completed(loop=client.loop)   # this client's, not the latest made here
    run = uuid.uuid4().hex[:16]     # in every task's key: runs side by side never share one
    retried: set = set()
    last = asked = time.monotonic()
    room = in_flight(client)

    def share():
        """The reference table, once computed, to each worker once (joined ones too)."""
        nonlocal table
        workers = set(client.scheduler_info().get("workers", {})) - kept
        if reference.status == "finished" and workers:
            blob = reference.result()
            kept.update(workers)
            client.run(keep_table, blob, workers=sorted(workers), on_error="ignore")
            table = hashlib.blake2b(blob, digest_size=16).hexdigest() if blob else ""

    def hand_out():
        while waiting and len(futures) < room:
            i, task = waiting.pop()
            # a submission whose unchanged exercises keep their grading carries its own
            # request, those left to grade (grader.classroom.run), as a local run's does
            future = client.submit(grade_bytes, pack(task["folder"]), task.get("request", plain),
                                   task["source"], table, timeout, pure=False, resources=gpu,
                                   key=f"grade-{run}-{i}")
            futures[future] = task
            done_so_far.add(future)

    recent: list = []   # finished since the scheduler was last asked about retries

    def ask_about_retries():
        """Tell "retried" for the submissions whose worker died under them (once each),
        running or finished since the last time: the scheduler knows while they are held."""
        nonlocal room
        held = [(f, t) for f, t in [*futures.items(), *recent] if f.key not in retried]
        lost = client.run_on_scheduler(_lost_counts, keys=[f.key for f, _ in held]) \
            if held else {}
        for future, task in held:
            if lost.get(future.key):
                retried.add(future.key)
                progress("retried", task)
        recent.clear()
        room = in_flight(client)
        share()

    try:
        try:
            wait([reference], timeout=START_TIMEOUT)
        except TimeoutError:
            pass
        last = time.monotonic()
        share()
        hand_out()
        while futures:
            finished = done_so_far.next_batch(block=False) if done_so_far.has_ready() else []
            for future in finished:
                task = futures.pop(future)
                recent.append((future, task))
                try:
                    data = json.loads(future.result())
                    notes = data.pop("notes for the gradebook", [])
                    result = GradeResult.from_dict(data)
                    task["notes"] = list(task.get("notes", ())) + [str(n) for n in notes]
                    event = "failed" if result.errors else "done"
                except Exception as exc:  # noqa: BLE001 - lost for good (workers kept dying)
                    result = error_result(task["source"], request, f"the cluster could not "
                                          f"grade this submission: {type(exc).__name__}: {exc}")
                    event = "failed"
                record(task, result)
                progress(event, task)
                last = time.monotonic()
            if time.monotonic() - asked > 1.0 or not futures:   # once a second at most
                asked = time.monotonic()
                ask_about_retries()
            hand_out()
            if finished or not futures:
                continue
            time.sleep(0.05)
            if time.monotonic() - last > timeout + START_TIMEOUT:
                client.cancel(list(futures))
                stuck = list(futures.values()) + [task for _, task in reversed(waiting)]
                futures.clear()
                waiting.clear()
                for task in stuck:
                    record(task, error_result(task["source"], request, f"no result from "
                                              f"the cluster within "
                                              f"{timeout + START_TIMEOUT:g} s"))
                    progress("failed", task)
    finally:
        client.cancel(list(futures) + [reference])


def in_flight(client) -> int:
    """How many submissions may be on the cluster at once: two per worker thread, and two
    more (the scheduler's list of workers, as it stands: an adaptive cluster grows)."""
    workers = client.scheduler_info().get("workers", {})
    return 2 * sum(max(1, int(w.get("nthreads", 1))) for w in workers.values()) + 2
