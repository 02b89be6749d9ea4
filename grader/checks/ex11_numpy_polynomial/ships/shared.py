"""What the visible and the hidden checks of ex11 share: the count of recorded losses of short
runs, read as evidence of which steps were recorded."""
import numpy as np

from grader.checks.api import fail
from grader.checks.ex11_numpy_polynomial.ships import mistakes as hints


def name_every_loss(runs, call: str, x=None, y=None) -> None:
    """`runs` {k: fit_numpy's result after k < 100 steps}: none of them records a loss (t % 100
    == 99 is never reached). When every run of k >= 1 steps holds exactly k losses, every step
    was recorded: say so, before a count that is off by one for k = 1 reads as a loop of one
    step too many. When every run of k >= 1 steps holds one loss (and the run of 0 steps none),
    the first step was recorded: named as the loss of step 0 (t % 100 == 0) where that loss is
    the loss of the run's initial values on (x, y); described only, otherwise."""
    counts = {}
    for k, got in runs.items():
        if not (isinstance(got, (tuple, list)) and len(got) == 2
                and isinstance(got[1], (tuple, list))):
            return
        counts[k] = len(got[1])
    several = [k for k in counts if k >= 1]
    if len(several) >= 2 and all(counts[k] == k for k in several):
        shown = ", ".join(f"{counts[k]} loss{'es' * (counts[k] != 1)} after {k} "
                          f"step{'s' * (k != 1)}" for k in sorted(counts))
        fail(f"{call} recorded {shown}; a run of fewer than 100 steps records none.",
             hints.EVERY_LOSS)
    if len(several) >= 2 and all(counts[k] == 1 for k in several) and counts.get(0, 0) == 0:
        shown = ", ".join(f"{counts[k]} after {k} step{'s' * (k != 1)}" for k in sorted(counts))
        first = _initial_loss(runs.get(0), x, y)
        same = first is not None and all(
            isinstance(runs[k][1][0], (int, float)) and
            abs(runs[k][1][0] - first) <= 1e-6 * abs(first) + 1e-9 for k in several)
        fail(f"{call} recorded {shown}; a run of fewer than 100 steps records none"
             f"{' (each value is the loss of step 0, at the initial values)' if same else ''}.",
             hints.LOSS_OF_STEP_0 if same else None)


def _initial_loss(run, x, y):
    """The sum of squared errors of the cubic with `run`'s coefficients (a run of 0 steps: the
    initial values) on (x, y); None where they are not four numbers."""
    if x is None or y is None or not (isinstance(run, (tuple, list)) and len(run) == 2):
        return None
    coefs = run[0]
    if not (isinstance(coefs, (tuple, list)) and len(coefs) == 4
            and all(isinstance(v, (int, float)) for v in coefs)):
        return None
    a, b, c, d = coefs
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.sum((a + b * x + c * x ** 2 + d * x ** 3 - y) ** 2))
