"""Issue 20, item 8: the messages of a graded submission (a class run grades each one the same
way): a hang inside one function costs that function's checks only; a syntax error is told once
per exercise, with its line; a misnamed file is named, with the name it is read from."""
from __future__ import annotations

import pytest

from grader.exercises import module_of
from grader.sandbox.limits import Limits

from tests.conftest import ROOT, failing, messages


def test_a_hang_in_the_first_function_costs_its_own_checks_only(grade):
    """`forward`, the first function the ex01 checks call, loops forever: its checks time out,
    naming it; the import is not blamed, and functions that do not call it keep their points.
    (Before, the import's budget was added to the first call and its timeout kept as an import
    error: 0 points and "importing ex01_linear_model.py did not finish" on every check.)"""
    result = grade("ex01", code="""
        def forward(x, w):
            while True:
                pass
        """, limits=Limits(call_seconds=1.0, import_seconds=20.0))
    text = messages(result)
    assert "importing" not in text, text
    hung = failing(result, "forward")
    assert hung and all(c.message.startswith("forward: ") for c in hung), text
    timed_out = [c for c in hung if "did not finish: timed out" in c.message]
    # a loop that never ends costs at most two call limits: forward's later checks say why
    # they did not call it
    assert 1 <= len(timed_out) <= 2, text
    assert all("forward() was not run again: it timed out in 2 earlier checks" in c.message
               for c in hung if c not in timed_out), text
    for target in ("forward_wb", "mse_surface"):
        own = [c for c in result.checks if c.target == target and c.counted]
        assert own and all(c.status == "passed" for c in own), (target, messages(result, target))


def test_a_loop_at_the_top_level_is_still_the_import(grade):
    """A loop the import cannot stop and go on from (in a definition's default: definitions
    are not timed one by one) is the import's: it did not finish."""
    result = grade("ex01", code="""
        def forward(x, w, _ready=[None for _ in iter(int, 1)]):
            return x * w
        """, limits=Limits(call_seconds=1.0, import_seconds=2.0))
    assert all(c.status != "passed" for c in result.checks if c.counted)
    assert "importing ex01_linear_model.py did not finish" in messages(result)


def test_slow_statements_at_the_top_level_cost_only_their_own_output(grade):
    """Statements that are each stopped in time but together outlast the import's own time
    (several training runs at the top of the file, or a loop that never ends under a short
    import limit): the rest of the file's experiments are not run, its definitions are, and
    the functions keep their points (before: the import ran out, 0 points, "importing ... did
    not finish")."""
    result = grade("ex01", code="""
        import time
        while True:
            pass
        time.sleep(1.5)
        def unused():
            return 1
        """, limits=Limits(call_seconds=1.0, import_seconds=2.0))
    assert result.score == result.max_score > 0, messages(result)
    assert "importing" not in messages(result)
    assert any("was stopped" in n for n in result.notes), result.notes


def test_a_syntax_error_is_told_once_with_its_line(grade):
    source = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    result = grade("ex01", files={"ex01_linear_model.py": "def forward(x, w)\n    return x\n"
                                  + source})
    fails = [c for c in result.checks if c.counted]
    assert fails and all(c.status != "passed" for c in fails)
    full = [c for c in fails if "SyntaxError" in c.message and "line 1" in c.message
            and "reported above" not in c.message]
    assert len(full) == 1, messages(result)
    assert full[0] is fails[0]      # the first check of the exercise tells it
    rest = [c for c in fails if c is not full[0]]
    assert rest and all("see the SyntaxError reported above, ex01_linear_model.py, line 1"
                        in c.message for c in rest), messages(result)


@pytest.mark.parametrize("name,ex", [("ex1_linear.py", "ex01"),
                                     ("Ex01_linear_model.py", "ex01"),
                                     ("linear_model.py", "ex01"),
                                     ("exercise_2.py", "ex02")])
def test_a_misnamed_file_is_named_with_the_name_it_is_read_from(grade, name, ex):
    source = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
    result = grade(ex, files={name: source})
    assert result.score == 0
    assert any(note.startswith(f"found '{name}'; this exercise is read from "
                               f"{module_of(ex)}.py") for note in result.notes), result.notes
    assert not any("helper module" in note for note in result.notes), result.notes


def test_an_exercise_file_under_another_name_is_graded_and_said(grade):
    source = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    result = grade("ex01", files={"ex01_linear.py": source})
    assert result.score == result.max_score > 0
    assert "found 'ex01_linear.py'; graded as ex01, whose file is named " \
           "ex01_linear_model.py (or .ipynb)" in result.notes, result.notes
    assert not any("ex01_linear_model" in n for n in
                   grade("ex01").notes)   # the right name: no note
