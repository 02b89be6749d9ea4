"""Visible checks use the input kinds hidden checks use (issue 20, item 4): a student who passes
every visible check should pass the hidden ones unless her code is wrong only at values she
cannot see, so every kind of input a hidden check hands a function (a tensor's dtype, a NumPy
array's, a list of tensors') is one some visible check hands it too.

The checks run here on the references (a TrustedSubmission, as grader.engine.reference_table
does), on the CPU, recording for each function or probe the kinds of the inputs its calls get,
and whether a visible (ships/) or a hidden (private/) check made them. A kind given by hidden
checks only fails; OPEN_GAPS are those not closed yet, each an expected failure of its own
(xfail, strict: every run shows them as open, and one closed fails until it leaves the list)."""
from __future__ import annotations

import collections
import os

import numpy as np
import pytest
import torch

from grader.engine.reference_table import TrustedSubmission

# {function or probe: the hidden-only kinds}: gaps still open, each shown as an expected failure
OPEN_GAPS = {
}


def _kind(v) -> str | None:
    """A tensor's dtype, a NumPy array's ("np." and its dtype), or a list of tensors' ("list["
    and their dtype]); None for anything else (numbers, strings, states, specifications)."""
    if isinstance(v, torch.Tensor):
        return str(v.dtype).replace("torch.", "")
    if isinstance(v, np.ndarray):
        return f"np.{v.dtype}"
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, torch.Tensor) for x in v):
        return "list[" + ",".join(sorted({_kind(x) for x in v})) + "]"
    return None     # the kinds a function gets: those of all its calls' inputs together


class _Recording(TrustedSubmission):
    """The references answering, each call's input kinds recorded by the check's visibility."""

    def __init__(self):
        self.seen = collections.defaultdict(lambda: {"visible": set(), "hidden": set()})

    def _note(self, name, args):
        where = "visible" if "/ships/" in os.environ.get("PYTEST_CURRENT_TEST", "") else "hidden"
        self.seen[name][where].update(k for k in map(_kind, args) if k)

    def call(self, target, *args, grad=None, timeout=None, **kwargs):
        self._note(target, args)
        return super().call(target, *args, grad=grad, **kwargs)

    def probe(self, name, module, *args, timeout=None, **kwargs):
        if name == "guard.call" and args and isinstance(args[0], str):   # a guarded call
            self._note(f"{module}.{args[0]}", args[1] if len(args) > 1 else ())
        else:
            self._note(f"probe {name}", args)
        return super().probe(name, module, *args, **kwargs)


@pytest.fixture(scope="module")
def gaps():
    from grader.engine.request import GradeRequest
    from grader.engine.runner import prepare_trusted_side, run_pytest
    rec = _Recording()
    prepare_trusted_side()
    run_pytest(rec, GradeRequest(device="cpu", seed=1))
    return {name: d["hidden"] - d["visible"] for name, d in rec.seen.items()
            if d["hidden"] - d["visible"]}


def test_no_new_input_kind_is_hidden_only(gaps):
    new = {name: sorted(kinds - OPEN_GAPS.get(name, set())) for name, kinds in gaps.items()
           if kinds - OPEN_GAPS.get(name, set())}
    assert not new, f"input kinds only hidden checks use (give a visible check one): {new}"


@pytest.mark.parametrize("name", sorted(OPEN_GAPS))
@pytest.mark.xfail(strict=True, reason="an input kind only hidden checks give: a visible "
                                       "check of that kind is still to be written")
def test_every_input_kind_of_a_hidden_check_is_given_by_a_visible_one(name, gaps):
    assert not gaps.get(name, set()) & OPEN_GAPS[name], \
        f"{name}: {sorted(gaps[name] & OPEN_GAPS[name])} only in hidden checks"
