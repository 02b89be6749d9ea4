"""assert_trajectory: a training run against the reference's run from the same start, step by
step (a list of losses, final values with their lists, or the parameters after each optimizer
step), failing at the step where the two part, with what went wrong there when it is known."""
from __future__ import annotations

import contextlib
import numbers

import numpy as np
import torch

from grader.engine.compare import CheckFailure, fail
from grader.engine.compare.close import _strictly, assert_close
from grader.engine.compare.mistakes import lazily, name_mistake, resolve
from grader.engine.compare.relations import relation
from grader.engine.compare.updates import constant_factor, factor_of_updates, lr_hint
from grader.engine.compare.tolerances import (TRAJECTORY_TOL, _close, _precision_hint,
                                              beyond_float32)
from grader.engine.compare.values import as_array, as_array_of_size, kind_of, refuse_bool, show
from grader.engine.plots import plot
from grader.sandbox.protocol import RemoteObject


def assert_trajectory(got, want, *, call: str, names=None, mistakes=None, what="losses",
                      dtype=None, rtol=None, atol=None, step_name=None, count_hints=None,
                      upto=None, unit="epoch", start=None):
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

    `upto(j)` (the tuple form): (the student's result, the reference's) of the same call run
    for j units (`unit`: an epoch, a step; j = 0 is the start). Where the runs part and no
    mistake is named, it localises the fault step by step from the same start: the first unit
    after which a parameter differs (which one, and how its update relates to the
    reference's), or, where the parameters agree throughout, the value recorded. `start` (the
    dict form): the parameters before the first step, {name: tensor}, so that a run whose very
    first step differs is localised too.

        assert_trajectory(got, want, call="train(model, X, Y, lr=0.05, 20)",
                          mistakes=lambda: {"the gradients are never zeroed ...": no_zero_run})
    """
    row = TRAJECTORY_TOL.get(dtype or _dtype_in(want), TRAJECTORY_TOL[torch.float32])
    tol = (row[0] if rtol is None else rtol, row[1] if atol is None else atol)
    if isinstance(want, dict):
        return _compare_steps(got, want, call, mistakes, tol, step_name, count_hints, start)
    if names is None:
        return _compare_list(got, want, call, what, mistakes, tol, step_name, count_hints)
    names = tuple(names)
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        size = f"{len(got)} values" if isinstance(got, (tuple, list)) else kind_of(got)
        fail(f"{call} should return a tuple ({', '.join(names)}), got {size}.")
    lists = [i for i, e in enumerate(want) if isinstance(e, (list, tuple))]
    with located(got, want, names, upto, unit, tol):
        _compare_items(got, want, names, lists, call, mistakes, tol, step_name, count_hints)


@contextlib.contextmanager
def located(got, want, names, upto, unit="epoch", tol=None):
    """Where a comparison inside fails without naming a mistake, add where the run parts, step
    by step (step_by_step), to its message. `got` and `want`: the run's result in the tuple
    form, `names` its items; `upto` as for assert_trajectory (None: nothing added).

        with located(got, want, ("w", "b", "losses"), reruns(sub, "ex05.fit", args, 3), "step"):
            assert_trajectory(got[2], want[2], call=call)
    """
    try:
        yield
    except CheckFailure as failure:
        if upto is None or failure.hints or not isinstance(want, (tuple, list)) \
                or not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise
        lists = [i for i, e in enumerate(want) if isinstance(e, (list, tuple))]
        tol = tol or TRAJECTORY_TOL.get(_dtype_in(want), TRAJECTORY_TOL[torch.float32])
        found, factor = _located(got, want, tuple(names), lists, upto, tol, unit)
        if not found:
            raise
        hint = lr_hint(factor) if factor is not None else None
        raise CheckFailure(f"{failure}\n  step by step: {found}" +
                           (f"\n  hint: {hint}" if hint else ""), [hint] if hint else ()) from None


def _compare_items(got, want, names, lists, call, mistakes, tol, step_name, count_hints):
    """The tuple form: each list, then each final value. A mistake is named at an item only
    where its run also has the items already found right (a run whose losses stay at the
    first one does not name a run whose every loss is the reference's), and only the runs the
    student's shows in every item where there are any."""
    order = lists + [i for i in range(len(want)) if i not in lists]
    for n, i in enumerate(order):
        def item_mistakes(i=i, done=tuple(order[:n])):
            known = {k: v for k, v in resolve(mistakes).items()
                     if isinstance(v, (tuple, list)) and len(v) == len(want)
                     and all(_agrees(v[j], got[j], tol) for j in done)}
            # a run the student's shows in every item is the one named, where there is one
            full = {k: v for k, v in known.items()
                    if all(_agrees(v[j], got[j], tol) for j in range(len(want)))}
            return {k: v[i] for k, v in (full or known).items()}
        if i in lists:
            _compare_list(got[i], want[i], call, names[i], item_mistakes, tol, step_name,
                          count_hints)
        else:
            lazily(assert_close, got[i], want[i], mistakes=item_mistakes, call=call, rtol=tol[0],
                   atol=tol[1], context=f"the final {names[i]}", check_dtype="strict")


def _agrees(value, right, tol) -> bool:
    """Whether a mistake's item agrees with an item of the student's found right."""
    try:
        a, b = as_array(value), as_array(right)
    except Exception:   # noqa: BLE001 - a value of another kind is no agreement
        return False
    if a is None or b is None or a.shape != b.shape:
        return False
    return bool(_close(a, b, *tol))


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
            or name_mistake(a, beyond_float32(known, b), *tol) or _precision_hint(a, b, tol[0])
            or name_mistake(a, known, *tol)
            or _shifted(a, b, k, tol), evidence=_first_value(a, b, what) if k == 0 else "")


def _compare_steps(got, want, call, mistakes, tol, step_name, count_hints, start=None):
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
    if not hint and (factor := constant_factor(a, b, names, k, start)) is not None:
        hint = lr_hint(factor)
    _parted(f"{call} parts from the reference run{_same_start(k)} after "
            f"{(step_name or (lambda k: f'step {k + 1}'))(k)}: parameter {n!r} differs.",
            show(want[n][k]), show(got[n][k]),
            float(np.where(np.isnan(err), np.inf, err).max()), tol,
            hint, evidence="" if hint else _step_update_words(
                a, b, names, k, tol, step_name or (lambda k: f"step {k + 1}"), start)
            or ("the first update already differs" if k == 0 else ""))


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
    """The first values, described as they are: no guess at a cause, and no claim that no
    mistake is known (another check of the same function may name one from its own values)."""
    x, y = float(a[0]), float(b[0])
    ratio = f", {x / y:.4g} times the expected" if y != 0 and np.isfinite(x / y) else ""
    return f"the first of the {what} already differs ({x:.6g} where {y:.6g} is expected{ratio})"


MAX_LOCATED = 6     # runs part later than this many units: no step-by-step rerun


def step_by_step(got, want, names, lists, upto, tol, unit="epoch") -> str | None:
    """Where a run of the tuple form (final values and lists) parts from the reference's, in
    words: rerun for 0, 1, 2, ... units (`upto(j)`, the student's and the reference's results),
    the first unit after which a final value (a parameter) differs, starting from the
    reference's parameters: which parameter, and how its update relates to the reference's;
    or, where the parameters agree through the unit of the first wrong record, that only the
    value recorded differs. None where the runs part too late, a rerun fails, or a rerun does
    not repeat the run (a random start: nothing is claimed).

        "the parameters are the reference's after epoch 1; after epoch 2, w is 0.93, expected
         0.86 (its update in epoch 2 is -0.07, expected -0.14: × 1/2)"
    """
    return _located(got, want, names, lists, upto, tol, unit)[0]


def _located(got, want, names, lists, upto, tol, unit):
    """step_by_step's words, and the factor c where the first unit's updates, from the start,
    are c times the reference's on every parameter (updates.factor_of_updates), else None."""
    from grader.sandbox import StudentError
    params = [i for i in range(len(want)) if i not in lists]
    if not params or not lists:
        return None, None
    first = None
    for i in lists:
        a, b = _numbers(got[i]), _numbers(want[i])
        if a is None or b is None or len(a) != len(b):
            return None, None
        k = _first_step(a, b, tol)
        first = k if first is None or (k is not None and k < first) else first
    k = len(want[lists[0]]) - 1 if first is None else first
    if k < 0 or k >= MAX_LOCATED:
        return None, None
    before = None
    try:
        for j in range(0, k + 2):
            g, w = upto(j)
            gp, wp = _params_of(g, params), _params_of(w, params)
            if gp is None or wp is None or [x.shape for x in gp] != [x.shape for x in wp]:
                return None, None
            if j > 0 and not _repeats(g, got, lists, j, tol):
                return None, None  # a rerun that does not repeat the run: no claim
            if any(not _close(x, y, *tol) for x, y in zip(gp, wp)):
                if j == 0:
                    return f"the values returned for 0 {unit}s are not the starting values", None
                # from the start: where every update is one factor times the reference's
                factor = factor_of_updates(before, gp, wp) if j == 1 else None
                return _update_words([names[i] for i in params], before, gp, wp,
                                     f"{unit} {j}", f"{unit} {j - 1}" if j > 1 else None,
                                     tol), factor
            before = wp
    except (StudentError, CheckFailure, ArithmeticError, LookupError, TypeError, ValueError):
        return None, None  # a rerun that fails, or whose result cannot be read: no claim
    if first is None:
        return None, None
    return (f"the parameters are the reference's after each {unit} up to {unit} {k + 1}, but "
            f"the value recorded for {unit} {k + 1} differs: what is recorded (or when), not "
            f"the training"), None


def _numbers(values):
    if not isinstance(values, (list, tuple)) or \
            any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        return None
    return np.asarray(values, dtype=np.float64)


def _params_of(result, params):
    """The final values of a result in the tuple form, each a float64 array; None where one is
    not numeric."""
    if not isinstance(result, (tuple, list)) or len(result) <= max(params):
        return None
    out = []
    for i in params:
        a = as_array(result[i])
        if a is None or a.dtype.kind not in "biuf":
            return None
        out.append(a.astype(np.float64))
    return out


def _repeats(short, full, lists, j, tol) -> bool:
    """Whether the rerun for j units recorded what the full run recorded in its first j."""
    for i in lists:
        a = _numbers(short[i]) if isinstance(short, (tuple, list)) else None
        b = _numbers(full[i])
        if a is None or b is None or len(a) > len(b) or \
                not np.allclose(a, b[:len(a)], rtol=tol[0], atol=tol[1]):
            return False
    return True


def _update_words(names, before, gp, wp, this, previous, tol) -> str:
    """After the unit `this`, from the reference's parameters `before` (after `previous`, or
    the start where None): which parameters differ, and how each one's update relates to the
    reference's; which are right."""
    start = f"the parameters are the reference's after {previous}" if previous else \
        "from the same start"
    parts, right = [], []
    for name, b, g, w in zip(names, before, gp, wp):
        if _close(g, w, *tol):
            right.append(name)
            continue
        d, e = g - b, w - b
        if g.size == 1:
            how = "it did not move" if not d.any() else _update_ratio(float(d.reshape(-1)[0]),
                                                                       float(e.reshape(-1)[0]))
            parts.append(f"{name} is {float(g.reshape(-1)[0]):.6g}, expected "
                         f"{float(w.reshape(-1)[0]):.6g} (its update in {this} is "
                         f"{float(d.reshape(-1)[0]):+.4g}, expected {float(e.reshape(-1)[0]):+.4g}"
                         f"{': ' + how if how else ''})")
        else:
            said = "it did not move" if not d.any() else \
                relation(d, e, *tol) if np.abs(e).max() > 0 else None
            parts.append(f"{name} differs" + (f" (its update in {this}, against the "
                                              f"reference's: {said})" if said else ""))
    also = f"; {', '.join(right)} {'is' if len(right) == 1 else 'are'} right" if right else ""
    return f"{start}; after {this}, " + "; ".join(parts) + also


def _step_update_words(a, b, names, k, tol, step_name, start=None) -> str:
    """Step k of a record of optimizer steps, {name: (S, *shape)}, where the parameters before
    it are the reference's (after step k - 1, or `start` for k = 0): which parameters its update
    moves as the reference's does, and how each other one's update relates to the reference's.
    "" where k = 0 and no start is known."""
    if k == 0:
        first = {n: as_array(start.get(n)) for n in names} if isinstance(start, dict) else {}
        if any(first.get(n) is None or first[n].shape != b[n][0].shape for n in names):
            return ""
    right, wrong = [], []
    for n in names:
        before = (b[n][k - 1] if k else first[n]).astype(np.float64)
        d, e = a[n][k].astype(np.float64) - before, b[n][k].astype(np.float64) - before
        if np.allclose(d, e, rtol=tol[0], atol=tol[1]):
            right.append(repr(n))
            continue
        if not np.any(d):
            wrong.append(f"{n!r} did not move")
        elif d.size == 1:
            how = _update_ratio(float(d.reshape(-1)[0]), float(e.reshape(-1)[0]))
            wrong.append(f"{n!r} moved by {float(d.reshape(-1)[0]):+.4g}, expected "
                         f"{float(e.reshape(-1)[0]):+.4g}{' (' + how + ')' if how else ''}")
        else:
            said = relation(d, e, *tol) if np.abs(e).max() > 0 else None
            wrong.append(f"{n!r}'s update differs" + (f" ({said})" if said else ""))
    if not wrong:
        return ""
    also = f"; the update of {', '.join(right)} is the reference's" if right else ""
    where = "from the same start, in step 1" if k == 0 else \
        f"the parameters are the reference's before {step_name(k)}; in it"
    return f"step by step: {where} " + "; ".join(wrong) + also


def _update_ratio(d: float, e: float) -> str:
    """A plain ratio between two updates, where one holds: × −1, × 2, × 1/2 said as such; any
    other ratio to 3 digits."""
    if e == 0:
        return ""
    r = d / e
    for v, word in ((-1, "the opposite sign"), (2, "× 2"), (0.5, "× 1/2")):
        if abs(r - v) <= 1e-6 * max(1, abs(v)):
            return word
    return f"× {r:.3g}"
