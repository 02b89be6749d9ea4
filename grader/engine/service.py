"""The grading process: a long-lived process that keeps one zygote (torch imported once, the
checks collected once) and grades one submission after another as its client hands them over.
One way to grade there, whoever the client: a class run's local pool and a Dask worker
(grader.classroom.process, over a multiprocessing pipe) and a notebook kernel (`serve` below,
one JSON line each way). A failure of the grading machinery itself costs that submission only:
the zygote is replaced, the submission graded once more, and if that fails too the result says
why (error_result), with zero points.

    result, zygote = grade_or_error("alice/", zygote, request, new_zygote=Zygote)
"""
from __future__ import annotations

import json
import os
import sys
import traceback

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
    failure an error_result. Never raises for a submission."""
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


def serve(lines=None, answers=None) -> int:
    """`python -m grader.notebook serve`, a notebook kernel's grading process: answer grading
    requests ({"id", "submission", "request"}), one JSON line each, until its input closes:
    {"id", "ok": True, "result"} or {"id", "ok": False, "error"} for a request it could not
    read or a submission it could not grade."""
    if answers is None:
        answers = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # stray prints must not mix with answers
        sys.stdout = sys.stderr
    lines = sys.stdin if lines is None else lines
    import warnings
    warnings.simplefilter("ignore")
    from grader.sandbox import Zygote
    zygote = Zygote()   # first: it imports torch while this process does the same
    try:
        for line in lines:
            req = None
            try:
                req = json.loads(line)
                request = GradeRequest.from_dict(req["request"])
                submission = req["submission"]
            except Exception as exc:  # noqa: BLE001 - the kernel shows it as a failed cell
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            else:
                result, zygote = grade_or_error(submission, zygote, request, Zygote)
                failed = [e for e in result.errors if e.startswith(GRADING_FAILED)]
                answer = {"ok": False, "error": failed[0][len(GRADING_FAILED):].splitlines()[0]} \
                    if failed else {"ok": True, "result": result.to_dict()}
            answer["id"] = req.get("id") if isinstance(req, dict) else None
            answers.write(json.dumps(answer) + "\n")
    finally:
        zygote.close()
    return 0
