"""The hints added for blind round 15's fresh mistakes, each tried against a program with the
same symptom for another reason, which must not get it:

  ex02 gradient_descent one update short, float64 throughout (the final w off in its 6th digit,
       not a float32 number): told a step that differs first; the same loop run in float32 to
       the end (w a float32 number, off by as little) is told float32 first
  ex07 LogisticRegression.forward clamping its probabilities to [1e-7, 1 - 1e-7] (wrong at
       logits of ±20 and ±30 in float64 only): a forward computed in float32 is wrong there
       (and by as little elsewhere) and is not told a clamp
"""
from __future__ import annotations

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
STEP_FIRST = r"not float32 numbers\. Either a step"
FLOAT32_FIRST = r"Either part of the computation ran in float32"


def test_a_step_is_said_first_only_where_the_values_are_not_float32_numbers(grade):
    target = "gradient_descent"
    right = hints_of(grade("ex02", fresh_code("ex02", "gradient_descent_one_update_short"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, STEP_FIRST) and not any_hint(right, FLOAT32_FIRST), right
    result = grade("ex02", IN_FLOAT32, targets=[target])
    assert failing(result, target)     # the same symptom: right to about 7 digits
    other = hints_of(result, target)
    assert any_hint(other, FLOAT32_FIRST) and not any_hint(other, STEP_FIRST), other


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
