"""Whether the answer of a call whose contract is autograd depends on the gradients autograd
computed in it (grader.sandbox.inside.probes.guard.watched asks, for the first such call of a
function in a worker and for later ones drawn by a coin).

The evidence (_Evidence.verdict) shows that the engine ran on the call's own data. It cannot show
that the answer came from that run: a closed form worked out beside one backward pass of no use
(`sum(0 * p).backward()`, a leaf holding each returned number) passes it. So the call is run
twice more from the very state it begins in: in children forked right before it (its own
arguments, the module's globals, the generators, the count of its calls all as the call finds
them; nothing a child does comes back), or, where the worker may not fork (CUDA in use), on deep
copies after it. One run is as the call; it must give the call's answer (else "apart": the answer
comes from something beside the arguments, such as telling the runs apart or a value kept between
calls). The other starts every backward pass from -FLIP times its usual gradient, so every
gradient the engine computes turns round and scales (a parameter's .grad, a retained one, what
torch.autograd.grad returns), and an answer taken from them changes: an SGD step, a momentum or
Adam update, a returned gradient, a clipped one. An answer, and arguments left after the call (a
model's parameters), that come back the same were not computed from autograd's gradients
("unused"; gradients of zero, `sum(0 * p)`, are not turned by anything: an answer that used them
still changes only where they are not all zero, which the checks' inputs see to). A turned run
that fails or makes no backward pass tells nothing."""
from __future__ import annotations

import copy
import math
import os
import pickle
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
_pipe, _read, _write, _close = os.pipe, os.read, os.write, os.close
_fork = getattr(os, "fork", None)      # none on Windows: the runs are then made on copies only
_exit, _waitpid, _dumps, _loads = os._exit, os.waitpid, pickle.dumps, pickle.loads
_set_threads = torch.set_num_threads
_get_rng, _set_rng = torch.get_rng_state, torch.set_rng_state
_np_get, _np_set = np.random.get_state, np.random.set_state
_py_get, _py_set = random.getstate, random.setstate
_cuda_initialized, _cuda_get = torch.cuda.is_initialized, torch.cuda.get_rng_state_all
_cuda_set = torch.cuda.set_rng_state_all
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
    """Whether this call of `func` is one to try: its counts (name -> value of the count
    parameters given) are all at most MAX_COUNT, and it is the first such call in this worker,
    or a later one drawn by a coin of the system's (one in LATER_ODDS): a function that answers
    from autograd's gradients only in its first calls is tried again where it does not."""
    if any(not isinstance(v, int) or v > MAX_COUNT for v in counts.values()):
        return False
    if func in _TRIED and _urandom(1)[0] % LATER_ODDS:
        return False
    _TRIED.add(func)
    return True


LATER_ODDS = 4


def before(fn, args, kwargs, as_plain):
    """What the runs beside the call need, taken right before it: deep copies of its arguments
    and the generators' states. The three runs (the call, the run as it is, the run turned
    round) come in an order drawn by a coin of the system's, so that a submission that keeps
    count of what it has seen cannot know which run is turned: the runs drawn before the call
    are made here, the others after it (verdict). Where the arguments cannot be copied (a
    tensor of hers that is not a leaf, kept on a model) and the worker may fork (no CUDA in
    use), the two runs are made in children forked from the very state the call begins in."""
    twins = copies(args, kwargs)
    if twins is UNCOPIED:
        if not _cuda_initialized():
            made = {name: _forked(fn, args, kwargs, as_plain, name == "turned")
                    for name in _order() if name != "call"}      # in an order drawn
            runs = [made["plain"], made["turned"]]
            if _FAILED not in runs:
                return ("forked", runs)
        return ("copied", UNCOPIED)
    began, done = rng_states(), {}
    order = _order()
    for name in order[:order.index("call")]:
        done[name] = _rerun(fn, twins[name == "turned"], began, as_plain, name == "turned")
    if done:
        set_rng_states(began)      # the call starts from the state the runs started from
    return ("copied", twins, began, done, order)


def _order() -> list:
    """The three runs in an order drawn by a coin of the system's."""
    return sorted(("call", "plain", "turned"), key=lambda _: _urandom(2))


def copies(args, kwargs):
    """Two deep copies of the call's arguments, each made apart (a model, its optimizer and the
    tensors they share copied together): one for the run as it is, one for the run turned
    round; UNCOPIED where they cannot be copied (an object of hers that refuses copy.deepcopy
    would spare its call the runs: the call fails instead, see verdict)."""
    try:
        first, second = _copy(args, kwargs), _copy(args, kwargs)
    except Exception:  # noqa: BLE001 - arguments that cannot be copied
        return UNCOPIED
    return (first, second) if _urandom(1)[0] & 1 else (second, first)   # which is turned: a coin


def _copy(args, kwargs):
    """A deep copy of the arguments with each tensor's .grad too (deepcopy leaves a
    parameter's out: a step that adds to a stale gradient would then differ), and each tensor
    of hers that is not a leaf (deepcopy refuses one) as a leaf holding its values: a model
    that keeps `self.start = self.a * 1.0` is copied, not run in forked children."""
    memo: dict = {id(t): t.detach().clone().requires_grad_(t.requires_grad)
                  for t in _not_leaves((list(args), list(kwargs.values())))}
    copied = _deepcopy((list(args), dict(kwargs)), memo)
    for t in _tensors((list(args), list(kwargs.values()))):
        twin = memo.get(id(t))
        if isinstance(twin, _Tensor) and t.grad is not None and twin.grad is None:
            twin.grad = t.grad.detach().clone()
    return copied


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
    elif isinstance(getattr(x, "__dict__", None), dict):
        for v in list(vars(x).values())[:64]:
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
        elif isinstance(getattr(x, "__dict__", None), dict):
            todo.extend((v, depth + 1) for v in list(vars(x).values())[:64])


class _Unknown:
    """A value that cannot be compared (_state's word for it; pickles as itself)."""


_UNKNOWN = _Unknown
UNCOPIED = ("uncopied",)
_RAISED, _FAILED = "raised", "failed"      # a run that raised; a child that could not be had
_DIVERGED = "diverged"                     # a turned run stopped by her guard as it blew up


def rng_states():
    """The global generators' states (CUDA's where it is in use), to run a copy from the state
    the call itself began in (set_rng_states)."""
    try:
        cuda = _cuda_get() if _cuda_initialized() else None
    except Exception:  # noqa: BLE001 - a broken CUDA: its generators are left as they are
        cuda = None
    return _get_rng(), _np_get(), _py_get(), cuda


def set_rng_states(states) -> None:
    torch_state, np_state, py_state, cuda = states
    _set_rng(torch_state)
    _np_set(np_state)
    _py_set(py_state)
    if cuda is not None:
        _cuda_set(cuda)


def verdict(func, fn, beside, as_plain, value, args, kwargs) -> str:
    """After a call that answered `value` and left `args`/`kwargs` so, what the runs beside it
    (`before`'s, the rest made here) show:
    - "apart": the run as it is failed, made no backward pass, or gave another answer, or the
      run turned round made none where it did: the answer comes from something beside its
      arguments (state kept between calls, a memo, telling the runs apart), which the run
      turned round cannot judge;
    - "raised": the run turned round failed where the one as it is did not (a check of its own
      that stops a run keeps the answer's source out of sight);
    - "unused": the run turned round came back the same, in all that could be compared;
    - "uncopied": the arguments could not be copied (where no child could be forked);
    - "" otherwise.
    What is found holds for each later call of `func` in this worker (known_unused)."""
    how, *rest = beside
    if how == "copied" and rest[0] is UNCOPIED:
        _FOUND[func] = "uncopied"
        return _FOUND[func]
    real = (_state(value), _state(list(args) + list(kwargs.values())))
    if how == "forked":
        again, other = rest[0]
    else:
        twins, began, done, order = rest
        kept = rng_states()
        try:
            for name in order[order.index("call") + 1:]:     # the rest, in the order drawn
                done[name] = _rerun(fn, twins[name == "turned"], began, as_plain,
                                    name == "turned")
        finally:
            set_rng_states(kept)
        again, other = done["plain"], done["turned"]
    if again in (None, _RAISED) or other is None or \
            any(_same(a, b) is False for a, b in zip(again, real)):
        _FOUND[func] = "apart"
    elif other == _RAISED:
        _FOUND[func] = "raised"
    elif other != _DIVERGED:
        found = [_same(a, b) for a, b in zip(other, real)]
        if False not in found and True in found:
            _FOUND[func] = "unused"
    return _FOUND.get(func, "")


def _rerun(fn, copied, began, as_plain, flip: bool):
    """`fn` run here on `copied`, from the generators' states `began`, every gradient turned
    round where `flip`: (its answer, its arguments after), as _state reads them; _RAISED where
    it raises, None where it makes no backward pass. What it prints is taken back out of the
    worker's own streams; the probes' records of optimizer steps are not of this run."""
    c_args, c_kwargs = copied
    set_rng_states(began)
    hooks = [dict(h) for h in _STEP_HOOKS]
    for h in _STEP_HOOKS:
        h.clear()
    streams = [(out, list(out.kept), out.size, out.total) for out in {sys.stdout, sys.stderr}
               if isinstance(getattr(out, "kept", None), list)]
    try:
        return _run(fn, c_args, c_kwargs, as_plain, flip)
    finally:
        for h, was in zip(_STEP_HOOKS, hooks):
            h.clear()
            h.update(was)
        for out, text, size, total in streams:
            out.kept, out.size, out.total = text, size, total


def _run(fn, args, kwargs, as_plain, flip: bool):
    watch = _Evidence(args, kwargs, flip=flip)
    _WATCHING.append(watch)
    try:
        other = _state(as_plain(fn(*args, **kwargs)))
    except Exception:  # noqa: BLE001 - a turned run that stops where its values diverged (her
        return _DIVERGED if flip and _diverged(watch, args, kwargs) else _RAISED   # guard)
    finally:                                                                # tells nothing
        _WATCHING.remove(watch)
    return (other, _state(list(args) + list(kwargs.values()))) if watch.runs else None


def _diverged(watch, args, kwargs) -> bool:
    """Whether a run's last loss or a tensor it was given is no longer finite, or its loss grew
    a hundredfold (gradient ascent blowing up: an honest guard of hers that raises there is no
    test of the runs; one that raises before, at a loss that merely went up, is)."""
    try:
        last = [r for r, _ in watch.roots[-1:]]
        held = list(_tensors((list(args), list(kwargs.values()))))[:512]
        if any(not bool(torch.isfinite(t.detach()).all()) for t in last + held
               if t.is_floating_point()):
            return True
        first = [float(r) for r, _ in watch.roots[:1]]   # or its loss grew a hundredfold
        return bool(first and last) and abs(float(last[0])) > 100 * max(abs(first[0]), 1e-12)
    except Exception:  # noqa: BLE001 - what cannot be read is not taken for a divergence
        return False


def _forked(fn, args, kwargs, as_plain, flip: bool):
    """_run in a child forked here, on the call's own arguments, its answer sent back pickled;
    _FAILED where no child could be had or it sent nothing back."""
    if _fork is None:
        return _FAILED
    try:
        r, w = _pipe()
        pid = _fork()
    except OSError:
        return _FAILED
    if pid == 0:                  # the child: run, send, and leave at once (no cleanup of the
        code = 0                  # worker's runs in it, no reply of its own)
        try:
            _close(r)
            _set_threads(1)      # a thread pool of the parent's is not in the child
            data = _dumps(_run(fn, args, kwargs, as_plain, flip))
            view = memoryview(data)
            while view:
                view = view[_write(w, view):]
        except BaseException:  # noqa: BLE001 - nothing sent: the parent reads it as failed
            code = 1
        finally:
            _exit(code)
    _close(w)
    chunks = []
    try:
        while True:
            chunk = _read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        _close(r)
        _waitpid(pid, 0)
    try:
        return _loads(b"".join(chunks)) if chunks else _FAILED
    except Exception:  # noqa: BLE001 - a reply that does not read back tells nothing
        return _FAILED


def _state(x, depth=0):
    """The values in x to compare: tensors and arrays copied, a model's parameters and
    buffers, numbers; _UNKNOWN for what cannot be compared (an optimizer is left out)."""
    if depth > 4:
        return _UNKNOWN
    if isinstance(x, _Tensor):
        return x.detach().to("cpu", copy=True)
    if isinstance(x, np.ndarray):
        return np.array(x, copy=True)
    if isinstance(x, _Module):      # its parameters: what training changes (a buffer of hers
        return [t.detach().to("cpu", copy=True) for t in list(x.parameters())[:256]]   # may
        # hold anything, a gradient kept to make the runs differ)
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
