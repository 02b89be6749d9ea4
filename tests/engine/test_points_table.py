"""One point table per exercise, whatever machine grades it (issue 21, item 2): a check
function's points are shared by the variants that ran, so the maximum is the same where CUDA's
variants run and where they are skipped, and equals what the notebooks' check cells carry."""
from grader.engine.result import CheckResult, GradeResult, share_points
from grader.exercises import EXERCISES
from grader.instructor.build import check_points


def _variant(name, params, points, status):
    return CheckResult(nodeid=f"grader/checks/ex01/private/test_hidden.py::{name}[{params}]",
                       exercise="ex01", target="forward", title=name, params=params,
                       points=points, visible=False, status=status, message="", seconds=0.0)


def _run(cuda: bool, failing=()):
    checks = []
    for name, points in (("test_a", 2.0), ("test_b", 3.0)):
        for dtype in ("float32", "float64"):
            for device in ("cpu", "cuda"):
                params = f"{dtype}-{device}"
                status = "skipped" if device == "cuda" and not cuda else \
                    "failed" if (name, params) in failing else "passed"
                checks.append(_variant(name, params, points, status))
    checks.append(CheckResult(nodeid="grader/checks/ex01/ships/test_visible.py::test_c",
                              exercise="ex01", target="forward", title="c", params="",
                              points=1.0, visible=True, status="passed", message="",
                              seconds=0.0))
    share_points(checks)
    return GradeResult(submission="s", seed=1, exercises=["ex01"], checks=checks)


def test_the_maximum_does_not_depend_on_the_machine():
    cpu, gpu = _run(cuda=False), _run(cuda=True)
    assert cpu.max_score == gpu.max_score == 2 + 3 + 1
    assert cpu.score == gpu.score == 6
    # a variant skipped for want of CUDA counts nothing; the others carry its share
    assert {c.points for c in cpu.checks if c.status == "skipped"} == {0.0}
    assert {c.points for c in cpu.checks if c.title == "test_a" and c.counted} == {1.0}
    assert {c.points for c in gpu.checks if c.title == "test_a"} == {0.5}


def test_a_failed_variant_costs_its_share():
    gpu = _run(cuda=True, failing={("test_b", "float32-cuda")})
    assert gpu.score == 6 - 3 / 4
    cpu = _run(cuda=False, failing={("test_b", "float32-cpu")})
    assert cpu.score == 6 - 3 / 2


def test_the_references_score_what_the_notebooks_cells_carry(grade):
    """Every exercise's maximum, graded here, is the sum of its check cells' points in the
    notebooks nbgrader releases (build.check_points: each check function's points once)."""
    for ex in EXERCISES:
        result = grade(ex)
        assert result.score == result.max_score
        assert abs(result.max_score - sum(check_points(ex).values())) < 1e-9, ex
