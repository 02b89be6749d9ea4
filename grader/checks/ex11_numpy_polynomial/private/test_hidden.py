"""Hidden checks of ex11: random data and coefficients drawn from the run's seed, compared with
the reference; the gradients also with the closed form, autograd and a float64 central
difference; the fit step by step, with the usual mistakes recomputed here to name them."""
import numpy as np
import pytest
import torch

from grader.checks.api import (GRADCHECK_TOL, TOL, TRAJECTORY_TOL, StudentError, also_on,
                               assert_close, assert_fit,
                               autograd_grad, central_difference, check, devices, dtypes, gen,
                               np_rng, randn, reference, scale_mistakes, tolerance)
from grader.checks.ex11_numpy_polynomial.private.variants import crossed_updates, fit_variant
from grader.checks.ex11_numpy_polynomial.ships import mistakes as hints
from grader.checks.ex11_numpy_polynomial.ships.shared import name_every_loss

pytestmark = pytest.mark.ex11

NP = {torch.float32: np.float32, torch.float64: np.float64}


def _tol(dtype):
    return tolerance(dtype, TOL)


TRAJ = tolerance(torch.float64, TRAJECTORY_TOL)


def _problem(seed, name, dtype=np.float64, n=None):
    """Random points in [-pi, pi], a noisy sine, and a random cubic's prediction there."""
    rng = np_rng(seed, name)
    n = n or int(rng.integers(20, 60))
    x = np.sort(rng.uniform(-np.pi, np.pi, n)).astype(dtype)
    y = (np.sin(x) + rng.normal(0, 0.05, n)).astype(dtype)
    params = tuple(float(v) for v in rng.normal(0, 1, 4))
    a, b, c, d = params
    y_pred = (a + b * x + c * x * x + d * x * x * x).astype(dtype)
    return x, y, params, y_pred


def _loss64(x, y):
    """The sum of squared errors as a float64 torch function of the coefficient vector."""
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)

    def f(p):
        return ((p[0] + p[1] * xt + p[2] * xt ** 2 + p[3] * xt ** 3 - yt) ** 2).sum()
    return f


# ----------------------------------------------------------------------------------------------

@check("make_sine_data")
def test_sine_data_random_n(sub, seed):
    """make_sine_data(n) for a random n"""
    n = int(np_rng(seed, "sine").integers(3, 40))
    want = reference("ex11.make_sine_data", n)
    assert_close(sub.call("ex11.make_sine_data", n), want, call=f"make_sine_data({n})",
                 mistakes={hints.NO_ENDPOINT: (np.linspace(-np.pi, np.pi, n, endpoint=False),
                                               np.sin(np.linspace(-np.pi, np.pi, n,
                                                                  endpoint=False))),
                           hints.N_IGNORED: (np.linspace(-np.pi, np.pi),
                                             np.sin(np.linspace(-np.pi, np.pi)))})


@check("poly_forward")
@dtypes()
def test_forward_numpy_random(sub, seed, dtype):
    """poly_forward matches the reference on random NumPy arrays, keeping their dtype"""
    x, _, params, _ = _problem(seed, "forward", NP[dtype])
    want = reference("ex11.poly_forward", x, *params)
    a, b, c, d = params
    assert_close(sub.call("ex11.poly_forward", x, *params), want,
                 call=f"poly_forward(x ({len(x)},), {a:.3f}, {b:.3f}, {c:.3f}, {d:.3f})",
                 mistakes=hints.with_term_powers(x, params, {
                     hints.COEFFICIENTS_ORDER: reference("ex11.poly_forward", x, d, c, b, a),
                     hints.CUBE_AS_SQUARE: a + b * x + c * x ** 2 + d * x ** 2,
                     hints.A_B_SWAPPED: reference("ex11.poly_forward", x, b, a, c, d)}))


@check("poly_forward")
@devices()
@dtypes()
def test_forward_tensor(sub, seed, device, dtype):
    """poly_forward also works on a tensor, keeping its dtype and device"""
    g = gen(seed, "forward_tensor")
    x = randn(g, 11, dtype=dtype, device=device)
    params = tuple(float(v) for v in randn(g, 4))
    a, b, c, d = params
    assert_close(sub.call("ex11.poly_forward", x, *params, grad=False),
                 reference("ex11.poly_forward", x, *params, grad=False),
                 call=f"poly_forward(x: tensor on {device}, a, b, c, d)",
                 mistakes={hints.A_B_SWAPPED:
                           reference("ex11.poly_forward", x, b, a, c, d, grad=False)})


@check("poly_loss")
@dtypes()
def test_loss_random(sub, seed, dtype):
    """poly_loss matches the reference on random arrays"""
    x, y, _, y_pred = _problem(seed, "loss", NP[dtype])
    want = reference("ex11.poly_loss", y_pred, y)
    assert_close(sub.call("ex11.poly_loss", y_pred, y), want,
                 call=f"poly_loss(y_pred ({len(y)},), y)", **_tol(dtype),
                 mistakes=lambda: also_on(hints.loss_mistakes(y_pred, y),
                                          _second_loss(sub, seed, dtype)))


def _second_loss(sub, seed, dtype):
    """poly_loss on another random problem, the reference's loss there and the mistakes' values
    there (for naming a mistake only); None where the call fails."""
    _, y, _, y_pred = _problem(seed, "loss_other", NP[dtype])
    try:
        got = sub.call("ex11.poly_loss", y_pred, y)
    except StudentError:
        return None
    return got, reference("ex11.poly_loss", y_pred, y), hints.loss_mistakes(y_pred, y)


@check("poly_grads", points=2)
@dtypes()
def test_grads_reference(sub, seed, dtype):
    """poly_grads matches the reference on random data"""
    x, y, _, y_pred = _problem(seed, "grads", NP[dtype])
    want = reference("ex11.poly_grads", x, y, y_pred)
    n = len(x)
    mistakes = {hints.grads_of_mean(n): tuple(v / n for v in want),
                **scale_mistakes(want, sign=hints.GRAD_SIGN),
                **hints.grad_powers(want, x, y, y_pred), **hints.one_over_n(want, n)}
    assert_close(sub.call("ex11.poly_grads", x, y, y_pred), want, **_tol(dtype),
                 call=f"poly_grads(x, y, y_pred) on {n} random points", mistakes=mistakes)


@check("poly_grads", points=2)
def test_grads_closed_form_autograd_fd(sub, seed):
    """poly_grads equals the closed form, autograd and a float64 central difference"""
    x, y, params, y_pred = _problem(seed, "grads_oracles")
    got = sub.call("ex11.poly_grads", x, y, y_pred)
    r2 = 2 * (y_pred - y)
    closed = tuple(float((r2 * x ** k).sum()) for k in range(4))
    f = _loss64(x, y)
    p = torch.tensor(params, dtype=torch.float64)
    auto = tuple(float(v) for v in autograd_grad(f, p))
    fd = tuple(float(v) for v in central_difference(f, p))
    rtol, atol = GRADCHECK_TOL
    for name, want in (("the closed form sum(2 r x^k)", closed), ("autograd", auto),
                       ("a float64 central difference", fd)):
        assert_close(got, want, call="poly_grads(x, y, y_pred)", context=f"against {name}",
                     rtol=rtol, atol=atol,
                     mistakes={**scale_mistakes(want, sign=hints.GRAD_SIGN),
                               **hints.grad_powers(want, x, y, y_pred),
                               **hints.one_over_n(want, len(x))})


# ----------------------------------------------------------------------------------------------
# the fit

def _fit_setup(seed, name):
    rng = np_rng(seed, name)
    x = np.linspace(-np.pi, np.pi, int(rng.integers(30, 80)))
    y = np.sin(x) + rng.normal(0, 0.05, len(x))
    lr = float(rng.uniform(1e-5, 3e-5))
    fit_seed = int(rng.integers(0, 10_000))
    return x, y, lr, fit_seed


def _in_full(got, mistakes: dict) -> dict:
    """The mistakes whose whole run (coefficients and losses) `got` is, to the 1e-4 a mistake is
    named at, where there are any; else all of them. A run compared item by item could match
    one number of several runs (a after one step at lr / N and at lr = 1e-6)."""
    def flat(r):
        try:
            return np.concatenate([np.ravel(np.asarray(r[0], dtype=np.float64)),
                                   np.ravel(np.asarray(r[1], dtype=np.float64))])
        except (TypeError, ValueError, IndexError):
            return None
    g = flat(got)
    full = {h: v for h, v in mistakes.items() if g is not None and (m := flat(v)) is not None
            and m.shape == g.shape and np.allclose(g, m, rtol=1e-4, atol=1e-6)}
    return full or mistakes


def _default_lr(x, y, lr, steps, fit_seed) -> dict:
    """{hint: the run at the default learning rate}, where that run can be told (to the 1e-4 a
    mistake is named at) from the right run and from the run whose gradients are divided by N:
    after a few steps runs at nearby learning rates agree that closely."""
    if not hints.default_lr_differs(lr, len(x)):
        return {}
    run = fit_variant(x, y, hints.DEFAULT_LR, steps, fit_seed)
    for other in (fit_variant(x, y, lr, steps, fit_seed),
                  fit_variant(x, y, lr, steps, fit_seed, scale=1.0 / len(x))):
        a, b = (np.concatenate([np.ravel(r[0]), np.ravel(r[1])]) for r in (run, other))
        if a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-6):
            return {}
    return {hints.lr_written_in(lr): run}


@check("fit_numpy", points=2)
def test_fit_step_by_step(sub, seed):
    """fit_numpy after 0, 1, 2, 3 and 10 steps matches the reference from the same seed"""
    x, y, lr, fit_seed = _fit_setup(seed, "fit_steps")
    n = len(x)
    runs = {k: sub.call("ex11.fit_numpy", x, y, lr=lr, steps=k, seed=fit_seed)
            for k in (0, 1, 2, 3, 10)}
    name_every_loss(runs, f"fit_numpy(x, y, lr={lr:.3g}, steps=k, seed={fit_seed})", x, y)
    for k in (0, 1, 2, 3, 10):
        want = reference("ex11.fit_numpy", x, y, lr=lr, steps=k, seed=fit_seed)

        def mistakes(k=k):   # trained only when the result is wrong, to name the mistake
            return _in_full(runs[k], {
                hints.GLOBAL_RNG: fit_variant(x, y, lr, k, fit_seed, init="global"),
                hints.UPDATE_ADDS_GRADIENT: fit_variant(x, y, lr, k, fit_seed, sign=-1.0),
                hints.fit_grads_of_mean(n): fit_variant(x, y, lr, k, fit_seed, scale=1.0 / n),
                hints.GRADIENT_TWICE: fit_variant(x, y, lr, k, fit_seed, scale=2.0),
                hints.GRADIENT_HALF: fit_variant(x, y, lr, k, fit_seed, scale=0.5),
                **_default_lr(x, y, lr, k, fit_seed),
                **({hints.regrad_after(r): fit_variant(x, y, lr, k, fit_seed, regrad=r)
                    for r in hints.REGRADS} if k else {}),
                **(crossed_updates(x, y, lr, k, fit_seed, hints.crossed_update) if k else
                   {**hints.one_rng_each(fit_seed), **hints.drawn_in_order(want, runs[k])}),
            })

        assert_fit(runs[k], want,
                     call=f"fit_numpy(x, y, lr={lr:.3g}, steps={k}, seed={fit_seed})",
                     context="the initial values" if k == 0 else f"after {k} steps",
                     mistakes=mistakes, **TRAJ)


@check("fit_numpy", points=2)
def test_fit_300_steps(sub, seed):
    """fit_numpy over 300 steps: the recorded losses (steps 99, 199, 299) and the coefficients"""
    x, y, lr, fit_seed = _fit_setup(seed, "fit_300")
    want = reference("ex11.fit_numpy", x, y, lr=lr, steps=300, seed=fit_seed)
    n = len(x)

    def mistakes():   # trained only when the result is wrong, to name the mistake
        return {
            # with test_fit_step_by_step's own N: "divided by N" is kept only where both
            # runs show their own N (grader.engine.result.confirm_across_inputs)
            hints.fit_grads_of_mean(n): fit_variant(x, y, lr, 300, fit_seed, scale=1.0 / n),
            hints.LOSS_AFTER_UPDATE: fit_variant(x, y, lr, 300, fit_seed, after=True),
            hints.UPDATE_ADDS_GRADIENT: fit_variant(x, y, lr, 300, fit_seed, sign=-1.0),
            hints.LOSSES_OF_STEPS_0_100: fit_variant(x, y, lr, 300, fit_seed, when=0),
            **_default_lr(x, y, lr, 300, fit_seed),
            **crossed_updates(x, y, lr, 300, fit_seed, hints.crossed_update),
            **{hints.regrad_after(r): fit_variant(x, y, lr, 300, fit_seed, regrad=r)
               for r in hints.REGRADS},
        }

    got = sub.call("ex11.fit_numpy", x, y, lr=lr, steps=300, seed=fit_seed)
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], list) \
            and len(got[1]) != 3:
        assert_close(len(got[1]), 3, call="len(losses) of fit_numpy(..., steps=300)",
                     mistakes={hints.EVERY_LOSS: 300})
    assert_fit(got, want, call=f"fit_numpy(x, y, lr={lr:.3g}, steps=300, seed={fit_seed})",
                 mistakes=mistakes, points=n, **TRAJ)
