"""Helpers of the checks of training code and nn.Modules (ex05-ex12): parameters after training,
parameters that must stay leaves, results that must not carry a graph, a module's structure, a
forward pass without side effects, known wrong runs computed only when needed (or recorded, for
the visible checks), and a mini-batch run compared step by step (trajectories themselves:
grader.engine.compare.trajectories.assert_trajectory).

    wrong = Mistakes(lambda: {hint: train_variant(...) for ...})   # exNN's private/variants.py
    assert_trajectory(got["losses"], want["losses"], call="train(model, X, Y, lr=0.05, 20)",
                      mistakes=wrong.map(lambda r: r["losses"]))
    assert_state(got["state"], want["state"], call=..., mistakes=wrong.map(lambda r: r["state"]))

Everything here runs on the trusted side and fails with grader.engine.compare.fail (a CheckFailure).
"""
from __future__ import annotations

import importlib
import math
from dataclasses import dataclass

import torch

from grader.engine.expected import Case, expected as recorded_value
from grader.engine.compare import fail
from grader.engine.compare.close import assert_close
from grader.engine.compare.mistakes import lazily, resolve
from grader.engine.compare.tolerances import TRAJECTORY_TOL
from grader.engine.compare.trajectories import MAX_LOCATED, assert_trajectory
from grader.engine.compare.values import kind_of, show
from grader.sandbox.protocol import RemoteObject, meta
from grader.checks.student_errors import (GRAPH_USED_TWICE, STATE_LAYOUT,  # noqa: F401 - moved
                                          inplace_leaf_hint, named_student_error,
                                          naming_rebound, never_moved_hint, rebound_parameter)

NO_ZERO_GRAD = ("the gradients are never zeroed, so each step adds its gradient to all the "
                "earlier ones: zero them (optimizer.zero_grad() or p.grad.zero_()) in every "
                "step, before loss.backward().")
# the runs cannot tell the gradients zeroed between backward() and the update from an update
# done before backward() (after the zeroing): both leave every update without gradients
ZERO_AFTER_BACKWARD = ("the parameters never move: every update found the gradients zeroed (or "
                       "not yet computed), so it added zero. In each step the gradients must "
                       "be zeroed before loss.backward() and the update come after it.")


LOSS_AFTER_STEP = ("these are the losses after each update: record the loss computed in the "
                   "step, before the update.")
SIGN_FLIPPED = ("the loss grows: the update adds lr * grad instead of subtracting it "
                "(p -= lr * p.grad).")
SUM_LOSS = ("the loss is a sum over the samples, not a mean: use .mean() (or nn.MSELoss() with "
            "its default reduction='mean').")
SIGMOID_TWICE = ("the model already returns probabilities (its forward ends in a sigmoid), and "
                 "nn.BCEWithLogitsLoss applies a second sigmoid to them: with a model that "
                 "returns probabilities use nn.BCELoss (BCEWithLogitsLoss is for logits).")
# a doubled gradient moves the parameters as a doubled learning rate does: where the loop builds
# its own optimizer, the run cannot tell them apart
GRADS_DOUBLED = ("every update is twice the expected one while the loss before it matches: the "
                 "gradients are doubled. Is backward() called twice in a step (each call adds "
                 "the same gradients to .grad again), or the loss doubled before backward()? "
                 "Call loss.backward() once per step.")
GRADS_DOUBLED_OR_LR = GRADS_DOUBLED + " (A doubled learning rate gives the same run.)"
L1_LOSS = ("these are the losses of nn.L1Loss, the mean absolute error: the loss asked is the "
           "mean squared error, nn.MSELoss() (the errors squared, then averaged).")
STALE_GRADS = ("the gradients already in .grad when the step began were added to this step's: "
               "call optimizer.zero_grad() first, before loss.backward(), not after "
               "optimizer.step().")
# An epoch's loss averaged the wrong way (ex09, ex10): {hint: keywords of the check's variant}.
LOSS_MISTAKES = {
    "each epoch's loss is weighted by the batch sizes: take the plain mean of the batch "
    "losses, each batch counted once": dict(average="samples"),
    "each epoch's loss is the sum of its batch losses: divide by the number of batches":
        dict(average="sum"),
    "each epoch's loss is its last batch's loss: average all its batch losses":
        dict(average="last"),
    "each epoch's loss is its last batch's loss divided by the number of batches: the running "
    "total keeps only the last batch's loss (total = loss.item() where total += loss.item() "
    "adds each)": dict(average="last_over_batches"),
}


def traj_tol(dtype=torch.float32):
    return TRAJECTORY_TOL.get(dtype, TRAJECTORY_TOL[torch.float32])


def assert_state(got, want, *, call: str, mistakes=None, dtype=torch.float32):
    """Parameters after training (a dict of tensors, or one tensor) within the trajectory
    tolerance."""
    rtol, atol = traj_tol(dtype)
    lazily(assert_close, got, want, mistakes=mistakes, call=call, rtol=rtol, atol=atol,
           context="the parameters after training")


class Mistakes:
    """The results of known wrong programs, computed only when a check needs a hint (the first
    time a comparison fails), then kept:

        wrong = Mistakes(lambda: {hint: train_variant(...) for ...})
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


@dataclass(frozen=True)
class Recorded(Case):
    """A value of a visible check that `build` records from trusted code which never ships: a
    run with a known mistake, to name it. `fn` is "exNN.function", a function of exNN's
    private/variants.py, called with the case's args and kwargs when `build` records it; the
    visible check reads the value back with `expected(case)` and never runs it.

        Recorded("train_step_no_zero", "ex06", STEP + ("no_zero",), fn="ex06.train_variant")
    """

    fn: str = ""

    def run(self, sub):
        raise TypeError(f"{self.id} is a recorded value of trusted code; it does not run on a "
                        f"submission")

    def reference(self):
        from grader.exercises import package
        ex, _, name = self.fn.rpartition(".")
        trusted = importlib.import_module(f"{package(ex, 'private')}.variants")
        return getattr(trusted, name)(*self.args, **self.kwargs)


def variant_id(kw) -> str:
    """The id of the recorded run of a mini-batch loop (ex09, ex10) with the known mistake `kw`
    (the keywords of a trace mistake or a LOSS_MISTAKES entry): {"zero": False} ->
    "train_zero_False"."""
    return "train_" + "_".join(f"{k}_{v}" for k, v in sorted(kw.items()))


def assert_minibatch_run(got, want, *, call: str, variant, trace_mistakes, per_epoch: int,
                         count_hints=None, dtype=torch.float32, loss_mistakes=None, start=None):
    """A mini-batch run, {"steps": a record_steps trace, "losses": one per epoch} as the ex09 and
    ex10 probes return it, against the reference's: the parameters after every optimizer step,
    then the per-epoch losses. `variant(**kw)` reruns it with one known mistake (trusted code)
    when a hint is needed; `trace_mistakes` and LOSS_MISTAKES map each hint to those keywords;
    `loss_mistakes` (a dict, or a callable giving one) adds {hint: per-epoch losses}."""
    assert_trajectory(got["steps"], want["steps"], call=call, count_hints=count_hints,
                      start=start,
                      mistakes=lambda: {h: variant(**kw)["steps"] for h, kw in
                                        trace_mistakes.items()},
                      step_name=lambda k: f"step {k + 1} (epoch {k // per_epoch + 1}, batch "
                                          f"{k % per_epoch + 1})")
    assert_trajectory(got["losses"], want["losses"], call=call, what="per-epoch losses",
                      dtype=dtype, step_name=lambda k: f"epoch {k + 1}",
                      mistakes=lambda: {**{h: variant(**kw)["losses"] for h, kw in
                                           LOSS_MISTAKES.items()}, **resolve(loss_mistakes)})


# The mistakes of a cubic fit of sin(x) by gradient descent on the sum of squared errors that
# ex11 (NumPy) and ex12 (tensors) share; each names them in its table of mistakes.
COEFFICIENTS_ORDER = ("the coefficients are in the wrong order: a is the constant, d multiplies "
                      "x^3")
UPDATE_ADDS_GRADIENT = "the update adds the gradient: subtract lr * grad"
HALF_GRADIENT = "the gradients are half too small: the factor 2 of the square is missing"
LOSS_AFTER_UPDATE = ("the losses are recorded after the update of their step: record the loss "
                     "computed before updating")
LOSSES_OF_STEPS_0_100 = ("the losses of steps 0, 100, 200 are recorded: record those with "
                         "t % 100 == 99")


def grads_of_mean(n: int) -> str:
    """The gradients of the n points' mean squared error where the loss is their sum."""
    return (f"this is 1/{n} of the expected value: the loss is a sum, not a mean, so its "
            f"gradients are sums too (do not divide by N)")


def fit_grads_of_mean(n: int) -> str:
    """A fit whose gradients were divided by the number n of points."""
    return f"the gradients are divided by N = {n}: the loss is a sum, so are its gradients"


def reruns(sub, reference, target: str, args: tuple, at: int, **call_kw):
    """`upto` for assert_trajectory and located, in a hidden check: j -> (the student's call of
    `target` with args[at], its number of epochs or steps, set to j; `reference`'s), so that a
    run that parts is localised step by step from the same start.

        upto=reruns(sub, reference, "ex02.gradient_descent", (xs, ys, w0, lr, epochs), 4)
    """
    def upto(j):
        a = tuple(args[:at]) + (j,) + tuple(args[at + 1:])
        return sub.call(target, *a, **call_kw), reference(target, *a, **call_kw)
    return upto


def prefix_cases(case: Case, at: int) -> list:
    """The visible `case` of a training function run for 0, 1, ..., MAX_LOCATED units (args[at]
    set to each), whose results `build` records: what recorded_reruns compares with, step by
    step, where the visible check's run parts from the reference's."""
    return [Case(f"{case.id}_upto_{j}", case.target,
                 tuple(case.args[:at]) + (j,) + tuple(case.args[at + 1:]), case.kwargs,
                 case.grad, case.probe) for j in range(MAX_LOCATED + 1)]


def recorded_reruns(sub, cases: dict, case: Case, device=None):
    """`upto` for assert_trajectory and located, in a visible check: j -> (the student's run of
    `case` for j units, the reference's, recorded by prefix_cases), on `device` where given."""
    def upto(j):
        again = cases[f"{case.id}_upto_{j}"]
        if device is None:
            return again.run(sub), recorded_value(again)
        return again.on(device).run(sub), recorded_value(again, device)
    return upto


def as_run(r, keys) -> tuple | None:
    """A probe's {"result": losses, "state": {name: tensor}} in the tuple form that located and
    step_by_step read: (state[k] for k in keys, then the losses); None where it is not one."""
    if not (isinstance(r, dict) and isinstance(r.get("state"), dict)
            and isinstance(r.get("result"), (list, tuple)) and set(keys) <= set(r["state"])):
        return None
    return (*[r["state"][k] for k in keys], list(r["result"]))


def probe_reruns(sub, reference_probe, probe: str, ex: str, args_of, keys, **kw):
    """`upto` for located, where a probe runs the training ({"result": losses, "state": ...}):
    j -> the student's and `reference_probe`'s runs for j units, as_run's tuples; `args_of(j)`
    the probe's arguments for j units.

        upto=probe_reruns(sub, reference_probe, "ex06.call_on_network", "ex06",
                          lambda j: ("train", spec, state, (x, y, lr, j)), keys, device=device)
    """
    def upto(j):
        return (as_run(sub.probe(probe, ex, *args_of(j), **kw), keys),
                as_run(reference_probe(probe, ex, *args_of(j), **kw), keys))
    return upto


def crossed_update(i: int, j: int) -> str:
    """A cubic fit's coefficient i updated with coefficient j's gradient (a copy-paste, or
    two gradients unpacked in the wrong order: ex11, ex12)."""
    a, b = "abcd"[i], "abcd"[j]
    return (f"{a} is updated with grad_{b}: the run is the one where {a} -= lr * grad_{b} (a "
            f"copy-paste in the update, or a grad_{a} computed as grad_{b}, e.g. in poly_grads); each coefficient "
            f"moves by its own gradient, {a} -= lr * grad_{a}")


def loss_per_point(n: int) -> str:
    """The hint for recorded losses that are the reference's divided by the number of points."""
    return (f"each recorded loss is the reference's divided by N = {n}, the number of points: "
            f"the mean squared error per point. Record the loss itself, the sum of squared "
            f"errors ((y_pred - y) ** 2).sum(), not its mean")


def assert_fit(got, want, *, call, mistakes=None, context="", upto=None, unit="step",
               points=None, **tol):
    """A cubic fit's ((a, b, c, d), losses) (ex11, ex12) against the reference's: the losses
    first (where the runs part), then each coefficient by name; `mistakes` (a dict, or a
    callable giving one) map to whole wrong results. `points`: the number of points N, where
    given the losses of the reference divided by N (a mean recorded for the sum) are named."""
    if points and points > 1:
        given, n = mistakes, points

        def mistakes():
            return {**resolve(given), loss_per_point(n):
                    (want[0], [v / n for v in want[1]])}
    if not (isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[0], (tuple, list))
            and len(got[0]) == 4):
        fail(f"{call} should return ((a, b, c, d), losses), got {show(got)} ({kind_of(got)}).")

    def flat(r):
        return (*r[0], r[1])
    flat_upto = None if upto is None else (lambda j: tuple(flat(r) for r in upto(j)))
    assert_trajectory(flat(got), flat(want), call=f"{call} ({context})" if context else call,
                      names=("a", "b", "c", "d", "losses"), **tol, mistakes=lambda: {
                          k: flat(v) for k, v in resolve(mistakes).items()},
                      upto=flat_upto, unit=unit)


def assert_sgd_optimizer(got, want, *, call: str):
    """Compare the probe `optimizer_info` of a student's optimizer with the reference's: its
    type, the parameters it holds, lr/momentum/weight_decay, and one step with gradients 1."""
    if got["type"] != want["type"]:
        fail(f"{call} built a {got['type']}, expected {want['type']} (torch.optim.SGD).")
    if [g["params"] for g in got["groups"]] != [g["params"] for g in want["groups"]]:
        fail(f"{call} optimizes {[g['params'] for g in got['groups']]}, expected "
             f"{[g['params'] for g in want['groups']]}: pass model.parameters().")
    for g, w in zip(got["groups"], want["groups"]):
        for key in ("lr", "momentum", "weight_decay"):
            assert_close(g[key], w[key], call=call, context=f"the optimizer's {key}; plain "
                         f"SGD: torch.optim.SGD(model.parameters(), lr=lr)")
    assert_close(got["state_after_step"], want["state_after_step"], call=call,
                 context="two steps on uneven gradients")


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
             f"computed with autograd on and keeps a graph.", GRAPH_KEPT)


GRAPH_KEPT = ("the result keeps its graph: autograd was on while it was computed. Compute it "
              "inside `with torch.no_grad():` (predictions need no gradient); model.eval() "
              "alone does not turn autograd off, it changes layers such as dropout")


def assert_structure(got, want, *, call: str):
    """The structure of a module (grader.sandbox.inside.probes.common.structure) equals the reference's."""
    if isinstance(got, RemoteObject) or not isinstance(got, dict):
        fail(f"{call}: could not read the module's structure ({kind_of(got)}).")
    gm = [tuple(m) for m in got.get("modules", [])]
    wm = [tuple(m) for m in want["modules"]]
    gp = [(n, tuple(s)) for n, s in got.get("parameters", [])]
    wp = [(n, tuple(s)) for n, s in want["parameters"]]
    # what the contract names must be there; more is the student's choice as long as it holds
    # no parameters (an nn.Sigmoid() or nn.ReLU() module instead of torch.sigmoid, say)
    extra = [m for m in gm if m not in wm
             and not any(n.startswith(m[0] + ".") for n, _ in gp)]
    if [m for m in gm if m not in extra] != wm:
        fail(f"{call} should hold the submodules {_pairs(wm)}, found {_pairs(gm) or 'none'}: "
             + ("use torch's own layers (nn.Linear), not classes written to stand for them."
                if any(str(k).endswith("its own)") for _, k in gm) else "assign them as "
                "attributes of self in __init__ with these names (after super().__init__())."))
    if gp != wp:
        fail(f"{call} should have the parameters {_pairs(wp)}, found {_pairs(gp) or 'none'}: "
             f"nn.Linear(in_features, out_features) has weight (out, in) and bias (out,).")
    assert_dtypes(got, want, call=call)


def assert_dtypes(got, want, *, call: str):
    """The parameters' dtypes of a structure equal the reference's (where it records them)."""
    wd = [tuple(d) for d in want.get("dtypes", [])]
    gd = [tuple(d) for d in got.get("dtypes", [])] if isinstance(got, dict) else []
    if wd and gd != wd:
        fail(f"{call}'s parameters have the dtypes {_pairs(gd)}, expected {_pairs(wd)}",
             f"keep the parameters {wd[0][1]}, as the contract makes them (torch.randn(()) "
             f"and nn.Linear give float32): no dtype=torch.float64 or .double() in __init__")


def _pairs(items):
    return ", ".join(f"{a} ({b})" if not isinstance(b, tuple) else f"{a} {b}" for a, b in items)


def assert_forward_pure(out, *, call: str):
    """out from grader.sandbox.inside.probes.ex06.forward_twice: the two outputs agree and forward changed
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


def random_state(g: torch.Generator, shapes, *, scale=1.0, dtype=torch.float32):
    """A state dict {name: tensor of that shape} with values U(-scale, scale) drawn from g."""
    return {name: ((torch.rand(tuple(shape), generator=g, dtype=torch.float64) * 2 - 1)
                   * scale).to(dtype) for name, shape in shapes}


def formula_state(shapes: dict, wave, *, scale: float):
    """A state dict {name: float32 tensor of that shape} from a fixed formula, the same on every
    machine and PyTorch version: the parameters' entries, numbered 0, 1, 2... across the whole
    dict, are scale * wave(number) (`wave` maps a float64 tensor of numbers to values)."""
    state, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        values = wave(torch.arange(start, start + n, dtype=torch.float64))
        state[name] = (values * scale).reshape(shape).to(torch.float32)
        start += n
    return state


def refuse_steps_that_never_move(got, want, state, call: str, per: str = "batch") -> None:
    """Fail where every optimizer step of the student's run (got["steps"]) left the parameters
    at their initial `state` while the reference's first step moved them: step() found no
    gradients (zero_grad() between backward() and step(), step() before backward(), or
    backward() missing). What it is told holds whatever removed the gradients. `per`: what one
    step is done for."""
    from grader.engine.compare.relations import never_moved
    still = isinstance(got, dict) and isinstance(state, dict) and \
        never_moved(got.get("steps"), state)
    if still and not never_moved({k: v[:1] for k, v in want["steps"].items()}, state):
        fail(f"{call}: the parameters after every optimizer step are the initial ones.",
             f"optimizer.step() never moved the parameters: after each of its {still} steps "
             f"they are still the initial ones, so step() found no gradients when it ran "
             f"(zeroed before it, or not yet computed). For every {per}: zero_grad(), "
             f"backward(), step(), in that order.")


def divided_by_rows(want_losses, n: int, batches: int) -> dict:
    """{hint: the run} of an epoch's loss taken as the sum of its batch losses divided by the
    number of rows `n` (each batch loss is already a mean: divide by the `batches`); {} where
    the two are one number."""
    if n == batches:
        return {}
    return {f"each epoch's loss is the sum of its batch losses divided by the number of rows "
            f"(N = {n}); each batch loss is already a mean over its rows, so divide by the "
            f"number of batches ({batches}): the plain mean of the batch losses":
            [v * batches / n for v in want_losses]}



def momentum_of(got_steps, want_steps, state, asked: float) -> float | None:
    """The momentum of torch.optim.SGD that a run's second step shows, rounded to two places,
    or None where the steps do not show one. Where the first step is the reference's (p1; the
    first step of SGD does not depend on the momentum), the second is p1 - lr * (m * g1 + g2)
    with g2 the reference's own, so it differs from the reference's by (m - asked) * (p1 - p0):
    one number c for every parameter entry, and m = asked + c. Only a candidate: the caller
    names it where the whole run with that momentum is the student's."""
    import numpy as np
    from grader.engine.compare.values import as_array
    if not (isinstance(got_steps, dict) and isinstance(want_steps, dict)
            and isinstance(state, dict) and set(want_steps) <= set(got_steps)):
        return None
    try:
        a = [as_array(got_steps[k]) for k in want_steps]
        b = [as_array(want_steps[k]) for k in want_steps]
        p0 = np.concatenate([as_array(state[k]).reshape(-1) for k in want_steps])
    except (KeyError, TypeError, ValueError):
        return None
    if any(x is None or x.ndim == 0 or len(x) < 2 or x.shape != y.shape for x, y in zip(a, b)):
        return None
    g1, g2 = (np.concatenate([x[i].reshape(-1) for x in a]).astype(np.float64) for i in (0, 1))
    w1, w2 = (np.concatenate([y[i].reshape(-1) for y in b]).astype(np.float64) for i in (0, 1))
    step = w1 - p0.astype(np.float64)
    if not np.allclose(g1, w1, rtol=1e-5, atol=1e-7) or not (step ** 2).sum() > 0:
        return None
    diff = g2 - w2
    c = float(diff @ step / (step @ step))
    if np.abs(diff - c * step).max() > 1e-3 * max(np.abs(diff).max(), 1e-12):
        return None
    m = round(asked + c, 2)
    return m if abs(asked + c - m) < 2e-3 and 0 <= m < 1.5 and m != asked else None
