"""Copies of a call's arguments (probes.depends): made alike for the call and the runs beside
it, and the call's copy written back into what the caller holds.

    c_args, c_kwargs, memo = copy_arguments(args, kwargs)
    ... the call runs on c_args, c_kwargs ...
    write_back(memo, args, kwargs)     # the caller's objects take their copies' contents
"""
from __future__ import annotations

import copy
import types

import numpy as np
import torch

_Tensor, _Module = torch.Tensor, torch.nn.Module
_deepcopy = copy.deepcopy


def copy_arguments(args, kwargs):
    """A deep copy of the arguments (args, kwargs, memo) with each tensor's .grad too (deepcopy
    leaves a parameter's out: a step that adds to a stale gradient would then differ), and each
    tensor of hers that is not a leaf (deepcopy refuses one) as a leaf holding its values: a
    model that keeps `self.start = self.a * 1.0` is copied too."""
    memo: dict = {id(t): t.detach().clone().requires_grad_(t.requires_grad)
                  for t in _not_leaves((list(args), list(kwargs.values())))}
    c_args, c_kwargs = _deepcopy((list(args), dict(kwargs)), memo)
    for t in _tensors((list(args), list(kwargs.values()))):
        twin = memo.get(id(t))
        if isinstance(twin, _Tensor) and t.grad is not None and twin.grad is None:
            twin.grad = t.grad.detach().clone()
    return c_args, c_kwargs, memo


def write_back(memo, args, kwargs) -> None:
    """The call's copy, as the call left it, into the arguments the caller holds (`args`,
    `kwargs`), so that what the call changed (a model trained in place, an input it should have
    left alone, an optimizer's state) is seen there: each object the copy was made of takes its
    copy's contents, with every reference to a copied object turned back to its original (a
    model keeps its own parameters, now holding the trained values and gradients). `memo`:
    copy_arguments'."""
    roots = (list(args), list(kwargs.values()))
    pairs = [(o, memo[id(o)]) for o in _reachable(roots)
             if id(o) in memo and memo[id(o)] is not o]
    back = {id(twin): o for o, twin in pairs}

    def orig(v):
        if id(v) in back:
            return back[id(v)]
        if type(v) is tuple and any(id(x) in back for x in v):
            return tuple(orig(x) for x in v)
        return v
    for o, twin in pairs:
        try:
            _restore(o, twin, orig)
        except Exception:  # noqa: BLE001 - what cannot take its copy's contents keeps its own
            continue
    for o in _reachable(roots):     # what the call made and kept (a list of the parameters,
        try:                        # an optimizer of its own) holds the originals too
            _turn_back(o, back, orig)
        except Exception:  # noqa: BLE001 - left as the call made it
            continue


def _turn_back(o, back, orig) -> None:
    """The references to copied objects in `o` (made by the call) turned to the originals."""
    if isinstance(o, _Tensor) or id(o) in back:
        return
    if isinstance(o, list):
        if any(orig(v) is not v for v in o):
            o[:] = [orig(v) for v in o]
    elif isinstance(o, dict):
        if any(orig(k) is not k or orig(v) is not v for k, v in o.items()):
            items = [(orig(k), orig(v)) for k, v in o.items()]
            o.clear()
            o.update(items)
    elif isinstance(o, set):
        if any(orig(v) is not v for v in o):
            items = [orig(v) for v in o]
            o.clear()
            o.update(items)
    elif isinstance(getattr(o, "__dict__", None), dict) and not isinstance(o, type):
        mine = vars(o)
        for k, v in list(mine.items()):
            if orig(v) is not v:
                mine[k] = orig(v)


def _restore(o, twin, orig) -> None:
    if isinstance(o, _Tensor):
        if isinstance(twin, _Tensor):
            with torch.no_grad():
                o.data = twin.data
            if o.is_leaf:
                if o.requires_grad != twin.requires_grad:
                    o.requires_grad_(twin.requires_grad)
                o.grad = twin.grad if twin.is_leaf else None
                hooks = twin._backward_hooks     # a gradient hook it registered
                if hooks and o.requires_grad:
                    for hook in list(hooks.values())[len(o._backward_hooks or ()):]:
                        o.register_hook(hook)
            _attributes(o, twin, orig)           # an attribute it set on the tensor
    elif isinstance(o, np.ndarray):
        if isinstance(twin, np.ndarray) and twin.shape == o.shape and o.flags.writeable:
            np.copyto(o, twin, casting="unsafe")
            o.flags.writeable = twin.flags.writeable
    elif isinstance(o, list) and isinstance(twin, list):
        o[:] = [orig(v) for v in twin]
    elif isinstance(o, dict) and isinstance(twin, dict):
        items = [(orig(k), orig(v)) for k, v in twin.items()]
        o.clear()
        o.update(items)
    elif isinstance(o, set) and isinstance(twin, set):
        items = [orig(v) for v in twin]
        o.clear()
        o.update(items)
    elif isinstance(o, torch.Generator) and isinstance(twin, torch.Generator):
        o.set_state(twin.get_state())
    elif not isinstance(o, type):
        _attributes(o, twin, orig)


def _attributes(o, twin, orig) -> None:
    """o's own attributes made twin's (each copied object turned back to its original)."""
    if isinstance(getattr(o, "__dict__", None), dict) and \
            isinstance(getattr(twin, "__dict__", None), dict):
        now = {k: orig(v) for k, v in vars(twin).items()}
        mine = vars(o)
        for k in [k for k in mine if k not in now]:
            del mine[k]
        mine.update(now)


_NOT_STATE = (types.ModuleType, types.FunctionType, types.MethodType, types.BuiltinFunctionType)


def _reachable(x, limit=20000):
    """The objects reachable from x that a deep copy copies and a call may change: tensors,
    arrays, lists, dicts (their keys too), sets, and objects with attributes of their own (a
    model, its layers and parameters' dicts, an optimizer and its state), each once."""
    seen, todo, out = set(), [x], []
    while todo and len(out) < limit:
        x = todo.pop()
        if id(x) in seen or x is None or isinstance(x, (bool, int, float, str, bytes, type)):
            continue
        seen.add(id(x))
        if isinstance(x, (_Tensor, np.ndarray, torch.Generator)):
            out.append(x)
        elif isinstance(x, (list, tuple, set, frozenset)):
            out.append(x)
            todo.extend(list(x)[:4096])
        elif isinstance(x, dict):
            out.append(x)
            todo.extend(list(x.keys())[:4096] + list(x.values())[:4096])
        elif not isinstance(x, _NOT_STATE):
            try:                    # an object of hers whose attributes cannot be read: left
                attrs = vars(x) if isinstance(getattr(x, "__dict__", None), dict) else None
                values = list(attrs.values())[:4096] if attrs is not None else None
            except Exception:  # noqa: BLE001 - as it is
                continue
            if values is not None:
                out.append(x)
                todo.extend(values)
    return out


def _tensors(x, depth=0):
    """The tensors in x: in lists, tuples and dicts, a model's parameters and buffers, an
    optimizer's parameters, an object's own attributes (a few levels deep)."""
    if depth > 4:
        return
    if isinstance(x, _Tensor):
        yield x
    elif isinstance(x, _Module):
        yield from list(x.parameters())[:256] + list(x.buffers())[:256]
    elif isinstance(x, torch.optim.Optimizer):
        for group in x.param_groups[:16]:
            yield from list(group.get("params", ()))[:256]
    elif isinstance(x, (list, tuple)):
        for v in x[:256]:
            yield from _tensors(v, depth + 1)
    elif isinstance(x, dict):
        for v in list(x.values())[:256]:
            yield from _tensors(v, depth + 1)
    else:
        for v in _attributes_of(x)[:64]:
            yield from _tensors(v, depth + 1)


def _not_leaves(x):
    """The tensors reachable from x (lists, tuples, dicts, objects' own attributes, a model's
    submodules, a few levels deep) that are not leaves nor views of another tensor (a view
    shares its base's storage, which a copy of its own would not)."""
    seen, todo = set(), [(x, 0)]
    while todo and len(seen) < 4096:
        x, depth = todo.pop()
        if id(x) in seen or depth > 6:
            continue
        seen.add(id(x))
        if isinstance(x, _Tensor):
            if not x.is_leaf and not x._is_view():
                yield x
        elif isinstance(x, (list, tuple)):
            todo.extend((v, depth + 1) for v in x[:256])
        elif isinstance(x, dict):
            todo.extend((v, depth + 1) for v in list(x.values())[:256])
        else:
            todo.extend((v, depth + 1) for v in _attributes_of(x)[:64])


def _attributes_of(x) -> list:
    """x's own attributes' values ([] for an object without them, or one of hers whose
    attributes cannot be read)."""
    try:
        attrs = getattr(x, "__dict__", None)
        return list(attrs.values()) if isinstance(attrs, dict) else []
    except Exception:  # noqa: BLE001 - read as having none
        return []
