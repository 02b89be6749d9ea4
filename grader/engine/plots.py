"""Plot data that checks attach to their result, for the feedback page.

The comparisons assert_trajectory and assert_gradient (grader/engine/compare/) call `plot(...)`
themselves, so every training check carries the student's loss curve (each list of per-step
values) over the reference's, and every gradient check a scatter of the student's gradient
against the analytic one. A plot never makes a check fail.

A plot goes to the pytest item of the check that made it: the checks' conftest runs each check
inside `attached_to(item)`; the item's ("plot", data) properties reach its report, and the
report's CheckResult (grader.engine.result) carries them to the page.
"""
from __future__ import annotations

import contextlib
import math
from contextvars import ContextVar

import numpy as np
import torch

MAX_POINTS = 2000
# Beyond this magnitude a plot cannot scale its axes (matplotlib computes spans and tick counts
# from the values: +-1.7e308 overflows them); such values are dropped like NaN and inf. Within
# it any span of two values stays finite (2e150).
MAX_MAGNITUDE = 1e150
# The item of the check running now, inside `attached_to` only (None elsewhere).
_check: ContextVar = ContextVar("grader_plots_check", default=None)


def flat_floats(values, limit: int = MAX_POINTS) -> np.ndarray:
    """At most `limit` values of `values` (a tensor, an array, a number or a list of them) as a
    flat float64 array; each part is cut to what is still wanted BEFORE it is converted, so a
    huge tensor costs `limit` values, never a float64 copy of itself. Not a number: empty."""
    if limit <= 0:
        return np.zeros(0)
    if isinstance(values, torch.Tensor):
        return values.detach().reshape(-1)[:limit].cpu().to(torch.float64).numpy()
    if isinstance(values, np.ndarray):
        values = values.reshape(-1)[:limit]
    if isinstance(values, (list, tuple)):
        parts = []
        for v in values:
            part = flat_floats(v, limit)
            parts.append(part)
            limit -= part.size
            if limit <= 0:
                break
        return np.concatenate(parts) if parts else np.zeros(0)
    try:
        return np.asarray(values, dtype=np.float64).reshape(-1)[:limit]
    except (TypeError, ValueError, OverflowError):
        return np.zeros(0)


def drawable(v) -> float | None:
    """`v` as a float a plot can draw, or None (a gap): NaN, inf, anything that is not a
    number and any magnitude past MAX_MAGNITUDE are left out."""
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) and abs(f) <= MAX_MAGNITUDE else None


def attach(node, title: str, kind: str = "curve", **series) -> None:
    clean = {}
    for name, values in series.items():
        clean[name] = [drawable(v) for v in flat_floats(values)]
    node.user_properties.append(("plot", {"title": title, "kind": kind, "series": clean}))


@contextlib.contextmanager
def attached_to(node):
    """Within the block, `plot(...)` attaches to `node` (a pytest item: anything with a
    `user_properties` list)."""
    token = _check.set(node)
    try:
        yield node
    finally:
        _check.reset(token)


def plot(title: str, kind: str = "curve", **series) -> None:
    """Attach a plot to the check running now; silently nothing outside a check."""
    node = _check.get()
    if node is None:
        return
    if any(v[1]["title"] == title for v in node.user_properties if v[0] == "plot"):
        return  # one plot per title and check
    try:
        attach(node, title, kind, **series)
    except Exception:  # noqa: BLE001 - a plot must never fail a check
        pass
