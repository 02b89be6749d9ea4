"""The hints of blind round 13's programs (ex07, ex11, ex12), each tried against a program with
the same symptom for another reason, which must not get it (the rule of
tests/checks/test_fresh_conditions.py):

  ex12 fit_autograd right on float32 x and failing on float64 x where an update finds a .grad of
       None (requires_grad_() before .to()): a run that fails on float64 x only, on a None that
       is no .grad (a learning-rate scale looked up by dtype), is not told of leaves
  ex11, ex12 poly_grads with grad_d alone wrong (3 x**2 for x**3): grad_d three times the
       right one is not told of the derivative in x
  ex11 poly_loss half the sum of squares on two inputs of different N: the sum over N - 1
       (1/2 where N = 3 only) is not told of the 1/2 convention
  ex07 train_logistic with momentum=0.5 passed giving the default's run (momentum written in):
       a momentum raised to at least 0.6 (the run neither the asked one nor the default's) is
       not told that the argument is unused
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


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


# -- ex11 poly_grads: grad_d alone wrong, 3 x**2 for x**3 or 3 times the right gradient

GRAD_D_TIMES_3 = """
def poly_grads(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    return (float(grad_y_pred.sum()), float((grad_y_pred * x).sum()),
            float((grad_y_pred * x ** 2).sum()), float(3 * (grad_y_pred * x ** 3).sum()))
"""


def test_derivative_in_x_only_where_grad_d_is_of_3_x_squared(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "poly_grads_d_derivative_in_x"),
                           targets=["poly_grads"]), "poly_grads", visible=True)
    assert any_hint(right, r"derivative of x\*\*3 with respect to x"), right
    other = hints_of(grade("ex11", GRAD_D_TIMES_3, targets=["poly_grads"]), "poly_grads")
    assert not any_hint(other, r"derivative"), other


GRAD_D_TIMES_3_TENSOR = """
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return g.sum(), (g * x).sum(), (g * x ** 2).sum(), 3 * (g * x ** 3).sum()
"""


def test_derivative_in_x_only_where_grad_d_is_of_3_x_squared_tensor(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "poly_grads_tensor_d_derivative_in_x"),
                           targets=["poly_grads_tensor"]), "poly_grads_tensor", visible=True)
    assert any_hint(right, r"derivative of x\*\*3 with respect to x"), right
    result = grade("ex12", GRAD_D_TIMES_3_TENSOR, targets=["poly_grads_tensor"])
    assert failing(result, "poly_grads_tensor")
    other = hints_of(result, "poly_grads_tensor")
    assert not any_hint(other, r"derivative"), other


# -- ex11 poly_loss: half the sum of squares, or the sum over N - 1 (1/2 where N = 3)

OVER_N_MINUS_1 = """
def poly_loss(y_pred, y):
    return float(np.square(y_pred - y).sum() / (len(y) - 1))
"""


def test_half_sse_only_where_the_half_holds_on_another_n(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "poly_loss_half_sse"),
                           targets=["poly_loss"]), "poly_loss", visible=True)
    assert any_hint(right, r"half the sum of squared errors"), right
    other = hints_of(grade("ex11", OVER_N_MINUS_1, targets=["poly_loss"]), "poly_loss")
    assert not any_hint(other, r"half the sum|1/2 convention"), other


# -- ex07 train_logistic with momentum=0.5 passed: the argument ignored, or changed

MOMENTUM_FLOOR = """
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=max(momentum, 0.6))
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""


def test_argument_ignored_only_where_the_run_is_the_defaults(grade):
    right = hints_of(grade("ex07", fresh_code("ex07", "train_logistic_momentum_written_in"),
                           targets=["train_logistic"]), "train_logistic", visible=True)
    assert any_hint(right, r"momentum argument given is not used"), right
    result = grade("ex07", MOMENTUM_FLOOR, targets=["train_logistic"])
    assert failing(result, "train_logistic")
    other = hints_of(result, "train_logistic", visible=True)
    assert not any_hint(other, r"not used"), other
