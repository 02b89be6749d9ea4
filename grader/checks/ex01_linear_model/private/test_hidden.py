"""Hidden checks of ex01: random data drawn from the run's seed, compared with the reference."""
import numpy as np
import pytest
import torch

from grader.checks.api import (StudentError, also_on, assert_close, check, devices, dtypes, gen, np_rng,
                               randn, reference)
from grader.checks.ex01_linear_model.ships import mistakes as hints

pytestmark = pytest.mark.ex01


def _data(seed, name, n=7):
    rng = np_rng(seed, name)
    x = rng.uniform(-3, 3, n)
    w_true, b_true = rng.uniform(-2, 2), rng.uniform(-1, 1)
    y = x * w_true + b_true + rng.normal(0, 0.1, n)
    return x, y


@check("forward")
@devices()
@dtypes()
def test_forward_random(sub, seed, device, dtype):
    """forward matches x * w on random tensors, keeping dtype and device"""
    g = gen(seed, "forward")
    x = randn(g, 4, 3, dtype=dtype, device=device)
    w = float(randn(g))
    got = sub.call("ex01.forward", x, w, grad=False)
    assert_close(got, reference("ex01.forward", x, w), call=f"forward(x {tuple(x.shape)}, {w:.3f})")
    if device == "cpu":   # the contract's other kinds: a NumPy array stays an array
        a = x.numpy()
        assert_close(sub.call("ex01.forward", a, w), reference("ex01.forward", a, w),
                     call=f"forward(NumPy array {a.shape} {a.dtype}, {w:.3f})")


@check("loss")
@devices()
@dtypes()
def test_loss_random(sub, seed, device, dtype):
    """loss is the elementwise squared error on random tensors"""
    g = gen(seed, "loss")
    x, y = randn(g, 9, dtype=dtype, device=device), randn(g, 9, dtype=dtype, device=device)
    w = float(randn(g))
    want = reference("ex01.loss", x, y, w)
    assert_close(sub.call("ex01.loss", x, y, w, grad=False), want, call="loss(x, y, w)",
                 mistakes={hints.MEAN_NOT_PER_SAMPLE: want.mean().expand_as(want),
                           hints.NOT_SQUARED: x * w - y,
                           hints.REVERSED_NOT_SQUARED: y - x * w,
                           hints.DOUBLED: 2 * (x * w - y),
                           hints.ABSOLUTE: (x * w - y).abs()})


@check("mse_for_weights", points=2)
@pytest.mark.parametrize("kind", ["list", "numpy", "tensor"])
def test_mse_random(sub, seed, kind):
    """mse_for_weights matches the reference for lists, arrays and tensors"""
    x, y = _data(seed, "mse")
    weights = np.round(np.linspace(-3, 3, 13), 3)
    conv = {"list": lambda a: a.tolist(), "numpy": lambda a: a,
            "tensor": lambda a: torch.tensor(a)}[kind]
    want = reference("ex01.mse_for_weights", x, y, weights)
    got = sub.call("ex01.mse_for_weights", conv(x), conv(y), conv(weights), grad=False)
    assert_close(got, want, call=f"mse_for_weights on {len(x)} random samples ({kind})",
                 mistakes=lambda: {hints.sum_not_mean(len(x)): want * len(x),
                                   **hints.divided_by_weights(want, len(x), len(weights),
                                                              _other_counts(sub, seed, conv))})


def _other_counts(sub, seed, conv):
    """mse_for_weights on 5 samples and 4 weights (other counts than the check's): what came
    back, the reference's, 5, 4; None where the call fails."""
    x, y = _data(seed, "mse_other", n=5)
    weights = np.array([-1.0, 0.5, 1.5, 2.5])
    try:
        got = sub.call("ex01.mse_for_weights", conv(x), conv(y), conv(weights), grad=False)
    except StudentError:
        return None
    return got, reference("ex01.mse_for_weights", x, y, weights), len(x), len(weights)


@check("forward_wb")
@devices()
def test_forward_wb_random(sub, seed, device):
    """forward_wb matches x * w + b on random tensors"""
    g = gen(seed, "forward_wb")
    x = randn(g, 5, device=device)
    w, b = float(randn(g)), float(randn(g))
    want = reference("ex01.forward_wb", x, w, b)
    assert_close(sub.call("ex01.forward_wb", x, w, b), want, call="forward_wb(x, w, b)",
                 mistakes=hints.forward_wb_mistakes(x, w, b))


KINDS = {"lists": lambda a: np.asarray(a).tolist(), "NumPy arrays": np.asarray,
         "1-D tensors": lambda a: torch.tensor(np.asarray(a))}


@check("mse_surface", points=2)
def test_surface_random(sub, seed):
    """mse_surface matches the reference on a random, non-square grid of lists, arrays and
    tensors"""
    x, y = _data(seed, "surface")
    rng = np_rng(seed, "grid")
    ws, bs = np.sort(rng.uniform(-3, 3, 6)), np.sort(rng.uniform(-2, 2, 4))
    want = reference("ex01.mse_surface", x, y, ws, bs)
    for kind, conv in KINDS.items():
        assert_close(sub.call("ex01.mse_surface", conv(x), conv(y), conv(ws), conv(bs)),
                     want, call=f"mse_surface(x, y, ws (6), bs (4)), all {kind}",
                     mistakes={hints.SURFACE_TRANSPOSED: want.T,
                               hints.sum_not_mean(len(x)): want * len(x),
                               **hints.wb_swapped(x, y, ws, bs),
                               **hints.surface_square_of_mean(x, y, ws, bs),
                               **hints.surface_variance(x, y, ws, bs)})


def _grid(seed, name):
    """61 weights from -3 to 3, shifted off the round numbers: no constant such as 0.0 or 1.0 is
    ever the answer."""
    shift = float(np_rng(seed, name).uniform(0.01, 0.09))
    return np.round(np.linspace(-3, 3, 61) + shift, 4).tolist()


@check("best_weight")
def test_best_weight_random(sub, seed):
    """best_weight finds the minimum on random lists, arrays and tensors, as a float"""
    x, y = _data(seed, "best")
    weights = _grid(seed, "best_shift")
    want = reference("ex01.best_weight", x, y, weights)
    for kind, conv in KINDS.items():   # the weight comes back a Python float from any kind
        assert_close(sub.call("ex01.best_weight", conv(x), conv(y), conv(weights)), want,
                     call=f"best_weight(x, y, 61 weights), all {kind}", check_dtype="strict",
                     mistakes=lambda conv=conv: also_on(
                         hints.best_weight_mistakes(x, y, weights),
                         _second_best(sub, seed, conv, (x, y, weights))))


def _second_best(sub, seed, conv, like):
    """best_weight on other random data and grid of the same kind, the reference's answer there
    and the mistakes' values there; None where the call fails."""
    x, y = _data(seed, "best_other", n=5)
    weights = _grid(seed, "best_other_shift")[::2]
    try:
        got = sub.call("ex01.best_weight", conv(x), conv(y), conv(weights))
    except StudentError:
        return None
    return (got, reference("ex01.best_weight", x, y, weights),
            hints.best_weight_mistakes(x, y, weights, like))


