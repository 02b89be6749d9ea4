"""assert_trajectory: a training run against the reference's run from the same start, step by
step (a list of losses, final values with their lists, or the parameters after each optimizer
step), failing at the step where the two part, with what went wrong there when it is known."""
from __future__ import annotations

import numbers

import numpy as np
import torch

from grader.engine.compare import fail
from grader.engine.compare.close import _strictly, assert_close
from grader.engine.compare.mistakes import lazily, name_mistake, resolve
from grader.engine.compare.tolerances import TRAJECTORY_TOL, _precision_hint
from grader.engine.compare.values import as_array, as_array_of_size, kind_of, refuse_bool, show
from grader.engine.plots import plot
from grader.sandbox.protocol import RemoteObject


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
    known = resolve(mistakes)
    _parted(f"{call} returned the wrong value: the {what} part from the reference run"
            f"{_same_start(k)} at {name(k)}.", f"{_few(want[k:])} ({what} from {name(k)} on)",
            _few(got[k:]), abs(a[k] - b[k]), tol, _strictly(a, b, known, *tol)
            or _precision_hint(a, b, tol[0]) or name_mistake(a, known, *tol)
            or _shifted(a, b, k, tol), evidence=_first_value(a, b, what) if k == 0 else "")


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
            hint, evidence="the first update already differs (no known mistake gives these "
                           "values)" if k == 0 and not hint else "")


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


def _parted(headline, expected, got, err, tol, hint, evidence=""):
    """Fail with where the run parts; `hint` names a mistake whose condition held (a known
    mistake's values, a precision, a shift), `evidence` describes the difference neutrally
    where none did: it is part of the message, never a named mistake."""
    lines = [headline, f"  expected: {expected}", f"  got:      {got}",
             f"  error there: {err:.3g} (tolerance: rtol={tol[0]:g}, atol={tol[1]:g})"]
    if evidence and not hint:
        lines.append(f"  {evidence}")
    fail("\n".join(lines), hint=hint)


def _first_value(a, b, what: str) -> str:
    """The first values, described as they are: no guess at a cause."""
    x, y = float(a[0]), float(b[0])
    ratio = f", {x / y:.4g} times the expected" if y != 0 and np.isfinite(x / y) else ""
    return (f"the first of the {what} already differs ({x:.6g} where {y:.6g} is "
            f"expected{ratio}): no known mistake gives these values")
