"""How close is close enough: the tolerances by dtype, the tolerance of an expected value
(tol_for), agreement within one (_close), the hint for values that agree only to float32
precision where float64 is expected, and the one for values rounded to decimals."""
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


MAX_DECIMALS = 8          # values rounded to at most this many decimals are told as rounded
ROUNDED_DIGITS = 4        # ... where one of them keeps at least this many significant digits


def _multiple_of(v, k: int):
    """Which values of `v` are multiples of 10**-k, to float64's rounding of a decimal."""
    scaled = np.asarray(v, dtype=np.float64) * 10.0 ** k
    return np.abs(scaled - np.rint(scaled)) <= np.maximum(1e-9, 1e-13 * np.abs(scaled))


def decimals_rounded(a, b) -> int | None:
    """k where `a` is `b` rounded to k decimals (1 <= k <= MAX_DECIMALS): every value of `a` a
    multiple of 10**-k, within 10**-k of `b` (round, floor or a format's digits), where some
    value of `b` that differs has at least two more decimals. None otherwise. float32 values
    are such multiples only where they are short binary fractions (0.5, 0.25), which float32's
    rounding of a long decimal does not give."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.size == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return None
    differs = a != b
    for k in range(1, MAX_DECIMALS + 1):
        if not _multiple_of(a, k).all():
            continue
        if (np.abs(a - b) <= 10.0 ** -k * (1 + 1e-9)).all() and \
                (differs & ~_multiple_of(b, k + 2)).any():
            return k
        return None
    return None


def rounded_hint(a, b) -> str | None:
    """The values rounded to k decimals (decimals_rounded), where one of them keeps at least
    ROUNDED_DIGITS significant digits (a wrong value that is short by chance, 2.5 for 2.46,
    keeps fewer); None otherwise."""
    k = decimals_rounded(a, b)
    if k is None:
        return None
    a = np.asarray(a, dtype=np.float64)
    big = np.abs(a[a != 0])
    if not big.size or np.floor(np.log10(big.max())) + 1 + k < ROUNDED_DIGITS:
        return None
    return (f"every value returned is a multiple of {10.0 ** -k:g} ({k} decimal"
            f"{'s' * (k != 1)}), where the expected values have more digits: the values were "
            f"rounded (round(v, {k}), a format with {k} decimals, or a floor). Return them "
            f"unrounded; round only where they are printed")


def _precision_hint(a, b, rtol) -> str | None:
    """Values that agree to float32 precision where float64 precision is expected: part of the
    computation ran in float32 (the classic cause: a tensor made with torch.tensor(w0)), or a
    step that differs by as little in float64 (the values cannot tell which: both are said).
    Asked after the known mistakes that differ from the reference by more than float32's
    rounding (beyond_float32): precision is said only where none of those gives the values;
    a mistake within float32's rounding of the reference cannot be told from it. Values
    rounded to decimals (decimals_rounded) are said as rounded, never as float32."""
    if rtol >= 1e-6 or b.dtype != np.float64 or a.dtype not in (np.float64, np.float32):
        return None
    if not np.allclose(a, b, rtol=FLOAT32_AGREEMENT, atol=1e-7, equal_nan=True):
        return None
    if decimals_rounded(a, b) is not None:    # values rounded to decimals: not float32's work
        return rounded_hint(a, b)
    if a.dtype == np.float32 or _float32_numbers(a):
        return ("the values agree only to float32 precision (about 7 digits), where float64's "
                "is expected. Either part of the computation ran in float32 (torch.tensor(w0) "
                "and torch.tensor([1.0]) make float32 tensors whatever the inputs' dtype: use "
                "torch.as_tensor(w0, dtype=x.dtype); np.loadtxt gives float64), or, where every "
                "value is float64, a step differs by as little (e.g. a gradient taken after "
                "another parameter was updated).")
    # float64 digits beyond float32's: nothing shows float32 at the end, so a step that
    # differs by as little is said first
    return ("the values agree only to float32 precision (about 7 digits), where float64's is "
            "expected, though they are not float32 numbers. Either a step of the computation "
            "differs by as little (one update more or fewer, a gradient taken after another "
            "parameter was updated), or part of it ran in float32 before a float64 step "
            "(torch.tensor(w0) makes a float32 tensor whatever the inputs' dtype: use "
            "torch.as_tensor(w0, dtype=x.dtype)).")


def _float32_numbers(a) -> bool:
    """Whether every finite value of `a` is a float32 number (its float32 rounding is itself):
    what a result computed in float32 to the end, then widened, holds."""
    a = np.asarray(a, dtype=np.float64)
    a = a[np.isfinite(a)]
    return bool(a.size) and bool(np.all(a.astype(np.float32).astype(np.float64) == a))
