"""The hints of blind round 13's programs (ex07, ex11, ex12), each tried against a program with
the same symptom for another reason, which must not get it (the rule of
tests/checks/test_fresh_conditions.py):

  ex12 fit_autograd right on float32 x and failing on float64 x where an update finds a .grad of
       None (requires_grad_() before .to()): a run that fails on float64 x only, on a None that
       is no .grad (a learning-rate scale looked up by dtype), is not told of leaves
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of


# -- ex12 fit_autograd on float64 x: a parameter's .grad None, or another None

SCALE_BY_DTYPE = """
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    a, b, c, d = params
    scale = {torch.float32: 1.0}.get(x.dtype)
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum() * scale
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return tuple(p.detach() for p in params), losses
"""


def test_grad_none_on_float64_only_where_a_grad_is_none(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_autograd_requires_grad_before_to"),
                           targets=["fit_autograd"]), "fit_autograd", visible=True)
    assert any_hint(right, r"not a\s+leaf"), right
    other = hints_of(grade("ex12", SCALE_BY_DTYPE, targets=["fit_autograd"]), "fit_autograd")
    assert not any_hint(other, r"leaf|requires_grad_"), other
