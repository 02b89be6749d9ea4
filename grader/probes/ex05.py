"""Probes of ex05 (manual regression): an update on leaves with their .grad filled, a loss's
gradients by backward(), the long course run summarised, and the known wrong training loops
(run on the reference, on the trusted side, to name a student's mistake)."""
import torch


def update(mod, values, grads, lr, func="sgd_update_"):
    """Make leaves that require grad from `values`, set their .grad to `grads`, call
    mod.func(params, lr) with autograd on (as inside a training loop); return the result and
    the params afterwards (their metadata says whether they are still leaves)."""
    params = [v.detach().clone().requires_grad_(True) for v in values]
    for p, g in zip(params, grads):
        p.grad = g.detach().clone()
    result = getattr(mod, func)(params, lr)
    return {"result": result, "params": params}


def loss_grads(mod, func, *args):
    """value = mod.func(*args); value.backward(); the value and the .grad of every tensor
    argument that requires grad (None for the others)."""
    value = getattr(mod, func)(*args)
    value.backward()
    grads = [a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in args]
    return {"value": value, "grads": grads}


def fit_summary(mod, x, y, lr, iters, seed, every=100):
    """mod.fit(...) with the losses thinned to every `every`-th (a long run, sent back small)."""
    w, b, losses = mod.fit(x, y, lr, iters, seed)
    losses = list(losses)
    return {"w": w, "b": b, "losses": losses[::every], "count": len(losses)}


def fit_variant(mod, x, y, lr, iters, seed, mode):
    """A known wrong version of ex05.fit, built on mod.init_params and mod.mse_loss:

    no_zero             never zeroes .grad: each step adds its gradient to all earlier ones
    zero_after_backward zeroes .grad between backward() and the update: nothing moves
    sign                p += lr * p.grad: climbs the loss
    sum                 the loss is a sum over samples, not a mean
    """
    w, b = mod.init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        y_pred = x * w + b
        loss = ((y_pred - y) ** 2).sum() if mode == "sum" else mod.mse_loss(y, y_pred)
        if mode not in ("no_zero", "zero_after_backward"):
            for p in (w, b):
                if p.grad is not None:
                    p.grad.zero_()
        loss.backward()
        if mode == "zero_after_backward":
            for p in (w, b):
                p.grad.zero_()
        with torch.no_grad():
            for p in (w, b):
                p += (lr if mode == "sign" else -lr) * p.grad
        losses.append(loss.item())
    return {"w": w, "b": b, "losses": losses}
