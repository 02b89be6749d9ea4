"""Fixtures of the package's own tests: one zygote for the whole session, and a way to grade a
submission made from the reference with a few functions replaced (a mutant)."""
from __future__ import annotations

import os
import shutil
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from grader.exercises import module_of
from grader.engine.runner import grade_submission
from grader.sandbox import Zygote

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def pinned_version(name: str):
    """The grader version recorded while it lasts (GRADER_VERSION): the checkout may be edited
    while a module's tests run, and its gradebooks must not change version half-way."""
    old = os.environ.get("GRADER_VERSION")
    os.environ["GRADER_VERSION"] = name
    try:
        yield
    finally:
        if old is None:
            del os.environ["GRADER_VERSION"]
        else:
            os.environ["GRADER_VERSION"] = old


def pytest_configure(config):
    """The checks' markers (exNN, points, target, ...): tests import check modules."""
    from grader.exercises import markers
    for line in markers():
        config.addinivalue_line("markers", line)


# Files whose tests share an expensive module fixture (a class run, an nbgrader course, a
# LocalCluster, an archive built once): run in parallel (`pytest -n 4 --dist loadgroup`, as
# the README says), each stays on one process, so that its fixture is built once; the other
# tests are spread one by one.
SHARED_FIXTURES = ("test_adversarial", "test_classrun", "test_cluster", "test_deny_by_default",
                   "test_gradescope", "test_nbgrader", "test_nbgrader_kernel", "test_new_exercise",
                   "test_release", "test_student_text",
                   # its last test counts what the others measured: it needs them all in
                   # the same process, or it is skipped
                   "test_holdout")


@pytest.hookimpl(tryfirst=True)   # before xdist reads the groups (its own hook of this name)
def pytest_collection_modifyitems(config, items):
    for item in items:
        stem = item.path.stem
        if stem in SHARED_FIXTURES and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(stem))


@pytest.fixture(scope="session")
def zygote():
    z = Zygote()
    yield z
    z.close()


class SharedZygote:
    """The session's zygote where an entry point starts its own (its close() does nothing):
    the entry point's code is what is tested, and a zygote costs seconds to start."""

    def __init__(self, zygote):
        self._zygote = zygote

    def __getattr__(self, name):
        return getattr(self._zygote, name)

    def close(self):
        pass


def lend_zygote(monkeypatch, zygote) -> None:
    """Every Zygote an entry point starts (grade, gradescope, the CLI) is the session's."""
    import grader.sandbox
    monkeypatch.setattr(grader.sandbox, "Zygote", lambda *a, **k: SharedZygote(zygote))


@pytest.fixture
def grade(zygote, tmp_path):
    """grade(ex, code=None, files=None, **kw) -> GradeResult.

    `code` is appended to the reference solution of `ex`, so a `def` in it replaces the
    reference's function of that name (a mutant). `files` maps file names to contents for a
    submission written from scratch."""
    counter = [0]

    def run(ex, code=None, files=None, seed=1234, exercises=None, **kw):
        counter[0] += 1
        folder = tmp_path / f"sub{counter[0]}"
        folder.mkdir()
        if files is None:
            source = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
            if code:
                source += "\n\n# --- mutant ---\n" + textwrap.dedent(code)
            files = {f"{module_of(ex)}.py": source}
        for name, content in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)   # mypkg/core.py
            (folder / name).write_text(content)
        return grade_submission(folder, zygote, exercises=exercises or [ex], seed=seed, **kw)

    return run


def failing(result, target=None):
    """The failed checks (of one target, when given)."""
    return [c for c in result.checks
            if c.status in ("failed", "error", "not started")
            and (target is None or c.target == target)]


def messages(result, target=None) -> str:
    return "\n".join(c.message for c in failing(result, target))


def exercise_points(ex: str) -> int:
    """An exercise's maximum, read from its checks' point marks (what a full grade of the
    references scores): tests that print a class's totals follow the checks as they grow."""
    from grader.instructor.build import check_points
    return int(sum(check_points(ex).values()))
