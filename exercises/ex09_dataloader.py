# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex09
"""Exercise 09: Dataset and DataLoader, training on mini-batches.

Exercise 08 trained on the whole table at once. With more data than fits in one step, training
goes through it in mini-batches: a `Dataset` says how many samples there are and how to get sample
i; a `DataLoader` groups samples into batches, shuffles them anew each epoch and stacks them into
tensors. The training loop then makes one optimizer step per batch.

The data: diabetes.csv, 759 rows of 8 features scaled to [-1, 1] and a 0/1 label in the last
column, no header line.

Shuffling draws random numbers. Give the loader its own seeded generator
(`torch.Generator().manual_seed(seed)`) and the order of the batches depends on `seed` only: the
same seed gives the same order, another seed another order, whatever else your program draws.

What you practise: subclassing torch.utils.data.Dataset (__len__, __getitem__), DataLoader's
batch_size / shuffle / generator, and an epoch loop over mini-batches that reports a mean loss.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class CsvDataset(Dataset):
    """The rows of a CSV file of numbers (no header): every column but the last are the
    features, the last column is the label.

    __init__(path): read the whole file once (e.g. np.loadtxt(path, delimiter=",",
        dtype=np.float32)) and keep the features, shape (N, D), and the labels, shape (N, 1), as
        float32 tensors on the CPU.
    __len__(): N, the number of rows.
    __getitem__(i): the pair (features, label) of row i: float32 tensors of shapes (D,) and (1,)
        (the label keeps its own dimension of size 1, as nn.BCELoss wants for a model's output
        of shape (batch, 1)).

    Example:
        >>> ds = CsvDataset("diabetes.csv")
        >>> len(ds)
        759
        >>> x0, y0 = ds[0]
        >>> x0.shape, y0.shape, x0.dtype
        (torch.Size([8]), torch.Size([1]), torch.float32)
    """

    def __init__(self, path):
        # TODO ex09.CsvDataset.__init__: read the file once; keep data[:, :-1] and data[:, -1:] as float32 tensors.
        raise NotImplementedError("ex09.CsvDataset.__init__: not started")

    def __len__(self):
        # TODO ex09.CsvDataset.__len__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex09.CsvDataset.__len__: not started")

    def __getitem__(self, i):
        # TODO ex09.CsvDataset.__getitem__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex09.CsvDataset.__getitem__: not started")


def make_loader(dataset, batch_size, shuffle, seed):
    """A DataLoader over `dataset` whose shuffling depends on `seed` only.

    DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
               generator=torch.Generator().manual_seed(seed)).
    Every row appears exactly once per epoch (no drop_last: the last batch may be smaller);
    iterating the loader again gives the next epoch, in a new order when shuffle is True.
    The rule, whichever way it is built (a seeded RandomSampler does as well): the same seed
    gives the same batches, another seed another order, and the global random state is
    neither used nor changed.

    Args:
        dataset: any Dataset of N samples. batch_size: B. shuffle: bool. seed: an int.
    Returns:
        the DataLoader: ceil(N / B) batches per epoch.

    Example:
        >>> loader = make_loader(CsvDataset("diabetes.csv"), 32, shuffle=True, seed=0)
        >>> len(loader)                          # ceil(759 / 32); the last batch holds 23 rows
        24
        >>> xb, yb = next(iter(loader))
        >>> xb.shape, yb.shape
        (torch.Size([32, 8]), torch.Size([32, 1]))
    """
    # TODO ex09.make_loader: one DataLoader, with generator=torch.Generator().manual_seed(seed).
    raise NotImplementedError("ex09.make_loader: not started")


def train_minibatch(model, loader, lr, epochs):
    """Train a binary classifier that outputs probabilities, one SGD step per mini-batch.

    The loss is nn.BCELoss() (the model ends with a sigmoid), the optimizer
    torch.optim.SGD(model.parameters(), lr=lr). For every batch (x_batch, y_batch) of every epoch:
    the loss of model(x_batch) against y_batch, zero the gradients, backward, step.

    Args:
        model: an nn.Module mapping (B, D) to probabilities (B, 1), e.g. the 8 -> 6 -> 4 -> 1
            sigmoid network of ex08. loader: a DataLoader of (features (B, D), labels (B, 1)) on
            the model's device. lr: the learning rate. epochs: the number of passes.
    Returns:
        a list of `epochs` Python floats: for each epoch the plain mean of its batch losses
        (loss.item() of each batch, each batch counted once, the smaller last one too).

    Example:
        >>> losses = train_minibatch(model, make_loader(CsvDataset("diabetes.csv"), 32, True, 0),
        ...                          lr=0.5, epochs=10)
        >>> len(losses), losses[-1] < losses[0]
        (10, True)
    """
    # TODO ex09.train_minibatch: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex09.train_minibatch: not started")
