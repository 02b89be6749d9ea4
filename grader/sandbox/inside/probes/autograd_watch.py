"""What watches a call for autograd (grader.sandbox.inside.probes.guard.watched).

A manual function, called with autograd off: an operation run with grad mode on again or a
dual tensor made; with it on or off: one of autograd's own derivative formulas run by hand (a
`*_backward` kernel: torch.ops.aten.mse_loss_backward, tanh_backward, convolution_backward,
_softmax_backward_data, reached by any name), a complex tensor made (complex-step
differentiation), the engine and forward mode's entry points (wrapped in guard), and a
forward-mode dual level left open.

A function whose contract is autograd (USES_AUTOGRAD): which leaves each run of the engine
reached through its graph and which gradients it computed (_Evidence), so that its answer is
known to come from autograd run on the call's own data. Every function used here is bound
before any student code runs."""
from __future__ import annotations

import re

import torch
from torch.overrides import TorchFunctionMode

from grader.sandbox.inside.probes.evidence import _Evidence

_grad_enabled = torch._C.is_grad_enabled
_Tensor, _Module = torch.Tensor, torch.nn.Module
_is_complex = torch._C.TensorBase.is_complex
_equal, _allclose = torch.equal, torch.allclose
_float64 = torch.float64

# autograd's derivative formulas as torch names its kernels: mse_loss_backward,
# convolution_backward_overrideable, _softmax_backward_data, glu_jvp, and the derivatives of
# the random samplers' parameters (tests/sandbox/test_watch_kernels.py reads every aten name)
_KERNEL = re.compile(r"(^|_)backward(_|$)|(^|_)[jv]vp(_|$)")
_KERNELS = frozenset({"_dirichlet_grad", "_standard_gamma_grad", "gradient", "_fw_primal",
                      "_unpack_dual", "_make_dual"})


def derivative_kernel(name: str) -> bool:
    """Whether a torch operation (its name, with an overload's ".default" or not) is one of
    autograd's derivative formulas, or numerical differentiation (torch.gradient)."""
    known = _KNOWN.get(name)
    if known is None:
        base = name.split(".", 1)[0]
        known = bool(_KERNEL.search(base)) or base in _KERNELS
        if len(_KNOWN) < 10_000:
            _KNOWN[name] = known
    return known


_KNOWN: dict = {}     # name -> derivative_kernel(name), as operations are met


def _complex(out, depth=0) -> bool:
    """Whether an operation's result is, or holds, a complex tensor."""
    if isinstance(out, _Tensor):
        return bool(_is_complex(out))
    if isinstance(out, (tuple, list)) and depth < 2:
        return any(_complex(o, depth + 1) for o in out[:8])
    return False


class _KernelWatch(TorchFunctionMode):
    """A "manual" function (CURRICULUM.md: no autograd) called with autograd on (a check
    comparing both modes): the first torch operation it runs that is one of autograd's
    derivative formulas, or that makes a complex tensor; the entry points wrapped below note
    the engine, dual tensors and processes."""
    grad_off = False

    def __init__(self):
        super().__init__()
        self.used = ""
        self.unseen = False    # what it did may have used autograd out of the watch's sight

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        if self.used:
            return func(*args, **kwargs)
        kept = _SAID.get(id(func))
        name, forward, kernel = kept[1] if kept is not None and kept[0] is func else \
            _said(func)
        if self.grad_off and _grad_enabled():
            self.used = f"ran {name} with grad mode on again"
        elif self.grad_off and forward:
            self.used = f"ran {name}: forward-mode autograd"
        elif kernel:
            self.used = f"ran {name}: one of autograd's derivative formulas"
        out = func(*args, **kwargs)
        if not self.used and (_is_complex(out) if out.__class__ is _Tensor else _complex(out)):
            self.used = f"made a complex tensor with {name}: complex-step differentiation"
        return out


def _said(func) -> tuple:
    """(an operation's name, whether it is forward mode's, whether it is one of autograd's
    derivative formulas), kept in _SAID per operation object (by identity: an object's own
    equality never answers for another): the watch sees every operation of a call."""
    name = getattr(func, "__name__", None)
    name = name[:60] if isinstance(name, str) and name else "an operation"
    said = (name, name in _FORWARD_AD, derivative_kernel(name))
    if len(_SAID) < 10_000 and type(func) is not _MethodWrapper:   # (a property's getter
        _SAID[id(func)] = (func, said)    # is new at each use; the object kept: its id is
    return said                           # never another's while it is here)


_SAID: dict = {}
_MethodWrapper = type(_Tensor.grad.__get__)


class _AutogradWatch(_KernelWatch):
    """A manual function called with autograd off (it must give the same answer under
    torch.set_grad_enabled(False)): what _KernelWatch notes, and the first torch operation it
    runs with grad mode on (it turned it on again: torch.enable_grad, torch.func.grad,
    set_grad_enabled(True)), or a forward-mode one (dual tensors: torch.autograd.forward_ad,
    torch.func.jvp and jacfwd); else ""."""
    grad_off = True


# (unpacking is not: printing a tensor unpacks it, dual or not)
_FORWARD_AD = {"_make_dual", "make_dual"}
# a dual level left open (at import, by another call): a dual tensor made there, a "unit" of
# tangent 1 added to an input, gives the call forward mode's derivative with no make_dual in
# it (the twelfth attack round's F01-F03, F07, F11: kept as a default, a class attribute, a
# decorator's, a logger's, a cache's)
DUAL_LEVEL_OPEN = "ran with a forward-mode dual level open: forward-mode autograd"
_enter_dual_level, _exit_dual_level = torch._C._enter_dual_level, torch._C._exit_dual_level


def _dual_level_open() -> bool:
    """Whether a forward-mode dual level is open in this process, as torch's C side keeps it
    (one may be open at a time: entering a second is refused)."""
    try:
        level = _enter_dual_level()
    except RuntimeError:
        return True
    _exit_dual_level(level=level)
    return False


# A "manual" function computes its answer itself. Autograd run in another thread (grad mode is
# per thread, and so is the torch function mode) or in another process (a fresh interpreter) is
# out of the watch's sight: so autograd's own entry points (its engine, which backward() and
# torch.autograd.grad run in any thread; forward mode's dual tensors), what turns the torch
# function modes off (torch._C.DisableTorchFunction, a function state set to disabled, a
# skipped hop: the watch's own mode with them) and the ways a worker starts a process are
# wrapped here, before any student code, and note what they did during a watched call. Every
# reference a loaded module holds to them is the wrapper (subprocess keeps its own
# `_fork_exec`, torch.autograd its `_engine_run_backward`); modules imported later read them
# from these modules. Threads themselves are allowed (a progress bar's, a loader's).
_WATCHING: list = []
_set_state, _ENABLED = torch._C._set_torch_function_state, torch._C._TorchFunctionState.ENABLED


def _noted(what, unseen, original):
    def noting(*args, **kwargs):
        if original is not _set_state or args and args[0] != _ENABLED:   # (on again: honest)
            for watch in _WATCHING:
                if not watch.used:
                    watch.used, watch.unseen = what, unseen
        return original(*args, **kwargs)
    # the original's name where pickle and repr look (pickle.dumps(os.system) still names it)
    noting.__module__, noting.__name__ = original.__module__, original.__name__
    noting.__qualname__ = getattr(original, "__qualname__", original.__name__)
    return noting


def _wrap_entry_points():
    import posix
    import sys
    import torch.autograd.forward_ad as forward_ad
    import torch.autograd.graph as graph
    try:
        import _posixsubprocess
    except ImportError:      # not on this system
        _posixsubprocess = None
    process = "started a process"
    wrapped = {}
    for module, names, what, unseen in (
            (graph, ("_engine_run_backward",), "ran autograd's backward pass", False),
            (forward_ad, ("make_dual",), "made dual tensors: forward-mode autograd", False),
            (torch._C, ("DisableTorchFunction", "_set_torch_function_state",
                        "_set_skip_next_torch_function", "_skip_one_hop_torch_function"),
             "turned torch's function modes off", True),
            (posix, ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system"), process, True),
            (_posixsubprocess, ("fork_exec",), process, True)):
        for name in names:
            original = getattr(module, name, None) if module is not None else None
            if callable(original):
                wrapped[id(original)] = (original, _noted(what, unseen, original))
    for module in list(sys.modules.values()):
        try:
            space = vars(module)
        except TypeError:
            continue
        for name, value in list(space.items()):
            if id(value) in wrapped and wrapped[id(value)][0] is value:
                space[name] = wrapped[id(value)][1]
    _watch_engine()


def _watch_engine():
    """autograd's engine as torch reaches it (Variable._execution_engine) with its backward
    pass noted (the C engine's run_backward called directly, in any thread, past
    _engine_run_backward), and, for a call whose contract is autograd, shown to its _Evidence."""
    from torch.autograd.variable import Variable
    engine = Variable._execution_engine
    noting = _noted("ran autograd's backward pass", False, engine.run_backward)

    def run_backward(*args, **kwargs):
        evidence = [w for w in _WATCHING if isinstance(w, _Evidence)]
        if not evidence:
            return noting(*args, **kwargs)
        return evidence[-1].run(noting, args, kwargs)

    class _Engine:
        __slots__ = ()

        def __getattr__(self, name):
            return run_backward if name == "run_backward" else getattr(engine, name)

    Variable._execution_engine = _Engine()


_wrap_entry_points()
