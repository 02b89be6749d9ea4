"""Shared set-up of the checks: options, markers, the `sub` and `seed` fixtures, device skips,
and the per-check result (grader.engine.result.CheckResult) attached to each pytest report.

A grading run (grader.engine.runner) hands its request and submission to the checks in one way: the
GradingSession plugin of the run, found in the pytest config (`_session`). Run directly, the
checks are an ordinary pytest suite, and the request is built here from the options:

    pytest grader/checks --submission solutions -m ex02 --grader-seed 7
"""
from __future__ import annotations

import pytest

from grader.engine import plots
from grader.exercises import markers
from grader.sandbox.device import cuda_available, exact_float32
from grader.exercises import EXERCISES
from grader.engine.compare import CheckFailure
from grader.engine.request import DEVICES, GradeRequest
from grader.engine.result import CheckResult
from grader.engine.runner import SESSION, GradingSession
from grader.checks.calls import Guarded, deferred_failure
from grader.checks.training import named_student_error
from grader.sandbox import StudentError
from grader.sandbox.protocol import facts_read


def pytest_addoption(parser):
    group = parser.getgroup("grader")
    group.addoption("--submission", default=None,
                    help="folder with the exNN_*.py files (or notebooks) to check")
    group.addoption("--grader-seed", type=int, default=None,
                    help="seed of the hidden checks' inputs (default: a new one per run)")
    group.addoption("--grader-device", default="all", choices=DEVICES,
                    help="which devices to run device checks on")


def pytest_configure(config):
    exact_float32()  # the references' float32 matmuls as the workers': no TF32
    for line in markers():   # exNN for every exercise folder, points, target, ...
        config.addinivalue_line("markers", line)


def _session(config) -> GradingSession:
    """The grading run of this pytest session: the one grader.engine.runner started, or, when pytest
    runs the checks directly, one built here from the command line's options (its submission
    is started by the `sub` fixture)."""
    session = config.stash.get(SESSION, None)
    if session is None:
        request = GradeRequest(device=config.getoption("--grader-device"),
                               seed=config.getoption("--grader-seed"))
        session = config.stash[SESSION] = GradingSession(request, submission=None)
    return session


def pytest_collection_modifyitems(config, items):
    request = _session(config).request
    wanted, targets = request.device, request.targets
    if targets:  # a run for some functions only (a notebook's check cell): deselect the rest
        def target(item):
            mark = item.get_closest_marker("target")
            return mark.args[0] if mark else None
        kept = [i for i in items if target(i) in targets]
        dropped = [i for i in items if target(i) not in targets]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    cuda = cuda_available()  # through NVML: grade-class may fork this process afterwards
    for item in items:
        callspec = getattr(item, "callspec", None)
        device = callspec.params.get("device") if callspec else None
        if device == "cuda" and not cuda:
            item.add_marker(pytest.mark.skip(reason="CUDA is not available on this machine"))
        elif device is not None and wanted != "all" and device != wanted:
            item.add_marker(pytest.mark.skip(reason=f"device {device} not selected "
                                                    f"(--device {wanted})"))


@pytest.fixture(scope="session")
def seed(request):
    return _session(request.config).request.seed


@pytest.fixture(scope="session")
def sub(request):
    """The submission, its calls made through the guard of the contracts no value shows
    (grader.checks.calls.Guarded: inputs left unchanged, the global random state)."""
    session = _session(request.config)
    if session.submission is not None:
        yield Guarded(session.submission)
        return
    from pathlib import Path
    from grader.engine.runner import started_zygote
    from grader.sandbox import Submission
    path = request.config.getoption("--submission") or str(
        Path(__file__).resolve().parent.parent.parent / "exercises")
    with started_zygote(session.request) as zygote, \
            Submission(path, zygote, session.request.limits) as submission:
        yield Guarded(submission)


@pytest.fixture(autouse=True)
def _phase(request, sub):
    """Each check runs in the worker of its phase: a hidden check in one no visible check uses
    afterwards (grader.sandbox.submission.Submission.enter)."""
    sub.enter("visible" if request.node.get_closest_marker("visible") else "hidden")


FACTS = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """The plots the comparison helpers make while a check runs go to that check's item; and
    whether the check read a fact measured inside the worker (grader.engine.result.withhold_facts)."""
    before = facts_read()
    deferred_failure()                  # none left from another check
    with plots.attached_to(item):
        outcome = yield
    item.stash[FACTS] = facts_read() > before
    late = deferred_failure()           # the values were right: what the calls showed
    if late is not None and outcome.excinfo is None:
        outcome.force_exception(late)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """The check's result, built here and only here, rides on its report: ("grader",
    CheckResult), and ("property_of", targets) for a property check (see
    grader.engine.result.count_property_checks)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        marks = {m.name: m for m in item.iter_markers()}
        result = check_result(item, call, report, marks)
        report.user_properties.append(("grader", result))
        if "target" in marks and len(marks["target"].args) > 1:
            report.user_properties.append(("uses", [str(t) for t in marks["target"].args[1:]]))
        if "property_of" in marks:
            report.user_properties.append(
                ("property_of", [str(t) for t in marks["property_of"].args] or [result.target]))


def check_result(item, call, report, marks) -> CheckResult:
    """A check's CheckResult, from its markers (exercise, points, visibility, target), its
    docstring (the title), its parameters, and how it ended."""
    target = marks["target"].args[0] if "target" in marks else ""
    hints: list[str] = []
    if report.passed:
        status, message = "passed", ""
    elif report.skipped:
        lr = report.longrepr
        message = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
        status, message = "skipped", message.removeprefix("Skipped: ")
    else:
        exc = call.excinfo.value if call.excinfo else None
        status, message = describe_failure(exc, target, call)
        if isinstance(exc, CheckFailure):  # the mistakes it named: data, never parsed
            hints = list(exc.hints)        # from the message (it quotes the student)
        elif isinstance(exc, StudentError) and named_student_error(exc):
            hints = [named_student_error(exc)]
    return CheckResult(
        nodeid=report.nodeid,
        exercise=next((name for name in EXERCISES if name in marks), ""),
        target=target,
        title=(item.function.__doc__ or item.name).strip().splitlines()[0]
        if hasattr(item, "function") else item.name,
        params=item.callspec.id if getattr(item, "callspec", None) else "",
        points=float(marks["points"].args[0]) if "points" in marks else 0.0,
        visible="visible" in marks, status=status, message=message,
        seconds=round(report.duration, 4),
        plots=[value for key, value in report.user_properties if key == "plot"],
        hints=hints, facts=item.stash.get(FACTS, False))


COMPILER_ERRORS = ("InductorError", "CppCompileError", "BackendCompilerFailed")


def describe_failure(exc, target, call):
    if isinstance(exc, StudentError):
        hint = named_student_error(exc)
        text = exc.describe(target) + (f"\n  hint: {hint}" if hint else "")
        if exc.kind == "exception" and any(e in str(exc) for e in COMPILER_ERRORS):
            text += ("\n  note: torch.compile's default compiler builds C++ code, which the "
                     "grader's sandbox does not allow; remove @torch.compile, or use "
                     "torch.compile(fn, backend=\"eager\")")
        return ("not started" if exc.kind == "not_started" else "failed", text)
    if isinstance(exc, CheckFailure):
        return "failed", str(exc)
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "a check failed"
    text = f"{type(exc).__name__}: {exc}" if exc is not None else "error"
    return "error", ("the check could not evaluate the result (" + text[:500] + "). "
                     "This usually means the result had an unexpected type or structure.")
