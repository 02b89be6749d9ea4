"""Plot data a page cannot draw never costs the page or the grade.

A wrong ex02 answer whose costs were +-1.7e308 (finite, so they reached the plot) made
matplotlib raise "arange: cannot compute length": `grade --html` ended with a traceback and no
page, grade-class silently left that student's page out. Two things stop the whole class:
grader.engine.plots drops what a plot cannot scale where plot data enters (NaN, inf, |v| > 1e150), and
grader.classroom.feedback draws each plot under its own guard, so any failure to draw one plot costs that
plot only ("this plot could not be drawn"). Checked on every odd series, for curves and
scatters, attached as checks attach them and raw (as read back from a gradebook's JSON), and
through both entry points that write pages: `grade --html` and grade-class.
"""
import base64
import math
import re
from pathlib import Path

import pytest
import torch

import grader.classroom.feedback
from grader.classroom.feedback import PLOT_FAILED, have_matplotlib, plot_image, render_page, write_page
from grader.engine.plots import MAX_MAGNITUDE, attach, drawable, flat_floats
from grader.engine.runner import CheckResult, GradeResult

from tests.conftest import lend_zygote

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"
needs_matplotlib = pytest.mark.skipif(not have_matplotlib(), reason="plots need matplotlib")
HUGE = 1.7e308
ODD = {
    "huge mixed with normal numbers": [HUGE, -HUGE, 1e300, -1e300, 1.0, 2.5, -3.0],
    "alternating huge": [HUGE * (-1) ** i for i in range(50)],
    "huge and non-finite": [1e300, math.nan, 1.0, -1e300, math.inf, 0.5],
    "at the limit": [MAX_MAGNITUDE, -MAX_MAGNITUDE, 1.0],
    "positive over 450 decades": [5e-324, 1e-300, 1e150, 1.0],
    "all equal": [2.0] * 7,
    "all equal and large": [1e150] * 4,
    "a single point": [4.0],
    "empty": [],
    "NaN and inf only": [math.nan, math.inf, -math.inf],
}


class Node:
    def __init__(self):
        self.user_properties = []


def odd_plots() -> list[dict]:
    """Every odd series as a curve and a scatter, attached as checks attach them, and raw (a
    result read back from JSON holds what it holds)."""
    plots = []
    for name, values in ODD.items():
        node = Node()
        attach(node, f"{name} curve", "curve", student=values, reference=values[::-1])
        attach(node, f"{name} scatter", "scatter", x=values, y=values[::-1],
               reference=values)
        plots += [p for _, p in node.user_properties]
        plots.append({"title": f"{name} raw", "kind": "curve",
                      "series": {"student": values, "reference": [1.0, 2.0]}})
        plots.append({"title": f"{name} raw scatter", "kind": "scatter",
                      "series": {"x": values, "y": values[::-1]}})
    return plots


def result_with(plots) -> GradeResult:
    check = CheckResult(nodeid="visible/test_ex02.py::test_gradient_descent[]", exercise="ex02",
                        target="gradient_descent", title="gradient_descent", params="",
                        points=2.0, visible=True, status="failed", message="the costs differ",
                        seconds=0.1, plots=list(plots))
    return GradeResult(submission="alice", seed=1, checks=[check], exercises=["ex02"])


def images(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\bsrc="([^"]*)"', html)


def is_png(src: str) -> bool:
    prefix = "data:image/png;base64,"
    return src.startswith(prefix) and base64.b64decode(src[len(prefix):]).startswith(PNG)


def test_what_a_plot_cannot_scale_is_dropped_where_plot_data_enters():
    node = Node()
    attach(node, "t", student=[HUGE, -1e300, 1e151, MAX_MAGNITUDE, 1.0, math.nan, -math.inf],
           tensor=torch.tensor([1e300, 2.0], dtype=torch.float64))
    series = node.user_properties[0][1]["series"]
    assert series["student"] == [None, None, None, MAX_MAGNITUDE, 1.0, None, None]
    assert series["tensor"] == [None, 2.0]
    assert [drawable(v) for v in ("x", None, [1.0], True, 3)] == [None, None, None, 1.0, 3.0]
    # a span of two kept values stays finite
    kept = [v for s in series.values() for v in s if v is not None]
    assert math.isfinite(max(kept) - min(kept))


def test_plot_data_is_cut_before_it_is_converted():
    import numpy as np
    import tracemalloc
    big = np.zeros(50_000_000, dtype=np.uint8)      # float64 of it: 400 MB (numpy's memory is
    # traced by tracemalloc, torch's is not: the tensor path is cut the same way)
    tracemalloc.start()
    try:
        out = flat_floats([big, [1.0, 2.0]], limit=2000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (2000,) and peak < 1 << 20
    assert flat_floats([[1, 2], torch.tensor([3.0, 4.0]), 5.0], limit=4).tolist() == [1, 2, 3, 4]
    assert flat_floats(["not a number", object()]).size == 0


@needs_matplotlib
@pytest.mark.parametrize("plot", odd_plots(), ids=lambda p: p["title"])
def test_every_odd_series_draws(plot):
    assert is_png(plot_image(plot))


@needs_matplotlib
def test_a_page_of_odd_plots_renders_every_plot(tmp_path):
    plots = odd_plots()
    page = write_page(result_with(plots), tmp_path / "alice.html", student="alice")
    html = page.read_text()
    assert len(images(html)) == len(plots) and all(is_png(s) for s in images(html))
    assert PLOT_FAILED not in html


def test_a_plot_that_fails_to_draw_costs_that_plot_only(tmp_path, monkeypatch):
    real = grader.classroom.feedback.plot_image

    def fails_on_some(plot):
        if "huge" in plot["title"]:
            raise ValueError("arange: cannot compute length")
        return real(plot)

    monkeypatch.setattr(grader.classroom.feedback, "plot_image", fails_on_some)
    monkeypatch.setattr(grader.classroom.feedback, "IMAGES", {})   # none drawn before here
    plots = odd_plots() + ["not a plot", {"title": "bad series", "series": [1, 2]}]
    html = render_page(result_with(plots), "alice")
    failed = [p for p in plots if not isinstance(p, dict) or "huge" in p["title"]
              or p["title"] == "bad series"]
    assert html.count(PLOT_FAILED) == (len(failed) if have_matplotlib() else 0)
    assert "Feedback for alice" in html and "the costs differ" in html
    if have_matplotlib():
        assert len(images(html)) == len(plots) - len(failed)


# ----------------------------------------------------------------------------------------------
# through the entry points that write pages

def huge_costs_submission(folder: Path) -> Path:
    """ex02's reference whose costs are +-1.7e308: a wrong answer, finite numbers."""
    ref = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    line = "        costs.append(cost(xs, ys, w))"
    assert line in ref
    folder.mkdir(parents=True)
    (folder / "ex02_gradient_descent.py").write_text(
        ref.replace(line, "        costs.append(1.7e308 * (-1) ** len(costs))", 1))
    return folder


@pytest.mark.parametrize("drawing", ["real", "every plot fails"])
def test_grade_html_writes_the_page_of_huge_costs(tmp_path, capsys, zygote, monkeypatch,
                                                  drawing):
    from grader.cli import main
    lend_zygote(monkeypatch, zygote)
    if drawing != "real":
        def fails(plot):
            raise OverflowError("cannot draw")
        monkeypatch.setattr(grader.classroom.feedback, "plot_image", fails)
        monkeypatch.setattr(grader.classroom.feedback, "IMAGES", {})
    sub = huge_costs_submission(tmp_path / "alice")
    page, out = tmp_path / "alice.html", tmp_path / "alice.json"
    assert main(["grade", str(sub), "--exercises", "ex02", "--seed", "3", "--json", str(out),
                 "--html", str(page)]) == 0
    html = page.read_text()
    assert "Feedback for alice" in html and 'class="badge failed"' in html
    if have_matplotlib():
        if drawing == "real":
            assert images(html) and all(is_png(s) for s in images(html))
            assert PLOT_FAILED not in html
        else:
            assert not images(html) and PLOT_FAILED in html
    assert f"wrote {page}" in capsys.readouterr().out


def test_grade_class_writes_the_page_of_huge_costs(tmp_path, monkeypatch):
    from grader.classroom.run import grade_class
    from grader.classroom.gradebook import Gradebook
    folder = tmp_path / "class"
    huge_costs_submission(folder / "mallory")
    (folder / "ada").mkdir()
    (folder / "ada" / "ex02_gradient_descent.py").write_text(
        (ROOT / "solutions" / "ex02_gradient_descent.py").read_text())
    html = tmp_path / "html"
    monkeypatch.delenv("GRADER_START_METHOD", raising=False)
    run = grade_class(folder, db=tmp_path / "g.db", jobs=1, seed=3, exercises=["ex02"],
                      html_dir=html, device="cpu", progress=False)
    assert run.graded == 2 and run.failed == 0
    with Gradebook(tmp_path / "g.db") as book:
        mallory = book.result("mallory")
        assert not mallory.errors and mallory.score < mallory.max_score
        assert book.result("ada").score == book.result("ada").max_score
    page = (html / "mallory.html").read_text()
    assert "Feedback for mallory" in page and PLOT_FAILED not in page
    if have_matplotlib():
        assert images(page) and all(is_png(s) for s in images(page))
    # the pages a rerun writes from the gradebook (results read back from JSON) render too
    from grader.classroom.run import _page_from_book
    (html / "mallory.html").unlink()
    with Gradebook(tmp_path / "g.db") as book:
        _page_from_book(book, "mallory", html)
    assert "Feedback for mallory" in (html / "mallory.html").read_text()
