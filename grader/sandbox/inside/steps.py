"""Training recorded step by step: a model's parameters after every optimizer step (in the worker,
inside a probe), for grader.engine.compare.trajectories.assert_trajectory to compare on the trusted side.

In a probe (runs in the worker, next to the student's module):

    from grader.sandbox.inside.steps import record_steps
    with record_steps(model) as steps:
        losses = mod.fit_optim(model, x, y, lr, 300)
    return {"losses": losses, "steps": steps.trace()}

`record_steps` hooks every `torch.optim` optimizer for the duration of the block (PyTorch's global
step post-hook), so whatever optimizer the student's code creates, each `optimizer.step()` adds
one entry: {parameter name: its value after that step}. `trace()` stacks them, one tensor of shape
(S, *parameter shape) per name, on the CPU.

On the trusted side, `assert_trajectory(got["steps"], want["steps"], call=...)` finds the first
step where the two runs part and says which parameter differs there, by how much, and, when the
student's run matches a run with a known mistake (gradients never zeroed, a batch order from
another generator), names it.
"""
from __future__ import annotations

import torch

from grader.sandbox.inside.probes import depends as _depends   # bound before student code

_named_parameters = torch.nn.Module.named_parameters


class record_steps:
    """Context manager: the model's parameters after every torch.optim step inside the block."""

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.records: list[dict[str, torch.Tensor]] = []
        self._handle = None

    def _hook(self, optimizer, args, kwargs):
        model = _depends.in_call(self.model)    # the copy the run under way trains, if any
        try:
            named = _named_parameters(model)    # torch's own: nothing of hers is called
        except TypeError:
            named = model.named_parameters()
        record = {name: p.detach().to("cpu", copy=True) for name, p in named}
        if not _depends.RERUNNING:   # recorded the same way in a run beside the call
            self.records.append(record)          # (probes.depends), and dropped there

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
