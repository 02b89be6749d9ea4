"""Exercise 09 as the course notes write it: DiabetesDataset's np.loadtxt, torch.from_numpy of
xy[:, 0:-1] and xy[:, [-1]], self.len, and the loop `for i, data in enumerate(train_loader, 0)`."""
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class CsvDataset(Dataset):
    """Diabetes dataset."""

    # Initialize your data, download, etc.
    def __init__(self, path):
        xy = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.len = xy.shape[0]
        self.x_data = torch.from_numpy(xy[:, 0:-1])
        self.y_data = torch.from_numpy(xy[:, [-1]])

    def __getitem__(self, index):
        return self.x_data[index], self.y_data[index]

    def __len__(self):
        return self.len


def make_loader(dataset, batch_size, shuffle, seed):
    train_loader = DataLoader(dataset=dataset,
                              batch_size=batch_size,
                              shuffle=shuffle,
                              generator=torch.Generator().manual_seed(seed))
    return train_loader


def train_minibatch(model, loader, lr, epochs):
    criterion = torch.nn.BCELoss(reduction="mean")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        epoch_loss = 0.0
        for i, data in enumerate(loader, 0):
            # get the inputs
            inputs, labels = data
            # forward pass: compute the predicted y by passing x to the model
            y_pred = model(inputs)
            # compute and keep the loss
            loss = criterion(y_pred, labels)
            epoch_loss += loss.item()
            # zero gradients, perform a backward pass, and update the weights
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(epoch_loss / (i + 1))
    return losses
