# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex01
"""Exercise 01: the linear model, by exhaustive search.

The simplest model there is: predict y from x with one weight, y_hat = x * w. Before any
calculus, find a good w the brute-force way: try many weights, measure the mean squared error
(MSE) of each, keep the best. On the course data x = [1, 2, 3], y = [2, 4, 6] the answer is w = 2.

Then add a bias, y_hat = x * w + b, and compute the whole MSE surface over a grid of (w, b).
On the notes' data x = [1, 2, 3], y = [3, 5, 7] (y = 2x + 1) its minimum, 0, lies at w = 2,
b = 1: `plot_mse_surface` draws it (run this file, or the notebook's last cell).

What you practise: elementwise arithmetic on floats, NumPy arrays and tensors alike; reducing
with a mean; the shapes of a grid (np.meshgrid).
"""
import numpy as np
import torch


def forward(x, w):
    """The linear model without bias: y_hat = x * w.

    Args:
        x: a float, a NumPy array or a tensor of any shape, e.g. (N,) for N samples.
        w: the weight, a float.
    Returns:
        x * w: same kind, shape and dtype as x (a tensor stays on its device).

    Example:
        >>> forward(3.0, 2.0)
        6.0
        >>> forward(torch.tensor([1.0, 2.0]), 0.5)
        tensor([0.5000, 1.0000])
    """
    # TODO ex01.forward: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex01.forward: not started")


def loss(x, y, w):
    """The squared error of each sample: (forward(x, w) - y) ** 2, elementwise (no mean).

    Args:
        x, y: floats, or NumPy arrays / tensors of the same shape (N,).
        w: the weight, a float.
    Returns:
        the squared errors, same kind and shape as x.

    Example:
        >>> loss(2.0, 4.0, 1.0)     # (2*1 - 4)**2
        4.0
    """
    # TODO ex01.loss: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex01.loss: not started")


def _as_array(v):
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().to(torch.float64).numpy()
    return np.asarray(v, dtype=np.float64)


def mse_for_weights(x_data, y_data, weights):
    """The mean squared error of `forward` for each candidate weight.

    Args:
        x_data, y_data: the N samples, as lists, NumPy arrays or 1-D tensors of shape (N,).
        weights: K candidate weights (a list, array or 1-D tensor).
    Returns:
        a float64 NumPy array of shape (K,): entry k is mean over the samples of
        loss(x, y, weights[k]).

    Example:
        >>> mse_for_weights([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 2.0])
        array([18.66666667,  0.        ])     # (4 + 16 + 36) / 3 and 0
    """
    # TODO ex01.mse_for_weights: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex01.mse_for_weights: not started")


def forward_wb(x, w, b):
    """The linear model with a bias: y_hat = x * w + b.

    Args:
        x: a float, a NumPy array or a tensor of any shape.
        w, b: the weight and the bias, floats.
    Returns:
        x * w + b, same kind, shape and dtype as x.

    Example:
        >>> forward_wb(3.0, 2.0, 1.0)
        7.0
    """
    # TODO ex01.forward_wb: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex01.forward_wb: not started")


def mse_surface(x_data, y_data, ws, bs):
    """The MSE of `forward_wb` over a grid of weights and biases.

    Args:
        x_data, y_data: the N samples (lists, arrays or 1-D tensors of shape (N,)).
        ws: W candidate weights; bs: B candidate biases.
    Returns:
        a float64 NumPy array of shape (B, W): entry [i, j] is the MSE at w = ws[j], b = bs[i]
        (the orientation of `np.meshgrid(ws, bs)`, ready for a contour plot).

    Example:
        >>> mse_surface([1.0, 2.0], [2.0, 4.0], ws=[1.0, 2.0], bs=[0.0])
        array([[2.5, 0. ]])       # b = 0: w = 1 gives ((1-2)**2 + (2-4)**2) / 2 = 2.5
    """
    # TODO ex01.mse_surface: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex01.mse_surface: not started")


def best_weight(x_data, y_data, weights):
    """The candidate weight with the least MSE (the first one on a tie).

    Args:
        x_data, y_data: the N samples (lists, arrays or 1-D tensors of shape (N,)).
        weights: K candidate weights (a list, an array or a 1-D tensor).
    Returns:
        a Python float, one of `weights`, whatever their kind: for tensor weights,
        `weights[k]` is a 0-dim tensor, so convert it (float(...) or .item()).

    Example:
        >>> best_weight([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 2.0, 3.0])
        2.0
    """
    # TODO ex01.best_weight: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex01.best_weight: not started")


def plot_mse_surface(x_data, y_data, ws, bs):
    """Draw mse_surface(x_data, y_data, ws, bs) as a contour plot over (w, b), the minimum
    marked. Given (nothing to write): it calls your mse_surface. Needs matplotlib; without it,
    it says so and draws nothing.

    Returns:
        the surface, a float64 array of shape (len(bs), len(ws)).
    """
    surface = mse_surface(x_data, y_data, ws, bs)
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib): no plot")
        return surface
    i, j = np.unravel_index(np.argmin(surface), surface.shape)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    W, B = np.meshgrid(np.asarray(ws, dtype=np.float64), np.asarray(bs, dtype=np.float64))
    contours = ax.contourf(W, B, surface, levels=30, cmap="viridis")
    fig.colorbar(contours, ax=ax, label="MSE")
    ax.plot(W[i, j], B[i, j], "r*", markersize=12,
            label=f"minimum {surface[i, j]:.3g} at w = {W[i, j]:.2f}, b = {B[i, j]:.2f}")
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_title("MSE of y_hat = x * w + b")
    ax.legend(loc="upper right")
    plt.show()
    return surface


if __name__ == "__main__":
    # The notes' exercise: y = 2x + 1, the minimum 0 at w = 2, b = 1 (in a notebook this cell
    # draws the plot; grading never runs it)
    plot_mse_surface([1.0, 2.0, 3.0], [3.0, 5.0, 7.0],
                     ws=np.arange(0.0, 3.1, 0.1), bs=np.arange(-1.0, 1.1, 0.1))
