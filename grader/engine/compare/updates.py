"""How a training run's updates relate to the reference's: one constant factor on every
parameter, from the very first update on, is what a learning rate other than the one asked
gives.

A record of optimizer steps is {name: array (S, *shape)}, each parameter after every step. Only
the first update starts from a state both runs share (the start); after it each run goes on
from its own state, where the gradients differ and so do the ratios (a run at 10 lr is not 10
times the reference's in its second step). So the factor is read from the first update, and
only where the runs part there: a factor that sets in later (a schedule, a change after some
steps) is not a learning rate passed to the optimizer."""
from __future__ import annotations

import numpy as np

# the ratio of the updates, element by element: one factor to this relative precision
SAME_FACTOR = 1e-3


def lr_hint(factor: float) -> str:
    """The hint for a first update `factor` times the reference's on every parameter."""
    times = f"{factor:.3g} times" if factor >= 1 else f"1/{1 / factor:.3g} of"
    return (f"the first update is {times} the expected one, on every parameter alike: is lr "
            f"passed to the optimizer, and is it the one asked?")


def _ratios(d, e):
    """d / e over the elements where the reference moved; None where fewer than two did, or
    where the run moved an element the reference left."""
    moved = np.abs(e) > 1e-12 * max(1.0, float(np.abs(e).max(initial=0.0)))
    if moved.sum() < 2 or np.any(np.abs(d[~moved]) > 0):
        return None
    return d[moved] / e[moved]


def constant_factor(a: dict, b: dict, names, k: int, start=None) -> float | None:
    """The factor c where the runs part at the first update (k = 0, from `start`, the state
    both began at) and there every element of every parameter moved c times as far as in the
    reference's run (to SAME_FACTOR; at least two elements moved). None otherwise, and where c
    is not positive or is 1."""
    if k != 0 or not (isinstance(start, dict) and all(n in start for n in names)):
        return None
    try:
        before = np.concatenate([np.asarray(start[n], dtype=np.float64).reshape(-1)
                                 for n in names])
        mine, ref = (np.concatenate([np.asarray(rec[n][0], dtype=np.float64).reshape(-1)
                                     for n in names]) for rec in (a, b))
    except (TypeError, ValueError):
        return None
    if not before.shape == mine.shape == ref.shape:
        return None
    ratios = _ratios(mine - before, ref - before)
    if ratios is None or not np.all(np.isfinite(ratios)):
        return None
    c = float(np.median(ratios))
    if c <= 0 or abs(c - 1) < 1e-2 or np.abs(ratios - c).max() > SAME_FACTOR * c:
        return None
    return c


def factor_of_updates(before, got, want) -> float | None:
    """The factor c where, from the parameters `before` (a list of arrays, the start), every
    element of `got` moved c times as far as in `want` (the first unit of a run that returns
    its final parameters); None as for constant_factor."""
    try:
        start = {i: v for i, v in enumerate(before)}
        a = {i: np.asarray(v)[None] for i, v in enumerate(got)}
        b = {i: np.asarray(v)[None] for i, v in enumerate(want)}
    except (TypeError, ValueError):
        return None
    return constant_factor(a, b, list(start), 0, start)
