"""The values `build` records for the visible checks' course runs are the course's own numbers
(the reference really reaches them, not just some value)."""
import importlib

import numpy as np

from grader.expected import expected
from grader.exercises import check_module


def _cases(ex):
    return importlib.import_module(check_module(ex, "visible")).CASES


def test_ex05_course_run_reaches_the_line():
    """The recorded course run really reaches w ≈ 3, b ≈ 0.8 (y = 3x + 0.8)."""
    run = expected(_cases("ex05")["fit_course"])
    assert run["count"] == 3000
    assert abs(run["w"].item() - 3.0) < 0.05 and abs(run["b"].item() - 0.8) < 0.05
    assert run["losses"][-1] < 1e-3 < run["losses"][0]


def test_ex06_course_model_predicts_ten_at_five():
    """The recorded course run really ends with f(5) ≈ 10 (y = 2x)."""
    state = expected(_cases("ex06")["train_course"])["state"]
    f5 = 5 * state["linear.weight"].item() + state["linear.bias"].item()
    assert abs(f5 - 10.0) < 0.1


def test_ex11_course_fit_is_the_tutorials():
    """The recorded course result is the tutorial's: about 0.84 x - 0.09 x^3 after 2000 steps."""
    (a, b, c, d), losses = expected(_cases("ex11")["fit_course"])
    assert abs(a) < 0.01 and abs(c) < 0.01
    assert abs(b - 0.84) < 0.01 and abs(d + 0.091) < 0.002
    assert len(losses) == 20 and 8.0 < losses[-1] < 10.0
    x = np.linspace(-np.pi, np.pi, 2000)
    assert np.max(np.abs(a + b * x + c * x ** 2 + d * x ** 3 - np.sin(x))) < 0.2
