"""Derivatives computed here, in float64: a central difference, autograd's, and assert_gradient,
which holds a student's gradient to up to three of them (closed form, autograd, central
difference)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from grader.engine.compare.close import assert_close
from grader.engine.compare.tolerances import GRADCHECK_TOL, tol_for
from grader.engine.plots import plot


FD_EPS = 1e-6


def central_difference(f: Callable, x: torch.Tensor, eps: float = FD_EPS,
                       upstream: torch.Tensor | None = None) -> torch.Tensor:
    """float64 central-difference gradient of sum(upstream * f(x)) with respect to x.

    With a scalar f and no upstream this is df/dx; with an upstream vector it is the
    vector-Jacobian product (the thing backward() computes)."""
    x = x.detach().to(torch.float64).clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        fp = _scalarize(f(x), upstream)
        flat[i] = old - eps
        fm = _scalarize(f(x), upstream)
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def _scalarize(y, upstream):
    y = torch.as_tensor(y, dtype=torch.float64)
    if upstream is None:
        return float(y.sum())
    return float((y * upstream.to(torch.float64)).sum())


def autograd_grad(f: Callable, x: torch.Tensor, upstream: torch.Tensor | None = None):
    """d sum(upstream * f(x)) / dx by autograd, in float64."""
    x = x.detach().to(torch.float64).clone().requires_grad_(True)
    y = f(x)
    y = y if upstream is None else (y * upstream.to(torch.float64)).sum()
    (g,) = torch.autograd.grad(y.sum(), x)
    return g


def float_central_difference(f: Callable, x: float, eps: float = FD_EPS) -> float:
    """d f / dx at a Python float, by a central difference."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def assert_gradient(got, f: Callable, x, *, call: str, closed=None, like=None,
                    upstream: torch.Tensor | None = None, mistakes=None, rtol=None, atol=None):
    """Check a hand-written (or autograd) gradient `got` at `x` against up to three oracles
    computed here, in float64: the closed form `closed` (when given), autograd of `f`, and a
    central difference of `f`. The gradient is that of sum(upstream * f(x)) with respect to x.

    `like` (the reference's result) gives the dtype and device the oracles are compared in
    (a Python number for a float result); `mistakes` is a dict or a function of the oracle's
    value returning one, e.g. `lambda g: scale_mistakes(g, n)`.

        assert_gradient(got, lambda w: ((x * w - y) ** 2).mean(), w, call="gradient(...)",
                        closed=2 * (x * (x * w - y)).mean(), like=want)
    """
    if isinstance(x, torch.Tensor):
        x64 = x.detach().to("cpu", torch.float64)
    else:  # a Python float stays exact (torch.as_tensor would round it to float32)
        x64 = torch.as_tensor(np.asarray(x, dtype=np.float64))
    oracles = []
    if closed is not None:
        oracles.append(("compared with the closed form", closed, False))
    oracles.append(("compared with autograd", autograd_grad(f, x64, upstream), False))
    oracles.append(("compared with a float64 central difference",
                    central_difference(f, x64, upstream=upstream), True))
    plot(f"gradient: {call}", kind="scatter", x=oracles[0][1],
         y=got if isinstance(got, (torch.Tensor, np.ndarray, float, int, list, tuple)) else [])
    for context, value, finite_difference in oracles:
        value = _like(value, like)
        r, t = tol_for(value, rtol, atol)
        if finite_difference:
            r, t = max(r, GRADCHECK_TOL[0]), max(t, GRADCHECK_TOL[1])
        m = mistakes(value) if callable(mistakes) else mistakes
        assert_close(got, value, call=call, context=context, mistakes=m, rtol=r, atol=t)


def _like(value, like):
    """`value` (a number or tensor) as the same kind of thing as `like`."""
    if isinstance(like, torch.Tensor):
        v = torch.as_tensor(value, dtype=torch.float64).detach().cpu()
        return v.reshape(like.shape).to(like.dtype).to(like.device)
    if isinstance(like, (float, int)) and not isinstance(like, bool) or like is None:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(value)
        if isinstance(value, np.ndarray) and value.size == 1:
            return float(value.reshape(-1)[0])
    return value
