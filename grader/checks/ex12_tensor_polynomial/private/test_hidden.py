"""Hidden checks of ex12: random data, coefficients and states drawn from the run's seed, compared
with the reference on every device and dtype; the gradients also with the closed form, autograd
and a float64 central difference; every fit step by step, the usual mistakes recomputed here (by
small wrong variants) to name them."""
import math

import pytest
import torch

from grader.checks.api import (GRADCHECK_TOL, StudentError, TRAJECTORY_TOL, assert_close,
                               assert_fit, autograd_grad, central_difference, check, devices,
                               dtypes, fail, gen, manual_call, naming_rebound, property_of,
                               reference, reference_probe, scale_mistakes, uniform, tolerance,
                               assert_dtypes)
from grader.checks.ex12_tensor_polynomial.private import variants as wrong
from grader.checks.ex12_tensor_polynomial.ships import mistakes as hints
from grader.checks.ex12_tensor_polynomial.ships.mistakes import fit_mistakes
from grader.checks.ex12_tensor_polynomial.ships.shared import (FLOAT64_STEPS, check_optim,
                                                                check_string)

pytestmark = pytest.mark.ex12


def _traj(dtype):
    return tolerance(dtype, TRAJECTORY_TOL)


def _problem(seed, name, dtype=torch.float64, device="cpu", n=None):
    """Random points in [-pi, pi], a noisy sine there, a random cubic and its prediction."""
    g = gen(seed, name)
    n = n or int(torch.randint(20, 60, (), generator=g))
    x = torch.sort(uniform(g, n, low=-math.pi, high=math.pi)).values
    y = torch.sin(x) + 0.05 * torch.randn(n, generator=g, dtype=torch.float64)
    params = torch.randn(4, generator=g, dtype=torch.float64)
    a, b, c, d = params
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    on = dict(dtype=dtype, device=device)
    return x.to(**on), y.to(**on), params, y_pred.to(**on)


# ----------------------------------------------------------------------------------------------
# poly_grads_tensor

@check("poly_grads_tensor", points=2)
@devices()
@dtypes()
def test_grads_reference(sub, seed, device, dtype):
    """poly_grads_tensor matches the reference with autograd off, as 0-dim tensors on x's device"""
    x, y, _, y_pred = _problem(seed, "grads", dtype, device)
    want = reference("ex12.poly_grads_tensor", x, y, y_pred, grad=False)
    n = len(x)
    mistakes = {hints.grads_of_mean(n): tuple(v / n for v in want),
                **scale_mistakes(want, sign=hints.GRAD_SIGN),
                **hints.grad_powers(want, x, y, y_pred)}
    got = manual_call(sub, "ex12.poly_grads_tensor", x, y, y_pred)
    assert_close(got, want, call=f"poly_grads_tensor(x, y, y_pred) on {n} points ({device}, "
                 f"{str(dtype).replace('torch.', '')})", mistakes=mistakes)


@check("poly_grads_tensor", points=2)
@devices()
def test_grads_closed_form_autograd_fd(sub, seed, device):
    """poly_grads_tensor equals the closed form, autograd and a float64 central difference"""
    x, y, params, y_pred = _problem(seed, "grads_oracles", torch.float64, device)
    got = manual_call(sub, "ex12.poly_grads_tensor", x, y, y_pred)
    xc, yc = x.cpu(), y.cpu()
    r2 = 2 * (y_pred.cpu() - yc)
    closed = tuple((r2 * xc ** k).sum().to(device) for k in range(4))

    def loss(p):
        return ((p[0] + p[1] * xc + p[2] * xc ** 2 + p[3] * xc ** 3 - yc) ** 2).sum()
    auto = tuple(v.to(device) for v in autograd_grad(loss, params))
    fd = tuple(v.to(device) for v in central_difference(loss, params))
    rtol, atol = GRADCHECK_TOL
    for name, want in (("the closed form sum(2 r x^k)", closed), ("autograd", auto),
                       ("a float64 central difference", fd)):
        assert_close(got, want, call="poly_grads_tensor(x, y, y_pred)", rtol=rtol, atol=atol,
                     context=f"against {name}", mistakes=scale_mistakes(want, sign=hints.GRAD_SIGN))


# ----------------------------------------------------------------------------------------------
# fit_tensor and fit_autograd

def _fit_setup(seed, name, dtype, device):
    g = gen(seed, name)
    n = int(torch.randint(30, 70, (), generator=g))
    x = torch.linspace(-math.pi, math.pi, n, dtype=torch.float64)
    y = torch.sin(x) + 0.05 * torch.randn(n, generator=g, dtype=torch.float64)
    lr = float(torch.empty(()).uniform_(1e-5, 3e-5, generator=g))
    fit_seed = int(torch.randint(0, 10_000, (), generator=g))
    return x.to(device, dtype), y.to(device, dtype), lr, fit_seed


def _call(sub, func, *args, **kwargs):
    """fit_tensor is manual (autograd off); fit_autograd needs autograd."""
    if func == "fit_tensor":
        return manual_call(sub, f"ex12.{func}", *args, **kwargs)
    with naming_rebound(f"{func}(x, y, ...)", hints.AUTOGRAD_REBOUND):  # fit_autograd
        return sub.call(f"ex12.{func}", *args, **kwargs)


def _step_by_step(sub, seed, device, dtype, func):
    x, y, lr, fit_seed = _fit_setup(seed, f"{func}_steps", dtype, device)
    grad = False if func == "fit_tensor" else None
    for k in (0, 1, 2, 3, 10):
        want = reference(f"ex12.{func}", x, y, lr=lr, steps=k, seed=fit_seed, grad=grad)
        got = _call(sub, func, x, y, lr=lr, steps=k, seed=fit_seed)
        # the initial values are float32 draws, cast exactly: in float64 they are told apart
        # from draws made in float64 (3e-8 away), which the docstring rules out
        # and every float64 step is judged at float64's resolution (FLOAT64_STEPS)
        exact = k == 0 and dtype == torch.float64
        tol = {"rtol": 1e-12, "atol": 0.0} if exact else \
            FLOAT64_STEPS if dtype == torch.float64 else _traj(dtype)
        assert_fit(got, want, mistakes=lambda: fit_mistakes(
                   wrong.fit_mistakes(x, y, lr, k, fit_seed, func), len(x)) if k
                   else {hints.DRAWN_IN_FLOAT64: wrong.float64_draws(x, fit_seed)},
                   call=f"{func}(x, y, lr={lr:.3g}, steps={k}, seed={fit_seed}) on "
                   f"{device}", **tol,
                   context="the initial values: torch.randn((), generator=g) for a, b, c, d "
                           "in turn, then .to(x.device, x.dtype)" if k == 0 else
                           f"after {k} step(s)")


def _long_run(sub, seed, device, dtype, func, steps=200):
    x, y, lr, fit_seed = _fit_setup(seed, f"{func}_long", dtype, device)
    grad = False if func == "fit_tensor" else None
    want = reference(f"ex12.{func}", x, y, lr=lr, steps=steps, seed=fit_seed, grad=grad)
    got = _call(sub, func, x, y, lr=lr, steps=steps, seed=fit_seed)
    assert_fit(got, want, mistakes=lambda: fit_mistakes(
               wrong.fit_mistakes(x, y, lr, steps, fit_seed, func), len(x)),
               call=f"{func}(x, y, lr={lr:.3g}, steps={steps}, seed={fit_seed}) on {device}",
               **_traj(dtype))


@check("fit_tensor", points=2)
@devices()
@dtypes()
def test_fit_tensor_step_by_step(sub, seed, device, dtype):
    """fit_tensor (autograd off) after 0, 1, 2, 3 and 10 steps matches the reference"""
    _step_by_step(sub, seed, device, dtype, "fit_tensor")


@check("fit_tensor")
@devices()
def test_fit_tensor_200(sub, seed, device):
    """fit_tensor over 200 steps (float32): the coefficients and the losses of steps 99, 199"""
    _long_run(sub, seed, device, torch.float32, "fit_tensor")


@check("fit_autograd", points=2)
@devices()
@dtypes()
def test_fit_autograd_step_by_step(sub, seed, device, dtype):
    """fit_autograd after 0, 1, 2, 3 and 10 steps matches the reference"""
    _step_by_step(sub, seed, device, dtype, "fit_autograd")


@check("fit_autograd")
@devices()
def test_fit_autograd_200(sub, seed, device):
    """fit_autograd over 200 steps (float64): the coefficients and the losses of steps 99, 199"""
    _long_run(sub, seed, device, torch.float64, "fit_autograd")


# ----------------------------------------------------------------------------------------------
# Polynomial3

def _state(seed, name):
    g = gen(seed, name)
    return {k: torch.randn((), generator=g) for k in "abcd"}


@check("Polynomial3")
def test_structure(sub):
    """Polynomial3 has exactly the parameters a, b, c, d, each 0-dim, and no submodules"""
    got = sub.probe("common.model_structure", "ex12", "Polynomial3")
    want = reference_probe("common.model_structure", "ex12", "Polynomial3")
    if got["parameters"] != want["parameters"] or got["modules"]:
        fail(f"Polynomial3() has the parameters {got['parameters']} and submodules "
             f"{got['modules']}; expected the parameters {want['parameters']} (name, shape) "
             f"and no submodules.")
    assert_dtypes(got, want, call="Polynomial3()")


@check("Polynomial3", points=2)
@devices()
@dtypes()
def test_forward_random_state(sub, seed, device, dtype):
    """Polynomial3 with a random state: forward on the model's device and dtype, no side effects"""
    state = _state(seed, "forward")
    g = gen(seed, "forward_x")
    x = uniform(g, 9, low=-3, high=3, dtype=dtype, device=device)
    got = sub.probe("ex12.forward", "ex12", state, x)
    want = reference_probe("ex12.forward", "ex12", state, x)
    s = {k: v.to(device, dtype) for k, v in state.items()}
    assert_close(got["result"], want["result"], call=f"model(x) on {device}, "
                 f"{str(dtype).replace('torch.', '')}",
                 mistakes=lambda: hints.forward_mistakes(
                     s, x, s["d"] + s["c"] * x + s["b"] * x ** 2 + s["a"] * x ** 3))
    assert_close(got["state"], want["state"], call="model(x)",
                 context="the parameters after a forward pass must be unchanged")
    if got["training"] != got["training_before"]:
        fail("model(x) changed the model's training mode: forward must not call .train() or "
             ".eval().")


@check("Polynomial3")
def test_string_random_state(sub, seed):
    """Polynomial3.string() for a random state has the format and the model's values"""
    state = _state(seed, "string")
    want = reference_probe("ex12.string", "ex12", state)
    check_string(sub.probe("ex12.string", "ex12", state), want, "model.string()")


# ----------------------------------------------------------------------------------------------
# fit_optim

@check("fit_optim", points=2)
@devices()
@pytest.mark.parametrize("optimizer,dtype,steps", [("sgd", torch.float64, 100),
                                                   ("rmsprop", torch.float32, 20)],
                         ids=["sgd-float64", "rmsprop-float32"])
def test_fit_optim_step_by_step(sub, seed, device, optimizer, dtype, steps):
    """fit_optim from a random state follows the reference run optimizer step by step"""
    state = _state(seed, f"optim_{optimizer}")
    x, y, lr, _ = _fit_setup(seed, f"optim_{optimizer}", dtype, device)
    if optimizer == "rmsprop":
        lr = lr * 100
    got = sub.probe("ex12.fit_optim", "ex12", state, x, y, lr, steps, optimizer)
    want = reference_probe("ex12.fit_optim", "ex12", state, x, y, lr, steps, optimizer)
    call = f"fit_optim(model, x, y, lr={lr:.3g}, steps={steps}, optimizer={optimizer!r}) on " \
           f"{device}"
    args = (state, x, y, lr, steps, optimizer)
    check_optim(got, want, args, call, lambda **kw: wrong.optim_variant(*args, **kw), dtype)
    assert_close(got["state"], want["state"], call=call, context="the final parameters",
                 **_traj(dtype))


@check("fit_optim")
@property_of()
def test_fit_optim_unknown_name(sub):
    """fit_optim rejects an optimizer name it does not know with a ValueError"""
    x = torch.linspace(-1, 1, 5)
    try:
        sub.probe("ex12.fit_optim", "ex12", None, x, torch.sin(x), 1e-3, 1, "adamw")
    except StudentError as exc:
        if exc.kind == "exception" and exc.derives_from("ValueError"):
            return
        raise
    fail('fit_optim(model, x, y, lr, steps, optimizer="adamw") returned without an error.',
         hints.UNKNOWN_OPTIMIZER)
