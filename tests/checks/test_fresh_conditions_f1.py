"""The hints added for blind round 13's fresh mistakes in ex03, ex05, ex08 and ex10, each tried
against a program with the same symptom for another reason, which must not get it:

  ex10 predict_classes with argmax() without dim (a 0-dim answer, the flattened logits' argmax):
       the first row's class alone is 0-dim too
  ex10 softmax with the max taken along another dim (each column sums to 1, the values differ):
       a sharper softmax (exp(2 (z - max))) sums to 1 along dim too
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex10 predict_classes: the flattened argmax, or another 0-dim answer

FIRST_ROW_ONLY = """
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmax(dim=1)[0]
"""
ARGMAX_FLAT = r"argmax\(\) without dim"


def test_flat_argmax_named_only_where_the_answer_is_the_flat_argmax(grade):
    target = "predict_classes"
    right = hints_of(grade("ex10", fresh_code("ex10", "predict_classes_argmax_no_dim"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, ARGMAX_FLAT), right
    result = grade("ex10", FIRST_ROW_ONLY, targets=[target])
    assert failing(result, target)     # the same symptom: a 0-dim answer where (N,) is wanted
    other = hints_of(result, target)
    assert not any_hint(other, ARGMAX_FLAT), other


# -- ex10 softmax: the max along another dim, or another softmax that sums to 1 along dim

SHARPER = """
def softmax(z, dim=-1):
    e = (2 * (z - z.amax(dim=dim, keepdim=True))).exp()
    return e / e.sum(dim=dim, keepdim=True)
"""
SHIFTED = r"max subtracted was taken along dim="


def test_max_along_another_dim_named_only_where_the_values_show_it(grade):
    target = "softmax"
    right = hints_of(grade("ex10", fresh_code("ex10", "softmax_max_along_last_dim"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, SHIFTED), right
    result = grade("ex10", SHARPER, targets=[target])
    assert failing(result, target)     # the same symptom: sums to 1 along dim, values differ
    other = hints_of(result, target)
    assert not any_hint(other, SHIFTED), other
