"""Hidden checks of ex04: random samples and parameters drawn from the run's seed, compared with
the reference, every gradient also with its closed form, autograd and a float64 central
difference, and every training run step by step."""
import numpy as np
import pytest
import torch

from grader.checks.api import (StudentError, assert_close, assert_gradient, assert_trajectory,
                               away_from_zero, check, devices, dtypes, gen, manual_call,
                               naming_rebound, np_rng, property_of, randn, reference, reruns,
                               scale_mistakes)
from grader.checks.ex04_backprop.private.variants import train_mistakes
from grader.checks.ex04_backprop.ships import mistakes as hints
from grader.checks.ex04_backprop.ships.mistakes import (affine_steps_mistakes, grads_mistakes,
                                                        sign_flips_shown, steps_closed,
                                                        steps_mistakes)
from grader.checks.ex04_backprop.ships.shared import (assert_params_of_xs_dtype,
                                                     assert_w_of_xs_dtype, trajectory_tol)

pytestmark = pytest.mark.ex04


def _samples(seed, name, n_low=3, n_high=6):
    """N samples of a noisy quadratic, rounded to 4 decimals, and the rng for the rest."""
    rng = np_rng(seed, name)
    n = int(rng.integers(n_low, n_high + 1))
    x = np.round(away_from_zero(rng, n, 0.3, 1.5), 4)
    c = rng.uniform(-1, 1, 3)
    y = np.round(c[0] * x ** 2 + c[1] * x + c[2] + rng.normal(0, 0.1, n), 4)
    return x, y, rng


def _far_from_float32(v: float) -> float:
    """v, moved by steps of 1e-4 until float32 rounds it by at least a quarter of its most
    (2**-26 of its size): a float32 copy of it is then told from it by any loss that follows."""
    while abs(float(np.float32(v)) - v) < abs(v) * 2.0 ** -26:
        v = round(v + 1e-4, 4)
    return v


def _line_run(seed, name):
    """(x, y, w0, lr, epochs) of a per-sample run on y = w x + noise, for train_autograd. Each
    sample's prediction x w (3 to 15 in size) is many times its residual (about 0.3), so a loss
    r**2 is sensitive to w: a w kept in float32 (rounded by up to 6e-8 of itself at every
    step) moves the losses by far more than the float64 tolerance (1e-7), on every seed."""
    rng = np_rng(seed, name)
    n = int(rng.integers(3, 7))
    x = np.round(away_from_zero(rng, n, 1.0, 2.5), 4)
    w_true = float(rng.choice([-1.0, 1.0]) * rng.uniform(3, 6))
    y = np.round(x * w_true + rng.normal(0, 0.3, n), 4)
    w0 = _far_from_float32(round(w_true + float(rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.4)),
                                 4))
    lr = float(np.round(rng.uniform(0.01, 0.03), 4))
    return x, y, w0, lr, int(rng.integers(3, 7))


def _convert(a, kind, device):
    return a.tolist() if kind == "list" else torch.tensor(a, dtype=getattr(torch, kind),
                                                          device=device)


def _kinds():
    out = [pytest.param("list", "cpu", id="list")]
    out += [pytest.param(k, d, id=f"{k}-{d}") for k in ("float32", "float64")
            for d in ("cpu", "cuda")]
    return pytest.mark.parametrize("kind,device", out)


def _both_signs(samples):
    """The samples (x, y, w[, b]) with r = x * w (+ b) - y > 0 in the first and third and < 0
    in the second: y reflected about y_hat where r has the other sign (a sign of r lost, 2|r|,
    shows only on samples of both signs)."""
    out = []
    for k, (x, y, w, *b) in enumerate(samples):
        y_hat = x * w + sum(b)
        if (y_hat - y) * (1 if k % 2 == 0 else -1) < 0:
            y = round(2 * y_hat - y, 4)
        out.append((x, y, w, *b))
    return out


def _other_sign(sub, samples, k):
    """(the answer on a sample whose r has the other sign than sample k's, its formulas'
    values, that sample in words), or None where the call fails: one call more, made only
    where sample k fails."""
    args = samples[1 if k != 1 else 0]
    func = "backward_steps" if len(args) == 3 else "affine_backward_steps"
    try:
        got = manual_call(sub, f"ex04.{func}", *args)
    except StudentError:
        return None
    where = ", ".join(f"{n}={v:g}" for n, v in zip("xywb", args))
    return got, steps_closed(*args), where


@check("backward_steps", points=3)
def test_backward_steps_random(sub, seed):
    """backward_steps (autograd off) matches the reference on random samples; dloss_dw also
    matches 2x(xw - y), autograd and a float64 central difference"""
    rng = np_rng(seed, "backward_steps")
    samples = _both_signs(np.round(rng.uniform(-3, 3, (3, 3)), 4).tolist())
    for k, (x, y, w) in enumerate(samples):
        call = f"backward_steps(x={x}, y={y}, w={w}), autograd off"
        got = manual_call(sub, "ex04.backward_steps", x, y, w)
        want = reference("ex04.backward_steps", x, y, w, grad=False)
        assert_close(got, want, call=call, check_dtype="strict",
                     mistakes=lambda: sign_flips_shown(steps_mistakes(want, x, w), want,
                                                       _other_sign(sub, samples, k)))
        closed = {"y_hat": x * w, "r": x * w - y, "loss": (x * w - y) ** 2,
                  "dloss_dr": 2 * (x * w - y), "dr_dyhat": 1.0, "dyhat_dw": x,
                  "dloss_dw": 2 * (x * w - y) * x}
        assert_close(got, closed, call=call, context="compared with the formulas")
        assert_gradient(got["dloss_dw"], lambda v: (x * v - y) ** 2, w,
                        call=f"{call}: dloss_dw", closed=closed["dloss_dw"],
                        like=want["dloss_dw"], mistakes=scale_mistakes)


@check("affine_backward_steps", points=3)
def test_affine_backward_steps_random(sub, seed):
    """affine_backward_steps (autograd off) matches the reference on random samples; dloss_dw
    and dloss_db also match 2x(xw + b - y) and 2(xw + b - y), autograd and a float64 central
    difference"""
    rng = np_rng(seed, "affine_backward_steps")
    samples = _both_signs(np.round(rng.uniform(-3, 3, (3, 4)), 4).tolist())
    for k, (x, y, w, b) in enumerate(samples):
        call = f"affine_backward_steps(x={x}, y={y}, w={w}, b={b}), autograd off"
        got = manual_call(sub, "ex04.affine_backward_steps", x, y, w, b)
        want = reference("ex04.affine_backward_steps", x, y, w, b, grad=False)
        assert_close(got, want, call=call, check_dtype="strict",
                     mistakes=lambda: sign_flips_shown(affine_steps_mistakes(want, x, w, y, b),
                                                       want, _other_sign(sub, samples, k)))
        r = x * w + b - y
        closed = {"y_hat": x * w + b, "r": r, "loss": r ** 2, "dloss_dr": 2 * r,
                  "dr_dyhat": 1.0, "dyhat_dw": x, "dloss_dw": 2 * r * x,
                  "dyhat_db": 1.0, "dloss_db": 2 * r}
        assert_close(got, closed, call=call, context="compared with the formulas")
        assert_gradient(got["dloss_dw"], lambda v: (x * v + b - y) ** 2, w,
                        call=f"{call}: dloss_dw", closed=closed["dloss_dw"],
                        like=want["dloss_dw"], mistakes=scale_mistakes)
        assert_gradient(got["dloss_db"], lambda v: (x * w + v - y) ** 2, b,
                        call=f"{call}: dloss_db", closed=closed["dloss_db"],
                        like=want["dloss_db"], mistakes=scale_mistakes)


@check("affine_backward_steps")
def test_affine_backward_steps_grad_mode(sub, seed):
    """affine_backward_steps is manual: the same answer with autograd on and under
    torch.set_grad_enabled(False)"""
    rng = np_rng(seed, "affine_backward_steps_grad_mode")
    x, y, w, b = np.round(rng.uniform(-3, 3, 4), 4).tolist()
    call = f"affine_backward_steps(x={x}, y={y}, w={w}, b={b})"
    on = sub.call("ex04.affine_backward_steps", x, y, w, b)
    off = manual_call(sub, "ex04.affine_backward_steps", x, y, w, b)
    want = reference("ex04.affine_backward_steps", x, y, w, b, grad=False)
    assert_close(off, want, call=f"{call}, autograd off", check_dtype="strict",
                 mistakes=lambda: affine_steps_mistakes(want, x, w, y, b))
    assert_close(on, off, call=f"{call} with autograd on", check_dtype="strict",
                 context="compared with the same call under torch.set_grad_enabled(False)")


@check("train_autograd", points=3)
@_kinds()
def test_train_autograd_trajectory(sub, seed, kind, device):
    """train_autograd follows the reference sample by sample: every recorded loss and the final
    w"""
    x, y, w0, lr, epochs = _line_run(seed, "train_autograd")
    xs, ys = _convert(x, kind, device), _convert(y, kind, device)
    want = reference("ex04.train_autograd", xs, ys, w0, lr, epochs)
    call = f"train_autograd(xs, ys, w0={w0}, lr={lr}, epochs={epochs}) with {len(x)} random " \
           f"samples ({kind} on {device})"
    with naming_rebound(call, hints.TRAIN_REBOUND):
        got = sub.call("ex04.train_autograd", xs, ys, w0, lr, epochs)
    assert_params_of_xs_dtype(got, want, xs, ("w",), call)
    assert_trajectory(got, want, names=("w", "losses"), call=call,
                      mistakes=lambda: train_mistakes(xs, ys, (w0,), lr, epochs,
                                                      quadratic=False), **trajectory_tol(xs),
                      upto=reruns(sub, reference, "ex04.train_autograd",
                                  (xs, ys, w0, lr, epochs), 4))
    assert_w_of_xs_dtype(got, xs, call)


@check("train_autograd")
@property_of()
def test_train_autograd_no_epochs(sub):
    """train_autograd with epochs = 0 returns w0 and no losses"""
    got = sub.call("ex04.train_autograd", [1.0, 2.0], [2.0, 4.0], 0.5, 0.1, 0)
    assert_trajectory(got, (0.5, []), names=("w", "losses"),
                      call="train_autograd([1, 2], [2, 4], w0=0.5, lr=0.1, epochs=0)")


@check("quadratic_forward")
@devices()
@dtypes()
def test_quadratic_forward_random(sub, seed, device, dtype):
    """quadratic_forward matches the reference and w1 x^2 + w2 x + b on random tensors"""
    g = gen(seed, "quadratic_forward")
    x = randn(g, 3, 4, dtype=dtype, device=device)
    w1, w2, b = (float(v) for v in np.round(randn(g, 3).numpy(), 4))
    call = f"quadratic_forward(x of shape (3, 4), {w1}, {w2}, {b}) with {dtype} on {device}"
    want = reference("ex04.quadratic_forward", x, w1, w2, b)
    assert_close(sub.call("ex04.quadratic_forward", x, w1, w2, b), want, call=call,
                 mistakes={hints.W_SWAPPED: w2 * x ** 2 + w1 * x + b,
                           **hints.times_two(x, w1, w2, b)})
    assert_close(sub.call("ex04.quadratic_forward", float(x[0, 0]), w1, w2, b),
                 reference("ex04.quadratic_forward", float(x[0, 0]), w1, w2, b),
                 call=f"quadratic_forward({float(x[0, 0])}, {w1}, {w2}, {b})")


@check("quadratic_grads", points=3)
@devices()
@dtypes()
def test_quadratic_grads_random(sub, seed, device, dtype):
    """quadratic_grads (autograd off) matches the reference, (2r x^2, 2r x, 2r), autograd and a
    float64 central difference, one gradient per sample"""
    x, y, rng = _samples(seed, "quadratic_grads")
    w1, w2, b = (float(v) for v in np.round(rng.uniform(-2, 2, 3), 4))
    xt = torch.tensor(x, dtype=dtype, device=device)
    yt = torch.tensor(y, dtype=dtype, device=device)
    n = len(x)
    call = f"quadratic_grads(x, y, w1={w1}, w2={w2}, b={b}) with x, y of shape ({n},), {dtype} " \
           f"on {device}, autograd off"
    got = manual_call(sub, "ex04.quadratic_grads", xt, yt, w1, w2, b)
    want = reference("ex04.quadratic_grads", xt, yt, w1, w2, b, grad=False)
    assert_close(got, want, call=call, mistakes=grads_mistakes(want))
    x64, y64 = xt.cpu().double(), yt.cpu().double()
    r = w1 * x64 ** 2 + w2 * x64 + b - y64
    p0 = (w1, w2, b)
    for i, (name, closed) in enumerate(zip(("dL/dw1", "dL/dw2", "dL/db"),
                                           (2 * r * x64 ** 2, 2 * r * x64, 2 * r))):
        def per_sample_loss(v, i=i):
            # v holds this parameter once per sample: d sum / d v[k] is sample k's derivative
            p = [v if j == i else p0[j] for j in range(3)]
            return (p[0] * x64 ** 2 + p[1] * x64 + p[2] - y64) ** 2
        assert_gradient(got[i], per_sample_loss, torch.full((n,), p0[i], dtype=torch.float64),
                        call=f"{call}: {name}", closed=closed, like=want[i],
                        mistakes=scale_mistakes)


@check("quadratic_grads")
def test_quadratic_grads_floats(sub, seed):
    """quadratic_grads on Python floats returns floats matching the reference"""
    rng = np_rng(seed, "quadratic_grads_floats")
    x, y, w1, w2, b = (float(v) for v in np.round(rng.uniform(-2, 2, 5), 4))
    call = f"quadratic_grads({x}, {y}, {w1}, {w2}, {b}), autograd off"
    want = reference("ex04.quadratic_grads", x, y, w1, w2, b, grad=False)
    assert_close(manual_call(sub, "ex04.quadratic_grads", x, y, w1, w2, b), want, call=call,
                 check_dtype="strict", mistakes=grads_mistakes(want))


@check("train_quadratic", points=3)
@_kinds()
def test_train_quadratic_trajectory(sub, seed, kind, device):
    """train_quadratic follows the reference sample by sample: every recorded loss and the final
    w1, w2, b"""
    x, y, rng = _samples(seed, "train_quadratic")
    init = tuple(float(v) for v in np.round(rng.uniform(-1, 1, 3), 4))
    lr = float(np.round(rng.uniform(0.02, 0.06), 4))
    epochs = int(rng.integers(3, 7))
    xs, ys = _convert(x, kind, device), _convert(y, kind, device)
    args = (xs, ys, *init, lr, epochs)
    want = reference("ex04.train_quadratic", *args)
    call = f"train_quadratic(xs, ys, w1={init[0]}, w2={init[1]}, b={init[2]}, lr={lr}, " \
           f"epochs={epochs}) with {len(x)} random samples ({kind} on {device})"
    with naming_rebound(call, hints.QUADRATIC_REBOUND):
        got = sub.call("ex04.train_quadratic", *args)
    assert_params_of_xs_dtype(got, want, xs, ("w1", "w2", "b"), call)
    assert_trajectory(got, want, names=("w1", "w2", "b", "losses"), call=call,
                      mistakes=lambda: train_mistakes(xs, ys, init, lr, epochs, quadratic=True),
                      **trajectory_tol(xs),
                      upto=reruns(sub, reference, "ex04.train_quadratic", args, 6))
    assert_w_of_xs_dtype(got, xs, call, names=("w1", "w2", "b"))
