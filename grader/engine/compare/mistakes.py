"""What a wrong answer is told: the known mistake it matches (name_mistake; the usual ones of a
derivative or a mean: scale_mistakes), and the hints for a wrong kind, shape or dtype. Mistakes
come as a dict {hint: what a program with that mistake returns}, or as a callable returning one
(resolve, lazily: computed only when a value is wrong)."""
from __future__ import annotations

import math

import torch

from grader.engine.compare import CheckFailure
from grader.engine.compare.tolerances import _close, tol_for
from grader.engine.compare.values import as_array, count_values
from grader.engine.result import JOINED, MEAN_TWICE, SUM_FOR_MEAN


STACKED = ("one stacked tensor (or array) where a tuple is asked: return the values as a tuple, "
           "e.g. return grad_a, grad_b, grad_c, grad_d")
NUMPY_NOT_TENSOR = ("a NumPy array where a tensor is asked: keep the computation in torch (or "
                    "convert with torch.from_numpy(...)), so that dtype and device are kept")
TENSOR_DTYPE = ("compute in the input's dtype: a new tensor made with torch.tensor(...) defaults "
                "to float32 (or int64), whatever the inputs' dtype")
# the values do not show where a float64 came from: the usual sources are listed, none is named
FLOAT64_NOT_FLOAT32 = ("float64 where float32 is asked: make it float32 where it is made "
                      "(dtype=torch.float32 or np.float32, or .float()). float64 is what NumPy "
                      "makes by default (np.loadtxt, np.array of Python floats; torch.from_numpy "
                      "keeps it), and what dtype=torch.float64 or .double() ask for")
# float32 for float64: the values show the precision lost, not where the float32 came from
FLOAT32_NOT_FLOAT64 = ("float32 where float64 is asked, so only float32's precision (about 7 "
                       "significant digits) is kept; " + TENSOR_DTYPE
                       + ", and .float() or dtype=torch.float32 make float32 too")
USE_ITEM = "a tensor where a Python number is asked: use .item() (or float(...))"
NOT_REDUCED = ("each item holds several values where one number is asked: a sum (or mean) over "
               "the samples is missing?")


def tensor_dtype_hint(got, expected) -> str | None:
    """The hint for a tensor of the wrong dtype, where its dtype shows a cause: float32 (or
    int64) is what torch.tensor(...) makes of Python numbers whatever the inputs' dtype; float64
    where float32 is asked is NumPy's default. Any other pair is only described (None)."""
    if got == expected:
        return None
    if got == torch.float32 and expected == torch.float64:
        return FLOAT32_NOT_FLOAT64
    if (got == torch.float32 and expected.is_floating_point) or \
            (got == torch.int64 and not expected.is_floating_point and not expected.is_complex):
        return TENSOR_DTYPE
    if got == torch.float64 and expected == torch.float32:
        return FLOAT64_NOT_FLOAT32
    return None


def array_dtype_hint(got, expected) -> str:
    """The hint for a NumPy result of the wrong dtype."""
    return (f"a {got} array where {expected} is asked: convert with .astype(np.{expected}) (a "
            f"float32 tensor's .numpy() is float32; np.array of Python floats is float64)")


def size_one_hint(got_shape, expected_shape) -> str:
    """The hint for a result with a dimension of size 1 too many or too few."""
    g, e = tuple(got_shape), tuple(expected_shape)
    what = "an extra" if len(g) > len(e) else "a missing" if len(g) < len(e) else "a misplaced"
    return (f"{what} dimension of size 1: {g} where {e} is asked. t.squeeze(1) drops a "
            f"dimension of size 1, t.unsqueeze(1) (or t[:, None]) adds one; slicing with "
            f"data[:, -1:] keeps a column, data[:, -1] does not")


def broadcast_square(n: int) -> str:
    """The hint for an (N, N) result where (N,) or (N, 1) is expected."""
    return (f"(N,) and (N, 1) broadcast into (N, N): here N = {n}, and an elementwise operation "
            f"between a flat vector of shape ({n},) and a column of shape ({n}, 1) (e.g. "
            f"y_pred - y, or p >= 0.5 compared with y) pairs every row with every row. Give both "
            f"the same shape first: column.squeeze(1), or vector.view(-1, 1).")


def _shape_hint(got, expected, mistakes=None) -> tuple[str, str | None]:
    """(text appended to a wrong-shape message, the mistake it names or None)."""
    g, e = tuple(got.shape), tuple(expected.shape)
    a = None   # converted only for a mistake of its very shape
    for description, wrong in (mistakes or {}).items():
        w = as_array(wrong)
        if w is None or w.shape != g:
            continue
        a = as_array(got) if a is None else a
        if a is not None and w.shape == a.shape and _close(a, w, 1e-4, 1e-6):
            return "", description
    n = e[0] if e else 0
    if n > 1 and e in ((n,), (n, 1)) and g == (n, n):
        return "", broadcast_square(n)
    if math.prod(g) == math.prod(e):
        if tuple(d for d in g if d != 1) == tuple(d for d in e if d != 1):
            return "", size_one_hint(g, e)
        return _relayout(got, expected, g, e), None
    if len(g) < len(e) or math.prod(g) == 1:
        return _reduced(got, expected, e), None
    return "", None


def _pair(got, expected):
    """Both as float64 arrays, or None (only where the shapes say a comparison may tell)."""
    a, b = as_array(got), as_array(expected)
    if a is None or b is None or a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        return None
    return a.astype("float64"), b.astype("float64")


def _relayout(got, expected, g, e) -> str:
    """What a result with the expected number of values but another shape holds, when its values
    show it: the expected values in order (a reshape or view), or transposed."""
    ab = _pair(got, expected)
    if ab is None:
        return ""
    a, b = ab
    if _close(a.reshape(-1), b.reshape(-1), 1e-4, 1e-6):
        return f" The values are the expected ones in order, laid out as {g}: a view or reshape."
    if b.ndim == 2 and a.shape == b.T.shape and _close(a, b.T, 1e-4, 1e-6):
        return " The values are the expected ones transposed."
    return ""


def _reduced(got, expected, e) -> str:
    """A result with fewer values than expected: said to be a sum or a mean over a dimension
    only when its values are that sum or mean of the expected values (more values than
    expected are no reduction: nothing is converted)."""
    if count_values(got) is None or count_values(got) >= math.prod(e):
        return ""
    ab = _pair(got, expected)
    if ab is None:
        return ""
    a, b = ab
    for axis in range(len(e)):
        for how, r in (("sum", b.sum(axis=axis)), ("mean", b.mean(axis=axis))):
            if r.size == a.size and _close(a.reshape(-1), r.reshape(-1), 1e-4, 1e-6):
                return (f" The values are the expected ones' {how} over dimension {axis}: did "
                        f"a sum or mean reduce a dimension that should stay?")
    return ""


def name_mistake(got_array, mistakes, rtol=1e-5, atol=1e-8, *, strict=False) -> str | None:
    """The description of the mistake whose result matches `got_array`. Where several known
    mistakes give these very values, the values cannot tell them apart: all are said, as
    what they are (none is picked as the cause). The match is within rtol/atol, but at least
    1e-4/1e-6 unless `strict` (a match at the check's own tolerance: asked before the
    precision hint, since a mistake matched that closely is told from float32's rounding)."""
    found = []
    for description, wrong in (mistakes or {}).items():
        w = as_array(wrong)
        if w is None:
            continue
        if w.shape != got_array.shape and w.size == got_array.size:
            w = w.reshape(got_array.shape)
        r, t = (rtol, atol) if strict else (max(rtol, 1e-4), max(atol, 1e-6))
        if _close(got_array, w, r, t) and description not in found:
            found.append(description)
    if len(found) > 1:
        return JOINED.format(min(len(found), 3)) + " | ".join(found[:3])
    return found[0] if found else None


def scale_mistakes(expected, n: int | None = None, *, factor2=True,
                   rows: int | None = None) -> dict:
    """Wrong answers for a derivative or mean: factor 2 missing, sum instead of mean, sign
    flipped, and their combinations. A factor that equals N names a sum for a mean only where
    another input, with another N, shows its own N (grader.engine.result.confirm_across_inputs);
    on an input with N = 2, a factor 2 is that same question. `rows`: the input's first
    dimension, where N counts all its elements: divided by len(x) where x.numel() is meant
    (where that factor is 2 too, both are said: the values cannot tell them apart)."""
    m = {}
    if n and rows and rows != n:
        m[f"this is {n / rows:g} times the expected value: divided by len(x) = {rows} (its "
          f"first dimension) where x.numel() = {n} is meant?"] = _scale(expected, n / rows)
    if factor2 and n != 2:   # with N = 2, a factor 2 is told by the other inputs (× N below)
        m["this is half the expected value: is the factor 2 from differentiating a square "
          "missing?"] = _scale(expected, 0.5)
        m["this is twice the expected value: is a factor 2 counted twice?"] = _scale(expected, 2.0)
    m["the sign is flipped: the derivative of (x*w - y)**2 is +2*x*(x*w - y); check which of "
      "prediction and target comes first, and that the update subtracts."] = _scale(expected, -1.0)
    if n and n > 1:
        # named only where another input with another N shows the same factor
        # (grader.engine.result.confirm_across_inputs)
        m[SUM_FOR_MEAN.format(n=n)] = _scale(expected, float(n))
        m[MEAN_TWICE.format(n=n)] = _scale(expected, 1.0 / n)
    return m


def _scale(x, s):
    if isinstance(x, (tuple, list)):
        return type(x)(_scale(v, s) for v in x)
    if isinstance(x, dict):
        return {k: _scale(v, s) for k, v in x.items()}
    return x * s


def resolve(mistakes) -> dict:
    """The mistakes, given as a dict or lazily as a callable returning one (called now)."""
    return (mistakes() if callable(mistakes) else mistakes) or {}


def lazily(compare, got, want, *, mistakes=None, **kw):
    """compare(got, want, mistakes=..., **kw) where `mistakes` may be a callable: it is called
    only when the comparison fails, to name the mistake."""
    if not callable(mistakes):
        return compare(got, want, mistakes=mistakes, **kw)
    try:
        compare(got, want, **kw)
    except CheckFailure:
        compare(got, want, mistakes=resolve(mistakes), **kw)
        raise


def _present_mistakes(got, expected, mistakes: dict, rtol, atol, tol_table) -> dict:
    """The mistakes (tuples of values, like `expected`) that `got` shows in full: in every item
    the mistake changes, `got` has the mistake's value. Only those are named item by item: w
    and b drawn alike, (w, w), are not "w and b swapped", (b, w), though one item agrees with it.
    Items a mistake leaves alone (the expected value, or None) are not asked about: another
    mistake may change them."""
    def same(a, b):
        na, nb = count_values(a), count_values(b)
        if na is not None and nb is not None and na != nb:
            return False   # never the same values (and a huge one is not converted)
        x, y = as_array(a), as_array(b)
        if x is None or y is None:
            return x is None and y is None and type(a) is type(b) and _equal(a, b)
        return _close(x, y, *tol_for(b, rtol, atol, tol_table))
    return {hint: v for hint, v in mistakes.items()
            if isinstance(v, (tuple, list)) and len(v) == len(expected)
            and all(m is None or same(m, e) or same(g, m) for g, m, e in zip(got, v, expected))}


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an object that cannot say: not the same
        return False


def _same(a, b) -> bool:
    x, y = as_array(a), as_array(b)
    return x is not None and y is not None and x.shape == y.shape and _close(x, y, 1e-6, 1e-9)


def term_power_mistakes(x, coefs, powers, names, known=None) -> dict:
    """A polynomial sum(coefs[k] * x**powers[k]) with one term at another power, or two
    coefficients swapped: {hint: what it returns at x}. Where a mistake gives what another
    does, or what `known` (the exercise's own table) names, it is left out.

        term_power_mistakes(x, (a, b, c, d), (0, 1, 2, 3), "abcd")
        -> {"d multiplies x**2 where x**3 is wanted": ..., "c and d are swapped: ...": ...}
    """
    def poly(cs, ps):
        return sum(c * x ** p for c, p in zip(cs, ps))
    out: dict = {}
    taken = list((known or {}).values()) + [poly(coefs, powers)]

    def add(hint, value):
        if not any(_same(value, v) for v in taken):
            out[hint] = value
            taken.append(value)
    for k, (name, p) in enumerate(zip(names, powers)):
        for q in sorted(set(range(max(powers) + 2)) | set(range(4))):   # one power more too
            if q != p:
                add(f"{name} multiplies x**{q} where x**{p} is wanted (the terms are "
                    f"{' + '.join(f'{n} * x**{e}' for n, e in zip(names, powers))})",
                    poly(coefs, [q if i == k else e for i, e in enumerate(powers)]))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            swapped = list(coefs)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            add(f"{names[i]} and {names[j]} are swapped: {names[i]} multiplies x**{powers[i]} "
                f"and {names[j]} x**{powers[j]}", poly(swapped, powers))
    return out


def grad_power_mistakes(want, x, r, powers, names, *, summed=True) -> dict:
    """Gradients of a squared error in the coefficients of a polynomial, want[k] = sum(r *
    x**powers[k]) (r the residual times 2), with one of them computed at another power of x:
    {hint: the gradients with that one item changed}. `want`: a tuple or list; items become
    what `x` and `r` make (floats for arrays, tensors for tensors). summed=False: one gradient
    per sample, want[k] = r * x**powers[k]."""
    out: dict = {}
    for k, (name, p) in enumerate(zip(names, powers)):
        for q in sorted(set(range(max(powers) + 2)) | set(range(4))):   # one power more too
            if q == p:
                continue
            value = (r * x ** q).sum() if summed else r * x ** q
            if _same(value, want[k]):
                continue   # the same number: nothing to tell
            if not hasattr(want[k], "shape") or not hasattr(value, "shape"):
                value = float(value)
            else:
                value = value.to(want[k].dtype) if hasattr(value, "to") else value
            out[f"{name} uses x**{q} where x**{p} is wanted: its coefficient multiplies "
                f"x**{p} in the model, so its gradient is {'the sum of ' if summed else ''}2 r x**{p}"] = type(want)(value if i == k else v for i, v in enumerate(want))
        if p >= 2:   # `x * 2` written for `x ** 2`: x times the power, not x to it
            value = (r * x * p).sum() if summed else r * x * p
            if _same(value, want[k]) or any(_same(value, v[k]) for v in out.values()):
                continue
            if not hasattr(want[k], "shape") or not hasattr(value, "shape"):
                value = float(value)
            else:
                value = value.to(want[k].dtype) if hasattr(value, "to") else value
            out[f"{name} uses x * {p} where x ** {p} is wanted: `x * {p}` multiplies x by {p}, "
                f"`x ** {p}` raises it to the power {p}; its gradient is "
                f"{'the sum of ' if summed else ''}2 r x**{p}"] = \
                type(want)(value if i == k else v for i, v in enumerate(want))
    return out


def input_offsets(want: dict, keys, inputs: dict) -> dict:
    """{hint: {key: want[key] - v}} and {hint: {key: want[key] + v}} for each number key of
    `keys` and each value v of the `inputs` ({name: number}, 0 skipped): a key whose value is
    off by exactly an input's value has that input left out of it (or added once more). Where
    several inputs have that value, the hint names each: the values cannot tell them apart.

        input_offsets({"y_hat": 3.0}, ["y_hat"], {"x": 1.0, "b": 2.0})
        -> {"y_hat is the expected value minus 2, the value of b: ...": {"y_hat": 1.0}, ...}
    """
    out: dict = {}
    by_value: dict = {}
    for name, v in inputs.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0:
            by_value.setdefault(float(v), []).append(name)
    for key in keys:
        e = want.get(key)
        if not isinstance(e, (int, float)) or isinstance(e, bool):
            continue
        for v, names in by_value.items():
            who = " and of ".join(names)
            also = " (they are equal here)" if len(names) > 1 else ""
            out[f"{key} is the expected value minus {v:g}, the value of {who}{also}: is "
                f"{' or '.join(names)} left out of {key}?"] = {key: e - v}
            out[f"{key} is the expected value plus {v:g}, the value of {who}{also}: is "
                f"{' or '.join(names)} added to {key} once more?"] = {key: e + v}
    return out
