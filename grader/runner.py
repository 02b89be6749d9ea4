"""Run the checks of one submission with pytest, in this (trusted) process, and collect results.

    zygote = Zygote()
    result = grade_submission("alice/", zygote, exercises=["ex02"], seed=7)
    result.score, result.max_score
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from grader.exercises import EXERCISES, module_of
from grader.sandbox import Limits, Submission, Zygote

CHECKS = Path(__file__).resolve().parent / "checks"


@dataclass
class CheckResult:
    nodeid: str
    exercise: str
    target: str
    title: str
    params: str
    points: float
    visible: bool
    status: str        # passed, failed, not started, error, skipped, not counted
    message: str
    seconds: float
    plots: list = field(default_factory=list)
    hints: list = field(default_factory=list)   # the known mistakes the check named

    @property
    def score(self) -> float:
        return self.points if self.status == "passed" else 0.0

    @property
    def counted(self) -> bool:
        return self.status != "skipped"

    @property
    def name(self) -> str:
        return f"{self.exercise} {self.target}: {self.title}" + \
            (f" [{self.params}]" if self.params else "")


@dataclass
class GradeResult:
    submission: str
    seed: int
    checks: list[CheckResult] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stdout_chars: int = 0
    stdout_sample: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # e.g. notebook cells skipped: they raised

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks if c.counted)

    def by_exercise(self) -> dict[str, tuple[float, float]]:
        out = {ex: [0.0, 0.0] for ex in self.exercises}
        for c in self.checks:
            if c.counted and c.exercise in out:
                out[c.exercise][0] += c.score
                out[c.exercise][1] += c.points
        return {ex: (s, m) for ex, (s, m) in out.items()}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"], d["max_score"] = self.score, self.max_score
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GradeResult":
        d = dict(d)
        d.pop("score", None)
        d.pop("max_score", None)
        d["checks"] = [CheckResult(**c) for c in d["checks"]]
        return cls(**d)


class _Session:
    """Hands the submission and seed to the checks' fixtures; collects their reports."""

    is_grader_session = True

    def __init__(self, submission, seed, device, targets=None):
        self.submission, self.seed, self.device = submission, seed, device
        self.targets = set(targets) if targets else None   # None: every target's checks
        self.results: dict[str, CheckResult] = {}
        self.property_of: dict[str, list[str]] = {}   # nodeid -> targets whose values it needs
        self.errors: list[str] = []

    def pytest_runtest_logreport(self, report):
        plots = [v for k, v in report.user_properties if k == "plot"]
        for key, info in report.user_properties:
            if key == "grader" and info.get("status"):
                if info.get("property_of"):
                    self.property_of[report.nodeid] = list(info["property_of"])
                self.results[report.nodeid] = CheckResult(
                    nodeid=report.nodeid, exercise=info["exercise"] or "", target=info["target"],
                    title=info["title"], params=info["params"], points=info["points"],
                    visible=info["visible"], status=info["status"], message=info["message"],
                    seconds=round(report.duration, 4), plots=plots,
                    hints=list(info.get("hints", ())))

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"could not load checks {report.nodeid}: "
                               f"{str(report.longrepr)[-1500:]}")


NOT_COUNTED = "not counted"


def count_property_checks(checks: list[CheckResult], property_of: dict[str, list[str]]):
    """Answers that do no work earn nothing. A check marked @pytest.mark.property_of tests a
    property that a constant, a bool, the input handed back or a function that does nothing
    may also have (the gradient is 0 at the minimum, 0 epochs give w0 back, the loss is
    returned as a float). It keeps its points only when the value checks of the targets it
    names (the checks of the same exercise and target that are not property checks and were
    not skipped) ran in this run and all passed; otherwise a passed property check becomes
    "not counted": 0 points, its points still in the maximum. Changes `checks` in place."""
    values: dict[tuple[str, str], list[str]] = {}
    for c in checks:
        if c.nodeid not in property_of and c.status != "skipped":
            values.setdefault((c.exercise, c.target), []).append(c.status)
    for c in checks:
        targets = property_of.get(c.nodeid)
        if not targets or c.status != "passed":
            continue
        runs = [values.get((c.exercise, t), []) for t in targets]
        if not all(r and all(s == "passed" for s in r) for r in runs):
            c.status = NOT_COUNTED
            c.message = f"not counted until the value checks of {' and '.join(targets)} pass"


def check_files(exercises, visible_only=False, hidden_only=False) -> list[str]:
    """The check files to run, each exercise's visible then hidden ones (an exercise folder's
    ships/test_visible.py and private/test_hidden.py; the kit has no private/)."""
    from grader.exercises import check_file
    kinds = ["visible"] if visible_only else ["hidden"] if hidden_only else ["visible", "hidden"]
    return [str(f) for ex in exercises for kind in kinds if (f := check_file(ex, kind)).exists()]


# Plugins a grading run does not need; unraisableexception alone costs ~1 s of gc per run.
_NO_PLUGINS = ("cacheprovider", "unraisableexception", "threadexception", "faulthandler",
               "doctest", "junitxml", "pastebin", "legacypath", "nose", "stepwise", "logging")


def pytest_args(files) -> list[str]:
    """The command line of every pytest run over the checks (grading and collecting)."""
    args = list(files) + ["-c", str(CHECKS / "pytest.ini"), "--rootdir", str(CHECKS), "-q",
                          "--no-header", "--tb=no", "-W", "ignore", "--assert=plain"]
    for plugin in _NO_PLUGINS:
        args += ["-p", f"no:{plugin}"]
    return args


@contextlib.contextmanager
def no_plugin_autoload():
    """Third-party pytest plugins installed beside the grader (hypothesis, anyio, benchmark...)
    are not needed by the checks and cost 0.2 s or more to load on every run."""
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


def run_pytest(submission: Submission, exercises, *, visible_only=False, device="all",
               seed=None, keyword=None, quiet=True, targets=None, hidden_only=False) -> _Session:
    session = _Session(submission, seed, device, targets)
    files = check_files(exercises, visible_only, hidden_only)
    if not files:
        return session
    args = pytest_args(files)
    if keyword:
        args += ["-k", keyword]
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
        from grader.trajectory import warm_up_optimizers
        warm_up_optimizers()
        _TRUSTED_READY = "optim"


def grade_submission(path, zygote: Zygote, *, exercises=None, visible_only=False, device="all",
                     seed=None, limits: Limits | None = None, keyword=None, targets=None,
                     hidden_only=False) -> GradeResult:
    """`targets` (e.g. {"forward"}) keeps only the checks of those functions or classes;
    `hidden_only` runs only the hidden checks (the notebooks' check cells use both)."""
    exercises = list(exercises or EXERCISES)
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    prepare_trusted_side(exercises)
    started = time.perf_counter()
    result = GradeResult(submission=str(path), seed=seed, exercises=exercises)
    with Submission(path, zygote, limits) as sub:
        staged = set(sub.modules)
        result.missing_files = [f"{module_of(ex)}.py" for ex in exercises
                                if module_of(ex) not in staged]
        session = run_pytest(sub, exercises, visible_only=visible_only, device=device, seed=seed,
                             keyword=keyword, targets=targets, hidden_only=hidden_only)
        result.stdout_chars, result.stdout_sample = sub.stdout_chars, sub.stdout_sample[:2000]
        result.notes = list(sub.notes)
    order = {ex: i for i, ex in enumerate(EXERCISES)}
    result.checks = sorted(session.results.values(),
                           key=lambda c: (order.get(c.exercise, 99), not c.visible))
    count_property_checks(result.checks, session.property_of)
    result.errors = session.errors
    result.seconds = round(time.perf_counter() - started, 3)
    return safe_text(result)


def safe_text(result: GradeResult) -> GradeResult:
    """Every text of a result made safe (grader.safetext), in place: the messages quote the
    student's values, exceptions and file names; the notes, the printed sample and the path
    are the student's. Whatever shows or stores the result gets this same text."""
    from grader.safetext import LINE, MESSAGE, NAME, OUTPUT, clean
    from grader.staging import printable   # a path that is not UTF-8: its bytes as \xNN
    result.submission = clean(printable(result.submission), 4096, lines=False)
    result.stdout_sample = clean(result.stdout_sample, OUTPUT)
    result.errors = [clean(e, MESSAGE) for e in result.errors]
    result.notes = [clean(n, LINE, lines=False) for n in result.notes]
    result.missing_files = [clean(m, NAME, lines=False) for m in result.missing_files]
    for c in result.checks:
        c.message = clean(c.message, MESSAGE)
        c.title = clean(c.title, LINE, lines=False)
        c.params = clean(c.params, LINE, lines=False)
        c.hints = [clean(h, LINE, lines=False) for h in c.hints]
    return result
