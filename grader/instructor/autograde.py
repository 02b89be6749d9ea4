"""nbgrader autograde's check cells, graded on the trusted side: the kernel decides no score.

    # nbgrader_config.py
    from grader.instructor.autograde import GradeCheckCells, with_check_cells
    c.Autograde.autograde_preprocessors = with_check_cells()   # nbgrader's, plus this one

A notebook's kernel runs the student's code, which can replace `run_checks` (or anything else in
its process) and print a pass. So after nbgrader has executed the notebook, and before it saves
the grades, GradeCheckCells grades the handed-in notebook itself, as `python -m grader grade`
does (grader.engine.runner.grade_submission in a grading process of nbgrader's own, the student's code
in the sandboxed worker), and writes each check cell's outputs from that result, replacing what
the kernel printed:

    all of the cell's checks pass    one line per run_checks call, as the kernel prints it
                                     (`ex01.forward: all 2 visible checks pass.`): full points
    some do not                      an error output, ChecksFailed, with the visible checks'
                                     messages; a hidden check shows its name and passed / not
                                     passed only (grader.engine.report.target_report): 0 points

nbgrader scores a code cell 0 when it has an error output and full points otherwise (a number
as its result would be partial credit; not used: a cell with a failing check shows red). A cell
whose target ran no check at all scores 0, and so does every autograded cell that is not a check
cell of this course (no `run_checks("exNN", "target", ...)` in it): the kernel cannot vouch for
its output. The notebook is graded whole, top to bottom, as `grade` reads it: a cell that
raises is skipped, a later cell can still redefine a function.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.engine.report import target_report


def check_calls(source: str) -> list[tuple[str, str, bool]]:
    """(exercise, target, hidden) of each run_checks call of a cell, in order; [] if none.

        check_calls("run_checks('ex01', 'forward', In)")  ->  [("ex01", "forward", False)]
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name != "run_checks" or len(node.args) < 2:
            continue
        ex, target = node.args[0], node.args[1]
        if not (isinstance(ex, ast.Constant) and isinstance(ex.value, str)
                and isinstance(target, ast.Constant) and isinstance(target.value, str)):
            continue
        hidden = node.args[3] if len(node.args) > 3 else next(
            (k.value for k in node.keywords if k.arg == "hidden"), None)
        is_hidden = isinstance(hidden, ast.Constant) and hidden.value is True
        calls.append((node.lineno, node.col_offset, (ex.value[:4], target.value, is_hidden)))
    return [call for *_, call in sorted(calls)]


def _failed(text: str) -> dict:
    return new_output("error", ename="ChecksFailed", evalue=text,
                      traceback=[f"ChecksFailed: {text}"])


def cell_outputs(result, calls) -> list:
    """The outputs of one check cell from the notebook's GradeResult: a line per passing call,
    and the first failing call's message as an error (the kernel would stop there too)."""
    printed, ran = [], 0
    for ex, target, hidden in calls:
        kind = "hidden" if hidden else "visible"
        checks = [c for c in result.checks
                  if c.exercise == ex and c.target == target and c.visible != hidden]
        ran += sum(c.counted for c in checks)
        ok, text = target_report(replace(result, checks=checks), ex, target, kind)
        if not ok:
            out = [new_output("stream", name="stdout", text="".join(printed))] if printed else []
            return out + [_failed(text)]
        printed.append(text + "\n")
    if not ran:
        names = ", ".join(sorted({f"{ex}.{target}" for ex, target, _ in calls}))
        return [_failed(f"{names}: no check ran for this cell, so it earns nothing.")]
    return [new_output("stream", name="stdout", text="".join(printed))]


def submission_notebook(nb) -> dict:
    """The handed-in notebook as `grade` reads it: its code cells' sources, no outputs."""
    cells = [{"cell_type": "code", "metadata": {}, "source": cell.source, "outputs": [],
              "execution_count": None} for cell in nb.cells if cell.cell_type == "code"]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def grade_notebook(nb, exercises) -> dict:
    """grader.notebook's grading process grades the notebook for these exercises, as `grade`
    would: {"ok": True, "result": GradeResult as data} or {"ok": False, "error": ...}."""
    from grader.exercises import module_of
    from grader.notebook import _ask
    from grader.engine.request import GradeRequest
    seed = int(os.environ["GRADER_SEED"]) if os.environ.get("GRADER_SEED") else None
    request = GradeRequest(exercises=tuple(sorted(exercises)), checks="all", seed=seed)
    folder = Path(tempfile.mkdtemp(prefix="grader-autograde-"))
    try:
        text = json.dumps(submission_notebook(nb))
        for ex in request.exercises:
            (folder / f"{module_of(ex)}.ipynb").write_text(text)
        return _ask({"submission": str(folder), "request": request.to_dict()})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class GradeCheckCells(NbGraderPreprocessor):
    """Sets every autograded code cell's outputs from the grader's own run on the notebook
    (see the module's docstring). Goes after Execute and before SaveAutoGrades."""

    def preprocess(self, nb, resources):
        from grader.exercises import EXERCISES
        from grader.engine.result import GradeResult
        cells = [cell for cell in nb.cells if cell.cell_type == "code" and utils.is_grade(cell)
                 and not utils.is_solution(cell)]
        if not cells:
            return nb, resources
        calls = {id(cell): check_calls(cell.source) for cell in cells}
        exercises = {ex for cs in calls.values() for ex, _, _ in cs if ex in EXERCISES}
        answer = grade_notebook(nb, exercises) if exercises else {
            "ok": False, "error": "no check cell of this course"}
        if not answer.get("ok"):
            self.log.error("the grader could not grade %s: %s",
                           resources.get("nbgrader", {}).get("notebook"), answer.get("error"))
        result = GradeResult.from_dict(answer["result"]) if answer.get("ok") else None
        from grader.sandbox.safetext import LINE, clean
        where = resources.get("nbgrader", {})
        for find in getattr(result, "tampering", None) or []:   # for the instructor's review
            self.log.warning("%s/%s: to review: %s", clean(str(where.get("student")), LINE),
                             where.get("notebook"), clean(str(find), LINE, lines=False))
        for cell in cells:
            own = calls[id(cell)]
            if not own or any(ex not in EXERCISES for ex, _, _ in own):
                cell.outputs = [_failed("this cell is not a check cell of the course: its "
                                        "score cannot come from the notebook's kernel, so it "
                                        "earns nothing here (grade it by hand).")]
            elif result is None:
                cell.outputs = [_failed(f"the grader could not grade this notebook "
                                        f"({str(answer.get('error'))[:300]}).")]
            else:
                cell.outputs = cell_outputs(result, own)
        return nb, resources


def with_check_cells(preprocessors=None) -> list:
    """nbgrader's autograde preprocessors (or these) with GradeCheckCells just before
    SaveAutoGrades."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import SaveAutoGrades
    if preprocessors is None:
        preprocessors = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = [p for p in preprocessors if p is not GradeCheckCells]
    steps.insert(steps.index(SaveAutoGrades), GradeCheckCells)
    return steps
