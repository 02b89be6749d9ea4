"""The hints added or changed for blind round 12's programs (tests/fresh), each tried against a
program with the same symptom for another reason, which must not get it:

  values rounded to decimals (round(v, 4)), said as rounded: values computed in float32 (as
       close to the expected ones) are not, and rounded values are not said to be float32
  ex03 a factor named only where it holds on inputs of other shapes: len(x) ** x.dim() (twice
       the expected on a (2, 4) x, right on a square one) is not "a factor 2 counted twice",
       and a true factor 2 is not said to depend on the shape
"""
from __future__ import annotations

import numpy as np

from grader.engine.compare.tolerances import decimals_rounded, rounded_hint
from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of


# -- values rounded to decimals, or computed in float32 (both within 1e-4 of the expected)

BACKWARD_STEPS_FLOAT32 = """
def backward_steps(x, y, w):
    x, y, w = np.float32(x), np.float32(y), np.float32(w)
    y_hat = x * w
    r = y_hat - y
    dloss_dr = np.float32(2) * r
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(r * r),
            "dloss_dr": float(dloss_dr), "dr_dyhat": 1.0, "dyhat_dw": float(x),
            "dloss_dw": float(dloss_dr * x)}
"""


def test_rounded_only_where_every_value_is_a_short_decimal(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "backward_steps_rounded_4"),
                           targets=["backward_steps"]), "backward_steps")
    assert any_hint(right, r"rounded \(round\(v, 4\)"), right
    assert not any_hint(right, r"float32"), right
    other = hints_of(grade("ex04", "import numpy as np\n" + BACKWARD_STEPS_FLOAT32,
                           targets=["backward_steps"]), "backward_steps")
    assert other and not any_hint(other, r"rounded|decimal"), other
    assert any_hint(other, r"float32 precision"), other


def test_rounded_needs_long_expected_values_and_kept_digits():
    want = np.array([-3.91881354, 0.41234567, 12.30000001])
    assert decimals_rounded(np.round(want, 4), want) == 4
    assert rounded_hint(np.round(want, 4), want)
    # float32's rounding of the same values: no short decimals
    assert decimals_rounded(want.astype(np.float32).astype(np.float64), want) is None
    # a wrong value that is short by chance (2.5 for 2.4612345) keeps too few digits
    assert rounded_hint(np.array([2.5]), np.array([2.4612345])) is None
    # expected values that are short decimals themselves: no evidence of rounding
    assert decimals_rounded(np.array([2.5]), np.array([2.46])) is None


# -- ex03 analytic_grad_of_mean: a count right for some shapes, or a true factor 2

TIMES_TWO = """
def analytic_grad_of_mean(x):
    return 12 * (x + 2) / x.numel()
"""


def test_a_factor_is_a_cause_only_on_two_shapes(grade):
    result = grade("ex03", fresh_code("ex03", "analytic_len_to_the_dim"),
                   targets=["analytic_grad_of_mean"])
    right = hints_of(result, "analytic_grad_of_mean")
    assert any_hint(hints_of(result, "analytic_grad_of_mean", visible=True),
                    r"x\.numel\(\) for some shapes only"), right
    assert not any_hint(right, r"twice|counted twice|x\.shape\[0\] \* x\.shape\[-1\]"), right
    other = hints_of(grade("ex03", TIMES_TWO, targets=["analytic_grad_of_mean"]),
                     "analytic_grad_of_mean")
    assert any_hint(other, r"twice the expected value"), other
    assert not any_hint(other, r"some shapes|divides by|the values are 6"), other


# -- ex06 predict: the caller's model left in eval mode, or eval() restored (a wrong value)

PREDICT_RESTORED_DOUBLED = """
def predict(model, x):
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(x) * 2
    model.train(was)
    return out
"""


def test_mode_named_only_where_the_mode_is_left_changed(grade):
    right = hints_of(grade("ex06", fresh_code("ex06", "predict_leaves_eval_mode"),
                           targets=["predict"]), "predict", visible=True)
    assert any_hint(right, r"in the mode it was given"), right
    other = hints_of(grade("ex06", PREDICT_RESTORED_DOUBLED, targets=["predict"]), "predict")
    assert not any_hint(other, r"mode"), other


# -- ex05 sgd_update_: .grad zeroed, or scaled in place on the way to a right update

UPDATE_SCALES_GRAD = """
def sgd_update_(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad.mul_(lr)
            p -= p.grad
"""


def test_zeroing_named_only_where_the_grad_is_zeroed(grade):
    right = hints_of(grade("ex05", fresh_code("ex05", "sgd_update_zeroes_grad"),
                           targets=["sgd_update_"]), "sgd_update_", visible=True)
    assert any_hint(right, r"Zeroing belongs to the loop"), right
    other = hints_of(grade("ex05", UPDATE_SCALES_GRAD, targets=["sgd_update_"]), "sgd_update_")
    assert any_hint(other, r"leave each p\.grad as it was given"), other
    assert not any_hint(other, r"[Zz]ero"), other


# -- ex06 train: the prediction flattened, or the target (the same losses): no side is claimed

TRAIN_TARGET_SQUEEZED = """
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    losses = []
    for _ in range(n_iter):
        optimizer.zero_grad()
        loss = loss_fn(model(X), Y.squeeze())
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""


def test_flattened_side_not_claimed(grade):
    for code in (fresh_code("ex06", "train_prediction_squeezed"), TRAIN_TARGET_SQUEEZED):
        hints = hints_of(grade("ex06", code, targets=["train"]), "train", visible=True)
        assert any_hint(hints, r"the prediction or the target was flattened"), hints
        assert not any_hint(hints, r"Keep Y of shape|target of shape \(N,\)|prediction of "
                                   r"shape \(N,\)"), hints


# -- ex05 fit: b.grad never zeroed, or no gradient zeroed (both part at step 2)

FIT_NEVER_ZEROED = """
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        loss.backward()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
"""


def test_one_grad_kept_only_where_the_other_is_zeroed(grade):
    right = hints_of(grade("ex05", fresh_code("ex05", "fit_b_grad_never_zeroed"),
                           targets=["fit"]), "fit", visible=True)
    assert any_hint(right, r"b\.grad is never zeroed, while w\.grad is"), right
    other = hints_of(grade("ex05", FIT_NEVER_ZEROED, targets=["fit"]), "fit")
    assert other and not any_hint(other, r"while [wb]\.grad is"), other


# -- ex04 train_quadratic: parameters made float64, or a float32 run's values rounded (both
#    return numbers float32 cannot hold)

QUADRATIC_ROUNDED = """
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            last = loss.item()
        losses.append(last)
    return (*(round(p.item(), 4) for p in params), losses)
"""


def test_float64_parameters_only_where_not_rounded(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "train_quadratic_params_float64"),
                           targets=["train_quadratic"]), "train_quadratic", visible=True)
    assert any_hint(right, r"w1, w2 and b have xs's dtype"), right
    other = hints_of(grade("ex04", QUADRATIC_ROUNDED, targets=["train_quadratic"]),
                     "train_quadratic")
    assert any_hint(other, r"rounded \(round\(v, 4\)"), other
    assert not any_hint(other, r"float64"), other
