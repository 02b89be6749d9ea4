# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex05
"""Exercise 05: linear regression with autograd and a hand-written update.

Fit y = w * x + b to data made from y = 3x + 0.8. Autograd computes the gradients (you call
`loss.backward()`); you write everything else: the data, the parameters as leaf tensors that
require grad, the mean squared error, the update `p -= lr * p.grad` and the training loop.
After 3000 steps at lr 0.01 on 100 points the parameters reach w ≈ 3, b ≈ 0.8.
These points are the project's own (a seeded draw on a noiseless line), not the notes' data.

What you practise: leaf tensors and `requires_grad`; `.grad` and why it must be zeroed between
steps; updating parameters in place under `torch.no_grad()` so that they stay leaves; seeded
random numbers with a `torch.Generator`; keeping every tensor on the device of the data.
"""
import torch


def make_data(n, seed, device="cpu"):
    """N noiseless samples of the line y = 3x + 0.8.

    Args:
        n: the number of samples N (an int).
        seed: an int; x is drawn by `torch.rand` from `torch.Generator().manual_seed(seed)`, a
            generator on the CPU, so one seed gives the same numbers on every device. The
            global random state is neither used nor changed: no torch.manual_seed(seed) here.
        device: where the result lives ("cpu" or "cuda"); x is drawn on the CPU, then moved.
    Returns:
        (x, y): float32 tensors of shape (N,) on `device`; x ~ U(0, 1) and y = 3 * x + 0.8.
        Neither requires grad.

    Example:
        >>> x, y = make_data(3, seed=0)
        >>> x
        tensor([0.4963, 0.7682, 0.0885])
        >>> y                                  # 3 * 0.4963 + 0.8 = 2.2888
        tensor([2.2888, 3.1047, 1.0654])
    """
    # TODO ex05.make_data: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex05.make_data: not started")


def init_params(seed, device="cpu"):
    """The starting weight and bias: leaf tensors that require grad.

    Args:
        seed: an int; w and then b are drawn by `torch.rand(1, ...)` from one
            `torch.Generator().manual_seed(seed)` on the CPU (the global random state is
            neither used nor changed).
        device: where the parameters live; they are moved there *before* `requires_grad_()`
            (a tensor made by `.to(device)` from one that requires grad would not be a leaf).
    Returns:
        (w, b): float32 tensors of shape (1,) on `device`, each a leaf (`w.is_leaf`) with
        `requires_grad=True`, values in [0, 1).

    Example:
        >>> w, b = init_params(0)
        >>> w, b
        (tensor([0.4963], requires_grad=True), tensor([0.7682], requires_grad=True))
    """
    # TODO ex05.init_params: one generator for both draws; move to the device first, then requires_grad_().
    raise NotImplementedError("ex05.init_params: not started")


def mse_loss(y, y_pred):
    """The mean squared error ((y_pred - y) ** 2).mean(), differentiable by autograd.

    Args:
        y: the targets, a float tensor of any shape, e.g. (N,).
        y_pred: the predictions, same shape, dtype and device as y.
    Returns:
        a 0-dim tensor of the inputs' dtype and device; it has a grad_fn when y_pred requires
        grad, so `mse_loss(y, y_pred).backward()` works (no `.item()` or NumPy inside).

    Example:
        >>> mse_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0]))   # (0 + 4) / 2
        tensor(2.)
    """
    # TODO ex05.mse_loss: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex05.mse_loss: not started")


def sgd_update_(params, lr):
    """One step of gradient descent, in place: p -= lr * p.grad for every p in params.

    Args:
        params: a list or tuple of leaf tensors that require grad, each with its `.grad` filled
            by a `backward()` call; any shape, dtype and device.
        lr: the learning rate, a float.
    Returns:
        None. Each tensor is changed in place and stays a leaf that requires grad; its `.grad`
        is left as it was (zeroing is the training loop's job, not the update's). Run the
        update under `torch.no_grad()`: autograd forbids an in-place change of a leaf that
        requires grad, and `p = p - lr * p.grad` would only rebind a local name (and, with
        autograd on, make a non-leaf whose `.grad` stays None).

    Example:
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> w.grad = torch.tensor([2.0])
        >>> sgd_update_([w], lr=0.1)
        >>> w                                  # 1.0 - 0.1 * 2.0
        tensor([0.8000], requires_grad=True)
    """
    # TODO ex05.sgd_update_: autograd must be off while you change the leaves in place.
    raise NotImplementedError("ex05.sgd_update_: not started")


def fit(x, y, lr, iters, seed):
    """Fit y_pred = x * w + b by gradient descent with autograd.

    Starts from `init_params(seed, x.device)`. Each of the `iters` iterations, in this order:
    predict `x * w + b`; compute `mse_loss(y, y_pred)`; zero the gradients that are already
    there (`p.grad` is None before the first backward); `loss.backward()`; `sgd_update_`.

    Args:
        x, y: float32 tensors of shape (N,) on one device (make_data's output).
        lr: the learning rate (float); iters: the number of updates (int); seed: for init_params.
    Returns:
        (w, b, losses): w and b the final parameters, float32 tensors of shape (1,) on x's
        device, still leaves that require grad; losses a list of `iters` Python floats,
        losses[k] the loss of iteration k, computed before its update.

    Example:
        >>> x, y = make_data(100, seed=0)
        >>> w, b, losses = fit(x, y, lr=0.01, iters=3000, seed=0)
        >>> round(w.item(), 1), round(b.item(), 1)     # the line y = 3x + 0.8
        (3.0, 0.8)
    """
    # TODO ex05.fit: predict, loss, zero the old gradients, backward, update; keep loss.item().
    raise NotImplementedError("ex05.fit: not started")
