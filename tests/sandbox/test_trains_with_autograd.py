"""A training function whose contract is loss.backward() (USES_AUTOGRAD: ex04 train_autograd
and train_quadratic, ex05 fit, ex06 train_step and train, ex12 fit_autograd, ...) gets no points
for gradients written by hand, with no autograd at all or beside an unrelated backward(): the
engine must run on a graph that reaches the parameters it trains (a model argument's, or leaves
it made that end as what it returns, or whose loss it returns). Honest loops keep their points:
a new leaf per sample, torch.autograd.grad instead of backward(), the course's order. The
failure waits for the value checks."""
from __future__ import annotations

import pytest

from tests.conftest import failing, messages

DUMMY = "    (torch.ones((), requires_grad=True) * 1).backward()\n"

BY_HAND = {
    "ex04": ("train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
{dummy}    w, losses = float(w0), []
    for _ in range(epochs):
        last = 0.0
        for x, y in zip(xs, ys):
            x, y = float(x), float(y)
            last = (x * w - y) ** 2
            w -= lr * 2 * x * (x * w - y)
        losses.append(last)
    return w, losses
'''),
    "ex05": ("fit", '''
def fit(x, y, lr, iters, seed):
{dummy}    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        with torch.no_grad():
            r = x * w + b - y
            losses.append((r ** 2).mean().item())
            w -= lr * (2 * r * x).mean()
            b -= lr * (2 * r).mean()
    return w, b, losses
'''),
    "ex06": ("train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
{dummy}    optimizer.zero_grad()
    with torch.no_grad():
        pred = model(X)
        loss = loss_fn(pred, Y)
        g = 2 * (pred - Y) / pred.numel()
        model.linear.weight.grad = g.T @ X
        model.linear.bias.grad = g.sum(0)
    optimizer.step()
    return loss.item()
'''),
    "ex12": ("fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
{dummy}    return fit_tensor(x, y, lr, steps, seed)
'''),
}

HONEST = {
    "ex04": ("train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = torch.as_tensor(xs), torch.as_tensor(ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            leaf = w.clone().requires_grad_(True)
            l = (xi * leaf - yi) ** 2
            l.backward()
            w = (leaf - lr * leaf.grad).detach()
            last = l.item()
        losses.append(last)
    return w.item(), losses
'''),
    "ex05": ("fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= lr * gw
            b -= lr * gb
        losses.append(loss.item())
    return w, b, losses
'''),
    "ex06": ("train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    model.zero_grad(set_to_none=True)
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.step()
    return float(loss)
'''),
    "ex12": ("fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    p = torch.stack([torch.randn((), generator=g) for _ in range(4)]).to(x.device, x.dtype)
    p.requires_grad_()
    powers = torch.stack([x ** 0, x, x ** 2, x ** 3])
    losses = []
    for t in range(steps):
        loss = ((p @ powers - y) ** 2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        (grad,) = torch.autograd.grad(loss, p)
        with torch.no_grad():
            p -= lr * grad
    return tuple(p.detach()), losses
'''),
}
# a new leaf made each step (out of place), through backward() or torch.autograd.grad: the
# returned parameters are one step from the leaves the last pass reached ("without autograd"
# before: 9 and 6 points lost)
HONEST_NEW_LEAF = {
    "ex05": ("fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        loss.backward()
        with torch.no_grad():
            w = (w - lr * w.grad).requires_grad_()
            b = (b - lr * b.grad).requires_grad_()
        losses.append(loss.item())
    return w, b, losses
'''),
    "ex12": ("fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
                  for _ in range(4)]
    losses = []
    for t in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        ga, gb, gc, gd = torch.autograd.grad(loss, (a, b, c, d))
        with torch.no_grad():
            a, b, c, d = [(p - lr * gp).requires_grad_()
                          for p, gp in ((a, ga), (b, gb), (c, gc), (d, gd))]
    return (a.detach(), b.detach(), c.detach(), d.detach()), losses
'''),
}
HONEST.update({f"{ex} new leaf": v for ex, v in HONEST_NEW_LEAF.items()})


@pytest.mark.parametrize("dummy", ["", DUMMY], ids=["no autograd", "an unrelated backward"])
@pytest.mark.parametrize("ex", BY_HAND)
def test_a_training_loop_by_hand_gets_no_points(grade, ex, dummy):
    target, code = BY_HAND[ex]
    result = grade(ex, code.replace("{dummy}", dummy), targets=[target], device="cpu")
    assert failing(result, target), (ex, target)
    assert f"{target}(...) computed its answer without autograd" in messages(result, target), \
        messages(result, target)


@pytest.mark.parametrize("ex", HONEST)
def test_an_honest_training_loop_keeps_its_points(grade, ex):
    target, code = HONEST[ex]
    result = grade(ex.split()[0], code, targets=[target], device="cpu")
    assert not failing(result), messages(result)
    assert result.score == result.max_score
