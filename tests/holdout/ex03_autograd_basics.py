"""Hold-out mistakes of ex03 (autograd basics)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("mean_graph_divides_by_four", "mean_graph", '''
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.sum() / 4
    return y, z, out
''', "the mean written as a sum over 4, the notes' 2 x 2 size"),
    Wrong("analytic_len", "analytic_grad_of_mean", '''
def analytic_grad_of_mean(x):
    return 6 * (x + 2) / len(x)
''', "len(x) (the rows) where x.numel() is meant"),
    Wrong("intermediate_no_retain", "intermediate_grads", '''
def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        a = leaf + x
        b = leaf + 1
        y = a * b
        y.sum().backward()
    return leaf.grad, a.grad
''', "retain_grad() forgotten: a.grad is None"),
    Wrong("zero_grads_zeroes_params", "zero_grads_", '''
def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.data.zero_()
''', "the parameters zeroed instead of their gradients"),
    Wrong("no_grad_eval_global_off", "no_grad_eval", '''
def no_grad_eval(fn, *args):
    torch.set_grad_enabled(False)
    return fn(*args)
''', "autograd switched off for good, never restored"),
    Wrong("to_numpy_tolist", "to_numpy", '''
def to_numpy(t):
    import numpy as np
    return np.array(t.detach().cpu().tolist())
''', "np.array(t.tolist()): float64 whatever the tensor's dtype"),
]
