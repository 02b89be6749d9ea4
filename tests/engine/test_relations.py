"""How a wrong value differs (grader/engine/compare/relations.py): each relation is told when
it holds exactly, and only where it is evidence; a coincidence between single numbers, or
values that merely differ, get no words."""
import numpy as np
import pytest

from grader.engine.compare.relations import relation

B = np.array([18.5, 10.5, 4.25, 1.5, 0.0, 1.25])
M = np.arange(1.0, 10.0).reshape(3, 3)
V = np.array([1.0, 2.0, 3.0, 5.0, 8.0])

HOLDS = [
    ("sign", -B, B, "opposite sign"),
    ("a whole factor", 3 * B, B, "the expected one × 3 (a constant factor)"),
    ("one over a whole factor", B / 4, B, "× 1/4"),
    ("a negative factor", -2 * B, B, "× −2"),
    ("any other factor", 0.535 * B, B, "× 0.535"),
    ("square root", np.sqrt(B), B, "square root"),
    ("square", B ** 2, B, "the square of"),
    ("offset", B + 0.5, B, "plus the same constant, 0.5 (an offset)"),
    ("negative offset", B - 2, B, "minus the same constant, 2"),
    ("transposed", M.T, M, "transposed"),
    ("rows in another order", M[[2, 0, 1]], M, "the expected rows, in another order"),
    ("reversed", V[::-1], V, "reverse order"),
    ("shifted later", np.r_[0.0, V[:-1]], V, "shifted one place later"),
    ("shifted earlier", np.r_[V[1:], 13.0], V, "shifted one place earlier"),
    ("permuted", np.array([5.0, 1.0, 8.0, 2.0, 3.0]), V, "the same values as expected, in another order"),
    ("one wrong value", np.array([1.0, 2.0, 3.5, 5.0, 8.0]), V, "only the value at index 2 is wrong"),
    ("the last value", np.array([1.0, 2.0, 3.0, 5.0, 9.0]), V, "index 4 (the last)"),
    ("negatives clamped", np.array([4.75, 0.75, 0.0, 0.0]), np.array([4.75, 0.75, -1.0, -2.0]),
     "expected negative and came back as 0"),
    ("one number: sign", np.array(-3.0), np.array(3.0), "the value has the opposite sign"),
    ("one number: × 2", np.array(6.0), np.array(3.0), "the value is the expected one × 2"),
    ("one number: half", np.array(1.5), np.array(3.0), "× 1/2"),
    ("one number: square root", np.array(0.935414), np.array(0.875), "square root"),
]


@pytest.mark.parametrize("got,expected,words", [c[1:] for c in HOLDS], ids=[c[0] for c in HOLDS])
def test_a_relation_that_holds_is_told(got, expected, words):
    said = relation(got, expected, 1e-5, 1e-8)
    assert said is not None and words in said, said


SILENT = [
    # between two single numbers a factor or an offset always exists: a coincidence
    ("one number: any factor", np.array(-6.0), np.array(2.0)),
    ("one number: a fifth", np.array(0.4), np.array(2.0)),
    ("one number: an offset", np.array(-1.58297), np.array(0.41703)),
    # 4 is both 2 × 2 and 2 squared: which one is not known
    ("one number: two relations", np.array(4.0), np.array(2.0)),
    ("values that merely differ", np.array([1.0, 7.0, -2.0, 4.0]), np.array([2.0, 3.0, 5.0, 1.0])),
    ("several wrong values", np.array([1.0, 2.0, 4.0, 6.0, 8.0]), V),
    ("all zeros expected", np.array([1.0, 2.0]), np.zeros(2)),
    ("not finite", np.array([np.nan, 1.0]), np.array([1.0, 2.0])),
    ("another shape", np.ones(3), np.ones(4)),
    # a factor between arrays needs two different values that relate by it
    ("one distinct value", np.array([3.0, 3.0, 0.0]), np.array([1.0, 1.0, 0.0])),
    # two values swapped: a reversed order as much as 1 - p (sigmoid's sign at ±1000)
    ("two values swapped", np.array([1.0, 0.0]), np.array([0.0, 1.0])),
    ("two values, rows swapped", np.array([[1.0, 0.0], [0.0, 1.0]]) [::-1],
     np.array([[1.0, 0.0], [0.0, 1.0]])),
]


@pytest.mark.parametrize("got,expected", [c[1:] for c in SILENT], ids=[c[0] for c in SILENT])
def test_no_relation_no_words(got, expected):
    assert relation(got, expected, 1e-5, 1e-8) is None


def test_a_function_applied_once_more_is_told_only_on_values_not_all_alike():
    """sigmoid (exp, tanh, log) of every expected value is told; not where the expected values
    are all alike, nor tanh of values so small that tanh leaves them as they are."""
    b = np.array([0.2, 0.4, 0.9])
    assert relation(1 / (1 + np.exp(-b)), b, 1e-5, 1e-8).startswith(
        "every value is sigmoid of the expected one")
    assert "exp of the expected" in relation(np.exp(b), b, 1e-5, 1e-8)
    same = np.full(3, 0.4)
    assert "sigmoid" not in (relation(1 / (1 + np.exp(-same)), same, 1e-5, 1e-8) or "")
    tiny = np.array([1e-4, 2e-4, 3e-4])
    assert "tanh" not in (relation(np.tanh(tiny) * 1.5, tiny, 1e-5, 1e-8) or "")
