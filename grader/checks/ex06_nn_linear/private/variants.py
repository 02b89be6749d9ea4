"""The known wrong full-batch training loops of ex06, also those of ex07 and ex08 (train_step,
train, train_logistic, train_full_batch), run in the grading process on the model the check
describes (grader.sandbox.inside.probes.common.network). The checks of ex07 and ex08 import them from here."""
import torch
from torch import nn

from grader.checks.api import network

MODES = ("no_zero", "zero_after_backward", "zero_after_step", "loss_after_step", "sum_loss",
         "no_momentum", "default_momentum", "sigmoid_twice", "mean_twice")


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
    """
    if mode not in MODES:
        raise ValueError(f"unknown mistake {mode!r}")
    model = network(spec, state, device)
    if stale is not None:
        for n, p in model.named_parameters():
            p.grad = stale[n].detach().clone().to(p.device)
    momentum = {"no_momentum": 0.0, "default_momentum": 0.9}.get(mode, momentum)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    reduction = "sum" if mode == "sum_loss" else "mean"
    loss_fn = nn.MSELoss(reduction=reduction) if loss == "mse" else nn.BCELoss(reduction=reduction)
    if mode == "sigmoid_twice":
        if loss != "bce":
            raise ValueError("sigmoid_twice is a mistake of a BCE loop")
        loss_fn = nn.BCEWithLogitsLoss(reduction=reduction)
    losses = []
    for _ in range(steps):
        if mode not in ("no_zero", "zero_after_backward", "zero_after_step"):
            optimizer.zero_grad()
        value = loss_fn(model(X), Y)
        if mode == "mean_twice":
            value = value / len(X)
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
    return {"losses": losses,
            "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}

