"""Inert data across the trust boundary.

Everything that crosses between the grader and a worker is a *frame*: a JSON header that describes
a tree of plain values, followed by the raw bytes of the arrays and tensors in it. Reading a frame
never executes code: JSON is parsed, byte buffers are copied into fresh tensors or arrays whose dtype
comes from a fixed list, and every size is checked against a cap first. Plain pickle is never used.

    >>> value = {"w": 2.0, "t": torch.ones(2)}
    >>> decode(*split(encode(value)))["w"]
    2.0
"""
from __future__ import annotations

import json
import math
import os
import select
import struct
import time

import numpy as np
import torch

MAGIC = b"TDR1"
_HEAD = struct.Struct("<4sIQ")  # magic, header length, payload length
MAX_HEADER = 16 * 1024 * 1024
MAX_PAYLOAD = 512 * 1024 * 1024
MAX_DEPTH = 32
MAX_STR = 64 * 1024
MAX_PLAIN_KEYS = 2000   # entries of a reply's dict whose keys are numbers or tuples

class ProtocolError(ValueError):
    """A frame that is not well formed: too big, truncated, or of an unknown shape."""


# A decoded value's facts and stand-ins (the leaf grader.sandbox.remote); _device_here: a test's.
from grader.sandbox.remote import (DEVICE_NAME, NUMPY_DTYPES, TORCH_DTYPES,  # noqa: E402,F401
                                   RemoteObject, TensorMeta, facts_read, meta, read_fact,
                                   safe_repr, type_name, with_grad_leaves)
from grader.sandbox.remote import device_here as _device_here  # noqa: E402
from grader.sandbox.readback import exact  # noqa: E402


# ----------------------------------------------------------------------------------------------
# encoding (runs on both sides; on the worker side it is untrusted, which is fine: the reader
# checks everything). A tensor's facts (its autograd state, device, class) are read through
# torch's C type, bound here when this module is imported, before any student code: a
# submission may rebind torch.Tensor's attributes, never TensorBase's (an immutable type).

_TensorBase = torch._C.TensorBase
_Tensor, _ndarray, _npgeneric = torch.Tensor, np.ndarray, np.generic
_dtype_t, _device_t, _PLAIN = torch.dtype, torch.device, (int, float, str, tuple, list, dict)
(_requires_grad, _is_leaf, _grad_fn, _grad, _device_of, _dtype_of, _shape_of, _layout_of,
 _is_sparse) = (getattr(_TensorBase, name).__get__ for name in (
    "requires_grad", "is_leaf", "grad_fn", "grad", "device", "dtype", "shape", "layout",
    "is_sparse"))
_detach = _TensorBase.detach
_no_torch_function = torch._C.DisableTorchFunctionSubclass

class _Encoder:
    """One value's tree: its arrays' numbers in the frame's buffers, or `inline` (to_tree)."""

    def __init__(self, inline=False):
        self.buffers: list[bytes] = []
        self.inline = inline

    def buf(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def enc(self, x, depth=0):
        if depth > MAX_DEPTH:
            return self.obj(type(x).__name__, "<nested too deeply>")
        if x is None or type(x) is bool:
            return x
        if type(x) not in _PLAIN and not isinstance(x, (_Tensor, _ndarray)):
            x = exact(x)       # a subclass's own methods never run here (grader.sandbox.readback)
        if type(x) is str:
            return x[:MAX_STR]
        if isinstance(x, _Tensor):
            return self.tensor(x, depth)
        if isinstance(x, _ndarray):
            return self.ndarray(x)
        if isinstance(x, _npgeneric):
            return {"$": "npscalar", "dtype": x.dtype.name, "value": _numbers([x.item()])[0]
                    if self.inline else self.enc(x.item(), depth + 1)}
        if type(x) is int:
            return x
        if type(x) is float:
            if math.isfinite(x):
                return x
            return {"$": "float", "value": repr(x)}
        if isinstance(x, tuple):
            return {"$": "tuple", "items": [self.enc(v, depth + 1) for v in x]}
        if isinstance(x, list):
            return [self.enc(v, depth + 1) for v in x]
        if isinstance(x, dict):
            return {"$": "dict", "items": [[self.enc(k, depth + 1), self.enc(v, depth + 1)]
                                           for k, v in x.items()]}
        if isinstance(x, _dtype_t):
            return {"$": "dtype", "name": str(x).replace("torch.", "")}
        if isinstance(x, _device_t):
            return {"$": "device", "name": str(x)}
        return self.obj(type_name(x), safe_repr(x))

    def obj(self, type_name: str, text: str):
        if self.inline:   # a recorded value is its numbers, or it is not recorded
            raise TypeError(f"cannot record a value of type {type_name}")
        return {"$": "object", "type": type_name, "repr": text}

    def ndarray(self, a: np.ndarray):
        if a.dtype.name not in NUMPY_DTYPES:
            return self.obj(f"numpy.ndarray[{a.dtype}]", safe_repr(a))
        a = np.ascontiguousarray(a)
        head = {"$": "ndarray", "dtype": a.dtype.name, "shape": list(a.shape)}
        if self.inline:
            return dict(head, data=_numbers(a.reshape(-1).tolist()))
        return dict(head, buf=self.buf(a.tobytes()))

    def tensor(self, t: torch.Tensor, depth):
        with _no_torch_function():   # a subclass's __torch_function__ cannot answer for it
            return self._tensor(t, depth)

    def _tensor(self, t: torch.Tensor, depth):
        dtype = _dtype_of(t)
        name = str(dtype).replace("torch.", "")
        if name not in TORCH_DTYPES or _is_sparse(t) or _layout_of(t) != torch.strided:
            return self.obj(f"torch.Tensor[{name}]", "<unsupported tensor>")
        cls = type(t)
        shape = tuple(_shape_of(t))
        plain = _Tensor._make_subclass(_Tensor, _detach(t)) if cls is not _Tensor \
            else _detach(t)
        # a fresh, packed copy of the logical values: any strides (a transpose, a broadcast view,
        # a slice), conjugate and negative views resolved, never the storage behind them
        flat = torch.empty(shape, dtype=dtype).copy_(plain).reshape(-1)
        if self.inline:   # floats widened to float64, exactly: the file reads as the tensor
            wide = flat.to(torch.float64) if flat.is_floating_point() else flat
            return {"$": "tensor", "dtype": name, "shape": list(shape),
                    "data": _numbers(wide.tolist())}
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        grad, grad_fn = None, _grad_fn(t)
        leaf = bool(_is_leaf(t))
        if leaf and _grad(t) is not None and depth < MAX_DEPTH:
            grad = self._tensor(_grad(t), depth + 1)
        return {"$": "tensor", "dtype": name, "shape": list(shape), "buf": self.buf(data),
                "device": str(_device_of(t)), "requires_grad": bool(_requires_grad(t)),
                "is_leaf": leaf,
                "grad_fn": type(grad_fn).__name__ if grad_fn is not None else None,
                "cls": None if cls is _Tensor else type_name(t), "grad": grad}


_NONFINITE = ("nan", "inf", "-inf")   # an array's non-finite numbers, written inline


def _numbers(values: list) -> list:
    return [repr(v) if type(v) is float and not math.isfinite(v) else v for v in values]


def encode(value) -> bytes:
    """One frame holding `value`."""
    enc = _Encoder()
    tree = enc.enc(value)
    header = json.dumps({"tree": tree, "sizes": [len(b) for b in enc.buffers]},
                        allow_nan=False).encode()
    payload = b"".join(enc.buffers)
    return _HEAD.pack(MAGIC, len(header), len(payload)) + header + payload


def to_tree(value):
    """`value` as JSON values, its arrays' numbers inline, for a file (grader.engine.expected):
    a frame's tree otherwise. TypeError for a value with no data form (a module, an object)."""
    return _Encoder(inline=True).enc(value)


def from_tree(tree):
    """The value a to_tree tree holds: plain tensors on the CPU, with no worker's facts."""
    return _Decoder([], b"", False, None, inline=True).dec(tree)


# ----------------------------------------------------------------------------------------------
# decoding (the trusted reader): strict, size-capped, no code execution. A reply's header and
# payload are bounded by the values the call may return (max_items) before it is read.

def header_cap(max_items=None) -> int:
    """The most header bytes a frame holding at most `max_items` values may have."""
    return MAX_HEADER if max_items is None else min(MAX_HEADER, 256 * 1024 + 48 * max_items)


def payload_cap(max_items=None) -> int:
    """The most payload bytes for `max_items` values: 16 bytes each (complex128, the widest)."""
    return MAX_PAYLOAD if max_items is None else min(MAX_PAYLOAD, 64 * 1024 + 16 * max_items)


# Where select() cannot wait on a pipe (Windows), the reading with a deadline, set by
# grader.sandbox.portable.unsandboxed() for a student's own check only; None anywhere else.
timed_read = None


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    """Exactly `n` bytes from the descriptor `fd` (a pipe between the grader and a worker):
    EOFError when it ends first. With a `deadline` (time.monotonic()), TimeoutError when they
    have not all arrived by then (the trusted side reading a reply); without one it waits (the
    worker reading its next request)."""
    if deadline is not None and timed_read is not None:   # Windows (grader.sandbox.portable)
        return timed_read(fd, n, deadline)
    chunks = []
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(read_exact, max_payload=MAX_PAYLOAD, max_items=None) -> tuple[bytes, bytes]:
    """Read one frame with `read_exact(n) -> bytes`; return (header, payload). The sizes are
    checked before a byte of either is read (`max_items`: see decode)."""
    head = read_exact(_HEAD.size)
    magic, hlen, plen = _HEAD.unpack(head)
    if magic != MAGIC:
        raise ProtocolError("the result channel carried bytes that are not a result frame")
    if hlen > MAX_HEADER or plen > max_payload:
        raise ProtocolError(f"result too large ({hlen + plen} bytes)")
    if hlen > header_cap(max_items) or plen > payload_cap(max_items):
        raise _too_many(max_items)
    return read_exact(hlen), read_exact(plen)


def _too_many(max_items) -> ProtocolError:
    return ProtocolError(f"the result holds more than {max_items} values, far more than the "
                         f"inputs call for")


def split(frame: bytes) -> tuple[bytes, bytes]:
    if len(frame) < _HEAD.size:
        raise ProtocolError("truncated frame")
    magic, hlen, plen = _HEAD.unpack_from(frame)
    if magic != MAGIC or len(frame) != _HEAD.size + hlen + plen:
        raise ProtocolError("malformed frame")
    return frame[_HEAD.size:_HEAD.size + hlen], frame[_HEAD.size + hlen:]


MAX_INT_BITS = 64  # no result of an exercise is a larger integer; a 4300-digit one is refused


def decode(header: bytes, payload: bytes, *, map_device=True, max_items=None, worker=False):
    """The value in a frame. Tensors come back as plain tensors (on the device they were on, when
    that device exists here) carrying a TensorMeta; unknown objects as RemoteObject.
    `max_items` bounds the values the frame may hold (list, tuple and dict entries, and every
    element of a tensor or array, as replies.size_of counts the inputs): more is refused before
    any of them is decoded, copied or compared, and a header with more containers than that is
    refused before it is parsed. A tensor's elements count, not its bytes: the trusted side may widen
    each to a float64 to compare it."""
    if max_items is not None and (
            len(header) > header_cap(max_items) or len(payload) > payload_cap(max_items)
            or header.count(b"[") + header.count(b"{") > 4 * max_items + 10_000):
        raise _too_many(max_items)
    try:
        head = json.loads(header)
        sizes = head["sizes"]
        tree = head["tree"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:  # JSON nested too deep
        raise ProtocolError(f"malformed header: {type(exc).__name__}") from None
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes) \
            or sum(sizes) != len(payload):
        raise ProtocolError("buffer sizes do not match the payload")
    decoder = _Decoder(sizes, payload, map_device, max_items, worker)
    try:
        return decoder.dec(tree)
    finally:
        decoder.release()   # no view of the payload outlives the call, whatever was raised


class _Decoder:
    """One frame's reader. A class, not closures calling each other: closures would make a
    reference cycle holding a view of the payload until the garbage collector ran (2.4 GB for
    a run of refused 250 MB replies)."""

    def __init__(self, sizes, payload, map_device, max_items, worker=False, inline=False):
        self.worker, self.inline = worker, inline
        self.offsets = [0]
        for s in sizes:
            self.offsets.append(self.offsets[-1] + s)
        self.view = memoryview(payload)
        self.map_device = map_device
        self.max_items = max_items
        self.left = float("inf") if max_items is None else max_items

    def release(self):
        self.view.release()

    def buf(self, i):
        if type(i) is not int or not 0 <= i < len(self.offsets) - 1:
            raise ProtocolError("bad buffer index")
        return self.view[self.offsets[i]:self.offsets[i + 1]]

    def spend(self, n):
        self.left -= n
        if self.left < 0:
            raise _too_many(self.max_items)

    def numbers(self, x, shape) -> list:
        """An array's numbers written inline (to_tree)."""
        data = _list(x, "data")
        if len(data) != math.prod(shape) or not all(
                type(v) in (bool, int, float) or v in _NONFINITE for v in data):
            raise ProtocolError("array data does not match its shape")
        self.spend(1 + len(data))
        return [float(v) if type(v) is str else v for v in data]

    def dec(self, x, depth=0):
        if depth > MAX_DEPTH + 2:
            raise ProtocolError("nested too deeply")
        if x is None or type(x) in (bool, float, str):
            return x
        if type(x) is int:
            if x.bit_length() > MAX_INT_BITS:
                raise ProtocolError(f"an integer of {x.bit_length()} bits, far larger than "
                                    f"any result")
            return x
        if type(x) is list:
            self.spend(len(x))
            return [self.dec(v, depth + 1) for v in x]
        if type(x) is not dict:
            raise ProtocolError("unknown value")
        tag = x.get("$")
        if tag == "tuple":
            items = _list(x, "items")
            self.spend(len(items))
            return tuple(self.dec(v, depth + 1) for v in items)
        if tag == "dict":
            return self.dec_dict(x, depth)
        if tag == "float":
            if x.get("value") not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad float")
            return float(x["value"])
        if tag == "npscalar":
            dtype = x.get("dtype")
            if dtype not in NUMPY_DTYPES:
                raise ProtocolError("bad numpy dtype")
            value = x.get("value")
            value = float(value) if self.inline and value in _NONFINITE \
                else self.dec(value, depth + 1)
            if type(value) not in (bool, int, float, complex):
                raise ProtocolError("bad numpy scalar")
            try:
                return np.dtype(dtype).type(value)
            except (OverflowError, ValueError):
                raise ProtocolError("a NumPy scalar out of its dtype's range") from None
        if tag == "ndarray":
            dtype, shape = x.get("dtype"), _shape(x)
            if dtype not in NUMPY_DTYPES:
                raise ProtocolError("bad numpy dtype")
            if self.inline:
                return np.array(self.numbers(x, shape), dtype=dtype).reshape(shape)
            data = self.buf(x.get("buf"))   # a view: nothing copied yet
            if len(data) != math.prod(shape) * np.dtype(dtype).itemsize:
                raise ProtocolError("array size does not match its shape")
            self.spend(1 + math.prod(shape))   # every element, before a byte of it is copied
            return np.frombuffer(bytes(data), dtype=dtype).reshape(shape).copy()
        if tag == "tensor":
            return self.dec_tensor(x, depth)
        if tag == "dtype":
            name = x.get("name")
            if name not in TORCH_DTYPES:
                raise ProtocolError("bad dtype")
            return TORCH_DTYPES[name]
        if tag == "device":
            name = x.get("name")
            if type(name) is not str or len(name) > 32:
                raise ProtocolError("bad device")
            return torch.device(name) if DEVICE_NAME.fullmatch(name) \
                else RemoteObject("torch.device", name[:32])
        if tag == "object":
            return RemoteObject(str(x.get("type"))[:200], str(x.get("repr"))[:400])
        raise ProtocolError(f"unknown tag {str(tag)[:20]!r}")

    def dec_dict(self, x, depth):
        out = {}
        items = _list(x, "items")
        self.spend(len(items))
        for pair in items:
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("bad dict item")
            key = self.dec(pair[0], depth + 1)
            if type(key) not in (str, int, float, bool, tuple) and key is not None:
                raise ProtocolError("bad dict key")
            if type(key) is not str and len(items) > MAX_PLAIN_KEYS:
                # numbers and tuples hash predictably: a reply of colliding keys would
                # cost the grader quadratic time (strings hash with a per-process seed)
                raise ProtocolError(f"a dict of more than {MAX_PLAIN_KEYS} entries whose "
                                    f"keys are not strings")
            try:
                out[key] = self.dec(pair[1], depth + 1)
            except TypeError:   # a tuple key holding something unhashable
                raise ProtocolError("bad dict key") from None
        return out

    def dec_tensor(self, x, depth):
        if depth > MAX_DEPTH + 2:
            raise ProtocolError("nested too deeply")
        dtype, shape = x.get("dtype"), _shape(x)
        if dtype not in TORCH_DTYPES:
            raise ProtocolError("bad tensor dtype")
        tdtype = TORCH_DTYPES[dtype]
        if self.inline:   # a recorded value: its numbers only
            return torch.tensor(self.numbers(x, shape), dtype=tdtype).reshape(shape)
        data = self.buf(x.get("buf"))   # a view: nothing copied yet
        itemsize = torch.empty((), dtype=tdtype).element_size()
        if len(data) != math.prod(shape) * itemsize:
            raise ProtocolError("tensor size does not match its shape")
        self.spend(1 + math.prod(shape))   # every element (a gradient's too), before a copy
        if len(data):
            t = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(tdtype).reshape(shape)
        else:
            t = torch.empty(shape, dtype=tdtype)
        device = x.get("device")
        if type(device) is not str or len(device) > 32:
            raise ProtocolError("bad device")
        if self.map_device and device != "cpu":
            here = _device_here(device)
            if here is not None:
                t = t.to(here)
        grad = x.get("grad")
        if type(x.get("requires_grad", False)) is not bool \
                or type(x.get("is_leaf", True)) is not bool:
            raise ProtocolError("bad tensor flags")
        t._remote_meta = TensorMeta(
            device=device, requires_grad=x.get("requires_grad", False),
            is_leaf=x.get("is_leaf", True),
            grad_fn=None if x.get("grad_fn") is None else str(x.get("grad_fn"))[:80],
            cls=None if x.get("cls") is None else str(x.get("cls"))[:200],
            grad=None if grad is None else self.dec_tensor(grad, depth + 1),
            measured=self.worker)
        return t


def _list(x, key):
    v = x.get(key)
    if type(v) is not list:
        raise ProtocolError("expected a list")
    return v


def _shape(x):
    shape = x.get("shape")
    if type(shape) is not list or len(shape) > 16 or not all(type(s) is int and 0 <= s < 2**40
                                                              for s in shape):
        raise ProtocolError("bad shape")
    return shape


def roundtrip(value):
    """encode then decode: what the other side will see."""
    return decode(*split(encode(value)))
