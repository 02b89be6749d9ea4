"""grader.engine.compare.trajectories.assert_trajectory, the one step-by-step comparison of training runs: its three
forms (a list of losses, a tuple of final values and lists, a record_steps trace), mistakes
given eagerly or lazily, and the loss curve it attaches to the running check."""
import re

import pytest
import torch

from grader.engine import plots
from grader.checks.training import Mistakes, assert_state
from grader.engine.compare import CheckFailure
from grader.engine.compare.trajectories import assert_trajectory

WANT = [4.0, 3.0, 2.5, 2.2, 2.1, 2.05]


def failure(*args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        assert_trajectory(*args, **kwargs)
    return str(info.value)


class Counter:
    """A lazy mistakes dict that counts how often it is computed."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


# ----------------------------------------------------------------------------------------------
# a list of losses

def test_a_list_names_the_step_where_the_runs_part_and_the_values_there():
    got = [4.0, 3.0, 2.7, 2.5, 2.3, 2.2]
    text = failure(got, WANT, call="train(model, X, Y)")
    assert "at step 2" in text
    assert "expected: [2.5, 2.2, 2.1, 2.05]" in text and "got:      [2.7, 2.5, 2.3, 2.2]" in text
    assert "hint" not in text                       # no mistake matches, not the first step
    assert "at epoch 3" in failure(got, WANT, call="c", step_name=lambda k: f"epoch {k + 1}")


def test_a_list_that_differs_from_the_first_step_says_so():
    text = failure([5.0] + WANT[1:], WANT, call="train(...)")
    assert "the first of the losses already differs" in text and "hint" not in text


def test_mistakes_are_named_eagerly_or_lazily_and_computed_only_on_failure():
    wrong = [4.0, 3.5, 3.2, 3.0, 2.9, 2.85]
    eager = failure(wrong, WANT, call="c", mistakes={"other": WANT[::-1], "never zeroed": wrong})
    assert "hint: never zeroed" in eager
    lazy = Counter({"never zeroed": wrong})
    assert_trajectory(list(WANT), WANT, call="c", mistakes=lazy)
    assert lazy.calls == 0
    assert "hint: never zeroed" in failure(wrong, WANT, call="c", mistakes=lazy)
    assert lazy.calls == 1


def test_a_list_must_hold_as_many_python_numbers():
    assert "gave 5 losses, expected 6" in failure(WANT[:5], WANT, call="c")
    assert "hint: one per epoch" in failure(WANT[:5], WANT, call="c",
                                            count_hints={5: "one per epoch"})
    tensors = [torch.tensor(v, requires_grad=True) * 1 for v in WANT]
    assert "losses[0]" in failure(tensors, WANT, call="c") and \
        "loss.item()" in failure(tensors, WANT, call="c")
    assert "not a number" in failure(WANT[:5] + ["2.05"], WANT, call="c")
    assert "should give a list of 6 losses" in failure(2.05, WANT, call="c")


def test_the_tolerance_follows_the_dtype():
    close = [v * (1 + 3e-5) for v in WANT]          # within float32's row, not float64's
    assert_trajectory(close, WANT, call="c")
    assert "at step 0" in failure(close, WANT, call="c", dtype=torch.float64)
    assert "at step 0" in failure(close, WANT, call="c", rtol=1e-6, atol=0.0)


# ----------------------------------------------------------------------------------------------
# a tuple of final values and lists

def test_a_tuple_compares_the_lists_first_then_each_final_value():
    want = (2.0, WANT)
    text = failure((1.5, [4.0, 3.2] + WANT[2:]), want, call="gd(...)", names=("w", "costs"))
    assert "the costs part from the reference run" in text and "at step 1" in text
    text = failure((1.5, list(WANT)), want, call="gd(...)", names=("w", "costs"),
                   mistakes=lambda: {"uphill": (1.5, list(WANT))})
    assert "the final w" in text and "hint: uphill" in text
    assert "use .item()" in failure((torch.tensor(2.0), list(WANT)), want, call="c",
                                    names=("w", "costs"))
    assert "should return a tuple (w, costs)" in failure([2.0], want, call="c",
                                                         names=("w", "costs"))
    assert_trajectory((2.0, list(WANT)), want, call="c", names=("w", "costs"))


def test_a_tuple_names_a_mistake_in_its_list():
    wrong = (2.0, [4.0, 3.5, 3.2, 3.0, 2.9, 2.85])
    text = failure(wrong, (2.0, WANT), call="c", names=("w", "losses"),
                   mistakes={"recorded after the update": wrong})
    assert "hint: recorded after the update" in text


# ----------------------------------------------------------------------------------------------
# a record_steps trace

def trace(steps=4, bump_at=None):
    w = torch.arange(steps * 6, dtype=torch.float32).reshape(steps, 2, 3) / 10
    b = torch.zeros(steps, 2)
    if bump_at is not None:
        b[bump_at:, 1] += 0.5
    return {"fc.weight": w, "fc.bias": b}


def test_a_trace_names_the_step_and_the_parameter_where_the_runs_part():
    text = failure(trace(bump_at=2), trace(), call="fit_optim(...)",
                   step_name=lambda k: f"step {k + 1} (epoch {k // 2 + 1}, batch {k % 2 + 1})")
    assert "after step 3 (epoch 2, batch 1): parameter 'fc.bias' differs" in text
    assert re.search(r"expected: \[0, 0\]\n  got:      \[0, 0.5\]", text)
    lazy = Counter({"the bias is shifted": trace(bump_at=2)})
    assert "hint: the bias is shifted" in failure(trace(bump_at=2), trace(), call="c",
                                                  mistakes=lazy)
    assert_trajectory(trace(), trace(), call="c", mistakes=lazy)
    assert lazy.calls == 1
    text = failure(trace(bump_at=0), trace(), call="c")
    assert "the first update already differs" in text and "hint" not in text


def test_the_same_starting_point_is_claimed_only_when_the_first_step_agrees():
    """(issue 11) "(same starting point)" only where the runs agreed at their first recorded
    step: a run whose first loss (or first update) already differs may have started elsewhere
    (other initial values, another seed), and the message must not say otherwise."""
    later = [4.0, 3.0, 2.7, 2.5, 2.3, 2.2]
    assert "(same starting point) at step 2" in failure(later, WANT, call="fit(...)")
    first = failure([5.0] + WANT[1:], WANT, call="fit(...)")
    assert "same starting point" not in first and "at step 0" in first
    other_start = failure([w + 1.0 for w in WANT], WANT, call="fit(x, y, lr, iters, seed=3)")
    assert "same starting point" not in other_start
    in_tuple = failure((2.0, [5.0] + WANT[1:]), (2.0, WANT), names=("w", "losses"), call="c")
    assert "same starting point" not in in_tuple
    assert "(same starting point) after step 3" in failure(trace(bump_at=2), trace(), call="c")
    assert "same starting point" not in failure(trace(bump_at=0), trace(), call="c")


def test_a_trace_with_another_number_of_steps_or_parameters():
    assert "took 2 optimizer steps, expected 4.\n  hint: one step per epoch" in failure(
        trace(2), trace(), call="c", count_hints={2: "one step per epoch"})
    assert "no optimizer step was taken" in failure(trace(0), trace(), call="c")
    assert "no parameter(s) ['fc.bias']" in failure({"fc.weight": trace()["fc.weight"]},
                                                    trace(), call="c")
    odd = {**trace(), "fc.bias": torch.zeros(4, 3)}
    assert "'fc.bias' has shape (3,), expected (2,)" in failure(odd, trace(), call="c")


# ----------------------------------------------------------------------------------------------
# the feedback plot, and the lazy mistakes shared with assert_state

class Node:
    def __init__(self):
        self.user_properties = []


@pytest.fixture
def node():
    with plots.attached_to(Node()) as n:
        yield n


def test_every_list_compared_attaches_the_loss_curve_to_the_check(node):
    assert_trajectory(list(WANT), WANT, call="train(ok)")
    failure((1.0, [4.0, 9.0] + WANT[2:]), (2.0, WANT), call="gd(bad)", names=("w", "costs"))
    assert_trajectory((2.0, []), (2.0, []), call="gd(none)", names=("w", "costs"))
    curves = [p for kind, p in node.user_properties if kind == "plot"]
    assert [c["title"] for c in curves] == ["losses: train(ok)", "costs: gd(bad)"]
    assert curves[1]["series"] == {"student": [4.0, 9.0] + WANT[2:], "reference": WANT}


def test_mistakes_shared_by_the_trajectory_and_the_state_are_computed_once():
    runs = Counter({"never zeroed": {"losses": [4.0, 3.9, 3.8, 3.7, 3.6, 3.5],
                                     "state": {"w": torch.tensor([1.5])}}})
    wrong = Mistakes(runs)
    assert_trajectory(list(WANT), WANT, call="c", mistakes=wrong.map(lambda r: r["losses"]))
    assert_state({"w": torch.tensor([1.0])}, {"w": torch.tensor([1.0])}, call="c",
                 mistakes=wrong.map(lambda r: r["state"]))
    assert runs.calls == 0
    assert "hint: never zeroed" in failure([4.0, 3.9, 3.8, 3.7, 3.6, 3.5], WANT, call="c",
                                           mistakes=wrong.map(lambda r: r["losses"]))
    with pytest.raises(CheckFailure, match="hint: never zeroed"):
        assert_state({"w": torch.tensor([1.5])}, {"w": torch.tensor([1.0])}, call="c",
                     mistakes=wrong.map(lambda r: r["state"]))
    assert runs.calls == 1
