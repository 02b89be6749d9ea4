"""Every call a check makes to a student's function, made here (grader.checks.calls.Guarded
sends each `sub.call` as the probe `call`; probes that call a student's function with a
check's data do it through `watched`): the call itself, and two contracts of CURRICULUM.md
("Decisions on contracts") that values alone cannot show.

- Inputs are not changed. Each tensor, array and list argument is copied before the call and
  compared after it (values, shape, dtype, requires_grad, .grad); a function whose contract
  updates in place (its name ends in "_": zero_grads_, sgd_update_) is exempt. When a tensor
  changed, the call is run again on fresh copies with the in-place operations on the inputs
  recorded, so the message can name the operation (`neg_`, `-=`, `[...] =`).
- The global random state. A function that takes a `seed` draws from its own generator: the
  global generators (torch's, NumPy's, Python's) are set to a state of their own before the
  call and must be found as they were after it.

What is found is returned as data beside the value; the trusted side words the failure.
"""
import inspect
import random

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from grader.sandbox.inside.probes.autograd_watch import (DUAL_LEVEL_OPEN, _WATCHING,
                                                        _AutogradWatch,
                                                        _KernelWatch, _dual_level_open)
from grader.sandbox.inside.probes import depends
from grader.sandbox.readback import as_plain

# bound before any student code: rebinding torch.equal or np.array_equal changes nothing here
_equal = torch.equal
_isnan = torch.isnan
_array_equal = np.array_equal
_get_rng = torch.get_rng_state
_cuda_initialized, _cuda_get_all = torch.cuda.is_initialized, torch.cuda.get_rng_state_all
_np_get, _py_get = np.random.get_state, random.getstate
_Tensor, _ndarray = torch.Tensor, np.ndarray
_TB = torch._C.TensorBase
_tensor_hooks = _TB._backward_hooks.__get__
_accumulate_hooks = _TB._post_accumulate_grad_hooks.__get__
_attributes = torch.Tensor.__dict__["__dict__"].__get__    # a tensor's own attributes


# the state the global generators are put in before a call that takes a seed: far from
# torch.manual_seed(0), the worker's own, and from any small seed a student would pass
PERTURB_SEED = 0x5EED_F00D_2026


def call(mod, func, args=(), kwargs=None, grad=None, seeded=None, manual=False, needs=False):
    """mod.func(*args, **kwargs) with autograd on or off (`grad`, None: on); returns
    {"value": its result, "guard": what the call did (see watched), when anything}, or
    {"missing": True}. `seeded`: the contract gives the function a seed (the trusted side
    knows it from the reference); None where it does not say. `manual`: the contract calls
    it manual (the trusted side's word): called with autograd on, its engine, forward mode,
    autograd's derivative formulas and complex tensors are still watched. `needs`: the
    contract asks it to compute with autograd (see watched's `_needs`)."""
    fn = getattr(mod, func, None)
    if fn is None:
        return {"missing": True}
    with torch.set_grad_enabled(True if grad is None else grad):
        value, found = watched(fn, func, *args, _seeded=seeded, _manual=grad is False,
                               _engine=bool(manual), _needs=bool(needs) and not manual and
                               grad is not False, **(kwargs or {}))
    return answer({"value": value}, found)


# the functions of the exercise whose probe comes next that the contract asks to compute with
# autograd, and the names of the count parameters that, given 0, ask for no backward pass (the
# trusted side's word, sent by grader.checks.calls.Guarded.probe: `expect`)
_EXPECTED: set = set()
_COUNTS: set = set()
_CONTRACT: dict = {}


def expect(mod, names, counts=(), params=None) -> None:
    """The trusted side's word for the next probe: which functions are autograd's (a probe
    that calls one of them through `watched` checks it as `call` does with `needs`), the names
    of the count parameters, and {function: its parameters' names in the contract} (a count is
    read by the contract's name, whatever her function calls that parameter)."""
    _EXPECTED.clear()
    _EXPECTED.update(str(n) for n in names)
    _COUNTS.clear()
    _COUNTS.update(str(n) for n in counts)
    _CONTRACT.clear()
    if isinstance(params, dict):
        _CONTRACT.update({str(k): [str(n) for n in v] for k, v in params.items()
                          if isinstance(v, (list, tuple))})


def watched(fn, func, *args, _seeded=None, _manual=False, _engine=False, _needs=False,
            **kwargs):
    """fn(*args, **kwargs), named `func`, watched: (its result, {"func": func, "changed":
    [[argument, what changed, in-place operations]], "rng": [the global generators whose
    state it changed], "autograd": [what a manual function did, out of sight], "no_autograd":
    why the answer of a function whose contract is autograd is not autograd's}, or None when
    it did none of these). `_manual`: called with autograd off; `_engine`: a manual function
    called with it on; `_needs` (or `func` expected, and no count of zero given): a function
    whose contract is autograd (accumulated_grad(x, 0) may run no backward). A probe
    that calls a student's function with a check's data calls it through this, and puts the
    second part in its answer with `answer`."""
    params = _parameters(fn)
    names = _names(params, len(args), kwargs)
    exempt = func.endswith("_")
    before = None if exempt else [_snap(a) for a in args] + [_snap(v) for v in kwargs.values()]
    # the contract's word where the trusted side gave it: a student's own __signature__ can
    # hide a seed parameter, never remove the contract's
    seeded = bool(_seeded) or "seed" in params
    autograd, no_autograd = "", ""
    given = list(zip(_CONTRACT[func][:len(args)] + list(kwargs) if func in _CONTRACT
                     else names, (*args, *kwargs.values())))     # by the contract's names
    zero = any(n in _COUNTS and type(v) is int and v == 0 for n, v in given)   # no backward
    needs = (_needs or func in _EXPECTED and not zero) and not (_manual or _engine)   # asked
    counts = {n: v for n, v in given if n in _COUNTS}
    if seeded:
        states = _perturb()
    if needs:   # the call, and the runs beside it (probes.depends): is its answer autograd's?
        value, no_autograd = depends.answer(func, fn, args, kwargs, as_plain, counts)
    elif _manual or _engine:   # a "manual" function: does it use autograd, in any thread?
        level_open = _dual_level_open()
        with (_AutogradWatch() if _manual else _KernelWatch()) as watch:
            _WATCHING.append(watch)
            try:     # its result read, into plain data, while the watch is on (readback)
                value = as_plain(fn(*args, **kwargs))
            finally:
                _WATCHING.remove(watch)
        if not watch.used and (level_open or _dual_level_open()):
            watch.used = DUAL_LEVEL_OPEN
        autograd = [watch.used, watch.unseen] if watch.used else ""
    else:
        value = fn(*args, **kwargs)
    rng = _rng_changed(states) if seeded else []
    changed = []
    if not exempt:
        after = list(args) + list(kwargs.values())
        for name, snap, now in zip(names, before, after):
            what = _diff(snap, now)
            if what:
                changed.append([name, what, []])
        if changed and any(s[0] == "tensor" for s in before) and \
                not any(_holds_other(s) for s in before):   # a model would train twice
            ops = _inplace_ops(fn, before, names, len(args), list(kwargs))
            for entry in changed:
                entry[2] = ops.get(entry[0], [])[:4]
    found = {"func": str(func), "changed": changed, "rng": rng, "autograd": autograd} \
        if changed or rng or autograd or no_autograd else None
    if no_autograd:
        found["no_autograd"] = no_autograd
    return value, found


def answer(out: dict, found) -> dict:
    """A probe's answer `out`, with what a watched call found under "guard" (nothing added when
    it found nothing: a reference's answer, recorded by `build`, stays as it was)."""
    if found:
        out["guard"] = found
    return out


def _parameters(fn) -> dict:
    """fn's parameters by name ({} where it has no signature to read)."""
    try:
        return dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}


def _names(params, n_args, kwargs):
    """The parameters' names of the positional arguments ("argument 2" where the signature
    does not say), then the keyword arguments'."""
    positional = [n for n, p in params.items()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [positional[i] if i < len(positional) else f"argument {i + 1}"
             for i in range(n_args)]
    return names + [str(k) for k in kwargs]


# -- inputs
def _snap(x, depth=0):
    """A copy of what the caller handed in, to compare with afterwards."""
    if depth > 8:
        return ("other", x)
    if isinstance(x, _Tensor):
        grad = x.grad if x.is_leaf else None
        return ("tensor", x, x.detach().clone(), x.requires_grad,
                None if grad is None else grad.detach().clone(), _extras(x))
    if isinstance(x, _ndarray):
        return ("array", x, x.copy(), bool(x.flags.writeable))
    if isinstance(x, list):
        return ("list", x, list(x), [_snap(v, depth + 1) for v in x])
    if isinstance(x, tuple):
        return ("tuple", x, [_snap(v, depth + 1) for v in x])
    if isinstance(x, dict):
        return ("dict", x, dict(x), {k: _snap(v, depth + 1) for k, v in x.items()})
    if x is None or isinstance(x, (bool, int, float, complex, str, bytes)):
        return ("plain", x)
    return ("other", x)   # a model, a function: not an input whose values are compared


def _same_values(a, b) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if _equal(a, b):
        return True
    if a.is_floating_point() or a.is_complex():
        return bool(((a == b) | (_isnan(a) & _isnan(b))).all())
    return False


def _diff(snap, now) -> str:
    """What the call changed in an argument, in words; "" when nothing."""
    kind = snap[0]
    if kind == "tensor":
        _, t, values, requires_grad, grad, extras = snap
        if t.shape != values.shape:
            return f"its shape, from {tuple(values.shape)} to {tuple(t.shape)}"
        if t.dtype != values.dtype:
            return f"its dtype, from {values.dtype} to {t.dtype}"
        if not _same_values(t.detach(), values):
            return "its values"
        if t.requires_grad != requires_grad:
            return f"its requires_grad, from {requires_grad} to {t.requires_grad}"
        now_grad = t.grad if t.is_leaf else None
        if (grad is None) != (now_grad is None) or \
                grad is not None and not _same_values(now_grad.detach(), grad):
            return "its .grad"
        return _extras_changed(extras, _extras(t))
    if kind == "array":
        _, a, values, writeable = snap
        if a.shape != values.shape:
            return f"its shape, from {values.shape} to {a.shape}"
        if a.dtype != values.dtype or not _array_equal(a, values, equal_nan=a.dtype.kind in "fc"):
            return "its values"
        if bool(a.flags.writeable) != writeable:
            return f"its flags.writeable, from {writeable} to {bool(a.flags.writeable)}"
        return ""
    if kind == "list":
        _, lst, items, snaps = snap
        if len(lst) != len(items):
            return f"its length, from {len(items)} to {len(lst)}"
        for i, (old, s) in enumerate(zip(items, snaps)):
            if lst[i] is not old:
                return f"its item {i}"
            what = _diff(s, lst[i])
            if what:
                return f"its item {i}: {what}"
        return ""
    if kind == "tuple":
        _, tup, snaps = snap
        for i, s in enumerate(snaps):
            what = _diff(s, tup[i])
            if what:
                return f"its item {i}: {what}"
        return ""
    if kind == "dict":
        _, d, items, snaps = snap
        if d.keys() != items.keys() or any(d[k] is not v for k, v in items.items()):
            return "its entries"
        for k, s in snaps.items():
            what = _diff(s, d[k])
            if what:
                return f"its entry {k!r}: {what}"
        return ""
    return ""


def hooks_on(t) -> tuple[int, int]:
    """How many gradient hooks a tensor carries: on its gradient, on its accumulated .grad
    (read through torch's C type: a subclass cannot hide them)."""
    hooks, accumulate = _tensor_hooks(t), _accumulate_hooks(t)
    return (len(hooks) if hooks else 0, len(accumulate) if accumulate else 0)


def _extras(t) -> tuple:
    """What else a caller's tensor carries: its gradient hooks (hooks_on) and the names of its
    own attributes."""
    return (*hooks_on(t), tuple(sorted(map(str, _attributes(t)))))


def _extras_changed(before, after) -> str:
    if after[0] > before[0] or after[1] > before[1]:
        return "its gradient hooks (a hook was registered on it)"
    if after[2] != before[2]:
        added = sorted(set(after[2]) - set(before[2]))
        return (f"its attributes (it was given {', '.join(added[:3])})" if added
                else "its attributes")
    return ""


INPLACE_DUNDERS = {"__iadd__": "+=", "__isub__": "-=", "__imul__": "*=", "__itruediv__": "/=",
                   "__ifloordiv__": "//=", "__ipow__": "**=", "__imod__": "%=",
                   "__imatmul__": "@=", "__iand__": "&=", "__ior__": "|=", "__ixor__": "^=",
                   "__setitem__": "[...] ="}


def _holds_other(snap) -> bool:
    kind = snap[0]
    if kind == "other":
        return True
    if kind == "list":
        return any(_holds_other(s) for s in snap[3])
    if kind == "tuple":
        return any(_holds_other(s) for s in snap[2])
    if kind == "dict":
        return any(_holds_other(s) for s in snap[3].values())
    return False


def _fresh(snap):
    """A new copy of an argument as the caller handed it in (from its snapshot)."""
    kind = snap[0]
    if kind == "tensor":
        _, _, values, requires_grad, grad, _ = snap
        t = values.clone().requires_grad_(requires_grad)
        if grad is not None:
            t.grad = grad.clone()
        return t
    if kind == "array":
        return snap[2].copy()
    if kind == "list":
        return [_fresh(s) for s in snap[3]]
    if kind == "tuple":
        return tuple(_fresh(s) for s in snap[2])
    if kind == "dict":
        return {k: _fresh(s) for k, s in snap[3].items()}
    return snap[1]


class _InPlace(TorchFunctionMode):
    """Records the in-place operations (`neg_`, `-=`, `[...] =`, `out=`) made on a tensor that
    shares its memory with an argument."""

    def __init__(self, owners):
        super().__init__()
        self.owners = owners   # data pointer -> argument name
        self.seen = {}

    def _owner(self, t):
        try:
            return self.owners.get(t.untyped_storage().data_ptr())
        except Exception:  # noqa: BLE001 - a tensor without storage (meta, sparse)
            return None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        op = None
        if args and isinstance(args[0], _Tensor):
            if name in INPLACE_DUNDERS:
                op = INPLACE_DUNDERS[name]
            elif name.endswith("_") and not name.startswith("_"):
                op = name
            owner = self._owner(args[0]) if op else None
            if owner and op not in self.seen.setdefault(owner, []):
                self.seen[owner].append(op)
        out = kwargs.get("out")
        if isinstance(out, _Tensor) and self._owner(out):
            self.seen.setdefault(self._owner(out), []).append(f"{name}(out=...)")
        return func(*args, **(kwargs or {}))


def _inplace_ops(fn, before, names, n_args, keys):
    """{argument name: in-place operations on it}, from the call run again on fresh copies
    (in the grad mode of the first run)."""
    try:
        fresh = [_fresh(s) for s in before]
        owners = {}
        for name, x in zip(names, fresh):
            if isinstance(x, _Tensor):
                owners[x.untyped_storage().data_ptr()] = name
        mode = _InPlace(owners)
        with mode:
            fn(*fresh[:n_args], **dict(zip(keys, fresh[n_args:])))
        return mode.seen
    except Exception:  # noqa: BLE001 - the operations are a courtesy; the change was seen
        return {}


# -- the global random state
def _perturb():
    """Put the global generators in a state of their own; return it."""
    torch.manual_seed(PERTURB_SEED)     # CUDA's generators too, where CUDA is in use
    np.random.seed(PERTURB_SEED % 2**32)
    random.seed(PERTURB_SEED)
    return _get_rng(), _np_get(), _py_get(), _cuda_states()


def _cuda_states():
    """CUDA's global generators' states, where CUDA is already in use in this process (asking
    for them would start it otherwise); None where it is not."""
    try:
        if not _cuda_initialized():
            return None
        return _cuda_get_all()
    except Exception:  # noqa: BLE001 - a broken CUDA: its generators are not watched
        return None


def _rng_changed(states) -> list:
    torch_state, np_state, py_state, cuda_states = states
    changed = []
    if not _equal(_get_rng(), torch_state):
        changed.append("torch")
    now_cuda = _cuda_states() if cuda_states is not None else None
    if cuda_states is not None and (now_cuda is None or len(now_cuda) != len(cuda_states) or
                                    not all(_equal(a, b) for a, b in zip(now_cuda, cuda_states))):
        changed.append("torch.cuda")
    now = _np_get()
    if now[0] != np_state[0] or not _array_equal(now[1], np_state[1]) or now[2:] != np_state[2:]:
        changed.append("numpy")
    if _py_get() != py_state:
        changed.append("random")
    return changed
