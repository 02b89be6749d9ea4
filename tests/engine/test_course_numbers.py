"""The values `build` records for the visible checks' course runs are the course's own numbers
(the reference really reaches them, not just some value)."""
import importlib

import numpy as np

from grader.engine.expected import expected
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


def test_ex01_notes_surface_and_its_plot(monkeypatch):
    """The notes' exercise: on y = 2x + 1 the surface (21, 31) has its minimum 0 at w = 2,
    b = 1, and the notebook's plot cell draws it headless (Agg), from the reference."""
    import runpy

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    from tests.conftest import ROOT
    scope = runpy.run_path(str(ROOT / "solutions" / "ex01_linear_model.py"), run_name="__main__")
    ws, bs = np.arange(0.0, 3.1, 0.1), np.arange(-1.0, 1.1, 0.1)
    surface = scope["plot_mse_surface"]([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], ws, bs)
    assert surface.shape == (21, 31)
    i, j = np.unravel_index(np.argmin(surface), surface.shape)
    assert abs(ws[j] - 2.0) < 1e-9 and abs(bs[i] - 1.0) < 1e-9 and surface[i, j] < 1e-20
    assert plt.get_fignums()        # the figure was drawn
    plt.close("all")
