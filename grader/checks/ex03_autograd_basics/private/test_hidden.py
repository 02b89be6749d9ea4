"""Hidden checks of ex03: random tensors drawn from the run's seed, compared with the reference,
and every gradient also with its closed form, autograd and a float64 central difference."""
import math

import pytest
import torch

from grader.checks.api import (StudentError, assert_close, assert_gradient, check, devices, dtypes, gen,
                               manual_call, np_rng, randn, reference, reference_probe,
                               scale_mistakes, uniform)
from grader.checks.ex03_autograd_basics.ships import mistakes as hints
from grader.checks.ex03_autograd_basics.ships.shared import (mean64, run_zero_grads,
                                                             sum_mistakes,
                                                             verify_intermediate,
                                                             verify_mean_graph,
                                                             verify_no_grad_eval,
                                                             filled_rerun, verify_to_numpy,
                                                             verify_untouched,
                                                             verify_zero_grads)

pytestmark = pytest.mark.ex03


def _shape(seed, name):
    """A random shape of 1 to 3 dimensions of 1 to 4, with at least two elements: on one, a
    sum is its mean, and a gradient that forgets the 1/N of a mean is right."""
    rng = np_rng(seed, name, "shape")
    shape = tuple(int(s) for s in rng.integers(1, 5, int(rng.integers(1, 4))))
    return shape if math.prod(shape) > 1 else (2,) + shape[1:]


def _other_shape(sub, seed, x, name):
    """(what ex03.<name> returns on a random x of another shape than x's, the reference's
    answer there, that shape), or None where the call failed: a factor seen on x is a cause
    only where it holds there too. Called only where x's answer is wrong."""
    shape2 = (2, 3, 2) if tuple(x.shape) != (2, 3, 2) else (3, 2, 3)
    x2 = randn(gen(seed, name, "second shape"), *shape2, dtype=x.dtype, device=x.device)
    manual = name == "analytic_grad_of_mean"
    try:
        got2 = manual_call(sub, f"ex03.{name}", x2) if manual else sub.call(f"ex03.{name}", x2)
    except StudentError:
        return None
    want2 = reference(f"ex03.{name}", x2, **({"grad": False} if manual else {}))
    return got2, want2, shape2


def _closed(x):
    x64 = x.detach().cpu().double()
    return 6 * (x64 + 2) / x.numel()


@check("mean_graph", points=2)
@devices()
@dtypes()
def test_mean_graph_random(sub, seed, device, dtype):
    """mean_graph builds y, z, out on the caller's random x; out.backward() fills x.grad with
    the reference's, closed-form, autograd and central-difference gradient"""
    shape = _shape(seed, "mean_graph")
    if math.prod(shape) == 4:   # the notes' 2 x 2 x: dividing the sum by 4 would be right
        shape = shape + (3,)
    x = randn(gen(seed, "mean_graph"), *shape, dtype=dtype, device=device).requires_grad_(True)
    call = f"y, z, out = mean_graph(x) with a random x of shape {shape}, {dtype} on {device}, " \
           f"requiring grad"
    scale = float(uniform(gen(seed, "mean_graph", "scale"), low=0.5, high=2.0))
    want = reference_probe("ex03.mean_graph_backward", "ex03", x, scale)
    r = sub.probe("ex03.mean_graph_backward", "ex03", x, scale)
    verify_mean_graph(r, want, x, call)
    x64 = x.detach().cpu().double()
    y, z = x64 + 2, 3 * (x64 + 2) ** 2
    closed = tuple(t.to(dtype).to(device) for t in (y, z, z.mean()))
    assert_close(r["result"], closed, call=call, context="compared with x + 2, 3 * y * y, z.mean()")
    n = x.numel()
    assert_gradient(r["x_grad"], mean64, x, call=f"{call}, then out.backward(): x.grad",
                    closed=_closed(x), like=want["x_grad"],
                    mistakes=lambda g: scale_mistakes(g, n))


@check("grad_of_mean", points=2)
@devices()
@dtypes()
def test_grad_of_mean_random(sub, seed, device, dtype):
    """grad_of_mean matches the reference, 6(x + 2)/n, autograd and a central difference"""
    shape = _shape(seed, "grad_of_mean")
    x = randn(gen(seed, "grad_of_mean"), *shape, dtype=dtype, device=device)
    call = f"grad_of_mean(x) with a random x of shape {shape}, {dtype} on {device}"
    want = reference("ex03.grad_of_mean", x)
    got = sub.call("ex03.grad_of_mean", x)
    n, rows = x.numel(), (len(x) if x.dim() else None)
    assert_close(got, want, call=call, mistakes=lambda: hints.by_shape(
        {**scale_mistakes(want, n, rows=rows), **hints.outer_dims(want, tuple(x.shape))},
        got, want, tuple(x.shape), [_other_shape(sub, seed, x, "grad_of_mean")]))
    assert_gradient(got, mean64, x, call=call, closed=_closed(x), like=want,
                    mistakes=lambda g: scale_mistakes(g, n, rows=rows))


@check("grad_of_mean")
@devices()
def test_grad_of_mean_leaves_x_alone(sub, seed, device):
    """grad_of_mean leaves the .grad of the caller's x (a leaf with a gradient already) as it
    was"""
    g = gen(seed, "grad_of_mean_untouched")
    x = randn(g, 3, 2, device=device).requires_grad_(True)
    before = randn(g, 3, 2, device=device)
    call = f"grad_of_mean(x) with x a leaf on {device} whose .grad is already set"
    want = reference("ex03.grad_of_mean", x.detach())
    r = sub.probe("ex03.leaves_untouched", "ex03", "grad_of_mean", x, before)
    verify_untouched(r, before, call, added=want)
    assert_close(r["result"], want, call=call)


@check("analytic_grad_of_mean", points=2)
@devices()
@dtypes()
def test_analytic_random(sub, seed, device, dtype):
    """analytic_grad_of_mean (autograd off) matches the reference, autograd and a central
    difference"""
    shape = _shape(seed, "analytic")
    if math.prod(shape[1:]) == 1:   # x.numel() == len(x): dividing by len(x) would be right
        shape = (shape[0], 3)   # (N = 3k: never the visible check's N = 4)
    x = randn(gen(seed, "analytic"), *shape, dtype=dtype, device=device)
    call = f"analytic_grad_of_mean(x) with a random x of shape {shape}, {dtype} on {device}, " \
           f"autograd off"
    want = reference("ex03.analytic_grad_of_mean", x, grad=False)
    got = manual_call(sub, "ex03.analytic_grad_of_mean", x)
    n, rows = x.numel(), (len(x) if x.dim() else None)
    assert_close(got, want, call=call, mistakes=lambda: hints.by_shape(
        {**scale_mistakes(want, n, rows=rows), **hints.outer_dims(want, tuple(x.shape))},
        got, want, tuple(x.shape), [_other_shape(sub, seed, x, "analytic_grad_of_mean")]))
    assert_gradient(got, mean64, x, call=call, closed=_closed(x), like=want,
                    mistakes=lambda g: scale_mistakes(g, n, rows=rows))


@check("intermediate_grads", points=2)
@devices()
@dtypes()
def test_intermediate_random(sub, seed, device, dtype):
    """intermediate_grads matches the reference, (2w + x + 1, w + 1), autograd and a central
    difference on random w, x"""
    n = int(np_rng(seed, "intermediate").integers(2, 6))
    g = gen(seed, "intermediate")
    w, x = (randn(g, n, dtype=dtype, device=device) for _ in range(2))
    call = f"intermediate_grads(w, x) with random w, x of shape ({n},), {dtype} on {device}"
    want = reference("ex03.intermediate_grads", w, x)
    got = sub.call("ex03.intermediate_grads", w, x)
    verify_intermediate(got, want, call)
    w64, x64 = w.cpu().double(), x.cpu().double()
    assert_gradient(got[0], lambda v: (v + x64) * (v + 1), w64, call=call, like=want[0],
                    closed=2 * w64 + x64 + 1)
    assert_gradient(got[1], lambda a: a * (w64 + 1), w64 + x64, call=call, like=want[1],
                    closed=w64 + 1)


@check("intermediate_grads")
@devices()
def test_intermediate_leaves_w_alone(sub, seed, device):
    """intermediate_grads leaves the .grad of the caller's w as it was"""
    g = gen(seed, "intermediate_untouched")
    # another N than test_intermediate_random's: a factor 1/N seen at two N names y.mean()
    n = 3 if int(np_rng(seed, "intermediate").integers(2, 6)) != 3 else 4
    w, x, before = (randn(g, n, device=device) for _ in range(3))
    w.requires_grad_(True)
    call = f"intermediate_grads(w, x) with w a leaf on {device} whose .grad is already set"
    want = reference("ex03.intermediate_grads", w.detach(), x)
    r = sub.probe("ex03.leaves_untouched", "ex03", "intermediate_grads", w, before, x)
    verify_untouched(r, before, call, what="w", added=want[0])
    # a factor that equals N names a mean only when an input of another N shows its own N too
    assert_close(r["result"], want, call=call, mistakes=sum_mistakes(want, n))


@check("accumulated_grad", points=2)
@devices()
@dtypes()
def test_accumulated_random(sub, seed, device, dtype):
    """accumulated_grad is times x the gradient: the reference, the closed form, autograd and a
    central difference agree"""
    shape = _shape(seed, "accumulated")
    times = int(np_rng(seed, "accumulated").integers(2, 5))
    x = randn(gen(seed, "accumulated"), *shape, dtype=dtype, device=device)
    call = f"accumulated_grad(x, times={times}) with a random x of shape {shape}, {dtype} on " \
           f"{device}"
    want = reference("ex03.accumulated_grad", x, times)
    got = sub.call("ex03.accumulated_grad", x, times)

    def mistakes():
        return {**hints.accumulated(want, times, _other_times(sub, x, want, times)),
                **scale_mistakes(want, x.numel())}
    assert_close(got, want, call=call, mistakes=mistakes)
    assert_gradient(got, lambda v: times * mean64(v), x, call=call, closed=times * _closed(x),
                    like=want)


def _other_times(sub, x, want, times):
    """accumulated_grad(x, times + 1), its right value and times + 1, for naming a mistake tied
    to the number of calls; None where the call fails."""
    try:
        got = sub.call("ex03.accumulated_grad", x, times + 1)
    except StudentError:
        return None
    return got, want * (times + 1) / times, times + 1


@check("accumulated_grad")
@devices()
def test_accumulated_leaves_x_alone(sub, seed, device):
    """accumulated_grad leaves the .grad of the caller's x as it was"""
    g = gen(seed, "accumulated_untouched")
    x = randn(g, 2, 3, device=device).requires_grad_(True)
    before = randn(g, 2, 3, device=device)
    call = f"accumulated_grad(x, times=2) with x a leaf on {device} whose .grad is already set"
    want = reference("ex03.accumulated_grad", x.detach(), 2)
    r = sub.probe("ex03.leaves_untouched", "ex03", "accumulated_grad", x, before, 2)
    verify_untouched(r, before, call, added=want)
    assert_close(r["result"], want, call=call)


@check("zero_grads_", points=2)
@devices()
@dtypes()
def test_zero_grads_random(sub, seed, device, dtype):
    """zero_grads_ zeroes random gradients in place and leaves the None ones alone"""
    rng = np_rng(seed, "zero_grads")
    g = gen(seed, "zero_grads")
    shapes = [tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(1, 3))))
              for _ in range(4)]
    params = [randn(g, *s, dtype=dtype, device=device).requires_grad_(True) for s in shapes]
    none_at = int(rng.integers(0, 4))
    grads = [None if i == none_at else randn(g, *s, dtype=dtype, device=device)
             for i, s in enumerate(shapes)]
    r = run_zero_grads(sub, params, grads)
    verify_zero_grads(r, grads, f"zero_grads_(params) with 4 random {dtype} leaves on {device}, "
                                f"params[{none_at}].grad None",
                      rerun=filled_rerun(sub, params, grads))


@check("zero_grads_")
@devices()
def test_zero_grads_non_finite_random(sub, seed, device):
    """zero_grads_ zeroes random gradients that hold NaN and ±inf at random entries"""
    rng = np_rng(seed, "zero_grads_non_finite")
    g = gen(seed, "zero_grads_non_finite")
    n = int(rng.integers(3, 8))
    grad = randn(g, n, device=device)
    at = rng.choice(n, size=2, replace=False)
    grad[int(at[0])], grad[int(at[1])] = float("nan"), float(rng.choice([-1, 1])) * float("inf")
    params, grads = [torch.zeros(n, device=device).requires_grad_(True)], [grad]
    verify_zero_grads(run_zero_grads(sub, params, grads), grads,
                      f"zero_grads_([p]) with p.grad of {n} random values, one NaN and one inf")


@check("no_grad_eval", points=2)
@devices()
@pytest.mark.parametrize("fn", ["cube_mean", "square"])
def test_no_grad_eval_random(sub, seed, device, fn):
    """no_grad_eval evaluates fn without a graph on random leaves that require grad"""
    x = randn(gen(seed, "no_grad_eval", fn), 4, 3, device=device).requires_grad_(True)
    want = reference_probe("ex03.no_grad_eval", "ex03", fn, x)
    r = sub.probe("ex03.no_grad_eval", "ex03", fn, x)
    text = {"cube_mean": "lambda x: (x ** 3).mean()", "square": "lambda x: x * x"}[fn]
    verify_no_grad_eval(r, want, f"no_grad_eval({text}, x) with x of shape (4, 3) requiring "
                                 f"grad, on {device}")
    x64 = x.detach().cpu().double()
    closed = (x64 ** 3).mean() if fn == "cube_mean" else x64 * x64
    assert_close(r["result"], closed.to(x.dtype).to(device), call=f"no_grad_eval({text}, x)",
                 context="compared with fn(x) computed here")


@check("to_numpy", points=2)
@devices()
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_to_numpy_random(sub, seed, device, dtype):
    """to_numpy returns an ndarray copy with the tensor's values, shape and dtype"""
    shape = _shape(seed, "to_numpy")
    t = randn(gen(seed, "to_numpy"), *shape, scale=10).to(getattr(torch, dtype)).to(device)
    if t.is_floating_point():
        t.requires_grad_(True)
    call = f"to_numpy(t) with t of shape {shape}, {dtype} on {device}" + \
           (", requiring grad" if t.requires_grad else "")
    got = sub.call("ex03.to_numpy", t)
    assert_close(got, reference("ex03.to_numpy", t), call=call)
    r = sub.probe("ex03.to_numpy_copy", "ex03", t)
    verify_to_numpy(r, t, f"a = {call.split(' with ')[0]}, then a's first entry += 1 (t of "
                          f"shape {shape}, {dtype} on {device})")
