"""Exercise 04 with torch.no_grad() updates, p.sub_() and p.grad = None between samples."""
import numpy as np
import torch


def backward_steps(x, y, w):
    steps = {"y_hat": x * w}
    steps["r"] = steps["y_hat"] - y
    steps["loss"] = steps["r"] ** 2
    steps["dloss_dr"] = 2.0 * steps["r"]
    steps["dr_dyhat"] = 1.0
    steps["dyhat_dw"] = x
    steps["dloss_dw"] = steps["dloss_dr"] * steps["dr_dyhat"] * steps["dyhat_dw"]
    return {k: float(v) for k, v in steps.items()}


def affine_backward_steps(x, y, w, b):
    steps = backward_steps(x, y - b, w)     # x*w + b - y == x*w - (y - b)
    steps["y_hat"] = float(x * w + b)
    steps["r"] = float(steps["y_hat"] - y)
    steps["loss"] = float(steps["r"] ** 2)
    steps["dloss_dr"] = 2.0 * steps["r"]
    steps["dloss_dw"] = steps["dloss_dr"] * steps["dr_dyhat"] * steps["dyhat_dw"]
    steps["dyhat_db"] = 1.0
    steps["dloss_db"] = steps["dloss_dr"] * steps["dr_dyhat"] * steps["dyhat_db"]
    return steps


def _tensors(xs, ys):
    if isinstance(xs, torch.Tensor):
        x = xs.detach()
    else:
        x = torch.from_numpy(np.asarray(xs, dtype=np.float32))
    y = torch.as_tensor(ys).detach() if isinstance(ys, torch.Tensor) else torch.tensor(ys)
    return x, y.to(x.device, x.dtype)


def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _tensors(xs, ys)
    w = torch.full((), w0, dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        for i in range(len(x)):
            l = (x[i] * w - y[i]).pow(2)
            l.backward()
            with torch.no_grad():
                w.sub_(lr * w.grad)
            w.grad = None
            last = l.item()
        losses.append(last)
    return w.item(), losses


def quadratic_forward(x, w1, w2, b):
    return b + x * (w2 + x * w1)


def quadratic_grads(x, y, w1, w2, b):
    dl_db = 2 * (quadratic_forward(x, w1, w2, b) - y)
    dl_dw2 = dl_db * x
    dl_dw1 = dl_dw2 * x
    return dl_dw1, dl_dw2, dl_db


def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _tensors(xs, ys)
    params = [torch.full((), v, dtype=x.dtype, device=x.device).requires_grad_()
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        for i in range(len(x)):
            l = (quadratic_forward(x[i], *params) - y[i]) ** 2
            l.backward()
            with torch.no_grad():
                for p in params:
                    p.sub_(lr * p.grad)
                    p.grad = None
            last = l.item()
        losses.append(last)
    w1, w2, b = (p.item() for p in params)
    return w1, w2, b, losses
