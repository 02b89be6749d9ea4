"""How close is close enough: the tolerances by dtype, the tolerance of an expected value
(tol_for), agreement within one (_close), and the hint for values that agree only to float32
precision where float64 is expected."""
from __future__ import annotations

import numpy as np
import torch


# Tolerances by dtype: (rtol, atol). float32 results of short loops agree to ~1e-6 relative;
# training trajectories accumulate more, so they use the looser TRAJECTORY row.
TOL = {
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (2e-2, 1e-2),
    torch.float32: (1e-5, 1e-6),
    torch.float64: (1e-9, 1e-12),
}
TRAJECTORY_TOL = {torch.float32: (1e-4, 1e-5), torch.float64: (1e-7, 1e-10)}
GRADCHECK_TOL = (1e-5, 1e-7)  # float64 central difference against an analytic gradient


def tolerance(dtype, table=TOL) -> dict:
    """The table's tolerance for `dtype` as assert_close's keywords:
    assert_close(got, want, call="...", **tolerance(torch.float32, TRAJECTORY_TOL))."""
    rtol, atol = table[dtype]
    return {"rtol": rtol, "atol": atol}


def tol_for(expected, rtol=None, atol=None, table=TOL):
    dtype = expected.dtype if isinstance(expected, torch.Tensor) else torch.float64
    if isinstance(expected, np.ndarray) and expected.dtype == np.float32:
        dtype = torch.float32
    default = table.get(dtype, TOL.get(dtype, (1e-5, 1e-8)))
    return (default[0] if rtol is None else rtol, default[1] if atol is None else atol)


FLOAT32_AGREEMENT = 1e-4   # float32 rounding, grown over a few hundred steps of training


def _close(a, b, rtol, atol) -> bool:
    return a.shape == b.shape and bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol,
                                                          equal_nan=True)))


def beyond_float32(mistakes: dict, b) -> dict:
    """The mistakes whose values differ from the reference's `b` by more than float32's
    rounding (FLOAT32_AGREEMENT): only those can be told from a computation run partly in
    float32, so only those are named before the precision hint."""
    from grader.engine.compare.values import as_array
    out = {}
    for hint, value in mistakes.items():
        try:
            m = as_array(value)
        except Exception:   # noqa: BLE001 - a value of another kind is told apart
            m = None
        if m is None or m.shape != b.shape or not np.allclose(
                m, b, rtol=FLOAT32_AGREEMENT, atol=1e-7, equal_nan=True):
            out[hint] = value
    return out


def _precision_hint(a, b, rtol) -> str | None:
    """Values that agree to float32 precision where float64 precision is expected: part of the
    computation ran in float32 (the classic cause: a tensor made with torch.tensor(w0)), or a
    step that differs by as little in float64 (the values cannot tell which: both are said).
    Asked after the known mistakes that differ from the reference by more than float32's
    rounding (beyond_float32): precision is said only where none of those gives the values;
    a mistake within float32's rounding of the reference cannot be told from it."""
    if rtol >= 1e-6 or b.dtype != np.float64 or a.dtype not in (np.float64, np.float32):
        return None
    if not np.allclose(a, b, rtol=FLOAT32_AGREEMENT, atol=1e-7, equal_nan=True):
        return None
    return ("the values agree only to float32 precision (about 7 digits), but the inputs are "
            "float64. Either part of the computation ran in float32 (torch.tensor(w0) and "
            "torch.tensor([1.0]) make float32 tensors whatever the inputs' dtype: use "
            "torch.as_tensor(w0, dtype=x.dtype); np.loadtxt gives float64), or, where every "
            "value is float64, a step differs by as little (e.g. a gradient taken after another "
            "parameter was updated).")
