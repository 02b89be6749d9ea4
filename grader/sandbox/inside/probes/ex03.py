"""Probes of ex03 (autograd basics): each runs in the worker, on the student's module, and
returns plain data about what the call did to the caller's tensors."""
import numpy as np
import torch

from grader.sandbox.inside.probes.common import inherits
from grader.sandbox.inside.probes.guard import answer, hooks_on, watched

from builtins import any, isinstance, issubclass, len, type  # noqa: A004 - bound, as below

# bound when the zygote imports this module, before any student code: a submission that
# rebinds torch.is_grad_enabled, a builtin, np.ndarray or torch.Tensor's methods changes
# nothing of what these probes measure (torch's C type, TensorBase, cannot be rebound)
_grad_enabled = torch._C.is_grad_enabled
_ndarray = np.ndarray
_equal = torch.equal
_TB = torch._C.TensorBase
_grad = _TB.grad.__get__
_requires_grad = _TB.requires_grad.__get__
_no_torch_function = torch._C.DisableTorchFunctionSubclass  # a subclass's facts, unforged
_backward = torch.autograd.backward
_grad_fn = _TB.grad_fn.__get__
_own_backward = torch.autograd.function.BackwardCFunction   # a torch.autograd.Function's node
_id = id
_accumulate = type(_grad_fn(torch.ones(1, requires_grad=True) * 1).next_functions[0][0])
MAX_NODES = 100_000     # a graph past this many nodes is not walked to the end
_asarray, _shares_memory = np.asarray, np.shares_memory


def mean_graph_backward(mod, x, scale=1.0):
    """y, z, out = mod.mean_graph(x), then out.backward(scale) as a caller would: return the
    three tensors (their metadata tells requires_grad and grad_fn), x.grad right after the call
    (the caller's: mean_graph leaves it alone) and x.grad after the backward, divided by
    `scale`. A random scale, chosen by the check after nothing of it reached mean_graph, tells
    a gradient autograd computed through x's graph from one written into x.grad by hand.

    x arrives as a leaf that requires grad, without a .grad."""
    result = mod.mean_graph(x)
    grad_after_call = _grad(x)
    out = result[2] if isinstance(result, (tuple, list)) and len(result) == 3 else None
    backward_error = None
    graph = None
    if inherits(type(out), torch.Tensor):
        graph = _graph(out, x, [t if inherits(type(t), torch.Tensor) else None
                                for t in result])
        with _no_torch_function():   # autograd's own backward, not a method a subclass defines
            if _requires_grad(out):
                try:
                    _backward(out, torch.full((), scale, dtype=out.dtype, device=out.device))
                except RuntimeError as exc:
                    backward_error = str(exc)[:300]
    x_grad = _grad(x)
    return {"result": result, "grad_after_call": grad_after_call,
            "x_grad": None if x_grad is None else x_grad / scale,
            "backward_error": backward_error, "graph": graph}


def _graph(out, x, tensors):
    """What out.backward() would run, read from the graph's nodes before it runs: whether the
    graph reaches x's own gradient (x's AccumulateGrad node), the name of the first node whose
    backward is the submission's code (a torch.autograd.Function), and which of the tensors
    carry a gradient hook (a hook's gradient is not one autograd computed)."""
    reaches, own, seen, todo = False, None, set(), [_grad_fn(out)]
    while todo and len(seen) < MAX_NODES:
        node = todo.pop()
        if node is None or _id(node) in seen:
            continue
        seen.add(_id(node))
        if issubclass(type(node), _own_backward):     # its methods are the submission's
            own = own or type(node).__name__[:80]
            continue
        if type(node) is _accumulate and node.variable is x:
            reaches = True
        todo.extend(n for n, _ in node.next_functions)   # torch's own node types, C types
    hooked = [i for i, t in enumerate(tensors) if t is not None and any(hooks_on(t))]
    if any(hooks_on(x)):
        hooked.append("x")
    return {"reaches_x": reaches, "own_backward": own, "hooked": hooked}


def leaves_untouched(mod, func, x, grad_before, *args):
    """Set x.grad = grad_before (None or a tensor like x), call mod.func(x, *args); return the
    result and x.grad afterwards (a function that works on a fresh copy leaves it as it was).

    x arrives as a leaf that requires grad."""
    if grad_before is not None:
        x.grad = grad_before.to(device=x.device, dtype=x.dtype).clone()
    result = getattr(mod, func)(x, *args)
    return {"result": result, "x_grad": x.grad}


def zero_grads(mod, params, grads, one_pass=False):
    """Give each leaf in `params` the .grad in `grads` (None: no gradient), call
    mod.zero_grads_(params); return the result, every .grad afterwards, and whether each one is
    still the same tensor (zeroed in place) as before. `one_pass`: the leaves are given as a
    generator, which can be walked once, as model.parameters() gives them."""
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.to(device=p.device, dtype=p.dtype).clone()
    before = [_grad(p) for p in params]
    result = mod.zero_grads_((p for p in params) if one_pass else params)
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
    """a = mod.to_numpy(t); whether it shares the tensor's memory (numpy.shares_memory, and
    adding 1 to a's first entry through a plain view: a copy leaves t unchanged). Return a (as
    it was before the change), whether it is an ndarray, and whether it shares t's memory
    ("tensor_changed")."""
    a, found = watched(mod.to_numpy, "to_numpy", t)
    if found:   # t itself changed (t.detach_(), t.requires_grad_(False)): that first
        return answer({"result": a}, found)
    array = inherits(type(a), _ndarray)   # by its bases: no __class__ or mro() can lie here
    info = {"result": a, "is_ndarray": array, "tensor_changed": False, "writeable": None}
    if array and a.size and a.dtype.kind in "fiu":
        plain = _asarray(a)   # a plain ndarray over a's memory: no method of a subclass asked
        info["result"] = plain.copy()
        info["writeable"] = bool(plain.flags.writeable)
        tensor = _TB.detach(t)
        shares = str(_TB.device.__get__(tensor)) == "cpu" and \
            bool(_shares_memory(plain, _TB.numpy(tensor)))   # read-only views included
        before = _TB.to(tensor, "cpu", copy=True)
        if plain.flags.writeable:
            flat = plain.reshape(-1)
            flat[0] = flat[0] + 1
            shares = shares or not _equal(_TB.cpu(_TB.detach(t)), before)
        info["tensor_changed"] = shares
    return info
