"""Plot data that checks attach to their result, for the feedback page.

The comparison helpers numeric.assert_trajectory and numeric.assert_gradient call `plot(...)`
themselves, so every training check carries the student's loss curve (each list of per-step
values) over the reference's, and every gradient check a scatter of the student's gradient
against the analytic one. A plot never makes a check fail.

A plot goes to the pytest item of the check that made it: the checks' conftest runs each check
inside `attached_to(item)`; the item's ("plot", data) properties reach its report, and the
report's CheckResult (grader.result) carries them to the page.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

import numpy as np
import torch

MAX_POINTS = 2000
# The item of the check running now, inside `attached_to` only (None elsewhere).
_check: ContextVar = ContextVar("grader_plots_check", default=None)


def flat_floats(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().to(torch.float64).reshape(-1).numpy()
    if isinstance(values, (list, tuple)):
        parts = [flat_floats(v) for v in values]
        return np.concatenate(parts) if parts else np.zeros(0)
    try:
        return np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return np.zeros(0)


def attach(node, title: str, kind: str = "curve", **series) -> None:
    clean = {}
    for name, values in series.items():
        arr = flat_floats(values)[:MAX_POINTS]
        clean[name] = [float(v) if np.isfinite(v) else None for v in arr]
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
