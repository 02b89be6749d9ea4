"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions_b.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex04 w made float32 for float64 data (visible and hidden): losses rounded to float32 with a
       float64 w are not named so
  ex12 the initial values drawn in float64 (now also in a visible check): draws from another
       seed are not named so
  ex09 two loaders sharing one random stream (now also in a visible check): a loader whose
       seed moves with every call is not named so
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of


# -- ex04 train_autograd on float64 data: w made float32, or the losses rounded to float32

LOSSES_ROUNDED = """
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            last = loss.float().item()
        losses.append(last)
    return w.item(), losses
"""


def test_w_float32_only_where_w_is_a_float32_number(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "train_autograd_w_float32_cpu"),
                           targets=["train_autograd"]), "train_autograd", visible=True)
    assert any_hint(right, r"w is float32 where xs are float64"), right
    other = hints_of(grade("ex04", LOSSES_ROUNDED, targets=["train_autograd"]),
                     "train_autograd")
    assert not any_hint(other, r"is float32 where|are float32 where"), other


# -- ex12 fit_tensor's initial values on float64 x: drawn in float64, or from another seed

OTHER_SEED = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed + 1)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_drawn_in_float64_only_where_the_draws_are_float64_ones(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_drawn_in_x_dtype"),
                           targets=["fit_tensor"]), "fit_tensor", visible=True)
    assert any_hint(right, r"drawn in float64"), right
    other = hints_of(grade("ex12", OTHER_SEED, targets=["fit_tensor"]), "fit_tensor")
    assert not any_hint(other, r"float64"), other


# -- ex09 two loaders of one seed iterated in turn: one shared stream, or a seed that moves

SEED_MOVES = """
_CALLS = [0]


def make_loader(dataset, batch_size, shuffle, seed):
    _CALLS[0] += 1
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed + _CALLS[0]))
"""


def test_shared_stream_only_where_the_second_loader_continues_the_first(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "loader_shared_generator"),
                           targets=["make_loader"]), "make_loader", visible=True)
    assert any_hint(right, r"share one random stream"), right
    other = hints_of(grade("ex09", SEED_MOVES, targets=["make_loader"]), "make_loader")
    assert not any_hint(other, r"share one random stream"), other

