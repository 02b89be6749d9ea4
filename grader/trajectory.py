"""Training compared step by step: record a model's parameters after every optimizer step (in the
worker, inside a probe), and compare two such records (on the trusted side).

In a probe (runs in the worker, next to the student's module):

    from grader.trajectory import record_steps
    with record_steps(model) as steps:
        losses = mod.fit_optim(model, x, y, lr, 300)
    return {"losses": losses, "steps": steps.trace()}

`record_steps` hooks every `torch.optim` optimizer for the duration of the block (PyTorch's global
step post-hook), so whatever optimizer the student's code creates, each `optimizer.step()` adds
one entry: {parameter name: its value after that step}. `trace()` stacks them, one tensor of shape
(S, *parameter shape) per name, on the CPU.

On the trusted side, `assert_steps(got, want, call=...)` finds the first step where the two runs
part and says which parameter differs there, by how much, and, when the student's run matches a
run with a known mistake (gradients never zeroed, a batch order from another generator), names it.
"""
from __future__ import annotations

import numpy as np
import torch

from grader.numeric import TRAJECTORY_TOL, as_array, fail, kind_of, show


class record_steps:
    """Context manager: the model's parameters after every torch.optim step inside the block."""

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.records: list[dict[str, torch.Tensor]] = []
        self._handle = None

    def _hook(self, optimizer, args, kwargs):
        self.records.append({name: p.detach().to("cpu", copy=True)
                             for name, p in self.model.named_parameters()})

    def __enter__(self):
        from torch.optim.optimizer import register_optimizer_step_post_hook
        self._handle = register_optimizer_step_post_hook(self._hook)
        return self

    def __exit__(self, *exc):
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        return False

    def trace(self) -> dict[str, torch.Tensor]:
        names = [name for name, _ in self.model.named_parameters()]
        out = {}
        for name in names:
            values = [r[name] for r in self.records if name in r]
            if len(values) == len(self.records) and values:
                out[name] = torch.stack(values)
            elif not self.records:
                p = dict(self.model.named_parameters())[name]
                out[name] = torch.zeros((0, *p.shape), dtype=p.dtype)
        return out


def _flat(trace: dict, names) -> np.ndarray | None:
    parts = []
    for n in names:
        a = as_array(trace.get(n)) if isinstance(trace, dict) else None
        if a is None:
            return None
        parts.append(a.reshape(a.shape[0] if a.ndim else 1, -1))
    return np.concatenate(parts, axis=1) if parts else None


def assert_steps(got, want, *, call: str, mistakes=None, step_name=None, count_hints=None,
                 tol_table=TRAJECTORY_TOL):
    """Fail unless the recorded trace `got` follows `want` step by step.

    got, want: {parameter name: tensor (S, *shape)} as `record_steps(...).trace()` makes them.
    mistakes: {description: the trace a program with that mistake records}; the first one the
        student's trace matches (over the steps it has) is named.
    step_name: step index k (0-based) -> words, e.g. lambda k: f"step {k + 1} (epoch
        {k // 4 + 1}, batch {k % 4 + 1})"; by default "step {k + 1}".
    count_hints: {a wrong number of steps: what causes it}.
    """
    step_name = step_name or (lambda k: f"step {k + 1}")
    if not isinstance(got, dict):
        fail(f"{call}: the record of optimizer steps is {kind_of(got)}, not parameters by name.")
    names = list(want)
    missing = [n for n in names if n not in got]
    if missing:
        fail(f"{call}: the model has no parameter(s) {missing} after training (were they "
             f"replaced or renamed?).")
    n_want = int(want[names[0]].shape[0]) if names else 0
    n_got = int(got[names[0]].shape[0]) if names and got[names[0]].dim() else 0
    if n_got != n_want:
        hint = (count_hints or {}).get(n_got)
        if n_got == 0 and not hint:
            hint = "no optimizer step was taken: create a torch.optim optimizer over " \
                   "model.parameters() and call its step() once per batch"
        fail(f"{call} took {n_got} optimizer steps, expected {n_want}."
             + (f"\n  hint: {hint}" if hint else ""))
    dtype = want[names[0]].dtype if names else torch.float32
    rtol, atol = tol_table.get(dtype, TRAJECTORY_TOL[torch.float32])
    for k in range(n_want):
        for n in names:
            g, w = as_array(got[n][k]), as_array(want[n][k])
            if g.shape != w.shape:
                fail(f"{call}: parameter {n!r} has shape {g.shape}, expected {w.shape}.")
            if np.all(np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)):
                continue
            err = np.abs(g - w)
            err = np.where(np.isnan(err), np.inf, err)
            lines = [f"{call} parts from the reference run (same initial state) after "
                     f"{step_name(k)}: parameter {n!r} differs.",
                     f"  expected: {show(want[n][k])}",
                     f"  got:      {show(got[n][k])}",
                     f"  largest error: {float(err.max()):.3g} (tolerance: rtol={rtol:g}, "
                     f"atol={atol:g})"]
            hint = _name(got, mistakes, names, rtol, atol)
            if hint:
                lines.append(f"  hint: {hint}")
            elif k == 0:
                lines.append("  hint: the very first update differs: check the loss function, "
                             "the learning rate and the optimizer (and, with mini-batches, the "
                             "first batch).")
            fail("\n".join(lines))


def _name(got, mistakes, names, rtol, atol):
    g = _flat(got, names)
    for description, trace in (mistakes or {}).items():
        w = _flat(trace, names)
        if g is None or w is None or w.shape[1] != g.shape[1]:
            continue
        n = min(len(g), len(w))
        if n and np.all(np.isclose(g[:n], w[:n], rtol=max(rtol, 1e-4), atol=max(atol, 1e-6),
                                   equal_nan=True)):
            return description
    return None


def warm_up_optimizers() -> bool:
    """Create and step one optimizer; False if that failed. The first optimizer a process makes
    imports PyTorch's compiler stack (torch._dynamo: seconds, and it needs a usable temporary
    folder); a worker zygote that calls this before it forks spares every submission that cost."""
    try:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        p.sum().backward()
        opt.step()
        opt.zero_grad()
        return True
    except Exception:  # noqa: BLE001 - a warm-up must never stop the zygote
        return False
