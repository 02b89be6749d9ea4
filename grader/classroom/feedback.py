"""A student's feedback page: one self-contained HTML file per graded submission.

    write_page(result, "feedback/alice.html", student="alice")

The page shows the score of each exercise, every visible check with its message, the hidden
checks by name with passed / not passed only (never their messages or inputs), and the plots the
checks attached (the student's loss curve over the reference's; a gradient scatter against the
y = x line). Images are embedded as base64 PNG: the file can be mailed or uploaded as it is.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import re
import textwrap
from datetime import datetime
from pathlib import Path

from grader.exercises import EXERCISES
from grader.engine.report import review_summary
from grader.engine.result import GradeResult

TEMPLATES = Path(__file__).resolve().parent / "templates"

STATUS_LABEL = {"passed": "passed", "failed": "failed", "not started": "not started",
                "error": "error", "skipped": "skipped", "not counted": "not counted",
                "withheld": "withheld for review"}


def _env():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env


def _num(x) -> str:
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def exercise_title(ex: str) -> str:
    return EXERCISES.get(ex, ex)[5:].replace("_", " ")


# Pages of the whole class in a feedback folder. No student's page can take one of these names
# (see page_name); a class-wide page added later goes here, or gets a name starting with '_'.
CLASS_PAGES = ("summary", "index", "similarity")      # similarity: `similarity --html`'s
# Names Windows keeps for devices, whatever follows the dot ('con.html' is the console there).
_DEVICES = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
_PLAIN_PAGE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def page_name(student: str) -> str:
    """The file of a student's feedback page: one per student, never a class-wide page's.

    alice -> alice.html, when the name is plain (lower-case ASCII letters, digits, '.', '-',
    '_'; at most 64 characters) and not a class-wide page's (CLASS_PAGES) or a device's on
    Windows (con, nul, ...). Any other name gets its slug and 64 bits of a hash of the exact
    name, 'Bob Smith' -> bob_smith~1a2b3c4d5e6f7a8b.html: two names with the same slug, or
    that differ in case only (one file on macOS or Windows), get two pages, no plain name
    holds a '~', and no name can be searched for that takes another's page."""
    if _PLAIN_PAGE.fullmatch(student) and student not in CLASS_PAGES and \
            student.split(".")[0] not in _DEVICES:
        return f"{student}.html"
    slug = re.sub(r"[^a-z0-9._-]+", "_", student.lower()).strip("._-")[:48] or "student"
    if slug.split(".")[0] in _DEVICES:            # 'con.x~...' is the console on Windows
        slug = slug.replace(".", "_", 1)
    digest = hashlib.blake2b(student.encode("utf-8", "surrogatepass"), digest_size=8)
    return f"{slug}~{digest.hexdigest()}.html"


# ----------------------------------------------------------------------------------------------
# images

NO_PLOTS = "plots left out: matplotlib is not installed (pip install matplotlib)"


def have_matplotlib() -> bool:
    """Plots need matplotlib (the `classroom` extra); without it the pages have no images."""
    import importlib.util
    return importlib.util.find_spec("matplotlib") is not None


def _figure(width=5.2, height=3.0):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=90)
    return fig, fig.add_subplot(1, 1, 1)


def png_data_uri(fig) -> str:
    """The figure as a PNG data URI, in the margins its maker set (fig.tight_layout would
    measure every label first: a third of a plot's time)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _values(series):
    """A series as floats to draw: anything a plot cannot draw (None, NaN, inf, a magnitude
    past grader.engine.plots.MAX_MAGNITUDE, not a number) becomes NaN, a gap. Pages are also drawn from
    results read back from JSON, so this holds whatever `attach` let through."""
    from grader.engine.plots import drawable
    if not isinstance(series, (list, tuple)):
        return []
    return [math.nan if (f := drawable(v)) is None else f for v in series]


def plot_image(plot: dict) -> str:
    """A plot attached by a check (grader.engine.plots.plot) as a PNG data URI.

    "curve": every series against its step, the reference drawn first (wide, grey) and the
    student's over it; "scatter": y against x with the y = x line (and the reference's y)."""
    fig, ax = _figure()
    series = {k: _values(v) for k, v in (plot.get("series") or {}).items()}
    if plot.get("kind") == "scatter":
        x, y = series.get("x", []), series.get("y", [])
        n = min(len(x), len(y))
        finite = [v for v in x[:n] + y[:n] if math.isfinite(v)]
        if finite:
            lo, hi = min(finite), max(finite)
            pad = (hi - lo) * 0.05 or 1.0
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#999999", lw=1,
                    ls="--", label="y = x", zorder=1)
        if "reference" in series:
            r = series["reference"]
            m = min(len(x), len(r))
            ax.scatter(x[:m], r[:m], s=40, facecolors="none", edgecolors="#2c7a3f",
                       label="reference", zorder=2)
        ax.scatter(x[:n], y[:n], s=12, color="#c0392b", label="yours", zorder=3)
        ax.set_xlabel(plot.get("xlabel", "expected"))
        ax.set_ylabel(plot.get("ylabel", "yours"))
    else:
        names = sorted(series, key=lambda k: (k != "reference", k))
        styles = {"reference": dict(color="#9aa5b1", lw=4, alpha=0.8),
                  "student": dict(color="#c0392b", lw=1.5)}
        positive = True
        for name in names:
            ys = series[name]
            positive &= all(v > 0 for v in ys if math.isfinite(v))
            ax.plot(range(len(ys)), ys, label="yours" if name == "student" else name,
                    **styles.get(name, dict(lw=1.5)))
        finite = [v for ys in series.values() for v in ys if math.isfinite(v)]
        if positive and finite and max(finite) > 100 * min(finite) > 0:
            ax.set_yscale("log")
        ax.set_xlabel(plot.get("xlabel", "step"))
        ax.set_ylabel(plot.get("ylabel", "loss"))
    title = textwrap.wrap(str(plot.get("title", "")), 64)
    if len(title) > 2:
        title = [title[0], textwrap.shorten(" ".join(title[1:]), 64, placeholder=" ...")]
    ax.set_title("\n".join(title), fontsize=10 if len(title) < 2 else 9)
    fig.subplots_adjust(left=0.18, right=0.97, top=0.9 if len(title) < 2 else 0.85,
                        bottom=0.17)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return png_data_uri(fig)


PLOT_FAILED = "this plot could not be drawn"


def safe_plot_image(plot) -> str:
    """plot_image, or "" when this one plot cannot be drawn (matplotlib raising on odd data, a
    plot that is not a dict): a failure to draw costs that plot only, never the page or the
    grade. The page then says the plot could not be drawn.

    A plot drawn before in this process (the same reference curve beside the same curve of
    a correct program, on many students' pages) is not drawn again: IMAGES keeps the last
    MAX_IMAGES images by the plot's data."""
    try:
        key = json.dumps(plot, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        key = None
    if key is not None and key in IMAGES:
        IMAGES[key] = IMAGES.pop(key)     # the most recently used goes last
        return IMAGES[key]
    try:
        image = plot_image(plot)
    except Exception:  # noqa: BLE001 - one plot is not worth a page
        return ""
    if key is not None and len(key) <= MAX_KEY_CHARS:
        IMAGES[key] = image
        while len(IMAGES) > MAX_IMAGES:
            del IMAGES[next(iter(IMAGES))]
    return image


IMAGES: dict[str, str] = {}
MAX_IMAGES = 64          # about 25 KiB each
MAX_KEY_CHARS = 200_000  # a plot's data past this is drawn each time


def _plot_title(plot) -> str:
    return str(plot.get("title", "")) if isinstance(plot, dict) else ""


# ----------------------------------------------------------------------------------------------
# the page

def page_context(result: GradeResult, student: str | None = None, notes=(),
                 assignments=None, zone=None) -> dict:
    result = result.for_students()   # a student's page: nothing of what the hidden checks saw
    per_ex = result.by_exercise()
    draw = have_matplotlib()
    exercises = []
    for ex in result.exercises:
        checks = [c for c in result.checks if c.exercise == ex]
        counted = [c for c in checks if c.counted]
        score, max_score = per_ex.get(ex, (0.0, 0.0))
        missing = f"{EXERCISES.get(ex, ex)}.py" in result.missing_files
        if not counted and not missing:
            continue   # no checks for this exercise in this grader
        if missing:
            state = "no file handed in"
        elif all(c.status == "not started" for c in counted):
            state = "not started"
        else:
            state = f"{sum(c.status == 'passed' for c in counted)} of {len(counted)} checks pass"
        visible, hidden = [], []
        for c in counted:
            if c.visible:
                visible.append({
                    "name": c.label,
                    "status": c.status, "label": STATUS_LABEL.get(c.status, c.status),
                    "score": c.score, "points": c.points,
                    "message": c.message if c.status != "passed" else "",
                    "plots": [safe_plot_image(p) for p in c.plots] if draw else [],
                    "plot_titles": [_plot_title(p) for p in c.plots]})
            else:
                hidden.append({
                    "name": c.label,
                    "passed": c.status == "passed", "score": c.score, "points": c.points})
        skipped = [c for c in checks if not c.counted]
        exercises.append({
            "id": ex, "title": exercise_title(ex), "score": score, "max": max_score,
            "fraction": score / max_score if max_score else 0.0, "state": state,
            "missing": missing, "visible": visible, "hidden": hidden,
            "hidden_passed": sum(h["passed"] for h in hidden),
            "visible_passed": sum(v["status"] == "passed" for v in visible),
            "skipped": len(skipped),
            "skip_reasons": sorted({c.message for c in skipped if c.message})})
    return {"student": student or Path(str(result.submission)).name or str(result.submission),
            "score": result.score, "max": result.max_score,
            "fraction": result.score / result.max_score if result.max_score else 0.0,
            "seed": result.seed, "seconds": result.seconds, "exercises": exercises,
            "stdout_chars": result.stdout_chars, "grader_errors": bool(result.errors),
            "date": datetime.now(zone).strftime("%Y-%m-%d %H:%M %Z").strip(),
            "plot_failed": PLOT_FAILED,
            "notes": list(notes) + [n for n in result.notes if n not in notes],
            "review": review_summary(result), "review_items": result.tampering[:20],
            "assignments": assignments or [],
            "course": {"score": sum(a["score"] for a in assignments if a["counts"]),
                       "max": sum(a["max"] for a in assignments if a["counts"])}
            if assignments else None,    # the headline: the course total, as exported
            "no_plots": "" if draw or not any(c.plots for c in result.checks) else NO_PLOTS}


def render_page(result: GradeResult, student: str | None = None, notes=(),
                assignments=None, zone=None) -> str:
    return _env().get_template("feedback.html").render(
        **page_context(result, student, notes, assignments, zone))


def write_page(result: GradeResult, path, student: str | None = None, notes=(),
               assignments=None, zone=None) -> Path:
    """Write the feedback page of one graded submission to `path` (atomically); `notes` are
    remarks on how the submission was read (e.g. a file of a zip left out); `assignments`:
    the course's assignments as the page shows them (grader.classroom.course_grades.page_rows:
    due date, when handed in, late penalty, the attempt that counts); `zone`: the course's
    time zone, the page's own time is shown in it ('2026-10-02 09:15 CEST')."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = render_page(result, student, notes, assignments, zone)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
