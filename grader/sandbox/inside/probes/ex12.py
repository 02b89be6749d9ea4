"""Probes of ex12 (the tensor polynomial): a Polynomial3 built from the student's class with a
state sent by the check, moved to a device and dtype; its forward and string; fit_optim recorded
optimizer step by optimizer step."""
import torch
from torch import nn

from grader.sandbox.inside.probes.common import load_state
from grader.sandbox.inside.steps import record_steps
from grader.sandbox.inside.probes.guard import answer, watched


def _model(mod, state, device="cpu", dtype=torch.float32):
    model = mod.Polynomial3()
    if state is not None:
        load_state(model, state)
    return model.to(device=device, dtype=dtype)


def forward(mod, state, x):
    """Polynomial3 with `state`, on x's device and dtype; model(x), and the state and training
    mode afterwards (a forward pass must change neither)."""
    model = _model(mod, state, x.device, x.dtype)
    training = model.training
    result = model(x)
    return {"result": result, "state": dict(nn.Module.state_dict(model)),
            "training_before": training, "training": model.training}


def string(mod, state):
    return _model(mod, state).string()


def fit_optim(mod, state, x, y, lr, steps, optimizer="sgd"):
    """Polynomial3 with `state` on x's device and dtype, trained by mod.fit_optim; the losses,
    the final state and the parameters after every optimizer step."""
    model = _model(mod, state, x.device, x.dtype)
    with record_steps(model) as rec:
        losses, found = watched(mod.fit_optim, "fit_optim", model, x, y, lr, steps, optimizer)
    return answer({"losses": losses, "state": dict(nn.Module.state_dict(model)),
                   "steps": rec.trace()}, found)
