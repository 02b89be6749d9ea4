"""A function whose answers are rounded for show fails a visible check, not only hidden ones
(issue 20, item 4: visible checks catch what the hidden ones do). The course's inputs give
round answers (backward_steps(2, 4, 1) has dloss_dw = -8), which `round(v, 4)` leaves as they
are; the hidden checks' random inputs do not. So every function a rounding makes fail some
check must fail a visible one as well, and `check` must not say "All done" to a student whose
only fault shows in the hidden checks.

Each public function of each reference is graded with its answers rounded to 4 decimals
(floats, float tensors and arrays, in lists, tuples and dicts): where any check of it fails,
a visible one must be among them."""
from __future__ import annotations

import ast

import pytest

from grader.exercises import EXERCISES, module_of
from tests.conftest import ROOT, failing

ROUNDED = '''
import functools as _functools


def _rounded(v):
    import numpy as _np
    import torch as _torch
    if isinstance(v, _torch.Tensor) and v.is_floating_point():
        with _torch.no_grad():
            return _torch.round(v * 10000) / 10000
    if isinstance(v, _np.ndarray) and v.dtype.kind == "f":
        return _np.round(v, 4)
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    if isinstance(v, tuple) and not hasattr(v, "_fields"):
        return tuple(_rounded(x) for x in v)
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return v


def _for_show(f):
    @_functools.wraps(f)
    def shown(*args, **kwargs):
        return _rounded(f(*args, **kwargs))
    return shown


NAME = _for_show(NAME)
'''


def _functions():
    for ex in EXERCISES:
        tree = ast.parse((ROOT / "solutions" / f"{module_of(ex)}.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                yield pytest.param(ex, node.name, id=f"{ex}-{node.name}")


@pytest.mark.parametrize("ex,name", list(_functions()))
def test_answers_rounded_for_show_fail_a_visible_check(grade, ex, name):
    result = grade(ex, ROUNDED.replace("NAME", name), targets=[name])
    failed = failing(result, name)
    shown = [c for c in failed if c.visible]
    assert shown or not failed, (
        f"{ex} {name} rounded to 4 decimals fails only hidden checks: "
        f"{[c.name for c in failed]}; give a visible check inputs whose answers have more digits")
