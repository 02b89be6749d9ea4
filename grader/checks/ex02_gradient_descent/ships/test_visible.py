"""Visible checks of ex02 (gradient descent by hand): the course's numbers, recorded from the
reference by `python -m grader build`, and the derivative checked against autograd and a
central difference. Students run these with `python -m grader check ex02`."""
import numpy as np
import pytest
import torch

from grader.checks.api import (also_on, assert_close, assert_trajectory, autograd_grad, Case,
                               check, CheckFailure, devices, dtypes, expected, fail, FD_EPS,
                               float_central_difference, GRADCHECK_TOL, kept_between_calls,
                               list_kept, manual_call, other_counts, over_count, prefix_cases,
                               property_of, Recorded, recorded_reruns, scale_mistakes,
                               StudentError, summed, TOL, tolerance)
from grader.checks.ex02_gradient_descent.ships import mistakes as hints

pytestmark = pytest.mark.ex02

X, Y = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
N = len(X)
SAMPLE = (4.0, 1.0, 3.0)   # x, y, w of the visible sample_gradient check
X4, Y4 = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
# the course data as NumPy arrays: the hidden checks give lists, arrays and tensors alike
XA, YA = np.array(X), np.array(Y)


def _t(values, dtype):
    return torch.tensor(values, dtype=dtype)


CASES = {c.id: c for c in [
    Case("cost_course", "ex02.cost", (XA, YA, 1.0)),
    # w = 2.1: float32 arithmetic rounds x * w (the cost 2e-6 relative off), where the contract
    # asks the cost computed in float64 whatever the tensors' dtype
    Case("cost_tensor32", "ex02.cost", (_t(X, torch.float32), _t(Y, torch.float32), 2.1)),
    Case("cost_tensor64", "ex02.cost", (_t(X, torch.float64), _t(Y, torch.float64), 2.1)),
    Case("gradient_course", "ex02.gradient", (XA, YA, 1.0), grad=False),
    # the cost just beside w = 1, for a central difference made of recorded numbers
    Case("cost_course_plus", "ex02.cost", (X, Y, 1.0 + FD_EPS)),
    Case("cost_course_minus", "ex02.cost", (X, Y, 1.0 - FD_EPS)),
    # w = 2.1 as for the cost: float32 arithmetic is 1e-6 relative off the float64 gradient
    Case("gradient_tensor32", "ex02.gradient", (_t(X, torch.float32), _t(Y, torch.float32), 2.1),
         grad=False),
    Case("gradient_tensor64", "ex02.gradient", (_t(X, torch.float64), _t(Y, torch.float64), 2.1),
         grad=False),
    Case("gd_course", "ex02.gradient_descent", (XA, YA, 1.0, 0.01, 100)),
    # three epochs of each loop on float64 (and float32) tensors of the course data
    # (gradient_descent's on 4 samples: a factor 1/N shows N = 4 there, N = 3 on the course's)
    Case("gd_tensor64", "ex02.gradient_descent",
         (_t(X4, torch.float64), _t(Y4, torch.float64), 1.0, 0.01, 3)),
    # both runs with every update divided by N once more
    Case("gd_course_over_n", "ex02.gradient_descent", (X, Y, 1.0, 0.01 / N, 100)),
    Case("gd_tensor64_over_n", "ex02.gradient_descent", (X4, Y4, 1.0, 0.01 / len(X4), 3)),
    *[Case(f"sgd_tensor{str(d)[-2:]}", "ex02.stochastic_gradient_descent",
           (_t(X, d), _t(Y, d), 1.0, 0.01, 3)) for d in (torch.float32, torch.float64)],
    # the same run with a gradient half as big, N times as big, or of the other sign
    Case("gd_course_half", "ex02.gradient_descent", (X, Y, 1.0, 0.005, 100)),
    Case("gd_course_sum", "ex02.gradient_descent", (X, Y, 1.0, 0.01 * N, 100)),
    Case("gd_course_uphill", "ex02.gradient_descent", (X, Y, 1.0, -0.01, 100)),
    # one step more: its costs[1:] are the costs recorded after each update
    Case("gd_course_101", "ex02.gradient_descent", (X, Y, 1.0, 0.01, 101)),
    # ... and one step fewer: the final w of a loop that skips its last update
    Case("gd_course_99", "ex02.gradient_descent", (X, Y, 1.0, 0.01, 99)),
    # not the docstring's (2, 4, 1): there x = 2 and w = 1, so the derivative in x, 2*w*(x*w - y),
    # is half the right one and reads as a factor 2 missing. Here every known mistake gives its
    # own value: 88 (right), 44 (factor 2), 66 (in x), 22 (x missing), -88 (sign), 176 (twice)
    Case("sample_gradient_course", "ex02.sample_gradient", SAMPLE, grad=False),
    # a sample with more digits, where the course's gives a round answer: an answer rounded for
    # show (round(v, 4)) fails a visible check too, not only the hidden ones (x*w > y, as in
    # the course's sample: a sign lost is told by the second sample)
    Case("sample_gradient_digits", "ex02.sample_gradient", (1.37, -0.71, 0.453), grad=False),
    Case("sgd_course", "ex02.stochastic_gradient_descent", (XA, YA, 1.0, 0.01, 10)),
    Case("sgd_course_half", "ex02.stochastic_gradient_descent", (X, Y, 1.0, 0.005, 10)),
    Case("sgd_course_uphill", "ex02.stochastic_gradient_descent", (X, Y, 1.0, -0.01, 10)),
    # the same run over the samples in reverse order: what a loop that visits them last to first
    # returns on the course data (where the order leaves w after an epoch as it is)
    Case("sgd_course_reversed", "ex02.stochastic_gradient_descent",
         (X[::-1], Y[::-1], 1.0, 0.01, 10)),
    # the same run with each epoch's loss recorded at another moment, recorded by `build` from
    # trusted code that never ships (grader.checks.ex02_gradient_descent.private.variants)
    Recorded("sgd_course_before", "ex02", (X, Y, 1.0, 0.01, 10),
             fn="ex02.sgd_loss_before_update"),
    Recorded("sgd_course_mean", "ex02", (X, Y, 1.0, 0.01, 10), fn="ex02.sgd_epoch_mean"),
    Recorded("sgd_course_first", "ex02", (X, Y, 1.0, 0.01, 10), fn="ex02.sgd_first_sample"),
    Recorded("sgd_course_stale_w", "ex02", (X, Y, 1.0, 0.01, 10), fn="ex02.sgd_stale_w"),
    Recorded("sgd_course_batch_gradient", "ex02", (X, Y, 1.0, 0.01, 10),
             fn="ex02.sgd_batch_gradient"),
    Recorded("sgd_course_mean_before", "ex02", (X, Y, 1.0, 0.01, 10), {"before": True},
             fn="ex02.sgd_epoch_mean"),
    # each loop done the other's way: one update per sample in gradient_descent, one full-batch
    # update per epoch in stochastic_gradient_descent (each way of recording its losses)
    Recorded("gd_course_per_sample", "ex02", (X, Y, 1.0, 0.01, 100), fn="ex02.gd_per_sample"),
    Recorded("gd_course_at_w0", "ex02", (X, Y, 1.0, 0.01, 100), fn="ex02.gd_gradient_at_w0"),
    *[Recorded(f"sgd_course_full_batch_{record}", "ex02", (X, Y, 1.0, 0.01, 10),
               {"record": record}, fn="ex02.sgd_full_batch") for record in hints.SGD_FULL_BATCH],
]}
# the course runs for 0, 1, 2, ... epochs: where a run parts, from the same start, step by step
CASES.update({c.id: c for name in ("gd_course", "sgd_course")
              for c in prefix_cases(CASES[name], 4)})


def _f64(v):
    return torch.tensor(v, dtype=torch.float64)


def _tol(dtype, table=TOL):
    return tolerance(dtype, table)


@check("cost", visible=True)
def test_cost_course(sub):
    """cost on the course data at w = 1 is 14/3"""
    case = CASES["cost_course"]
    want = expected(case)
    assert_close(case.run(sub), want, call="cost(np.array([1., 2., 3.]), np.array([2., 4., 6.]), "
                 "w=1.0)",
                 mistakes=lambda: {hints.cost_sum(N): want * N, **also_on(
                     {COST_SUMMED: want * N, **hints.cost_mistakes(X, Y, 1.0),
                      **_over_counts(want, N)}, _second_cost(sub))})


# A second input for the hints of cost and gradient: on the course data at w = 1, 14 // 3 = 4 is
# also the square of the mean error. Here the cost (2.79375), the square of the mean error
# (1.625625), the mean error (-1.275) and the sum floor-divided by N (2.0) all differ, and so do
# the gradient (-7.125) and 2 mean(x) mean(x*w - y) (-5.1).
COST2 = ([0.5, 1.5, 2.0, 4.0], [1.0, 2.0, 5.0, 7.5], 1.3)
# a sum for the mean: N times the cost on both inputs, N = 3 and N = 4
COST_SUMMED = summed("cost", N, len(COST2[0]))
# a mean over another count (N - 1, N + 1): N / (N + k) times the cost on both inputs
COST_COUNTS = other_counts("cost", N, len(COST2[0]))


def _over_counts(cost, n) -> dict:
    """{hint: the cost divided by N + k} on an input of n values whose cost is `cost`."""
    return {hint: cost * over_count(n, k) for hint, k in COST_COUNTS.items()}


def _second_cost(sub):
    """(cost on the second input, the right cost there, the mistakes' values there), or None
    where the call fails. The right cost is computed here: this input only names a mistake."""
    try:
        got = sub.call("ex02.cost", *COST2)
    except StudentError:
        return None
    x, y, w = (np.asarray(v, dtype=np.float64) for v in COST2)
    mse = float(np.mean((x * w - y) ** 2))
    return got, mse, {COST_SUMMED: mse * len(x), **hints.cost_mistakes(*COST2),
                      **_over_counts(mse, len(x))}


@check("cost", visible=True)
@devices()
@dtypes()
def test_cost_tensors(sub, device, dtype):
    """cost takes 1-D tensors (on any device) and returns a Python float, computed in float64
    from float32 tensors too"""
    case = CASES[f"cost_tensor{str(dtype)[-2:]}"].on(device)
    got = case.run(sub)
    assert_close(got, expected(case), call=f"cost(x, y, w=2.1) with {dtype} tensors on {device}",
                 check_dtype="strict", **_tol(torch.float64),
                 mistakes=lambda: {**also_on({**hints.cost_mistakes(X, Y, 2.1),
                                             **_over_counts(expected(case), N)},
                                            _second_cost(sub)),
                                   **hints.in_float32("cost", got, *case.args)})


@check("gradient", points=2, visible=True)
def test_gradient_course(sub):
    """gradient on the course data at w = 1, three ways: recorded, autograd, central difference"""
    case = CASES["gradient_course"]
    got = manual_call(sub, case.target, *case.args)
    want = expected(case)
    call = "gradient(xs=np.array([1., 2., 3.]), ys=np.array([2., 4., 6.]), w=1.0)"
    xa, ya = np.array(X), np.array(Y)
    assert_close(got, want, call=call, mistakes=lambda: {
        **scale_mistakes(want, N), hints.NO_INNER_X: float(np.mean(2 * (xa * 1.0 - ya))),
        **also_on({**hints.product_of_means(X, Y, 1.0), **hints.over_n_minus_1(X, Y, 1.0)},
                  _second_gradient(sub))})
    # what autograd says d cost / d w is (fair: gradient is the hand-written one)
    x, y = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    auto = float(autograd_grad(lambda w: ((x * w - y) ** 2).mean(), _f64(1.0)))
    assert_close(got, auto, call=call, context="compared with autograd",
                 mistakes=scale_mistakes(auto, N))
    fd = (expected(CASES["cost_course_plus"]) - expected(CASES["cost_course_minus"])) / \
        (2 * FD_EPS)
    assert_close(got, fd, call=call, context="compared with a central difference of the cost",
                 rtol=GRADCHECK_TOL[0], atol=GRADCHECK_TOL[1])


def _second_gradient(sub):
    """(gradient on COST2, the right gradient there, the mistakes' values there), or None where
    the call fails; the gradient is computed here (this input only names a mistake)."""
    try:
        got = manual_call(sub, "ex02.gradient", *COST2)
    except StudentError:
        return None
    x, y, w = (np.asarray(v, dtype=np.float64) for v in COST2)
    return got, float(np.mean(2 * x * (x * w - y))), {**hints.product_of_means(*COST2),
                                                      **hints.over_n_minus_1(*COST2)}


@check("gradient", visible=True)
@devices()
@dtypes()
def test_gradient_tensors(sub, device, dtype):
    """gradient takes tensors on any device, without autograd, and computes in float64 from
    float32 tensors too"""
    case = CASES[f"gradient_tensor{str(dtype)[-2:]}"].on(device)
    want = expected(case)
    got = manual_call(sub, case.target, *case.args)
    assert_close(got, want, call=f"gradient(x, y, w=2.1) with {dtype} tensors on {device}, "
                 f"autograd off", **_tol(torch.float64),
                 mistakes=lambda: {**scale_mistakes(want, N),
                                   **hints.in_float32("gradient", got, *case.args)})


@check("gradient_descent", visible=True)
@property_of()      # a constant is the same twice: counted once the values are right
def test_gradient_descent_twice(sub):
    """gradient_descent called twice with the same arguments gives the same w and costs: no
    state is kept from one call to the next"""
    args = (_t([1.0, 2.0], torch.float32), _t([2.0, 4.0], torch.float32), 0.5, 0.1, 3)
    call = "gradient_descent(tensor([1., 2.]), tensor([2., 4.]), w0=0.5, lr=0.1, epochs=3)"
    first = sub.call("ex02.gradient_descent", *args)
    second = sub.call("ex02.gradient_descent", *args)
    if not (isinstance(first, (tuple, list)) and len(first) == 2):
        fail(f"{call} returned {type(first).__name__}, where (w, costs) is asked.")
    kept = hints.costs_kept(first, second)
    if kept:
        fail(f"{call}, called a second time, returned {len(second[1])} costs: the "
             f"{len(first[1])} of the first call, then more.", kept)
    assert_trajectory(second, first, names=("w", "costs"), call=f"{call}, called a second "
                      f"time (compared with the first call)")


@check("gradient_descent", points=2, visible=True)
def test_gradient_descent_course(sub):
    """the course run: 100 steps at lr = 0.01 from w = 1 reach w = 2.0, every cost as recorded"""
    case = CASES["gd_course"]
    got = case.run(sub)
    want = expected(case)
    call = ("gradient_descent(np.array([1., 2., 3.]), np.array([2., 4., 6.]), w0=1.0, lr=0.01, "
            "epochs=100)")
    mistakes = {
        hints.GD_HALF: expected(CASES["gd_course_half"]),
        hints.gd_sum(N): expected(CASES["gd_course_sum"]),
        hints.GD_UPHILL: expected(CASES["gd_course_uphill"]),
        hints.COST_AFTER_UPDATE: (want[0], expected(CASES["gd_course_101"])[1][1:]),
        hints.GD_PER_SAMPLE: expected(CASES["gd_course_per_sample"]),
        hints.GD_AT_W0: expected(CASES["gd_course_at_w0"]),
        # every cost right, the final w one update behind or ahead
        hints.last_update_missing(100): (expected(CASES["gd_course_99"])[0], want[1]),
        hints.GD_ONE_UPDATE_MORE: (expected(CASES["gd_course_101"])[0], want[1]),
    }
    four = CASES["gd_tensor64"]

    def over_n_twice():
        """The run of updates divided by N once more, named only where the run on 4 samples
        is that run too (one call more, made only where the course run fails)."""
        try:
            shown = hints.same_run(four.run(sub), expected(CASES["gd_tensor64_over_n"]))
        except StudentError:
            shown = False
        return {hints.gd_over_n_twice(N, len(X4)): expected(CASES["gd_course_over_n"])} \
            if shown else {}
    assert_trajectory(got, want, call=call, names=("w", "costs"),
                      mistakes=lambda: {**mistakes, **over_n_twice()},
                      dtype=torch.float64, count_hints=hints.per_sample_records(100, N, "cost"),
                      upto=recorded_reruns(sub, CASES, case))
    assert_close(got[0], 2.0, call=call, context="the final w", rtol=0, atol=1e-3)
    assert_trajectory(four.run(sub), expected(four), names=("w", "costs"), dtype=torch.float64,
                      call="gradient_descent(x, y, w0=1.0, lr=0.01, epochs=3) with x = "
                           "[1, 2, 3, 4], y = 2x as float64 tensors")


@check("sample_gradient", visible=True)
def test_sample_gradient_course(sub):
    """sample_gradient(4, 1, 3) is 88, as autograd and a central difference say; and on x=1.37,
    y=-0.71, w=0.453, every digit"""
    case = CASES["sample_gradient_course"]
    x, y, w0 = SAMPLE
    got = manual_call(sub, case.target, *case.args)
    call = f"sample_gradient(x={x}, y={y}, w={w0})"
    in_x = {hints.IN_X: 2 * w0 * (x * w0 - y), **hints.no_x(x, y, w0)}
    assert_close(got, expected(case), call=call,
                 mistakes=lambda: {**in_x, **scale_mistakes(expected(case)),
                                   **also_on(hints.parentheses_lost(*SAMPLE),
                                             _second_sample(sub))})
    auto = float(autograd_grad(lambda w: (x * w - y) ** 2, _f64(w0)))
    assert_close(got, auto, call=call, context="compared with autograd",
                 mistakes={**in_x, **scale_mistakes(auto)})
    fd = float_central_difference(lambda w: (x * w - y) ** 2, w0)
    assert_close(got, fd, call=call, context="compared with a central difference",
                 rtol=GRADCHECK_TOL[0], atol=GRADCHECK_TOL[1])
    digits = CASES["sample_gradient_digits"]
    x, y, w0 = digits.args
    want = expected(digits)
    assert_close(manual_call(sub, digits.target, *digits.args), want,
                 call=f"sample_gradient(x={x}, y={y}, w={w0})",
                 mistakes=lambda: {hints.IN_X: 2 * w0 * (x * w0 - y), **hints.no_x(x, y, w0),
                                   **scale_mistakes(want),
                                   **also_on(hints.parentheses_lost(x, y, w0),
                                             _second_sample(sub))})


# A second input for the parentheses' hint: the right value 8.25, 2*x*x*w - y 0.25
SAMPLE2 = (-1.5, 2.0, 0.5)


def _second_sample(sub):
    """(sample_gradient on SAMPLE2, the right value there, the forms' values there), or None
    where the call fails (this input only names a mistake)."""
    try:
        got = manual_call(sub, "ex02.sample_gradient", *SAMPLE2)
    except StudentError:
        return None
    x, y, w = SAMPLE2
    return got, 2 * x * (x * w - y), hints.parentheses_lost(*SAMPLE2)


@check("stochastic_gradient_descent", points=2, visible=True)
def test_sgd_course(sub):
    """the course run: 10 epochs of per-sample updates at lr = 0.01, every loss as recorded"""
    case = CASES["sgd_course"]
    mistakes = {
        hints.SGD_HALF: expected(CASES["sgd_course_half"]),
        hints.SGD_UPHILL: expected(CASES["sgd_course_uphill"]),
        hints.SGD_REVERSED: expected(CASES["sgd_course_reversed"]),
        hints.SGD_LOSS_BEFORE_UPDATE: expected(CASES["sgd_course_before"]),
        hints.SGD_EPOCH_MEAN: expected(CASES["sgd_course_mean"]),
        hints.SGD_FIRST_SAMPLE: expected(CASES["sgd_course_first"]),
        hints.SGD_BATCH_GRADIENT: expected(CASES["sgd_course_batch_gradient"]),
        hints.SGD_STALE_W: expected(CASES["sgd_course_stale_w"]),
        hints.SGD_EPOCH_MEAN_BEFORE: expected(CASES["sgd_course_mean_before"]),
        **{hint: expected(CASES[f"sgd_course_full_batch_{record}"])
           for record, hint in hints.SGD_FULL_BATCH.items()},
    }
    got = case.run(sub)
    try:
        assert_trajectory(got, expected(case), names=("w", "losses"),
                          mistakes=lambda: {**hints.naming_sign_lost(
                              mistakes, lambda *a: manual_call(sub, "ex02.sample_gradient", *a),
                              (hints.SGD_UPHILL,)),
                              **hints.sgd_sample_order(X, Y, 1.0, 0.01, got)},
                          dtype=torch.float64,
                          count_hints=hints.per_sample_records(10, N, "loss"),
                          upto=recorded_reruns(sub, CASES, case),
                          call="stochastic_gradient_descent(np.array([1., 2., 3.]), "
                               "np.array([2., 4., 6.]), w0=1.0, lr=0.01, epochs=10)")
    except CheckFailure as exc:
        raise hints.order_unseen(exc) from None
    for dtype in (torch.float32, torch.float64):
        case = CASES[f"sgd_tensor{str(dtype)[-2:]}"]
        earlier, got = got, case.run(sub)
        assert_trajectory(got, expected(case), names=("w", "losses"), dtype=dtype,
                          count_hints=_kept(earlier, got, 3),
                          call=f"stochastic_gradient_descent(x, y, w0=1.0, lr=0.01, epochs=3) "
                               f"with the course data as {dtype} tensors")


def _kept(earlier, got, epochs) -> dict:
    """{count: hint} for a list of losses that begins with every loss of the call before and
    has `epochs` more: the list outlives the call (its count is the calls' counts added up)."""
    try:
        first, second = list(earlier[1]), list(got[1])
    except (TypeError, IndexError, KeyError):
        return {}
    if len(second) != len(first) + epochs or not kept_between_calls(first, second):
        return {}
    return {len(second): f"{len(second)} = {len(first)} + {epochs}, the losses of the call "
                         f"before and this call's: {list_kept('losses')}"}
