"""Exercise 03 in the style of the course notes and the 60-minute blitz: x.grad after
out.backward(), w.grad.data.zero_(), y.backward(torch.ones_like(y))."""
import numpy as np
import torch


def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return y, z, out


def grad_of_mean(x):
    x = x.clone().detach().requires_grad_(True)
    y, z, out = mean_graph(x)
    out.backward()
    return x.grad


def analytic_grad_of_mean(x):
    n = x.numel()
    # out = (1/n) * sum 3 (x_i + 2)^2  ->  d out / d x_i = (1/n) * 6 (x_i + 2)
    return 2 * 3 * (x + 2) / n


def intermediate_grads(w, x):
    w = w.detach().clone()
    w.requires_grad = True
    a = w + x
    a.retain_grad()
    b = w + 1
    y = a * b
    y.backward(torch.ones_like(y))
    return w.grad, a.grad


def accumulated_grad(x, times):
    x = x.clone().detach().requires_grad_(True)
    for i in range(times):
        y, z, out = mean_graph(x)
        out.backward()
    return x.grad


def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.grad.data.zero_()


def no_grad_eval(fn, *args):
    with torch.no_grad():
        result = fn(*args)
    return result


def to_numpy(t):
    return t.data.cpu().numpy().copy()
