"""Exercise 04 that keeps the inputs' dtype: torch.as_tensor(w0, dtype=x.dtype), so float64 data
trains in float64; updates with `-=` under torch.no_grad()."""
import torch


def backward_steps(x, y, w):
    x, y, w = float(x), float(y), float(w)
    y_hat = x * w
    r = y_hat - y
    dloss_dr = 2 * r
    return {
        "y_hat": y_hat, "r": r, "loss": r ** 2,
        "dloss_dr": dloss_dr, "dr_dyhat": 1.0, "dyhat_dw": x,
        "dloss_dw": dloss_dr * 1.0 * x,
    }


def affine_backward_steps(x, y, w, b):
    x, y, w, b = float(x), float(y), float(w), float(b)
    y_hat = x * w + b
    r = y_hat - y
    dloss_dr = 2 * r
    return {
        "y_hat": y_hat, "r": r, "loss": r ** 2,
        "dloss_dr": dloss_dr, "dr_dyhat": 1.0, "dyhat_dw": x, "dyhat_db": 1.0,
        "dloss_dw": dloss_dr * 1.0 * x, "dloss_db": dloss_dr * 1.0 * 1.0,
    }


def _as_xy(xs, ys):
    x = torch.as_tensor(xs)
    if not x.is_floating_point():
        x = x.float()
    x = x.detach()
    y = torch.as_tensor(ys).detach().to(device=x.device, dtype=x.dtype)
    return x, y


def train_autograd(xs, ys, w0, lr, epochs):
    x_data, y_data = _as_xy(xs, ys)
    w = torch.as_tensor(w0, dtype=x_data.dtype).to(x_data.device).requires_grad_(True)
    losses = []
    for epoch in range(epochs):
        l = None
        for x_val, y_val in zip(x_data, y_data):
            l = (x_val * w - y_val) ** 2
            l.backward()
            with torch.no_grad():
                w -= lr * w.grad
            w.grad.zero_()
        losses.append(float(l) if l is not None else 0.0)
    return float(w), losses


def quadratic_forward(x, w1, w2, b):
    return w1 * x ** 2 + w2 * x + b


def quadratic_grads(x, y, w1, w2, b):
    r = quadratic_forward(x, w1, w2, b) - y
    g = 2 * r
    return g * x ** 2, g * x, g


def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x_data, y_data = _as_xy(xs, ys)
    w1, w2, b = (torch.as_tensor(v, dtype=x_data.dtype).to(x_data.device).requires_grad_(True)
                 for v in (w1, w2, b))
    losses = []
    for epoch in range(epochs):
        l = None
        for x_val, y_val in zip(x_data, y_data):
            l = (quadratic_forward(x_val, w1, w2, b) - y_val) ** 2
            l.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
                b -= lr * b.grad
            for p in (w1, w2, b):
                p.grad.zero_()
        losses.append(float(l) if l is not None else 0.0)
    return float(w1), float(w2), float(b), losses
