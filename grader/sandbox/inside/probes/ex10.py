"""Probes of ex10 (the softmax classifier): a SoftmaxClassifier built from the student's class
with a state sent by the check, on the inputs' device and dtype; its forward, predict_classes and
train_classifier (recorded optimizer step by optimizer step)."""
import torch
from torch import nn

from grader.sandbox.inside.probes.common import load_state, parameters, walk
from grader.sandbox.inside.steps import record_steps
from grader.sandbox.inside.probes.guard import answer, watched

_grad_enabled = torch._C.is_grad_enabled   # bound before any student code runs
_register_hook = nn.Module.register_forward_hook


def _model(mod, init_args, state, x):
    model = mod.SoftmaxClassifier(*init_args)
    if state is not None:
        load_state(model, state)
    return model.to(device=x.device, dtype=x.dtype)


def forward(mod, init_args, state, x):
    """model(x), and the state, the .grads and the training mode afterwards (a forward pass
    changes none of them)."""
    model = _model(mod, init_args, state, x)
    training = model.training
    result = model(x)
    return {"result": result, "state": dict(nn.Module.state_dict(model)),
            "grads": {n: p.grad for n, p in parameters(model)},
            "training_before": training, "training": model.training}


def predict(mod, init_args, state, x):
    """mod.predict_classes(model, x); whether autograd was on while each of the model's modules
    ran (hooks on every module of its registries, so that calling model.forward directly, past
    the model's own hook, is seen too)."""
    model = _model(mod, init_args, state, x)
    grad_modes = []
    handles = [_register_hook(m, lambda m, inputs, output: grad_modes.append(_grad_enabled()))
               for _name, m in walk(model)]
    try:
        result, found = watched(mod.predict_classes, "predict_classes", model, x)
    finally:
        for handle in handles:
            handle.remove()
    return answer({"result": result, "grad_modes": grad_modes,
                   "state": dict(nn.Module.state_dict(model))}, found)


def train(mod, init_args, state, x, y, lr, epochs, batch_size, seed):
    """mod.train_classifier on the model built with `state`; the per-epoch losses, the final
    state and the parameters after every optimizer step."""
    model = _model(mod, init_args, state, x)
    with record_steps(model) as rec:
        losses, found = watched(mod.train_classifier, "train_classifier", model, x, y, lr,
                                epochs, batch_size, seed, _seeded=True)   # the contract's seed
    return answer({"losses": losses, "state": dict(nn.Module.state_dict(model)),
                   "steps": rec.trace()}, found)
