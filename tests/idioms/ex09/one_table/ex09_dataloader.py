"""Exercise 09 with one float32 tensor holding the whole table (rows are views into it),
F.binary_cross_entropy and zero_grad(set_to_none=True)."""
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class CsvDataset(Dataset):
    def __init__(self, path):
        self.data = torch.tensor(np.loadtxt(path, delimiter=",", ndmin=2), dtype=torch.float32)

    def __len__(self):
        return self.data.size(0)

    def __getitem__(self, i):
        return self.data[i, :-1], self.data[i, -1:]


def make_loader(dataset, batch_size, shuffle, seed):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed))


def train_minibatch(model, loader, lr, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    result = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for features, labels in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy(model(features), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
            count += 1
        result.append(total / count)
    return result
