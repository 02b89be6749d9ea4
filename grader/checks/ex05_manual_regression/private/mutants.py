"""The wrong programs of ex05: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"fit_params_cpu"}
# the 3000-step course run is left out of the fit mutants' grading: a mutant's graph that grows
# with every step would make it time out, and the short runs already name each mistake
KEYWORDS = {"fit": "not course"}

MUTANTS = [
    Mutant("data_global_rng", """
     def make_data(n, seed, device="cpu"):
         x = torch.rand(n).to(device)
         return x, 3 * x + 0.8
     """, "make_data", "changed the global random state"),
    Mutant("data_no_bias", """
     def make_data(n, seed, device="cpu"):
         x = torch.rand(n, generator=torch.Generator().manual_seed(seed)).to(device)
         return x, 3 * x
     """, "make_data", "bias 0.8 is missing"),
    Mutant("init_swapped", """
     def init_params(seed, device="cpu"):
         g = torch.Generator().manual_seed(seed)
         b = torch.rand(1, generator=g).to(device).requires_grad_()
         w = torch.rand(1, generator=g).to(device).requires_grad_()
         return w, b
     """, "init_params", "swapped"),
    Mutant("init_two_generators", """
     def init_params(seed, device="cpu"):
         w = torch.rand(1, generator=torch.Generator().manual_seed(seed))
         b = torch.rand(1, generator=torch.Generator().manual_seed(seed))
         return w.to(device).requires_grad_(), b.to(device).requires_grad_()
     """, "init_params", "same number as w"),
    Mutant("init_not_leaf", """
     def init_params(seed, device="cpu"):
         g = torch.Generator().manual_seed(seed)
         w = torch.rand(1, generator=g).requires_grad_() * 1.0
         b = torch.rand(1, generator=g).requires_grad_() * 1.0
         return w.to(device), b.to(device)
     """, "init_params", "not a leaf tensor"),
    Mutant("init_no_grad", """
     def init_params(seed, device="cpu"):
         g = torch.Generator().manual_seed(seed)
         return torch.rand(1, generator=g).to(device), torch.rand(1, generator=g).to(device)
     """, "init_params", "does not require grad"),
    Mutant("mse_sum", """
     def mse_loss(y, y_pred):
         return ((y_pred - y) ** 2).sum()
     """, "mse_loss", "a sum where the mean"),
    Mutant("mse_abs", """
     def mse_loss(y, y_pred):
         return (y_pred - y).abs().mean()
     """, "mse_loss", "mean absolute error"),
    Mutant("mse_item", """
     def mse_loss(y, y_pred):
         return torch.tensor(((y_pred - y) ** 2).mean().item())
     """, "mse_loss", "no graph"),
    Mutant("update_sign", """
     def sgd_update_(params, lr):
         with torch.no_grad():
             for p in params:
                 p += lr * p.grad
     """, "sgd_update_", "adds lr * grad"),
    Mutant("update_rebinds", """
     def sgd_update_(params, lr):
         with torch.no_grad():
             for p in params:
                 p = p - lr * p.grad
     """, "sgd_update_", "did not change"),
    Mutant("update_autograd_on", """
     def sgd_update_(params, lr):
         for p in params:
             p -= lr * p.grad
     """, "sgd_update_", "autograd on"),
    Mutant("update_no_lr", """
     def sgd_update_(params, lr):
         with torch.no_grad():
             for p in params:
                 p -= p.grad
     """, "sgd_update_", "learning rate is missing"),
    Mutant("fit_no_zero", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y, x * w + b)
             loss.backward()
             sgd_update_((w, b), lr)
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "never zeroed"),
    Mutant("fit_zero_after_backward", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y, x * w + b)
             loss.backward()
             w.grad.zero_()
             b.grad.zero_()
             sgd_update_((w, b), lr)
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "found the gradients zeroed"),
    Mutant("fit_update_with_autograd", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y, x * w + b)
             loss.backward()
             w = w - lr * w.grad
             b = b - lr * b.grad
             w.retain_grad()
             b.retain_grad()
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "no longer a leaf"),
    Mutant("fit_sign", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y, x * w + b)
             for p in (w, b):
                 if p.grad is not None:
                     p.grad.zero_()
             loss.backward()
             sgd_update_((w, b), -lr)
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "adds lr * grad"),
    Mutant("fit_sum_loss", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = ((x * w + b - y) ** 2).sum()
             for p in (w, b):
                 if p.grad is not None:
                     p.grad.zero_()
             loss.backward()
             sgd_update_((w, b), lr)
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "sum over the samples"),
    Mutant("fit_tensor_losses", """
     _orig_fit = fit
     def fit(x, y, lr, iters, seed):
         w, b, losses = _orig_fit(x, y, lr, iters, seed)
         return w, b, [torch.tensor(v) for v in losses]
     """, "fit", "loss.item()"),
    Mutant("fit_params_cpu", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y.cpu(), x.cpu() * w + b)
             for p in (w, b):
                 if p.grad is not None:
                     p.grad.zero_()
             loss.backward()
             sgd_update_((w, b), lr)
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "left on the CPU"),
    Mutant("mse_sums", """
     def mse_loss(y, y_pred):
         return ((y_pred - y) ** 2).sum()
     """, "mse_loss", "sum where the mean",
           what="mse_loss sums where the mean is asked for"),
    Mutant("update_climbs", """
     import torch as _torch
     def sgd_update_(params, lr):
         with _torch.no_grad():
             for p in params:
                 p += lr * p.grad
     """, "sgd_update_", "the loss grows",
           what="sgd_update_ adds the gradient (climbs the loss)"),
    Mutant("fit_rebinds_under_no_grad", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y, x * w + b)
             if w.grad is not None:
                 w.grad.zero_()
                 b.grad.zero_()
             loss.backward()
             with torch.no_grad():
                 w = w - lr * w.grad
                 b = b - lr * b.grad
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "rebinds the name w"),
    Mutant("fit_rebinds", """
     def fit(x, y, lr, iters, seed):
         w, b = init_params(seed, x.device)
         losses = []
         for _ in range(iters):
             loss = mse_loss(y, x * w + b)
             loss.backward()
             w = w - lr * w.grad
             b = b - lr * b.grad
             losses.append(loss.item())
         return w, b, losses
     """, "fit", "rebinds the name w"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("mse_sums", "update_climbs")
