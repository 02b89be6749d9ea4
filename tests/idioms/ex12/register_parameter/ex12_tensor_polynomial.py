"""Exercise 12 with register_parameter in a loop, Horner's rule in forward, str.format in string,
torch.as_tensor(..., dtype=x.dtype) for the initial values and p.grad.zero_() after the update."""
import torch
from torch import nn


def poly_grads_tensor(x, y, y_pred):
    g = 2 * (y_pred - y)
    gx = g * x
    return torch.sum(g), torch.sum(gx), torch.sum(gx * x), torch.sum(gx * x * x)


def _draw(seed, x):
    gen = torch.Generator().manual_seed(seed)
    return [torch.as_tensor(torch.randn((), generator=gen), dtype=x.dtype, device=x.device)
            for _ in range(4)]


def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    a, b, c, d = _draw(seed, x)
    losses = []
    for t in range(steps):
        y_pred = a + x * (b + x * (c + x * d))
        if t % 100 == 99:
            losses.append(torch.sum((y_pred - y) ** 2).item())
        ga, gb, gc, gd = poly_grads_tensor(x, y, y_pred)
        a, b, c, d = a - lr * ga, b - lr * gb, c - lr * gc, d - lr * gd
    return (a, b, c, d), losses


def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    params = [p.requires_grad_(True) for p in _draw(seed, x)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        y_pred = a + x * (b + x * (c + x * d))
        loss = torch.sum((y_pred - y) ** 2)
        if t % 100 == 99:
            losses.append(float(loss))
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(lr * p.grad)
        for p in params:
            p.grad.zero_()
    return (a.detach(), b.detach(), c.detach(), d.detach()), losses


class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        for name in "abcd":
            self.register_parameter(name, nn.Parameter(torch.randn(())))

    def forward(self, x):
        return self.a + x * (self.b + x * (self.c + x * self.d))

    def string(self):
        return "y = {} + {} x + {} x^2 + {} x^3".format(
            self.a.item(), self.b.item(), self.c.item(), self.d.item())


def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    losses = []
    for step in range(steps):
        loss = loss_fn(model(x), y)
        if step % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return losses
