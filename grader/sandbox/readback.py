"""A result read as plain data, and where its reading runs the submission's code.

A function can return a subclass of a tuple, a list, a dict, a number or a NumPy scalar whose
methods (__iter__, items, item, __float__) run code of the submission's own when the value is
read: a "manual" gradient that computes itself with autograd only when read, after the call
has returned and the watch of the call (probes.guard) is off. So:

  - as_plain(x), called inside the watch of a manual call, reads the result through its own
    methods (whatever they run, runs watched) into exact built-in types, exact NumPy scalars
    and arrays, and plain tensors;
  - the encoder (grader.sandbox.protocol) reads a container or a scalar through the built-in
    type's own C methods (exact(x)), never a subclass's: no code of the submission runs while
    a result is encoded.

A leaf both sides import.

    as_plain(Lazy((1.0, 2.0)))      # (1.0, 2.0): Lazy.__iter__ ran, inside the watch
    exact(Lazy((1.0, 2.0)))         # (1.0, 2.0): tuple's own iterator, Lazy's not called
"""
from __future__ import annotations

import numpy as np
import torch

MAX_DEPTH = 32
_EXACT = (type(None), bool, int, float, complex, str, bytes)


def as_plain(x, depth: int = 0):
    """`x` as exact built-in containers and numbers, exact NumPy scalars and arrays, and
    tensors of torch's own classes, read through its own methods; anything else as it is."""
    t = type(x)
    if t in _EXACT or depth > MAX_DEPTH:
        return x
    if isinstance(x, torch.Tensor):
        return x if t in (torch.Tensor, torch.nn.Parameter) else x.as_subclass(torch.Tensor)
    if isinstance(x, np.ndarray):
        return x if t is np.ndarray else np.asarray(x)
    if isinstance(x, np.generic):
        if t is np.dtype(x.dtype).type:
            return x
        return np.dtype(x.dtype).type(x.item())
    for base in (bool, int, float, complex, str, bytes):
        if isinstance(x, base):
            return base(x)
    if isinstance(x, tuple):
        return tuple(as_plain(v, depth + 1) for v in x)
    if isinstance(x, list):
        return [as_plain(v, depth + 1) for v in x]
    if isinstance(x, dict):
        return {as_plain(k, depth + 1): as_plain(v, depth + 1) for k, v in x.items()}
    return x


def exact(x):
    """`x` one level down as the built-in type it subclasses (a tuple, a list, a dict, an int,
    a float, a str, a NumPy scalar), read through that type's own C methods: no method of the
    subclass runs (its __iter__, items, item, dtype, __float__). Anything else as it is."""
    if isinstance(x, np.generic):
        return np.dtype(np.generic.dtype.__get__(x, type(x))).type(np.generic.item(x))
    if isinstance(x, dict):
        return dict(dict.items(x))
    for base, read in ((tuple, tuple.__iter__), (list, list.__iter__), (int, int.__int__),
                       (float, float.__float__), (str, str.__str__)):
        if isinstance(x, base):
            value = read(x)
            return base(value) if base in (tuple, list) else value
    return x
