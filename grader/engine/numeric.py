"""Every tolerance and derivative tool the checks use, in one place.

`assert_close` is the workhorse: it compares what a student's code returned with what was expected
and, when they differ, raises a CheckFailure whose message says what was called, what was expected,
what came back (kind, shape, dtype, device, values), the largest error, and, when the wrong answer
matches a known mistake, names it:

    >>> assert_close(got=torch.tensor(-4.0), expected=torch.tensor(-8.0), call="gradient(...)",
    ...              mistakes=scale_mistakes(torch.tensor(-8.0)))
    CheckFailure: gradient(...) returned the wrong value ... hint: half the expected value: is the
    factor 2 of the derivative of a square missing?
"""
from __future__ import annotations

import functools
import math
import numbers
import sys
from typing import Callable

import numpy as np
import torch

from grader.sandbox.device import device_type
from grader.engine.plots import plot
from grader.sandbox.launcher import StudentError
from grader.sandbox.protocol import RemoteObject, meta

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
FD_EPS = 1e-6


class CheckFailure(AssertionError):
    """A check that failed, with a message written for the student. `hints`: the known mistakes
    the check named (also at the end of the message); the class summary counts these, never
    lines of the message, which may quote the student's own text."""

    def __init__(self, message: str = "", hints=()):
        super().__init__(message)
        self.hints = [str(h) for h in hints if h]


def fail(message: str, hint: str | None = None):
    """Fail the check; `hint` names the mistake (shown as the message's last line). A hint
    named while a student's error is being handled was read from that error's text, which the
    student's own code could have written: it is shown, but it is not a named mistake
    (CheckFailure.hints, what the class summary counts)."""
    if hint:
        message += f"\n  hint: {hint}"
    from_text = isinstance(sys.exc_info()[1], StudentError)
    raise CheckFailure(message, [hint] if hint and not from_text else ())


# ----------------------------------------------------------------------------------------------
# describing values

def kind_of(x) -> str:
    if isinstance(x, torch.Tensor):
        m = meta(x)
        device = m.device if m else str(x.device)
        return f"tensor of shape {tuple(x.shape)}, dtype {str(x.dtype).replace('torch.', '')}, " \
               f"on {device}"
    if isinstance(x, np.ndarray):
        return f"NumPy array of shape {x.shape}, dtype {x.dtype}"
    if isinstance(x, np.bool_):
        return f"a bool ({bool(x)}, a NumPy bool)"
    if isinstance(x, np.generic):
        return f"NumPy scalar ({x.dtype})"
    if isinstance(x, RemoteObject):
        return f"an object of type {x.type_name}"
    if isinstance(x, bool):
        return f"a bool ({x})"
    if isinstance(x, (int, float)):
        return type(x).__name__
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__} of length {len(x)}"
    if x is None:
        return "None"
    return type(x).__name__


def show(x, limit=6) -> str:
    """A short, readable rendering of a value (a few entries of a big tensor)."""
    if isinstance(x, RemoteObject):
        return repr(x)
    if isinstance(x, (torch.Tensor, np.ndarray)):
        a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x
        if a.dtype == np.float16 or str(a.dtype) == "bfloat16":
            a = a.astype(np.float32)
        flat = a.reshape(-1)
        body = ", ".join(_num(v) for v in flat[:limit])
        more = f", ... ({flat.size} values)" if flat.size > limit else ""
        return f"[{body}{more}]" if a.ndim else _num(flat[0]) if flat.size else "[]"
    if isinstance(x, float):
        return _num(x)
    if isinstance(x, (list, tuple)):
        inner = ", ".join(show(v) for v in list(x)[:limit])
        more = ", ..." if len(x) > limit else ""
        return f"[{inner}{more}]" if isinstance(x, list) else f"({inner}{more})"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def _num(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (complex, np.complexfloating)):
        return str(v)
    v = float(v)
    if v != v or math.isinf(v):
        return str(v)
    return f"{v:.6g}"


# ----------------------------------------------------------------------------------------------
# turning anything numeric into a float64 array for comparison

def as_array(x) -> np.ndarray | None:
    """float64 (or bool) array of a number, tensor, array or (nested) list of them; None if not
    numeric."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bool:
            return x.numpy()
        if x.is_complex():
            return None
        return x.to(torch.float64).numpy()
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return x
        if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
            return None
        return x.astype(np.float64)
    if isinstance(x, (bool, np.bool_)):
        return np.asarray(bool(x))
    if isinstance(x, (int, float, np.integer, np.floating)):
        return np.asarray(float(x))
    if isinstance(x, (list, tuple)):
        parts = [as_array(v) for v in x]
        if any(p is None for p in parts):
            return None
        try:
            return np.stack(parts).astype(np.float64) if parts else np.zeros(0)
        except ValueError:
            return None
    return None


def count_values(x) -> int | None:
    """How many numbers `as_array(x)` would hold, found without converting anything (a
    tensor's or array's size is in its shape); None when `x` is not a number or a list of them."""
    if isinstance(x, torch.Tensor):
        return x.numel()
    if isinstance(x, np.ndarray):
        return int(x.size)
    if isinstance(x, (bool, np.bool_, int, float, np.integer, np.floating)):
        return 1
    if isinstance(x, (list, tuple)):
        total = 0
        for v in x:
            n = count_values(v)
            if n is None:
                return None
            total += n
        return total
    return None


def as_array_of_size(x, size: int) -> np.ndarray | None:
    """as_array(x), except that a tensor or array that does not hold `size` values is never
    converted: it stands in as a read-only array of its own shape and kind (bool or float64)
    that uses no memory, enough to say its shape and size in a message. A wrong result of a
    billion values costs nothing to refuse."""
    n = count_values(x)
    if n is None or n == size:
        return as_array(x)
    like = _array_like(x)
    if like is None:
        return None
    shape, kind = like
    return np.broadcast_to(np.zeros((), dtype=kind), shape)


def _array_like(x) -> tuple[tuple, type] | None:
    """(shape, dtype) of as_array(x), or None where that is None; nothing converted."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            return None
        return tuple(x.shape), (np.bool_ if x.dtype == torch.bool else np.float64)
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return x.shape, np.bool_
        if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
            return None
        return x.shape, np.float64
    if isinstance(x, (bool, np.bool_)):
        return (), np.bool_
    if isinstance(x, (int, float, np.integer, np.floating)):
        return (), np.float64
    if isinstance(x, (list, tuple)):
        parts = [_array_like(v) for v in x]
        if any(p is None for p in parts):
            return None
        if not parts:
            return (0,), np.float64
        if len({p[0] for p in parts}) != 1:
            return None   # np.stack refuses parts of different shapes
        return (len(parts),) + parts[0][0], np.float64
    return None


def bool_in(x) -> str | None:
    """The bool in `x` (a value a student's code returned) said for a message, or None:
    "True, a bool", "a bool tensor (...)", "a tuple of length 2 whose item 0 is True, a bool".
    A Python bool, numpy.bool_, bool tensor or bool array is not a number: True == 1, and a
    comparison as bools would let any nonzero expected value pass."""
    if isinstance(x, (bool, np.bool_)):
        return f"{bool(x)}, a bool"
    if isinstance(x, torch.Tensor) and x.dtype == torch.bool:
        return f"a bool tensor ({kind_of(x)})"
    if isinstance(x, np.ndarray) and x.dtype == np.bool_:
        return f"a bool array ({kind_of(x)})"
    if isinstance(x, np.ndarray) and x.dtype == object or isinstance(x, (list, tuple)):
        for i, v in enumerate(x if isinstance(x, (list, tuple)) else x.reshape(-1)):
            found = bool_in(v)
            if found:
                return f"a {kind_of(x)} whose item {i} is {found}"
    return None


def expected_kind(x) -> str:
    """What kind of value `x` (an expected value) is, for "... is expected"."""
    if isinstance(x, torch.Tensor):
        return f"a {str(x.dtype).replace('torch.', '')} tensor"
    if isinstance(x, np.ndarray):
        return f"a {x.dtype} array"
    if isinstance(x, (float, np.floating)):
        return "a float"
    if isinstance(x, (int, np.integer)):
        return "an int"
    if isinstance(x, dict):
        return "a dict"
    if isinstance(x, (list, tuple)):
        kinds = {expected_kind(v) for v in x}
        if len(kinds) == 1 and next(iter(kinds)) in ("a float", "an int"):
            return f"a {type(x).__name__} of {next(iter(kinds)).split()[-1]}s"
        return f"a {type(x).__name__} of {len(x)} values"
    return "a number"


def refuse_bool(got, expected, where: str):
    """Fail when `got` is (or holds) a bool where `expected` holds none: a bool is not a number,
    and a bool tensor is not a float tensor."""
    found = bool_in(got)
    if found and not bool_in(expected):
        fail(f"{where} returned {found}; {expected_kind(expected)} is expected.")


def rel_error(got, expected) -> float:
    """max |got - expected| / max(1e-12, |expected|), over all entries (NaN if shapes differ)."""
    a, b = as_array(got), as_array(expected)
    if a is None or b is None or a.shape != b.shape:
        return float("nan")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(b))))


def tol_for(expected, rtol=None, atol=None, table=TOL):
    dtype = expected.dtype if isinstance(expected, torch.Tensor) else torch.float64
    if isinstance(expected, np.ndarray) and expected.dtype == np.float32:
        dtype = torch.float32
    default = table.get(dtype, TOL.get(dtype, (1e-5, 1e-8)))
    return (default[0] if rtol is None else rtol, default[1] if atol is None else atol)


# ----------------------------------------------------------------------------------------------
# the comparison

def assert_close(got, expected, *, call: str, rtol=None, atol=None, mistakes=None,
                 check_dtype=True, check_device=True, tol_table=TOL,
                 context: str = ""):
    """Fail with a teaching message unless `got` equals `expected` within tolerance.

    Order of the questions asked: did it return anything; the right kind (tensor, array, number,
    tuple); the right shape; dtype; device; then values. `mistakes` maps a mistake's description
    to what a program with that mistake would return, or is a callable returning that dict
    (called only when a value is wrong); the first one `got` matches is named.
    """
    where = f"{call}" + (f" ({context})" if context else "")
    if got is None:
        fail(f"{where} returned None: did you forget the `return` statement?")
    if isinstance(got, RemoteObject):
        fail(f"{where} returned {got!r}, expected {kind_of(expected)}.")
    if isinstance(got, (bool, np.bool_)) or not isinstance(expected, (tuple, list, dict)):
        refuse_bool(got, expected, where)
    if isinstance(expected, (tuple, list)) and not _is_flat_numbers(expected):
        if not isinstance(got, (tuple, list)):
            stacked = isinstance(got, (torch.Tensor, np.ndarray)) and \
                tuple(got.shape[:1]) == (len(expected),)
            fail(f"{where} should return a {type(expected).__name__} of {len(expected)} values, "
                 f"got {kind_of(got)}.", STACKED if stacked else None)
        if len(got) != len(expected):
            fail(f"{where} should return {len(expected)} values, got {len(got)}.")
        # which mistakes the result shows in full: asked only when an item is wrong
        present = functools.cache(lambda: _present_mistakes(got, expected, resolve(mistakes),
                                                            rtol, atol, tol_table))
        for i, (g, e) in enumerate(zip(got, expected)):
            sub_mistakes = (lambda i=i: {k: v[i] for k, v in present().items()}) \
                if mistakes else None
            assert_close(g, e, call=call, rtol=rtol, atol=atol, mistakes=sub_mistakes,
                         check_dtype=check_dtype, check_device=check_device,
                         tol_table=tol_table, context=_join(context, f"item {i} of the result"))
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            fail(f"{where} should return a dict, got {kind_of(got)}.")
        missing = [k for k in expected if k not in got]
        if missing:
            fail(f"{where} returned a dict without the key(s) {missing}.")
        for k in expected:
            assert_close(got[k], expected[k], call=call, rtol=rtol, atol=atol,
                         check_dtype=check_dtype, check_device=check_device, tol_table=tol_table,
                         mistakes={m: v[k] for m, v in resolve(mistakes).items()
                                   if isinstance(v, dict) and k in v},
                         context=_join(context, f"key {k!r}"))
        return
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            hint = ""
            if isinstance(got, (float, int)) and expected.dim() == 0:
                hint = " (a Python number: keep it a tensor, e.g. avoid .item() here)"
            fail(f"{where} should return {kind_of(expected)}, got {kind_of(got)}{hint}.",
                 NUMPY_NOT_TENSOR if isinstance(got, np.ndarray) else None)
        if tuple(got.shape) != tuple(expected.shape):
            more, hint = _shape_hint(got, expected, resolve(mistakes))
            fail(f"{where} returned a tensor of shape {tuple(got.shape)}, expected "
                 f"{tuple(expected.shape)}.{more}", hint)
        if check_dtype and got.dtype != expected.dtype:
            fail(f"{where} returned dtype {str(got.dtype).replace('torch.', '')}, expected "
                 f"{str(expected.dtype).replace('torch.', '')}.", TENSOR_DTYPE)
        if check_device:  # by kind: "cuda" and "cuda:0" are the same device here
            got_dev, exp_dev = device_type(got), device_type(expected)
            if got_dev != exp_dev:
                fail(f"{where} returned a tensor on {got_dev}, expected it on {exp_dev}: "
                     + ("the result was left on the CPU. A tensor created inside your function "
                        "(torch.tensor, torch.zeros, ...) lives on the CPU unless you pass "
                        "device=x.device." if got_dev == "cpu" else
                        "keep the result on the device of the inputs."))
    elif isinstance(expected, np.ndarray):
        if isinstance(got, torch.Tensor):
            fail(f"{where} should return {kind_of(expected)}, got {kind_of(got)}: convert with "
                 f".detach().cpu().numpy().")
        if not isinstance(got, np.ndarray):
            fail(f"{where} should return {kind_of(expected)}, got {kind_of(got)}.")
        if got.shape != expected.shape:
            more, hint = _shape_hint(got, expected, resolve(mistakes))
            fail(f"{where} returned an array of shape {got.shape}, expected {expected.shape}."
                 f"{more}", hint)
        if check_dtype and got.dtype != expected.dtype:
            fail(f"{where} returned dtype {got.dtype}, expected {expected.dtype}.",
                 array_dtype_hint(got.dtype, expected.dtype))
    elif isinstance(expected, (float, int)) and not isinstance(expected, bool):
        if isinstance(got, torch.Tensor) and got.numel() == 1 and check_dtype == "strict":
            fail(f"{where} should return a Python number, got {kind_of(got)}.", USE_ITEM)
        if count_values(got) != 1 or np.shape(as_array(got)) not in ((), (1,)):
            fail(f"{where} should return a number, got {kind_of(got)}.")
    else:   # a flat tuple or list of numbers
        refuse_bool(got, expected, where)

    b = as_array(expected)
    a = as_array_of_size(got, b.size)   # the wrong size fails below without a copy of it
    if a is None:
        fail(f"{where} returned {kind_of(got)}, which is not numeric; expected {show(expected)}.")
    if b.shape != a.shape:
        a = a.reshape(b.shape) if a.size == b.size else a
    if b.shape != a.shape:
        per_item = isinstance(got, (tuple, list)) and len(got) == b.size and a.size > b.size \
            and a.size % b.size == 0
        fail(f"{where} returned {a.size} value{'s' * (a.size != 1)} ({kind_of(got)}), "
             f"expected {b.size} ({kind_of(expected)}).", NOT_REDUCED if per_item else None)
    if b.dtype == bool or a.dtype == bool:
        if not np.array_equal(a.astype(bool), b.astype(bool)):
            fail(f"{where} returned {show(got)}, expected {show(expected)}.")
        return
    r, t = tol_for(expected, rtol, atol, tol_table)
    if _close(a, b, r, t):
        return
    bad = ""
    if np.isnan(a).any() and not np.isnan(b).any():
        bad = " The result contains NaN (often log(0), 0/0 or an overflow in exp)."
    elif np.isinf(a).any() and not np.isinf(b).any():
        bad = " The result contains inf (an overflow: exp of a large number?)."
    err = np.abs(a - b)
    err = np.where(np.isnan(err), np.inf, err)
    idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    worst = float(err[idx]) if err.size else 0.0
    at = f" at index {tuple(int(i) for i in idx)}" if err.ndim else ""
    lines = [f"{where} returned the wrong value.{bad}",
             f"  expected: {show(expected)}",
             f"  got:      {show(got)}",
             f"  largest error: {worst:.3g}{at} (tolerance: rtol={r:g}, atol={t:g})"]
    if err.size and np.isfinite(worst) and worst <= 1e-3 * max(abs(float(b[idx])), 1e-12):
        lines.append(f"  there: expected {float(b[idx]):.12g}, got {float(a[idx]):.12g}")
    fail("\n".join(lines), hint=_precision_hint(a, b, r) or name_mistake(a, resolve(mistakes), r,
                                                                           t))


FLOAT32_AGREEMENT = 1e-4   # float32 rounding, grown over a few hundred steps of training


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


def _precision_hint(a, b, rtol) -> str | None:
    """Values that agree to float32 precision where float64 precision is expected: part of the
    computation ran in float32 (the classic cause: a tensor made with torch.tensor(w0)). Asked
    before the named mistakes: one that differs from the reference by less than float32's
    rounding cannot be told from it."""
    if rtol >= 1e-6 or b.dtype != np.float64 or a.dtype not in (np.float64, np.float32):
        return None
    if not np.allclose(a, b, rtol=FLOAT32_AGREEMENT, atol=1e-7, equal_nan=True):
        return None
    return ("the values agree only to float32 precision (about 7 digits), but the inputs are "
            "float64: part of the computation ran in float32. torch.tensor(w0) and "
            "torch.tensor([1.0]) make float32 tensors whatever the inputs' dtype: use "
            "torch.as_tensor(w0, dtype=x.dtype) (and np.loadtxt(..., dtype=np.float32) where "
            "float32 is wanted, since np.loadtxt gives float64).")


def _is_flat_numbers(x) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x) and len(x) > 0


def _join(a, b):
    return f"{a}, {b}" if a else b


def _close(a, b, rtol, atol) -> bool:
    return a.shape == b.shape and bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol,
                                                          equal_nan=True)))


STACKED = ("one stacked tensor (or array) where a tuple is asked: return the values as a tuple, "
           "e.g. return grad_a, grad_b, grad_c, grad_d")
NUMPY_NOT_TENSOR = ("a NumPy array where a tensor is asked: keep the computation in torch (or "
                    "convert with torch.from_numpy(...)), so that dtype and device are kept")
TENSOR_DTYPE = ("compute in the input's dtype: a new tensor made with torch.tensor(...) defaults "
                "to float32 (or int64), whatever the inputs' dtype")
USE_ITEM = "a tensor where a Python number is asked: use .item() (or float(...))"
NOT_REDUCED = ("each item holds several values where one number is asked: a sum (or mean) over "
               "the samples is missing?")


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
        return (" Same number of values: a reshape, transpose or a missing/extra dimension of "
                "size 1 (keepdim, unsqueeze, view)?", None)
    if len(g) < len(e) or math.prod(g) == 1:
        return " Did a sum or mean reduce a dimension that should stay?", None
    return "", None


def name_mistake(got_array, mistakes, rtol=1e-5, atol=1e-8) -> str | None:
    """The description of the first mistake whose result matches `got_array`."""
    for description, wrong in (mistakes or {}).items():
        w = as_array(wrong)
        if w is None:
            continue
        if w.shape != got_array.shape and w.size == got_array.size:
            w = w.reshape(got_array.shape)
        if _close(got_array, w, max(rtol, 1e-4), max(atol, 1e-6)):
            return description
    return None


# ----------------------------------------------------------------------------------------------
# the usual mistakes, as what they would return

def scale_mistakes(expected, n: int | None = None, *, factor2=True) -> dict:
    """Wrong answers for a derivative or mean: factor 2 missing, sum instead of mean, sign
    flipped, and their combinations."""
    m = {}
    if factor2:
        m["this is half the expected value: is the factor 2 from differentiating a square "
          "missing?"] = _scale(expected, 0.5)
        m["this is twice the expected value: is a factor 2 counted twice?"] = _scale(expected, 2.0)
    m["the sign is flipped: the derivative of (x*w - y)**2 is +2*x*(x*w - y); check which of "
      "prediction and target comes first, and that the update subtracts."] = _scale(expected, -1.0)
    if n and n > 1:
        m[f"this is {n} times the expected value: a sum where a mean is wanted (divide by the "
          f"number of samples, N = {n})."] = _scale(expected, float(n))
        m[f"this is 1/{n} of the expected value: divided by N = {n} once too often?"] = \
            _scale(expected, 1.0 / n)
    return m


def _scale(x, s):
    if isinstance(x, (tuple, list)):
        return type(x)(_scale(v, s) for v in x)
    if isinstance(x, dict):
        return {k: _scale(v, s) for k, v in x.items()}
    return x * s


# ----------------------------------------------------------------------------------------------
# derivatives

def central_difference(f: Callable, x: torch.Tensor, eps: float = FD_EPS,
                       upstream: torch.Tensor | None = None) -> torch.Tensor:
    """float64 central-difference gradient of sum(upstream * f(x)) with respect to x.

    With a scalar f and no upstream this is df/dx; with an upstream vector it is the
    vector-Jacobian product (the thing backward() computes)."""
    x = x.detach().to(torch.float64).clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        fp = _scalarize(f(x), upstream)
        flat[i] = old - eps
        fm = _scalarize(f(x), upstream)
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def _scalarize(y, upstream):
    y = torch.as_tensor(y, dtype=torch.float64)
    if upstream is None:
        return float(y.sum())
    return float((y * upstream.to(torch.float64)).sum())


def autograd_grad(f: Callable, x: torch.Tensor, upstream: torch.Tensor | None = None):
    """d sum(upstream * f(x)) / dx by autograd, in float64."""
    x = x.detach().to(torch.float64).clone().requires_grad_(True)
    y = f(x)
    y = y if upstream is None else (y * upstream.to(torch.float64)).sum()
    (g,) = torch.autograd.grad(y.sum(), x)
    return g


def float_central_difference(f: Callable, x: float, eps: float = FD_EPS) -> float:
    """d f / dx at a Python float, by a central difference."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


# ----------------------------------------------------------------------------------------------
# training trajectories

def assert_trajectory(got, want, *, call: str, names=None, mistakes=None, what="losses",
                      dtype=None, rtol=None, atol=None, step_name=None, count_hints=None):
    """Compare a training run with the reference's run from the same start, step by step, and
    say at which step the two part. `want` (and so `got`) takes one of three forms:

    - a list of values recorded once per step (the losses): `got` must be a list of as many
      Python numbers (loss.item(), not the loss tensor, which keeps its whole graph alive);
    - a tuple of final values and such lists, named by `names`, e.g. names=("w", "costs") for
      `(w, costs)`: the lists first, then each final value (Python numbers stay numbers);
    - a dict {parameter name: tensor (S, *shape)}, as grader.sandbox.inside.steps.record_steps makes it:
      the parameters after each optimizer step.

    `mistakes` maps what went wrong to the run of a program with that mistake, in want's form,
    or is a callable returning that dict, called only when the runs differ (wrong runs can be
    costly to compute). `dtype` picks the TRAJECTORY_TOL row (by default the dtype of want's
    tensors, else float32); `rtol`/`atol` override it. `step_name(k)` names step k in the
    messages; `count_hints` maps a wrong number of steps to its likely cause. Each list is
    plotted over the reference's on the feedback page.

        assert_trajectory(got, want, call="train(model, X, Y, lr=0.05, 20)",
                          mistakes=lambda: {"the gradients are never zeroed ...": no_zero_run})
    """
    row = TRAJECTORY_TOL.get(dtype or _dtype_in(want), TRAJECTORY_TOL[torch.float32])
    tol = (row[0] if rtol is None else rtol, row[1] if atol is None else atol)
    if isinstance(want, dict):
        return _compare_steps(got, want, call, mistakes, tol, step_name, count_hints)
    if names is None:
        return _compare_list(got, want, call, what, mistakes, tol, step_name, count_hints)
    names = tuple(names)
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        size = f"{len(got)} values" if isinstance(got, (tuple, list)) else kind_of(got)
        fail(f"{call} should return a tuple ({', '.join(names)}), got {size}.")
    lists = [i for i, e in enumerate(want) if isinstance(e, (list, tuple))]
    for i in lists + [i for i in range(len(want)) if i not in lists]:
        def item_mistakes(i=i):
            return {k: v[i] for k, v in resolve(mistakes).items()
                    if isinstance(v, (tuple, list)) and len(v) == len(want)}
        if i in lists:
            _compare_list(got[i], want[i], call, names[i], item_mistakes, tol, step_name,
                          count_hints)
        else:
            lazily(assert_close, got[i], want[i], mistakes=item_mistakes, call=call, rtol=tol[0],
                   atol=tol[1], context=f"the final {names[i]}", check_dtype="strict")


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


def _dtype_in(want):
    values = want.values() if isinstance(want, dict) else want
    return next((v.dtype for v in values if isinstance(v, torch.Tensor)), torch.float32)


def _compare_list(got, want, call, what, mistakes, tol, step_name, count_hints):
    if len(want):
        plot(f"{what}: {call}", student=got if isinstance(got, (list, tuple)) else [],
             reference=want)
    if isinstance(got, RemoteObject) or not isinstance(got, (list, tuple)):
        fail(f"{call} should give a list of {len(want)} {what} (Python floats), got "
             f"{kind_of(got)}.")
    if len(got) != len(want):
        _wrong_count(f"{call} gave {len(got)} {what}, expected {len(want)}.", len(got),
                     {**off_by_one(len(want), what), **(count_hints or {})})
    k = next((k for k, v in enumerate(got) if isinstance(v, torch.Tensor)), None)
    if k is not None:
        fail(f"{call}: {what}[{k}] is {kind_of(got[k])}, expected a Python float.",
             LOSS_TENSORS)
    k = next((k for k, v in enumerate(got)
              if isinstance(v, bool) or not isinstance(v, numbers.Real)), None)
    if k is not None:
        fail(f"{call}: {what}[{k}] is {kind_of(got[k])}, not a number.")
    a, b = as_array(list(got)), as_array(list(want))
    k = _first_step(a, b, tol)
    if k is None:
        return
    name = step_name or (lambda k: f"step {k}")
    _parted(f"{call} returned the wrong value: the {what} part from the reference run"
            f"{_same_start(k)} at {name(k)}.", f"{_few(want[k:])} ({what} from {name(k)} on)",
            _few(got[k:]), abs(a[k] - b[k]), tol, _precision_hint(a, b, tol[0])
            or name_mistake(a, resolve(mistakes), *tol) or _shifted(a, b, k, tol) or (
                "the very first value already differs: is the prediction or the loss itself "
                "computed differently?" if k == 0 else None))


def _compare_steps(got, want, call, mistakes, tol, step_name, count_hints):
    names = list(want)
    if not isinstance(got, dict):
        fail(f"{call}: the record of optimizer steps is {kind_of(got)}, not parameters by name.")
    missing = [n for n in names if n not in got]
    if missing:
        fail(f"{call}: the model has no parameter(s) {missing} after training (were they "
             f"replaced or renamed?).")
    for n in names:
        refuse_bool(got[n], want[n], f"{call}: the record of parameter {n!r}")
    b = {n: as_array(want[n]) for n in names}
    a = {n: as_array_of_size(got[n], b[n].size) for n in names}   # a wrong size: no copy
    n_got = len(a[names[0]]) if names and a[names[0]] is not None and a[names[0]].ndim else 0
    n_want = len(b[names[0]]) if names else 0
    if n_got != n_want:
        _wrong_count(f"{call} took {n_got} optimizer steps, expected {n_want}.", n_got,
                     {0: "no optimizer step was taken: create a torch.optim optimizer over "
                         "model.parameters() and call its step() once per batch",
                      **(count_hints or {})})
    for n in names:
        if a[n] is None or a[n].shape != b[n].shape:
            fail(f"{call}: parameter {n!r} has shape {tuple(np.shape(a[n]))[1:]}, expected "
                 f"{b[n].shape[1:]}.")
    parts = [(k, i, n) for i, n in enumerate(names)
             if (k := _first_step(a[n], b[n], tol)) is not None]
    if not parts:
        return
    k, _, n = min(parts)
    err = np.abs(a[n][k] - b[n][k])
    flat = {d: _flat_trace(m, names) for d, m in resolve(mistakes).items()}
    hint = name_mistake(_flat_trace(got, names), {d: m for d, m in flat.items()
                                                  if m is not None}, *tol)
    _parted(f"{call} parts from the reference run{_same_start(k)} after "
            f"{(step_name or (lambda k: f'step {k + 1}'))(k)}: parameter {n!r} differs.",
            show(want[n][k]), show(got[n][k]),
            float(np.where(np.isnan(err), np.inf, err).max()), tol,
            hint or ("the very first update differs: check the loss function, the learning "
                     "rate and the optimizer (and, with mini-batches, the first batch)."
                     if k == 0 else None))


LOSS_TENSORS = ("use loss.item(), not the loss tensor: a list of tensors that require grad keeps "
                "every step's whole graph alive")


def off_by_one(n: int, what: str) -> dict:
    """{count: hint} for one record too few or too many: the loop's range is off by one."""
    return {n - 1: f"one {what[:-1] if what.endswith('s') else what} short: does the loop run "
                   f"range(1, n) (or skip a step), where range(n) records all {n}?",
            n + 1: f"one record too many: does the loop run range(n + 1), or is a last value "
                   f"appended after the loop? Record once per step, {n} in all."}


def _shifted(a, b, k, tol) -> str | None:
    """The hint when the run from step k on is the reference's shifted by one step: each record
    is the reference's next one (one step ahead) or its previous one (one step behind)."""
    if len(b) - k < 3:
        return None
    if np.allclose(a[k:-1], b[k + 1:], rtol=tol[0], atol=tol[1]):
        return ("each value is the reference's next one: the records run one step ahead (an "
                "extra step before the first record, or each value recorded after its update?)")
    if np.allclose(a[k + 1:], b[k:-1], rtol=tol[0], atol=tol[1]):
        return ("each value is the reference's previous one: the records run one step behind "
                "(a record before the first step, or the step's value recorded too early?)")
    return None


def _same_start(k: int) -> str:
    """The words " (same starting point)" when the runs agreed at their first recorded step
    (k > 0): only then is the student's run known to have started where the reference's did.
    When the very first record differs, the start may differ too (other initial values, another seed), and
    the message claims nothing about it."""
    return " (same starting point)" if k > 0 else ""


def _first_step(a, b, tol):
    """The first step (row) at which the runs a and b differ, or None."""
    if not b.size:
        return None
    bad = ~np.isclose(a, b, rtol=tol[0], atol=tol[1], equal_nan=True)
    rows = bad.reshape(len(b), -1).any(axis=1)
    return int(np.argmax(rows)) if rows.any() else None


def _flat_trace(trace, names):
    parts = [as_array(trace.get(n)) if isinstance(trace, dict) else None for n in names]
    if any(p is None or not p.ndim for p in parts):
        return None
    return np.concatenate([p.reshape(len(p), -1) for p in parts], axis=1)


def _few(values, n=4):
    text = ", ".join(f"{float(v):.6g}" for v in values[:n])
    return f"[{text}{', ...' if len(values) > n else ''}]"


def _wrong_count(message, count, hints):
    fail(message, hint=(hints or {}).get(count))


def _parted(headline, expected, got, err, tol, hint):
    lines = [headline, f"  expected: {expected}", f"  got:      {got}",
             f"  error there: {err:.3g} (tolerance: rtol={tol[0]:g}, atol={tol[1]:g})"]
    fail("\n".join(lines), hint=hint)


# ----------------------------------------------------------------------------------------------
# a gradient, three ways

def assert_gradient(got, f: Callable, x, *, call: str, closed=None, like=None,
                    upstream: torch.Tensor | None = None, mistakes=None, rtol=None, atol=None):
    """Check a hand-written (or autograd) gradient `got` at `x` against up to three oracles
    computed here, in float64: the closed form `closed` (when given), autograd of `f`, and a
    central difference of `f`. The gradient is that of sum(upstream * f(x)) with respect to x.

    `like` (the reference's result) gives the dtype and device the oracles are compared in
    (a Python number for a float result); `mistakes` is a dict or a function of the oracle's
    value returning one, e.g. `lambda g: scale_mistakes(g, n)`.

        assert_gradient(got, lambda w: ((x * w - y) ** 2).mean(), w, call="gradient(...)",
                        closed=2 * (x * (x * w - y)).mean(), like=want)
    """
    if isinstance(x, torch.Tensor):
        x64 = x.detach().to("cpu", torch.float64)
    else:  # a Python float stays exact (torch.as_tensor would round it to float32)
        x64 = torch.as_tensor(np.asarray(x, dtype=np.float64))
    oracles = []
    if closed is not None:
        oracles.append(("compared with the closed form", closed, False))
    oracles.append(("compared with autograd", autograd_grad(f, x64, upstream), False))
    oracles.append(("compared with a float64 central difference",
                    central_difference(f, x64, upstream=upstream), True))
    plot(f"gradient: {call}", kind="scatter", x=oracles[0][1],
         y=got if isinstance(got, (torch.Tensor, np.ndarray, float, int, list, tuple)) else [])
    for context, value, finite_difference in oracles:
        value = _like(value, like)
        r, t = tol_for(value, rtol, atol)
        if finite_difference:
            r, t = max(r, GRADCHECK_TOL[0]), max(t, GRADCHECK_TOL[1])
        m = mistakes(value) if callable(mistakes) else mistakes
        assert_close(got, value, call=call, context=context, mistakes=m, rtol=r, atol=t)


def _like(value, like):
    """`value` (a number or tensor) as the same kind of thing as `like`."""
    if isinstance(like, torch.Tensor):
        v = torch.as_tensor(value, dtype=torch.float64).detach().cpu()
        return v.reshape(like.shape).to(like.dtype).to(like.device)
    if isinstance(like, (float, int)) and not isinstance(like, bool) or like is None:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(value)
        if isinstance(value, np.ndarray) and value.size == 1:
            return float(value.reshape(-1)[0])
    return value
