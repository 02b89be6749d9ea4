"""The hints of blind round 12's programs (ex08-ex12), each tried against a program with the
same symptom for another reason, which must not get it (the rule of
tests/checks/test_fresh_conditions.py):

  ex12 fit_tensor one step on float64 x at float64's resolution: the initial values drawn in
       float64 are named so; a forward pass in float32 (the draws right) is told its precision,
       not its draws
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of


# -- ex12 fit_tensor on float64 x: float32 arithmetic, or float64 draws (both float32's rounding)

DRAWN_IN_FLOAT64 = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g, dtype=x.dtype).to(x.device) for _ in range(4))
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


def test_float32_arithmetic_is_not_named_as_float64_draws(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_forward_in_float32"),
                           targets=["fit_tensor"]), "fit_tensor", visible=True)
    assert any_hint(right, r"float32 precision"), right
    assert not any_hint(right, r"drawn in float64"), right
    other = hints_of(grade("ex12", DRAWN_IN_FLOAT64, targets=["fit_tensor"]), "fit_tensor",
                     visible=True)
    assert any_hint(other, r"drawn in float64"), other
    assert not any_hint(other, r"float32 precision"), other
