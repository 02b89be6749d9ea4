"""Exercise 12 with the four coefficients in one vector and the powers of x as a matrix: the
prediction and the gradients are matrix products; a hand-written sum of squares for fit_optim."""
import torch
from torch import nn


def _powers(x):
    return torch.stack([torch.ones_like(x), x, x * x, x * x * x], dim=-1)     # (N, 4)


def poly_grads_tensor(x, y, y_pred):
    grads = _powers(x).T @ (2 * (y_pred - y))
    return tuple(grads.unbind())


def _initial(x, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randn((), generator=g) for _ in range(4)]).to(x.device, x.dtype)


def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    coef = _initial(x, seed)
    X = _powers(x)
    losses = []
    for t in range(steps):
        residual = X @ coef - y
        if t % 100 == 99:
            losses.append(torch.dot(residual, residual).item())
        coef -= lr * (X.T @ (2 * residual))
    return tuple(coef.unbind()), losses


def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    coef = _initial(x, seed).requires_grad_()
    X = _powers(x)
    losses = []
    for t in range(steps):
        loss = ((X @ coef - y) ** 2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            coef -= lr * coef.grad
            coef.grad.zero_()
    return tuple(coef.detach().unbind()), losses


class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x.pow(2) + self.d * x.pow(3)

    def string(self):
        a, b, c, d = (p.item() for p in (self.a, self.b, self.c, self.d))
        return "y = " + str(a) + " + " + str(b) + " x + " + str(c) + " x^2 + " + str(d) + " x^3"


def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    optimizers = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {sorted(optimizers)}, not {optimizer!r}")
    opt = optimizers[optimizer](model.parameters(), lr=lr)
    losses = []
    for t in range(steps):
        loss = torch.sum((model(x) - y) ** 2)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
