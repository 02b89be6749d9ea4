"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex04 the initial values returned after a right training: a run that never moved is not
  ex11 the loss recorded per point (over N): a loss halved is not
  ex04 each update divided by N: an update divided by 7 is not
  ex11 the four draws in another order: a draw skipped first is not
  ex12 a coefficient moved by another's gradient: by twice its own is not
  ex10 softmax divided by the whole tensor's sum: one along dim 0 whatever dim says is not
  ex11 the gradients taken anew after a's update (no precision hint first): a fit run in float32
       gets the precision hint and not this one
  ex12 Polynomial3's parameters float64: parameters of shape (1,) are not named so
  ex06, ex08 a training run of SGD with momentum 0.9, or of Adam: momentum 0.5 and RMSprop are
       not named so
  ex08 BCELoss's arguments swapped (its target out of [0, 1]): a prediction out of [0, 1] (its
       input) is not
  ex09 an item (label, features): an item of the first column, then the other columns (the
       same shapes, other values) is not
"""
from __future__ import annotations

import re

import pytest

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex04 train_quadratic returning w1, w2, b as they came: trained (every loss right), or never
#    moved (every loss the first one: the gradients zeroed before the update)

ZEROED_BEFORE_UPDATE = """
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.grad.zero_()
                    p -= lr * p.grad
            last = loss.item()
        losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
"""
RETURNED_START = r"not what it returns"
NEVER_MOVE = r"never move"


def test_never_moved_only_where_the_losses_stay_at_the_first(grade):
    trained = fresh_code("ex04", "train_quadratic_returns_initial")
    right = hints_of(grade("ex04", trained, targets=["train_quadratic"]), "train_quadratic")
    assert right and all(re.search(RETURNED_START, h) for h in right), right
    still = hints_of(grade("ex04", ZEROED_BEFORE_UPDATE, targets=["train_quadratic"]),
                     "train_quadratic")
    assert any_hint(still, NEVER_MOVE) and not any_hint(still, RETURNED_START), still


# -- ex11 fit_numpy recording the loss over N (the mean per point), or over a constant 2

LOSS_HALVED = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss / 2)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_loss_per_point_only_where_divided_by_n(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_loss_per_point"),
                           targets=["fit_numpy"]), "fit_numpy")
    assert any_hint(right, r"divided by N = 50"), right
    other = hints_of(grade("ex11", LOSS_HALVED, targets=["fit_numpy"]), "fit_numpy")
    assert not any_hint(other, r"per point"), other


# -- ex04 train_autograd: each update divided by N, or by a constant 7

UPDATE_OVER_7 = """
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
                w -= lr * w.grad / 7
                w.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w.item(), losses
"""


def test_update_over_n_only_where_n_divides_it(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "train_autograd_grad_over_n"),
                           targets=["train_autograd"]), "train_autograd")
    assert right and all(re.search(r"1/N of the reference", h) for h in right), right
    other = hints_of(grade("ex04", UPDATE_OVER_7, targets=["train_autograd"]), "train_autograd")
    assert not any_hint(other, r"1/N"), other


# -- ex11 fit_numpy's initial values: the draws in another order, or one draw skipped first

DRAW_SKIPPED = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    rng.standard_normal()
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_draw_order_only_where_the_draws_are_permuted(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_draws_d_first"),
                           targets=["fit_numpy"]), "fit_numpy")
    assert any_hint(right, r"order d, c, b, a"), right
    other = hints_of(grade("ex11", DRAW_SKIPPED, targets=["fit_numpy"]), "fit_numpy")
    assert not any_hint(other, r"another order"), other


# -- ex12 fit_tensor: c moved by grad_d (gradients swapped), or by twice its own gradient

C_STEP_DOUBLED = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        grad_c = 2 * grad_c
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_crossed_update_only_where_another_gradient_moves_it(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_grads_c_d_swapped"),
                           targets=["fit_tensor"]), "fit_tensor")
    assert any_hint(right, r"c is updated with grad_d"), right
    other = hints_of(grade("ex12", C_STEP_DOUBLED, targets=["fit_tensor"]), "fit_tensor")
    assert not any_hint(other, r"is updated with grad_"), other


# -- ex10 softmax normalised over the whole tensor, or always along dim 0

SOFTMAX_DIM0 = """
def softmax(z, dim=-1):
    e = (z - z.amax(dim=0, keepdim=True)).exp()
    return e / e.sum(dim=0, keepdim=True)
"""


def test_sum_all_only_where_the_whole_tensor_sums_to_1(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "softmax_sum_of_whole_tensor"),
                           targets=["softmax"]), "softmax", visible=True)
    assert any_hint(right, r"sum of the whole tensor"), right
    other = hints_of(grade("ex10", SOFTMAX_DIM0, targets=["softmax"]), "softmax")
    assert not any_hint(other, r"whole tensor"), other


# -- ex09 CsvDataset's item: (label, features), or (first column, the other columns)

FIRST_COLUMN_APART = """
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :1].copy())
        self.y = torch.from_numpy(data[:, 1:].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
"""


def test_pair_swapped_only_where_the_values_are_swapped(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "dataset_label_first"),
                           targets=["CsvDataset"]), "CsvDataset", visible=True)
    assert any_hint(right, r"the pair is \(label, features\)"), right
    other = hints_of(grade("ex09", FIRST_COLUMN_APART, targets=["CsvDataset"]), "CsvDataset")
    assert not any_hint(other, r"label, features\)"), other


# -- ex08 BCELoss out of its range: the target (arguments swapped), or the input (2x the output)

BCE_ARGUMENTS_SWAPPED_CODE = """
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(y, model(x))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""
BCE_INPUT_OUT_OF_RANGE = """
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(2 * model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""


def messages_of(result, target):
    return [c.message for c in failing(result, target)]


def test_bce_swapped_only_where_the_target_is_out_of_range(grade):
    """Read from PyTorch's text: said in the message, not counted as a named hint."""
    right = messages_of(grade("ex08", BCE_ARGUMENTS_SWAPPED_CODE,
                              targets=["train_full_batch"]), "train_full_batch")
    assert right and all(re.search(r"arguments swapped", m) for m in right), right
    other = messages_of(grade("ex08", BCE_INPUT_OUT_OF_RANGE, targets=["train_full_batch"]),
                        "train_full_batch")
    assert other and not any_hint(other, r"swapped"), other


# -- ex11 fit_numpy off by float32's rounding: the gradients taken anew after a's update, or
#    the data made float32

FIT_IN_FLOAT32 = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    x, y = x.astype(np.float32), y.astype(np.float32)
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(float(loss))
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_precision_only_where_no_step_differs(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_regrad_after_a"),
                           targets=["fit_numpy"]), "fit_numpy")
    assert right and not any_hint(right, r"float32"), right
    assert any_hint(right, r"taken anew after a was updated"), right
    other = hints_of(grade("ex11", FIT_IN_FLOAT32, targets=["fit_numpy"]), "fit_numpy")
    assert any_hint(other, r"float32 precision") and not any_hint(other, r"taken anew"), other


# -- ex12 Polynomial3's structure: float64 parameters, or parameters of shape (1,)

POLY_SHAPE_1 = """
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(1))
        self.b = nn.Parameter(torch.randn(1))
        self.c = nn.Parameter(torch.randn(1))
        self.d = nn.Parameter(torch.randn(1))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + " \
               f"{self.d.item()} x^3"
"""


def test_float64_parameters_only_where_the_dtype_differs(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "polynomial3_float64_parameters"),
                           targets=["Polynomial3"]), "Polynomial3", visible=True)
    assert any_hint(right, r"keep the parameters float32"), right
    other = hints_of(grade("ex12", POLY_SHAPE_1, targets=["Polynomial3"]), "Polynomial3")
    assert not any_hint(other, r"float32|float64"), other


# -- ex06 train and ex08 train_full_batch: momentum 0.9 or Adam, or momentum 0.5 or RMSprop

TRAIN_MOMENTUM_05 = """
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
"""
FULL_BATCH_RMSPROP = """
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""


@pytest.mark.parametrize("ex,target,name,other,named", [
    ("ex06", "train", "train_own_sgd_momentum", TRAIN_MOMENTUM_05, r"momentum=0\.9"),
    ("ex08", "train_full_batch", "train_full_batch_adam", FULL_BATCH_RMSPROP, r"Adam"),
])
def test_optimizer_kind_only_where_the_run_is_that_optimizer(grade, ex, target, name, other,
                                                             named):
    right = hints_of(grade(ex, fresh_code(ex, name), targets=[target]), target, visible=True)
    assert any_hint(right, named), right
    seen = hints_of(grade(ex, other, targets=[target]), target)
    assert not any_hint(seen, named), seen
