"""Probes of the nn.Module exercises (ex06, and ex07/ex08 through their own probe modules).

Training functions are run on a model that the check describes as plain data (a `spec`, see
grader.sandbox.inside.probes.common.network) with the contract's parameter names, so that a check of `train`
grades `train` alone; the student's own class is checked by structure, forward and device
probes. Every probe here runs the student's code; none computes an answer of its own.
"""
import torch
from torch import nn

from grader.sandbox.inside.probes.common import (build_model, network, parameters, structure,
                                                 torch_class)
from grader.sandbox.inside.probes.guard import answer, watched


def _snapshot(model):
    return {k: v.detach().clone() for k, v in nn.Module.state_dict(model).items()}


def _grads(model):
    return {n: (p.grad.detach().clone() if p.grad is not None else None)
            for n, p in parameters(model)}


def _stale(model, stale):
    if stale is not None:
        for n, p in parameters(model):
            p.grad = stale[n].detach().clone().to(p.device)


def forward_twice(mod, cls, init_args, state, x, device="cpu"):
    """Build the student's mod.cls, load `state`, move it to `device`, run it twice on x; the
    outputs, the state before and after, and the parameters' .grad afterwards."""
    model = build_model(mod, cls, init_args, state, device)
    before = _snapshot(model)
    first = model(x)
    second = model(x)
    return {"outputs": (first, second), "state_before": before, "state_after": _snapshot(model),
            "grads": _grads(model), "structure": structure(model)}


def call_on_network(mod, func, spec, state, args=(), kwargs=None, device="cpu", stale=None):
    """mod.func(model, *args) on the model `spec` describes (see common.network), its
    parameters' .grad set to `stale` first when given; the result, the state and the grads
    afterwards."""
    model = network(spec, state, device)
    _stale(model, stale)
    result, found = watched(getattr(mod, func), func, model, *args, **(kwargs or {}))
    return answer({"result": result, "state": _snapshot(model), "grads": _grads(model),
                   "training": model.training}, found)


def train_steps(mod, spec, state, X, Y, lr, steps, stale=None, device="cpu", loss="mse"):
    """mod.train_step called `steps` times on the model `spec` describes, with
    torch.optim.SGD(lr) and nn.MSELoss() (or nn.BCELoss()); .grad set to `stale` before the
    first step when given."""
    model = network(spec, state, device)
    _stale(model, stale)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss() if loss == "mse" else nn.BCELoss()
    losses, found = [], None
    for _ in range(steps):
        loss, now = watched(mod.train_step, "train_step", model, loss_fn, optimizer, X, Y)
        losses.append(loss)
        found = found or now
        if now and (now["changed"] or now["rng"] or now["autograd"]):
            break         # (an answer not from autograd's gradients waits for the values)
    return answer({"losses": losses, "state": _snapshot(model)}, found)


def optimizer_info(mod, spec, state, lr, device="cpu"):
    """What mod.make_optimizer(model, lr) built for the model `spec` describes: its class, its
    param groups (lr, momentum, weight decay, which parameters by name), the state after two
    steps on uneven gradients, and what a second call on the same model at 3 * lr gives ("again":
    its lr, and whether it is the first call's optimizer object)."""
    model = network(spec, state, device)
    names = {id(p): n for n, p in parameters(model)}
    opt = mod.make_optimizer(model, lr)
    kind = torch_class(type(opt))      # torch's own, by identity: never the name it gives
    info = {"type": f"{kind.__module__}.{kind.__qualname__}" if kind is not None else
            f"{type(opt).__qualname__} (a class of its own)", "groups": []}
    for group in getattr(opt, "param_groups", []):
        info["groups"].append({
            "lr": float(group.get("lr", float("nan"))),
            "momentum": float(group.get("momentum", 0.0) or 0.0),
            "weight_decay": float(group.get("weight_decay", 0.0) or 0.0),
            "params": sorted(names.get(id(p), "(not a parameter of the model)")
                             for p in group.get("params", []))})
    for _ in range(2):      # two steps on uneven gradients: SGD's, not another rule's
        for p in model.parameters():
            p.grad = torch.linspace(0.5, -2.0, p.numel(), dtype=p.dtype,
                                    device=p.device).reshape(p.shape)
        opt.step()
    info["state_after_step"] = _snapshot(model)
    again = mod.make_optimizer(model, 3 * lr)    # a second call, on the same model: its own lr
    groups = getattr(again, "param_groups", None) or [{}]
    info["again"] = {"lr": float(groups[0].get("lr", float("nan"))), "same": again is opt}
    return info
