"""Feedback pages and the class summary: what they show, what they never show, and that a real
browser renders them without a broken image."""
import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.classroom.feedback import have_matplotlib, render_page, write_page
from grader.engine.runner import CheckResult, GradeResult
from grader.classroom.summary import hints, summary_context, write_summary

from tests.conftest import lend_zygote

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
PNG = b"\x89PNG\r\n\x1a\n"
PLOTS = have_matplotlib()   # without it (no `classroom` extra) the pages have no images
needs_matplotlib = pytest.mark.skipif(not PLOTS, reason="plots need matplotlib")

CURVE = {"title": "loss per step", "kind": "curve",
         "series": {"student": [4.0, 3.1, 2.5, 2.4, 2.4], "reference": [4.0, 2.0, 1.0, 0.5, 0.25]}}
SCATTER = {"title": "dL/dw: yours vs analytic", "kind": "scatter",
           "series": {"x": [-1.0, 0.0, 1.0, 2.0], "y": [-0.5, 0.0, 0.5, 1.0]}}


def chk(target, status, visible=True, message="", plots=(), points=2.0, ex="ex02", params="",
        hints=()):
    kind = "visible" if visible else "hidden"
    return CheckResult(nodeid=f"{kind}/test_{ex}.py::test_{target}[{params}]",
                       exercise=ex, target=target, title=f"{target} on the course data",
                       params=params, points=points, visible=visible, status=status,
                       message=message, seconds=0.02, plots=list(plots), hints=list(hints))


def sample_result(**kw) -> GradeResult:
    checks = [
        chk("cost", "passed"),
        chk("gradient", "failed", message="gradient(xs, ys, w=1.0) returned the wrong value.\n"
            "  expected: -9.33333\n  got:      -4.66667\n  hint: this is half the expected "
            "value: is the factor 2 missing? <script>alert('x')</script>", plots=[SCATTER],
            hints=["this is half the expected value: is the factor 2 missing? "
                   "<script>alert('x')</script>"]),
        chk("gradient_descent", "failed", message="the costs differ from step 2 on",
            plots=[CURVE]),
        chk("gradient", "failed", visible=False, message="SECRET hidden input xs=[0.123456]",
            plots=[{"title": "SECRET hidden plot", "kind": "curve",
                    "series": {"student": [1.0, 2.0]}}]),
        chk("cost", "passed", visible=False),
        chk("forward", "not started", ex="ex01", message="not started: forward still raises"),
        chk("forward", "skipped", ex="ex01", params="cuda",
            message="CUDA is not available on this machine"),
    ]
    return GradeResult(submission="class/alice", seed=42, checks=checks,
                       exercises=["ex01", "ex02"], seconds=1.25, **kw)


def images(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\bsrc="([^"]*)"', html)


def decodes_as_png(src: str) -> bool:
    prefix = "data:image/png;base64,"
    return src.startswith(prefix) and base64.b64decode(src[len(prefix):]).startswith(PNG)


# ----------------------------------------------------------------------------------------------
# the page's content

def test_page_shows_scores_visible_messages_and_plots():
    html = render_page(sample_result(), student="alice")
    assert "Feedback for alice" in html
    assert "4 / 12 points" in html       # two passed checks of 2 points; six counted, of 2
    assert "-4.66667" in html and "factor 2 missing" in html
    srcs = images(html)
    assert len(srcs) == (2 if PLOTS else 0) and all(decodes_as_png(s) for s in srcs)
    assert "Not started" in html


def test_hidden_checks_show_name_and_result_only():
    html = render_page(sample_result(), student="alice")
    assert "SECRET" not in html
    assert "gradient: gradient on the course data" in html
    assert html.count("not passed") == 1               # the failing hidden check
    assert len(images(html)) == (2 if PLOTS else 0)    # the hidden check's plot is not there


def test_student_text_is_escaped():
    html = render_page(sample_result(), student="<b>bob</b>")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>bob</b>" not in html


def test_missing_file_and_grader_errors_are_explained_without_details():
    r = sample_result(missing_files=["ex01_linear_model.py"],
                      errors=["Traceback ... grader/checks/hidden/test_ex01.py line 3"])
    html = render_page(r)
    assert "No file for this exercise" in html
    assert "could not run part of the checks" in html
    assert "grader/checks/hidden" not in html


@needs_matplotlib
def test_plot_images_draw_the_reference_and_the_diagonal():
    from grader.classroom.feedback import plot_image
    assert decodes_as_png(plot_image(CURVE))
    assert decodes_as_png(plot_image(SCATTER))
    # odd data does not break a page: None (a non-finite value), empty series, one point
    assert decodes_as_png(plot_image({"title": "t", "kind": "curve",
                                      "series": {"student": [None, 1.0], "reference": []}}))
    assert decodes_as_png(plot_image({"title": "t", "kind": "scatter",
                                      "series": {"x": [1.0], "y": [None]}}))


def test_grade_html_writes_a_page(tmp_path, capsys, zygote, monkeypatch):
    from grader.cli import main
    lend_zygote(monkeypatch, zygote)
    sub = tmp_path / "alice"
    sub.mkdir()
    ref = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    (sub / "ex01_linear_model.py").write_text(ref + "\n\ndef forward(x, w):\n    return x + w\n")
    page = tmp_path / "alice.html"
    assert main(["grade", str(sub), "--exercises", "ex01", "--seed", "3", "--html",
                 str(page)]) == 0
    html = page.read_text()
    assert "Feedback for alice" in html and "returned the wrong value" in html
    assert html.count('class="badge failed"') >= 1 and 'class="badge passed"' in html
    assert f"wrote {page}" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------
# the summary

def class_results():
    """alice: sample_result(); bob: the same visible mistake, a second one, a hidden pass."""
    alice, bob = sample_result(), sample_result()
    bob.checks[2] = chk("gradient_descent", "failed", message="the costs grow\n"
                        "  hint: the gradients were never zeroed",
                        hints=["the gradients were never zeroed"])
    bob.checks[3] = chk("gradient", "passed", visible=False)
    bob.seconds = 3.5
    return {"alice": alice, "bob": bob}


def test_hints_are_the_results_own_never_lines_of_its_message():
    named = chk("gradient", "failed", message="returned the wrong value\n  hint: the mean is "
                "missing", hints=["the mean is missing"])
    quoted = chk("gradient", "failed", message="gradient: RuntimeError: boom\n  | hint: fake\n"
                 "hint: also fake")
    assert hints(named) == ["the mean is missing"] and hints(quoted) == []


def test_hints_that_differ_in_numbers_only_are_one_mistake():
    from grader.classroom.summary import mistake_key
    a = "this is 4 times the expected value: a sum where a mean is wanted (N = 4)."
    b = "this is 6 times the expected value: a sum where a mean is wanted (N = 6)."
    assert mistake_key(a) == mistake_key(b) != mistake_key("the sign is flipped")
    alice, bob = sample_result(), sample_result()
    alice.checks[2].hints, bob.checks[2].hints = [a], [b]
    ctx = summary_context({"alice": alice, "bob": bob})
    assert [(m["target"], m["students"]) for m in ctx["mistakes"]] == [
        ("gradient", 2), ("gradient_descent", 2)]


def test_summary_orders_checks_hardest_first_and_counts_mistakes():
    ctx = summary_context(class_results())
    rates = [c["rate"] for c in ctx["checks"]]
    assert rates == sorted(rates) and rates[0] == 0.0 and rates[-1] == 1.0
    by_rate = {}
    for c in ctx["checks"]:
        by_rate.setdefault(c["rate"], set()).add((c["name"], c["visible"]))
    assert by_rate[0.0] == {("ex01 forward: forward on the course data", True),
                            ("ex02 gradient_descent: gradient_descent on the course data", True),
                            ("ex02 gradient: gradient on the course data", True)}
    assert by_rate[0.5] == {("ex02 gradient: gradient on the course data", False)}
    assert [(m["target"], m["students"]) for m in ctx["mistakes"]] == [
        ("gradient", 2), ("gradient_descent", 1)]
    assert "factor 2" in ctx["mistakes"][0]["hint"]
    assert ctx["mistakes"][1]["hint"] == "the gradients were never zeroed"
    assert ctx["n"] == 2 and ctx["time_max"] == 3.5
    if PLOTS:
        assert decodes_as_png(ctx["score_hist"]) and decodes_as_png(ctx["time_hist"])


def test_summary_page_links_existing_pages(tmp_path):
    results = class_results()
    write_page(results["alice"], tmp_path / "alice.html", student="alice")
    write_summary(results, tmp_path / "summary.html")
    html = (tmp_path / "summary.html").read_text()
    assert 'href="alice.html"' in html and 'href="bob.html"' not in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert all(decodes_as_png(s) for s in images(html))
    assert len(images(html)) == (2 if PLOTS else 0)


def test_without_matplotlib_the_pages_say_the_plots_are_left_out(tmp_path, monkeypatch):
    import grader.classroom.feedback
    import grader.classroom.summary
    monkeypatch.setattr(grader.classroom.feedback, "have_matplotlib", lambda: False)
    monkeypatch.setattr(grader.classroom.summary, "have_matplotlib", lambda: False)
    results = class_results()
    page = write_page(results["alice"], tmp_path / "alice.html", student="alice")
    write_summary(results, tmp_path / "summary.html")
    for html in (page.read_text(), (tmp_path / "summary.html").read_text()):
        assert images(html) == []
        assert "matplotlib is not installed (pip install matplotlib)" in html
    assert "factor 2 missing" in page.read_text()                  # the rest is all there
    no_plots = GradeResult(submission="bob", seed=1, exercises=["ex02"],
                           checks=[chk("cost", "failed", message="wrong")])
    assert "matplotlib" not in render_page(no_plots)   # nothing to draw: nothing to say


# ----------------------------------------------------------------------------------------------
# in a real browser

PROBE = """<script>
window.onerror = function (m) { document.body.setAttribute('data-js-error', String(m)); };
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; });
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-broken-images', broken.length);
});
</script>"""


def chromium(*args, timeout=60):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", *args], capture_output=True, text=True,
                          timeout=timeout)


@needs_matplotlib
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (Debian: apt-get install -y "
                                             "chromium) to render the pages in a browser")
@pytest.mark.parametrize("which", ["feedback", "summary"])
def test_pages_render_in_chromium_without_broken_images(tmp_path, which):
    results = class_results()
    page = tmp_path / f"{which}.html"
    if which == "feedback":
        write_page(results["alice"], page, student="alice")
    else:
        write_summary(results, page)
    html = page.read_text()
    assert "<script" not in html.replace("&lt;script", "")   # the pages need no JavaScript
    probe = tmp_path / f"{which}-probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"))
    dom = chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri()).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    n = len(images(html))
    assert n == 2
    assert f'data-images="{n}"' in body and 'data-broken-images="0"' in body, body
    assert "data-js-error" not in body
    shot = tmp_path / f"{which}.png"
    chromium("--window-size=1100,1600", f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes().startswith(PNG)
    import matplotlib.image
    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] == 1600 and pixels.shape[1] == 1100
    assert pixels[..., :3].std() > 0.05                      # not a blank page


def test_a_plot_drawn_before_is_not_drawn_again(monkeypatch):
    """Many students' pages carry the same plot (the reference's curve beside a correct
    program's): it is drawn once per process, and the kept images stay bounded."""
    import grader.classroom.feedback as fb
    drawn = []
    monkeypatch.setattr(fb, "plot_image", lambda p: drawn.append(p) or f"image {len(drawn)}")
    monkeypatch.setattr(fb, "IMAGES", {})
    plot = {"kind": "curve", "title": "loss", "series": {"reference": [3.0, 2.0, 1.0],
                                                          "student": [3.0, 2.0, 1.5]}}
    first = fb.safe_plot_image(plot)
    again = fb.safe_plot_image({"title": "loss", "kind": "curve",     # the same data, reordered
                                "series": {"student": [3.0, 2.0, 1.5],
                                           "reference": [3.0, 2.0, 1.0]}})
    assert first == again == "image 1" and len(drawn) == 1
    other = dict(plot, series={"reference": [3.0, 2.0, 1.0], "student": [3.0, 2.0, 1.4]})
    assert fb.safe_plot_image(other) == "image 2"
    for i in range(fb.MAX_IMAGES + 10):
        fb.safe_plot_image(dict(plot, title=f"plot {i}"))
    assert len(fb.IMAGES) == fb.MAX_IMAGES
    assert fb.safe_plot_image({"kind": "curve", "series": {1: object()}}) != ""   # unkeyable


def test_a_long_plot_title_is_wrapped_not_cut():
    """A check's plot title of up to two lines of 64 characters is shown whole."""
    import base64
    import matplotlib
    from grader.classroom import feedback
    title = "loss of train_minibatch against the reference, batch by batch, over three epochs"
    seen = {}
    real = matplotlib.axes.Axes.set_title
    try:
        matplotlib.axes.Axes.set_title = lambda ax, text, **kw: seen.setdefault("t", text)
        uri = feedback.plot_image({"kind": "curve", "title": title,
                                   "series": {"student": [1.0, 0.5]}})
    finally:
        matplotlib.axes.Axes.set_title = real
    assert seen["t"].replace("\n", " ") == title and "\n" in seen["t"]
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"\x89PNG")


FRAMES = """<!DOCTYPE html><html><body>{frames}<script>
window.addEventListener('load', function () {{
  var out = [];
  document.querySelectorAll('iframe').forEach(function (f) {{
    var root = f.contentDocument.documentElement;
    out.push(f.id + ':' + root.scrollWidth + ':' + root.clientWidth);
  }});
  document.body.setAttribute('data-widths', out.join(' '));
}});
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (Debian: apt-get install -y "
                                             "chromium) to render the pages in a browser")
def test_pages_fit_a_phone_screen_with_long_names_and_messages(tmp_path):
    """On a 390-px phone (and on a desktop) nothing is wider than the screen: long names and
    messages break, a wide table scrolls inside its own box."""
    import html as htmllib
    results = class_results()
    long_name = "train_minibatch_with_a_learning_rate_schedule_" * 3
    alice = results["alice"]
    alice.checks.append(chk(long_name, "not started", message="expected " + "9" * 200))
    alice.checks.append(chk("gradient", "error", message="RuntimeError: /tmp/work/" +
                            "a_folder_name/" * 30 + " at line 3"))
    student = "alice.with.a.rather.long.login.name@students.example.org"
    pages = {"feedback": render_page(alice, student=student)}
    write_summary(results, tmp_path / "summary.html")
    pages["summary"] = (tmp_path / "summary.html").read_text()
    assert long_name in pages["feedback"] and "9" * 200 in pages["feedback"]
    frames = "".join(f'<iframe id="{name}-{width}" width="{width}" height="800" '
                     f'srcdoc="{htmllib.escape(html)}"></iframe>'
                     for name, html in pages.items() for width in (390, 1100))
    probe = tmp_path / "frames.html"
    probe.write_text(FRAMES.format(frames=frames))
    dom = chromium("--window-size=1200,900", "--virtual-time-budget=5000", "--dump-dom",
                   probe.as_uri()).stdout
    widths = re.search(r'data-widths="([^"]*)"', dom).group(1).split()
    assert len(widths) == 4, dom[-2000:]
    for entry in widths:
        frame, scroll, client = entry.split(":")
        assert int(client) == int(frame.split("-")[1]), entry
        assert int(scroll) <= int(client), f"{frame}: {scroll} px wide on a {client}-px screen"
