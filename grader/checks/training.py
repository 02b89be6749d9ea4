"""Helpers of the checks of training code and nn.Modules (ex05-ex08): trajectories compared step
by step, parameters that must stay leaves, results that must not carry a graph, a module's
structure, and a forward pass without side effects.

    assert_trajectory(got["losses"], want["losses"], call="train(model, X, Y, lr=0.05, 20)",
                      mistakes={"gradients never zeroed ...": no_zero["losses"]})

Everything here runs on the trusted side and fails with grader.numeric.fail (a CheckFailure).
"""
from __future__ import annotations

import math

import torch

from grader.plots import plot
from grader.numeric import (TRAJECTORY_TOL, CheckFailure, as_array, assert_close, fail, kind_of,
                            name_mistake)
from grader.protocol import RemoteObject, meta
from grader.sandbox import StudentError

NO_ZERO_GRAD = ("the gradients are never zeroed, so each step adds its gradient to all the "
                "earlier ones: zero them (optimizer.zero_grad() or p.grad.zero_()) in every "
                "step, before loss.backward().")
ZERO_AFTER_BACKWARD = ("the parameters never move: the gradients are zeroed after "
                       "loss.backward() and before the update, so every update adds zero. "
                       "Zero them before backward().")
LOSS_AFTER_STEP = ("these are the losses after each update: record the loss computed in the "
                   "step, before the update.")
SIGN_FLIPPED = ("the loss grows: the update adds lr * grad instead of subtracting it "
                "(p -= lr * p.grad).")
SUM_LOSS = ("the loss is a sum over the samples, not a mean: use .mean() (or nn.MSELoss() with "
            "its default reduction='mean').")
STALE_GRADS = ("the gradients already in .grad when the step began were added to this step's: "
               "call optimizer.zero_grad() first, before loss.backward(), not after "
               "optimizer.step().")


def traj_tol(dtype=torch.float32):
    return TRAJECTORY_TOL.get(dtype, TRAJECTORY_TOL[torch.float32])


def assert_trajectory(got, want, *, call: str, mistakes=None, dtype=torch.float32,
                      what="losses"):
    """`got` must be a list of len(want) Python numbers equal to `want` step by step.
    `mistakes`: {hint: wrong trajectory}, or a callable giving that dict (see Mistakes)."""
    plot(f"{what}: {call}", student=got if isinstance(got, (list, tuple)) else [],
         reference=want)
    if isinstance(got, RemoteObject) or not isinstance(got, (list, tuple)):
        fail(f"{call} should give a list of {len(want)} {what} (Python floats), got "
             f"{kind_of(got)}.")
    if len(got) != len(want):
        fail(f"{call} gave {len(got)} {what}, expected {len(want)} (one per step).")
    tensors = [v for v in got if isinstance(v, torch.Tensor)]
    if tensors:
        fail(f"{call} gave {what} as tensors ({kind_of(tensors[0])}): use loss.item(), a "
             f"Python float (a tensor that requires grad keeps its whole graph alive).")
    bad = [v for v in got if not isinstance(v, (int, float)) or isinstance(v, bool)]
    if bad:
        fail(f"{call} gave {what} that are not numbers, e.g. {kind_of(bad[0])}.")
    rtol, atol = traj_tol(dtype)
    want = [float(v) for v in want]
    a, b = as_array(list(got)), as_array(want)
    if a.size and b.size and not _finite_prefix_close(a, b, rtol, atol):
        first = next(i for i in range(len(want)) if not _one_close(a[i], b[i], rtol, atol))
        hint = name_mistake(a, _resolve(mistakes), rtol, atol)
        lines = [f"{call} went another way than the reference from the same starting point: "
                 f"step {first} differs.",
                 f"  expected {what}, steps {first}..: {_few(want[first:])}",
                 f"  got {what},      steps {first}..: {_few(list(got)[first:])}"]
        if first == 0:
            lines.append("  (step 0 is the loss of the starting parameters: is the prediction "
                         "or the loss itself computed differently?)")
        if hint:
            lines.append(f"  hint: {hint}")
        fail("\n".join(lines))


def _one_close(x, y, rtol, atol):
    if x == y or (math.isnan(x) and math.isnan(y)):
        return True
    return abs(x - y) <= atol + rtol * abs(y)


def _finite_prefix_close(a, b, rtol, atol):
    return all(_one_close(float(x), float(y), rtol, atol) for x, y in zip(a, b))


def _few(values, n=4):
    text = ", ".join(f"{float(v):.6g}" for v in values[:n])
    return f"[{text}{', ...' if len(values) > n else ''}]"


def assert_state(got, want, *, call: str, mistakes=None, dtype=torch.float32):
    """Parameters after training (a dict of tensors, or one tensor) within the trajectory
    tolerance."""
    rtol, atol = traj_tol(dtype)
    try:
        assert_close(got, want, call=call, rtol=rtol, atol=atol,
                     mistakes=None if callable(mistakes) else mistakes,
                     context="the parameters after training")
    except CheckFailure:
        if not callable(mistakes):
            raise
        assert_close(got, want, call=call, rtol=rtol, atol=atol, mistakes=mistakes(),
                     context="the parameters after training")
        raise


class Mistakes:
    """The results of known wrong programs, computed only when a check needs a hint (the first
    time a comparison fails), then kept:

        wrong = Mistakes(lambda: {hint: reference_probe("ex06.train_variant", ...) for ...})
        assert_trajectory(got, want, call=..., mistakes=wrong.map(lambda r: r["losses"]))
    """

    def __init__(self, compute):
        self._compute, self._value = compute, None

    def value(self) -> dict:
        if self._value is None:
            self._value = self._compute()
        return self._value

    def map(self, fn):
        """A callable giving {hint: fn(result)} (what assert_trajectory/assert_state take)."""
        return lambda: {hint: fn(result) for hint, result in self.value().items()}


def _resolve(mistakes):
    return mistakes() if callable(mistakes) else mistakes


def assert_leaf(t, *, call: str, name: str):
    """t must be a leaf tensor that requires grad (a parameter after an update)."""
    if not isinstance(t, torch.Tensor):
        fail(f"{call}: {name} should be a tensor, got {kind_of(t)}.")
    m = meta(t)
    if m is None:
        return
    if m.grad_fn is not None or not m.is_leaf:
        fail(f"{call}: {name} is no longer a leaf tensor (grad_fn={m.grad_fn}): it was made by "
             f"an operation with autograd on, e.g. `{name} = {name} - lr * {name}.grad`. Update "
             f"in place under torch.no_grad() (`{name} -= lr * {name}.grad`), so that it stays "
             f"the leaf whose .grad backward() fills.")
    if not m.requires_grad:
        fail(f"{call}: {name} does not require grad any more: it was detached or replaced by "
             f"a plain tensor. Keep updating the same leaf in place under torch.no_grad().")


def assert_no_graph(t, *, call: str):
    """A result computed without autograd (under torch.no_grad()) does not require grad."""
    m = meta(t) if isinstance(t, torch.Tensor) else None
    if m is not None and (m.requires_grad or m.grad_fn is not None):
        fail(f"{call} returned a tensor that requires grad (grad_fn={m.grad_fn}): it was "
             f"computed with autograd on and keeps a graph. Compute it under torch.no_grad() "
             f"(predictions need no gradient).")


def assert_structure(got, want, *, call: str):
    """The structure of a module (grader.probes.common.structure) equals the reference's."""
    if isinstance(got, RemoteObject) or not isinstance(got, dict):
        fail(f"{call}: could not read the module's structure ({kind_of(got)}).")
    gm = [tuple(m) for m in got.get("modules", [])]
    wm = [tuple(m) for m in want["modules"]]
    if gm != wm:
        fail(f"{call} should hold the submodules {_pairs(wm)}, found {_pairs(gm) or 'none'}: "
             f"assign them as attributes of self in __init__ with these names (after "
             f"super().__init__()).")
    gp = [(n, tuple(s)) for n, s in got.get("parameters", [])]
    wp = [(n, tuple(s)) for n, s in want["parameters"]]
    if gp != wp:
        fail(f"{call} should have the parameters {_pairs(wp)}, found {_pairs(gp) or 'none'}: "
             f"nn.Linear(in_features, out_features) has weight (out, in) and bias (out,).")


def _pairs(items):
    return ", ".join(f"{a} ({b})" if not isinstance(b, tuple) else f"{a} {b}" for a, b in items)


def assert_forward_pure(out, *, call: str):
    """out from grader.probes.ex06.forward_twice: the two outputs agree and forward changed
    neither the parameters nor their gradients."""
    first, second = out["outputs"]
    before, after = out["state_before"], out["state_after"]
    for k in before:
        if k not in after or not torch.equal(after[k], before[k]):
            fail(f"{call} changed the parameter {k!r}: forward must only compute the output "
                 f"(no updates, no in-place changes of the weights).")
    filled = [k for k, g in out["grads"].items() if g is not None]
    if filled:
        fail(f"{call} filled the .grad of {filled}: forward must not call backward() (or an "
             f"optimizer); the training loop does that.")
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor):
        assert_close(second, first, call=call, context="the second call on the same input")


def inplace_leaf_hint(err: StudentError, call: str):
    """Re-raise autograd's complaint about an in-place change of a leaf as a teaching message."""
    text = str(err)
    if "leaf Variable that requires grad" in text or "a leaf Variable" in text:
        fail(f"{call}: {text}\n  hint: the update ran with autograd on: wrap it in "
             f"`with torch.no_grad():` (a parameter that requires grad may only be changed in "
             f"place while autograd is off).")
    raise err


def random_state(g: torch.Generator, shapes, *, scale=1.0, dtype=torch.float32):
    """A state dict {name: tensor of that shape} with values U(-scale, scale) drawn from g."""
    return {name: ((torch.rand(tuple(shape), generator=g, dtype=torch.float64) * 2 - 1)
                   * scale).to(dtype) for name, shape in shapes}
