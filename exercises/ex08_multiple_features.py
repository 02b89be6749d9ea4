# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex08
"""Exercise 08: eight features in, one probability out: a network 8 → 6 → 4 → 1 with sigmoids.

The data set (diabetes.csv, shipped with the exercises) has one row per patient: eight
measurements scaled to [-1, 1] and, in the last column, whether the disease followed (0 or 1).
Load it into tensors, build a network of three `nn.Linear` layers, each followed by a sigmoid,
and train it full batch (all rows in every step) with `nn.BCELoss` and SGD.
This diabetes.csv is a synthetic stand-in of the notes' table's shape, not the notes' file.

What you practise: reading a CSV into float32 tensors of the right shapes; `nn.ModuleList`, so
that layers kept in a list are registered (their parameters show up in `model.parameters()`);
a forward pass that loops over layers; a training loop you already know, on more features.
"""
import numpy as np
import torch
from torch import nn


def load_csv(path):
    """Read a comma-separated file of numbers: every column but the last are features, the last
    is the label.

    Args:
        path: the file's path (a str), e.g. "diabetes.csv". No header line.
    Returns:
        (x, y): float32 tensors on the CPU; x of shape (N, D) (all columns but the last), y of
        shape (N, 1) (the last column, kept 2-D so that it matches a model's (N, 1) output).

    Example:
        >>> x, y = load_csv("diabetes.csv")
        >>> x.shape, y.shape, x.dtype
        (torch.Size([759, 8]), torch.Size([759, 1]), torch.float32)
    """
    # TODO ex08.load_csv: np.loadtxt reads it (delimiter=","); slice with -1: to keep y two-dimensional.
    raise NotImplementedError("ex08.load_csv: not started")


class DeepBinaryClassifier(nn.Module):
    """A stack of nn.Linear layers, each followed by a sigmoid, the last one too.

    Args:
        sizes: the widths (D, H1, ..., 1), default (8, 6, 4, 1): layer k is
            nn.Linear(sizes[k], sizes[k + 1]).

    Attributes:
        layers: an nn.ModuleList of the len(sizes) - 1 layers (parameters `layers.0.weight`
            (6, 8), `layers.0.bias` (6,), `layers.1.weight` (4, 6), ... for the default).

    forward(x): x float (N, D) on the model's device; returns probabilities (N, 1), each in
    (0, 1): sigmoid(layer_k(...sigmoid(layer_0(x)))). No side effects.

    Example:
        >>> model = DeepBinaryClassifier()
        >>> [name for name, _ in model.named_parameters()][:2]
        ['layers.0.weight', 'layers.0.bias']
        >>> model(torch.zeros(3, 8)).shape
        torch.Size([3, 1])
    """

    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        # TODO ex08.DeepBinaryClassifier.__init__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex08.DeepBinaryClassifier.__init__: not started")

    def forward(self, x):
        # TODO ex08.DeepBinaryClassifier.forward: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex08.DeepBinaryClassifier.forward: not started")


def train_full_batch(model, x, y, lr, epochs):
    """Full-batch training with nn.BCELoss() and torch.optim.SGD(model.parameters(), lr=lr);
    per epoch: zero_grad, forward on all rows, loss, backward, step.

    Args:
        model: an nn.Module returning probabilities (N, 1); x: float (N, D); y: float (N, 1)
        labels 0.0 / 1.0; all on one device. lr: float; epochs: int.
    Returns:
        a list of `epochs` Python floats, the loss of each epoch computed before its update.

    Example:
        >>> x, y = load_csv("diabetes.csv")
        >>> losses = train_full_batch(DeepBinaryClassifier(), x, y, lr=1.0, epochs=100)
        >>> len(losses), losses[-1] < losses[0]
        (100, True)
    """
    # TODO ex08.train_full_batch: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex08.train_full_batch: not started")
