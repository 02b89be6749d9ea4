"""What a worker's values are on the trusted side, beside their data: a decoded tensor's
metadata (TensorMeta, read with meta(): each read counted as a fact measured in a worker), a
stand-in for a value with no data form (RemoteObject), and the dtypes a frame may carry. A leaf
both sides import (grader.sandbox.protocol makes and reads the frames).

    m = meta(decoded)    # TensorMeta(device='cpu', requires_grad=True, is_leaf=False, ...)
"""
from __future__ import annotations

import re

import torch

TORCH_DTYPES = {
    "float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
    "float64": torch.float64, "int8": torch.int8, "int16": torch.int16, "int32": torch.int32,
    "int64": torch.int64, "uint8": torch.uint8, "bool": torch.bool,
    "complex64": torch.complex64, "complex128": torch.complex128,
}
NUMPY_DTYPES = {
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
    "uint32", "uint64", "bool", "complex64", "complex128",
}


class TensorMeta:
    """What the worker said about a tensor besides its values (autograd state, device, class)."""

    __slots__ = ("device", "requires_grad", "is_leaf", "grad_fn", "cls", "grad", "measured")

    def __init__(self, device, requires_grad, is_leaf, grad_fn, cls, grad, measured=False):
        self.device = device
        self.requires_grad = requires_grad
        self.is_leaf = is_leaf
        self.grad_fn = grad_fn
        self.cls = cls
        self.grad = grad
        self.measured = measured   # measured inside a worker (replies.decode_reply), not here

    def __repr__(self):
        return (f"TensorMeta(device={self.device!r}, requires_grad={self.requires_grad}, "
                f"is_leaf={self.is_leaf}, grad_fn={self.grad_fn!r}, cls={self.cls!r})")


def meta(t: torch.Tensor) -> TensorMeta | None:
    """The metadata a decoded tensor arrived with, or None for a tensor made on this side.
    Each read of metadata a worker sent is counted (facts_read): a fact measured inside it."""
    m = getattr(t, "_remote_meta", None)
    if m is not None and m.measured:
        _FACTS_READ[0] += 1
    return m


_FACTS_READ = [0]


def facts_read() -> int:
    """How many facts measured inside a worker (a tensor's meta, a probe's answer) the trusted
    side has read so far in this process: a check that read one rests on one."""
    return _FACTS_READ[0]


def read_fact() -> None:
    """Count one fact measured inside a worker (see facts_read)."""
    _FACTS_READ[0] += 1


def with_grad_leaves(x) -> None:
    """Make the floating-point tensors in `x` (nested in lists, tuples, dicts) that were sent
    with requires_grad leaves that require grad, as the caller's were: what a worker and a
    reference do with decoded inputs before calling."""
    if isinstance(x, torch.Tensor):
        m = meta(x)
        if m is not None and m.requires_grad and x.is_floating_point():
            x.requires_grad_(True)
    elif isinstance(x, (list, tuple)):
        for v in x:
            with_grad_leaves(v)
    elif isinstance(x, dict):
        for v in x.values():
            with_grad_leaves(v)


class RemoteObject:
    """Stands for a value that has no data form (a module, a generator, an arbitrary object):
    its type's name and its repr (type_name, safe_repr, read where the value is)."""

    def __init__(self, type_name: str, text: str):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return f"<{self.type_name}: {self.text}>"


def type_name(x) -> str:
    cls = type(x)
    return f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__name__


def safe_repr(x, limit=300) -> str:
    try:
        text = repr(x)
    except BaseException as exc:  # a student's __repr__ may raise anything
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


DEVICE_NAME = re.compile(r"(cpu|cuda|meta)(:\d{1,3})?")   # a device a frame may name
_DEVICE = re.compile(r"(cuda)(?::(\d{1,3}))?")


def device_here(name: str):
    """The torch.device a tensor that was on `name` ("cuda", "cuda:1") goes to in this process,
    or None to keep it on the CPU: CUDA only, and only when this process has that GPU. Both
    "cuda" and "cuda:0" mean the first GPU. (Asking is safe here: the worker asks only after it
    was forked, and only when a tensor did come from CUDA.)"""
    m = _DEVICE.fullmatch(name)
    if m is None:
        return None
    try:
        if not torch.cuda.is_available():
            return None
        index = int(m.group(2) or 0)
        return torch.device("cuda", index) if index < torch.cuda.device_count() else None
    except Exception:  # noqa: BLE001 - a broken driver: the values stay readable on the CPU
        return None
