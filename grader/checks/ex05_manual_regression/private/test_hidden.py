"""Hidden checks of ex05: sizes, seeds, data and learning rates drawn from the run's seed,
compared live with the reference; gradients also with the closed form and a central
difference; training compared step by step with the reference and with the known wrong loops."""
import pytest
import torch

from grader.checks.api import (GRADCHECK_TOL, Mistakes, StudentError, also_on, assert_close,
                               assert_leaf, assert_made_leaf,
                               assert_state, assert_trajectory, central_difference, check, devices,
                               dtypes, gen, inplace_leaf_hint, located, naming_rebound, np_rng,
                               randn, reference, reference_probe, reruns, scale_mistakes, uniform)
from grader.checks.ex05_manual_regression.private.variants import fit_variant
from grader.checks.ex05_manual_regression.ships import mistakes as hints
from grader.checks.ex05_manual_regression.ships.shared import (assert_grads_kept,
                                                               check_fit_result, fit_cause,
                                                               loss_grads)

pytestmark = pytest.mark.ex05

def _ints(seed, key, *bounds):
    rng = np_rng(seed, key)
    return [int(rng.integers(lo, hi)) for lo, hi in bounds]


@check("make_data")
@devices()
def test_make_data_random(sub, seed, device):
    """make_data matches the reference for a random size and seed"""
    n, s = _ints(seed, "make_data", (3, 40), (1, 10**6))
    want = reference("ex05.make_data", n, s, device=device)
    got = sub.call("ex05.make_data", n, s, device=device)
    assert_close(got, want, call=f"make_data({n}, seed={s}, device={device!r})",
                 mistakes=lambda: hints.data_mistakes_of(got, n, s, want, device))


@check("init_params", points=2)
@devices()
def test_init_params_random(sub, seed, device):
    """init_params matches the reference for a random seed: shape (1,), float32, leaves"""
    (s,) = _ints(seed, "init", (1, 10**6))
    want = reference("ex05.init_params", s, device=device)
    call = f"init_params({s}, device={device!r})"
    got = sub.call("ex05.init_params", s, device=device)
    assert_close(got, want, call=call, mistakes={hints.WB_SWAPPED: (want[1], want[0]),
                                                 hints.B_DRAWN_LIKE_W: (want[0], want[0])})
    for t, name in zip(got, ("w", "b")):
        assert_made_leaf(t, call=call, name=name)
        assert_leaf(t, call=call, name=name)


@check("mse_loss")
@devices()
@dtypes()
def test_mse_loss_random(sub, seed, device, dtype):
    """mse_loss matches the reference on random tensors of random shape"""
    g = gen(seed, "mse", str(dtype))
    (n,) = _ints(seed, "mse_n", (2, 30))
    y, pred = randn(g, n, dtype=dtype, device=device), randn(g, n, dtype=dtype, device=device)
    want = reference("ex05.mse_loss", y, pred, grad=False)
    assert_close(sub.call("ex05.mse_loss", y, pred, grad=False), want,
                 call=f"mse_loss(y, y_pred) on {n} random values",
                 mistakes=lambda: {
                     hints.mse_sum(n): want * n,
                     hints.mse_broadcast(n): ((pred - y.view(-1, 1)) ** 2).mean(),
                     **also_on(hints.loss_mistakes(y, pred),
                               _second_mse(sub, seed, device, dtype))})


def _second_mse(sub, seed, device, dtype):
    """mse_loss on other random values, the reference's loss there and the mistakes' values
    there (for naming a mistake only); None where the call fails."""
    g = gen(seed, "mse_other", str(dtype))
    y, pred = randn(g, 6, dtype=dtype, device=device), randn(g, 6, dtype=dtype, device=device)
    try:
        got = sub.call("ex05.mse_loss", y, pred, grad=False)
    except StudentError:
        return None
    return got, reference("ex05.mse_loss", y, pred, grad=False), hints.loss_mistakes(y, pred)


@check("mse_loss")
@devices()
def test_mse_loss_any_shape(sub, seed, device):
    """mse_loss averages over every entry of a 2-D input"""
    g = gen(seed, "mse2d")
    y, pred = randn(g, 3, 5, device=device), randn(g, 3, 5, device=device)
    want = reference("ex05.mse_loss", y, pred)
    assert_close(sub.call("ex05.mse_loss", y, pred), want, call="mse_loss(y, y_pred), (3, 5)",
                 mistakes={hints.MEAN_ONE_DIM: ((pred - y) ** 2).mean(0),
                           hints.divided_by_rows(3, 5): ((pred - y) ** 2).sum() / 3})


@check("mse_loss", points=2)
@dtypes()
def test_mse_loss_gradient(sub, seed, dtype):
    """backward through mse_loss: reference, closed form 2 (y_pred - y) / N, central difference"""
    g = gen(seed, "mse_grad", str(dtype))
    (n,) = _ints(seed, "mse_grad_n", (2, 12))
    y, pred = randn(g, n, dtype=dtype), randn(g, n, dtype=dtype)
    call = "mse_loss(y, y_pred).backward(); y_pred.grad"
    out = loss_grads(sub, y, pred.requires_grad_(True))
    got = out["grads"][1]
    want = reference_probe("ex05.loss_grads", "ex05", "mse_loss", y, pred)["grads"][1]
    closed = 2 * (pred.detach() - y) / n
    assert_close(got, want, call=call, mistakes=scale_mistakes(want, n))
    assert_close(got, closed, call=call, context="closed form 2 (y_pred - y) / N")
    if dtype == torch.float64:
        fd = central_difference(lambda p: ((p - y) ** 2).mean(), pred.detach())
        rtol, atol = GRADCHECK_TOL
        assert_close(got, fd, call=call, rtol=rtol, atol=atol,
                     context="central difference of the mean squared error")


@check("sgd_update_", points=2)
@devices()
@dtypes()
def test_sgd_update_random(sub, seed, device, dtype):
    """sgd_update_ matches the reference on random parameters of several shapes"""
    g = gen(seed, "update", str(dtype))
    values = [randn(g, 1, dtype=dtype, device=device), randn(g, 3, 2, dtype=dtype, device=device)]
    grads = [randn(g, 1, dtype=dtype, device=device), randn(g, 3, 2, dtype=dtype, device=device)]
    lr = float(uniform(g, low=0.01, high=0.5))
    call = f"sgd_update_([p1 (1,), p2 (3, 2)], lr={lr:.4f})"
    try:
        out = sub.probe("ex05.update", "ex05", values, grads, lr)
    except StudentError as err:
        inplace_leaf_hint(err, call)
    want = reference_probe("ex05.update", "ex05", values, grads, lr)["params"]
    assert_close(out["params"], want, call=call,
                 mistakes={hints.UPDATE_REBINDS: values,
                           hints.UPDATE_SIGN: [v + lr * gr for v, gr in zip(values, grads)],
                           hints.UPDATE_NO_LR: [v - gr for v, gr in zip(values, grads)]})
    for i, t in enumerate(out["params"]):
        assert_leaf(t, call=call, name=f"params[{i}]")
    assert_grads_kept(out, grads, call)


@check("fit", points=4)
@devices()
def test_fit_random_step_by_step(sub, seed, device):
    """fit on random data from a random seed: every step's loss and the final w, b match the
    reference; w and b stay leaves"""
    g = gen(seed, "fit")
    n, s = _ints(seed, "fit_n", (8, 40), (1, 10**6))
    x = uniform(g, n, low=0.0, high=1.0, dtype=torch.float32, device=device)
    slope, bias = float(uniform(g, low=-3, high=3)), float(uniform(g, low=-1, high=1))
    y = slope * x + bias + 0.1 * randn(g, n, dtype=torch.float32, device=device)
    lr = float(uniform(g, low=0.05, high=0.3))
    iters = 25
    call = f"fit(x, y, lr={lr:.4f}, iters={iters}, seed={s}) on {n} random points ({device})"
    with naming_rebound(call, hints.FIT_REBOUND):
        got = sub.call("ex05.fit", x, y, lr, iters, s)
    check_fit_result(got, call)
    want = reference("ex05.fit", x, y, lr, iters, s)
    def at(fixed):   # the reference's run at a learning rate written in
        w, b, losses = reference("ex05.fit", x, y, fixed, iters, s)
        return {"w": w, "b": b, "losses": losses}
    wrong = Mistakes(lambda: {**{hint: fit_variant(x, y, lr, iters, s, v)
                                 for v, hint in hints.FIT_VARIANTS.items()},
                              **{hints.lr_written_in(f, lr): at(f) for f in hints.FIXED_LRS}})
    upto = reruns(sub, reference, "ex05.fit", (x, y, lr, iters, s), 3)
    with fit_cause(sub), located(got, want, ("w", "b", "losses"), upto, "step"):
        assert_trajectory(got[2], want[2], call=call,
                          mistakes=wrong.map(lambda r: r["losses"]))
        assert_state(tuple(got[:2]), tuple(want[:2]), call=call,
                     mistakes=wrong.map(lambda r: (r["w"], r["b"])))
    for t, name in zip(got[:2], ("w", "b")):
        assert_leaf(t, call=call, name=name)
