"""The class summary page, for the instructor: how the class did, and where it struggled.

    write_summary(Gradebook("gradebook.db"), "feedback/summary.html")

One self-contained HTML file: the score histogram, the mean of each exercise, the pass rate of
every check (hardest first), the mistakes the checks named most often (the hints of their
results: data the checks set, never lines read out of a message, which may quote a student's
own text), the grading time per submission, and a table of students linking to their feedback
pages (alice.html beside summary.html; see grader.classroom.feedback.page_name).
"""
from __future__ import annotations

import os
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from grader.exercises import EXERCISES
from grader.classroom.feedback import (NO_PLOTS, _env, _figure, exercise_title, have_matplotlib,
                             page_name, png_data_uri)
from grader.engine.result import GradeResult


def hints(check) -> list[str]:
    """The mistakes a check's result names (CheckResult.hints, set by the check when it named
    one). Its message is never searched for them: a student's exception or output quoted in it
    could say anything."""
    return [h for h in getattr(check, "hints", None) or () if h]


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def mistake_key(hint: str) -> str:
    """The hint with its numbers blanked: 'this is 4 times ... (N = 4)' and 'this is 6 times
    ... (N = 6)' name the same mistake."""
    return _NUMBER.sub("#", hint)


def _histogram(values, xlabel, bins, color):
    if not have_matplotlib():
        return ""
    fig, ax = _figure(6.0, 2.8)
    if values:
        ax.hist(values, bins=bins, color=color, edgecolor="white")
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("submissions")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()      # two per class: measured, unlike a student's many plots
    return png_data_uri(fig)


def summary_context(results: dict[str, GradeResult], *, title="Class summary", pages=None,
                    extra=None, course_totals=None) -> dict:
    """`results`: student -> GradeResult; `pages`: student -> link of her feedback page;
    `course_totals` (with a course file): student -> (the total of her counted assignments
    after late penalties, before them, the points they are worth), what the students' table,
    the mean and the histogram show, as `export --course` writes it."""
    pages = pages or {}
    order = {ex: i for i, ex in enumerate(EXERCISES)}
    names = sorted(results)
    course_totals = course_totals or {}
    totals = {s: course_totals[s][0] if s in course_totals else results[s].score
              for s in names}
    raws = {s: course_totals[s][1] if s in course_totals else results[s].score for s in names}
    maxes = {s: course_totals[s][2] if s in course_totals else results[s].max_score
             for s in names}
    max_total = max(maxes.values(), default=0.0)

    # exercises: mean score
    ex_scores = defaultdict(list)
    ex_max = {}
    for r in results.values():
        for ex, (score, mx) in r.by_exercise().items():
            if mx:
                ex_scores[ex].append(score)
                ex_max[ex] = max(ex_max.get(ex, 0.0), mx)
    exercises = [{"id": ex, "title": exercise_title(ex), "mean": statistics.fmean(ex_scores[ex]),
                  "max": ex_max[ex],
                  "fraction": statistics.fmean(ex_scores[ex]) / ex_max[ex]}
                 for ex in sorted(ex_scores, key=lambda e: (order.get(e, 99), e))]

    # checks: pass rate among those who handed the exercise in, hardest first; a student with
    # no file for it (or never graded for it) is "not handed in", never "failed"
    checks = {}
    for r in results.values():
        missing = {ex for ex in r.exercises if f"{EXERCISES.get(ex, ex)}.py" in r.missing_files}
        for c in r.checks:
            if not c.counted or c.exercise in missing:
                continue
            row = checks.setdefault(c.nodeid, {"exercise": c.exercise, "name": c.name,
                                               "visible": c.visible, "passed": 0, "total": 0,
                                               "not_started": 0, "not_handed_in": 0})
            row["total"] += 1
            row["passed"] += c.status == "passed"
            row["not_started"] += c.status == "not started"
    for row in checks.values():
        row["not_handed_in"] = len(results) - row["total"]
        row["rate"] = row["passed"] / row["total"] if row["total"] else 0.0
    for r in results.values():       # a check only missing students have: all not handed in
        for c in r.checks:
            if c.counted and c.nodeid not in checks:
                checks[c.nodeid] = {"exercise": c.exercise, "name": c.name,
                                    "visible": c.visible, "passed": 0, "total": 0,
                                    "not_started": 0, "not_handed_in": len(results),
                                    "rate": 0.0}
    check_rows = sorted(checks.values(), key=lambda r: (not r["total"], r["rate"],
                                                        order.get(r["exercise"], 99), r["name"]))

    # mistakes: the hints, counted once per student
    mistakes = Counter()
    where = {}
    for s, r in results.items():
        seen = set()
        for c in r.checks:
            if c.status not in ("failed", "error"):
                continue
            for h in hints(c):
                key = (c.exercise, c.target, mistake_key(h))
                if key not in seen:
                    seen.add(key)
                    mistakes[key] += 1
                    where.setdefault(key, (h, c.name))
    mistake_rows = [{"exercise": ex, "target": target, "hint": where[(ex, target, k)][0],
                     "students": n, "example": where[(ex, target, k)][1]}
                    for (ex, target, k), n in sorted(mistakes.items(),
                                                     key=lambda kv: (-kv[1], kv[0]))[:25]]

    # time per submission
    seconds = {s: results[s].seconds for s in names}
    times = list(seconds.values())
    slowest = sorted(seconds.items(), key=lambda kv: -kv[1])[:5]

    students = [{"name": s, "score": totals[s], "max": maxes[s], "raw": raws[s],
                 "fraction": totals[s] / maxes[s] if maxes[s] else 0.0,
                 "seconds": seconds[s], "errors": bool(results[s].errors),
                 "review": bool(results[s].tampering), "page": pages.get(s), "late": ""}
                for s in names]
    # submissions whose source reaches into what grades them: points withheld, to review
    review = [{"name": s, "page": pages.get(s), "found": results[s].tampering[:5],
               "more": max(0, len(results[s].tampering) - 5),
               "withheld": sum(c.points for c in results[s].checks if c.status == "withheld")}
              for s in names if results[s].tampering]
    score_list = list(totals.values())
    ctx = {
        "title": title, "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "n": len(names), "max_total": max_total,
        "mean": statistics.fmean(score_list) if score_list else 0.0,
        "median": statistics.median(score_list) if score_list else 0.0,
        "full": sum(1 for s in names if maxes[s] and totals[s] >= maxes[s] - 1e-9),
        "course_totals": bool(course_totals),
        "zero": sum(1 for s in names if totals[s] == 0),
        "score_hist": _histogram(score_list, f"total points (of {max_total:g})",
                                 _bins(max_total, len(score_list)), "#3b6fb6"),
        "time_hist": _histogram(times, "seconds to grade one submission",
                                min(20, max(5, len(times) // 2)), "#8e6bbf"),
        "no_plots": "" if have_matplotlib() else NO_PLOTS,
        "time_mean": statistics.fmean(times) if times else 0.0,
        "time_median": statistics.median(times) if times else 0.0,
        "time_max": max(times, default=0.0), "slowest": slowest,
        "exercises": exercises, "checks": check_rows, "mistakes": mistake_rows,
        "students": students, "review": review, "extra": extra or {},
        "assignments": [],          # with a course file: write_summary's assignment_summary
    }
    return ctx


def _bins(max_total, n):
    if max_total <= 0:
        return 10
    return [max_total * i / 20 for i in range(21)]


def write_summary(source, path, *, title=None, course=None) -> Path:
    """Write the summary page of a gradebook (grader.classroom.gradebook.Gradebook) or of a dict
    student -> GradeResult to `path`; links go to `<student>.html` pages that exist beside it.
    `course` (grader.classroom.course_file.Course, with a gradebook): a table per assignment
    of who handed in on time, late, too late or not at all, and the raw and penalised
    means."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {}
    if isinstance(source, dict):
        results = source
    else:
        results = source.results()
        extra = {"seed": source.get_meta("seed"), "gradebook": str(source.path)}
    pages = {s: page_name(s) for s in results if (path.parent / page_name(s)).exists()}
    if (path.parent / "similarity.html").is_file():   # written by `similarity --html`
        extra["similarity"] = "similarity.html"
    assignments, late, totals = [], {}, None
    if course is not None and not isinstance(source, dict):
        assignments, late, totals = assignment_summary(source, course)
    ctx = summary_context(results, title=title or "Class summary", pages=pages, extra=extra,
                          course_totals=totals)
    ctx["assignments"] = assignments
    if course is not None:      # the page's time in the course's zone, named
        ctx["date"] = datetime.now(course.zone()).strftime("%Y-%m-%d %H:%M %Z")
    for row in ctx["students"]:
        row["late"] = late.get(row["name"], "")
    html = _env().get_template("summary.html").render(**ctx)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path


def assignment_summary(book, course) -> tuple[list[dict], dict[str, str], dict]:
    """Per assignment: due date, how many handed in on time, late, after the last date
    accepted, not at all, the mean raw and penalised scores; {student: her late
    assignments, e.g. 'week2 (-20 %)'}; and {student: (her total, penalised, of the
    assignments that count now, her raw total of them, the points they are worth)}: the
    total `export --course` writes."""
    from grader.classroom.course_grades import NOT_HANDED_IN, course_grades
    grades = course_grades(book, course)
    rows, late = [], {}
    totals = {student: (sum(g.score for g in graded if g.counts),
                        sum(g.raw for g in graded if g.counts),
                        sum(g.max for g in graded if g.counts))
              for student, graded in grades.items()}
    for i, a in enumerate(course.assignments):
        mine = [graded[i] for graded in grades.values()]
        handed = [g for g in mine if g.status != NOT_HANDED_IN]
        rows.append({"name": a.name, "exercises": ", ".join(a.exercises),
                     "due": mine[0].due_text() if mine else "",
                     "counts": any(g.counts for g in mine),
                     "on_time": sum(g.status == "on time" for g in mine),
                     "late": sum(g.status == "late" for g in mine),
                     "too_late": sum(g.status == "too late" for g in mine),
                     "not_handed_in": len(mine) - len(handed),
                     "raw": statistics.fmean([g.raw for g in handed]) if handed else 0.0,
                     "score": statistics.fmean([g.score for g in handed]) if handed else 0.0,
                     "max": max((g.max for g in mine), default=0.0),
                     "graded": any(g.graded for g in mine)})
        for student, graded in grades.items():
            g = graded[i]
            if g.status in ("late", "too late"):
                which = f": {', '.join(g.late_exercises)}" if len(a.exercises) > 1 and \
                    g.late_exercises else ""          # which exercise's file was late
                text = f"{a.name}{which} ({'0: too late' if g.too_late else f'-{g.penalty:.0%}'})"
                late[student] = f"{late[student]}, {text}" if student in late else text
    return rows, late, totals


NO_SIMILARITY = '<span id="similarity"></span>'     # where summary.html links the report


def link_similarity(report) -> bool:
    """Link the similarity report `report` from the summary.html beside it, written before the
    report was (a class run links it when it writes the summary; `similarity` runs after
    grading): the page's place for the link is filled in. False where there is no summary
    page of this grader's there, or it links one already."""
    report = Path(report)
    summary = report.parent / "summary.html"
    try:
        if not summary.is_file() or summary.is_symlink():
            return False
        text = summary.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if text.count(NO_SIMILARITY) != 1:
        return False
    from html import escape
    from urllib.parse import quote
    link = (f' &middot; <a id="similarity" href="{escape(quote(report.name))}">similarity '
            f'report</a> (evidence to read, never a score)')
    tmp = summary.with_name(f".{summary.name}.{os.getpid()}.tmp")
    tmp.write_text(text.replace(NO_SIMILARITY, link), encoding="utf-8")
    os.replace(tmp, summary)
    return True
