"""The known wrong full-batch training loops of ex06, also those of ex07 and ex08 (train_step,
train, train_logistic, train_full_batch), run in the grading process on the model the check
describes (grader.sandbox.inside.probes.common.network). The checks of ex07 and ex08 import them from here."""
import warnings

import torch
from torch import nn

from grader.checks.api import network, solution_module

MODES = ("no_zero", "zero_after_backward", "zero_after_step", "loss_after_step", "sum_loss",
         "no_momentum", "default_momentum", "sigmoid_twice", "mean_twice", "backward_twice",
         "l1_loss", "adam", "flat_target", "nesterov", "clipped")


def train_variant(spec, state, X, Y, lr, steps, mode, loss="mse", momentum=0.0, stale=None,
                  device="cpu"):
    """A full-batch loop of `steps` SGD steps with one known mistake; the losses and the state.

    no_zero             never zeroes the gradients (they add up step after step)
    zero_after_backward zero_grad between backward() and step(): nothing moves
    zero_after_step     backward, step, zero_grad: stale gradients leak into the first step
    loss_after_step     records the loss after the update
    sum_loss            the loss summed over the samples instead of averaged
    no_momentum         SGD without the momentum asked for
    default_momentum    SGD with train_logistic's default momentum 0.9, not the one given
    sigmoid_twice       nn.BCEWithLogitsLoss on the model's probabilities (loss="bce" only)
    mean_twice          the mean loss divided by N = len(X) once more (recorded so, and its
                        gradients 1/N as big)
    backward_twice      backward() called twice per step: every gradient doubled
    l1_loss             nn.L1Loss (the mean absolute error) for the MSE (loss="mse" only)
    adam                torch.optim.Adam at the same lr instead of SGD
    flat_target         the loss of the (N, 1) prediction against Y flattened to (N,): the two
                        broadcast to (N, N) (Y of one column only)
    nesterov            SGD with nesterov=True at the momentum given
    clipped             the gradients clipped to norm 1 (clip_grad_norm_) before each step
    """
    if mode not in MODES:
        raise ValueError(f"unknown mistake {mode!r}")
    model = network(spec, state, device)
    if stale is not None:
        for n, p in model.named_parameters():
            p.grad = stale[n].detach().clone().to(p.device)
    momentum = {"no_momentum": 0.0, "default_momentum": 0.9}.get(mode, momentum)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr) if mode == "adam" else \
        torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                        nesterov=mode == "nesterov")
    reduction = "sum" if mode == "sum_loss" else "mean"
    loss_fn = nn.MSELoss(reduction=reduction) if loss == "mse" else nn.BCELoss(reduction=reduction)
    if mode == "l1_loss":
        if loss != "mse":
            raise ValueError("l1_loss is a mistake of an MSE loop")
        loss_fn = nn.L1Loss()
    if mode == "sigmoid_twice":
        if loss != "bce":
            raise ValueError("sigmoid_twice is a mistake of a BCE loop")
        loss_fn = nn.BCEWithLogitsLoss(reduction=reduction)
    losses = []
    for _ in range(steps):
        if mode not in ("no_zero", "zero_after_backward", "zero_after_step"):
            optimizer.zero_grad()
        if mode == "flat_target":
            if Y.shape[-1] != 1:
                raise ValueError("flat_target is a mistake of a target of one column")
            with warnings.catch_warnings():     # nn.MSELoss warns of the broadcast
                warnings.simplefilter("ignore")
                value = loss_fn(model(X), Y.reshape(-1))
        else:
            value = loss_fn(model(X), Y)
        if mode == "mean_twice":
            value = value / len(X)
        value.backward(retain_graph=mode == "backward_twice")
        if mode == "backward_twice":
            value.backward()
        if mode == "zero_after_backward":
            optimizer.zero_grad()
        if mode == "clipped":
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if mode == "zero_after_step":
            optimizer.zero_grad()
        if mode == "loss_after_step":
            with torch.no_grad():
                value = loss_fn(model(X), Y)
        losses.append(value.item())
    return {"losses": losses,
            "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}


def sigmoid_inputs(ex, cls, init_args, state, x, device="cpu"):
    """The reference's module `cls(*init_args)` of `ex` with `state`, run on x with a sigmoid
    applied to the input of some of its nn.Linear layers (every non-empty set of them, at most
    the first four): {"name+name": output}, the names of the layers whose input went through
    a sigmoid (named_modules order). A set that gives what a smaller one gives is left out."""
    from itertools import combinations
    model = getattr(solution_module(ex), cls)(*init_args)
    model.load_state_dict(state)
    model.to(device=device, dtype=x.dtype)
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)][:4]
    x = x.to(device)
    with torch.no_grad():
        plain = model(x)
    out, seen = {}, [plain]

    def squash(module, args):
        return (torch.sigmoid(args[0]),) + tuple(args[1:])
    for k in range(1, len(linears) + 1):
        for chosen in combinations(linears, k):
            handles = [m.register_forward_pre_hook(squash) for _, m in chosen]
            try:
                with torch.no_grad():
                    y = model(x)
            finally:
                for h in handles:
                    h.remove()
            if not any(v.shape == y.shape and torch.allclose(v, y) for v in seen):
                out["+".join(n for n, _ in chosen)] = y
                seen.append(y)
    return out

