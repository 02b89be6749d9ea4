"""Hints that claimed more than their evidence shows (issue 20), each tried both ways: a program
with the same symptom for another reason, where the claim must be absent, and the mistake the
hint is about, which must still be named.

  ex02 stochastic_gradient_descent over the samples in reverse order: on the course data (y = 2x)
       per-sample updates commute, so w after an epoch is the reference's and the comparison
       concluded "what is recorded (or when), not the training"
  ex03 zero_grads_ that zeroes nothing once one .grad is None: told to zero the gradient, not the
       parameter, which it never touched
  ex06, ex09, ex10, ex12 optimizer.step() before loss.backward(): told the gradients are zeroed
       between backward() and step(); the values show only that step() found none
  ex07, ex10, ex11, ex12 a gradient of the wrong sign: told of the derivative of (x*w - y)**2
       and of an update, which those functions do not have
"""
from __future__ import annotations

import pytest

from tests.conftest import failing


def hints_of(result, target, visible=None):
    return [h for c in failing(result, target) if visible is None or c.visible == visible
            for h in c.hints]


def text_of(result, target) -> str:
    return "\n".join(c.message for c in failing(result, target))


# -- ex02: the order of the samples, on data where it does not change w

SGD_REVERSED = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        loss = 0.0
        for xi, yi in zip(reversed(x.tolist()), reversed(y.tolist())):
            w = w - lr * sample_gradient(xi, yi, w)
            loss = (xi * w - yi) ** 2
        losses.append(float(loss))
    return w, losses
"""
# the last sample first, then the first two: not reversed, and on the course data the same w
SGD_ROTATED = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs).tolist(), _as_array(ys).tolist()
    order = [len(x) - 1] + list(range(len(x) - 1))
    w = float(w0)
    losses = []
    for _ in range(epochs):
        loss = 0.0
        for i in order:
            w = w - lr * sample_gradient(x[i], y[i], w)
            loss = (x[i] * w - y[i]) ** 2
        losses.append(float(loss))
    return w, losses
"""


@pytest.mark.parametrize("seed", [1, 2])
def test_samples_in_reverse_order_are_named_on_the_course_data_and_on_random_data(grade, seed):
    result = grade("ex02", SGD_REVERSED, targets=["stochastic_gradient_descent"], seed=seed)
    target = "stochastic_gradient_descent"
    assert any("reverse order" in h for h in hints_of(result, target, visible=True))
    assert any("reverse order" in h for h in hints_of(result, target, visible=False))
    assert "not the training" not in text_of(result, target)


def test_another_order_is_not_cleared_by_the_course_data(grade):
    result = grade("ex02", SGD_ROTATED, targets=["stochastic_gradient_descent"], seed=1)
    target = "stochastic_gradient_descent"
    text = text_of(result, target)
    assert failing(result, target), "the rotated order must fail"
    assert "not the training" not in text, text
    assert "every order gives the same w" in text, text
    assert not [h for h in hints_of(result, target) if "reverse order" in h]


# -- ex03: zero_grads_ that changes no .grad

ALL_OR_NOTHING = """
def zero_grads_(params):
    if all(p.grad is not None for p in params):
        for p in params:
            p.grad.zero_()
"""
ZEROES_THE_PARAMETER = """
def zero_grads_(params):
    for p in params:
        p.data.zero_()
"""
LEAVES_ALL = """
def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.grad.detach()
"""


def test_nothing_zeroed_for_one_none_is_named_from_the_call_with_every_grad(grade):
    result = grade("ex03", ALL_OR_NOTHING, targets=["zero_grads_"], seed=1)
    hints = hints_of(result, "zero_grads_")
    assert any("when one .grad is None" in h for h in hints), hints
    assert not [h for h in hints if "zero the parameter" in h or "p.data" in h], hints


@pytest.mark.parametrize("code", [ZEROES_THE_PARAMETER, LEAVES_ALL])
def test_a_function_that_never_zeroes_a_grad_is_not_told_of_the_none(grade, code):
    result = grade("ex03", code, targets=["zero_grads_"], seed=1)
    hints = hints_of(result, "zero_grads_")
    assert failing(result, "zero_grads_")
    assert not [h for h in hints if "when one .grad is None" in h], hints
    # the parameter is not measured: no hint says what happened to it
    assert not [h for h in hints if "zero the parameter" in h], hints


# -- ex06, ex09, ex10, ex12: no gradients when step() runs

STEP_BEFORE_BACKWARD = {
    ("ex06", "train_step"): """
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    optimizer.step()
    loss.backward()
    return loss.item()
""",
    ("ex09", "train_minibatch"): """
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            optimizer.step()
            loss.backward()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
""",
}
ZERO_BETWEEN = {
    ("ex06", "train_step"): """
def train_step(model, loss_fn, optimizer, X, Y):
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()
""",
    ("ex09", "train_minibatch"): """
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
""",
}
# what the old hints said as the cause: true of ZERO_BETWEEN only
PLACED_BETWEEN = ("zeroed after loss.backward() and before the update",
                  "called between loss.backward() and optimizer.step()")
NO_GRADIENTS = ("found the gradients zeroed (or not yet computed)",
                "found no gradients when it ran")


@pytest.mark.parametrize("ex,target", list(STEP_BEFORE_BACKWARD))
def test_a_step_before_backward_is_not_told_the_zeroing_sits_between(grade, ex, target):
    result = grade(ex, STEP_BEFORE_BACKWARD[ex, target], targets=[target], seed=1)
    hints = hints_of(result, target)
    assert any(any(w in h for w in NO_GRADIENTS) for h in hints), hints
    assert not [h for h in hints if any(w in h for w in PLACED_BETWEEN)], hints


@pytest.mark.parametrize("ex,target", list(ZERO_BETWEEN))
def test_the_zeroing_between_backward_and_step_is_still_named(grade, ex, target):
    result = grade(ex, ZERO_BETWEEN[ex, target], targets=[target], seed=1)
    hints = hints_of(result, target)
    assert any(any(w in h for w in NO_GRADIENTS) for h in hints), hints


# -- the sign of a gradient, in each function's own words

SIGNS = [
    ("ex07", "bce_grad_logits", """
def bce_grad_logits(z, y):
    return (y - sigmoid(z)) / z.numel()
""", "(sigmoid(z) - y) / N"),
    ("ex10", "cross_entropy_grad", """
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return (one_hot - softmax(logits, dim=1)) / n
""", "softmax - one_hot"),
    ("ex11", "poly_grads", """
def poly_grads(x, y, y_pred):
    g = 2.0 * (y - y_pred)
    return (float(g.sum()), float((g * x).sum()), float((g * x ** 2).sum()),
            float((g * x ** 3).sum()))
""", "2 * (y_pred - y)"),
    ("ex12", "poly_grads_tensor", """
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y - y_pred)
    return g.sum(), (g * x).sum(), (g * x ** 2).sum(), (g * x ** 3).sum()
""", "2 * (y_pred - y)"),
]


@pytest.mark.parametrize("ex,target,code,formula", SIGNS, ids=[s[0] for s in SIGNS])
def test_a_sign_hint_speaks_of_the_function_checked(grade, ex, target, code, formula):
    result = grade(ex, code, targets=[target], seed=1)
    hints = hints_of(result, target)
    assert any(formula in h for h in hints), hints
    assert not [h for h in hints if "(x*w - y)" in h or "update subtracts" in h], hints


def test_the_sign_of_ex02s_gradient_is_still_told_in_its_formula(grade):
    code = """
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(2 * x * (y - x * w)))
"""
    result = grade("ex02", code, targets=["gradient"], seed=1)
    assert any("(x*w - y)" in h for h in hints_of(result, "gradient")), \
        hints_of(result, "gradient")
