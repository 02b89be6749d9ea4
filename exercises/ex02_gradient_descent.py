# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex02
"""Exercise 02: gradient descent, by hand.

Exercise 01 found the best weight by trying them all. Calculus does better: the slope of the
cost tells which way is downhill. For the model y_hat = x * w and the cost

    cost(w) = mean over the N samples of (x * w - y) ** 2,

the derivative is d cost / d w = mean of 2 * x * (x * w - y). Gradient descent repeats
w <- w - lr * d cost / d w, and on the course data x = [1, 2, 3], y = [2, 4, 6] it walks from
w = 1.0 to w = 2.0.

Then the stochastic version: update after every single sample with that sample's gradient
2 * x * (x * w - y), as the course's second loop does.

What you practise: writing a derivative by hand, a training loop that records its progress,
and the difference between a full-batch and a per-sample update. No autograd here: every
gradient is a formula you write.
"""
import numpy as np
import torch


def _as_array(v):
    """A float64 NumPy array of a list, an array or a tensor (any device, even one that
    requires grad)."""
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().to(torch.float64).numpy()
    return np.asarray(v, dtype=np.float64)


def cost(xs, ys, w):
    """The mean squared error of the model y_hat = x * w over N samples.

    Args:
        xs, ys: the N inputs and targets: lists, NumPy arrays or 1-D tensors of shape (N,),
            float32 or float64, on any device.
        w: the weight, a Python float.
    Returns:
        a Python float: mean over the samples of (x * w - y) ** 2, computed in float64.

    Example:
        >>> cost([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0)     # (1 + 4 + 9) / 3
        4.666666666666667
    """
    # TODO ex02.cost: the mean over the samples of (x * w - y) ** 2; return a Python float.
    raise NotImplementedError("ex02.cost: not started")


def gradient(xs, ys, w):
    """d cost / d w, by hand: the mean over the samples of 2 * x * (x * w - y).

    Manual: no autograd. It must give the same answer under torch.no_grad() and for tensors
    that do not require grad.

    Args:
        xs, ys: lists, NumPy arrays or 1-D tensors of shape (N,), float32 or float64, any device.
        w: the weight, a Python float.
    Returns:
        a Python float, computed in float64.

    Example:
        >>> gradient([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0)   # (-2 - 8 - 18) / 3
        -9.333333333333334
    """
    # TODO ex02.gradient: the derivative of (x * w - y) ** 2 in w, averaged over the samples.
    raise NotImplementedError("ex02.gradient: not started")


def gradient_descent(xs, ys, w0, lr, epochs):
    """Full-batch gradient descent on `cost`, starting from w0.

    Each of the `epochs` steps first records cost(xs, ys, w), then updates
    w <- w - lr * gradient(xs, ys, w).

    Args:
        xs, ys: lists, NumPy arrays or 1-D tensors of shape (N,) (any device).
        w0: the initial weight, a Python float.
        lr: the learning rate, a Python float.
        epochs: the number of updates, an int >= 0.
    Returns:
        (w, costs): w the final weight, a Python float; costs a list of `epochs` Python floats,
        costs[k] the cost just before update k.

    Example (the course run):
        >>> w, costs = gradient_descent([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0, 0.01, 100)
        >>> round(w, 3), round(costs[0], 4), len(costs)
        (2.0, 4.6667, 100)
    """
    # TODO ex02.gradient_descent: per epoch, append cost(...) first, then step against the gradient.
    raise NotImplementedError("ex02.gradient_descent: not started")


def sample_gradient(x, y, w):
    """The gradient of one sample's loss (x * w - y) ** 2 with respect to w: 2 * x * (x * w - y).

    Manual: no autograd.

    Args:
        x, y: one input and its target, Python floats.
        w: the weight, a Python float.
    Returns:
        a Python float.

    Example:
        >>> sample_gradient(2.0, 4.0, 1.0)      # 2 * 2 * (2*1 - 4)
        -8.0
    """
    # TODO ex02.sample_gradient: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex02.sample_gradient: not started")


def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    """Stochastic gradient descent: one update per sample, visiting the samples in order.

    In each epoch, for each sample (x, y) in order: w <- w - lr * sample_gradient(x, y, w), then
    the sample's loss (x * w - y) ** 2 with the *updated* w. The loss recorded for the epoch is
    the last sample's, computed *after* its update: the value the course's loop prints,

        for x_val, y_val in zip(x_data, y_data):
            grad = gradient(x_val, y_val)
            w = w - 0.01 * grad
            l = loss(x_val, y_val)          # after the update: this l is printed

    (ex04's train_autograd records the loss *before* the update: its loop differs there.)

    Args:
        xs, ys: lists, NumPy arrays or 1-D tensors of shape (N,) (any device).
        w0: the initial weight; lr: the learning rate (Python floats); epochs: an int >= 0.
    Returns:
        (w, losses): w the final weight, a Python float; losses a list of `epochs` Python floats.

    Example (the course run):
        >>> w, losses = stochastic_gradient_descent([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0, 0.01, 10)
        >>> round(w, 4), round(losses[-1], 4)
        (1.9512, 0.0214)
    """
    # TODO ex02.stochastic_gradient_descent: per epoch, per sample: update w, then compute its loss.
    raise NotImplementedError("ex02.stochastic_gradient_descent: not started")
