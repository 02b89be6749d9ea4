"""Each hint added for a blind round's fresh mistakes (tests/fresh), tried against a program with
the same symptom for another reason: there the hint must be absent, while the mistake it is
about is still named (its own entry in tests/fresh grades that side in full).

  ex03 mean_graph with z = (y * 3) ** 2: z and out are 3 times the expected ones; out = z.mean()
       * 3 makes out 3 times too, with z right
  ex03 intermediate_grads reduced with y.mean(): 1/N of the expected on inputs of N = 2 and 3; a
       gradient halved whatever N is is 1/2 on both
  ex11, ex12 poly_grads with `x * 2` for `x ** 2`: only grad_c wrong; grad_c halved is wrong
       alone too
  ex01, ex02, ex03, ex05, ex07 a sum where a mean is wanted, named by the visible checks alone
       (two inputs of different N each show their own N); a mean times a constant equal to the
       first input's N shows that constant on the second input
  ex06, ex02 nn.L1Loss / the mean absolute error: nn.SmoothL1Loss and the mean error are not
  ex06 gradients doubled (backward() twice): three backward() calls are not
  ex10 a row's log-sum-exp at log(0) = -inf: a log-sum-exp with no maximum taken off overflows
  ex06 a sigmoid on the layer's input: a sigmoid after it, or a tanh before it, is not
  ex02 the full-batch gradient in each per-sample update, named by the visible check too
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import failing
from tests.fresh import fresh


def hints_of(result, target, visible=None):
    return [h for c in failing(result, target) if visible is None or c.visible == visible
            for h in c.hints]


def any_hint(hints, pattern) -> bool:
    return any(re.search(pattern, h) for h in hints)


def fresh_code(ex, name) -> str:
    """The code of the entry `name` of tests/fresh for `ex`."""
    return next(w.code for w in fresh()[ex] if w.name == name)


# -- ex03 mean_graph: the 3 squared with y, or out times 3

OUT_TIMES_3 = """
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.mean() * 3
    return y, z, out
"""
THREE_SQUARED = """
def mean_graph(x):
    y = x + 2
    z = (3 * y) ** 2
    out = z.mean()
    return y, z, out
"""


def test_three_squared_only_where_z_is_9_y_squared(grade):
    wrong = hints_of(grade("ex03", OUT_TIMES_3, targets=["mean_graph"]), "mean_graph")
    assert not any_hint(wrong, r"squared with y"), wrong
    right = hints_of(grade("ex03", THREE_SQUARED, targets=["mean_graph"]), "mean_graph")
    assert right and all(re.search(r"squared with y", h) for h in right), right


# -- ex03 intermediate_grads: y.mean() against a gradient halved whatever N

HALVED = """
def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        a = leaf + x
        a.retain_grad()
        b = leaf + 1
        y = a * b
        y.sum().backward()
    return leaf.grad / 2, a.grad / 2
"""


def test_mean_for_sum_needs_its_own_n_on_two_inputs(grade):
    hints = hints_of(grade("ex03", HALVED, targets=["intermediate_grads"]),
                     "intermediate_grads")
    assert not any_hint(hints, r"y\.mean\(\)"), hints


# -- ex11, ex12 poly_grads: grad_c halved is wrong alone, but is no `x * 2`

C_HALVED = {
    "ex11": ("poly_grads", """
def poly_grads(x, y, y_pred):
    r = 2.0 * (y_pred - y)
    return (float(r.sum()), float((r * x).sum()), float((r * x ** 2).sum() / 2),
            float((r * x ** 3).sum()))
"""),
    "ex12": ("poly_grads_tensor", """
def poly_grads_tensor(x, y, y_pred):
    r = 2.0 * (y_pred - y)
    return r.sum(), (r * x).sum(), (r * x ** 2).sum() / 2, (r * x ** 3).sum()
""")}


@pytest.mark.parametrize("ex", sorted(C_HALVED))
def test_times_power_only_for_x_times_p(grade, ex):
    target, code = C_HALVED[ex]
    hints = hints_of(grade(ex, code, targets=[target]), target)
    assert not any_hint(hints, r"x \* 2 where"), hints


# -- a sum for a mean, told by the visible checks alone; a constant factor is not

SUMS = {
    "ex01": ("mse_for_weights", """
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return np.array([np.sum(loss(x, y, float(w))) for w in _as_array(weights)])
""", """
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return np.array([3 * np.mean(loss(x, y, float(w))) for w in _as_array(weights)])
"""),
    "ex02": ("cost", """
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.sum((x * w - y) ** 2))
""", """
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(3 * np.mean((x * w - y) ** 2))
"""),
    "ex03": ("mean_graph", """
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    return y, z, z.sum()
""", """
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    return y, z, z.mean() * 4
"""),
    "ex05": ("mse_loss", """
def mse_loss(y, y_pred):
    return ((y_pred - y) ** 2).sum()
""", """
def mse_loss(y, y_pred):
    return ((y_pred - y) ** 2).mean() * 4
"""),
    "ex07": ("bce_loss", """
def bce_loss(p, y):
    return -(y * torch.clamp(torch.log(p), min=-100)
             + (1 - y) * torch.clamp(torch.log(1 - p), min=-100)).sum()
""", """
def bce_loss(p, y):
    return -(y * torch.clamp(torch.log(p), min=-100)
             + (1 - y) * torch.clamp(torch.log(1 - p), min=-100)).mean() * 3
""")}
SUM_NAMED = r"(sum|sum\(\)) where (the|a) mean is wanted|z\.sum\(\) where z\.mean\(\)"


@pytest.mark.parametrize("ex", sorted(SUMS))
def test_visible_checks_name_a_sum_and_not_a_constant(grade, ex):
    target, summed, constant = SUMS[ex]
    seen = hints_of(grade(ex, summed, targets=[target]), target, visible=True)
    assert any_hint(seen, SUM_NAMED), seen
    other = hints_of(grade(ex, constant, targets=[target]), target)
    assert not any_hint(other, SUM_NAMED), other


# -- a loss of another kind: nn.SmoothL1Loss is no L1Loss; the mean error is no absolute one

def test_l1_only_for_the_absolute_error(grade):
    huber = """
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.SmoothL1Loss()
    optimizer = make_optimizer(model, lr)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
"""
    hints = hints_of(grade("ex06", huber, targets=["train"]), "train")
    assert not any_hint(hints, r"L1Loss|mean absolute"), hints
    mean_error = """
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(x * w - y))
"""
    hints = hints_of(grade("ex02", mean_error, targets=["cost"]), "cost")
    assert not any_hint(hints, r"mean absolute"), hints


# -- gradients tripled (backward() three times) are not "doubled"

def test_doubled_only_for_twice_the_gradients(grade):
    thrice = """
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    for _ in range(3):
        loss.backward(retain_graph=True)
    optimizer.step()
    return loss.item()
"""
    hints = hints_of(grade("ex06", thrice, targets=["train_step"]), "train_step")
    assert not any_hint(hints, r"doubled"), hints


# -- a log-sum-exp with no maximum taken off overflows (+inf): no row's sum is log(0)

def test_log_of_zero_only_where_a_row_underflows(grade):
    naive = """
def cross_entropy(logits, targets):
    lse = logits.exp().sum(dim=1).log()
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()
"""
    hints = hints_of(grade("ex10", naive, targets=["cross_entropy"]), "cross_entropy")
    assert not any_hint(hints, r"log\(0\) = -inf: every exp"), hints


# -- a sigmoid after the layer, or a tanh before it, is no sigmoid on the layer's input

@pytest.mark.parametrize("body", ["torch.sigmoid(self.linear(x))", "self.linear(torch.tanh(x))"])
def test_sigmoid_input_only_where_the_input_went_through_one(grade, body):
    code = f"""
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return {body}
"""
    hints = hints_of(grade("ex06", code, targets=["LinearRegression"]), "LinearRegression")
    assert not any_hint(hints, r"sigmoid applied"), hints


# -- ex02: the full-batch gradient in every per-sample update, named by the visible check too

def test_visible_sgd_names_the_batch_gradient(grade):
    code = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * gradient(xs, ys, w)
            loss = (xi * w - yi) ** 2
        losses.append(float(loss))
    return w, losses
"""
    target = "stochastic_gradient_descent"
    seen = hints_of(grade("ex02", code, targets=[target]), target, visible=True)
    assert any_hint(seen, r"mean gradient over all samples"), seen


# -- ex06: float64 weights on a float32 x (named from PyTorch's words, in the message only); an
#    x made float64 against float32 weights is the other way round

def _forward_code(init: str, forward: str) -> str:
    return f"""
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = {init}

    def forward(self, x):
        return {forward}
"""


def test_float64_weights_only_where_the_weight_is_float64(grade):
    def messages(code):
        return "\n".join(c.message for c in failing(grade("ex06", code,
                                                          targets=["LinearRegression"])))
    weights = messages(_forward_code("nn.Linear(input_dim, output_dim).double()",
                                     "self.linear(x)"))
    assert "the layer's weight float64" in weights, weights
    inputs = messages(_forward_code("nn.Linear(input_dim, output_dim)",
                                    "self.linear(x.double())"))
    assert "the layer's weight float64" not in inputs, inputs


# -- ex03 analytic_grad_of_mean and ex07 bce_grad_logits: the sum's derivative named by the
#    visible checks alone, a constant factor equal to the first N is not

GRADIENT_SUMS = {
    "ex03": ("analytic_grad_of_mean", """
def analytic_grad_of_mean(x):
    return 6 * (x + 2)
""", """
def analytic_grad_of_mean(x):
    return 6 * (x + 2) / x.numel() * 4
"""),
    "ex07": ("bce_grad_logits", """
def bce_grad_logits(z, y):
    return sigmoid(z) - y
""", """
def bce_grad_logits(z, y):
    return 4 * (sigmoid(z) - y) / z.numel()
""")}
GRADIENT_SUM_NAMED = r"derivative of the sum|a sum where a mean is wanted"


@pytest.mark.parametrize("ex", sorted(GRADIENT_SUMS))
def test_visible_checks_name_a_sum_in_a_gradient(grade, ex):
    target, summed, constant = GRADIENT_SUMS[ex]
    seen = hints_of(grade(ex, summed, targets=[target]), target, visible=True)
    assert any_hint(seen, GRADIENT_SUM_NAMED), seen
    other = hints_of(grade(ex, constant, targets=[target]), target)
    assert not any_hint(other, GRADIENT_SUM_NAMED), other
