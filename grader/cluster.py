"""grade-class on a Dask cluster: lab machines, SLURM through dask-jobqueue, Kubernetes.

    python -m grader grade-class submissions/ --cluster tcp://scheduler:8786
    python -m grader grade-class submissions/ --cluster scheduler.json   # a scheduler file

The instructor's process gathers the class exactly as a local run does, sends each submission
to the cluster as bytes (a zip of its exercise files), and writes the gradebook itself: it is
the only writer. On a Dask worker, `grade_bytes` writes the zip to a private folder and grades
it with the same staging, sandbox and checks as a local run; the worker process keeps one
zygote (torch imported once) and its checks, collected once, for its whole life; as a run
starts, every worker warms up at once (`warm_worker`), and the first one free computes the
run's reference results (`references`, grader.instructor.reference_table), which the grading
tasks handed out after it take along as an inert table. What comes back is the result as
JSON text, the same plain data the gradebook and the Gradescope JSON are written from:
nothing a student made is ever unpickled here.

A task whose worker dies is run again on another worker (Dask retries it); a result is
recorded when it arrives, once. A run that was stopped goes on where it stopped, with the
stored seed, as a local run does. See docs/cluster.md.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from grader.request import GradeRequest
from grader.result import GradeResult

# Each Dask worker process: one zygote for its whole life, one submission at a time.
_STATE: dict = {}
_LOCK = threading.Lock()


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


def pack(folder) -> bytes:
    """The gathered exercise files of one submission (a flat folder) as zip bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(Path(folder).iterdir()):
            if path.is_file() and not path.is_symlink():
                zf.writestr(path.name, path.read_bytes())
    return buf.getvalue()


# Layers a Dask worker must have before it runs any student code. Dask's network carries
# pickles between the scheduler, the workers and the instructor's client, with no password: a
# submission that can open a connection to it can run code in any of them (a reviewer recorded
# another student's grade as 0 and ran a command in the instructor's process that way). The
# "no network" layer keeps student code off that network; and the network namespace must not
# be undone by code planted for the zygote's next start, which a worker running as the grader's
# own user on a writable disk could do (a .pth file in the user's site-packages, then killing
# its zygote): so a separate user or the read-only view is required too.
REQUIRED_LAYERS = ("no network",)
ONE_OF_LAYERS = ("separate user", "read-only view")


class UnsafeWorker(RuntimeError):
    """This Dask worker lacks a layer that grading on a cluster requires (REQUIRED_LAYERS, and
    one of ONE_OF_LAYERS)."""


def _zygote():
    """This worker process's zygote (started on its first submission, kept for its life);
    UnsafeWorker if it lacks a layer that grading on a cluster requires."""
    from grader.sandbox import Zygote
    zygote = _STATE.get("zygote")
    if zygote is None or zygote.proc.poll() is not None:
        zygote = Zygote()
        missing = missing_layers(zygote)
        if missing:
            zygote.close()
            raise UnsafeWorker(unsafe_reason(missing))
        _STATE["zygote"] = zygote
    return zygote


def missing_layers(zygote) -> list[str]:
    """The REQUIRED_LAYERS, and ONE_OF_LAYERS, that `zygote`'s workers lack (each with why,
    from its self-test)."""
    zygote.wait_ready()
    missing = [f"'{layer.name}' ({layer.detail})" for layer in zygote.layers
               if layer.name in REQUIRED_LAYERS and not layer.on]
    either = [layer for layer in zygote.layers if layer.name in ONE_OF_LAYERS]
    if not any(layer.on for layer in either):
        missing.append(" or ".join(f"'{layer.name}' ({layer.detail})" for layer in either))
    return missing


def unsafe_reason(missing) -> str:
    return (f"this Dask worker lacks the sandbox layer {', '.join(missing)}: student code could "
            f"reach the cluster's network, which carries code to every worker and to the "
            f"instructor's process. Give the workers network namespaces (bubblewrap, or "
            f"unprivileged user namespaces) and a separate user (the grader as root) or "
            f"bubblewrap's read-only view (docs/cluster.md), then grade again.")


def check_worker() -> str:
    """Run by `client.run` on every worker before a class run hands out anything: "" when
    this worker may grade, else why not."""
    with _LOCK:
        try:
            _zygote()
        except UnsafeWorker as exc:
            return str(exc)
        except Exception:  # noqa: BLE001 - another failure: each submission tells it
            return ""
    return ""


def _use_references(table: bytes) -> None:
    """Load the class run's reference table (grader.instructor.reference_table) once per worker."""
    if not table:
        return
    digest = hashlib.blake2b(table, digest_size=16).digest()
    loaded = _STATE.setdefault("tables", set())
    if digest not in loaded:
        from grader.instructor import reference_table
        try:
            reference_table.load(table)
        except ValueError:
            pass
        loaded.add(digest)


def warm_worker(request: dict) -> None:
    """Run by `client.run` on every worker as a class run starts: in a thread of its own,
    this worker's zygote starts booting while the trusted side warms up and collects the
    checks; its first submission (which waits for the lock) then starts warm."""
    def warm():
        from grader.runner import collected_checks, prepare_trusted_side, set_aside_warm_objects
        with _LOCK:
            try:
                _zygote()
                req = GradeRequest.from_dict(request)
                prepare_trusted_side(req.exercises)
                collected_checks(req)
                set_aside_warm_objects()
            except Exception:  # noqa: BLE001 - the first submission does it, or says why
                pass
    threading.Thread(target=warm, name="grader-warm-up", daemon=True).start()


def references(request: dict) -> bytes:
    """Runs on one Dask worker, once per class run: the reference results of the run's checks
    as a table the grading tasks load (grader.instructor.reference_table); b"" if that fails."""
    from grader.instructor import reference_table
    with _LOCK:
        try:
            return reference_table.compute(GradeRequest.from_dict(request))
        except Exception:  # noqa: BLE001 - a cache: each worker then computes its own
            return b""


def grade_bytes(blob: bytes, request: dict, source: str = "", table: bytes = b"") -> str:
    """Runs on a Dask worker: grade one submission (zip bytes) as `request` (plain data) says,
    with the run's reference table (`references`); return the result as JSON text. A failure
    of the grading machinery is a result with the reason in `errors`, never an exception (so
    Dask does not retry a submission that fails the same way everywhere)."""
    from grader.runner import grade_submission, prepare_trusted_side
    req = GradeRequest.from_dict(request)
    with _LOCK:   # pytest, and a zygote, serve one submission at a time
        work = Path(tempfile.mkdtemp(prefix=f"grader-cluster-{os.getpid()}-"))
        try:
            (work / "submission.zip").write_bytes(blob)
            try:
                zygote = _zygote()      # boots while the trusted side warms up
                prepare_trusted_side(req.exercises)
                _use_references(table)
                result = grade_submission(work / "submission.zip", zygote, req)
            except Exception as exc:  # noqa: BLE001 - this submission only
                from grader.classrun import error_result
                _STATE.pop("zygote", None)
                result = error_result(source, req, f"grading failed on the cluster: "
                                                   f"{type(exc).__name__}: {exc}")
            result.submission = source
            return json.dumps(result.to_dict())
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _lost_counts(dask_scheduler=None, keys=()) -> dict:
    """Runs on the scheduler: how often each task's worker died while running it."""
    return {k: dask_scheduler.tasks[k].suspicious for k in keys if k in dask_scheduler.tasks}


def run_on_cluster(tasks, client, request: GradeRequest, record, *, progress=None,
                   timeout: float = 600.0):
    """Grade `tasks` (dicts with student, folder, source, hash) on the cluster `client` is
    connected to (see client_for);
    `record(task, result)` is called in this process for each one, once, as it arrives.
    `progress(event, task)` hears "done", "failed" and "retried" (its worker died and it
    runs again elsewhere). `timeout` bounds the wait for any one result.

    The workers are checked, then warm up; the first one free computes the run's reference
    results, which the submissions handed out after it take along (each worker fetches them
    once). Submissions are packed and handed out as results come back, a few per worker
    thread ahead (`in_flight`): a class of 50 000 is never all in memory, here or on the
    scheduler, and workers that join later get their share."""
    from distributed import as_completed

    from grader.classrun import error_result
    progress = progress or (lambda event, task: None)
    plain = request.to_dict()
    futures: dict = {}
    unsafe = {worker: why for worker, why in client.run(check_worker).items() if why}
    if unsafe:
        worker, why = sorted(unsafe.items())[0]
        raise ClusterUnavailable(f"{len(unsafe)} of the cluster's workers may not grade "
                                 f"(e.g. {worker}): {why}")
    try:
        client.run(warm_worker, plain, on_error="ignore")
    except Exception:  # noqa: BLE001 - only a head start
        pass
    # the reference results, once for the run, on the first worker free: the submissions
    # handed out once it is done take it along; those before it compute what they need
    reference = client.submit(references, plain, pure=False, priority=10)
    table = b""
    gpu = {"GPU": 1} if request.device == "cuda" else None  # workers started with
    waiting = list(enumerate(tasks))                          # --resources GPU=1
    waiting.reverse()
    done_so_far = as_completed()
    retried: set = set()
    last = asked = time.monotonic()
    room = in_flight(client)

    def hand_out():
        nonlocal table
        if not table and reference.status == "finished":
            table = reference      # a finished future: its bytes go to each worker once
        while waiting and len(futures) < room:
            i, task = waiting.pop()
            future = client.submit(grade_bytes, pack(task["folder"]), plain, task["source"],
                                   table, pure=False, resources=gpu,
                                   key=f"grade-{i}-{task.get('hash', '')[:16]}")
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

    try:
        hand_out()
        while futures:
            finished = done_so_far.next_batch(block=False) if done_so_far.has_ready() else []
            for future in finished:
                task = futures.pop(future)
                recent.append((future, task))
                try:
                    result = GradeResult.from_dict(json.loads(future.result()))
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
            if time.monotonic() - last > timeout:
                client.cancel(list(futures))
                stuck = list(futures.values()) + [task for _, task in reversed(waiting)]
                futures.clear()
                waiting.clear()
                for task in stuck:
                    record(task, error_result(task["source"], request, f"no result from "
                                              f"the cluster within {timeout:g} s"))
                    progress("failed", task)
    finally:
        client.cancel(list(futures) + [reference])


def in_flight(client) -> int:
    """How many submissions may be on the cluster at once: two per worker thread, and two
    more (the scheduler's list of workers, as it stands: an adaptive cluster grows)."""
    workers = client.scheduler_info().get("workers", {})
    return 2 * sum(max(1, int(w.get("nthreads", 1))) for w in workers.values()) + 2
