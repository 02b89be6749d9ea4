"""Exercise 08 with np.loadtxt in float64 converted by .float(), the label column kept 2-D with
reshape(-1, 1), layers appended to an nn.ModuleList in a loop and x.sigmoid()."""
import numpy as np
import torch
from torch import nn


def load_csv(path):
    data = np.atleast_2d(np.loadtxt(path, delimiter=","))
    x = torch.tensor(data[:, :-1]).float()
    y = torch.tensor(data[:, -1]).float().reshape(-1, 1)
    return x, y


class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        sizes = list(sizes)
        self.layers = nn.ModuleList()
        for i in range(1, len(sizes)):
            self.layers.append(nn.Linear(sizes[i - 1], sizes[i]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x).sigmoid()
        return x


def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
