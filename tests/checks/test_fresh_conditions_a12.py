"""The hints added for blind round 12's programs in ex01, ex02 and ex07 (tests/fresh), each
tried against a program with the same symptom for another reason, which must not get it:

  ex01 best_weight rounding the MSEs (a weight whose MSE is just above the least, where MSEs far
       apart are told apart): the first weight below the mean MSE is also such a weight on
       close MSEs, but is wrong where they are far apart, and is not named so
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
