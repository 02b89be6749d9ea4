"""What a check file needs: the @check decorator, device and dtype parameters, seeded inputs,
and the recorded expected values of visible checks.

    pytestmark = pytest.mark.ex02

    @check("gradient", points=2, visible=True)
    def test_gradient_course_numbers(sub):
        '''gradient at w = 1 on the course data'''
        got = sub.call("ex02.gradient", [1., 2., 3.], [2., 4., 6.], 1.0, grad=False)
        assert_close(got, expected(CASES, "course"), call="gradient(x, y, w=1.0)")
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch



def check(target: str, points: float = 1, visible: bool = False):
    """Mark a test as a graded check of `target` (a function or class of the exercise)."""
    def wrap(fn):
        fn = pytest.mark.points(points)(fn)
        fn = pytest.mark.target(target)(fn)
        fn = (pytest.mark.visible if visible else pytest.mark.hidden)(fn)
        return fn
    return wrap


def markers() -> list[str]:
    """The pytest markers a check carries, as lines of the ini option `markers`: one per
    exercise folder (exNN) and those `check` and `property_of` set. grader/checks/conftest.py
    registers them for the checks; tests/conftest.py for the package's own tests, which import
    check modules."""
    from grader.exercises import EXERCISES
    return [f"{ex}: a check of exercise {ex}" for ex in EXERCISES] + [
        "points(n): points a check is worth",
        "target(name): the function or class a check is about",
        "visible: a check students can run themselves",
        "hidden: a check that only the grader runs",
        "property_of(*targets): a check of a property that an answer doing no work may also "
        "have (a gradient of 0 at the minimum, w0 back after 0 epochs, a float returned): it "
        "counts only when the value checks of `targets` (default: its own target) pass in the "
        "same run (see grader.runner.count_property_checks)"]


AUTOGRAD_ERRORS = ("does not require grad", "grad_fn", "requires_grad", "Trying to backward")


def manual_call(sub, target: str, *args, **kwargs):
    """sub.call(target, *args, grad=False): a "manual" function runs with autograd off. When it
    fails because it used autograd anyway (.backward() under no_grad), the failure says so:

        got = manual_call(sub, "ex02.gradient", xs, ys, 1.0)
    """
    from grader.numeric import fail
    from grader.sandbox import StudentError
    try:
        return sub.call(target, *args, grad=False, **kwargs)
    except StudentError as exc:
        if exc.kind == "exception" and any(s in str(exc) for s in AUTOGRAD_ERRORS):
            func = target.split(".", 1)[1]
            fail(exc.describe(f"{func}(...) with autograd off") +
                 f"\n  hint: {func} computes its derivative by hand: it must work under "
                 f"torch.no_grad() and on tensors that do not require grad, so .backward() and "
                 f"torch.autograd.grad cannot be used in it. Write the formula instead.")
        raise


def devices():
    """Parametrise over devices: cpu always, cuda too (skipped with a reason where absent)."""
    return pytest.mark.parametrize("device", ["cpu", "cuda"])


def dtypes(*names):
    names = names or ("float32", "float64")
    return pytest.mark.parametrize("dtype", [getattr(torch, n) for n in names],
                                   ids=list(names))


def _mix(seed: int, keys) -> int:
    text = json.dumps([seed, *[str(k) for k in keys]])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") \
        % (2**62)


def gen(seed: int, *keys) -> torch.Generator:
    """A CPU torch.Generator seeded from the run's seed and the keys (e.g. the check's name)."""
    return torch.Generator().manual_seed(_mix(seed, keys))


def np_rng(seed: int, *keys) -> np.random.Generator:
    return np.random.default_rng(_mix(seed, keys))


def randn(g: torch.Generator, *shape, dtype=torch.float64, device="cpu", scale=1.0):
    return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype).to(device)


def uniform(g: torch.Generator, *shape, low=-1.0, high=1.0, dtype=torch.float64, device="cpu"):
    t = torch.rand(shape, generator=g, dtype=torch.float64) * (high - low) + low
    return t.to(dtype).to(device)


def record_plot(request, title: str, kind: str = "curve", **series):
    """Attach data for a plot on the feedback page (see grader/feedback.py).

    kind "curve": each series is a list of y values by step, e.g.
        record_plot(request, "loss per step", student=losses, reference=ref_losses)
    kind "scatter": series `x` and `y` plus optional `reference` (y values at the same x), e.g.
        record_plot(request, "dL/dw: yours vs analytic", kind="scatter", x=analytic, y=got)
    Only finite numbers are kept; at most 2000 points per series. The comparison helpers
    already attach loss curves and gradient scatters (grader/plots.py)."""
    from grader.plots import attach
    attach(request.node, title, kind, **series)


# ----------------------------------------------------------------------------------------------
# visible cases and their recorded values

@dataclass(frozen=True)
class Case:
    """A fixed input of a visible check, whose reference result `build` records as data.

    `target` is "exNN.func" for a plain call, or "exNN" with `probe` set for a probe."""

    id: str
    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    grad: bool | None = None
    probe: str | None = None

    @property
    def exercise(self) -> str:
        return self.target[:4]

    def on(self, device) -> "Case":
        """The same case with its tensor inputs on `device` (the expected value moves too:
        `expected(case, device)`)."""
        return Case(self.id, self.target, _to(self.args, device), _to(self.kwargs, device),
                    self.grad, self.probe)

    def run(self, sub):
        if self.probe:
            return sub.probe(self.probe, self.exercise, *self.args, **self.kwargs)
        return sub.call(self.target, *self.args, grad=self.grad, **self.kwargs)

    def reference(self):
        from grader.reference import reference, reference_probe
        if self.probe:
            return reference_probe(self.probe, self.exercise, *self.args, **self.kwargs)
        return reference(self.target, *self.args, grad=self.grad, **self.kwargs)


_loaded: dict[str, dict] = {}


def expected(case: Case, device: str | torch.device | None = None):
    """The reference's recorded result for a visible case (moved to `device` when given)."""
    from grader.expected import from_json
    from grader.exercises import expected_file
    ex = case.exercise
    if ex not in _loaded:
        path = expected_file(ex)
        _loaded[ex] = json.loads(path.read_text()) if path.exists() else {}
    if case.id not in _loaded[ex]:
        raise RuntimeError(f"no recorded value for {ex} case {case.id!r}: run "
                           f"`python -m grader build`")
    value = from_json(_loaded[ex][case.id])
    return _to(value, device) if device is not None else value


def _to(x, device):
    if isinstance(x, torch.Tensor):
        return x.detach().to(device).requires_grad_(x.requires_grad)
    if isinstance(x, tuple):
        return tuple(_to(v, device) for v in x)
    if isinstance(x, list):
        return [_to(v, device) for v in x]
    if isinstance(x, dict):
        return {k: _to(v, device) for k, v in x.items()}
    return x
