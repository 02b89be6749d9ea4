"""Exercise 02 with float64 tensors (no autograd: the gradient is the formula)."""
import torch


def _t(v):
    if torch.is_tensor(v):
        return v.detach().to(torch.float64)
    return torch.tensor(v, dtype=torch.float64)


def cost(xs, ys, w):
    x, y = _t(xs), _t(ys)
    return torch.mean((x * w - y) ** 2).item()


def gradient(xs, ys, w):
    x, y = _t(xs), _t(ys)
    return torch.mean(2 * x * (x * w - y)).item()


def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    history = []
    for epoch in range(epochs):
        history.append(cost(xs, ys, w))
        step = lr * gradient(xs, ys, w)
        w = w - step
    return w, history


def sample_gradient(x, y, w):
    y_hat = x * w
    dloss_dyhat = 2 * (y_hat - y)
    return float(dloss_dyhat * x)


def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    pairs = list(zip(_t(xs).tolist(), _t(ys).tolist()))
    w = float(w0)
    losses = []
    for epoch in range(epochs):
        last = 0.0
        for x, y in pairs:
            w = w - lr * sample_gradient(x, y, w)
            last = (x * w - y) ** 2
        losses.append(last)
    return w, losses
