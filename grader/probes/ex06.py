"""Probes of the nn.Module exercises (ex06, and ex07/ex08 through their own probe modules).

Training functions are run on a *trusted* model with the contract's parameter names (a mirror
of the student's class), so that a check of `train` grades `train` alone; the student's own
class is checked by structure, forward and device probes. `train_variant` runs the known wrong
loops; the checks run it on the trusted side to name a student's mistake.
"""
import torch
from torch import nn

from grader.probes.common import build_model, structure


class _Linear(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.linear(x)


class _Logistic(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))


class _Deep(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return x


MIRRORS = {"linear": _Linear, "logistic": _Logistic, "deep": _Deep}


def mirror(kind, init_args, state=None, device="cpu"):
    """The trusted model of kind "linear" (ex06), "logistic" (ex07) or "deep" (ex08)."""
    model = MIRRORS[kind](*init_args)
    if state is not None:
        model.load_state_dict(state)
    return model.to(device)


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _grads(model):
    return {n: (p.grad.detach().clone() if p.grad is not None else None)
            for n, p in model.named_parameters()}


def forward_twice(mod, cls, init_args, state, x, device="cpu"):
    """Build the student's mod.cls, load `state`, move it to `device`, run it twice on x; the
    outputs, the state before and after, and the parameters' .grad afterwards."""
    model = build_model(mod, cls, init_args, state, device)
    before = _snapshot(model)
    first = model(x)
    second = model(x)
    return {"outputs": (first, second), "state_before": before, "state_after": _snapshot(model),
            "grads": _grads(model), "structure": structure(model)}


def call_on_mirror(mod, func, kind, init_args, state, args=(), kwargs=None, device="cpu",
                   stale=None):
    """mod.func(model, *args) on a trusted model (see `mirror`), its parameters' .grad set to
    `stale` first when given; the result, the state and the grads afterwards."""
    model = mirror(kind, init_args, state, device)
    if stale is not None:
        for n, p in model.named_parameters():
            p.grad = stale[n].detach().clone().to(p.device)
    result = getattr(mod, func)(model, *args, **(kwargs or {}))
    return {"result": result, "state": _snapshot(model), "grads": _grads(model),
            "training": model.training}


def train_steps(mod, kind, init_args, state, X, Y, lr, steps, stale=None, device="cpu",
                loss="mse"):
    """mod.train_step called `steps` times on a trusted model with torch.optim.SGD(lr) and
    nn.MSELoss() (or nn.BCELoss()); .grad set to `stale` before the first step when given."""
    model = mirror(kind, init_args, state, device)
    if stale is not None:
        for n, p in model.named_parameters():
            p.grad = stale[n].detach().clone().to(p.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss() if loss == "mse" else nn.BCELoss()
    losses = [mod.train_step(model, loss_fn, optimizer, X, Y) for _ in range(steps)]
    return {"losses": losses, "state": _snapshot(model)}


def optimizer_info(mod, init_args, state, lr, device="cpu"):
    """What mod.make_optimizer(model, lr) built: its class, its param groups (lr, momentum,
    weight decay, which parameters by name), and the state after one step with all-ones grads."""
    model = mirror("linear", init_args, state, device)
    names = {id(p): n for n, p in model.named_parameters()}
    opt = mod.make_optimizer(model, lr)
    info = {"type": f"{type(opt).__module__}.{type(opt).__qualname__}", "groups": []}
    for group in getattr(opt, "param_groups", []):
        info["groups"].append({
            "lr": float(group.get("lr", float("nan"))),
            "momentum": float(group.get("momentum", 0.0) or 0.0),
            "weight_decay": float(group.get("weight_decay", 0.0) or 0.0),
            "params": sorted(names.get(id(p), "(not a parameter of the model)")
                             for p in group.get("params", []))})
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    info["state_after_step"] = _snapshot(model)
    return info


def train_variant(mod, kind, init_args, state, X, Y, lr, steps, mode, loss="mse",
                  momentum=0.0, stale=None, device="cpu"):
    """A known wrong full-batch training loop on the trusted model (mod is not used):

    no_zero             never zeroes the gradients (they add up step after step)
    zero_after_backward zero_grad between backward() and step(): nothing moves
    zero_after_step     backward, step, zero_grad: stale gradients leak into the first step
    loss_after_step     records the loss after the update
    sum_loss            the loss summed over the samples instead of averaged
    no_momentum         SGD without the momentum asked for
    """
    model = mirror(kind, init_args, state, device)
    if stale is not None:
        for n, p in model.named_parameters():
            p.grad = stale[n].detach().clone().to(p.device)
    if mode == "no_momentum":
        momentum = 0.0
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    reduction = "sum" if mode == "sum_loss" else "mean"
    loss_fn = nn.MSELoss(reduction=reduction) if loss == "mse" else nn.BCELoss(reduction=reduction)
    losses = []
    for _ in range(steps):
        if mode not in ("no_zero", "zero_after_backward", "zero_after_step"):
            optimizer.zero_grad()
        value = loss_fn(model(X), Y)
        value.backward()
        if mode == "zero_after_backward":
            optimizer.zero_grad()
        optimizer.step()
        if mode == "zero_after_step":
            optimizer.zero_grad()
        if mode == "loss_after_step":
            with torch.no_grad():
                value = loss_fn(model(X), Y)
        losses.append(value.item())
    return {"losses": losses, "state": _snapshot(model)}
