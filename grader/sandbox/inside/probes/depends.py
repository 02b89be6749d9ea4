"""Whether the answer of a call whose contract is autograd depends on the gradients autograd
computed in it (grader.sandbox.inside.probes.guard.watched asks, for the first such call of a
function in a worker and for later ones drawn by a coin).

The evidence (_Evidence.verdict) shows that the engine ran on the call's own data. It cannot show
that the answer came from that run: a closed form worked out beside one backward pass of no use
(`sum(0 * p).backward()`, a leaf holding each returned number) passes it. So the call is run
twice more from the very state it begins in (the generators' states, its arguments), the call
itself on a third copy of its arguments made alike (written back into the caller's afterwards),
the three in an order drawn at random, so that nothing tells the call from the runs. One run is
as the call; it must give the call's answer (else "apart": the answer
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

import math
import os
import random
import sys

import numpy as np
import torch

from grader.sandbox.inside.probes.autograd_watch import _WATCHING
from grader.sandbox.inside.probes.copies import _tensors, copy_arguments
from grader.sandbox.inside.probes.copies import write_back as _write_back
from grader.sandbox.inside.probes.evidence import _Evidence

_Tensor, _Module = torch.Tensor, torch.nn.Module
_equal, _allclose = torch.equal, torch.allclose
_urandom = os.urandom
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
RERUNNING: list = []   # non-empty while a run beside the call runs (steps.record_steps skips it)


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


def answer(func, fn, args, kwargs, as_plain, counts):
    """A call of `func` (fn), whose contract is autograd: (its answer as plain data, why it is
    not known to come from autograd's gradients, or ""). The call runs on a copy of its
    arguments, written back into the caller's afterwards (copies.write_back). Where it is tried
    (wanted), two runs beside it are made on copies made alike, one as it is, one with every
    backward pass's gradients turned round, the three in an order drawn by a coin of the
    system's, each from the generators' states the call began in, each printing into the
    streams as they were before any of them (the call's prints put back after all three), each
    made by _one from the same line of the same loop: nothing tells the call from the runs,
    neither the objects it is given (none is the caller's), nor what it prints or reads, nor the
    stack above it. Arguments that cannot be copied (a lock or a generator kept on a model):
    the call runs on them as given and fails ("uncopied")."""
    tried = wanted(func, counts)
    # an untried call runs on a copy too, made as the runs' are: no call of the function ever
    # sees the objects the caller made (a submission that answers by hand where it sees them
    # would pass every tried call and cheat in the others)
    twins = copies(args, kwargs, RUNS if tried else ("call",))
    if twins is UNCOPIED:
        _FOUND[func] = "uncopied"
        twins, tried = {"call": (args, kwargs, None)}, False
    order = _order() if tried else ["call"]
    began, said, done = rng_states(), {"before": _streams(), "call": None}, {}
    try:
        for name in order:
            done[name] = _one(fn, twins[name], began, as_plain, name == "turned", said,
                              name == "call")
            if name == "call":
                ended = rng_states()
                if isinstance(done[name], BaseException):
                    break
    finally:
        if said["call"] is not None:
            _set_streams(said["call"])
        if "call" in done:
            set_rng_states(ended)
        if twins["call"][2] is not None:
            _write_back(twins["call"][2], args, kwargs)
    call = done["call"]
    if isinstance(call, BaseException):
        raise call
    raw_verdict, value, real = call
    if raw_verdict or not tried:
        return value, raw_verdict or known_unused(func)
    return value, _verdict(func, real, done["plain"], done["turned"])


def _one(fn, copied, began, as_plain, flip: bool, said, call: bool):
    """One run of `fn` on `copied` (args, kwargs, memo), from the generators' states `began`,
    every gradient turned round where `flip`, printing into the streams as `said` had them
    before the runs. The call's: (the evidence's verdict, its answer as plain data, (its answer,
    its arguments after) as _state reads them), or the exception it raised; a run's beside it:
    (its answer, its arguments after), _RAISED or _DIVERGED where it raised, None where it made
    no backward pass. Its answer is read alike in every run (the verdict, then plain data); the
    probes record a run's optimizer steps as they do the call's, then drop them (RERUNNING)."""
    args, kwargs, memo = copied
    set_rng_states(began)
    _set_streams(said["before"])
    watch = _Evidence(args, kwargs, flip=flip)
    _WATCHING.append(watch)
    _CALL.append(memo)
    if not call:
        RERUNNING.append(True)
    try:
        raw = fn(*args, **kwargs)
        why = watch.verdict(raw)
        value = as_plain(raw)
        kept = (_state(value), _state(list(args) + list(kwargs.values())))
    except Exception as exc:  # noqa: BLE001 - the call's is raised again; a run's tells what
        if call:              # it found (a turned run stopped where its values diverged tells
            return exc        # nothing: her guard)
        return _DIVERGED if flip and _diverged(watch, args, kwargs) else _RAISED
    finally:
        if not call:
            RERUNNING.pop()
        _CALL.pop()
        _WATCHING.remove(watch)
        if call:
            said["call"] = _streams()
        _set_streams(said["before"])
    if call:
        return why, value, kept
    return kept if watch.runs else None


def _streams():
    """The worker's output streams as they are: (stream, what it kept, its size, its total)."""
    return [(out, list(out.kept), out.size, out.total) for out in (sys.stdout, sys.stderr)
            if isinstance(getattr(out, "kept", None), list)]


def _set_streams(state) -> None:
    for out, text, size, total in state:
        out.kept, out.size, out.total = list(text), size, total


def in_call(obj):
    """The copy of `obj` of the run under way, the call's own or a run's beside it (_one),
    else `obj`: a probe's record of a model it handed in reads the model that run trains, the
    same way in every run."""
    memo = _CALL[-1] if _CALL else None
    twin = memo.get(id(obj)) if memo else None
    return obj if twin is None else twin


_CALL: list = []


RUNS = ("call", "plain", "turned")


def _order() -> list:
    """The three runs in an order drawn by a coin of the system's."""
    return sorted(RUNS, key=lambda _: _urandom(2))


def copies(args, kwargs, names=RUNS):
    """A deep copy of the call's arguments for each run of `names`, made alike and apart (a
    model, its optimizer and the tensors they share copied together), in an order drawn by a
    coin: {name: (args, kwargs, the copy's memo)}; UNCOPIED where they cannot be copied (an
    object of hers that refuses copy.deepcopy would spare its call the runs: the call fails
    instead, "uncopied")."""
    try:
        return {name: copy_arguments(args, kwargs) for name in _order() if name in names}
    except Exception:  # noqa: BLE001 - arguments that cannot be copied
        return UNCOPIED


class _Unknown:
    """A value that cannot be compared (_state's word for it)."""


_UNKNOWN = _Unknown
UNCOPIED = ("uncopied",)
_RAISED = "raised"                         # a run that raised
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


def _verdict(func, real, again, other) -> str:
    """What the runs beside the call show, against the call's `real` (answer, arguments after):
    - "apart": the run as it is failed, made no backward pass, or gave another answer, or the
      run turned round made none where it did: the answer comes from something beside its
      arguments (state kept between calls, a memo, telling the runs apart), which the run
      turned round cannot judge;
    - "raised": the run turned round failed where the one as it is did not (a check of its own
      that stops a run keeps the answer's source out of sight);
    - "unused": the run turned round came back the same, in all that could be compared;
    - "" otherwise ("uncopied", arguments that could not be copied, is found before).
    What is found holds for each later call of `func` in this worker (known_unused)."""
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
