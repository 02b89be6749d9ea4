"""Run the checks of one submission with pytest, in this (trusted) process, and collect results.

    zygote = Zygote()
    result = grade_submission("alice/", zygote, GradeRequest(exercises=("ex02",), seed=7))
    result.score, result.max_score

The request reaches the checks one way: inside the GradingSession, the pytest plugin of the run,
which the checks' fixtures find in the pytest config (grader/checks/conftest.py).
"""
from __future__ import annotations

import contextlib
import gc
import io
import time
from pathlib import Path

import pytest

from grader.exercises import EXERCISES, module_of
from grader.engine.request import GradeRequest
from grader.engine.result import (CheckResult, GradeResult, count_property_checks, share_points,
                           blame_callees, confirm_across_inputs, count_visible_checks,
                           withhold_facts)
from grader.sandbox import Submission, Zygote
from grader.engine.session import SESSION, collected, no_plugin_autoload

CHECKS = Path(__file__).resolve().parents[1] / "checks"

class GradingSession:
    """The pytest plugin of one grading run: it holds the request and the submission, which
    the checks' fixtures read, and collects the CheckResult of every check (built once, by the
    checks' conftest, and carried on the pytest report)."""

    def __init__(self, request: GradeRequest, submission: Submission | None):
        self.request, self.submission = request, submission
        self.results: dict[str, CheckResult] = {}
        self.property_of: dict[str, list[str]] = {}   # nodeid -> targets whose values it needs
        self.uses_of: dict[str, list[str]] = {}   # nodeid -> the student's targets it hands on
        self.errors: list[str] = []

    def pytest_configure(self, config):
        config.stash[SESSION] = self

    def pytest_runtest_logreport(self, report):
        for key, value in report.user_properties:
            if key == "grader":
                self.results[report.nodeid] = value
            elif key == "property_of":
                self.property_of[report.nodeid] = list(value)
            elif key == "uses":
                self.uses_of[report.nodeid] = list(value)

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"could not load checks {report.nodeid}: "
                               f"{str(report.longrepr)[-1500:]}")


def check_files(exercises, visible_only=False, hidden_only=False) -> list[str]:
    """The check files to run: every exercise's visible ones, then every exercise's hidden
    ones (an exercise folder's ships/test_visible.py and private/test_hidden.py; the kit has no
    private/). Visible first: the hidden checks run last, in a worker that no
    visible check uses after them (Submission.enter), so nothing their inputs produce can reach
    a visible check's message."""
    from grader.exercises import check_file
    kinds = ["visible"] if visible_only else ["hidden"] if hidden_only else ["visible", "hidden"]
    return [str(f) for kind in kinds for ex in exercises if (f := check_file(ex, kind)).exists()]


# Plugins a grading run does not need; unraisableexception alone costs ~1 s of gc per run.
_NO_PLUGINS = ("cacheprovider", "unraisableexception", "threadexception", "faulthandler",
               "doctest", "junitxml", "pastebin", "legacypath", "nose", "stepwise", "logging")


def pytest_args(files) -> list[str]:
    """The command line of every pytest run over the checks (grading and collecting)."""
    args = list(files) + ["-c", str(CHECKS / "pytest.ini"), "--rootdir", str(CHECKS), "-q",
                          "--no-header", "--tb=no", "-W", "ignore", "--assert=plain",
                          "--capture=sys"]   # not by file descriptor: 0.05 s a submission
    for plugin in _NO_PLUGINS:
        args += ["-p", f"no:{plugin}"]
    return args


def request_args(request: GradeRequest) -> list[str] | None:
    """The pytest command line of the checks a request runs (None: there are none)."""
    files = check_files(request.exercises, visible_only=request.checks == "visible",
                        hidden_only=request.checks == "hidden")
    if not files:
        return None
    return pytest_args(files) + (["-k", request.keyword] if request.keyword else [])


def collected_checks(request: GradeRequest):
    """This process's session of the checks a request runs, collected once
    (grader.engine.session); None when there are no checks or pytest cannot collect them as asked
    (a -k expression it rejects)."""
    args = request_args(request)
    if args is None:
        return None
    try:
        return collected(args, request, lambda: GradingSession(request, None))
    except Exception:  # noqa: BLE001 - pytest.main says why, as it always did
        return None


def run_pytest(submission: Submission, request: GradeRequest, *, quiet=True) -> GradingSession:
    """Run the checks the request asks for on `submission`. Quiet (a grading run): in this
    process's session of the checks, collected once (`collected_checks`); otherwise, and when
    that session cannot be built, one pytest.main."""
    session = GradingSession(request, submission)
    args = request_args(request)
    if args is None:
        return session
    checks = collected_checks(request) if quiet else None
    if checks is not None:
        checks.run(session)
        return session
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext(), \
            no_plugin_autoload():
        pytest.main(args, plugins=[session])
    return session


_TRUSTED_READY = False


def prepare_trusted_side(exercises=None):
    """Once per process: the checks compute on tiny tensors, where one thread is fastest (several
    threads wait on each other, 10-20 times slower on a busy machine); and the first torch.optim
    optimizer of a process imports torch._dynamo (seconds), paid here, while a new zygote boots,
    instead of inside the first training check."""
    global _TRUSTED_READY
    from grader.exercises import uses_optim
    if _TRUSTED_READY == "optim" or (_TRUSTED_READY and not uses_optim(exercises or EXERCISES)):
        return
    import torch
    torch.set_num_threads(1)
    _TRUSTED_READY = True
    if uses_optim(exercises or EXERCISES):
        from grader.sandbox.inside.steps import warm_up_optimizers
        warm_up_optimizers()
        _TRUSTED_READY = "optim"


def set_aside_warm_objects():
    """In a process that only grades (a class run's grading process, a cluster worker), once
    torch, pytest and the checks are loaded: those objects live as long as the process, so the
    garbage collector stops scanning them again and again (gc.freeze; about 300 000 objects,
    0.03 s per submission). Not in a notebook kernel, whose objects are the student's."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def started_zygote(request: GradeRequest, kind=None):
    """A zygote for `request`'s exercises, closed on leaving: the one start and close of a
    zygote that grades once (grade_once; the checks run directly by pytest, whose `sub`
    fixture opens its Submission on it). `kind`: the zygote's class, grader.sandbox.Zygote
    unless given (the kit's check where no sandbox can run: grader.sandbox.plain.PlainZygote);
    it is called with warm_optim, whether the exercises build a torch.optim optimizer."""
    from grader.exercises import uses_optim
    # first: it imports torch while this process loads the checks
    zygote = (kind or Zygote)(warm_optim=uses_optim(request.exercises))
    try:
        yield zygote
    finally:
        zygote.close()


def grade_once(path, request: GradeRequest, before=None, kind=None) -> tuple[GradeResult, Zygote]:
    """Start a zygote, grade the submission at `path`, close the zygote: the one way an entry
    point that grades once does it (`check`, `grade`, the Gradescope runner, and the kit's
    `check` without a sandbox, whose `kind` is grader.sandbox.plain.PlainZygote: see
    started_zygote). `before(zygote)` runs before any student code (the Gradescope runner
    refuses a sandbox that exposes the references). Returns the result and the closed zygote,
    whose layers are still readable (summary(), warnings()).

        result, zygote = grade_once("alice/", GradeRequest(exercises=["ex02"], seed=7))
    """
    with started_zygote(request, kind) as zygote:
        if before is not None:
            before(zygote)
        result = grade_submission(path, zygote, request)
        zygote.wait_ready()   # its layers, measured, stay readable after close()
    return result, zygote


def grade_submission(path, zygote: Zygote, request: GradeRequest | None = None,
                     **fields) -> GradeResult:
    """Run the checks `request` asks for on the submission at `path` (a folder of exNN files or
    notebooks), its code in a worker of `zygote`. The request's fields may be given as keyword
    arguments instead: grade_submission(path, zygote, exercises=["ex02"], seed=7)."""
    if request is None:
        request = GradeRequest(**fields)
    elif fields:
        raise TypeError(f"grade_submission: a request, or its fields, not both "
                        f"({', '.join(fields)})")
    exercises = list(request.exercises)
    prepare_trusted_side(exercises)
    started = time.perf_counter()
    result = GradeResult(submission=str(path), seed=request.seed, exercises=exercises)
    with Submission(path, zygote, request.limits, graded=exercises) as sub:
        staged = set(sub.modules)
        result.missing_files = [f"{module_of(ex)}.py" for ex in exercises
                                if module_of(ex) not in staged]
        session = run_pytest(sub, request)
        result.stdout_chars, result.stdout_sample = sub.stdout_chars, sub.stdout_sample[:2000]
        result.notes = list(sub.notes)
        result.tampering = list(sub.tampering)
        reached = {ex for ex in exercises if module_of(ex) in sub.tainted}
        sources = {ex: _text(getattr(sub, "staged", {}).get(f"{module_of(ex)}.py")) for ex in exercises}
    order = {ex: i for i, ex in enumerate(EXERCISES)}
    result.checks = sorted(session.results.values(),
                           key=lambda c: (order.get(c.exercise, 99), not c.visible))
    confirm_across_inputs(result.checks)
    blame_callees(result.checks, sources, session.uses_of)
    share_points(result.checks)
    count_property_checks(result.checks, session.property_of)
    count_visible_checks(result.checks, session.property_of)
    withhold_facts(result, reached)
    result.errors = session.errors
    result.seconds = round(time.perf_counter() - started, 3)
    return safe_text(result)


def _text(data) -> str:
    """A staged file's text, read here as data (never imported); '' when there is none."""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else ""


def safe_text(result: GradeResult) -> GradeResult:
    """Every text of a result made safe (grader.sandbox.safetext), in place: the messages quote the
    student's values, exceptions and file names; the notes, the printed sample and the path
    are the student's. Whatever shows or stores the result gets this same text."""
    from grader.sandbox.safetext import LINE, MESSAGE, NAME, OUTPUT, clean
    from grader.sandbox.staging import printable   # a path that is not UTF-8: its bytes as \xNN
    result.submission = clean(printable(result.submission), 4096, lines=False)
    result.stdout_sample = clean(result.stdout_sample, OUTPUT)
    result.errors = [clean(e, MESSAGE) for e in result.errors]
    result.notes = [clean(n, LINE, lines=False) for n in result.notes]
    result.tampering = [clean(t, LINE, lines=False) for t in result.tampering]
    result.missing_files = [clean(m, NAME, lines=False) for m in result.missing_files]
    for c in result.checks:
        c.message = clean(c.message, MESSAGE)
        c.title = clean(c.title, LINE, lines=False)
        c.params = clean(c.params, LINE, lines=False)
        c.hints = [clean(h, LINE, lines=False) for h in c.hints]
    return result
