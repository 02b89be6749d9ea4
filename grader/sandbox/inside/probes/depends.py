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

import contextlib
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


def before(fn, args, kwargs, as_plain):
    """What the runs beside the call need, taken right before it: three deep copies of its
    arguments, made alike in an order drawn by a coin of the system's: one the call itself
    runs on (call_arguments; written back into the caller's arguments afterwards, write_back),
    one for the run as it is, one for the run turned round. Nothing then tells the call from
    the runs: none of the three is the object the caller made (a registry her __init__ fills,
    a tensor's storage as the grader decoded it, its version counter), and the three runs come
    in an order drawn at random, so that a submission that keeps count of what it has seen
    cannot know which run is turned: the runs drawn before the call are made here, the others
    after it (verdict). Arguments that cannot be copied (a lock or a generator kept on a
    model): UNCOPIED, the call runs on them as given and fails (verdict)."""
    twins = copies(args, kwargs)
    if twins is UNCOPIED:
        return ("copied", UNCOPIED)
    began, done = rng_states(), {}
    order = _order()
    said = {"before": _streams(), "call": None}    # what was printed before the three runs
    for name in order[:order.index("call")]:
        done[name] = _rerun(fn, twins[name], began, as_plain, name == "turned", said)
    if done:
        set_rng_states(began)      # the call starts from the state the runs started from
    return ("copied", twins, began, done, order, said)


def alone(args, kwargs):
    """A call not tried (wanted): it runs on a copy of its arguments too, made as the runs'
    copies are, so that no call of the function ever sees the objects the caller made (a
    submission that answers by hand where it sees them would pass every tried call, made on
    copies, and cheat in the others)."""
    try:
        return ("alone", {"call": copy_arguments(args, kwargs)})
    except Exception:  # noqa: BLE001 - arguments that cannot be copied: see verdict
        return ("copied", UNCOPIED)


def write_back(beside, args, kwargs) -> None:
    """The call's copy, as the call left it, into the arguments the caller holds (copies), and
    what the call printed into the worker's streams (each run printed into a view of them as
    they were before the three runs, so no run sees what another printed)."""
    if beside is None or beside[1] is UNCOPIED:
        return
    if beside[0] == "copied" and beside[5]["call"] is not None:
        _set_streams(beside[5]["call"])
    _write_back(beside[1]["call"][2], args, kwargs)


def call_arguments(beside, args, kwargs):
    """The arguments the call runs on: its own copy (before), or those given where nothing
    was copied."""
    if beside is None or beside[1] is UNCOPIED:
        return args, kwargs
    return beside[1]["call"][:2]


@contextlib.contextmanager
def calling(beside):
    """While the call runs on its copy: in_call() gives the copy of what the caller holds.
    A tried call prints into a view of the streams as they were before the three runs, kept
    aside until they all ran (write_back)."""
    memo = None if beside is None or beside[1] is UNCOPIED else beside[1]["call"][2]
    said = beside[5] if beside is not None and beside[0] == "copied" and \
        beside[1] is not UNCOPIED else None
    if said is not None:
        _set_streams(said["before"])
    _CALL.append(memo)
    try:
        yield
    finally:
        _CALL.pop()
        if said is not None:
            said["call"] = _streams()
            _set_streams(said["before"])


def _streams():
    """The worker's output streams as they are: (stream, what it kept, its size, its total)."""
    return [(out, list(out.kept), out.size, out.total) for out in (sys.stdout, sys.stderr)
            if isinstance(getattr(out, "kept", None), list)]


def _set_streams(state) -> None:
    for out, text, size, total in state:
        out.kept, out.size, out.total = list(text), size, total


def in_call(obj):
    """The copy of `obj` of the run under way, the call's own (calling) or a run's beside it,
    else `obj`: a probe's record of a model it handed in reads the model that run trains, the
    same way in every run."""
    memo = _CALL[-1] if _CALL else None
    twin = memo.get(id(obj)) if memo else None
    return obj if twin is None else twin


_CALL: list = []


def _order() -> list:
    """The three runs in an order drawn by a coin of the system's."""
    return sorted(("call", "plain", "turned"), key=lambda _: _urandom(2))


def copies(args, kwargs):
    """Three deep copies of the call's arguments, made alike and apart (a model, its optimizer
    and the tensors they share copied together), in an order drawn by a coin: {"call",
    "plain", "turned": (args, kwargs, the copy's memo)}; UNCOPIED where they cannot be copied
    (an object of hers that refuses copy.deepcopy would spare its call the runs: the call
    fails instead, see verdict)."""
    try:
        return {name: copy_arguments(args, kwargs) for name in _order()}
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
    - "uncopied": the arguments could not be copied;
    - "" otherwise.
    What is found holds for each later call of `func` in this worker (known_unused)."""
    how, *rest = beside
    if how == "copied" and rest[0] is UNCOPIED:
        _FOUND[func] = "uncopied"
        return _FOUND[func]
    real = (_state(value), _state(list(args) + list(kwargs.values())))
    twins, began, done, order, said = rest
    kept = rng_states()
    try:
        for name in order[order.index("call") + 1:]:     # the rest, in the order drawn
            done[name] = _rerun(fn, twins[name], began, as_plain, name == "turned", said)
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


def _rerun(fn, copied, began, as_plain, flip: bool, said):
    """`fn` run here on `copied`, from the generators' states `began`, every gradient turned
    round where `flip`: (its answer, its arguments after), as _state reads them; _RAISED where
    it raises, None where it makes no backward pass. It prints into a view of the streams as
    they were before the three runs (`said`), taken back out after; the probes record its
    optimizer steps as they do the call's, then drop them (RERUNNING), and every hook of hers
    stays as it is in the call."""
    c_args, c_kwargs, memo = copied
    set_rng_states(began)
    _set_streams(said["before"])
    RERUNNING.append(True)
    _CALL.append(memo)
    try:
        return _run(fn, c_args, c_kwargs, as_plain, flip)
    finally:
        _CALL.pop()
        RERUNNING.pop()
        _set_streams(said["before"])


def _run(fn, args, kwargs, as_plain, flip: bool):
    watch = _Evidence(args, kwargs, flip=flip)
    _WATCHING.append(watch)
    try:        # its answer read as the call's is: the evidence's verdict, then plain data
        raw = fn(*args, **kwargs)
        watch.verdict(raw)
        other = _state(as_plain(raw))
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
