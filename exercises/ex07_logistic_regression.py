# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex07
"""Exercise 07: logistic regression: sigmoid, binary cross-entropy, two Gaussian clusters.

A classifier says how likely a point belongs to class 1: p = sigmoid(x @ w + b). Write the
sigmoid and the binary cross-entropy by hand, derive the gradient of the loss with respect to the
logits (it is remarkably simple: (p - y) / N), then train an `nn.Module` on two clusters of
points with `nn.BCELoss` and SGD with momentum, and measure its accuracy.

What you practise: a numerically safe sigmoid and log (logits of ±1000 must not give inf or
NaN); the chain rule through sigmoid and log; a module that returns probabilities; momentum;
turning probabilities into class decisions.
"""
import torch
from torch import nn


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise, written by hand.

    Args:
        z: a float tensor of any shape, e.g. (N, 1) logits; any device.
    Returns:
        a tensor of z's shape, dtype and device with values in [0, 1]. It must stay finite and
        correct for large |z|: sigmoid(1000) = 1 and sigmoid(-1000) = 0 (exp(1000) is inf, and
        1 / (1 + inf) = 0 is fine, but inf / inf, as in exp(z) / (1 + exp(z)), is NaN).
        Manual: the same result with autograd off.

    Example:
        >>> sigmoid(torch.tensor([0.0, 2.0, -1000.0, 1000.0]))
        tensor([0.5000, 0.8808, 0.0000, 1.0000])
    """
    # TODO ex07.sigmoid: which form stays finite when exp overflows to inf?
    raise NotImplementedError("ex07.sigmoid: not started")


def bce_loss(p, y):
    """The binary cross-entropy, averaged: mean of -[y log p + (1 - y) log(1 - p)].

    Each log is clamped from below at -100, as nn.BCELoss does, so p = 0 or p = 1 gives a large
    but finite loss instead of inf (or NaN from 0 * log 0).

    Args:
        p: probabilities, a float tensor of any shape, e.g. (N, 1), values in [0, 1].
        y: the labels 0.0 or 1.0, same shape, dtype and device as p.
    Returns:
        a 0-dim tensor of p's dtype and device (equal to nn.BCELoss()(p, y)). Manual.

    Example:
        >>> bce_loss(torch.tensor([0.8, 0.4]), torch.tensor([1.0, 0.0]))
        tensor(0.3670)                         # -(log 0.8 + log 0.6) / 2
        >>> bce_loss(torch.tensor([0.0]), torch.tensor([1.0]))    # log 0 clamped at -100
        tensor(100.)
    """
    # TODO ex07.bce_loss: torch.clamp(torch.log(...), min=-100) for each of the two logs.
    raise NotImplementedError("ex07.bce_loss: not started")


def bce_grad_logits(z, y):
    """The gradient of bce_loss(sigmoid(z), y) with respect to the logits z, in closed form.

    Through the chain rule, dL/dp = (p - y) / (p (1 - p) N) and dp/dz = p (1 - p), so
    dL/dz = (sigmoid(z) - y) / N, with N = z.numel() (the mean counts every entry).

    Args:
        z: logits, a float tensor of any shape, e.g. (N, 1); y: labels of the same shape.
    Returns:
        a tensor of z's shape, dtype and device. Manual (no autograd); finite at z = ±1000.

    Example:
        >>> bce_grad_logits(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]))
        tensor([-0.2500,  0.2500])             # (0.5 - 1) / 2 and (0.5 - 0) / 2
    """
    # TODO ex07.bce_grad_logits: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex07.bce_grad_logits: not started")


def make_clusters(n, seed):
    """Two clusters of N points each in the plane, class 0 around (2.7, 2.7) and class 1
    around (-0.7, -0.7).

    Args:
        n: N, the number of points per class; seed: an int for one
            `torch.Generator().manual_seed(seed)` on the CPU (the global random state is
            neither used nor changed: no torch.manual_seed(seed) here).
    Returns:
        (x, y), on the CPU: x float32 of shape (2N, 2): first the N rows of class 0, drawn as
        `torch.normal(1.7, 1.0, (N, 2), generator=g) + 1`, then the N rows of class 1, drawn
        next from the same generator as `torch.normal(-1.7, 1.0, (N, 2), generator=g) + 1`;
        y float32 of shape (2N, 1): N zeros, then N ones.

    Example:
        >>> x, y = make_clusters(2, seed=0)
        >>> x.shape, y.flatten().tolist()
        (torch.Size([4, 2]), [0.0, 0.0, 1.0, 1.0])
    """
    # TODO ex07.make_clusters: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex07.make_clusters: not started")


class LogisticRegression(nn.Module):
    """p = sigmoid(x @ W.T + b), with one nn.Linear(in_features, 1) stored as `self.linear`.

    Args:
        in_features: D, the number of input features.

    forward(x): x float (N, D) on the model's device; returns probabilities of shape (N, 1),
    `torch.sigmoid(self.linear(x))` (not the logits). No side effects.

    Example:
        >>> model = LogisticRegression(2)
        >>> model.load_state_dict({"linear.weight": torch.tensor([[1.0, -1.0]]),
        ...                        "linear.bias": torch.tensor([0.0])})
        >>> model(torch.tensor([[2.0, 0.0], [0.0, 0.0]]))    # sigmoid(2), sigmoid(0)
        tensor([[0.8808],
                [0.5000]], grad_fn=<SigmoidBackward0>)
    """

    def __init__(self, in_features):
        super().__init__()
        # TODO ex07.LogisticRegression.__init__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex07.LogisticRegression.__init__: not started")

    def forward(self, x):
        # TODO ex07.LogisticRegression.forward: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex07.LogisticRegression.forward: not started")


def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    """Full-batch training with nn.BCELoss() and torch.optim.SGD(model.parameters(), lr=lr,
    momentum=momentum); per epoch: zero_grad, forward, loss, backward, step.

    Args:
        model: an nn.Module returning probabilities (N, 1); x: float (N, D); y: float (N, 1)
        labels; all on one device. lr: float; epochs: int; momentum: float.
    Returns:
        a list of `epochs` Python floats, the loss of each epoch computed before its update.

    Example:
        >>> x, y = make_clusters(50, seed=0)
        >>> losses = train_logistic(LogisticRegression(2), x, y, lr=0.1, epochs=100)
        >>> losses[-1] < losses[0]
        True
    """
    # TODO ex07.train_logistic: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex07.train_logistic: not started")


def accuracy(model, x, y):
    """The fraction of rows the model classifies right: predicted class 1 where p >= 0.5.

    Args:
        model: an nn.Module returning probabilities (N, 1); x: float (N, D); y: float (N, 1)
        labels 0.0 / 1.0; on one device.
    Returns:
        a Python float in [0, 1]. Computed without a graph (under torch.no_grad()).

    Example:
        >>> model = LogisticRegression(1)
        >>> model.load_state_dict({"linear.weight": torch.tensor([[1.0]]),
        ...                        "linear.bias": torch.tensor([0.0])})
        >>> x, y = torch.tensor([[-2.0], [0.0], [3.0]]), torch.tensor([[0.0], [0.0], [1.0]])
        >>> accuracy(model, x, y)              # p = 0.12, 0.5, 0.95 -> classes 0, 1, 1
        0.6666666666666666
    """
    # TODO ex07.accuracy: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex07.accuracy: not started")
