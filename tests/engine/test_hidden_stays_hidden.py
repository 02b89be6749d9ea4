"""Nothing computed while a hidden check runs reaches an output a student reads.

A submission that does the work, but also keeps every input it is given (in its module, in a
file of its folder, in /tmp, in its environment), prints all it has kept on every call, sleeps
longer the more it has kept, and makes one visible check fail with everything it has kept in
the message, is graded twice, on two seeds (so on two sets of hidden inputs). What a student
reads (results.json, the feedback page, the score table, a notebook check cell's text) must be
the same both times: it cannot depend on the hidden inputs. The gradebook (the instructor's)
may keep the hidden checks' messages.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from grader.engine import report
from grader.engine.runner import grade_submission

ROOT = Path(__file__).resolve().parents[2]

KEEPER = '''

import os as _os
import time as _time

_SEEN = []
_PLACES = [_os.path.join(_os.getcwd(), "seen.txt"), "/tmp/seen.txt"]


def _history():
    text = "|".join(_SEEN) + _os.environ.get("SEEN", "")
    for place in _PLACES:
        try:
            with open(place) as f:
                text += f.read()
        except OSError:
            pass
    return text


def _keep(fn):
    def wrapped(*args, **kwargs):
        _SEEN.append(repr(args)[:200])
        _os.environ["SEEN"] = _os.environ.get("SEEN", "") + repr(args)[:200]
        for place in _PLACES:
            try:
                with open(place, "a") as f:
                    f.write(repr(args)[:200])
            except OSError:
                pass
        history = _history()
        print(history)
        _time.sleep(min(len(history), 20000) / 1e6)
        return fn(*args, **kwargs)
    return wrapped


for _name in {names}:
    globals()[_name] = _keep(globals()[_name])
'''

TELLER = '''

def {name}(*args, **kwargs):
    import os
    text = os.environ.get("SEEN", "")
    for place in (os.path.join(os.getcwd(), "seen.txt"), "/tmp/seen.txt"):
        try:
            with open(place) as f:
                text += f.read()
        except OSError:
            pass
    raise ValueError("what I have seen so far: " + text[-1500:])
'''


def _submission(folder: Path) -> Path:
    folder.mkdir()
    ex01 = (ROOT / "solutions" / "ex01_linear_model.py").read_text() + KEEPER.format(
        names=["forward", "loss", "mse_for_weights", "forward_wb", "mse_surface", "best_weight"])
    ex02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text() + KEEPER.format(
        names=["gradient", "gradient_descent", "sample_gradient"]) + TELLER.format(name="cost")
    (folder / "ex01_linear_model.py").write_text(ex01)
    (folder / "ex02_gradient_descent.py").write_text(ex02)
    return folder


def _what_students_read(result) -> dict:
    from grader.classroom.feedback import page_context
    from grader.engine.report import target_report
    page = page_context(result, "mallory")
    page.pop("date")
    page.pop("seconds")   # the visible checks' time: measured before any hidden input exists,
    data = report.gradescope_json(result)          # but never the same twice
    data.pop("execution_time")
    cells = {}
    for target in ("cost", "gradient"):
        for visible in (True, False):
            one = replace(result, checks=[c for c in result.checks if c.target == target
                                          and c.visible == visible])   # as a check cell asks
            cells[f"{target} {visible}"] = target_report(one, "ex02", target,
                                                         "visible" if visible else "hidden")[1]
    return {"results.json": data,
            "score table": report.score_table(result),
            "page": json.dumps(page, sort_keys=True, default=str),
            "notebook cells": json.dumps(cells, default=str)}


def test_what_students_read_does_not_depend_on_the_hidden_inputs(tmp_path, zygote):
    sub = _submission(tmp_path / "mallory")
    reads = []
    for seed in (11, 12):
        result = grade_submission(sub, zygote, exercises=["ex01", "ex02"], seed=seed)
        assert result.stdout_chars > 0     # it printed in the visible checks
        cost = [c for c in result.checks if c.target == "cost" and c.visible and c.counted]
        assert cost and all(c.status == "failed" for c in cost)   # the teller told
        reads.append(_what_students_read(result))
    for where in reads[0]:
        assert reads[0][where] == reads[1][where], \
            f"{where} differs between two sets of hidden inputs"


def test_hidden_checks_show_their_name_and_passed_or_not_only(grade):
    """A hidden check that fails: its message is for the instructor (the gradebook, `grade
    --show-hidden`), never in what a student reads."""
    result = grade("ex02", code="def gradient(xs, ys, w):\n    return 0.5\n", seed=5)
    hidden = [c for c in result.checks if not c.visible and c.status == "failed"]
    assert hidden and all(c.message for c in hidden)       # the instructor's copy keeps it
    shown = result.for_students()
    for c in shown.checks:
        if not c.visible:
            assert c.message == "" or c.status in ("not counted", "skipped", "withheld"), \
                c.message   # the grader's own words: why it was skipped or not counted
            assert c.hints == [] and c.plots == [] and c.seconds == 0
    data = report.gradescope_json(result)
    for test in data["tests"]:
        if test.get("visibility") == "after_published":
            assert test["output"] in ("passed", "not passed") or test["output"].startswith(
                "not counted until"), test
    assert "seed" not in data["output"]
    table = report.score_table(result)
    assert not any(c.message.splitlines()[0] in table for c in hidden)
    assert any(c.message.splitlines()[0] in report.score_table(result, show_hidden_messages=True)
               for c in hidden)


@pytest.mark.parametrize("order", ["hidden first", "hidden in between"])
def test_a_worker_that_served_a_hidden_check_never_serves_a_visible_one(tmp_path, zygote,
                                                                         order):
    """Whatever order the checks come in, a worker that served a hidden call is never asked
    a visible one: the module's memory does not survive that switch."""
    from grader.sandbox import Submission
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(
        "SEEN = []\n"
        "def forward(x, w):\n"
        "    SEEN.append(x)\n"
        "    return list(SEEN)\n")
    with Submission(folder, zygote) as sub:
        if order == "hidden in between":
            sub.enter("visible")
            assert sub.call("ex01.forward", 0.5, 2.0) == [0.5]
        sub.enter("hidden")
        sub.call("ex01.forward", 1.0, 2.0)
        sub.enter("visible")
        assert sub.call("ex01.forward", 3.0, 2.0) == [3.0]


def test_nothing_at_the_top_of_results_json_counts_a_hidden_check(grade):
    """Gradescope shows results.json's top level at once, the hidden checks' entries only when
    grades are published: two gradings that differ only in how their hidden checks went give
    the same top level and the same visible entries (a total, or "16 of 48 checks passed", told
    students how many hidden checks passed before publication)."""
    result = grade("ex02", seed=5)
    hidden = [c for c in result.checks if c.counted and not c.visible]
    assert hidden and all(c.status == "passed" for c in hidden)
    failing = replace(result, checks=[replace(c, status="failed", message="x")
                                      if c in hidden else c for c in result.checks])
    shown = [report.gradescope_json(r) for r in (result, failing)]
    for data in shown:
        data.pop("execution_time")
    visible = [[t for t in d["tests"] if t["visibility"] != "after_published"] for d in shown]
    top = [{k: v for k, v in d.items() if k != "tests"} for d in shown]
    assert visible[0] == visible[1] and top[0] == top[1], top


def test_the_review_line_of_results_json_counts_no_hidden_check(grade):
    """A flagged submission: the visible "review" entry counted the withheld points of every
    check, hidden ones included, so before publication it told how many hidden checks passed
    (the second attack round's B05)."""
    result = grade("ex03", code="import gc\n_all = gc.get_objects()\n", seed=7)
    assert [c for c in result.checks if c.status == "withheld" and not c.visible]
    failing = replace(result, checks=[replace(c, status="failed", message="x")
                                      if not c.visible and c.status == "withheld" else c
                                      for c in result.checks])
    entries = [[t for t in report.gradescope_json(r)["tests"] if t["name"] == "review"]
               for r in (result, failing)]
    assert entries[0] and entries[0] == entries[1]



def test_a_visible_check_not_counted_for_hidden_results_tells_nothing_before_publication(
        grade):
    """ex02's gradient right on the visible checks' inputs only (wrong where N > 4): its visible
    checks are not counted, for what the hidden checks found. Before publication its
    results.json reads as a correct submission's (the visible entries, the top level), so it
    cannot tell the student that every hidden input has N > 4 (the fifth attack round's B07);
    after publication the points go, with the reason, and the entries add up to the score."""
    wrong = ("def gradient(x, y, w):\n    import numpy as np\n    x, y = np.asarray(x, "
             "dtype=np.float64), np.asarray(y, dtype=np.float64)\n"
             "    g = float(np.mean(2 * x * (x * w - y)))\n"
             "    return g if len(x) <= 4 else g + 1.0\n")     # (the visible N: 3 and 4)
    right, shifted = grade("ex02", seed=5), grade("ex02", code=wrong, seed=5)
    assert [c for c in shifted.checks if c.status == "not counted" and c.visible]
    shown = [report.gradescope_json(r) for r in (right, shifted)]
    for data in shown:
        data.pop("execution_time")
    visible = [[t for t in d["tests"] if t["visibility"] == "visible"] for d in shown]
    top = [{k: v for k, v in d.items() if k != "tests"} for d in shown]
    assert visible[0] == visible[1] and top[0] == top[1]
    later = [t for t in shown[1]["tests"] if t["name"].endswith(": not counted")]
    assert later and all(t["visibility"] == "after_published" and t["score"] < 0 and
                         "not counted" in t["output"] for t in later)
    assert sum(t["score"] for t in shown[1]["tests"]) == pytest.approx(shifted.score)
