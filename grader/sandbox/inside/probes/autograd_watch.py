"""What watches a manual call for autograd (grader.sandbox.inside.probes.guard.watched): with
autograd off, an operation run with grad mode on again or a dual tensor made; with it on, the
engine's and forward mode's entry points (wrapped in guard); either way, a forward-mode dual
level left open. Every function used here is bound before any student code runs."""
from __future__ import annotations

import contextlib

import torch
from torch.overrides import TorchFunctionMode

_grad_enabled = torch._C.is_grad_enabled


class _AutogradWatch(TorchFunctionMode):
    """Whether a "manual" function uses autograd though it is called with autograd off
    (CURRICULUM.md: it must give the same answer under torch.set_grad_enabled(False)): the
    name of the first torch operation it runs with grad mode on (it turned it on again:
    torch.enable_grad, torch.func.grad, set_grad_enabled(True)), or a forward-mode one (dual
    tensors: torch.autograd.forward_ad, torch.func.jvp and jacfwd), or that it started a
    thread or a process where autograd would be out of sight; else ""."""

    def __init__(self):
        super().__init__()
        self.used = ""
        self.unseen = False    # what it did may have used autograd out of the watch's sight

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if not self.used:
            name = str(getattr(func, "__name__", "") or "an operation")[:60]
            if _grad_enabled():
                self.used = f"ran {name} with grad mode on again"
            elif name in _FORWARD_AD:
                self.used = f"ran {name}: forward-mode autograd"
        return func(*args, **(kwargs or {}))


class _EngineWatch(contextlib.AbstractContextManager):
    """A manual function called with autograd on (a check comparing both modes): only the
    entry points wrapped above note what it did (the engine, dual tensors, a process)."""
    used, unseen = "", False

    def __exit__(self, *exc):
        return None


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
