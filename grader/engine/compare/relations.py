"""How a wrong value differs from the expected one, when one plain relation holds exactly (to
the check's tolerance): the evidence, in words, for mistakes no table lists.

    relation(np.array([-1., 2.]), np.array([1., -2.]), 1e-5, 1e-8)
    -> 'every value has the opposite sign of the expected one (× −1)'

Each relation is asked only where it says something: a scale or an offset between two single
numbers always exists, so for one number only the sign, ×2, ½, the square root and the square
are told. None when no relation holds; the caller then says nothing more than the values."""
from __future__ import annotations

import numpy as np

from grader.engine.compare.tolerances import _close, rounded_hint

MIN_SCALE_DIGITS = 3     # a factor that is not a whole number (or one over one) is told to 3 digits
MAX_LISTED = 3           # wrong positions named one by one


def relation(got, expected, rtol: float, atol: float) -> str | None:
    """The first relation that holds between `got` and `expected` (float arrays of one shape,
    not close to each other), in words; None when none does."""
    a, b = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape or a.size == 0 or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return None
    if not np.any(np.abs(b) > atol):      # all zeros expected: nothing relates to them
        return None
    if rounded := rounded_hint(a, b):     # every value the expected one rounded to decimals
        return rounded

    def close(x):
        return _close(x, b, rtol, atol) if x.shape == b.shape else False

    def close_to(x, y):
        return x.shape == y.shape and _close(x, y, rtol, atol)

    if a.size == 1:
        return _one_number(float(a.reshape(-1)[0]), float(b.reshape(-1)[0]), rtol, atol)
    each = "every value is"
    if close(-a):
        return "every value has the opposite sign of the expected one (× −1)"
    varied = a.size > 1 and np.ptp(b) > atol
    if (b >= 0).all() and (a >= 0).all() and close(a ** 2):
        return f"{each} the square root of the expected one"
    if close_to(a, b ** 2) and not close_to(b, b ** 2):
        return f"{each} the square of the expected one"
    if varied and (applied := _applied(a, b, rtol, atol)):
        return applied
    k = _scale(a, b)
    # a factor between arrays is evidence where at least two different values relate by it
    spread = len(np.unique(np.abs(b[np.abs(b) > atol]).round(12))) >= 2
    if k is not None and spread and close_to(a, k * b):
        return f"{each} the expected one {_times(k)} (a constant factor)"
    if varied:
        c = float(np.median(a - b))
        if abs(c) > atol and close_to(a, b + c):
            return f"every value is the expected one {'plus' if c > 0 else 'minus'} the same " \
                   f"constant, {abs(c):.4g} (an offset)"
        return _arrangement(a, b, rtol, atol) or _rows_offset(a, b, rtol, atol) \
            or _few_wrong(a, b, rtol, atol)
    return None


# functions a result is passed through once too often: {name: f}
APPLIED = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "exp": np.exp, "tanh": np.tanh,
           "log": lambda v: np.log(np.where(v > 0, v, np.nan))}


def _applied(a, b, rtol, atol) -> str | None:
    """Every value of `a` is f of the expected one, for one f of APPLIED (the expected values
    not all alike, and f changes them: tanh of small values is about themselves)."""
    with np.errstate(all="ignore"):
        for name, f in APPLIED.items():
            fb = f(b)
            if np.isfinite(fb).all() and _close(a, fb, rtol, atol) \
                    and not _close(fb, b, rtol, atol):
                return (f"every value is {name} of the expected one: {name} is applied to the "
                        f"result once more than asked")
    return None


def _one_number(a: float, b: float, rtol: float, atol: float) -> str | None:
    """Between two single numbers: the one relation of a few that a mistake makes, that holds
    (None where none does, or where several do: 4 is both 2 × 2 and 2 squared)."""
    def near(x):
        return abs(x - a) <= atol + rtol * abs(x)
    found = [words for holds, words in (
        (near(-b), "the value has the opposite sign of the expected one (× −1)"),
        (b >= 0 and a >= 0 and near(b ** 0.5), "the value is the square root of the expected one"),
        (near(b * b), "the value is the square of the expected one"),
        (near(2 * b), "the value is the expected one × 2"),
        (near(b / 2), "the value is the expected one × 1/2")) if holds]
    return found[0] if len(found) == 1 else None


def _scale(a, b) -> float | None:
    """The ratio a / b where b is not zero (their median), or None."""
    nonzero = np.abs(b) > 0
    if not nonzero.any():
        return None
    k = float(np.median(a[nonzero] / b[nonzero]))
    return k if np.isfinite(k) and k not in (0.0, 1.0) else None


def _times(k: float) -> str:
    """× 3, × 1/4, × −2, × 0.535."""
    for v, word in ((k, "× {}"), (1 / k, "× 1/{}")):
        if abs(v) >= 2 and abs(v - round(v)) < 1e-6 * abs(v):
            return word.format(int(round(v))).replace("-", "−")
    return f"× {k:.{MIN_SCALE_DIGITS}g}".replace("-", "−")


def _arrangement(a, b, rtol, atol) -> str | None:
    """The expected values in another arrangement: transposed, rows or items reordered,
    shifted by one place; only among three different values or more (two values swapped,
    [0, 1] for [1, 0], are as much a flipped sign or a 1 - p as a reversed order)."""
    if len(np.unique(b.round(12))) < 3:
        return None
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(a, b.T, rtol, atol):
        return "the expected values transposed (rows and columns swapped)"
    if a.ndim >= 1 and a.shape[0] > 1:
        if _close(a, b[::-1], rtol, atol):
            return "the expected values in reverse order (along the first dimension)"
        rows_a = sorted(map(tuple, a.reshape(a.shape[0], -1).round(9)))
        rows_b = sorted(map(tuple, b.reshape(b.shape[0], -1).round(9)))
        if a.ndim == 2 and rows_a == rows_b:
            return "the expected rows, in another order"
        if a.ndim == 1 and a.size > 2:
            if _close(a[1:], b[:-1], rtol, atol):
                return "the expected values shifted one place later (got[i] is expected[i - 1])"
            if _close(a[:-1], b[1:], rtol, atol):
                return "the expected values shifted one place earlier (got[i] is expected[i + 1])"
    if np.allclose(np.sort(a, axis=None), np.sort(b, axis=None), rtol=rtol, atol=atol):
        return "the same values as expected, in another order"
    return None


def _rows_offset(a, b, rtol, atol) -> str | None:
    """One block of consecutive rows wrong (two or more, not all, holding four values or more:
    two values off by one number can be a coincidence), every value in it the expected one plus
    the same constant, the other rows right: a term added to (or left out of) those rows alone,
    e.g. the second cluster's + 1."""
    if a.ndim not in (1, 2) or a.shape[0] < 3:
        return None
    rows_a, rows_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    bad = ~np.isclose(rows_a, rows_b, rtol=rtol, atol=atol).all(axis=1)
    wrong = np.nonzero(bad)[0]
    if len(wrong) < 2 or len(wrong) == len(a) or wrong[-1] - wrong[0] + 1 != len(wrong) \
            or rows_a[wrong].size < 4:
        return None
    d = rows_a[wrong] - rows_b[wrong]
    c = float(np.median(d))
    if abs(c) <= atol or not _close(rows_a[wrong], rows_b[wrong] + c, rtol, atol):
        return None
    what = "rows" if a.ndim == 2 else "values at indices"
    half = len(a) // 2 if len(a) % 2 == 0 else None
    part = " (the second half)" if (wrong[0], wrong[-1] + 1) == (half, len(a)) else \
        " (the first half)" if (wrong[0], wrong[-1] + 1) == (0, half) else ""
    return (f"only the {what} {wrong[0]} to {wrong[-1]}{part} are wrong, every value there the "
            f"expected one {'plus' if c > 0 else 'minus'} the same constant, {abs(c):.4g} (an "
            f"offset); the other {what.split()[0]} are right")


def _few_wrong(a, b, rtol, atol) -> str | None:
    """Most values right, a few wrong: which ones, and what they have in common that shows."""
    wrong = ~np.isclose(a, b, rtol=rtol, atol=atol)
    n = int(wrong.sum())
    if n == 0 or n * 2 > a.size:
        return None
    negative_to_zero = (b[wrong] < 0).all() and (a[wrong] == 0).all()
    if n > 1 and not negative_to_zero:    # several wrong values: no more to say than the values
        return None
    at = [tuple(int(i) for i in idx) for idx in zip(*np.nonzero(wrong))]
    where = ", ".join(str(p if len(p) > 1 else p[0]) for p in at[:MAX_LISTED]) + \
        (", ..." if n > MAX_LISTED else "")
    common = ""
    bw, aw = b[wrong], a[wrong]
    it = "it was" if n == 1 else "each was"
    if negative_to_zero:
        common = f": {it} expected negative and came back as 0"
    elif (bw < 0).all() and np.allclose(aw, -bw, rtol=rtol, atol=atol):
        common = f": {it} expected negative and came back positive"
    elif n == 1:    # the one wrong value's own relation to the expected one, where one holds
        one = _one_number(float(aw[0]), float(bw[0]), rtol, atol)
        common = f": {one.replace('the value', 'it', 1)}" if one else ""
    if n == 1 and a.ndim == 1 and at[0][0] in (0, a.size - 1):
        where += " (the first)" if at[0][0] == 0 else " (the last)"
    values = "the value" if n == 1 else f"{n} of the {a.size} values"
    return f"only {values} at {'index' if n == 1 else 'indices'} {where} " \
           f"{'is' if n == 1 else 'are'} wrong{common}"


def never_moved(steps, start) -> int:
    """How many optimizer steps a run took without moving any parameter: the number of steps
    when every step of `steps` ({name: (S, *shape)}, as record_steps traces them) left every
    parameter exactly at its value in `start` ({name: tensor}); 0 when any step moved one (or
    none was taken, or the record cannot tell).

        never_moved({"w": torch.ones(3, 2)}, {"w": torch.ones(2)})   # -> 3
    """
    import torch
    if not isinstance(steps, dict) or not isinstance(start, dict) or set(steps) != set(start):
        return 0
    counts = set()
    for name, value in start.items():
        trace = steps[name]
        if not isinstance(trace, torch.Tensor) or not isinstance(value, torch.Tensor) \
                or tuple(trace.shape[1:]) != tuple(value.shape) or not len(trace):
            return 0
        if not torch.equal(trace, value.to(trace.dtype).expand_as(trace)):
            return 0
        counts.add(len(trace))
    return counts.pop() if len(counts) == 1 else 0
