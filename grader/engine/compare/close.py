"""assert_close: what a student's code returned against what was expected, asked in order (did it
return anything, the right kind, shape, dtype, device, then the values), failing with a message
that says what came back and, where it can, which mistake it shows."""
from __future__ import annotations

import functools
import math

import numpy as np
import torch

from grader.engine.compare import fail
from grader.engine.compare.mistakes import (NOT_REDUCED, NUMPY_NOT_TENSOR, STACKED,
                                            USE_ITEM, _present_mistakes, _shape_hint,
                                            array_dtype_hint, name_mistake, resolve,
                                            tensor_dtype_hint)
from grader.engine.compare.relations import relation
from grader.engine.compare.tolerances import TOL, _close, _precision_hint, beyond_float32, tol_for
from grader.engine.compare.values import (as_array, as_array_of_size, count_values, kind_of,
                                          refuse_bool, show)
from grader.sandbox.device import device_type
from grader.sandbox.protocol import RemoteObject


AS_NUMBER = ("this is the right value as a Python number: .item() or float() turned the 0-dim "
             "tensor into a float, which leaves the dtype and the device behind. Return the "
             "tensor itself")


def _right_as_number(got, expected, rtol, atol, tol_table):
    """AS_NUMBER where the number is the expected 0-dim tensor's value within the tolerance of
    its dtype (the condition: only the type is wrong); None otherwise."""
    want = float(expected.detach().cpu().double())
    r, a = (rtol, atol) if rtol is not None and atol is not None else \
        tol_table.get(expected.dtype, (1e-5, 1e-8))
    return AS_NUMBER if math.isfinite(want) and abs(float(got) - want) <= a + r * abs(want) \
        else None


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
        fail(f"{where} returned None: is a `return` statement missing, or is what it returns "
             f"None (a .grad that backward() never filled)?")
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
        # as for a tuple: a mistake is named only where the result shows it in every key it
        # changes (a dloss_db of 2 r x with dyhat_db = 1 is not "dyhat_db taken as x")
        keys = list(expected)
        present = functools.cache(lambda: _present_mistakes(
            [got[k] for k in keys], [expected[k] for k in keys],
            {m: [v.get(k) for k in keys] for m, v in resolve(mistakes).items()
             if isinstance(v, dict)}, rtol, atol, tol_table))
        for i, k in enumerate(keys):
            sub_mistakes = (lambda i=i: {m: v[i] for m, v in present().items()
                                         if v[i] is not None}) if mistakes else None
            assert_close(got[k], expected[k], call=call, rtol=rtol, atol=atol,
                         check_dtype=check_dtype, check_device=check_device, tol_table=tol_table,
                         mistakes=sub_mistakes, context=_join(context, f"key {k!r}"))
        return
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            more, hint = "", NUMPY_NOT_TENSOR if isinstance(got, np.ndarray) else None
            if isinstance(got, (float, int)) and expected.dim() == 0:
                more = " (a Python number)"
                hint = _right_as_number(got, expected, rtol, atol, tol_table)
            fail(f"{where} should return {kind_of(expected)}, got {kind_of(got)}{more}.", hint)
        if tuple(got.shape) != tuple(expected.shape):
            more, hint = _shape_hint(got, expected, resolve(mistakes))
            fail(f"{where} returned a tensor of shape {tuple(got.shape)}, expected "
                 f"{tuple(expected.shape)}.{more}", hint)
        if check_dtype and got.dtype != expected.dtype:
            fail(f"{where} returned dtype {str(got.dtype).replace('torch.', '')}, expected "
                 f"{str(expected.dtype).replace('torch.', '')}.",
                 tensor_dtype_hint(got.dtype, expected.dtype))
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
        # +inf is an exp that overflowed, or -log(0) of a probability that underflowed; -inf
        # is no overflow of exp (log(0) gives it)
        bad = (" The result contains inf (exp of a large number, or -log(0) of a value that "
               "underflowed to 0?)." if (a[np.isinf(a)] > 0).any() else
               " The result contains -inf (log(0): an exp that underflowed to 0?).")
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
    known = resolve(mistakes)
    # a known mistake before precision, where float32's rounding cannot give its values
    named = _strictly(a, b, known, r, t) or name_mistake(a, beyond_float32(known, b), r, t)
    precision = None if named else _precision_hint(a, b, r)
    if precision:       # a difference of precision is said as one, not as a wrong value
        lines[0] = (f"{where} differs from the expected value only in its last digits: a "
                    f"difference of precision.{bad}")
    fail("\n".join(lines), hint=named or precision or name_mistake(a, known, r, t)
         or relation(a, b, r, t))


def _strictly(a, b, mistakes, rtol, atol) -> str | None:
    """The known mistake matched at the check's own float64 tolerance (finer than float32's
    rounding, where the precision hint could not tell it from a float32 computation)."""
    if rtol >= 1e-6 or b.dtype != np.float64:
        return None
    return name_mistake(a, mistakes, rtol, atol, strict=True)


def _is_flat_numbers(x) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x) and len(x) > 0


def _join(a, b):
    return f"{a}, {b}" if a else b
