"""The hints added for blind round 12's programs in ex01, ex02 and ex07 (tests/fresh), each
tried against a program with the same symptom for another reason, which must not get it:

  ex01 best_weight rounding the MSEs (a weight whose MSE is just above the least, where MSEs far
       apart are told apart): the first weight below the mean MSE is also such a weight on
       close MSEs, but is wrong where they are far apart, and is not named so
  ex01 mse_surface with y on the weights' axis (every sample against y[j]): a surface of errors
       against the mean target is as wrong, and is not named so
  ex02 cost and gradient of float32 tensors computed in float32 (the float32 arithmetic's
       value): a cost or gradient rounded to 7 decimals is off as little, and is not named so
  ex02 sample_gradient with the parentheses lost (2*x*x*w - y, on two inputs): 2*x*(x*w + y)
       is as wrong, and is not named so
  ex02 stochastic_gradient_descent read epoch by epoch as updates on distinct samples (one
       never used, or every one in another order): updates 1.5 times too big, or every sample
       visited twice an epoch, part from the reference run as early, and are not named so
  ex02 stochastic_gradient_descent's losses kept between calls (the count the calls' counts
       added up, the list beginning with the call before's): one loss per sample recorded for
       tensors gives a wrong count too, and is not named so
  ex07 bce_loss replacing only the -inf logs by -100: logs clamped at -103.5 leave log(1e-45)
       as it is too, and are not named so
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex01 best_weight: MSEs not told apart where they are close, or another choice

BELOW_MEAN = """
def best_weight(x_data, y_data, weights):
    mse = mse_for_weights(x_data, y_data, weights)
    return float(_as_array(weights)[int(np.flatnonzero(mse < mse.mean())[0])])
"""
CLOSE = r"not told apart"


def test_close_mses_named_only_where_far_ones_are_told_apart(grade):
    right = hints_of(grade("ex01", fresh_code("ex01", "best_weight_rounded_mse"),
                           targets=["best_weight"]), "best_weight", visible=True)
    assert any_hint(right, CLOSE), right
    result = grade("ex01", BELOW_MEAN, targets=["best_weight"])
    assert failing(result, "best_weight")     # the same symptom: another weight than the best
    other = hints_of(result, "best_weight")
    assert not any_hint(other, CLOSE), other


# -- ex01 mse_surface: y on the weights' axis, or another target

SURFACE_MEAN_TARGET = """
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = forward_wb(x[:, None, None], W[None], B[None])
    return ((pred - y.mean()) ** 2).mean(axis=0).astype(np.float64)
"""
Y_ON_WEIGHTS = r"lines up with the weights' axis"


def test_y_on_weights_axis_named_only_for_that_broadcast(grade):
    right = hints_of(grade("ex01", fresh_code("ex01", "mse_surface_y_on_weights_axis"),
                           targets=["mse_surface"]), "mse_surface", visible=True)
    assert any_hint(right, Y_ON_WEIGHTS), right
    result = grade("ex01", SURFACE_MEAN_TARGET, targets=["mse_surface"])
    assert failing(result, "mse_surface")     # the same symptom: the surface's values differ
    other = hints_of(result, "mse_surface")
    assert not any_hint(other, Y_ON_WEIGHTS), other


# -- ex02 cost: float32 tensors computed in float32, or a cost off in its last digits otherwise

COST_ROUNDED = """
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return round(float(np.mean((x * w - y) ** 2)), 7)
"""
GRADIENT_ROUNDED = """
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return round(float(np.mean(2 * x * (x * w - y))), 7)
"""
IN_FLOAT32 = r"(cost|gradient) computed in float32"


def test_in_float32_named_only_for_float32_arithmetic(grade):
    for target, name, other_code in (
            ("cost", "cost_float32_tensors_in_float32", COST_ROUNDED),
            ("gradient", "gradient_float32_tensors_in_float32", GRADIENT_ROUNDED)):
        right = hints_of(grade("ex02", fresh_code("ex02", name), targets=[target]), target,
                         visible=True)
        assert any_hint(right, IN_FLOAT32), right
        result = grade("ex02", other_code, targets=[target])
        assert failing(result, target)     # the same symptom: float32 tensors' value is off
        other = hints_of(result, target)
        assert not any_hint(other, IN_FLOAT32), other


# -- ex02 sample_gradient: parentheses lost, or another slip

SAMPLE_PLUS_Y = """
def sample_gradient(x, y, w):
    return 2 * x * (x * w + y)
"""
PARENTHESES = r"parentheses around x\*w - y are lost"


def test_parentheses_named_only_for_their_forms(grade):
    right = hints_of(grade("ex02", fresh_code("ex02", "sample_gradient_precedence"),
                           targets=["sample_gradient"]), "sample_gradient", visible=True)
    assert any_hint(right, PARENTHESES), right
    result = grade("ex02", SAMPLE_PLUS_Y, targets=["sample_gradient"])
    assert failing(result, "sample_gradient")     # the same symptom: another gradient
    other = hints_of(result, "sample_gradient")
    assert not any_hint(other, PARENTHESES), other


# -- ex02 stochastic_gradient_descent: which samples each epoch used, or another slip

SGD_LR_TOO_BIG = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - 1.5 * lr * sample_gradient(xi, yi, w)
            loss = (xi * w - yi) ** 2
        losses.append(loss)
    return w, losses
"""
SGD_TWICE = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for xi, yi in 2 * list(zip(x.tolist(), y.tolist())):
            w = w - lr * sample_gradient(xi, yi, w)
            loss = (xi * w - yi) ** 2
        losses.append(loss)
    return w, losses
"""
SAMPLES = r"never used|another order"


def test_samples_of_each_epoch_named_only_where_they_explain_the_run(grade):
    target = "stochastic_gradient_descent"
    for name in ("sgd_shuffled_global_random", "sgd_skips_first_sample"):
        right = hints_of(grade("ex02", fresh_code("ex02", name), targets=[target]), target,
                         visible=True)
        assert any_hint(right, SAMPLES), (name, right)
    for code in (SGD_LR_TOO_BIG, SGD_TWICE):
        result = grade("ex02", code, targets=[target])
        assert failing(result, target)     # the same symptom: the losses part at step 0
        other = hints_of(result, target)
        assert not any_hint(other, SAMPLES), other


# -- ex02 stochastic_gradient_descent: the losses kept between calls, or another count

SGD_TENSORS_PER_SAMPLE = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * sample_gradient(xi, yi, w)
            loss = (xi * w - yi) ** 2
            if isinstance(xs, torch.Tensor):
                losses.append(loss)
        if not isinstance(xs, torch.Tensor):
            losses.append(loss)
    return w, losses
"""
KEPT = r"earlier call"


def test_losses_kept_named_only_where_the_counts_add_up(grade):
    target = "stochastic_gradient_descent"
    right = hints_of(grade("ex02", fresh_code("ex02", "sgd_losses_at_module_level"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, KEPT), right
    result = grade("ex02", SGD_TENSORS_PER_SAMPLE, targets=[target])
    assert failing(result, target)     # the same symptom: another count of losses for tensors
    other = hints_of(result, target)
    assert not any_hint(other, KEPT), other


# -- ex07 bce_loss: only the -inf logs made -100, or every log clamped at another bound

CLAMPED_LOWER = """
def bce_loss(p, y):
    log_p = torch.clamp(torch.log(p), min=-103.5)
    log_1mp = torch.clamp(torch.log(1 - p), min=-103.5)
    return -(y * log_p + (1 - y) * log_1mp).mean()
"""
ONLY_INFINITE = r"only the logs that are -inf"


def test_only_infinite_logs_named_only_where_they_alone_became_minus_100(grade):
    right = hints_of(grade("ex07", fresh_code("ex07", "bce_loss_nan_to_num"),
                           targets=["bce_loss"]), "bce_loss", visible=True)
    assert any_hint(right, ONLY_INFINITE), right
    result = grade("ex07", CLAMPED_LOWER, targets=["bce_loss"])
    assert failing(result, "bce_loss")     # the same symptom: log(1e-45) left below -100
    other = hints_of(result, "bce_loss")
    assert not any_hint(other, ONLY_INFINITE), other
