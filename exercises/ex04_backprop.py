# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex04
"""Exercise 04: backpropagation, by hand and with autograd.

Backpropagation is the chain rule, applied one node at a time from the loss back to the weight.
For one sample and the model y_hat = x * w:

    y_hat = x * w          d y_hat / d w = x
    r = y_hat - y          d r / d y_hat = 1
    loss = r ** 2          d loss / d r = 2 r

so d loss / d w = 2 r * 1 * x. The course's numbers: x = 2, y = 4, w = 1 give y_hat = 2,
r = -2, loss = 4 and d loss / d w = -8.

Autograd does exactly this walk for you: `loss.backward()` leaves d loss / d w in `w.grad`.
You will use it to train the linear model one sample at a time, and then a quadratic model
y_hat = w1 * x**2 + w2 * x + b, checking its three gradients by hand.

What you practise: the chain rule written out step by step; a training loop with autograd
(backward, an update that builds no graph, zeroing the gradient); more than one parameter.
"""
import numpy as np
import torch


def _as_tensors(xs, ys):
    """xs, ys as float tensors: tensors keep their dtype and device (ys follows xs); lists and
    arrays become float32 CPU tensors, as torch.tensor([1.0, 2.0]) does in the course."""
    if isinstance(xs, torch.Tensor):
        x = xs.detach()
    else:
        x = torch.as_tensor(np.asarray(xs, dtype=np.float32))
    if not x.is_floating_point():
        x = x.float()
    y = ys.detach() if isinstance(ys, torch.Tensor) else torch.as_tensor(np.asarray(ys))
    return x, y.to(device=x.device, dtype=x.dtype)


def backward_steps(x, y, w):
    """The forward pass and every local derivative of loss = (x * w - y) ** 2, by hand.

    Manual: no autograd.

    Args:
        x, y: one input and its target, Python floats.
        w: the weight, a Python float.
    Returns:
        a dict of Python floats with the keys
        "y_hat" (x * w), "r" (y_hat - y), "loss" (r ** 2),
        "dloss_dr" (2 * r), "dr_dyhat" (1.0), "dyhat_dw" (x),
        "dloss_dw" (dloss_dr * dr_dyhat * dyhat_dw, the chain rule).

    Example (the course's numbers):
        >>> steps = backward_steps(2.0, 4.0, 1.0)
        >>> steps["y_hat"], steps["r"], steps["loss"], steps["dloss_dr"], steps["dloss_dw"]
        (2.0, -2.0, 4.0, -4.0, -8.0)
    """
    # TODO ex04.backward_steps: the forward values, each local derivative, then their product.
    raise NotImplementedError("ex04.backward_steps: not started")


def affine_backward_steps(x, y, w, b):
    """backward_steps for the model with a bias, y_hat = x * w + b: loss = (x * w + b - y) ** 2.

    The chain rule as in backward_steps, with one more path from the loss to a parameter:
    d y_hat / d b = 1, so d loss / d b = 2 r * 1 * 1. Manual: no autograd.

    Args:
        x, y: one input and its target, Python floats.
        w, b: the weight and the bias, Python floats.
    Returns:
        a dict of Python floats with the keys of backward_steps,
        "y_hat" (x * w + b), "r" (y_hat - y), "loss" (r ** 2),
        "dloss_dr" (2 * r), "dr_dyhat" (1.0), "dyhat_dw" (x),
        "dloss_dw" (dloss_dr * dr_dyhat * dyhat_dw),
        plus "dyhat_db" (1.0) and "dloss_db" (dloss_dr * dr_dyhat * dyhat_db).

    Example (the notes' Exercise 4-2: x = 1, y = 2, w = 1, b = 2):
        >>> steps = affine_backward_steps(1.0, 2.0, 1.0, 2.0)
        >>> steps["y_hat"], steps["r"], steps["loss"], steps["dloss_dw"], steps["dloss_db"]
        (3.0, 1.0, 1.0, 2.0, 2.0)
    """
    # TODO ex04.affine_backward_steps: as backward_steps, plus the bias's local derivative and its chain-rule product.
    raise NotImplementedError("ex04.affine_backward_steps: not started")


def train_autograd(xs, ys, w0, lr, epochs):
    """Per-sample gradient descent on (x * w - y) ** 2 with autograd computing the gradient.

    w is a leaf tensor that requires grad, holding w0, with the dtype and device of xs (float32
    on the CPU for lists, as in the course). In each epoch, for each sample (x, y) in order:
    l = (x * w - y) ** 2; l.backward(); w -= lr * w.grad without building a graph (inside
    torch.no_grad()); then zero w.grad. losses[k] is the last sample's l in epoch k, computed
    *before* its update: the l that backward() used, as in the course's loop,

        for x_val, y_val in zip(x_data, y_data):
            l = loss(x_val, y_val)          # before the update: this l is printed
            l.backward()
            w.data = w.data - 0.01 * w.grad.data
            w.grad.data.zero_()

    (ex02's stochastic_gradient_descent records the loss *after* the update: its loop differs.)

    Args:
        xs, ys: the N samples: lists of floats, or 1-D tensors of shape (N,) (float32 or
            float64, any device).
        w0: the initial weight; lr: the learning rate (Python floats); epochs: an int >= 0.
    Returns:
        (w, losses): w a Python float; losses a list of `epochs` Python floats.

    Example (the course run):
        >>> w, losses = train_autograd([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0, 0.01, 10)
        >>> round(w, 4), round(losses[0], 4)
        (1.9512, 7.3159)
    """
    # TODO ex04.train_autograd: the update and the zeroing go inside `with torch.no_grad():`.
    raise NotImplementedError("ex04.train_autograd: not started")


def quadratic_forward(x, w1, w2, b):
    """The quadratic model y_hat = w1 * x**2 + w2 * x + b.

    Args:
        x: a float, or a tensor of any shape (e.g. (N,)), any dtype and device.
        w1, w2, b: floats (or 0-dim tensors).
    Returns:
        y_hat, the same kind, shape, dtype and device as x.

    Example:
        >>> quadratic_forward(2.0, 1.0, 2.0, 3.0)      # 1*4 + 2*2 + 3
        11.0
    """
    # TODO ex04.quadratic_forward: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex04.quadratic_forward: not started")


def quadratic_grads(x, y, w1, w2, b):
    """The gradients of the squared error (y_hat - y) ** 2 of the quadratic model, by hand.

    With r = quadratic_forward(x, w1, w2, b) - y: dL/dw1 = 2 r x**2, dL/dw2 = 2 r x,
    dL/db = 2 r. Per sample: for tensors x, y of shape (N,) each result has shape (N,) (no sum,
    no mean). Manual: no autograd.

    Args:
        x, y: floats, or tensors of the same shape (N,), any dtype and device.
        w1, w2, b: floats.
    Returns:
        (dL_dw1, dL_dw2, dL_db): floats, or tensors of x's shape, dtype and device.

    Example:
        >>> quadratic_grads(2.0, 4.0, 1.0, 1.0, 1.0)   # y_hat = 7, r = 3
        (24.0, 12.0, 6.0)
    """
    # TODO ex04.quadratic_grads: dL/dy_hat = 2 r; y_hat is linear in w1, w2 and b.
    raise NotImplementedError("ex04.quadratic_grads: not started")


def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    """Per-sample gradient descent on the quadratic model, with autograd, as train_autograd.

    w1, w2 and b are leaf tensors that require grad, with the dtype and device of xs (float32 on
    the CPU for lists). For each sample in order: l = (quadratic_forward(x, w1, w2, b) - y) ** 2;
    l.backward(); update each parameter p -= lr * p.grad without building a graph; zero the three
    gradients. losses[k] is the last sample's l in epoch k (before its update).

    Args:
        xs, ys: lists of floats, or 1-D tensors of shape (N,) (float32 or float64, any device).
        w1, w2, b: the initial parameters; lr: the learning rate (Python floats); epochs: int.
    Returns:
        (w1, w2, b, losses): three Python floats and a list of `epochs` Python floats.

    Example (the notes' exercise: the course data from w1, w2, b = 1, 2, 3, 100 epochs):
        >>> w1, w2, b, losses = train_quadratic([1.0, 2.0, 3.0], [2.0, 4.0, 6.0],
        ...                                     1.0, 2.0, 3.0, 0.01, 100)
        >>> round(losses[0], 4), round(quadratic_forward(4.0, w1, w2, b), 2)
        (29.3938, 8.72)
    """
    # TODO ex04.train_quadratic: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex04.train_quadratic: not started")
