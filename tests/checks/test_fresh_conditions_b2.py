"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex08 a file of one row that loses its row dimension: a loader that fixes the number of columns
       (it fails the file of two rows as well) is not told so
  ex10 a batch of one that loses its rows' dimension: an argmax over the whole tensor (one
       0-dim class for 20 rows too) is not told so
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex08 load_csv: a file of one row fails; read right with one row more, or not

NINE_COLUMNS = """
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32).reshape(-1, 9)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
"""


def test_one_row_only_where_two_rows_are_read_right(grade):
    right = hints_of(grade("ex08", fresh_code("ex08", "load_csv_without_ndmin"),
                           targets=["load_csv"]), "load_csv", visible=True)
    assert any_hint(right, r"file of one row is not read"), right
    result = grade("ex08", NINE_COLUMNS, targets=["load_csv"])
    assert failing(result, "load_csv")
    other = hints_of(result, "load_csv")
    assert not any_hint(other, r"one row"), other


# -- ex10 predict_classes: a 0-dim class for a batch of one; for 20 rows as well, or not

ARGMAX_OF_ALL = """
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmax()
"""


def test_batch_of_one_only_where_20_rows_keep_theirs(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "predict_classes_squeezed"),
                           targets=["predict_classes"]), "predict_classes", visible=True)
    assert any_hint(right, r"batch of one"), right
    result = grade("ex10", ARGMAX_OF_ALL, targets=["predict_classes"])
    assert failing(result, "predict_classes")
    other = hints_of(result, "predict_classes")
    assert not any_hint(other, r"batch of one"), other
