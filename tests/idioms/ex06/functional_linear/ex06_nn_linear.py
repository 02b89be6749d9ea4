"""Exercise 06 with F.linear on the layer's own parameters, zero_grad(set_to_none=True),
nn.MSELoss(reduction="mean") and a @torch.no_grad() decorator."""
import torch
import torch.nn.functional as F
from torch import nn, optim


class LinearRegression(nn.Module):
    def __init__(self, input_dim: int, output_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_features=input_dim, out_features=output_dim)

    def forward(self, x):
        return F.linear(x, self.linear.weight, self.linear.bias)


def make_optimizer(model, lr):
    return optim.SGD(params=model.parameters(), lr=lr)


def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.step()
    return float(loss)


def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss(reduction="mean")
    opt = make_optimizer(model, lr)
    return list(map(lambda _: train_step(model, loss_fn, opt, X, Y), range(n_iter)))


@torch.no_grad()
def predict(model, x):
    return model(x)
