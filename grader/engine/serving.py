"""The grading process's own side: one loop, whoever started it and whatever carries its
messages. A class run's local pool and a Dask worker (grader.classroom.process) talk to it over
a multiprocessing pipe (`PipeRequests`); a notebook kernel over its stdin and stdout, one JSON
line each way (`LineRequests`, `python -m grader.notebook serve`). Its client's side is
grader.engine.service.Service.

    serving = Serving(Zygote(), new_zygote=Zygote)
    serving.run(LineRequests(sys.stdin, answers))   # until its input ends

The messages, the same on either transport. First the handshake, once its zygote is warm:
{"ready": True, "layers": the sandbox layers it measured} (ready_message); {"ready": False,
"lacking": [...]} where its zygote lacks a layer its owner requires, or {"ready": False,
"error": "SandboxRefused: ..."} where its zygote could not start; then it grades nothing and
ends. Then one answer per request, with the request's "id" (None where it has none):

    {"id": 7, "submission": "alice/", "request": {...}}  ->  {"id": 7, "ok": True, "result": {...}}
    {"id": 8, "table": {...}}                            ->  {"id": 8, "ok": True, "table": b"..."}
                                                             (bytes: a pipe's only)
    '{"id": 9}' (no submission)                          ->  {"id": 9, "ok": False,
                                                              "error": "KeyError: 'submission'"}

A request may also carry "source" (the name its result gives), "student" and "notes" (for the
caller's `after`, e.g. a feedback page) and "references" (a reference table file,
grader.engine.reference_table). A failure of the grading machinery itself costs that
submission only: the zygote is replaced, the submission graded once more, and if that fails too
the result says why (error_result: "grading failed: ..." in its errors, zero points).
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

from grader.engine.request import GradeRequest
from grader.engine.result import GradeResult

GRADING_FAILED = "grading failed: "


def error_result(source, request: GradeRequest, message) -> GradeResult:
    """A submission that could not be graded: no checks, zero points, the reason in errors."""
    return GradeResult(submission=str(source), seed=request.seed,
                       exercises=list(request.exercises), errors=[message])


def grade_or_error(folder, zygote, request: GradeRequest, new_zygote):
    """(result, zygote): the submission at `folder` graded on `zygote`; when the grading
    machinery itself fails, on a fresh zygote (`new_zygote()`) once more, and after a second
    failure an error_result. Never raises for a submission.

        result, zygote = grade_or_error("alice/", zygote, request, new_zygote=Zygote)
    """
    from grader.engine.runner import grade_submission
    for attempt in (1, 2):
        try:
            return grade_submission(folder, zygote, request), zygote
        except Exception as exc:  # noqa: BLE001 - anything: this submission only
            try:
                zygote.close()
            except Exception:  # noqa: BLE001
                pass
            zygote = new_zygote()
            if attempt == 2:
                return error_result(folder, request,
                                    f"{GRADING_FAILED}{type(exc).__name__}: {exc}\n"
                                    + traceback.format_exc()[-1500:]), zygote


def grading_failed(result: dict) -> str | None:
    """The first line of why the grading machinery failed on a result (plain data), or None
    where it did not: 'RuntimeError: no worker could start'."""
    failed = [e for e in result.get("errors", ()) if str(e).startswith(GRADING_FAILED)]
    return failed[0][len(GRADING_FAILED):].splitlines()[0] if failed else None


def ready_message(zygote) -> dict:
    """The grading process's side of the handshake, once its zygote is warm: {"ready": True,
    "layers": the sandbox layers it measured, as plain data ({"name": "no network", "on":
    True, "detail": ..., "missing": ...})}, or {"ready": False, "lacking": [...]} where the
    zygote lacks a layer its owner requires (then it grades nothing)."""
    import dataclasses

    from grader.sandbox import LayersMissing
    try:
        zygote.wait_ready()
    except LayersMissing as exc:
        return {"ready": False, "lacking": exc.lacking}
    return {"ready": True, "layers": [dataclasses.asdict(layer) if dataclasses.is_dataclass(
        layer) else layer for layer in zygote.layers]}


def table_of(request: GradeRequest) -> bytes:
    """The reference table of `request`; b"" if it cannot be computed, which only means that
    each grading process computes the references it needs, as it would without a table."""
    from grader.engine import reference_table
    try:
        return reference_table.compute(request)
    except Exception:  # noqa: BLE001 - a cache, never a grade
        return b""


def load_references(path) -> None:
    """Load the reference table file `path` (written by the class run before its first task);
    one that cannot be read is no table."""
    from grader.engine import reference_table
    try:
        reference_table.load(Path(path).read_bytes())
    except (OSError, ValueError):
        pass


class Serving:
    """One grading process's loop: the handshake, then each request read, graded and answered,
    until its input ends. `zygote` is the one it starts with (replaced after a failure:
    `self.zygote` is always the current one); `request` the process's own, for requests that
    name none; `references` its reference table file, for requests that name none;
    after(result, message) runs once a submission is graded, before it is answered."""

    def __init__(self, zygote, new_zygote, request: GradeRequest | None = None,
                 references: str | None = None, after=None):
        self.zygote, self.new_zygote = zygote, new_zygote
        self.request, self.references = request, references
        self.after = after or (lambda result, message: None)
        self.loaded = None      # the reference table file in use

    def run(self, channel) -> None:
        """Serve the requests of `channel` (PipeRequests or LineRequests); the zygote is
        closed as it ends."""
        try:
            try:
                ready = ready_message(self.zygote)
            except Exception as exc:    # its zygote could not start: say so, then end
                channel.send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
                raise
            channel.send(ready)
            if not ready["ready"]:      # it lacks a layer its owner requires
                return
            for raw in channel:
                channel.send(self.answer(channel, raw))
        finally:
            self.zygote.close()

    def answer(self, channel, raw) -> dict:
        """The answer to one request as it came (`raw`, read by the channel)."""
        message = None
        try:
            message = channel.read(raw)
            if not isinstance(message, dict):
                raise TypeError(f"a request is a JSON object, not {type(message).__name__}")
            if "table" in message:
                return {"id": message.get("id"), "ok": True,
                        "table": table_of(GradeRequest.from_dict(message["table"]))}
            request = GradeRequest.from_dict(message["request"]) \
                if "request" in message or self.request is None else self.request
            folder = message["submission"]
        except Exception as exc:  # noqa: BLE001 - the client shows it as its request's error
            return {"id": message.get("id") if isinstance(message, dict) else None,
                    "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        references = message.get("references") or self.references
        if references and references != self.loaded:
            load_references(references)
            self.loaded = references
        result, self.zygote = grade_or_error(folder, self.zygote, request, self.new_zygote)
        if "source" in message:
            result.submission = message["source"]
        self.after(result, message)
        return {"id": message.get("id"), "ok": True, "result": result.to_dict()}


# ----------------------------------------------------------------------------------------------
# the transports, the grading process's side (the client's: service.Pipe, service.JsonLines)

class PipeRequests:
    """Requests as Python values on a multiprocessing Connection (a pipe, or a socket pair
    wrapped in one). None, or the other end closing, ends them; so does the end of the process
    that started this one (`parent`, its pid: looked at each second)."""

    def __init__(self, conn, parent: int | None = None):
        self.conn, self.parent = conn, parent

    def __iter__(self):
        while True:
            if not self.conn.poll(1.0):
                if self.parent is not None and os.getppid() != self.parent:
                    return
                continue
            try:
                message = self.conn.recv()
            except EOFError:
                return
            if message is None:
                return
            yield message

    def read(self, raw):
        return raw

    def send(self, message) -> None:
        self.conn.send(message)


class LineRequests:
    """Requests as JSON lines (`lines`: e.g. sys.stdin), answers written to `answers` one JSON
    line each; the end of the lines ends them. A line that is not JSON is answered as a request
    it could not read."""

    def __init__(self, lines, answers):
        self.lines, self.answers = lines, answers

    def __iter__(self):
        return iter(self.lines)

    def read(self, raw):
        return json.loads(raw)

    def send(self, message) -> None:
        self.answers.write(json.dumps(message) + "\n")
        self.answers.flush()


def serve_lines(lines=None, answers=None) -> int:
    """A grading process on JSON lines: `python -m grader.notebook serve`, a notebook kernel's
    (its stdin and stdout where `lines` and `answers` are not given: what it prints goes to
    its stderr, so that stray prints never mix with its answers).

        serve_lines(['{"id": 1, "submission": "alice/", "request": {...}}\\n'], io.StringIO())
    """
    if answers is None:
        answers = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # stray prints must not mix with answers
        sys.stdout = sys.stderr
    lines = sys.stdin if lines is None else lines
    import warnings
    warnings.simplefilter("ignore")
    from grader.sandbox import Zygote
    zygote = Zygote()   # first: it imports torch while this process does the same
    Serving(zygote, Zygote).run(LineRequests(lines, answers))
    return 0
