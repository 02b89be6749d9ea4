"""The wrong programs of ex03: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# only a CUDA machine can show these mistakes (a result left on the CPU, .numpy() of a GPU tensor)
CUDA_ONLY = {"analytic_on_cpu", "to_numpy_without_cpu"}

MUTANTS = [
    Mutant("mean_graph_on_a_copy", """
     def mean_graph(x):
         x = x.detach().clone().requires_grad_(True)
         y = x + 2
         z = y * y * 3
         return y, z, z.mean()
     """, "mean_graph", "x.grad is still None"),
    Mutant("mean_graph_no_grad", """
     def mean_graph(x):
         with torch.no_grad():
             y = x + 2
             z = y * y * 3
             return y, z, z.mean()
     """, "mean_graph", "does not require grad"),
    Mutant("mean_graph_sum", """
     def mean_graph(x):
         y = x + 2
         z = y * y * 3
         return y, z, z.sum()
     """, "mean_graph", "z.sum() where z.mean() is wanted"),
    Mutant("mean_graph_calls_backward", """
     def mean_graph(x):
         y = x + 2
         z = y * y * 3
         out = z.mean()
         out.backward()
         return y, z, out
     """, "mean_graph", "only builds the graph"),
    Mutant("grad_of_mean_on_callers_x", """
     def grad_of_mean(x):
         x.requires_grad_(True)
         _, _, out = mean_graph(x)
         out.backward()
         return x.grad.clone()
     """, "grad_of_mean", "changed the caller's x.grad"),
    Mutant("grad_of_mean_adds_to_callers_grad", """
     def grad_of_mean(x):
         if not x.requires_grad:
             x = x.detach().clone().requires_grad_(True)
         _, _, out = mean_graph(x)
         g, = torch.autograd.grad(out, x)
         if x.grad is not None:
             x.grad += g
         return g
     """, "grad_of_mean", "added to the caller's x.grad"),
    Mutant("grad_of_mean_sum", """
     def grad_of_mean(x):
         leaf = x.detach().clone().requires_grad_(True)
         (3 * (leaf + 2) ** 2).sum().backward()
         return leaf.grad
     """, "grad_of_mean", "a sum where a mean is wanted"),
    Mutant("grad_of_mean_half", """
     def grad_of_mean(x):
         leaf = x.detach().clone().requires_grad_(True)
         (3 * (leaf + 2) ** 2 / 2).mean().backward()
         return leaf.grad
     """, "grad_of_mean", "factor 2"),
    Mutant("grad_of_mean_sign", """
     def grad_of_mean(x):
         leaf = x.detach().clone().requires_grad_(True)
         (-3 * (leaf + 2) ** 2).mean().backward()
         return leaf.grad
     """, "grad_of_mean", "sign is flipped"),
    Mutant("analytic_factor2", """
     def analytic_grad_of_mean(x):
         return 3 * (x + 2) / x.numel()
     """, "analytic_grad_of_mean", "factor 2"),
    Mutant("analytic_no_mean", """
     def analytic_grad_of_mean(x):
         return 6 * (x + 2)
     """, "analytic_grad_of_mean", "a sum where a mean is wanted"),
    Mutant("analytic_sign", """
     def analytic_grad_of_mean(x):
         return -6 * (x + 2) / x.numel()
     """, "analytic_grad_of_mean", "sign is flipped"),
    Mutant("analytic_uses_autograd", """
     def analytic_grad_of_mean(x):
         leaf = x.detach().clone().requires_grad_(True)
         _, _, out = mean_graph(leaf)
         out.backward()
         return leaf.grad
     """, "analytic_grad_of_mean", "computes its derivative by hand"),
    Mutant("intermediate_one_path", """
     def intermediate_grads(w, x):
         return w + 1, w + 1
     """, "intermediate_grads", "only the path from w through a"),
    Mutant("intermediate_swapped", """
     _orig_intermediate = intermediate_grads
     def intermediate_grads(w, x):
         dy_dw, dy_da = _orig_intermediate(w, x)
         return dy_da, dy_dw
     """, "intermediate_grads", "swapped"),
    Mutant("intermediate_dy_db", """
     _orig_intermediate = intermediate_grads
     def intermediate_grads(w, x):
         dy_dw, dy_da = _orig_intermediate(w, x)
         return dy_dw, w + x
     """, "intermediate_grads", "this is dy/db"),
    Mutant("intermediate_mean", """
     def intermediate_grads(w, x):
         leaf = w.detach().clone().requires_grad_(True)
         a = leaf + x
         a.retain_grad()
         (a * (leaf + 1)).mean().backward()
         return leaf.grad, a.grad
     """, "intermediate_grads", "y.mean() where y.sum()"),
    Mutant("intermediate_sign", """
     _orig_intermediate = intermediate_grads
     def intermediate_grads(w, x):
         dy_dw, dy_da = _orig_intermediate(w, x)
         return -dy_dw, -dy_da
     """, "intermediate_grads", "sign is flipped"),
    Mutant("intermediate_twice", """
     _orig_intermediate = intermediate_grads
     def intermediate_grads(w, x):
         dy_dw, dy_da = _orig_intermediate(w, x)
         return 2 * dy_dw, 2 * dy_da
     """, "intermediate_grads", "counted twice"),
    Mutant("intermediate_on_callers_w", """
     def intermediate_grads(w, x):
         if not w.requires_grad:
             w = w.detach().clone().requires_grad_(True)
         a = w + x
         a.retain_grad()
         (a * (w + 1)).sum().backward()
         return w.grad.clone(), a.grad
     """, "intermediate_grads", "caller's w.grad"),
    Mutant("accumulated_zeroed", """
     def accumulated_grad(x, times):
         leaf = x.detach().clone().requires_grad_(True)
         for _ in range(times):
             if leaf.grad is not None:
                 leaf.grad.zero_()
             _, _, out = mean_graph(leaf)
             out.backward()
         return leaf.grad
     """, "accumulated_grad", "zeroed (or made afresh) in between"),
    Mutant("accumulated_one_short", """
     _orig_accumulated = accumulated_grad
     def accumulated_grad(x, times):
         return _orig_accumulated(x, times - 1)
     """, "accumulated_grad", "one call too few"),
    Mutant("accumulated_sum", """
     def accumulated_grad(x, times):
         leaf = x.detach().clone().requires_grad_(True)
         for _ in range(times):
             _, z, _ = mean_graph(leaf)
             z.sum().backward()
         return leaf.grad
     """, "accumulated_grad", "a sum where a mean is wanted"),
    Mutant("accumulated_sign", """
     _orig_accumulated = accumulated_grad
     def accumulated_grad(x, times):
         return -_orig_accumulated(x, times)
     """, "accumulated_grad", "sign is flipped"),
    Mutant("zero_grads_to_none", """
     def zero_grads_(params):
         for p in params:
             p.grad = None
     """, "zero_grads_", "set to None"),
    Mutant("zero_grads_new_tensor", """
     def zero_grads_(params):
         for p in params:
             if p.grad is not None:
                 p.grad = torch.zeros_like(p.grad)
     """, "zero_grads_", "new tensor of zeros"),
    Mutant("zero_grads_ignores_none", """
     def zero_grads_(params):
         for p in params:
             p.grad.zero_()
     """, "zero_grads_", "skip it (if p.grad is not None)"),
    Mutant("no_grad_eval_plain", """
     def no_grad_eval(fn, *args):
         return fn(*args)
     """, "no_grad_eval", "requires grad"),
    Mutant("no_grad_eval_detach_after", """
     def no_grad_eval(fn, *args):
         return fn(*args).detach()
     """, "no_grad_eval", "autograd was on while fn ran"),
    Mutant("no_grad_eval_left_off", """
     def no_grad_eval(fn, *args):
         torch.set_grad_enabled(False)
         return fn(*args)
     """, "no_grad_eval", "left autograd switched off"),
    Mutant("to_numpy_shares_memory", """
     def to_numpy(t):
         return t.detach().cpu().numpy()
     """, "to_numpy", "shares memory"),
    Mutant("to_numpy_returns_tensor", """
     def to_numpy(t):
         return t.detach().clone()
     """, "to_numpy", "convert with"),
    Mutant("to_numpy_without_detach", """
     def to_numpy(t):
         return t.cpu().numpy().copy()
     """, "to_numpy", "requires grad"),
    Mutant("to_numpy_float64", """
     def to_numpy(t):
         return t.detach().cpu().double().numpy()
     """, "to_numpy", "dtype"),
    # only a CUDA machine can show these
    Mutant("analytic_on_cpu", """
     def analytic_grad_of_mean(x):
         return (6 * (x + 2) / x.numel()).cpu()
     """, "analytic_grad_of_mean", "left on the CPU"),
    Mutant("to_numpy_without_cpu", """
     def to_numpy(t):
         return t.detach().numpy().copy()
     """, "to_numpy", "cuda"),
    Mutant("analytic_sums", """
     _ref_analytic = analytic_grad_of_mean
     def analytic_grad_of_mean(x):
         return _ref_analytic(x) * x.numel()
     """, "analytic_grad_of_mean", "divide by the number of samples",
           what="analytic_grad_of_mean forgets the 1/N of the mean"),
    Mutant("to_numpy_no_detach", """
     def to_numpy(t):
         return t.cpu().numpy()
     """, "to_numpy", "requires grad",
           what="to_numpy fails on a tensor that requires grad (no .detach())"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("analytic_sums", "to_numpy_no_detach")
