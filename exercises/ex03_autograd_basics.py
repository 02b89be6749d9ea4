# Exercise file: fill in every function that raises NotImplementedError.
# Check your work from the folder that holds exercises/ (not from inside it):
#     python -m grader check ex03
"""Exercise 03: autograd basics: the graph, leaves, grad_fn, no_grad and accumulation.

In exercise 02 every derivative was a formula you wrote. PyTorch can write them for you: a
tensor created with requires_grad=True is a *leaf*; every operation on it records a node
(its `grad_fn`) in a graph, and `backward()` walks the graph back, storing the derivative in
the leaf's `.grad`:

    w = torch.tensor(3.0, requires_grad=True)
    q = w * w + 1          # q.grad_fn is an AddBackward0 node
    q.backward()
    w.grad                 # tensor(6.): d(w*w + 1)/dw = 2w at w = 3

The course's graph, which you build in mean_graph, is y = x + 2, z = 3 * y**2, out = mean(z).
At x = torch.ones(2, 2) it gives out = 27 and x.grad = 4.5 everywhere, since
d out / d x_i = 6 * (x_i + 2) / 4 = 4.5 at x_i = 1.

What you practise: building a graph on a caller's leaf; computing a gradient on a fresh leaf
copy so that the caller's tensor is left alone; keeping the gradient of a non-leaf
(retain_grad); how .grad accumulates over backward() calls and how to zero it; evaluating
without a graph (torch.no_grad); turning any tensor into NumPy.
"""
import torch


def mean_graph(x):
    """The course's graph: y = x + 2, z = y * y * 3, out = z.mean().

    Builds on the caller's x itself (no copy, no detach), so that after `out.backward()` the
    caller finds d out / d x in x.grad.

    Args:
        x: a float tensor of any shape (e.g. (2, 2)), usually a leaf with requires_grad=True;
            any device.
    Returns:
        (y, z, out): y and z of x's shape, out a 0-dim tensor; all of x's dtype and device, all
        part of the graph (requires_grad is True when x's is).

    Example:
        >>> x = torch.ones(2, 2, requires_grad=True)
        >>> y, z, out = mean_graph(x)
        >>> out
        tensor(27., grad_fn=<MeanBackward0>)
        >>> out.backward(); x.grad
        tensor([[4.5000, 4.5000],
                [4.5000, 4.5000]])
    """
    # TODO ex03.mean_graph: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex03.mean_graph: not started")


def grad_of_mean(x):
    """d out / d x for out = mean_graph(x)[2], computed with autograd.

    Works on a fresh leaf copy of x (x.detach().clone().requires_grad_(True)), so the caller's
    x is left untouched: its .grad stays as it was.

    Args:
        x: a float tensor of any shape, any device (it may or may not require grad).
    Returns:
        a tensor of x's shape, dtype and device.

    Example:
        >>> grad_of_mean(torch.ones(2, 2))
        tensor([[4.5000, 4.5000],
                [4.5000, 4.5000]])
    """
    # TODO ex03.grad_of_mean: a fresh leaf copy, mean_graph on it, backward(), its .grad.
    raise NotImplementedError("ex03.grad_of_mean: not started")


def analytic_grad_of_mean(x):
    """The same gradient by hand: d out / d x = 6 * (x + 2) / x.numel().

    Manual: no autograd. It must give the same answer under torch.no_grad() and for tensors
    that do not require grad.

    Args:
        x: a float tensor of any shape with n = x.numel() entries, any device.
    Returns:
        a tensor of x's shape, dtype and device.

    Example:
        >>> analytic_grad_of_mean(torch.ones(2, 2))     # 6 * 3 / 4
        tensor([[4.5000, 4.5000],
                [4.5000, 4.5000]])
    """
    # TODO ex03.analytic_grad_of_mean: out = sum of 3 * (x + 2) ** 2 / n; differentiate one entry.
    raise NotImplementedError("ex03.analytic_grad_of_mean: not started")


def intermediate_grads(w, x):
    """Gradients of y = a * b, with a = w + x and b = w + 1, by autograd: (dy/dw, dy/da).

    Works on a fresh leaf copy of w (the caller's w is left untouched) and keeps the gradient
    of the non-leaf a with a.retain_grad(). For tensors with several entries y is reduced with
    y.sum() before backward(), so each entry of the result is the derivative for that entry.
    By hand: dy/dw = b + a = 2w + x + 1 (two paths from w to y), dy/da = b = w + 1.

    Args:
        w: a float tensor of shape (N,) (the course uses N = 1), any device.
        x: a float tensor of w's shape, dtype and device (a constant: no gradient needed).
    Returns:
        (dy_dw, dy_da): two tensors of w's shape, dtype and device.

    Example (the course's numbers):
        >>> intermediate_grads(torch.tensor([1.0]), torch.tensor([2.0]))
        (tensor([5.]), tensor([2.]))
    """
    # TODO ex03.intermediate_grads: a non-leaf keeps .grad after a.retain_grad().
    raise NotImplementedError("ex03.intermediate_grads: not started")


def accumulated_grad(x, times):
    """The .grad of a fresh leaf copy of x after `times` rounds of mean_graph + backward(),
    never zeroed in between: gradients add up, so this is times * grad_of_mean(x).

    Args:
        x: a float tensor of any shape, any device (left untouched).
        times: how many backward() calls, an int >= 1.
    Returns:
        a tensor of x's shape, dtype and device.

    Example:
        >>> accumulated_grad(torch.ones(2, 2), 3)       # 3 * 4.5
        tensor([[13.5000, 13.5000],
                [13.5000, 13.5000]])
    """
    # TODO ex03.accumulated_grad: a new graph for each backward() (or retain_graph=True).
    raise NotImplementedError("ex03.accumulated_grad: not started")


def zero_grads_(params):
    """Zero, in place, the .grad of every tensor in params whose .grad is not None.

    In place means the same .grad tensor ends up full of zeros (p.grad.zero_()): it is neither
    replaced by a new tensor nor set to None. A .grad that is None stays None.

    Args:
        params: an iterable of leaf tensors (e.g. [w, b], or model.parameters()).
    Returns:
        None.

    Example:
        >>> w = torch.ones(2, requires_grad=True); (w * 3).sum().backward(); w.grad
        tensor([3., 3.])
        >>> zero_grads_([w]); w.grad
        tensor([0., 0.])
    """
    # TODO ex03.zero_grads_: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex03.zero_grads_: not started")


def no_grad_eval(fn, *args):
    """fn(*args), evaluated under torch.no_grad(): no graph is recorded, so the result does not
    require grad even when the arguments do (and autograd is on again afterwards).

    torch.no_grad() is the lesson here: autograd must be off while fn runs, so computing with
    autograd on and detaching the result afterwards does not do (ex06's predict asks only for
    a result without a graph, and accepts either).

    Args:
        fn: a function of tensors, e.g. lambda w, x: w * x.
        *args: its arguments (tensors of any shape, dtype and device).
    Returns:
        what fn returns: for tensors, same values, dtype and device, requires_grad False.

    Example:
        >>> w = torch.tensor([2.0], requires_grad=True)
        >>> no_grad_eval(lambda w, x: w * x, w, torch.tensor([3.0]))
        tensor([6.])
    """
    # TODO ex03.no_grad_eval: write this part (see the docstring for shapes and an example).
    raise NotImplementedError("ex03.no_grad_eval: not started")


def to_numpy(t):
    """A NumPy copy of any tensor: one that requires grad, or lives on the GPU, included.

    `t.numpy()` refuses both (detach it first, move it to the CPU first), and on the CPU it
    shares memory with t; the copy returned here does not, so changing it leaves t alone.

    Args:
        t: a tensor of any shape, dtype (float32, float64, int64, bool, ...) and device.
    Returns:
        a NumPy array of t's shape and matching dtype (float32 -> float32), a copy.

    Example:
        >>> to_numpy(torch.tensor([1.0, 2.0], requires_grad=True))
        array([1., 2.], dtype=float32)
    """
    # TODO ex03.to_numpy: detach(), then cpu(), then numpy(), and make sure it is a copy.
    raise NotImplementedError("ex03.to_numpy: not started")
