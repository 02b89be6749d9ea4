# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex11
"""Exercise 11: fitting sin(x) with a cubic, in NumPy, by hand.

The first example of "learning PyTorch with examples" fits y = sin(x) on [-pi, pi] with a
third-order polynomial

    y_hat = a + b x + c x^2 + d x^3

using nothing but NumPy: a forward pass, the loss (a sum of squared errors), its gradients with
respect to a, b, c, d written out by hand, and plain gradient descent. Two thousand steps on two
thousand points bring the fit to about y = 0.00 + 0.84 x - 0.00 x^2 - 0.09 x^3 (the first terms of
sin's Taylor series are x - x^3/6; the least-squares cubic on [-pi, pi] is flatter).

Exercise 12 does the same with tensors, then with autograd, nn.Module and torch.optim: keep your
code here simple and explicit, it is the yardstick for the next one.

What you practise: vectorised NumPy arithmetic, the chain rule by hand, a training loop that
records its loss, seeded random numbers (np.random.default_rng).

A tip on speed: compute on whole arrays (no Python loop over the samples: run 2000 times on 2000
points, such a loop takes minutes, and the checks stop a call after 10 seconds). And `x ** 3` on a
NumPy array calls a general power function, many times slower than `x * x * x`.
"""
import numpy as np


def make_sine_data(n=2000):
    """The data to fit: n points evenly spaced on [-pi, pi], both ends included, and sin there.

    Args:
        n: the number of points N (an int >= 2).
    Returns:
        (x, y): two float64 NumPy arrays of shape (N,); x = linspace(-pi, pi, N), y = sin(x).

    Example:
        >>> x, y = make_sine_data(3)
        >>> x
        array([-3.14159265,  0.        ,  3.14159265])
        >>> y            # sin(-pi), sin(0), sin(pi): zero up to rounding
        array([-1.2246468e-16,  0.0000000e+00,  1.2246468e-16])
    """
    # TODO ex11.make_sine_data: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex11.make_sine_data: not started")


def poly_forward(x, a, b, c, d):
    """The cubic a + b x + c x^2 + d x^3, elementwise.

    Args:
        x: a NumPy array of shape (N,) (any shape works), float64 or float32. The same code also
            works on a tensor, on any device.
        a, b, c, d: the coefficients, floats.
    Returns:
        y_pred, the same shape and dtype as x.

    Example:
        >>> poly_forward(np.array([0.0, 1.0, 2.0]), 1.0, 2.0, 3.0, 4.0)
        array([ 1., 10., 49.])          # at x = 2: 1 + 2*2 + 3*4 + 4*8 = 49
    """
    # TODO ex11.poly_forward: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex11.poly_forward: not started")


def poly_loss(y_pred, y):
    """The loss of the fit: the SUM (not the mean) of squared errors, sum_i (y_pred_i - y_i)^2.

    Args:
        y_pred, y: NumPy arrays of the same shape (N,).
    Returns:
        a Python float.

    Example:
        >>> poly_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
        13.0                             # 0 + 4 + 9
    """
    # TODO ex11.poly_loss: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex11.poly_loss: not started")


def poly_grads(x, y, y_pred):
    """The gradients of poly_loss with respect to a, b, c and d, by the chain rule (no autograd).

    With r_i = y_pred_i - y_i, the loss is L = sum_i r_i^2, so dL/dy_pred_i = 2 r_i and, since
    y_pred_i = a + b x_i + c x_i^2 + d x_i^3,

        dL/da = sum_i 2 r_i,   dL/db = sum_i 2 r_i x_i,
        dL/dc = sum_i 2 r_i x_i^2,   dL/dd = sum_i 2 r_i x_i^3.

    Args:
        x, y, y_pred: NumPy arrays of shape (N,) (y_pred = poly_forward(x, a, b, c, d)).
    Returns:
        (grad_a, grad_b, grad_c, grad_d): four Python floats.

    Example:
        >>> poly_grads(np.array([1.0, 2.0]), np.array([0.0, 0.0]), np.array([1.0, -1.0]))
        (0.0, -2.0, -6.0, -14.0)         # r = [1, -1]: 2*(1 - 1), 2*(1 - 2), 2*(1 - 4), 2*(1 - 8)
    """
    # TODO ex11.poly_grads: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex11.poly_grads: not started")


def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    """Fit the cubic to (x, y) by gradient descent on poly_loss.

    Start from a, b, c, d drawn in that order by one rng = np.random.default_rng(seed), each with
    rng.standard_normal() (never the global np.random state). Then, for t = 0, 1, ..., steps - 1:
    forward (poly_forward), loss (poly_loss), gradients (poly_grads), and the update
    a -= lr * grad_a (the same for b, c, d). When t % 100 == 99, record that step's loss (the loss
    computed before the update of step t).

    Args:
        x, y: float64 NumPy arrays of shape (N,), e.g. from make_sine_data().
        lr: the learning rate. steps: the number of updates. seed: the seed of the initial values.
    Returns:
        ((a, b, c, d), losses): the final coefficients as Python floats, and the list of recorded
        losses (steps // 100 floats).

    Example:
        >>> (a, b, c, d), losses = fit_numpy(*make_sine_data())
        >>> round(b, 2), round(d, 2), len(losses)
        (0.84, -0.09, 20)
        >>> fit_numpy(*make_sine_data(), steps=0)[0][0]     # a as drawn, before any update
        0.12573022...
    """
    # TODO ex11.fit_numpy: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex11.fit_numpy: not started")
