"""A result right only to float32 precision, where the inputs are float64, is named as such
(not as a wrong prediction): the classic cause is a tensor made with torch.tensor(w0)."""
import numpy as np
import pytest
import torch

from grader.engine.compare import CheckFailure
from grader.engine.compare.close import assert_close

EXACT = [0.0430598123456789, 0.5, 2.25]


def _failure(got, want, **kw) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        assert_close(got, want, call="train_autograd(xs, ys, w0=1.0, lr=0.01, epochs=3)", **kw)
    return err.value


def test_float32_results_for_float64_inputs_are_named():
    got = [float(np.float32(v)) for v in EXACT]
    failure = _failure(got, EXACT)
    assert any("float32 precision" in h for h in failure.hints)
    assert "there: expected 0.0430598123457, got 0.04305981" in str(failure)  # the digits


def test_a_float32_tensor_for_a_float64_one_is_named_too():
    want = torch.tensor(EXACT, dtype=torch.float64)
    got = want.to(torch.float32).to(torch.float64)
    assert any("float32 precision" in h for h in _failure(got, want).hints)


def test_a_wrong_value_is_not_blamed_on_precision():
    failure = _failure([v * 1.01 for v in EXACT], EXACT)
    assert not any("float32" in h for h in failure.hints)


def test_float32_work_at_float32_tolerance_passes():
    want = torch.tensor(EXACT, dtype=torch.float32)
    assert_close(want.clone(), want, call="f(x)")


def test_a_training_run_in_float32_on_float64_inputs_is_named(grade):
    """The notes' own loop, `w = torch.tensor([w0], requires_grad=True)`, on float64 inputs."""
    result = grade("ex04", code='''
        def train_autograd(xs, ys, w0, lr, epochs):
            w = torch.tensor([w0], requires_grad=True)
            losses = []
            for epoch in range(epochs):
                for x, y in zip(xs, ys):
                    l = (x * w - y) ** 2
                    l.backward()
                    w.data = w.data - lr * w.grad.data
                    w.grad.data.zero_()
                losses.append(l.item())
            return w.item(), losses
        ''', keyword="train_autograd")
    float64 = [c for c in result.checks if c.target == "train_autograd" and c.status == "failed"
               and "float64" in c.message]
    assert float64 and all("float32 precision" in " ".join(c.hints) for c in float64)


def test_float64_digits_lead_with_a_step_that_differs():
    """Values off by float32's rounding that are not float32 numbers (a float64 run one update
    short) are told a step first; float32 numbers are told float32 first."""
    want = [1.99994443966, 0.5, 2.25]
    got = [1.99993872021, 0.5, 2.25]
    step = _failure(got, want).hints
    assert any(h.startswith("the values agree only to float32 precision")
               and "not float32 numbers. Either a step" in h for h in step), step
    as32 = _failure([float(np.float32(v)) for v in got], want).hints
    assert any("Either part of the computation ran in float32" in h for h in as32), as32
