# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex06
"""Exercise 06: nn.Linear, nn.MSELoss, torch.optim.SGD and a module of your own.

The training loop of ex05 again, this time with PyTorch's building blocks: a model that is an
`nn.Module` holding one `nn.Linear` layer, the loss `nn.MSELoss()`, and an optimizer,
`torch.optim.SGD`, that does the update and zeroes the gradients for you. On the course data
X = [[1], [2], [3], [4]], Y = [[2], [4], [6], [8]] the trained model predicts f(5) ≈ 10.

What you practise: subclassing `nn.Module` (`super().__init__()`, submodules as attributes,
`forward`); the order zero_grad → forward → loss → backward → step; `loss.item()`; predicting
under `torch.no_grad()`.
"""
import torch
from torch import nn


class LinearRegression(nn.Module):
    """y_pred = x @ W.T + b with one nn.Linear layer, stored as `self.linear`.

    Args:
        input_dim: D, the number of input features; output_dim: O, the number of outputs.

    forward(x): x a float tensor of shape (N, D) on the model's device and dtype; returns
    `self.linear(x)` of shape (N, O). Its parameters are `linear.weight` (O, D) and
    `linear.bias` (O,). Forward only computes: no update, no backward, the same output for
    the same input.

    Example:
        >>> model = LinearRegression(1, 1)
        >>> model.load_state_dict({"linear.weight": torch.tensor([[2.0]]),
        ...                        "linear.bias": torch.tensor([0.5])})
        >>> model(torch.tensor([[1.0], [3.0]]))          # 2 * x + 0.5
        tensor([[2.5000],
                [6.5000]], grad_fn=<AddmmBackward0>)
    """

    def __init__(self, input_dim, output_dim):
        super().__init__()
        # TODO ex06.LinearRegression.__init__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex06.LinearRegression.__init__: not started")

    def forward(self, x):
        # TODO ex06.LinearRegression.forward: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex06.LinearRegression.forward: not started")


def make_optimizer(model, lr):
    """Plain stochastic gradient descent over every parameter of `model`.

    Args:
        model: an nn.Module; lr: the learning rate, a float.
    Returns:
        `torch.optim.SGD(model.parameters(), lr=lr)` (no momentum, no weight decay).

    Example:
        >>> opt = make_optimizer(LinearRegression(1, 1), lr=0.01)
        >>> type(opt).__name__, opt.param_groups[0]["lr"]
        ('SGD', 0.01)
    """
    # TODO ex06.make_optimizer: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex06.make_optimizer: not started")


def train_step(model, loss_fn, optimizer, X, Y):
    """One training step, in this order: `optimizer.zero_grad()`; `pred = model(X)`;
    `loss = loss_fn(pred, Y)`; `loss.backward()`; `optimizer.step()`.

    Args:
        model: an nn.Module; loss_fn: e.g. nn.MSELoss(); optimizer: over model's parameters.
        X: float tensor (N, D); Y: float tensor (N, O); both on the model's device.
    Returns:
        the loss of this step, computed before the update, as a Python float (`loss.item()`).
        Gradients already in `.grad` when the step starts (from an earlier step, say) must
        not leak into this one: that is why zero_grad comes first.

    Example:
        >>> model = LinearRegression(1, 1)
        >>> model.load_state_dict({"linear.weight": torch.tensor([[0.0]]),
        ...                        "linear.bias": torch.tensor([0.0])})
        >>> X, Y = torch.tensor([[1.0], [2.0]]), torch.tensor([[2.0], [4.0]])
        >>> train_step(model, nn.MSELoss(), make_optimizer(model, 0.1), X, Y)   # (4 + 16) / 2
        10.0
        >>> model.linear.weight        # 0 - 0.1 * mean(2 * (0 - y) * x) = 0 + 0.1 * 10
        Parameter containing:
        tensor([[1.]], requires_grad=True)
    """
    # TODO ex06.train_step: zero_grad, forward, loss, backward, step; return the loss as a float.
    raise NotImplementedError("ex06.train_step: not started")


def train(model, X, Y, lr, n_iter):
    """Train `model` full batch for `n_iter` steps with nn.MSELoss() and make_optimizer(model, lr).

    Args:
        model: an nn.Module (e.g. LinearRegression(D, O)), already on the device of X and Y.
        X: float tensor (N, D); Y: float tensor (N, O); lr: float; n_iter: int.
    Returns:
        a list of `n_iter` Python floats: the loss of each step, computed before its update.
        The model is trained in place. train_step (zero_grad first) is one right loop body;
        the course's order, backward, step, then zero_grad at the end of each step, is right
        here too, since the loop starts with no gradients.

    Example:
        >>> X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
        >>> model = LinearRegression(1, 1)
        >>> model.load_state_dict({"linear.weight": torch.tensor([[-0.3]]),
        ...                        "linear.bias": torch.tensor([0.4])})
        >>> losses = train(model, X, 2 * X, lr=0.1, n_iter=100)
        >>> round(losses[0], 2), round(losses[-1], 5)
        (35.24, 0.00046)
        >>> round(model(torch.tensor([[5.0]])).item(), 2)     # f(5) ≈ 2 * 5
        9.96
    """
    # TODO ex06.train: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex06.train: not started")


def predict(model, x):
    """The model's output for x, computed without building a graph.

    Args:
        model: an nn.Module; x: float tensor (N, D) on the model's device.
    Returns:
        model(x), a tensor (N, O) on the same device that does not require grad: a prediction
        needs no gradient, and no graph is kept in memory. Any way to that result is right:
        `torch.no_grad()`, `torch.inference_mode()`, or `.detach()` of the output. (ex03's
        no_grad_eval, which teaches torch.no_grad() itself, asks for more.) The caller's model
        comes back as it was given: its parameters, and its mode (model.training): a
        model.eval() inside is undone with model.train(was_training) before returning.

    Example:
        >>> model = LinearRegression(1, 1)
        >>> model.load_state_dict({"linear.weight": torch.tensor([[2.0]]),
        ...                        "linear.bias": torch.tensor([0.0])})
        >>> predict(model, torch.tensor([[5.0]]))
        tensor([[10.]])
    """
    # TODO ex06.predict: a prediction needs no gradient: run the model with autograd off.
    raise NotImplementedError("ex06.predict: not started")
