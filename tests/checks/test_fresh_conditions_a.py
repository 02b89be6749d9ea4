"""The hints added for the fresh mistakes of tests/fresh in exercises ex01-ex06, continued from
tests/checks/test_fresh_conditions_d.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex04 train_quadratic recording each epoch's first sample's loss (the training right, the value
       recorded wrong): a loop that records its middle sample's loss is not named so
  ex02 stochastic_gradient_descent recording each epoch's first sample's loss: a loop that
       records its middle sample's loss is not named so
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex04 train_quadratic: the first sample's loss recorded, or another sample's

MIDDLE_SAMPLE = """
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        seen = []
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            seen.append(loss.item())
        losses.append(seen[len(seen) // 2])
    return params[0].item(), params[1].item(), params[2].item(), losses
"""
FIRST = r"records its first sample's loss"


def test_first_sample_named_only_where_the_first_sample_is_recorded(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "train_quadratic_records_first_sample"),
                           targets=["train_quadratic"]), "train_quadratic", visible=True)
    assert any_hint(right, FIRST), right
    result = grade("ex04", MIDDLE_SAMPLE, targets=["train_quadratic"])
    other = hints_of(result, "train_quadratic")
    assert failing(result, "train_quadratic")     # the same symptom: a recorded value differs
    assert not any_hint(other, FIRST), other


# -- ex02 stochastic_gradient_descent: the first sample's loss recorded, or another sample's

SGD_MIDDLE_SAMPLE = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        seen = []
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * sample_gradient(xi, yi, w)
            seen.append(float((xi * w - yi) ** 2))
        losses.append(seen[len(seen) // 2])
    return w, losses
"""


def test_sgd_first_sample_named_only_where_the_first_sample_is_recorded(grade):
    target = "stochastic_gradient_descent"
    right = hints_of(grade("ex02", fresh_code("ex02", "sgd_records_first_sample"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, FIRST), right
    result = grade("ex02", SGD_MIDDLE_SAMPLE, targets=[target])
    assert failing(result, target)     # the same symptom: a recorded value differs
    other = hints_of(result, target)
    assert not any_hint(other, FIRST), other
