"""The comparisons the checks make, and how a check fails: CheckFailure and fail, here; the
rest by job, one module each.

    values.py        what a value is (kind_of, show), its numbers (as_array); a bool is not a
                     number (refuse_bool)
    tolerances.py    TOL and the other tables, tol_for, agreement within a tolerance, the hint
                     for float32 precision where float64 is expected
    mistakes.py      what a wrong answer is told: known mistakes named, wrong shapes and dtypes
                     explained, scale_mistakes
    close.py         assert_close
    trajectories.py  assert_trajectory: training runs compared step by step
    derivatives.py   central differences, autograd_grad, assert_gradient

`assert_close` compares what a student's code returned with what was expected and, when they
differ, raises a CheckFailure whose message says what was called, what was expected, what came
back (kind, shape, dtype, device, values), the largest error, and, when the wrong answer matches
a known mistake, names it:

    >>> assert_close(got=torch.tensor(-4.0), expected=torch.tensor(-8.0), call="gradient(...)",
    ...              mistakes=scale_mistakes(torch.tensor(-8.0)))
    CheckFailure: gradient(...) returned the wrong value ... hint: half the expected value: is the
    factor 2 of the derivative of a square missing?

Check files take these names from grader.checks.api.
"""
from __future__ import annotations

import sys

from grader.sandbox import StudentError


class CheckFailure(AssertionError):
    """A check that failed, with a message written for the student. `hints`: the known mistakes
    the check named (also at the end of the message); the class summary counts these, never
    lines of the message, which may quote the student's own text."""

    def __init__(self, message: str = "", hints=()):
        super().__init__(message)
        self.hints = [str(h) for h in hints if h]


def fail(message: str, hint: str | None = None, *, measured: bool = False):
    """Fail the check; `hint` names the mistake (shown as the message's last line). A hint
    named while a student's error is being handled was read from that error's text, which the
    student's own code could have written: it is shown, but it is not a named mistake
    (CheckFailure.hints, what the class summary counts), unless `measured` says its condition
    is what the worker measured, not the text (StudentError.rebound: the name that held the
    parameter holds another tensor)."""
    if hint:
        message += f"\n  hint: {hint}"
    from_text = isinstance(sys.exc_info()[1], StudentError) and not measured
    raise CheckFailure(message, [hint] if hint and not from_text else ())
