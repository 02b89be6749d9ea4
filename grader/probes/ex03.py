"""Probes of ex03 (autograd basics): each runs in the worker, on the student's module, and
returns plain data about what the call did to the caller's tensors."""
import numpy as np
import torch

from builtins import isinstance, len  # noqa: A004 - bound here, as the names below

# bound when the zygote imports this module, before any student code: a submission that
# rebinds torch.is_grad_enabled, a builtin, np.ndarray or torch.Tensor's methods changes
# nothing of what these probes measure (torch's C type, TensorBase, cannot be rebound)
_grad_enabled = torch._C.is_grad_enabled
_ndarray = np.ndarray
_equal = torch.equal
_TB = torch._C.TensorBase
_grad = _TB.grad.__get__


def mean_graph_backward(mod, x):
    """y, z, out = mod.mean_graph(x), then out.backward() as a caller would: return the three
    tensors (their metadata tells requires_grad and grad_fn) and x.grad afterwards.

    x arrives as a leaf that requires grad."""
    result = mod.mean_graph(x)
    out = result[2] if isinstance(result, (tuple, list)) and len(result) == 3 else None
    backward_error = None
    if isinstance(out, torch.Tensor) and out.requires_grad:
        try:
            out.backward()
        except RuntimeError as exc:
            backward_error = str(exc)[:300]
    return {"result": result, "x_grad": x.grad, "backward_error": backward_error}


def leaves_untouched(mod, func, x, grad_before, *args):
    """Set x.grad = grad_before (None or a tensor like x), call mod.func(x, *args); return the
    result and x.grad afterwards (a function that works on a fresh copy leaves it as it was).

    x arrives as a leaf that requires grad."""
    if grad_before is not None:
        x.grad = grad_before.to(device=x.device, dtype=x.dtype).clone()
    result = getattr(mod, func)(x, *args)
    return {"result": result, "x_grad": x.grad}


def zero_grads(mod, params, grads):
    """Give each leaf in `params` the .grad in `grads` (None: no gradient), call
    mod.zero_grads_(params); return the result, every .grad afterwards, and whether each one is
    still the same tensor (zeroed in place) as before."""
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.to(device=p.device, dtype=p.dtype).clone()
    before = [_grad(p) for p in params]
    result = mod.zero_grads_(params)
    return {"result": result, "grads": [_grad(p) for p in params],
            "same_tensor": [b is not None and _grad(p) is b for p, b in zip(params, before)]}


FUNCTIONS = {
    # name -> the function no_grad_eval is given
    "cube_mean": lambda x: (x ** 3).mean(),
    "affine": lambda w, x, b: w * x + b,
    "square": lambda x: x * x,
}


def no_grad_eval(mod, name, *args):
    """mod.no_grad_eval(fn, *args) with fn one of FUNCTIONS, instrumented: return the result,
    whether autograd was on while fn ran, how often fn ran, and whether autograd is on again
    afterwards."""
    seen = {"calls": 0, "grad_enabled": None}
    f = FUNCTIONS[name]

    def fn(*a):
        seen["calls"] += 1
        seen["grad_enabled"] = _grad_enabled()
        return f(*a)

    result = mod.no_grad_eval(fn, *args)
    return {"result": result, "grad_enabled_inside": seen["grad_enabled"],
            "calls": seen["calls"], "grad_enabled_after": _grad_enabled()}


def to_numpy_copy(mod, t):
    """a = mod.to_numpy(t); then add 1 to a's first entry: a copy leaves t unchanged. Return a
    (as it was before the change), whether it is an ndarray, and whether t changed."""
    a = mod.to_numpy(t)
    info = {"result": a, "is_ndarray": isinstance(a, _ndarray), "tensor_changed": False,
            "writeable": None}
    if isinstance(a, _ndarray) and a.size and a.dtype.kind in "fiu":
        info["result"] = a.copy()
        info["writeable"] = bool(a.flags.writeable)
        before = _TB.to(_TB.detach(t), "cpu", copy=True)
        if a.flags.writeable:
            a.flat[0] = a.flat[0] + 1
            info["tensor_changed"] = not _equal(_TB.cpu(_TB.detach(t)), before)
    return info
