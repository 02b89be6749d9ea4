"""Whether the answer of a call whose contract is autograd depends on the gradients autograd
computed in it (grader.sandbox.inside.probes.guard.watched asks, once per function in a worker).

The evidence (_Evidence.verdict) shows that the engine ran on the call's own data. It cannot show
that the answer came from that run: a closed form worked out beside one backward pass of no use
(`sum(0 * p).backward()`, a leaf holding each returned number) passes it. So the call is run a
second time, on deep copies of its arguments, with every backward pass started from -FLIP times
its usual gradient: every gradient the engine computes is then turned round and scaled (a
parameter's .grad, a retained one, what torch.autograd.grad returns), and an answer taken from
them changes: an SGD step, a momentum or Adam update, a returned gradient, a clipped one. An
answer, and arguments left after the call (a model's parameters), that come back the same were
not computed from autograd's gradients (gradients of zero, `sum(0 * p)`, are not turned by
anything: an answer that used them still changes only where they are not all zero, which the
checks' inputs see to). Where the second run makes no backward pass, or a value cannot be
compared, nothing is concluded."""
from __future__ import annotations

import copy
import math
import os
import random
import sys

import numpy as np
import torch
import torch.optim.optimizer as _optimizer

from grader.sandbox.inside.probes.autograd_watch import _WATCHING
from grader.sandbox.inside.probes.evidence import _Evidence

_Tensor, _Module = torch.Tensor, torch.nn.Module
_equal, _allclose = torch.equal, torch.allclose
_deepcopy, _urandom = copy.deepcopy, os.urandom
_get_rng, _set_rng = torch.get_rng_state, torch.set_rng_state
_np_get, _np_set = np.random.get_state, np.random.set_state
_py_get, _py_set = random.getstate, random.setstate
_cuda_initialized, _cuda_get = torch.cuda.is_initialized, torch.cuda.get_rng_state_all
_cuda_set = torch.cuda.set_rng_state_all
_UNKNOWN = object()
# a second run is made only where the call's counts (epochs, steps, iters: COUNTS) are at most
# this: a long run is told by a shorter call of the same function
MAX_COUNT = 100
_TRIED: set = set()    # the functions whose answer was tried in this worker
_FOUND: dict = {}      # func -> why its answer is not known to come from autograd's gradients
_STEP_HOOKS = (_optimizer._global_optimizer_pre_hooks, _optimizer._global_optimizer_post_hooks)


def known_unused(func: str) -> str:
    """What the call of `func` tried in this worker found ("unused", "uncopied": each later
    call of it fails the same way), else ""."""
    return _FOUND.get(func, "")


def wanted(func: str, counts: dict) -> bool:
    """Whether this call of `func` is the one to try: the first in this worker whose counts
    (name -> value of the count parameters given) are all at most MAX_COUNT."""
    if func in _TRIED or any(not isinstance(v, int) or v > MAX_COUNT for v in counts.values()):
        return False
    _TRIED.add(func)
    return True


def copies(args, kwargs):
    """Deep copies of the call's arguments, made before it runs (a model, its optimizer and
    the tensors they share copied together); UNCOPIED where they cannot be copied (an object
    of hers that refuses copy.deepcopy would spare its call the second run: the call fails
    instead, see unused)."""
    try:
        return _deepcopy((list(args), dict(kwargs)))
    except Exception:  # noqa: BLE001 - arguments that cannot be copied
        return UNCOPIED


UNCOPIED = ("uncopied",)


def first() -> bool:
    """Whether the second run goes first this time (a coin of the system's: a submission that
    tells a repeated call from the first cannot know which of the two is turned round)."""
    return bool(_urandom(1)[0] & 1)


def flipped(fn, copied, reseed, as_plain):
    """`fn` run on `copied` with every gradient turned round: (its answer, its arguments after),
    as _state reads them; None where it raises or makes no backward pass (it tells nothing).
    `reseed()` puts the global generators as they are before the call's own run."""
    if copied is UNCOPIED:
        return UNCOPIED
    c_args, c_kwargs = copied
    kept = _rng_states()       # the global generators as they were, put back after it
    if reseed is not None:
        reseed()
    watch = _Evidence(c_args, c_kwargs, flip=True)
    _WATCHING.append(watch)
    hooks = [dict(h) for h in _STEP_HOOKS]     # the probes' records of optimizer steps: not
    for h in _STEP_HOOKS:                      # of this run
        h.clear()
    streams = [(out, list(out.kept), out.size, out.total) for out in {sys.stdout, sys.stderr}
               if isinstance(getattr(out, "kept", None), list)]   # the worker's own streams:
    try:                                     # what the run prints is taken out of them after
        other = _state(as_plain(fn(*c_args, **c_kwargs)))
    except Exception:  # noqa: BLE001 - a run that stops once its gradients turn (a check of
        return None        # her own that the loss went down) tells nothing
    finally:
        _WATCHING.remove(watch)
        for h, was in zip(_STEP_HOOKS, hooks):
            h.clear()
            h.update(was)
        _set_rng_states(kept)
        for out, text, size, total in streams:
            out.kept, out.size, out.total = text, size, total
    return (other, _state(c_args + list(c_kwargs.values()))) if watch.runs else None


def _rng_states():
    try:
        cuda = _cuda_get() if _cuda_initialized() else None
    except Exception:  # noqa: BLE001 - a broken CUDA: its generators are left as they are
        cuda = None
    return _get_rng(), _np_get(), _py_get(), cuda


def _set_rng_states(states) -> None:
    torch_state, np_state, py_state, cuda = states
    _set_rng(torch_state)
    _np_set(np_state)
    _py_set(py_state)
    if cuda is not None:
        _cuda_set(cuda)


def unused(func, second, value, args, kwargs) -> str:
    """"unused" where the second run (`flipped`'s) returned the call's own answer `value`
    again and left its arguments as the call left `args`/`kwargs`; "uncopied" where they
    could not be copied; else "". What is found holds for each later call of `func`."""
    if second is UNCOPIED:
        _FOUND[func] = "uncopied"
    elif second is not None and _same(_state(value), second[0]) is True and \
            _same(_state(list(args) + list(kwargs.values())), second[1]) is True:
        _FOUND[func] = "unused"
    else:
        return ""
    return _FOUND[func]


def _state(x, depth=0):
    """The values in x to compare: tensors and arrays copied, a model's parameters and
    buffers, numbers; _UNKNOWN for what cannot be compared (an optimizer is left out)."""
    if depth > 4:
        return _UNKNOWN
    if isinstance(x, _Tensor):
        return x.detach().to("cpu", copy=True)
    if isinstance(x, np.ndarray):
        return np.array(x, copy=True)
    if isinstance(x, _Module):
        return [t.detach().to("cpu", copy=True) for t in
                list(x.parameters())[:256] + list(x.buffers())[:256]]
    if isinstance(x, torch.optim.Optimizer):
        return None
    if isinstance(x, np.generic):
        x = x.item()
    if x is None or isinstance(x, (bool, int, float, str, bytes)):
        return x
    if isinstance(x, (list, tuple)):
        return [_state(v, depth + 1) for v in x[:256]]
    if isinstance(x, dict):
        return {k: _state(v, depth + 1) for k, v in list(x.items())[:256]
                if isinstance(k, (str, int))}
    return _UNKNOWN


def _same(a, b):
    """True where a and b hold the same values to 1e-3 (NaN where NaN; what cannot be compared
    is left out, but one number at least is compared), False where they differ, None where
    nothing could be compared."""
    found = _compare(a, b)
    return False if False in found else True if True in found else None


def _compare(a, b) -> list:
    """True or False for each number, tensor or array compared in a and b."""
    if a is _UNKNOWN or b is _UNKNOWN:
        return []
    if isinstance(a, (_Tensor, np.ndarray)) or isinstance(b, (_Tensor, np.ndarray)):
        try:
            x, y = torch.as_tensor(a), torch.as_tensor(b)
            if x.shape != y.shape:
                return [False]
            if not (x.is_floating_point() or y.is_floating_point()):
                return [bool(_equal(x, y))] if x.dtype == y.dtype else [False]
            x, y = x.to(torch.float64), y.to(torch.float64)
            return [bool(_allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True))]
        except Exception:  # noqa: BLE001 - values that cannot be compared are left out
            return []
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [False]
        return [f for x, y in zip(a, b) for f in _compare(x, y)]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [False]
        return _compare(list(a.values()), list(b.values()))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return [a == b or math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL) or a != a and b != b]
    return [a == b] if type(a) is type(b) and isinstance(a, (bool, str, bytes)) or a is None \
        or b is None else []


# how near two runs' numbers are to count as the same (an answer made beside autograd, with a
# difference added to tell the runs apart, still has to pass the value checks' own tolerances)
RTOL, ATOL = 1e-3, 1e-6
