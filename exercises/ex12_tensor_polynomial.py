# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex12
"""Exercise 12: the cubic fit of sin(x) again, with tensors, autograd, nn.Module and torch.optim.

Exercise 11 fitted y = a + b x + c x^2 + d x^3 to sin(x) with NumPy. This exercise walks the rest of
the "learning PyTorch with examples" path, changing one thing at a time:

1. tensors instead of arrays, with the gradients still written by hand (they run on a GPU too);
2. autograd computes the gradients: parameters that require grad, loss.backward(), an update
   under torch.no_grad(), and the gradients zeroed after each update;
3. an nn.Module holds the four coefficients as nn.Parameters;
4. torch.optim does the update, with a loss from torch.nn.

Every version starts from the same kind of seeded initial values and records the loss of the steps
t with t % 100 == 99, so their runs can be compared step by step with exercise 11's.

What you practise: device- and dtype-aware tensor code, leaf tensors and .grad, torch.no_grad(),
nn.Parameter, optimizer.zero_grad() / loss.backward() / optimizer.step().
"""
import torch
from torch import nn


def poly_grads_tensor(x, y, y_pred):
    """The gradients of the loss sum((y_pred - y)^2) with respect to a, b, c, d, by hand.

    The same formulas as ex11's poly_grads, on tensors: with g = 2 (y_pred - y),
    grad_a = sum(g), grad_b = sum(g x), grad_c = sum(g x^2), grad_d = sum(g x^3). No autograd:
    this must work under torch.no_grad() and on tensors that do not require grad.

    Args:
        x, y, y_pred: tensors of shape (N,), the same dtype, on the same device.
    Returns:
        (grad_a, grad_b, grad_c, grad_d): four 0-dim tensors of x's dtype on x's device (not
        Python floats: keep them on the GPU when x is there).

    Example:
        >>> poly_grads_tensor(torch.tensor([1.0, 2.0]), torch.zeros(2), torch.tensor([1.0, -1.0]))
        (tensor(0.), tensor(-2.), tensor(-6.), tensor(-14.))
    """
    # TODO ex12.poly_grads_tensor: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex12.poly_grads_tensor: not started")


def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    """Fit the cubic by gradient descent with tensors and hand-written gradients (no autograd).

    Initial values: g = torch.Generator().manual_seed(seed) (a CPU generator), then a, b, c, d in
    that order, each torch.randn((), generator=g) (drawn in float32 on the CPU) and then moved to
    x's device and dtype with .to(x.device, x.dtype); the global random state is neither used
    nor changed (no torch.manual_seed(seed)). For t = 0, ..., steps - 1: the prediction
    a + b x + c x^2 + d x^3, the loss sum((y_pred - y)^2), the gradients (poly_grads_tensor) and
    the update a -= lr * grad_a (and b, c, d). When t % 100 == 99, record loss.item() (the loss
    computed before the update of step t).

    Args:
        x, y: tensors of shape (N,), float32 or float64, on any device.
        lr, steps, seed: the learning rate, the number of updates, the seed of the initial values.
    Returns:
        ((a, b, c, d), losses): four 0-dim tensors of x's dtype on x's device, and a list of
        steps // 100 Python floats.

    Example:
        >>> x = torch.linspace(-torch.pi, torch.pi, 2000)
        >>> (a, b, c, d), losses = fit_tensor(x, torch.sin(x))
        >>> fit_tensor(x, torch.sin(x), steps=0)[0]        # the initial values for seed 0
        (tensor(1.5410), tensor(-0.2934), tensor(-2.1788), tensor(0.5684))
    """
    # TODO ex12.fit_tensor: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex12.fit_tensor: not started")


def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    """The same fit, with autograd computing the gradients.

    The same initial values as fit_tensor (then made leaves with .requires_grad_()). Each step:
    the prediction, the loss, record it when t % 100 == 99, loss.backward(), then, inside
    torch.no_grad(), p -= lr * p.grad for p in a, b, c, d, and zero the gradients
    (p.grad.zero_() or p.grad = None) so that they do not pile up over the steps.

    Args and returns: as fit_tensor; the returned tensors may be detached.

    Example:
        >>> x = torch.linspace(-torch.pi, torch.pi, 2000)
        >>> fit_autograd(x, torch.sin(x), steps=300)[1]    # equal to fit_tensor's losses
    """
    # TODO ex12.fit_autograd: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex12.fit_autograd: not started")


class Polynomial3(nn.Module):
    """The cubic as a module: four scalar parameters a, b, c, d.

    __init__ makes each a 0-dim nn.Parameter drawn with torch.randn(()) (the global generator,
    as any nn.Module's initialisation), named a, b, c, d in that order, so model.state_dict()
    has the keys ["a", "b", "c", "d"].

    forward(x): x a tensor of any shape, on the model's device and dtype; returns
        a + b x + c x^2 + d x^3 of the same shape, without changing the parameters.
    string(): the fitted polynomial as text, each value printed with Python's default
        float formatting of .item():
        "y = {a} + {b} x + {c} x^2 + {d} x^3".

    Example:
        >>> model = Polynomial3()
        >>> model.load_state_dict({"a": torch.tensor(1.0), "b": torch.tensor(2.0),
        ...                        "c": torch.tensor(0.5), "d": torch.tensor(-1.0)})
        >>> model(torch.tensor([0.0, 1.0, 2.0]))
        tensor([ 1.0000,  2.5000, -1.0000], grad_fn=<AddBackward0>)
        >>> model.string()
        'y = 1.0 + 2.0 x + 0.5 x^2 + -1.0 x^3'
    """

    def __init__(self):
        super().__init__()
        # TODO ex12.Polynomial3.__init__: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex12.Polynomial3.__init__: not started")

    def forward(self, x):
        # TODO ex12.Polynomial3.forward: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex12.Polynomial3.forward: not started")

    def string(self):
        # TODO ex12.Polynomial3.string: write this part (see the docstring for shapes and an example).
        raise NotImplementedError("ex12.Polynomial3.string: not started")


def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    """Train `model` (a Polynomial3, or any module mapping x to a prediction of y's shape) with
    torch.nn and torch.optim.

    The loss is nn.MSELoss(reduction="sum") (the sum of squared errors, as before). The optimizer
    is torch.optim.SGD(model.parameters(), lr=lr) for optimizer="sgd" and
    torch.optim.RMSprop(model.parameters(), lr=lr) for "rmsprop" (any other name: ValueError).
    Each step t: prediction, loss, record loss.item() when t % 100 == 99, zero the gradients,
    backward, optimizer step.

    Args:
        model: an nn.Module, already on x's device and dtype. x, y: tensors of shape (N,).
        lr: the learning rate. steps: the number of steps. optimizer: "sgd" or "rmsprop".
    Returns:
        losses, a list of steps // 100 Python floats. The model is trained in place.

    Example:
        >>> x = torch.linspace(-torch.pi, torch.pi, 2000)
        >>> model = Polynomial3()
        >>> losses = fit_optim(model, x, torch.sin(x), lr=1e-6, steps=2000)
        >>> model.string()      # about y = 0.0 + 0.84 x + 0.0 x^2 + -0.09 x^3, by the seed
    """
    # TODO ex12.fit_optim: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex12.fit_optim: not started")
