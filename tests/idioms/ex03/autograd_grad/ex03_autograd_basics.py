"""Exercise 03 with torch.autograd.grad and retain_graph=True where it helps, a decorator for
no_grad and np.array for the copy."""
import numpy as np
import torch


def mean_graph(x):
    y = torch.add(x, 2)
    z = 3 * y.pow(2)
    out = torch.mean(z)
    return y, z, out


def grad_of_mean(x):
    leaf = x.detach().clone()
    leaf.requires_grad_()
    out = mean_graph(leaf)[-1]
    (g,) = torch.autograd.grad(out, leaf)
    return g


def analytic_grad_of_mean(x):
    return (x + 2) * (6.0 / x.numel())


def intermediate_grads(w, x):
    w_leaf = w.detach().clone().requires_grad_(True)
    a = w_leaf + x
    b = w_leaf + 1
    y = a * b
    dy_dw, dy_da = torch.autograd.grad(y.sum(), (w_leaf, a))
    return dy_dw, dy_da


def accumulated_grad(x, times):
    leaf = x.detach().clone().requires_grad_(True)
    _, _, out = mean_graph(leaf)
    for _ in range(times):
        out.backward(retain_graph=True)
    return leaf.grad


def zero_grads_(params):
    for p in list(params):
        if p.grad is None:
            continue
        p.grad.fill_(0)


def no_grad_eval(fn, *args):
    @torch.no_grad()
    def run():
        return fn(*args)
    return run()


def to_numpy(t):
    return np.array(t.detach().cpu())
