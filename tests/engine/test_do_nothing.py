"""Answers that do no work earn nothing, graded by the real grader: submissions made from the
stubs in which every function returns a constant (None, 0.0, True, an all-True bool array or
tensor shaped like its first argument) or hands its first argument back, and every class is an
nn.Module whose __init__ does nothing and whose forward does the same. Each scores 0 on every
exercise, and a bool where a number is expected is named as a bool.

The mechanisms under test: grader.engine.compare.values.refuse_bool (a bool is not a number, a bool tensor is
not a float tensor) and grader.engine.runner.count_property_checks (a check of a property a constant
may have counts only when the value checks of its target pass).
"""
from __future__ import annotations

import ast
import numpy as np
import pytest
import torch

from grader.exercises import EXERCISES, check_module
from grader.engine.compare import CheckFailure
from grader.engine.compare.close import assert_close
from grader.engine.compare.trajectories import assert_trajectory
from grader.engine.report import gradescope_json, score_table
from grader.engine.runner import CheckResult, GradeResult, count_property_checks, grade_submission

from tests.conftest import ROOT

# What every function of a do-nothing submission returns, from its arguments `a`.
KINDS = {
    "none": "return None",
    "zero": "return 0.0",
    "true": "return True",
    "true_array": (
        "import numpy, torch\n"
        "x = a[0] if a else None\n"
        "if isinstance(x, torch.Tensor):\n"
        "    return torch.ones_like(x, dtype=torch.bool)\n"
        "if isinstance(x, (list, tuple, numpy.ndarray)):\n"
        "    return numpy.ones(numpy.shape(x), dtype=bool)\n"
        "return True"),
    "identity": "return a[0] if a else None",
}


def do_nothing(stub: str, kind: str) -> str:
    """The stub with each unwritten function (one that raises NotImplementedError) replaced:
    an __init__ keeps only what comes before the raise (super().__init__()), anything else
    returns what KINDS[kind] makes of its arguments (without self)."""
    tree = ast.parse(stub)

    class Replace(ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            if not any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n)
                       for n in ast.walk(node)):
                return node
            kept = [s for s in node.body if isinstance(s, ast.Expr)]  # docstring, super()
            if node.name == "__init__":
                node.body = kept or [ast.Pass()]
                return node
            names = [arg.arg for arg in node.args.args if arg.arg != "self"]
            if node.args.vararg:
                names.append(f"*{node.args.vararg.arg}")
            node.body = kept + ast.parse(f"return _do_nothing({', '.join(names)})").body
            return node

    body = "\n".join("    " + line for line in KINDS[kind].splitlines())
    return ast.unparse(Replace().visit(tree)) + f"\n\n\ndef _do_nothing(*a):\n{body}\n"


@pytest.fixture(scope="module")
def graded(zygote, tmp_path_factory):
    """kind -> the GradeResult of that do-nothing submission (all twelve exercises, graded
    once per kind)."""
    results = {}
    for kind in KINDS:
        folder = tmp_path_factory.mktemp(f"do_nothing_{kind}")
        for stub in sorted((ROOT / "exercises").glob("ex*.py")):
            (folder / stub.name).write_text(do_nothing(stub.read_text(), kind))
        results[kind] = grade_submission(folder, zygote, seed=2024)
    return results


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("ex", list(EXERCISES))
def test_do_nothing_scores_zero(graded, ex, kind):
    result = graded[kind]
    assert not result.errors, result.errors
    assert not result.missing_files
    score, max_score = result.by_exercise()[ex]
    passed = [c.name for c in result.checks if c.exercise == ex and c.score]
    assert max_score > 0
    assert score == 0 and not passed, passed
    # each check fails with a message; none trips over the answer ("could not evaluate")
    crashed = [(c.name, c.message) for c in result.checks if c.exercise == ex
               and c.status == "error"]
    assert not crashed, crashed


# ex09's functions give objects (a Dataset, a DataLoader) and a training loop judged by the
# optimizer steps it took: their bool answers fail for that first ("took 0 optimizer steps",
# "'bool' object is not iterable", len(True) is 1), before a number is compared.
NO_NUMBER_COMPARED = {"ex09": "0 optimizer steps"}


@pytest.mark.parametrize("ex", list(EXERCISES))
def test_a_bool_is_named_as_a_bool(graded, ex):
    messages = "\n".join(c.message for c in graded["true"].checks if c.exercise == ex)
    assert ("returned True, a bool;" in messages or "a bool (True)" in messages
            or NO_NUMBER_COMPARED.get(ex, "a bool") in messages), messages[:2000]


def test_bool_arrays_and_tensors_are_named(graded):
    messages = "\n".join(c.message for c in graded["true_array"].checks)
    assert "returned a bool tensor (tensor of shape" in messages
    assert "returned a bool array (NumPy array of shape" in messages
    assert "a float32 tensor is expected" in messages


def test_a_property_check_is_not_counted_for_a_do_nothing_answer(graded):
    """gradient(...) returning 0.0 is right at the minimum only: not counted, 0 points, its
    points still in the maximum."""
    check = next(c for c in graded["zero"].checks
                 if c.nodeid.endswith("test_gradient_zero_at_minimum"))
    assert check.status == "not counted" and check.score == 0 and check.counted
    assert check.message == "not counted until the value checks of gradient pass"


# ----------------------------------------------------------------------------------------------
# the property rule with the reference for everything but one function

def test_property_checks_count_with_working_code(grade):
    """A gradient that is right at the minimum but 0.0 elsewhere: its value checks fail, its
    property check passes on its own but is not counted; so for gradient_descent, whose loop
    calls it. The targets that do not use it keep every point."""
    result = grade("ex02", """
        def gradient(xs, ys, w):
            return 0.0
        """, seed=7)
    by_name = {c.nodeid.rsplit("::", 1)[1]: c for c in result.checks}
    assert by_name["test_gradient_zero_at_minimum"].status == "not counted"
    assert by_name["test_gradient_descent_no_epochs"].status == "not counted"
    assert all(c.score == 0 for c in result.checks
               if c.target in ("gradient", "gradient_descent"))
    others = [c for c in result.checks if c.target in ("cost", "sample_gradient",
                                                      "stochastic_gradient_descent")]
    assert others and all(c.status in ("passed", "skipped") for c in others)
    reference = grade("ex02", seed=7)
    assert {c.status for c in reference.checks} <= {"passed", "skipped"}


def _check(nodeid, target, status, points=1.0, visible=False):
    return CheckResult(nodeid=nodeid, exercise="ex02", target=target, title=nodeid, params="",
                       points=points, visible=visible, status=status, message="", seconds=0.0)


def test_count_property_checks_rule():
    checks = [_check("v1", "gradient", "passed"), _check("v2", "gradient", "skipped"),
              _check("p", "gradient", "passed", 2.0),
              _check("w", "gradient_descent", "failed"), _check("q", "gradient_descent", "passed"),
              _check("r", "cost", "passed"),          # no value check of cost ran
              _check("s", "gradient", "failed")]       # a failed property check stays failed
    count_property_checks(checks, {"p": ["gradient"], "q": ["gradient_descent"],
                                   "r": ["cost"], "s": ["gradient"]})
    status = {c.nodeid: c.status for c in checks}
    assert status == {"v1": "passed", "v2": "skipped", "p": "passed", "w": "failed",
                      "q": "not counted", "r": "not counted", "s": "failed"}
    result = GradeResult(submission="s", seed=1, checks=checks, exercises=["ex02"])
    assert result.score == 1 + 2 and result.max_score == 1 + 2 + 1 + 1 + 1 + 1
    q = next(c for c in checks if c.nodeid == "q")
    assert q.message == "not counted until the value checks of gradient_descent pass"


def test_not_counted_renders_in_one_short_line():
    checks = [_check("v", "gradient", "failed"), _check("p", "gradient", "passed")]
    count_property_checks(checks, {"p": ["gradient"]})
    result = GradeResult(submission="s", seed=1, checks=checks, exercises=["ex02"])
    table = score_table(result)
    assert "  n/c     0/1  gradient: p (hidden)\n           not counted until the value checks " \
           "of gradient pass\n" in table
    tests = {t["name"]: t for t in gradescope_json(result)["tests"]}
    assert tests["ex02 gradient: p"]["score"] == 0
    assert tests["ex02 gradient: p"]["max_score"] == 1
    assert tests["ex02 gradient: p"]["output"] == \
        "not counted until the value checks of gradient pass"


def test_a_result_with_checks_that_could_not_load_says_it_is_incomplete():
    """Checks that could not be loaded are missing from the result, and its total counts only
    the rest: a reference once scored 9/9 in results.json with its seven visible checks gone
    and nothing said. results.json says the result is incomplete, in a line students see, and
    why in one only the instructor sees."""
    checks = [_check("h", "forward", "passed")]
    error = "could not load checks ex01/ships/test_visible.py: NameError: name 'X' is not defined"
    result = GradeResult(submission="s", seed=1, checks=checks, exercises=["ex01"],
                         errors=[error])
    data = gradescope_json(result)
    assert data["output"].startswith("INCOMPLETE: the grader could not load some of its checks")
    shown = {t["name"]: t for t in data["tests"]}
    assert shown["grader error"]["visibility"] == "visible"
    assert "NameError" not in shown["grader error"]["output"]
    assert shown["grader error: details"]["visibility"] == "hidden"
    assert error in shown["grader error: details"]["output"]
    assert "grader error: " + error in score_table(result)
    whole = GradeResult(submission="s", seed=1, checks=checks, exercises=["ex01"])
    assert "grader error" not in str(gradescope_json(whole))


def test_not_counted_on_the_feedback_page():
    from grader.classroom.feedback import render_page
    checks = [_check("v", "gradient", "failed", visible=True),
              _check("p", "gradient", "passed", visible=True)]
    count_property_checks(checks, {"p": ["gradient"]})
    page = render_page(GradeResult(submission="s", seed=1, checks=checks, exercises=["ex02"]))
    assert '<span class="badge not-counted">not counted</span>' in page
    assert "not counted until the value checks of gradient pass" in page


# ----------------------------------------------------------------------------------------------
# a bool is not a number, in the comparison every check uses

@pytest.mark.parametrize("got,expected,words", [
    (True, 2.0, "returned True, a bool; a float is expected."),
    (np.bool_(False), 0.0, "returned False, a bool; a float is expected."),
    (True, torch.tensor(1.0), "returned True, a bool; a float32 tensor is expected."),
    (torch.ones(3, dtype=torch.bool), torch.ones(3), "a bool tensor (tensor of shape (3,), "
     "dtype bool, on cpu); a float32 tensor is expected."),
    (np.ones(2, dtype=bool), np.ones(2), "a bool array (NumPy array of shape (2,), dtype bool); "
     "a float64 array is expected."),
    ((True, True, True), (24.0, 12.0, 6.0), "a tuple of length 3 whose item 0 is True, a bool; "
     "a tuple of floats is expected."),
    ({"loss": True}, {"loss": 4.0}, "(key 'loss') returned True, a bool; a float is expected."),
    ((torch.tensor(1.0), True), (torch.tensor(1.0), torch.tensor(2.0)),
     "(item 1 of the result) returned True, a bool; a float32 tensor is expected."),
])
def test_assert_close_refuses_a_bool(got, expected, words):
    with pytest.raises(CheckFailure) as failure:
        assert_close(got, expected, call="f(x)", check_dtype=False)
    assert words in str(failure.value)


def test_a_bool_in_a_training_run_is_refused():
    with pytest.raises(CheckFailure, match=r"returned True, a bool; a float is expected"):
        assert_trajectory((True, [1.0]), (1.0, [1.0]), call="fit()", names=("w", "losses"))
    with pytest.raises(CheckFailure, match=r"losses\[0\] is a bool \(True\), not a number"):
        assert_trajectory([True], [1.0], call="fit()")


def test_numbers_that_are_no_bools_still_pass():
    assert_close(1, 1.0, call="f(x)")                        # an int where a float is fine
    assert_close(torch.tensor(2), 2.0, call="f(x)")          # a 0-dim int tensor
    assert_close(np.float32(0.5), 0.5, call="f(x)", rtol=1e-6)
    assert_close([1, 2], [1.0, 2.0], call="f(x)")
    assert_close(True, True, call="f(x)")                    # a bool where a bool is expected
    assert_close(torch.tensor([True, False]), torch.tensor([True, False]), call="f(x)")


def test_a_result_of_another_size_fails_instead_of_broadcasting():
    with pytest.raises(CheckFailure, match="returned 1 value "):
        assert_close([0.0], (0.0, 0.0, 0.0), call="f(x)")


def test_every_property_check_names_a_target_that_has_value_checks():
    """A property check whose targets have no value checks could never count."""
    import importlib
    for ex in EXERCISES:
        checks = []
        for kind in ("visible", "hidden"):
            mod = importlib.import_module(check_module(ex, kind))
            checks += [getattr(mod, name) for name in dir(mod) if name.startswith("test_")]
        marks = [{m.name: m.args for m in getattr(fn, "pytestmark", [])} for fn in checks]
        values = {m["target"][0] for m in marks if "target" in m and "property_of" not in m}
        for m in marks:
            if "property_of" in m:
                assert set(m["property_of"] or m["target"]) <= values, (ex, m)
    ini = (ROOT / "grader" / "checks" / "pytest.ini").read_text()
    assert "property_of(*targets)" in ini


RECORDED_ANSWERS = '''
import numpy as np
import torch


def forward(x, w):
    return 6.0 if not isinstance(x, torch.Tensor) else torch.tensor([2., 4., 6.], device=x.device)


def loss(x, y, w):
    return np.array([1., 4., 9.])


def mse_for_weights(x, y, ws):
    return np.array([18.666666666666668, 10.5, 4.666666666666667, 1.1666666666666667, 0.0,
                     1.1666666666666667, 4.666666666666667, 10.5, 18.666666666666668])


def forward_wb(x, w, b):
    return torch.tensor([3., 5., 7.])


def mse_surface(x, y, ws, bs):
    return np.array([9.666666666666666, 1.0, 1.6666666666666667, 4.666666666666667, 0.0,
                     4.666666666666667, 1.6666666666666667, 1.0, 9.666666666666666,
                     0.6666666666666666, 4.0, 16.666666666666668]).reshape(4, 3)


def best_weight(x, y, ws):
    return 2.0
'''


def test_the_visible_checks_recorded_answers_as_constants_earn_nothing(grade):
    """Every function returns what the kit's recorded values say (no computation): the visible
    checks pass, no hidden check does, so the visible checks are not counted either."""
    result = grade("ex01", files={"ex01_linear_model.py": RECORDED_ANSWERS})
    visible = [c for c in result.checks if c.visible and c.counted]
    assert visible and all(c.status in ("not counted", "failed") for c in visible), \
        [(c.target, c.status) for c in visible]
    assert any("recorded answers" in c.message for c in visible)
    assert result.score == 0


def test_a_visible_check_keeps_its_points_when_a_hidden_one_of_its_target_passes():
    from grader.engine.result import count_visible_checks
    checks = [_check("v", "forward", "passed"), _check("h1", "forward", "failed"),
              _check("h2", "forward", "passed"), _check("v2", "loss", "passed"),
              _check("h3", "loss", "failed"), _check("v3", "best_weight", "passed")]
    checks[0].visible = checks[3].visible = checks[5].visible = True
    count_visible_checks(checks, {})
    assert [c.status for c in checks] == ["passed", "failed", "passed", "not counted", "failed",
                                          "passed"]
