"""Hidden checks of ex02: random data drawn from the run's seed, compared with the reference, and
every derivative also with its closed form, autograd and a float64 central difference."""
import numpy as np
import pytest
import torch

from grader.checks.api import (GRADCHECK_TOL, TOL, TRAJECTORY_TOL, StudentError, also_on,
                               assert_close, assert_trajectory,
                               autograd_grad, away_from_zero, check, float_central_difference,
                               manual_call, np_rng, property_of, reference, reruns, scale_mistakes,
                               tolerance)
from grader.checks.ex02_gradient_descent.private.variants import (gd_mistakes, sgd_batch_gradient,
                                                                  sgd_epoch_mean,
                                                                  sgd_first_sample,
                                                                  sgd_full_batch_runs,
                                                                  sgd_loss_before_update,
                                                                  sgd_stale_w)
from grader.checks.ex02_gradient_descent.ships import mistakes as hints

pytestmark = pytest.mark.ex02

KINDS = ["list", "numpy", "float32", "float64"]


def _data(seed, name, n=None):
    """N noisy samples of y = w x + 0.3, and a starting weight away from the minimum."""
    rng = np_rng(seed, name)
    n = n or int(rng.integers(4, 9))
    x = np.round(away_from_zero(rng, n, 0.3, 2), 4)
    w_true = rng.uniform(-2, 2)
    y = np.round(x * w_true + 0.3 + rng.normal(0, 0.2, n), 4)
    w = float(np.round(w_true + rng.choice([-1, 1]) * rng.uniform(0.5, 1.5), 4))
    return x, y, w


def _convert(a, kind, device="cpu"):
    if kind == "list":
        return a.tolist()
    if kind == "numpy":
        return a
    return torch.tensor(a, dtype=getattr(torch, kind), device=device)


def _f64(v):
    return torch.tensor(v, dtype=torch.float64)


def _tol(kind, table=TOL):
    """Tolerances for inputs of `kind`: float32 tensors may be computed in float32 (the
    training runs); "float64" for what is asked computed in float64 whatever the kind."""
    dtype = torch.float32 if kind == "float32" else torch.float64
    return tolerance(dtype, table)


def _exact(a, kind):
    """The float64 values the student's function actually receives."""
    return a.astype(np.float32).astype(np.float64) if kind == "float32" else a


def _params(kinds=KINDS):
    """(kind, device) pairs: Python lists and NumPy arrays live on the CPU; tensors on each
    device."""
    out = [pytest.param(k, "cpu", id=k) for k in kinds if k in ("list", "numpy")]
    out += [pytest.param(k, d, id=f"{k}-{d}") for k in kinds if k.startswith("float")
            for d in ("cpu", "cuda")]
    return pytest.mark.parametrize("kind,device", out)


@check("cost")
@_params()
def test_cost_random(sub, seed, kind, device):
    """cost matches the reference and the closed form on random data (lists, arrays, tensors)"""
    x, y, w = _data(seed, "cost")
    args = (_convert(x, kind, device), _convert(y, kind, device), w)
    want = reference("ex02.cost", *args)
    got = sub.call("ex02.cost", *args)
    call = f"cost(xs, ys, w={w}) with {len(x)} random samples ({kind} on {device})"

    def mistakes():
        return {hints.cost_sum(len(x)): want * len(x),
                **also_on(hints.cost_mistakes(_exact(x, kind), _exact(y, kind), w),
                          _second_cost(sub, seed, kind, device)),
                **hints.in_float32("cost", got, *args)}
    # computed in float64 whatever the inputs' dtype (the contract)
    assert_close(got, want, call=call, mistakes=mistakes, **_tol("float64"))
    closed = float(np.mean((_exact(x, kind) * w - _exact(y, kind)) ** 2))
    assert_close(got, closed, call=call, context="compared with mean((x*w - y)**2)",
                 **_tol("float64"))


def _second_cost(sub, seed, kind, device):
    """cost on other random data of the same kind, the reference's cost there and the
    mistakes' values there (for naming a mistake only); None where the call fails."""
    x, y, w = _data(seed, "cost_other")
    args = (_convert(x, kind, device), _convert(y, kind, device), w)
    try:
        got = sub.call("ex02.cost", *args)
    except StudentError:
        return None
    return got, reference("ex02.cost", *args), hints.cost_mistakes(_exact(x, kind),
                                                                   _exact(y, kind), w)


def _second_gradient(sub, seed, kind, device):
    """gradient on other random data of the same kind, the reference's there and the mistakes'
    values there (for naming a mistake only); None where the call fails."""
    x, y, w = _data(seed, "gradient_other")
    args = (_convert(x, kind, device), _convert(y, kind, device), w)
    try:
        got = manual_call(sub, "ex02.gradient", *args)
    except StudentError:
        return None
    return (got, reference("ex02.gradient", *args, grad=False),
            hints.product_of_means(_exact(x, kind), _exact(y, kind), w))


@check("gradient", points=3)
@_params()
def test_gradient_random(sub, seed, kind, device):
    """gradient (autograd off) matches the reference, the closed form, autograd and a float64
    central difference"""
    x, y, w = _data(seed, "gradient")
    args = (_convert(x, kind, device), _convert(y, kind, device), w)
    got = manual_call(sub, "ex02.gradient", *args)
    call = f"gradient(xs, ys, w={w}) with {len(x)} random samples ({kind} on {device}), " \
           f"autograd off"
    n = len(x)
    want = reference("ex02.gradient", *args, grad=False)
    xe, ye = _exact(x, kind), _exact(y, kind)
    # computed in float64 whatever the inputs' dtype (the contract)
    assert_close(got, want, call=call, mistakes=lambda: {
        **scale_mistakes(want, n), hints.NO_INNER_X: float(np.mean(2 * (xe * w - ye))),
        **also_on(hints.product_of_means(xe, ye, w), _second_gradient(sub, seed, kind, device)),
        **hints.in_float32("gradient", got, *args)}, **_tol("float64"))
    closed = float(np.mean(2 * xe * (xe * w - ye)))
    assert_close(got, closed, call=call, context="compared with mean(2*x*(x*w - y))",
                 mistakes=scale_mistakes(closed, n), **_tol("float64"))
    xt, yt = torch.from_numpy(xe), torch.from_numpy(ye)
    auto = float(autograd_grad(lambda v: ((xt * v - yt) ** 2).mean(), _f64(w)))
    assert_close(got, auto, call=call, context="compared with autograd",
                 mistakes=scale_mistakes(auto, n), **_tol("float64"))
    fd = float_central_difference(lambda v: float(np.mean((xe * v - ye) ** 2)), w)
    assert_close(got, fd, call=call, context="compared with a float64 central difference",
                 rtol=GRADCHECK_TOL[0], atol=GRADCHECK_TOL[1])


@check("gradient")
@property_of()
def test_gradient_zero_at_minimum(sub):
    """gradient is 0 at the least-squares weight (w = sum(xy) / sum(x^2))"""
    x, y = [1.0, -2.0, 0.5, 3.0], [2.0, -3.5, 1.5, 5.0]
    w = float(np.dot(x, y) / np.dot(x, x))
    got = manual_call(sub, "ex02.gradient", x, y, w)
    assert_close(got, 0.0, call=f"gradient(xs, ys, w={w:.6f}) at the minimum of the cost",
                 atol=1e-9)


@check("gradient_descent", points=3)
@_params(["list", "numpy", "float32", "float64"])
def test_gradient_descent_trajectory(sub, seed, kind, device):
    """gradient_descent follows the reference step by step: every cost and the final w"""
    x, y, w0 = _data(seed, "gd")
    rng = np_rng(seed, "gd-steps")
    lr = float(np.round(0.1 / max(1.0, np.mean(x ** 2)), 4))
    epochs = int(rng.integers(15, 31))
    args = (_convert(x, kind, device), _convert(y, kind, device), w0, lr, epochs)
    want = reference("ex02.gradient_descent", *args)
    got = sub.call("ex02.gradient_descent", *args)
    assert_trajectory(got, want, call=f"gradient_descent(xs, ys, w0={w0}, lr={lr}, "
                      f"epochs={epochs}) with {len(x)} random samples ({kind} on {device})",
                      names=("w", "costs"),
                      mistakes=gd_mistakes(args, len(x), _exact(x, kind), _exact(y, kind)),
                      count_hints=hints.per_sample_records(epochs, len(x), "cost"),
                      upto=reruns(sub, reference, "ex02.gradient_descent", args, 4),
                      **_tol(kind, TRAJECTORY_TOL))


@check("gradient_descent")
@property_of()
def test_gradient_descent_no_epochs(sub):
    """gradient_descent with epochs = 0 returns w0 and no costs"""
    got = sub.call("ex02.gradient_descent", [1.0, 2.0], [2.0, 4.0], 0.5, 0.1, 0)
    assert_trajectory(got, (0.5, []), names=("w", "costs"),
                      call="gradient_descent([1, 2], [2, 4], w0=0.5, lr=0.1, epochs=0)")


def _sign_lost(mistakes, sub):
    """The sign hint said as a sign of r lost where sample_gradient shows that (one sample's r
    has one sign: a flipped sign and a lost one give the same value there)."""
    signs = tuple(k for k in mistakes if k.startswith("the sign is flipped"))
    return hints.naming_sign_lost(
        mistakes, lambda *a: manual_call(sub, "ex02.sample_gradient", *a), signs)


@check("sample_gradient", points=2)
def test_sample_gradient_random(sub, seed):
    """sample_gradient (autograd off) matches the reference, 2x(xw - y), autograd and a float64
    central difference on random samples"""
    rng = np_rng(seed, "sample_gradient")
    for x, y, w in np.round(rng.uniform(-3, 3, (4, 3)), 4).tolist():
        call = f"sample_gradient(x={x}, y={y}, w={w}), autograd off"
        got = manual_call(sub, "ex02.sample_gradient", x, y, w)
        want = reference("ex02.sample_gradient", x, y, w, grad=False)
        in_x = {hints.IN_X: 2 * w * (x * w - y), **hints.no_x(x, y, w)}   # differentiated with respect to x
        assert_close(got, want, call=call,
                     mistakes=lambda: _sign_lost({**in_x, **scale_mistakes(want)}, sub))
        closed = 2 * x * (x * w - y)
        assert_close(got, closed, call=call, context="compared with 2*x*(x*w - y)",
                     mistakes=lambda: _sign_lost({**in_x, **scale_mistakes(closed)}, sub))
        auto = float(autograd_grad(lambda v: (x * v - y) ** 2, _f64(w)))
        assert_close(got, auto, call=call, context="compared with autograd",
                     mistakes=lambda: _sign_lost({**in_x, **scale_mistakes(auto)}, sub))
        fd = float_central_difference(lambda v: (x * v - y) ** 2, w)
        assert_close(got, fd, call=call, context="compared with a float64 central difference",
                     rtol=GRADCHECK_TOL[0], atol=GRADCHECK_TOL[1])


@check("stochastic_gradient_descent", points=3)
@_params(["list", "numpy", "float32", "float64"])
def test_sgd_trajectory(sub, seed, kind, device):
    """stochastic_gradient_descent follows the reference epoch by epoch: every loss and the
    final w"""
    x, y, w0 = _data(seed, "sgd")
    rng = np_rng(seed, "sgd-steps")
    lr = float(np.round(0.05 / max(1.0, np.max(x ** 2)), 4))
    epochs = int(rng.integers(10, 21))
    args = (_convert(x, kind, device), _convert(y, kind, device), w0, lr, epochs)
    want = reference("ex02.stochastic_gradient_descent", *args)
    got = sub.call("ex02.stochastic_gradient_descent", *args)
    xe, ye = _exact(x, kind).tolist(), _exact(y, kind).tolist()
    mistakes = {
        hints.SGD_HALF:
            reference("ex02.stochastic_gradient_descent", *args[:3], lr * 0.5, epochs),
        hints.SGD_UPHILL: reference("ex02.stochastic_gradient_descent", *args[:3], -lr, epochs),
        hints.SGD_REVERSED: reference("ex02.stochastic_gradient_descent",
                                      _convert(x[::-1].copy(), kind, device),
                                      _convert(y[::-1].copy(), kind, device), w0, lr, epochs),
        hints.SGD_LOSS_BEFORE_UPDATE: sgd_loss_before_update(xe, ye, w0, lr, epochs),
        hints.SGD_BATCH_GRADIENT: sgd_batch_gradient(xe, ye, w0, lr, epochs),
        hints.SGD_STALE_W: sgd_stale_w(xe, ye, w0, lr, epochs),
        hints.SGD_EPOCH_MEAN: sgd_epoch_mean(xe, ye, w0, lr, epochs),
        hints.SGD_FIRST_SAMPLE: sgd_first_sample(xe, ye, w0, lr, epochs),
        hints.SGD_EPOCH_MEAN_BEFORE: sgd_epoch_mean(xe, ye, w0, lr, epochs, before=True),
        **sgd_full_batch_runs(xe, ye, w0, lr, epochs),
    }
    assert_trajectory(got, want, call=f"stochastic_gradient_descent(xs, ys, w0={w0}, lr={lr}, "
                      f"epochs={epochs}) with {len(x)} random samples ({kind} on {device})",
                      names=("w", "losses"), **_tol(kind, TRAJECTORY_TOL),
                      mistakes=lambda: {**mistakes,
                                        **hints.sgd_sample_order(xe, ye, w0, lr, got)},
                      count_hints=hints.per_sample_records(epochs, len(x), "loss"),
                      upto=reruns(sub, reference, "ex02.stochastic_gradient_descent", args, 4))
