"""A function whose contract is autograd (USES_AUTOGRAD) must take its answer from autograd run
on the call's own data: one backward pass of the engine reaches, through its graph, a leaf made
from the input, and what it returns is a gradient the engine computed there. A closed form
returned beside an unrelated backward() (on a scalar of its own, on another expression of a
copy of the input, on the closed form made a leaf) gets no points; every honest spelling
(backward(), torch.autograd.grad, torch.func.grad, a float64 leaf, inputs=, the non-leaf's
gradient by retain_grad or by torch.autograd.grad) keeps them. The failure waits for the value
checks."""
from __future__ import annotations

import pytest

from tests.conftest import failing, messages

TARGETS = ["grad_of_mean", "intermediate_grads", "accumulated_grad"]
CLOSED = {
    "grad_of_mean": "6 * (x.detach() + 2) / x.numel()",
    "intermediate_grads": "(2 * w.detach() + x + 1, w.detach() + 1)",
    "accumulated_grad": "times * 6 * (x.detach() + 2) / x.numel()",
}
ARGS = {"grad_of_mean": "x", "intermediate_grads": "w, x", "accumulated_grad": "x, times"}
# what runs autograd's engine before the closed form is returned: {first} is the input
UNRELATED = {
    "a scalar of its own": "(torch.ones((), requires_grad=True) * 1).backward()",
    "another expression of a copy of the input":
        "_l = {first}.detach().clone().requires_grad_(True)\n"
        "    with torch.enable_grad():\n        (_l * _l).sum().backward()",
    "the input copied, through torch.autograd.grad":
        "_l = {first}.detach().clone().requires_grad_(True)\n"
        "    with torch.enable_grad():\n        torch.autograd.grad(_l.sum(), _l)",
    "the closed form made a leaf": "pass",
}


def _cheat(how: str) -> str:
    code = ""
    for func in TARGETS:
        first = ARGS[func].split(",")[0]
        if how == "the closed form made a leaf":
            body = (f"    _c = {CLOSED[func]}\n"
                    f"    _c = tuple(_c) if isinstance(_c, tuple) else (_c,)\n"
                    f"    _c = [c.detach().clone().requires_grad_(True) for c in _c]\n"
                    f"    with torch.enable_grad():\n"
                    f"        sum(c.sum() for c in _c).backward()\n"
                    f"    _c = [c.detach() for c in _c]\n"
                    f"    return tuple(_c) if len(_c) > 1 else _c[0]\n")
        else:
            body = f"    {UNRELATED[how].format(first=first)}\n    return {CLOSED[func]}\n"
        code += f"\n\ndef {func}({ARGS[func]}):\n{body}"
    return code


HONEST = {
    "backward, a float64 leaf": '''
def grad_of_mean(x):
    leaf = x.detach().to(torch.float64).requires_grad_()
    with torch.enable_grad():
        mean_graph(leaf)[2].backward()
    return leaf.grad.to(x.dtype)


def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_()
    with torch.enable_grad():
        a = leaf + x
        a.retain_grad()
        y = a * (leaf + 1)
        y.backward(torch.ones_like(y))
    return leaf.grad.clone(), a.grad.detach()


def accumulated_grad(x, times):
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        _, _, out = mean_graph(leaf)
        for _ in range(times):
            out.backward(retain_graph=True)
    return leaf.grad
''',
    "torch.autograd.grad and backward(inputs=)": '''
def grad_of_mean(x):
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(mean_graph(leaf)[2], leaf)
    return g


def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        a = leaf + x
        y = (a * (leaf + 1)).sum()
        dw, da = torch.autograd.grad(y, (leaf, a))
    return dw, da


def accumulated_grad(x, times):
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        for _ in range(times):
            torch.autograd.backward(mean_graph(leaf)[2], inputs=[leaf])
    return leaf.grad.detach().clone()
''',
    "torch.func.grad": '''
def grad_of_mean(x):
    import torch.func
    return torch.func.grad(lambda t: mean_graph(t)[2])(x.detach().clone())
''',
}


@pytest.mark.parametrize("how", UNRELATED)
def test_a_closed_form_beside_an_unrelated_backward_gets_no_points(grade, how):
    result = grade("ex03", _cheat(how), targets=TARGETS, device="cpu")
    for target in TARGETS:
        assert failing(result, target), (how, target)
        assert f"{target}(...) computed its answer without autograd" in \
            messages(result, target), messages(result, target)


@pytest.mark.parametrize("how", HONEST)
def test_autograd_on_the_input_keeps_its_points(grade, how):
    result = grade("ex03", HONEST[how], targets=TARGETS, device="cpu")
    assert not failing(result), messages(result)
    assert result.score == result.max_score
