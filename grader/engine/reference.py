"""The reference solutions, run in the trusted process, once per distinct input per run.

    reference("ex02.gradient", [1., 2., 3.], [2., 4., 6.], 1.0)   # -> -9.333...

Results are cached by the bytes of their encoded inputs and handed out as fresh copies that have
been through the same encoder as a student's results, so both sides are compared alike. The
cache keeps the most recently used results up to MAX_CACHE_BYTES of frames; `table()` and
`preload()` hand it between processes as plain frames (grader.engine.reference_table), and
`recording()` names the results one class run asked for.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib

import torch

from grader.sandbox.device import seed_zero
from grader.sandbox import protocol
from grader.exercises import module_of

_cache: dict[bytes, bytes] = {}   # key -> frame, least recently used first
_cached_bytes = 0
_asked: set[bytes] | None = None  # the keys asked for while recording()
MAX_CACHE_BYTES = 64 * 1024 * 1024


def solution_module(ex: str):
    return importlib.import_module(f"solutions.{module_of(ex)}")


def _key(*parts) -> bytes:
    return hashlib.blake2b(protocol.encode(parts), digest_size=16).digest()


def _run(key, fn, args, kwargs, grad):
    frame = _cache.get(key)
    if frame is None:
        args, kwargs = protocol.roundtrip((args, kwargs))
        protocol.with_grad_leaves(args)
        seed_zero()   # as a worker before each call
        with torch.set_grad_enabled(True if grad is None else grad):
            value = fn(*args, **kwargs)
        frame = protocol.encode(value)
    _remember(key, frame)
    return protocol.decode(*protocol.split(frame))


def _remember(key: bytes, frame: bytes) -> None:
    global _cached_bytes
    old = _cache.pop(key, None)
    _cached_bytes += len(frame) - (len(old) if old is not None else 0)
    _cache[key] = frame
    if _asked is not None:
        _asked.add(key)
    while _cached_bytes > MAX_CACHE_BYTES and len(_cache) > 1:
        _cached_bytes -= len(_cache.pop(next(iter(_cache))))


def table(keys=None) -> dict[bytes, bytes]:
    """The cached results, or those of `keys`: {key: frame} (protocol frames, read only by
    protocol.decode)."""
    if keys is None:
        return dict(_cache)
    return {key: _cache[key] for key in keys if key in _cache}


@contextlib.contextmanager
def recording():
    """The keys of the results asked for meanwhile, as a set: a class run's table holds those
    only, not every result of the runs a long-lived process graded before."""
    global _asked
    outer, _asked = _asked, set()
    try:
        yield _asked
    finally:
        asked, _asked = _asked, outer
        if outer is not None:
            outer |= asked


def preload(entries: dict[bytes, bytes]) -> None:
    """Add results computed elsewhere (`table()` of another process of the same grader)."""
    for key, frame in entries.items():
        if key not in _cache:
            _remember(key, frame)


def reference(target: str, *args, grad: bool | None = None, **kwargs):
    """The reference solution's result for exNN.func(*args, **kwargs)."""
    ex, func = target.split(".", 1)
    fn = getattr(solution_module(ex), func)
    return _run(_key("call", target, args, kwargs, grad), fn, args, kwargs, grad)


def reference_probe(name: str, ex: str, *args, **kwargs):
    """A probe (grader.sandbox.inside.probes.<name>) run on the reference module."""
    module_name, _, func = name.rpartition(".")
    probe = getattr(importlib.import_module(f"grader.sandbox.inside.probes.{module_name}"), func)
    mod = solution_module(ex)
    return _run(_key("probe", name, ex, args, kwargs),
                lambda *a, **k: probe(mod, *a, **k), args, kwargs, None)
