"""What a value is, said for a message (kind_of, show, expected_kind, bool_in), and its numbers
as a float64 (or bool) array for a comparison (as_array; count_values and as_array_of_size
without converting a result of the wrong size). A bool is not a number: refuse_bool."""
from __future__ import annotations

import math

import numpy as np
import torch

from grader.engine.compare import fail
from grader.sandbox.protocol import RemoteObject, meta


def kind_of(x) -> str:
    if isinstance(x, torch.Tensor):
        m = meta(x)
        device = m.device if m else str(x.device)
        return f"tensor of shape {tuple(x.shape)}, dtype {str(x.dtype).replace('torch.', '')}, " \
               f"on {device}"
    if isinstance(x, np.ndarray):
        return f"NumPy array of shape {x.shape}, dtype {x.dtype}"
    if isinstance(x, np.bool_):
        return f"a bool ({bool(x)}, a NumPy bool)"
    if isinstance(x, np.generic):
        return f"NumPy scalar ({x.dtype})"
    if isinstance(x, RemoteObject):
        return f"an object of type {x.type_name}"
    if isinstance(x, bool):
        return f"a bool ({x})"
    if isinstance(x, (int, float)):
        return type(x).__name__
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__} of length {len(x)}"
    if x is None:
        return "None"
    return type(x).__name__


def show(x, limit=6) -> str:
    """A short, readable rendering of a value (a few entries of a big tensor)."""
    if isinstance(x, RemoteObject):
        return repr(x)
    if isinstance(x, (torch.Tensor, np.ndarray)):
        a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x
        if a.dtype == np.float16 or str(a.dtype) == "bfloat16":
            a = a.astype(np.float32)
        flat = a.reshape(-1)
        body = ", ".join(_num(v) for v in flat[:limit])
        more = f", ... ({flat.size} values)" if flat.size > limit else ""
        return f"[{body}{more}]" if a.ndim else _num(flat[0]) if flat.size else "[]"
    if isinstance(x, float):
        return _num(x)
    if isinstance(x, (list, tuple)):
        inner = ", ".join(show(v) for v in list(x)[:limit])
        more = ", ..." if len(x) > limit else ""
        return f"[{inner}{more}]" if isinstance(x, list) else f"({inner}{more})"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def _num(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (complex, np.complexfloating)):
        return str(v)
    v = float(v)
    if v != v or math.isinf(v):
        return str(v)
    return f"{v:.6g}"


def as_array(x) -> np.ndarray | None:
    """float64 (or bool) array of a number, tensor, array or (nested) list of them; None if not
    numeric."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bool:
            return x.numpy()
        if x.is_complex():
            return None
        return x.to(torch.float64).numpy()
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return x
        if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
            return None
        return x.astype(np.float64)
    if isinstance(x, (bool, np.bool_)):
        return np.asarray(bool(x))
    if isinstance(x, (int, float, np.integer, np.floating)):
        return np.asarray(float(x))
    if isinstance(x, (list, tuple)):
        parts = [as_array(v) for v in x]
        if any(p is None for p in parts):
            return None
        try:
            return np.stack(parts).astype(np.float64) if parts else np.zeros(0)
        except ValueError:
            return None
    return None


def count_values(x) -> int | None:
    """How many numbers `as_array(x)` would hold, found without converting anything (a
    tensor's or array's size is in its shape); None when `x` is not a number or a list of them."""
    if isinstance(x, torch.Tensor):
        return x.numel()
    if isinstance(x, np.ndarray):
        return int(x.size)
    if isinstance(x, (bool, np.bool_, int, float, np.integer, np.floating)):
        return 1
    if isinstance(x, (list, tuple)):
        total = 0
        for v in x:
            n = count_values(v)
            if n is None:
                return None
            total += n
        return total
    return None


def as_array_of_size(x, size: int) -> np.ndarray | None:
    """as_array(x), except that a tensor or array that does not hold `size` values is never
    converted: it stands in as a read-only array of its own shape and kind (bool or float64)
    that uses no memory, enough to say its shape and size in a message. A wrong result of a
    billion values costs nothing to refuse."""
    n = count_values(x)
    if n is None or n == size:
        return as_array(x)
    like = _array_like(x)
    if like is None:
        return None
    shape, kind = like
    return np.broadcast_to(np.zeros((), dtype=kind), shape)


def _array_like(x) -> tuple[tuple, type] | None:
    """(shape, dtype) of as_array(x), or None where that is None; nothing converted."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            return None
        return tuple(x.shape), (np.bool_ if x.dtype == torch.bool else np.float64)
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return x.shape, np.bool_
        if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
            return None
        return x.shape, np.float64
    if isinstance(x, (bool, np.bool_)):
        return (), np.bool_
    if isinstance(x, (int, float, np.integer, np.floating)):
        return (), np.float64
    if isinstance(x, (list, tuple)):
        parts = [_array_like(v) for v in x]
        if any(p is None for p in parts):
            return None
        if not parts:
            return (0,), np.float64
        if len({p[0] for p in parts}) != 1:
            return None   # np.stack refuses parts of different shapes
        return (len(parts),) + parts[0][0], np.float64
    return None


def bool_in(x) -> str | None:
    """The bool in `x` (a value a student's code returned) said for a message, or None:
    "True, a bool", "a bool tensor (...)", "a tuple of length 2 whose item 0 is True, a bool".
    A Python bool, numpy.bool_, bool tensor or bool array is not a number: True == 1, and a
    comparison as bools would let any nonzero expected value pass."""
    if isinstance(x, (bool, np.bool_)):
        return f"{bool(x)}, a bool"
    if isinstance(x, torch.Tensor) and x.dtype == torch.bool:
        return f"a bool tensor ({kind_of(x)})"
    if isinstance(x, np.ndarray) and x.dtype == np.bool_:
        return f"a bool array ({kind_of(x)})"
    if isinstance(x, np.ndarray) and x.dtype == object or isinstance(x, (list, tuple)):
        for i, v in enumerate(x if isinstance(x, (list, tuple)) else x.reshape(-1)):
            found = bool_in(v)
            if found:
                return f"a {kind_of(x)} whose item {i} is {found}"
    return None


def expected_kind(x) -> str:
    """What kind of value `x` (an expected value) is, for "... is expected"."""
    if isinstance(x, torch.Tensor):
        return f"a {str(x.dtype).replace('torch.', '')} tensor"
    if isinstance(x, np.ndarray):
        return f"a {x.dtype} array"
    if isinstance(x, (float, np.floating)):
        return "a float"
    if isinstance(x, (int, np.integer)):
        return "an int"
    if isinstance(x, dict):
        return "a dict"
    if isinstance(x, (list, tuple)):
        kinds = {expected_kind(v) for v in x}
        if len(kinds) == 1 and next(iter(kinds)) in ("a float", "an int"):
            return f"a {type(x).__name__} of {next(iter(kinds)).split()[-1]}s"
        return f"a {type(x).__name__} of {len(x)} values"
    return "a number"


def refuse_bool(got, expected, where: str):
    """Fail when `got` is (or holds) a bool where `expected` holds none: a bool is not a number,
    and a bool tensor is not a float tensor."""
    found = bool_in(got)
    if found and not bool_in(expected):
        fail(f"{where} returned {found}; {expected_kind(expected)} is expected.")


def rel_error(got, expected) -> float:
    """max |got - expected| / max(1e-12, |expected|), over all entries (NaN if shapes differ)."""
    a, b = as_array(got), as_array(expected)
    if a is None or b is None or a.shape != b.shape:
        return float("nan")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(b))))
