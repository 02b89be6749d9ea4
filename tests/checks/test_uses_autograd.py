"""A function CURRICULUM.md asks to compute with autograd (ex03's grad_of_mean,
intermediate_grads, accumulated_grad: USES_AUTOGRAD) gets no points for a formula worked out
by hand, however right (it had full marks: the checks compared values only). The worker notes
whether the call ran autograd's engine or forward mode (the watch manual functions have,
turned around); the failure waits for the check's own comparisons, so a wrong value is told
first. Any autograd counts: backward(), torch.autograd.grad, torch.func.grad."""
from __future__ import annotations

import pytest

from tests.conftest import failing, messages

BY_HAND = '''
def grad_of_mean(x):
    return 6 * (x.detach() + 2) / x.numel()


def intermediate_grads(w, x):
    w = w.detach()
    return 2 * w + x + 1, w + 1


def accumulated_grad(x, times):
    return times * 6 * (x.detach() + 2) / x.numel()
'''

WITH_AUTOGRAD = {
    "torch.autograd.grad": '''
def grad_of_mean(x):
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        _, _, out = mean_graph(leaf)
        (g,) = torch.autograd.grad(out, leaf)
    return g
''',
    "torch.func.grad": '''
def grad_of_mean(x):
    import torch.func
    return torch.func.grad(lambda t: mean_graph(t)[2])(x.detach().clone())
''',
}


def test_a_formula_by_hand_gets_no_points_where_autograd_is_the_lesson(grade):
    result = grade("ex03", BY_HAND, targets=["grad_of_mean", "intermediate_grads",
                                            "accumulated_grad", "mean_graph"])
    for target in ("grad_of_mean", "intermediate_grads", "accumulated_grad"):
        assert failing(result, target), target
        assert f"{target}(...) computed its answer without autograd" in \
            messages(result, target), messages(result, target)
    others = [c for c in result.checks if c.counted and c.target == "mean_graph"]
    assert others and all(c.status == "passed" for c in others)


def test_a_wrong_formula_is_told_by_its_value_first(grade):
    result = grade("ex03", "def grad_of_mean(x):\n    return 3 * (x.detach() + 2) / x.numel()\n",
                   targets=["grad_of_mean"])
    first = failing(result, "grad_of_mean")[0]
    assert "without autograd" not in first.message and "wrong value" in first.message, \
        first.message


@pytest.mark.parametrize("how", WITH_AUTOGRAD)
def test_any_autograd_counts(grade, how):
    result = grade("ex03", WITH_AUTOGRAD[how], targets=["grad_of_mean"])
    assert not failing(result, "grad_of_mean"), messages(result, "grad_of_mean")
