"""Probes of ex05 (manual regression): an update on leaves with their .grad filled, a loss's
gradients by backward(), and the long course run summarised. (The known wrong training loops
that name a student's mistake run on the trusted side only.)"""
import torch
from grader.sandbox.inside.probes.guard import answer, watched


def update(mod, values, grads, lr, func="sgd_update_"):
    """Make leaves that require grad from `values`, set their .grad to `grads`, call
    mod.func(params, lr) with autograd on (as inside a training loop); return the result, the
    params afterwards (their metadata says whether they are still leaves) and their .grad (the
    update leaves them as they were: zeroing is the loop's job)."""
    params = [v.detach().clone().requires_grad_(True) for v in values]
    for p, g in zip(params, grads):
        p.grad = g.detach().clone()
    result = getattr(mod, func)(params, lr)
    return {"result": result, "params": params,
            "grads": [None if p.grad is None else p.grad.detach().clone() for p in params]}


def loss_grads(mod, func, *args):
    """value = mod.func(*args); value.backward(); the value and the .grad of every tensor
    argument that requires grad (None for the others)."""
    value = getattr(mod, func)(*args)
    value.backward()
    grads = [a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in args]
    return {"value": value, "grads": grads}


def fit_summary(mod, x, y, lr, iters, seed, every=100):
    """mod.fit(...) with the losses thinned to every `every`-th (a long run, sent back small)."""
    (w, b, losses), found = watched(mod.fit, "fit", x, y, lr, iters, seed, _seeded=True)
    losses = list(losses)
    return answer({"w": w, "b": b, "losses": losses[::every], "count": len(losses)}, found)

