"""Wrong variants of ex05 fail the right checks, and the messages name the mistake."""
import pytest
import torch

from tests.conftest import failing, messages

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("data_global_rng", """
     def make_data(n, seed, device="cpu"):
         x = torch.rand(n).to(device)
         return x, 3 * x + 0.8
     """, "make_data", "global generator"),
    ("data_no_bias", """
     def make_data(n, seed, device="cpu"):
         x = torch.rand(n, generator=torch.Generator().manual_seed(seed)).to(device)
         return x, 3 * x
     """, "make_data", "bias 0.8 is missing"),
    ("init_swapped", """
     def init_params(seed, device="cpu"):
         g = torch.Generator().manual_seed(seed)
         b = torch.rand(1, generator=g).to(device).requires_grad_()
         w = torch.rand(1, generator=g).to(device).requires_grad_()
         return w, b
     """, "init_params", "swapped"),
    ("init_not_leaf", """
     def init_params(seed, device="cpu"):
         g = torch.Generator().manual_seed(seed)
         w = torch.rand(1, generator=g).requires_grad_() * 1.0
         b = torch.rand(1, generator=g).requires_grad_() * 1.0
         return w.to(device), b.to(device)
     """, "init_params", "no longer a leaf"),
    ("init_no_grad", """
     def init_params(seed, device="cpu"):
         g = torch.Generator().manual_seed(seed)
         return torch.rand(1, generator=g).to(device), torch.rand(1, generator=g).to(device)
     """, "init_params", "does not require grad"),
    ("mse_sum", """
     def mse_loss(y, y_pred):
         return ((y_pred - y) ** 2).sum()
     """, "mse_loss", "a sum where the mean"),
    ("mse_abs", """
     def mse_loss(y, y_pred):
         return (y_pred - y).abs().mean()
     """, "mse_loss", "mean absolute error"),
    ("mse_item", """
     def mse_loss(y, y_pred):
         return torch.tensor(((y_pred - y) ** 2).mean().item())
     """, "mse_loss", "no graph"),
    ("update_sign", """
     def sgd_update_(params, lr):
         with torch.no_grad():
             for p in params:
                 p += lr * p.grad
     """, "sgd_update_", "adds lr * grad"),
    ("update_rebinds", """
     def sgd_update_(params, lr):
         with torch.no_grad():
             for p in params:
                 p = p - lr * p.grad
     """, "sgd_update_", "did not change"),
    ("update_autograd_on", """
     def sgd_update_(params, lr):
         for p in params:
             p -= lr * p.grad
     """, "sgd_update_", "autograd on"),
    ("update_no_lr", """
     def sgd_update_(params, lr):
         with torch.no_grad():
             for p in params:
                 p -= p.grad
     """, "sgd_update_", "learning rate is missing"),
    ("fit_no_zero", """
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
    ("fit_zero_after_backward", """
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
     """, "fit", "zeroed after loss.backward()"),
    ("fit_update_with_autograd", """
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
    ("fit_sign", """
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
    ("fit_sum_loss", """
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
    ("fit_tensor_losses", """
     _orig_fit = fit
     def fit(x, y, lr, iters, seed):
         w, b, losses = _orig_fit(x, y, lr, iters, seed)
         return w, b, [torch.tensor(v) for v in losses]
     """, "fit", "loss.item()"),
    ("fit_params_cpu", """
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
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    if name == "fit_params_cpu" and not torch.cuda.is_available():
        pytest.skip("parameters left on the CPU can only be seen on a CUDA machine")
    # the 3000-step course run is left out: a mutant's graph that grows with every step would
    # make it time out, and the short runs already name each mistake
    keyword = "fit and not course" if target == "fit" else target
    result = grade("ex05", code, keyword=keyword)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_reference_passes_every_check(grade):
    result = grade("ex05")
    assert not failing(result), messages(result)
    assert result.score == result.max_score > 0


def test_course_numbers_are_recorded():
    """The recorded course run really reaches w ≈ 3, b ≈ 0.8 (y = 3x + 0.8)."""
    from grader.checking import expected
    from grader.checks.ex05_manual_regression.ships.test_visible import CASES
    run = expected(CASES["fit_course"])
    assert run["count"] == 3000
    assert abs(run["w"].item() - 3.0) < 0.05 and abs(run["b"].item() - 0.8) < 0.05
    assert run["losses"][-1] < 1e-3 < run["losses"][0]
