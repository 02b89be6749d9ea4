# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex10
"""Exercise 10: softmax and cross-entropy for several classes.

With C classes a classifier outputs C scores per sample, the logits z. Softmax turns them into
probabilities, p_k = e^{z_k} / sum_j e^{z_j}, and the cross-entropy of a sample whose true class is
t is -log p_t. Written naively, e^{1000} overflows to inf and the answer becomes NaN; subtracting
each row's maximum first changes nothing mathematically (the factor e^{-max} cancels) and keeps
every exponent <= 0. The same trick, log-sum-exp, gives a cross-entropy that never takes log(0).

The gradient of the mean cross-entropy with respect to the logits is short and worth knowing by
heart: (softmax(z) - one_hot(t)) / N.

Then the same with PyTorch's pieces: a small network that returns logits (nn.CrossEntropyLoss
applies log-softmax itself, so the model must not), mini-batch training with a DataLoader, and
predictions as class indices. The data: 450 samples with 4 features and 3 classes
(three_class.csv).

The course's numbers: for the true class 0, the logits [2.0, 1.0, 0.1] give a loss of 0.4170 and
the logits [0.5, 2.0, 0.3] give 1.8406.
"""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def softmax(z, dim=-1):
    """Softmax along `dim`, computed by hand and stable for large logits.

    Args:
        z: a float tensor of any shape, e.g. (N, C) logits for N samples and C classes.
        dim: the dimension that sums to 1 (the classes; the last one by default).
    Returns:
        a tensor of z's shape, dtype and device: exp(z - max) / sum(exp(z - max)) along dim,
        with the max taken along dim (keepdim=True). Finite for logits of +-1000.

    Example:
        >>> softmax(torch.tensor([1.0, 2.0, 3.0]))
        tensor([0.0900, 0.2447, 0.6652])
        >>> softmax(torch.tensor([1000.0, 0.0]))       # a naive exp(1000) is inf -> nan
        tensor([1., 0.])
    """
    # TODO ex10.softmax: subtract z.amax(dim=dim, keepdim=True) before exp, then divide by the sum along dim.
    raise NotImplementedError("ex10.softmax: not started")


def cross_entropy(logits, targets):
    """The mean cross-entropy of logits against class indices, by hand and stable.

    For row i: loss_i = logsumexp(logits[i]) - logits[i, targets[i]], where
    logsumexp(z) = max(z) + log(sum(exp(z - max(z)))) (never log(0), never exp of a big number).

    Args:
        logits: (N, C) float tensor. targets: (N,) int64 tensor of class indices in [0, C).
    Returns:
        a 0-dim tensor of logits' dtype on logits' device: the mean of loss_i over the N rows
        (the same value as nn.CrossEntropyLoss()(logits, targets)).

    Example:
        >>> cross_entropy(torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0]))
        tensor(0.4170)
        >>> cross_entropy(torch.tensor([[1000.0, -1000.0]]), torch.tensor([1]))
        tensor(2000.)
    """
    # TODO ex10.cross_entropy: logits.gather(1, targets.unsqueeze(1)) picks each row's logit of its target.
    raise NotImplementedError("ex10.cross_entropy: not started")


def cross_entropy_grad(logits, targets):
    """The gradient of cross_entropy(logits, targets) with respect to the logits, by hand.

    (softmax(logits) - one_hot(targets, C)) / N, with one_hot in logits' dtype and on its device.

    Args:
        logits: (N, C) float tensor. targets: (N,) int64 tensor.
    Returns:
        an (N, C) tensor of logits' dtype on logits' device. No autograd: this must work under
        torch.no_grad().

    Example:
        >>> cross_entropy_grad(torch.tensor([[0.0, 0.0], [0.0, 0.0]]), torch.tensor([0, 1]))
        tensor([[-0.2500,  0.2500],
                [ 0.2500, -0.2500]])          # (0.5 - 1) / 2 and (0.5 - 0) / 2
    """
    # TODO ex10.cross_entropy_grad: torch.nn.functional.one_hot(targets, C) is int64: convert it to logits' dtype.
    raise NotImplementedError("ex10.cross_entropy_grad: not started")


class SoftmaxClassifier(nn.Module):
    """A two-layer classifier: Linear -> ReLU -> Linear, returning logits.

    __init__(in_features, hidden, n_classes): self.hidden = nn.Linear(in_features, hidden) and
        self.output = nn.Linear(hidden, n_classes) (these names: checks load state dicts with the
        keys hidden.weight, hidden.bias, output.weight, output.bias).
    forward(x): x of shape (N, in_features) -> logits of shape (N, n_classes),
        output(relu(hidden(x))). Logits, NOT probabilities: nn.CrossEntropyLoss applies
        log-softmax itself, so a softmax here would be applied twice.

    Example:
        >>> model = SoftmaxClassifier(4, 8, 3)
        >>> model(torch.zeros(5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        # TODO ex10.SoftmaxClassifier.__init__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex10.SoftmaxClassifier.__init__: not started")

    def forward(self, x):
        # TODO ex10.SoftmaxClassifier.forward: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex10.SoftmaxClassifier.forward: not started")


def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    """Train `model` on shuffled mini-batches; return the mean batch loss of each epoch.

    Build ONE loader before the epochs:
        DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                   generator=torch.Generator().manual_seed(seed))
    (iterating it again starts a new shuffle, so every epoch sees another order; the last batch
    may be smaller; no rows are dropped). The global random state is neither used nor changed:
    no torch.manual_seed(seed) here. The loss is nn.CrossEntropyLoss() and the optimizer
    torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5). For each batch: loss of the
    model's logits, zero the gradients, backward, step.

    Args:
        model: an nn.Module returning logits (N, C), on x's device. x: (N, D) float tensor.
        y: (N,) int64 class indices. lr, epochs, batch_size: as named. seed: the shuffle's seed.
    Returns:
        a list of `epochs` Python floats: for each epoch the plain mean of its batch losses
        (loss.item() of every batch, each batch counted once, the smaller last one too).

    Example:
        >>> losses = train_classifier(SoftmaxClassifier(4, 8, 3), x, y, lr=0.1, epochs=5,
        ...                           batch_size=32, seed=0)
        >>> len(losses), losses[-1] < losses[0]
        (5, True)
    """
    # TODO ex10.train_classifier: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex10.train_classifier: not started")


def predict_classes(model, x):
    """The predicted class of each row: the argmax of the model's logits, without a graph.

    Args:
        model: an nn.Module returning logits (N, C). x: (N, D) float tensor on the model's device.
    Returns:
        an int64 tensor of shape (N,) on x's device (class indices, not probabilities, not
        floats), computed under torch.no_grad().

    Example:
        >>> predict_classes(model, x[:4])        # a model trained by train_classifier
        tensor([0, 2, 2, 0])
    """
    # TODO ex10.predict_classes: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex10.predict_classes: not started")
