"""Exercise 05 with the course's .data idioms: w.data = w.data - lr * w.grad.data and
w.grad.data.zero_()."""
import torch


def make_data(n, seed, device="cpu"):
    torch_gen = torch.Generator()
    torch_gen.manual_seed(seed)
    x = torch.rand(n, generator=torch_gen)
    y = 3 * x + 0.8
    return x.to(device), y.to(device)


def init_params(seed, device="cpu"):
    gen = torch.Generator().manual_seed(seed)
    w = torch.rand(1, generator=gen).to(device)
    b = torch.rand(1, generator=gen).to(device)
    w.requires_grad = True
    b.requires_grad = True
    return w, b


def mse_loss(y, y_pred):
    return torch.mean((y_pred - y) ** 2)


def sgd_update_(params, lr):
    for p in params:
        p.data = p.data - lr * p.grad.data


def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for i in range(iters):
        y_pred = x * w + b
        loss = mse_loss(y, y_pred)
        if w.grad is not None:
            w.grad.data.zero_()
            b.grad.data.zero_()
        loss.backward()
        sgd_update_([w, b], lr)
        losses.append(loss.item())
    return w, b, losses
