"""The known wrong training loops of ex05 (fit), run in the grading process."""
import torch

from grader.checks.api import solution_module

MODES = ("no_zero", "zero_after_backward", "sign", "sum", "backward_twice", "kept_w", "kept_b")


def fit_variant(x, y, lr, iters, seed, mode):
    """fit(x, y, lr, iters, seed) with one known mistake, from the reference's init_params:

    no_zero             never zeroes .grad: each step adds its gradient to all earlier ones
    zero_after_backward zeroes .grad between backward() and the update: nothing moves
    sign                p += lr * p.grad: climbs the loss
    sum                 the loss is a sum over samples, not a mean
    backward_twice      backward() called twice per step: every gradient doubled
    kept_w, kept_b      zeroes the other parameter's .grad only: this one's adds up
    """
    if mode not in MODES:
        raise ValueError(f"unknown mistake {mode!r}")
    w, b = solution_module("ex05").init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        errors = (x * w + b - y) ** 2
        loss = errors.sum() if mode == "sum" else errors.mean()
        if mode not in ("no_zero", "zero_after_backward"):
            for name, p in (("w", w), ("b", b)):
                if p.grad is not None and mode != f"kept_{name}":
                    p.grad.zero_()
        loss.backward(retain_graph=mode == "backward_twice")
        if mode == "backward_twice":
            loss.backward()
        if mode == "zero_after_backward":
            for p in (w, b):
                p.grad.zero_()
        with torch.no_grad():
            for p in (w, b):
                p += (lr if mode == "sign" else -lr) * p.grad
        losses.append(loss.item())
    return {"w": w.detach().clone(), "b": b.detach().clone(), "losses": losses}
