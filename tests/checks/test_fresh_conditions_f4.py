"""The hints added for blind round 15's fresh mistakes, each tried against a program with the
same symptom for another reason, which must not get it:

  ex02 gradient_descent one update short, float64 throughout (the final w off in its 6th digit,
       not a float32 number): the visible check names the last update missing (the run of 99
       updates recorded), where values of float64 digits are told a step that differs before
       float32 (tests/engine/test_precision_hint.py); the same loop run in float32 to the end
       (w a float32 number, off by as little) is told float32 first, and no missing update; one
       update too many after the loop is told so, and not a missing one
  ex07 LogisticRegression.forward clamping its probabilities to [1e-7, 1 - 1e-7] (wrong at
       logits of ±20 and ±30 in float64 only): a forward computed in float32 is wrong there
       (and by as little elsewhere) and is not told a clamp
  ex04 train_autograd, ex05 fit, ex06 train with the last update missing (every loss right,
       the parameters one update behind): the same loops with one update too many after the
       last loss (every loss right, the parameters one update ahead) are not told it missing
  ex08 DeepBinaryClassifier.forward with one sigmoid too many (every output in (0.5, 0.73)):
       sigmoid(2p) at the end is wrong on the same outputs, also all above 0.5, and is not
       told a sigmoid of the expected values
  ex01 mse_surface divided by N - 1 (4/3 times on 4 samples, 3/2 on 3): 1.5 times the mean is
       3/2 times on 3 samples too, 3/2 on 4, and is not told N - 1
  ex07 train_logistic with nesterov=True (the run parts at step 1): SGD with dampening=0.5
       parts there too, and is not told nesterov
  ex06 train_step with the gradients clipped to norm 1 (the run parts at step 1): the loss
       halved before backward() parts there too, and is not told a clipping
  ex12 fit_tensor with y_pred computed again after a's update (c off in its 4th digit after 3
       steps): d's update taken 1.001 times too big is off by as little, and is not told the
       gradients taken anew
"""
from __future__ import annotations

import pytest

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex02 gradient_descent: a step that differs, or float32 to the end

IN_FLOAT32 = """
def gradient_descent(xs, ys, w0, lr, epochs):
    x = np.asarray(xs, dtype=np.float32)
    y = np.asarray(ys, dtype=np.float32)
    w = np.float32(w0)
    costs = []
    for _ in range(epochs):
        costs.append(float(np.mean((x * w - y) ** 2)))
        w = np.float32(w - np.float32(lr) * np.mean(2 * x * (x * w - y)))
    return float(w), costs
"""
ONE_UPDATE_MORE = """
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    if epochs > 0:
        w = w - lr * gradient(xs, ys, w)
    return w, costs
"""
TOO_MANY = r"one update too many"
STEP_FIRST = r"not float32 numbers\. Either a step"
FLOAT32_FIRST = r"Either part of the computation ran in float32"


def test_one_update_short_is_told_so_and_float32_to_the_end_is_told_float32(grade):
    target = "gradient_descent"
    right = hints_of(grade("ex02", fresh_code("ex02", "gradient_descent_one_update_short"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, r"the last update is missing"), right
    assert not any_hint(right, FLOAT32_FIRST) and not any_hint(right, TOO_MANY), right
    more = hints_of(grade("ex02", ONE_UPDATE_MORE, targets=[target]), target, visible=True)
    assert any_hint(more, TOO_MANY) and not any_hint(more, r"last update is missing"), more
    result = grade("ex02", IN_FLOAT32, targets=[target])
    assert failing(result, target)     # the same symptom: right to about 7 digits
    other = hints_of(result, target)
    assert any_hint(other, FLOAT32_FIRST) and not any_hint(other, STEP_FIRST), other
    assert not any_hint(other, r"the last update is missing"), other


# -- ex07 LogisticRegression.forward: a clamp, or float32 work

FORWARD_IN_FLOAT32 = """
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x).float()).to(x.dtype)
"""
CLAMPED = r"clamped to \["


def test_a_clamp_is_named_only_where_the_values_are_sigmoids_clamped(grade):
    target = "LogisticRegression"
    right = hints_of(grade("ex07", fresh_code("ex07", "forward_clamps_probabilities"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, CLAMPED), right
    result = grade("ex07", FORWARD_IN_FLOAT32, targets=[target])
    assert failing(result, target)     # the same symptom: wrong on the float64 model
    other = hints_of(result, target)
    assert not any_hint(other, CLAMPED), other


# -- ex04, ex05, ex06: the last update missing, or one update too many

ONE_MORE = {
    "ex04": ("train_autograd", "train_autograd_w_before_last_update", """
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
            last = loss.item()
        losses.append(last)
    if epochs > 0:
        ((x[0] * w - y[0]) ** 2).backward()
        with torch.no_grad():
            w -= lr * w.grad
    return w.item(), losses
""", r"before its very last update"),
    "ex05": ("fit", "fit_last_update_skipped", """
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for k in range(iters + 1):
        loss = mse_loss(y, x * w + b)
        for p in (w, b):
            p.grad = None
        loss.backward()
        sgd_update_((w, b), lr)
        if k < iters:
            losses.append(loss.item())
    return w, b, losses
""", r"the last update is missing"),
    "ex06": ("train", "train_last_step_skipped", """
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    losses = [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
    if n_iter > 0:
        train_step(model, loss_fn, optimizer, X, Y)
    return losses
""", r"the last update is missing"),
}


@pytest.mark.parametrize("ex", sorted(ONE_MORE))
def test_a_missing_last_update_is_named_only_where_the_run_is_one_short(grade, ex):
    target, name, other_code, pattern = ONE_MORE[ex]
    right = hints_of(grade(ex, fresh_code(ex, name), targets=[target]), target, visible=True)
    assert any_hint(right, pattern), right
    result = grade(ex, other_code, targets=[target])
    assert failing(result, target)     # the same symptom: every loss right, the parameters not
    other = hints_of(result, target)
    assert not any_hint(other, pattern), other


# -- ex08 DeepBinaryClassifier.forward: sigmoid of the probabilities, or of another value

SIGMOID_OF_TWICE = """
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return torch.sigmoid(2 * x)
"""
SIGMOID_OF_EXPECTED = r"sigmoid of the expected"


def test_sigmoid_of_the_expected_values_is_told_only_where_it_holds(grade):
    target = "DeepBinaryClassifier"
    right = hints_of(grade("ex08", fresh_code("ex08", "forward_extra_final_sigmoid"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, SIGMOID_OF_EXPECTED), right
    result = grade("ex08", SIGMOID_OF_TWICE, targets=[target])
    assert failing(result, target)     # the same symptom: every output squashed above 0.5
    other = hints_of(result, target)
    assert not any_hint(other, SIGMOID_OF_EXPECTED), other


# -- ex01 mse_surface: N - 1, or a constant factor

SURFACE_TIMES_1_5 = """
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = forward_wb(x[None, None, :], W[..., None], B[..., None])
    return (1.5 * ((pred - y) ** 2).mean(axis=-1)).astype(np.float64)
"""
N_MINUS_1 = r"divided by N - 1"


def test_n_minus_1_is_named_only_where_two_sizes_show_their_own_factor(grade):
    target = "mse_surface"
    right = hints_of(grade("ex01", fresh_code("ex01", "mse_surface_over_n_minus_1"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, N_MINUS_1), right
    result = grade("ex01", SURFACE_TIMES_1_5, targets=[target])
    assert failing(result, target)     # the same symptom: 3/2 times on the notes' 3 samples
    other = hints_of(result, target)
    assert not any_hint(other, N_MINUS_1), other


# -- ex07 train_logistic, ex06 train_step: a recorded variant of the optimizer's step, or another

DAMPENED = """
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, dampening=0.5)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""
HALF_LOSS = """
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    (0.5 * loss).backward()
    optimizer.step()
    return loss.item()
"""
STEP_VARIANT = {"ex07": ("train_logistic", "train_logistic_nesterov", DAMPENED, r"nesterov"),
                "ex06": ("train_step", "train_step_clip_grad_norm", HALF_LOSS, r"clip")}


@pytest.mark.parametrize("ex", sorted(STEP_VARIANT))
def test_a_step_variant_is_named_only_where_the_run_is_its_own(grade, ex):
    target, name, other_code, pattern = STEP_VARIANT[ex]
    right = hints_of(grade(ex, fresh_code(ex, name), targets=[target]), target, visible=True)
    assert any_hint(right, pattern), right
    result = grade(ex, other_code, targets=[target])
    assert failing(result, target)     # the same symptom: the run parts at step 1
    other = hints_of(result, target)
    assert not any_hint(other, pattern), other


# -- ex12 fit_tensor: the gradients taken anew after a's update, or another small difference

D_STEP_TOO_BIG = """
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
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= 1.001 * lr * grad_d
    return (a, b, c, d), losses
"""
TAKEN_ANEW = r"taken anew after"


def test_gradients_taken_anew_are_named_only_where_the_run_is_that_one(grade):
    target = "fit_tensor"
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_regrad_after_a"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, TAKEN_ANEW), right
    result = grade("ex12", D_STEP_TOO_BIG, targets=[target])
    assert failing(result, target)     # the same symptom: a coefficient off by little
    other = hints_of(result, target)
    assert not any_hint(other, TAKEN_ANEW), other
