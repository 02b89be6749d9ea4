"""A manual function that takes its derivative from one of autograd's own kernels (aten's
`*_backward` formulas: mse_loss_backward, convolution_backward, sigmoid_backward,
binary_cross_entropy_backward), or from complex-step differentiation on complex tensors, uses
autograd: no engine runs and grad mode stays off, so only the worker's watch of the torch
operations a manual call runs can see it, with autograd on or off, whatever carries the module
there (a public module's alias, an exception's arguments, a generator). The rule that names
the kernels is read against every operator torch registers."""
from __future__ import annotations

import re

import pytest
import torch

from tests.conftest import failing

# torch carried where a reading of the source cannot follow it
CARRIERS = {
    "a public module's alias": "from torch.utils.flop_counter import aten as _ops\n",
    "an exception's arguments": ("def _kit():\n    try:\n        raise LookupError(torch)\n"
                                 "    except LookupError as e:\n        return e.args[0]\n\n\n"
                                 "_ops = _kit().ops.aten\n"),
    "a generator": ("def _relay():\n    got = yield\n    yield got\n\n\n_g = _relay()\n"
                    "next(_g)\n_ops = _g.send(torch).ops.aten\n"),
}

POLY_GRADS = '''
def poly_grads_tensor(x, y, y_pred):
    g = _ops.mse_loss_backward(torch.ones((), dtype=x.dtype, device=x.device), y_pred, y, 2)
    feats = torch.stack([x ** 0, x, x ** 2, x ** 3])[None]
    w = torch.zeros(1, 4, 1, dtype=x.dtype, device=x.device)
    out = _ops.convolution_backward(g[None, None], feats, w, None, [1], [0], [1], False, [0], 1,
                                    [False, True, False])[1].flatten()
    return out[0], out[1], out[2], out[3]
'''

BCE_GRAD = '''
def bce_grad_logits(z, y):
    p = 1 / (1 + torch.exp(-z))
    one = torch.ones((), dtype=z.dtype, device=z.device)
    return _ops.sigmoid_backward(_ops.binary_cross_entropy_backward(one, p, y, None, 1), p)
'''

COMPLEX_STEP = '''
import numpy as _np
_I = _np.emath.sqrt(-1.0)


def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    z = logits.detach().to(torch.float64)
    out = torch.zeros_like(z)
    for j in range(c):
        bump = torch.zeros_like(z)
        bump[:, j] = 1e-30
        zc = z + torch.as_tensor(_I, device=z.device) * bump
        m = zc.real.amax(dim=1, keepdim=True)
        rows = m.squeeze(1) + (zc - m).exp().sum(dim=1).log() - \\
            zc.gather(1, targets.unsqueeze(1)).squeeze(1)
        out[:, j] = torch.real(-torch.as_tensor(_I, device=z.device) * rows) / 1e-30
    return (out / n).to(logits.dtype)
'''


def test_every_derivative_kernel_torch_registers_is_named():
    """Every aten operator whose name says backward, jvp or vjp is one of autograd's formulas;
    the forward operations the references use are not."""
    from grader.sandbox.inside.probes.autograd_watch import derivative_kernel
    names = {n.split("::", 1)[1].split(".")[0] for n in torch._C._dispatch_get_all_op_names()
             if n.startswith("aten::")}
    formulas = {n for n in names if re.search(r"backward|jvp|vjp", n)}
    assert len(formulas) > 100
    assert all(derivative_kernel(n) for n in formulas), \
        sorted(n for n in formulas if not derivative_kernel(n))
    assert all(derivative_kernel(n + ".default") for n in formulas)
    forward = {"add", "sub", "mul", "div", "pow", "exp", "log", "sum", "mean", "amax", "max",
               "gather", "softmax", "log_softmax", "_softmax", "logsumexp", "sigmoid", "tanh",
               "mse_loss", "binary_cross_entropy", "convolution", "matmul", "one_hot", "where",
               "clamp", "stack", "zeros_like", "linear", "relu", "nll_loss", "cross_entropy_loss",
               "addmm", "mm", "item", "_to_copy", "detach", "clone", "real", "abs"}
    assert forward <= names | {"item"}
    assert not any(derivative_kernel(n) for n in forward)


def _flagged(result, target, words):
    checks = [c for c in result.checks if c.counted and c.target == target]
    bad = failing(result, target)
    return bool(checks) and bool(bad) and any(words in (c.message or "") for c in bad)


@pytest.mark.parametrize("carrier", CARRIERS)
def test_autograd_kernels_in_a_manual_function_use_autograd(grade, carrier):
    result = grade("ex12", CARRIERS[carrier] + POLY_GRADS, targets=["poly_grads_tensor"],
                   device="cpu")
    assert _flagged(result, "poly_grads_tensor", "derivative formulas"), \
        [(c.name, c.status, c.message) for c in result.checks if c.target == "poly_grads_tensor"]


@pytest.mark.parametrize("carrier", ["an exception's arguments", "a generator"])
def test_a_chain_of_kernels_uses_autograd(grade, carrier):
    result = grade("ex07", CARRIERS[carrier] + BCE_GRAD, targets=["bce_grad_logits"],
                   device="cpu")
    assert _flagged(result, "bce_grad_logits", "derivative formulas"), \
        [(c.name, c.status, c.message) for c in result.checks if c.target == "bce_grad_logits"]


def test_complex_step_on_tensors_uses_autograd(grade):
    result = grade("ex10", COMPLEX_STEP, targets=["cross_entropy_grad"], device="cpu")
    assert _flagged(result, "cross_entropy_grad", "complex"), \
        [(c.name, c.status, c.message) for c in result.checks
         if c.target == "cross_entropy_grad"]


# what turns torch's function modes off around the kernels (the watch's own mode with them)
OFF = {
    "DisableTorchFunction": "    with torch._C.DisableTorchFunction():\n"
                            "        return _poly(x, y, y_pred)\n",
    "a function state set to disabled":
        "    torch._C._set_torch_function_state(torch._C._TorchFunctionState.ALL_DISABLED)\n"
        "    try:\n        return _poly(x, y, y_pred)\n    finally:\n"
        "        torch._C._set_torch_function_state(torch._C._TorchFunctionState.ENABLED)\n",
    "a skipped hop": "    _ops = torch.ops.aten\n    import torch.overrides as o\n"
                     "    g = o.redispatch_function(_ops.mse_loss_backward, (), (torch.ones((), "
                     "dtype=x.dtype, device=x.device), y_pred, y, 2), {})\n"
                     "    return _poly(x, y, y_pred, g)\n",
}


@pytest.mark.parametrize("how", OFF)
def test_turning_the_watch_off_is_seen(grade, how):
    code = CARRIERS["a generator"] + POLY_GRADS.replace(
        "def poly_grads_tensor(x, y, y_pred):\n    g = _ops.mse_loss_backward(",
        "def poly_grads_tensor(x, y, y_pred):\n" + OFF[how] +
        "\n\ndef _poly(x, y, y_pred, g=None):\n    g = g if g is not None else "
        "_ops.mse_loss_backward(", 1)
    assert "_poly" in code
    result = grade("ex12", code, targets=["poly_grads_tensor"], device="cpu")
    assert _flagged(result, "poly_grads_tensor", "function modes off"), \
        [(c.name, c.status, c.message) for c in result.checks if c.target == "poly_grads_tensor"]
