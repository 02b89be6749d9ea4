"""Shared set-up of the checks: options, markers, the `sub` and `seed` fixtures, device skips,
and the per-check result (points, visibility, message) attached to each pytest report.

Run directly, the checks are an ordinary pytest suite:

    pytest grader/checks --submission solutions -m ex02
"""
from __future__ import annotations

import os
import random

import pytest

from grader.device import cuda_available, exact_float32
from grader.exercises import EXERCISES
from grader.numeric import CheckFailure
from grader.sandbox import StudentError


def pytest_addoption(parser):
    group = parser.getgroup("grader")
    group.addoption("--submission", default=None,
                    help="folder with the exNN_*.py files (or notebooks) to check")
    group.addoption("--grader-seed", type=int, default=None,
                    help="seed of the hidden checks' inputs (default: a new one per run)")
    group.addoption("--grader-device", default="all", choices=("cpu", "cuda", "all"),
                    help="which devices to run device checks on")


def pytest_configure(config):
    exact_float32()  # the references' float32 matmuls as the workers': no TF32
    for ex in EXERCISES:
        config.addinivalue_line("markers", f"{ex}: a check of exercise {ex}")
    config.addinivalue_line("markers", "points(n): points a check is worth")
    config.addinivalue_line("markers", "target(name): the function or class a check is about")
    config.addinivalue_line("markers", "visible: a check students can run themselves")
    config.addinivalue_line("markers", "hidden: a check that only the grader runs")
    config.addinivalue_line(
        "markers", "property_of(*targets): a check of a property that an answer doing no work "
        "may also have (a gradient of 0 at the minimum, w0 back after 0 epochs, a float "
        "returned): it counts only when the value checks of `targets` (default: its own "
        "target) pass in the same run (see grader.runner.count_property_checks)")


def _session(config):
    """The grading run that started this pytest session, if any (see grader.runner)."""
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "is_grader_session", False):
            return plugin
    return None


def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("--grader-device")
    session = _session(config)
    if session is not None and getattr(session, "device", None):
        wanted = session.device
    targets = getattr(session, "targets", None)
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
    session = _session(request.config)
    if session is not None and session.seed is not None:
        return session.seed
    value = request.config.getoption("--grader-seed")
    if value is None:
        value = int(os.environ.get("GRADER_SEED", random.SystemRandom().randrange(2**31)))
    return value


@pytest.fixture(scope="session")
def sub(request):
    session = _session(request.config)
    if session is not None and session.submission is not None:
        yield session.submission
        return
    from pathlib import Path
    from grader.sandbox import Submission, Zygote
    path = request.config.getoption("--submission") or str(
        Path(__file__).resolve().parent.parent.parent / "exercises")
    zygote = Zygote()
    submission = Submission(path, zygote)
    try:
        yield submission
    finally:
        submission.close()
        zygote.close()


@pytest.fixture(autouse=True)
def _current_check(request):
    """Lets the comparison helpers attach plots to the check that calls them."""
    from grader import plots
    plots._CURRENT["node"] = request.node
    yield
    plots._CURRENT["node"] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marks = {m.name: m for m in item.iter_markers()}
    info = {
        "exercise": next((name for name in EXERCISES if name in marks), None),
        "points": float(marks["points"].args[0]) if "points" in marks else 0.0,
        "visible": "visible" in marks,
        "target": marks["target"].args[0] if "target" in marks else "",
        "title": (item.function.__doc__ or item.name).strip().splitlines()[0]
        if hasattr(item, "function") else item.name,
        "params": item.callspec.id if getattr(item, "callspec", None) else "",
        "status": None, "message": "",
    }
    if "property_of" in marks:
        info["property_of"] = [str(t) for t in marks["property_of"].args] or [info["target"]]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            info["status"] = "passed"
        elif report.skipped:
            info["status"] = "skipped"
            lr = report.longrepr
            info["message"] = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
            info["message"] = info["message"].removeprefix("Skipped: ")
        else:
            exc = call.excinfo.value if call.excinfo else None
            info["status"], info["message"] = describe_failure(exc, info["target"], call)
            if isinstance(exc, CheckFailure):  # the mistakes it named: data, never parsed
                info["hints"] = list(exc.hints)  # from the message (it quotes the student)
        report.user_properties.append(("grader", info))


def describe_failure(exc, target, call):
    if isinstance(exc, StudentError):
        return ("not started" if exc.kind == "not_started" else "failed",
                exc.describe(target))
    if isinstance(exc, CheckFailure):
        return "failed", str(exc)
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "a check failed"
    text = f"{type(exc).__name__}: {exc}" if exc is not None else "error"
    return "error", ("the check could not evaluate the result (" + text[:500] + "). "
                     "This usually means the result had an unexpected type or structure.")
