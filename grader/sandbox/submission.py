"""A submission, on the trusted side of the boundary: its files staged into a private folder,
a worker forked for it from the zygote (grader.sandbox.launcher), calls sent, inert results
read back, the time kept.

    zygote = Zygote()                     # one per grading process: imports torch once
    sub = Submission("alice/", zygote)    # copies alice's exNN_*.py into a private temp folder
    sub.call("ex02.gradient", [1., 2.], [2., 4.], 1.0)   # runs in alice's worker, returns data
    sub.close()

A call that raises, times out, kills its worker or sends back garbage raises a StudentError
describing what happened; the next call gets a fresh worker (forked from the zygote in
milliseconds). A module whose import failed is not imported again.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from grader.exercises import module_of
from grader.sandbox.launcher import Zygote, worker_env
from grader.sandbox.limits import Limits, effective_rlimits, pids_max
from grader.sandbox.process import WorkerProcess
from grader.sandbox.staging import stage_submission
from grader.sandbox.apart import flagged_modules, only, tainted_modules
from grader.sandbox.workdir import is_cell_note, restore, snapshot, stopped_note


class StudentError(Exception):
    """The student's code did not produce a value; `kind` says why, `str()` says it for people.

    kinds: not_started, missing, no_file, import, exception, layout (a model whose parameters
    are not laid out as a check's state asks), timeout, crashed, protocol, budget
    """

    def __init__(self, kind, message, where="", traceback="", stdout="", ancestry=(),
                 rebound=()):
        super().__init__(message)
        self.kind, self.where, self.traceback, self.stdout = kind, where, traceback, stdout
        self.ancestry = tuple(ancestry)   # the built-in exception classes it derives from
        # the local names the failed call rebound from a parameter (a leaf that requires
        # grad) to another tensor, seen by identity in the worker (worker._rebound_names)
        self.rebound = tuple(rebound)

    def again(self) -> "StudentError":
        """The same error met again by a later check (a module whose import failed): its
        describe() points to the first report instead of repeating it."""
        err = StudentError(self.kind, str(self), self.where, self.traceback, self.stdout,
                           self.ancestry, self.rebound)
        err.repeated = True
        return err

    repeated = False

    def derives_from(self, name: str) -> bool:
        """Whether the student's exception is a `name` ("ValueError"), by its class's bases."""
        return name in self.ancestry

    def describe(self, call: str = "") -> str:
        msg = str(self).replace("\n", "\n  | ")  # the student's lines, quoted: none of them
        if self.kind == "not_started":              # can pass for a line of the grader's
            return f"not started: {call or 'this function'} still raises NotImplementedError" \
                   + (f" ({msg.split(':', 1)[-1].strip()})" if ":" in msg else "")
        prefix = f"{call}: " if call else ""
        if self.repeated and self.kind in ("import", "timeout", "crashed"):
            what = str(self).split(":", 1)[0] if self.kind == "import" else ""
            what = what if what.isidentifier() else "failure"
            return (prefix + f"not run: the file does not import (see the {what} reported "
                    f"above" + (f", {self.where}" if self.where else "") + ")")
        text = prefix + msg
        if self.where:
            text += f"\n  at {self.where}"
        if self.traceback and self.kind in ("exception", "layout"):
            text += "\n" + "\n".join("  | " + line for line in self.traceback.rstrip().splitlines()[-6:])
        return text


class Submission:
    """One student's code, behind its own worker process."""

    def __init__(self, path, zygote: Zygote, limits: Limits | None = None, threads: int = 1,
                 graded=None):
        self.source = Path(path)
        self.zygote = zygote
        self.limits = limits or Limits()
        self.threads = threads
        zygote.wait_ready()
        spool = getattr(zygote, "spool", None)
        self.tmp = Path(tempfile.mkdtemp(prefix="sub-", dir=spool))
        os.chmod(self.tmp, 0o711)
        self.workdir = self.tmp / "work"
        self.workdir.mkdir()
        # what staging left out (a link, a FIFO, a malformed notebook), then e.g. the notebook
        # cells that raised and were skipped
        self.notes: list[str] = []
        self.tampering: list[str] = []   # what its source does to what measures it
        imports: dict = {}   # module -> the student's own modules it imports
        # which modules the notebook loader wrote, known before any student code runs
        self.notebooks: set[str] = set()
        self.modules = stage_submission(self.source, self.workdir, self.notes, self.tampering,
                                        imports, self.notebooks, graded)
        # the folder as staged, before any student code runs: every new worker of this
        # submission (the hidden checks' own, one after a crash) starts from it again
        self.staged = snapshot(self.workdir)
        # a flagged submission runs one exercise per worker, without the flagged files where
        # that exercise's own code does not import them: the flag withholds what it can reach
        self.flagged = flagged_modules(self.tampering, self.modules)
        self.tainted = tainted_modules(self.flagged, imports)
        self._serving = ""               # the exercise module the worker serves (flagged only)
        self._puts: list[tuple] = []     # data files put this phase (flagged only: replayed)
        self.spawned = 0
        self.uid = zygote.new_uid() if hasattr(zygote, "new_uid") else None
        if self.uid is not None:  # its own folder: only its uid (and the grader) may enter
            os.chown(self.workdir, self.uid, self.uid)
            os.chmod(self.workdir, 0o700)
        self.proc: WorkerProcess | None = None
        self.import_errors: dict[str, StudentError] = {}
        self.used = 0.0
        self.stdout_chars = 0      # what the visible checks' calls printed: hidden ones' never
        self.stdout_sample = ""    # counts (it could carry their inputs)
        self.events: list[str] = []
        self.phase = "visible"
        self.began: float | None = None   # the time of its first call
        self._imported: set[str] = set()   # modules a call has imported in its worker
        self._sent = 0                     # requests sent: each reply names its own
        # (module, function or probe) -> its calls that timed out in this phase's checks
        self._timeouts: dict[tuple, int] = {}

    def enter(self, phase: str) -> None:
        """Switch between the visible checks' calls and the hidden checks'. A worker that
        served a hidden check never serves a visible one: going back to the visible checks,
        it is replaced, and its imports are made again (from the staged files), so that
        nothing a hidden check's inputs produced (a value kept in the module, a file in its
        scratch space) is there when a visible check runs. (The runner puts every visible
        check first, so this happens only when checks are run in another order.) What the
        hidden phase prints or notes is not kept."""
        if phase not in ("visible", "hidden"):
            raise ValueError(f"phase {phase!r}: visible or hidden")
        if phase == "visible" and self.phase == "hidden":
            self._restart(settle=0)
            self.import_errors, self._imported, self._timeouts = {}, set(), {}
        if phase != self.phase:
            self._puts = []
        self.phase = phase

    # -- life cycle
    def _spec(self):
        return {"workdir": str(self.workdir), "modules": self.modules,
                "timed": sorted(set(self.modules) - self.notebooks),
                "env": worker_env(str(self.workdir), self.threads), "threads": self.threads,
                "limits": effective_rlimits(self.limits.rlimits, cuda=_cuda(),
                                            separate_uid=self.uid is not None),
                "uid": self.uid,
                "pids_max": pids_max(self.limits.rlimits, _cuda()),
                "scratch_bytes": self.limits.scratch_bytes
                if getattr(self.zygote, "private_scratch", False) else None}

    def _process(self) -> WorkerProcess:
        if self.proc is None or not self.proc.alive:
            if self.spawned:   # an earlier worker may have changed the folder (no private
                restore(self.workdir, self.staged, self.uid)   # scratch): put it back
            if self.flagged:
                self._keep_only(self._serving)
            self.proc = WorkerProcess(self.zygote, self._spec())
            self.spawned += 1
            self._imported = set()   # a new worker imports each module again, timed apart
        return self.proc

    def _keep_only(self, module: str) -> None:
        """The folder a flagged submission's worker for `module` gets: the staged files, less
        the flagged modules unless `module` imports them (then its facts are withheld anyway,
        tainted), less whatever an earlier worker left."""
        keep = set(self.staged)
        if module not in self.tainted:
            keep -= {f"{m}.py" for m in self.flagged}
        only(self.workdir, keep)

    def close(self):
        if self.proc is not None:
            self.proc.kill(settle=0)
            self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- calls
    def call(self, target: str, *args, grad: bool | None = None, timeout: float | None = None,
             **kwargs):
        """Run `exNN.func(*args, **kwargs)` in the worker; `grad=False` runs it with autograd
        off (torch.set_grad_enabled(False))."""
        ex, func = target.split(".", 1)
        return self._run({"op": "call", "module": module_of(ex), "func": func, "args": args,
                          "kwargs": kwargs, "grad": grad}, timeout)

    def put_file(self, name: str, text: str) -> None:
        """Write a data file (e.g. a CSV a check asks the student's code to load) into the
        worker's own folder, where the student's code runs."""
        if self.flagged:   # the call that reads it may get a worker of its own: put it again
            self._puts.append((name, text))
        self._run({"op": "put", "module": "", "name": name, "text": text}, None)

    def probe(self, name: str, module: str, *args, timeout: float | None = None,
              expect: list | None = None, **kwargs):
        """Run grader.sandbox.inside.probes.<name>(student_module, *args) in the worker. Its
        answer is a dict whose facts (FACT_KEYS: measured inside the worker, not values the
        student's code returned) are counted when a check reads them (protocol.read_fact).
        `expect`: [the functions of the exercise whose contract is autograd, the names of
        their count parameters] (guard.expect's arguments), told to the worker with the probe."""
        value = self._run({"op": "call", "module": module_of(module), "probe": name,
                           "args": args, "kwargs": kwargs, "grad": None,
                           "expect": expect or [[], []]}, timeout)
        return Facts(value) if type(value) is dict else value

    def _run(self, request, timeout):
        """One request to the worker: its value, or the StudentError saying why there is none.
        A module not yet imported in this worker is imported first, by a request of its own,
        under the import's own time limit: a loop at the top level of the file is an import
        error (and stays one), a loop inside a function costs only the calls of that function."""
        module = request["module"]
        if module in self.import_errors:   # told in full once, by the first check that met it
            raise self.import_errors[module].again()
        called = _called_function(request)
        if self._timeouts.get(called, 0) >= TIMEOUTS_PER_FUNCTION:
            raise StudentError("timeout", f"{_called(called[1])} was not run again: it timed "
                                          f"out in {TIMEOUTS_PER_FUNCTION} earlier checks (an "
                                          f"infinite loop?)")
        if self.flagged and module and module != self._serving:
            self._serve(module)
        if module and (self.proc is None or not self.proc.alive or module not in self._imported):
            self._exchange_checked({"op": "import", "module": module,
                                    "seconds": self.limits.import_seconds},
                                   self.limits.import_seconds, module, importing=True)
        return self._exchange_checked(request, timeout or self.limits.call_seconds, module)

    def _serve(self, module: str) -> None:
        """A flagged submission: a new worker for `module`, which never ran another exercise's
        code, with the data files this phase put (see _keep_only)."""
        self._restart(settle=0)
        self._serving = module
        for name, text in self._puts:
            self._exchange_checked({"op": "put", "module": "", "name": name, "text": text},
                                   self.limits.call_seconds, "")

    def _exchange_checked(self, request, seconds: float, module: str, importing=False):
        from grader.sandbox import replies, safetext  # here: starting a Zygote needs no torch
        self._check_budget()
        budget = replies.reply_budget(request.get("args", ()), request.get("kwargs"))
        first_cuda = _first_cuda_call(self.proc, request)
        limit = seconds + (getattr(self.limits, "cuda_init_seconds", 0.0) if first_cuda else 0)
        reply, failure = self._timed_exchange(request, limit, budget)
        if failure == "timeout" and not importing:
            called = _called_function(request)
            self._timeouts[called] = self._timeouts.get(called, 0) + 1
        if failure is not None:  # raised outside the handlers: no exception chain keeps the
            raise self._failed(failure, module, limit, importing,   # refused reply alive
                               request.get("func") or request.get("probe") or "")
        reply = safetext.clean_reply(reply)  # all of its text is the student's: made safe here
        if module:
            self._imported = self._imported | {module}
        if first_cuda and self.proc is not None:
            self.proc.cuda_ready = True
        if reply.get("restart") is True:  # e.g. a CUDA error: the next call gets a new worker
            self._restart(settle=0)
        if self.phase == "visible":   # what the hidden checks' calls print or note is not kept
            self._keep_output(reply, module)
        if reply["status"] == "ok":
            return reply["value"]
        err = StudentError(reply["kind"], reply["message"], reply["where"], reply["traceback"],
                           ancestry=reply["ancestry"], rebound=reply.get("rebound", ()))
        if err.kind in ("import", "no_file"):
            self.import_errors[module] = err
        raise err

    def _check_budget(self) -> None:
        """StudentError("budget") once the submission has used up its wall time, which counts
        the grader's own time on it too, since its first call."""
        now = time.monotonic()
        self.began = self.began or now
        self.used = max(self.used, now - self.began)
        if self.used > self.limits.submission_seconds:
            raise StudentError("budget", f"the submission used up its "
                                         f"{self.limits.submission_seconds:.0f} s of wall time; "
                                         f"remaining checks are not run")

    def _timed_exchange(self, request, limit: float, budget: int):
        """(reply, None), or (None, what went wrong: "timeout", "crashed" or a description of
        what the worker sent back instead of a result); its time counts toward the budget."""
        from grader.sandbox import protocol
        started = time.monotonic()
        try:
            return self._exchange(request, started + limit, budget), None
        except TimeoutError:
            return None, "timeout"
        except EOFError:
            return None, "crashed"
        except (protocol.ProtocolError, ValueError, KeyError, TypeError) as exc:
            return None, f"the worker sent back something that is not a result ({exc})"
        finally:
            self.used += time.monotonic() - started

    def _keep_output(self, reply: dict, module: str) -> None:
        """What a visible check's call printed (counted, a sample kept), and the notebook
        loader's notes about skipped cells: only from a module staged from a notebook, and only
        in the loader's own words (is_cell_note)."""
        for note in reply["notes"]:
            said = stopped_note(note, set(self.modules) - self.notebooks) or \
                (note if module in self.notebooks and is_cell_note(note, self.notebooks)
                 else None)
            if said and said not in self.notes and len(self.notes) < 20:
                self.notes.append(said)
        if reply["stdout_chars"]:
            self.stdout_chars = min(self.stdout_chars + reply["stdout_chars"], 2**53)
            if len(self.stdout_sample) < 2000:
                self.stdout_sample += reply["stdout"][:2000]

    def _exchange(self, request, deadline, budget) -> dict:
        """Send one request to the worker and read its reply, checked against the reply schema
        (replies.decode_reply); replies to earlier requests (from forks of the worker that
        student code made) are skipped."""
        from grader.sandbox import protocol, replies
        proc = self._process()
        self._sent += 1
        # a random mark per request: the worker's own reply carries it; a frame that student
        # code writes into the result pipe (it can find the descriptor) cannot know it
        nonce = secrets.token_hex(16)
        proc.send(protocol.encode(dict(request, id=self._sent, nonce=nonce)), deadline)
        for _stale in range(64):
            header, payload = protocol.read_frame(
                lambda n: protocol.read_exact(proc.res_r, n, deadline),
                max_payload=self.limits.result_bytes,
                max_items=budget)
            reply = replies.decode_reply(header, payload, max_items=budget)
            del header, payload
            if reply["id"] == self._sent:
                if not secrets.compare_digest(reply["nonce"], nonce):
                    raise protocol.ProtocolError("a reply the worker did not write")
                return reply
            if reply["id"] > self._sent:
                raise protocol.ProtocolError("a reply to no request")
        raise protocol.ProtocolError("too many replies to earlier calls")

    def _failed(self, failure: str, module: str, limit: float, importing: bool, func: str = ""):
        """The StudentError for a request that gave no reply; the worker is replaced. Only a
        failure of the import itself is kept as the module's import error."""
        what = _called(func)
        if failure == "timeout":
            self._restart(settle=0)
            if not importing:
                return StudentError("timeout", f"{what} did not finish: timed out after "
                                               f"{limit:.0f} s (an infinite loop, a sleep, or "
                                               f"far too much work?)")
            err = StudentError("timeout", f"importing {module}.py did not finish within "
                                          f"{limit:.0f} s: is there a loop at the top level "
                                          f"of the file?")
        elif failure == "crashed":
            how = self._restart()
            if not importing:
                return StudentError("crashed", f"the worker process running your code ended "
                                               f"during {what}" + (f": {how}" if how else ""))
            err = StudentError("crashed", f"importing {module}.py ended the worker process"
                                          + (f": {how}" if how else "")
                                          + ". Is there a sys.exit(), os._exit() or a crash "
                                            "at the top level of the file?")
        else:
            self._restart(settle=0)
            return StudentError("protocol", failure)
        self.import_errors[module] = err
        return err

    def _restart(self, settle: float = 0.05) -> str:
        how = ""
        if self.proc is not None:
            how = self.proc.kill(settle)
            self.proc = None
        return how


# a function whose calls timed out this often is not called again by the same phase's checks:
# a loop that never ends costs a submission at most this many call limits per function
TIMEOUTS_PER_FUNCTION = 2


def _called(func: str) -> str:
    return f"{func}()" if func and "." not in func else "the call"


def _called_function(request) -> tuple:
    """(module, the student's function a request calls): a check's call goes through the
    guard probe, whose first argument names it; another probe stands for the calls it makes."""
    name = request.get("func") or request.get("probe") or ""
    args = request.get("args") or ()
    if name == "guard.call" and args and isinstance(args[0], str):
        name = args[0]
    return request.get("module"), name


# what the probes (grader.sandbox.inside.probes) measure inside the worker, as opposed to what the student's
# code returned or computed (results, states, losses, gradients: values, compared here)
FACT_KEYS = frozenset({
    "training", "training_before", "calls", "same_tensor", "is_ndarray", "tensor_changed",
    "writeable", "is_dataset", "is_loader", "type", "info", "drop_last", "grad_modes",
    "grad_enabled_inside", "grad_enabled_after", "structure", "modules", "parameters",
    "backward_error", "graph"})


class Facts(dict):
    """A probe's answer: reading one of its facts (FACT_KEYS) counts as resting on a fact
    measured inside the worker (grader.engine.result.withhold_facts); reading its values does not."""

    def __getitem__(self, key):
        if key in FACT_KEYS:
            from grader.sandbox.protocol import read_fact
            read_fact()
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key] if key in self else default


def _first_cuda_call(proc, request) -> bool:
    """Whether this call is the first of its worker process to use the GPU."""
    if proc is not None and proc.alive and getattr(proc, "cuda_ready", False) or not _cuda():
        return False
    from grader.sandbox.device import mentions_cuda
    return mentions_cuda((request.get("args"), request.get("kwargs")))


def _cuda() -> bool:
    """Whether workers may load CUDA: torch is a CUDA (or ROCm) build. Decided from the build,
    not by asking the driver (which would initialise CUDA in a process that may fork), and
    also without a GPU: a CUDA build maps gigabytes of libraries, too close to RLIMIT_AS."""
    from grader.sandbox.device import cuda_build
    return cuda_build()

