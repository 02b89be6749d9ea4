"""The hints added or changed for the fresh mistakes of tests/fresh in ex01-ex06, continued from
tests/checks/test_fresh_conditions_e.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex06 forward with the weight not transposed (x @ W + b: an error for D = 3, right for one
       feature): nn.Linear's arguments swapped (the same symptom, a layout error) and x made one
       column are not told so; and neither of those two, nor the weight not transposed, is told
       'x is made one column' unless the error shows the N * D values in one column
  ex01 loss leaving torch (np.square of a tensor: an error where x requires grad): a loss that
       refuses float64 tensors (an error there too, and on the same tensor without grad) is not
       told so
  ex04 backward_steps with the sign of r lost (2 * abs(r): right where r > 0, flipped where
       r < 0), not told 'the sign is flipped' where one input's r has one sign only: a sign
       flipped on inputs of both signs is still told so, and not told the sign of r is lost
  ex02 sample_gradient with the sign of x*w - y lost (abs): a gradient of flipped sign on every
       sample is still told 'the sign is flipped', not that the sign of r is lost
  ex02 gradient_descent dividing the mean gradient by N again (1/3 on the course's 3 samples,
       1/4 on 4): an update divided by 3 whatever N is, 1/3 on the course data too, is not
  ex05 init_params drawn by torch.randn: rand's draws shifted below 0 are not named randn (only
       their values outside [0, 1) are said), rand's draws of another seed get neither
  ex03 analytic_grad_of_mean divided by x.shape[0] * x.shape[-1] (right for a 2-D x): one
       divided by its first two dimensions, also right for a 2-D x and wrong for 3-D, is not
  ex05 make_data not applying seed 0 (`if seed:`): one that draws seed 1's values for seed 0
       is not told so; the same for init_params, seen in fit's course run of seed 0
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of


# -- ex06 forward: the weight as laid out, x made one column, the arguments swapped

def test_untransposed_weight_named_only_where_the_square_model_shows_it(grade):
    right = hints_of(grade("ex06", fresh_code("ex06", "forward_weight_not_transposed"),
                           targets=["LinearRegression"]), "LinearRegression", visible=True)
    assert any_hint(right, r"x @ W \+ b"), right
    assert not any_hint(right, r"one column"), right
    for name in ("forward_one_column", "linear_regression_dims_swapped"):
        other = hints_of(grade("ex06", fresh_code("ex06", name), targets=["LinearRegression"]),
                         "LinearRegression")
        assert not any_hint(other, r"x @ W \+ b"), (name, other)


def test_one_column_not_told_for_swapped_arguments(grade):
    other = hints_of(grade("ex06", fresh_code("ex06", "linear_regression_dims_swapped"),
                           targets=["LinearRegression"]), "LinearRegression")
    assert not any_hint(other, r"one column"), other


# -- ex01 loss: right without requires_grad, an error with it

FLOAT64_REFUSED = """
def loss(x, y, w):
    if isinstance(x, torch.Tensor) and x.dtype == torch.float64:
        raise TypeError("float32 tensors only")
    return (forward(x, w) - y) ** 2
"""


def test_leaving_torch_named_only_where_the_detached_call_is_right(grade):
    right = hints_of(grade("ex01", fresh_code("ex01", "loss_np_square"), targets=["loss"]),
                     "loss", visible=True)
    assert any_hint(right, r"leaves torch"), right
    other = grade("ex01", FLOAT64_REFUSED, targets=["loss"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "loss"), r"leaves torch|requires grad")


# -- ex04 backward_steps: the sign of r lost (2|r|), or flipped (2 * (y - y_hat))

FLIPPED = """
def backward_steps(x, y, w):
    y_hat = x * w
    r = y_hat - y
    dloss_dr = -2 * r
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(r ** 2),
            "dloss_dr": float(dloss_dr), "dr_dyhat": 1.0, "dyhat_dw": float(x),
            "dloss_dw": float(dloss_dr * x)}
"""


def test_sign_lost_named_only_where_r_of_the_other_sign_is_right(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "backward_steps_abs_r"),
                           targets=["backward_steps"]), "backward_steps")
    assert any_hint(right, r"sign of r is lost"), right
    assert not any_hint(right, r"the sign is flipped"), right
    other = hints_of(grade("ex04", FLIPPED, targets=["backward_steps"]), "backward_steps",
                     visible=True)
    assert any_hint(other, r"the sign is flipped"), other
    assert not any_hint(other, r"sign of r is lost"), other


# -- ex02 sample_gradient: the sign of x*w - y lost, or flipped

GRADIENT_FLIPPED = """
def sample_gradient(x, y, w):
    return 2 * x * (y - x * w)
"""


def test_sign_of_r_lost_named_only_where_r_of_each_sign_shows_it(grade):
    right = hints_of(grade("ex02", fresh_code("ex02", "sample_gradient_abs_error"),
                           targets=["sample_gradient"]), "sample_gradient")
    assert any_hint(right, r"loses the sign of r"), right
    assert not any_hint(right, r"the sign is flipped"), right
    other = hints_of(grade("ex02", GRADIENT_FLIPPED, targets=["sample_gradient"]),
                     "sample_gradient")
    assert any_hint(other, r"the sign is flipped"), other
    assert not any_hint(other, r"loses the sign of r"), other


# -- ex02 gradient_descent: every update 1/N of the right one, on two N

THIRD_ALWAYS = """
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w) / 3
    return w, costs
"""


def test_mean_twice_named_only_where_both_sizes_show_their_n(grade):
    right = hints_of(grade("ex02", fresh_code("ex02", "gradient_descent_mean_twice"),
                           targets=["gradient_descent"]), "gradient_descent", visible=True)
    assert any_hint(right, r"division by N is made twice"), right
    other = grade("ex02", THIRD_ALWAYS, targets=["gradient_descent"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "gradient_descent"), r"division by N|1/N")


# -- ex05 init_params: torch.randn's draws, values outside [0, 1)

CENTRED = """
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    w = (torch.rand(1, generator=g) - 0.9).to(device).requires_grad_()
    b = (torch.rand(1, generator=g) - 0.9).to(device).requires_grad_()
    return w, b
"""
OTHER_SEED = """
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed + 1)
    w = torch.rand(1, generator=g).to(device).requires_grad_()
    b = torch.rand(1, generator=g).to(device).requires_grad_()
    return w, b
"""


def test_randn_named_only_for_its_draws_and_the_range_only_outside_it(grade):
    right = hints_of(grade("ex05", fresh_code("ex05", "init_params_randn"),
                           targets=["init_params"]), "init_params", visible=True)
    assert any_hint(right, r"torch\.randn's draws"), right
    shifted = hints_of(grade("ex05", CENTRED, targets=["init_params"]), "init_params")
    assert not any_hint(shifted, r"randn"), shifted
    assert any_hint(shifted, r"outside \[0, 1\)"), shifted
    other = grade("ex05", OTHER_SEED, targets=["init_params"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "init_params"), r"randn|outside \[0, 1\)")


# -- ex03 analytic_grad_of_mean: divided by the first and last dimensions

FIRST_TWO_DIMS = """
def analytic_grad_of_mean(x):
    n = x.shape[0] * x.shape[1] if x.dim() > 1 else x.shape[0]
    return 6 * (x + 2) / n
"""


def test_outer_dims_named_only_for_their_own_factor(grade):
    right = hints_of(grade("ex03", fresh_code("ex03", "analytic_grad_outer_dims"),
                           targets=["analytic_grad_of_mean"]), "analytic_grad_of_mean",
                     visible=True)
    assert any_hint(right, r"x\.shape\[0\] \* x\.shape\[-1\]"), right
    other = grade("ex03", FIRST_TWO_DIMS, targets=["analytic_grad_of_mean"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "analytic_grad_of_mean"), r"x\.shape\[-1\]")


# -- ex05 make_data: seed 0 not applied

SEED_OR_ONE = """
def make_data(n, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed or 1)
    x = torch.rand(n, generator=g).to(device)
    return x, 3 * x + 0.8
"""


def test_seed_zero_skipped_named_only_for_an_unseeded_generator(grade):
    right = hints_of(grade("ex05", fresh_code("ex05", "make_data_if_seed"),
                           targets=["make_data"]), "make_data", visible=True)
    assert any_hint(right, r"seed 0 is not applied"), right
    other = grade("ex05", SEED_OR_ONE, targets=["make_data"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "make_data"), r"seed 0 is not applied")


INIT_SEED_OR_ONE = """
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed or 1)
    w = torch.rand(1, generator=g).to(device).requires_grad_()
    b = torch.rand(1, generator=g).to(device).requires_grad_()
    return w, b
"""


def test_init_seed_zero_skipped_named_only_for_an_unseeded_generator(grade):
    right = hints_of(grade("ex05", fresh_code("ex05", "init_params_if_seed"), targets=["fit"]),
                     "fit", visible=True)
    assert any_hint(right, r"seed 0 is not applied"), right
    other = grade("ex05", INIT_SEED_OR_ONE, targets=["fit"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "fit"), r"seed 0 is not applied")
