"""The hints added for blind round 13's fresh mistakes in ex03, ex05, ex08 and ex10, each tried
against a program with the same symptom for another reason, which must not get it:

  ex10 predict_classes with argmax() without dim (a 0-dim answer, the flattened logits' argmax):
       the first row's class alone is 0-dim too
  ex10 softmax with the max taken along another dim (each column sums to 1, the values differ):
       a sharper softmax (exp(2 (z - max))) sums to 1 along dim too
  ex03 analytic_grad_of_mean divided by len(x) (2 times on ones(2, 2), right on a 1-D x, 12
       times on x of shape (2, 3, 4)): divided by x.shape[-1] is 2 times and right there too,
       but 6 times on (2, 3, 4)
  ex08 DeepBinaryClassifier ignoring sizes (the default model's layers for (3, 5, 1)): a model
       that fixes only the first size (8, 5, 1) holds other layers too
  ex05 sgd_update_ with p.grad.mean() (every entry moved by lr times the mean gradient): a step
       by the first entry's gradient moves every entry by one amount too, and is said so
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


# -- ex03 analytic_grad_of_mean: divided by len(x), or by another dimension

LAST_DIM = """
def analytic_grad_of_mean(x):
    return 6 * (x + 2) / x.shape[-1]
"""
LEN_FOR_NUMEL = r"divided by len\(x\) = 2 .*x\.numel\(\) / len\(x\) times"


def test_len_for_numel_named_only_where_every_shape_shows_numel_over_len(grade):
    target = "analytic_grad_of_mean"
    right = hints_of(grade("ex03", fresh_code("ex03", "analytic_len_for_numel"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, LEN_FOR_NUMEL), right
    result = grade("ex03", LAST_DIM, targets=[target])
    assert failing(result, target)     # the same symptom: 2 times on ones(2, 2), right on 1-D
    other = hints_of(result, target)
    assert not any_hint(other, r"divided by len\(x\)"), other


# -- ex08 DeepBinaryClassifier: the sizes argument ignored, or used in part

FIRST_SIZE_FIXED = """
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        sizes = (8,) + tuple(sizes[1:])
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return x
"""
SIZES_IGNORED = r"sizes argument is not used"


def test_sizes_ignored_named_only_where_other_sizes_build_the_default_layers(grade):
    target = "DeepBinaryClassifier"
    right = hints_of(grade("ex08", fresh_code("ex08", "classifier_ignores_sizes"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, SIZES_IGNORED), right
    result = grade("ex08", FIRST_SIZE_FIXED, targets=[target])
    failed = failing(result, target)
    assert failed     # the same symptom: DeepBinaryClassifier((3, 5, 1)) holds other layers
    other = hints_of(result, target)
    assert not any_hint(other, SIZES_IGNORED), other
    assert not any("attributes of self" in c.message for c in failed), [c.message for c in failed]


# -- ex05 sgd_update_: the mean gradient broadcast, or another one number for every entry

FIRST_GRAD = """
def sgd_update_(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad.reshape(-1)[0]
"""
MEAN = r"lr times the mean of its gradient"


def test_mean_gradient_named_only_where_the_step_is_the_mean(grade):
    target = "sgd_update_"
    right = hints_of(grade("ex05", fresh_code("ex05", "sgd_update_grad_mean"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, MEAN), right
    result = grade("ex05", FIRST_GRAD, targets=[target])
    failed = failing(result, target)
    assert failed     # the same symptom: every entry of w moved by one same amount
    other = hints_of(result, target)
    assert not any_hint(other, MEAN), other
    assert any("moved by the same amount" in c.message for c in failed if c.visible)
