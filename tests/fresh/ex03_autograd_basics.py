"""Fresh mistakes of ex03 (autograd basics)."""
from tests.fresh import DTYPE, HALF, SCALE, SUM, ZERO, Fresh

FRESH = [
    Fresh("analytic_len_for_numel", "analytic_grad_of_mean", '''
def analytic_grad_of_mean(x):
    return 6 * (x + 2) / len(x)
''', "divides by len(x), the first dimension, where x.numel() is meant (third blind round; "
        "a visible check names it since blind round 13, w009)",
        (r"divided by len\(x\) = 2 .*x\.numel\(\) / len\(x\) times",), visible=True),
    Fresh("mean_graph_sum", "mean_graph", '''
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.sum()
    return y, z, out
''', "out = z.sum() instead of z.mean()",
        (SUM, SCALE)),
    Fresh("mean_graph_detached", "mean_graph", '''
def mean_graph(x):
    y = x.detach() + 2
    z = y * y * 3
    out = z.mean()
    return y, z, out
''', "detaches x before building the graph: nothing flows back to the caller's x",
        (r"detach|graph|requires_grad|grad_fn|not (reach|flow)|x\.grad|\.grad (is|stays) none"
         r"|disconnect|cut",)),
    Fresh("grad_of_mean_on_callers_x", "grad_of_mean", '''
def grad_of_mean(x):
    x.requires_grad_(True)
    _, _, out = mean_graph(x)
    out.backward()
    return x.grad
''', "uses the caller's x itself instead of a fresh leaf copy: changes its requires_grad and .grad",
        (r"caller|input|argument|in place|changed|modif|untouched|requires_grad|\.grad|fresh"
         r"|copy|clone",)),
    Fresh("analytic_grad_no_numel", "analytic_grad_of_mean", '''
def analytic_grad_of_mean(x):
    return 6 * (x + 2)
''', "forgets to divide by n = x.numel() (the derivative of a sum, not of the mean)",
        (SUM, SCALE, r"numel|\bmean\b|divide|\bn\b")),
    Fresh("analytic_grad_factor_3", "analytic_grad_of_mean", '''
def analytic_grad_of_mean(x):
    return 3 * (x + 2) / x.numel()
''', "forgets the 2 of the power rule: 3 (x + 2) / n, half the gradient",
        (HALF, SCALE)),
    Fresh("intermediate_grads_swapped", "intermediate_grads", '''
def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        a = leaf + x
        a.retain_grad()
        b = leaf + 1
        y = a * b
        y.sum().backward()
    return a.grad, leaf.grad
''', "returns (dy/da, dy/dw): the two results in the wrong order",
        (r"swap|order|exchanged|reversed|permut|the other one|dy_da|dy/da",)),
    Fresh("accumulated_grad_zeroed", "accumulated_grad", '''
def accumulated_grad(x, times):
    leaf = x.detach().clone().requires_grad_(True)
    for _ in range(times):
        if leaf.grad is not None:
            leaf.grad.zero_()
        _, _, out = mean_graph(leaf)
        out.backward()
    return leaf.grad
''', "zeroes the gradient before every backward: the result is one gradient, not times of them",
        (ZERO, SCALE, r"\bonce\b|single|\btimes\b")),
    Fresh("zero_grads_sets_none", "zero_grads_", '''
def zero_grads_(params):
    for p in params:
        p.grad = None
''', "sets .grad to None instead of zeroing the existing tensor in place",
        (r"\bnone\b|in place|same tensor|replac|new tensor|zero_\(\)",)),
    Fresh("no_grad_eval_detach", "no_grad_eval", '''
def no_grad_eval(fn, *args):
    return fn(*args).detach()
''', "runs fn with autograd on and detaches the result, instead of running it under torch.no_grad()",
        (r"no_grad|autograd (is |was |stays )?(on|enabled)|detach|graph|while fn runs"
         r"|grad mode|is_grad_enabled",)),
    Fresh("to_numpy_shares_memory", "to_numpy", '''
def to_numpy(t):
    return t.detach().cpu().numpy()
''', "no copy: on the CPU the array shares memory with the tensor",
        (r"copy|shar|memory|same (buffer|storage|data)|alias|\bview|changing|changes",)),
    Fresh("to_numpy_always_float64", "to_numpy", '''
def to_numpy(t):
    return t.detach().cpu().double().numpy().copy()
''', "converts every tensor to float64 (and int/bool tensors too): the dtype is not kept",
        (DTYPE, r"\btype|int64|bool"), visible=True),
    # from a second blind round (a teaching assistant's 76 programs, 2026-12-06): the one
    # that got a wrong hint ("zero the gradient itself", though it does)
    Fresh("zero_grads_returns_in_the_loop", "zero_grads_", '''
def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.grad.zero_()
            return
''', "returns inside the loop: only the first gradient that is not None is zeroed",
        (r"\bloop\b|\breturn\b|\bbreak\b|early|only the first|some (gradients|of them)",)),
    # issue 20, a wrong hint once: right on an x of 4 entries (the notes'),
    # 3/4 of the right value on 3 entries
    Fresh("mean_graph_over_four", "mean_graph", '''
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.sum() / 4
    return y, z, out
''', "divides the sum by 4, the size of the notes' x, instead of x.numel()",
        (r"numel|by 4\b|the size of",), visible=True),
    Fresh("zero_grads_all_or_nothing", "zero_grads_", '''
def zero_grads_(params):
    if all(p.grad is not None for p in params):
        for p in params:
            p.grad.zero_()
''', "zeroes only when every .grad is present: one None gradient and nothing is zeroed",
        (r"when one \.grad is None",)),
    # a blind round's generic messages (factor 3, or none where N = 1)
    Fresh("mean_graph_three_squared", "mean_graph", '''
def mean_graph(x):
    y = x + 2
    z = (y * 3) ** 2
    out = z.mean()
    return y, z, out
''', "squares the 3 with y: z = 9 y**2 instead of 3 y**2",
        (r"\(y \* 3\) \*\* 2|9 y\*\*2|squared with y",)),
    Fresh("intermediate_grads_mean", "intermediate_grads", '''
def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        a = leaf + x
        a.retain_grad()
        b = leaf + 1
        y = a * b
        y.mean().backward()
    return leaf.grad, a.grad
''', "reduces y with a mean where a sum is wanted: every gradient 1/N (right at the notes' N = 1)",
        (r"y\.mean\(\)",), visible=True),
    Fresh("zero_grads_times_zero", "zero_grads_", '''
def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.grad *= 0
''', "multiplies each gradient by 0: a NaN or inf entry stays NaN",
        (r"zeroed by arithmetic",), visible=True),
    Fresh("to_numpy_float_cast", "to_numpy", '''
def to_numpy(t):
    return t.detach().cpu().float().numpy().copy()
''', "casts to float32 (.float()): int64, bool and float64 tensors change dtype",
        (DTYPE,), visible=True),
    Fresh("analytic_grad_outer_dims", "analytic_grad_of_mean", '''
def analytic_grad_of_mean(x):
    return 6 * (x + 2) / (x.shape[0] * x.shape[-1])
''', "divides by x.shape[0] * x.shape[-1], the count of a 2-D x only, where x.numel() is meant",
        (r"x\.shape\[0\] \* x\.shape\[-1\]",), visible=True),
    Fresh("analytic_len_to_the_dim", "analytic_grad_of_mean", '''
def analytic_grad_of_mean(x):
    return 6 * (x + 2) / (len(x) ** x.dim())
''', "divides by len(x) ** x.dim(), x.numel() only for a square or cubic x",
        (r"x\.numel\(\) for some shapes only|the count it divides by is not x\.numel",),
        visible=True),
    # blind round 14 (w011): out divided by the first dimension only
    Fresh("mean_graph_len_for_numel", "mean_graph", '''
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.sum() / z.shape[0]
    return y, z, out
''', "out = z.sum() / z.shape[0]: divides by the first dimension, where x.numel() is meant",
        (r"divided by len\(x\) = 2 .*x\.numel\(\) / len\(x\) times",), visible=True),
]
