"""`python -m grader demo`: a made-up class, graded end to end in well under a minute.

    python -m grader demo --out demo_class

writes demo_class/class/ (one folder or zip per student, made from the references and the stubs
with mistakes planted in them), grades it with grade-class into demo_class/gradebook.db, prints
the score table, and writes a feedback page per student and the class summary into
demo_class/feedback/ and the grades into demo_class/grades.csv.

The students (for whichever exercises exist):
  ada   the reference solutions: full marks
  ben   the untouched stubs: zero, every check "not started"
  cleo  the references with a classic mistake planted in every other exercise (the mutants
        of the exercise's private/mutants.py that its DEMO names)
  dev   a different mistake in the others, and the last exercise not handed in
  eve   half done: the first half of the exercises solved, the rest still stubs
  finn  a zip of three exercises; ex01 calls sys.exit() when imported (costs ex01's points,
        nothing else)
  gus   nbgrader notebooks in one folder per assignment, one mistake planted in a cell

The course (demo_class/course.toml, docs/course.md): two assignments (the first half of the
exercises, then the rest; one with a single exercise), both due some days ago, 10 % off per
day late. Everyone handed in a day before each due date (the files' times; finn's zip by the
timestamps CSV an LMS gives), except cleo, who handed in the last assignment 1 day 2 hours
late (-20 %), and dev, who handed in the first a day late with a 2-day extension (on time).
The grades per assignment, raw and penalised, go to demo_class/grades-course.csv.

ex02 is written five ways (grader.instructor.demo_course): the reference (ada), cleo's, dev's,
eve's and gus's own, all correct, and finn's renamed copy of cleo's. The similarity report on
ex02 (demo_class/feedback/similarity.html, linked from the summary page) ranks that copy first.
The grades per assignment fill in a Canvas gradebook export written for the demo's students
(demo_class/canvas-gradebook-export.csv -> demo_class/canvas-import.csv) and a Moodle grade
import file (demo_class/moodle-import.csv).
"""
from __future__ import annotations

import json
import shutil
import textwrap
import zipfile
from pathlib import Path

from grader.engine.report import count
from grader.exercises import EXERCISES, module_of, mutants
from grader.instructor import demo_course

ROOT = Path(__file__).resolve().parents[2]
MARKER = ".torchdrills-demo"

CRASH = "import sys\nsys.exit('this file stops the program when it is imported')\n"


def available(exercises=None) -> list[str]:
    """The exercises that exist in this checkout: a reference and a stub."""
    out = []
    for ex in exercises or EXERCISES:
        name = module_of(ex)
        if (ROOT / "solutions" / f"{name}.py").exists() and \
                (ROOT / "exercises" / f"{name}.py").exists():
            out.append(ex)
    return out


def _reference(ex) -> str:
    return (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()


def _stub(ex) -> str:
    return (ROOT / "exercises" / f"{module_of(ex)}.py").read_text()


def demo_mutants(ex) -> list:
    """The mutants the demo class plants in `ex`, in order: those its private/mutants.py names in
    DEMO (each says what it is), whose function the reference defines."""
    module = mutants(ex)
    by_name = {m.name: m for m in module.MUTANTS}
    source = _reference(ex)
    return [by_name[name] for name in getattr(module, "DEMO", ())
            if f"def {by_name[name].target}(" in source]


def _mutant(ex, which: int):
    """The planted mutant `which` of `ex` (cycling through them), or None when none fits."""
    fitting = demo_mutants(ex)
    return fitting[which % len(fitting)] if fitting else None


def _mistake(ex, which: int):
    """(description, code) of a planted mistake of `ex` that fits its reference, or None."""
    mutant = _mutant(ex, which)
    if mutant is None:
        return None
    return mutant.what, textwrap.dedent(mutant.code).strip() + "\n"


def _with_mistake(ex, which):
    planted = _mistake(ex, which)
    if planted is None:   # no known mistake fits: this exercise is left unsolved instead
        return _stub(ex), "not started (no planted mistake fits this exercise)"
    what, code = planted
    return _reference(ex) + "\n\n# --- a planted mistake ---\n" + code, what


def plant_in_notebook(nb: dict, ex: str, which: int) -> str | None:
    """Plant mistake `which` of `ex` in a notebook, at the end of the answer cell that defines
    the function (before its check cell, so nbgrader's run sees it too); its description, or
    None when no mistake fits."""
    planted = _mistake(ex, which)
    if planted is None:
        return None
    what, code = planted
    target = _mutant(ex, which).target
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if cell.get("cell_type") == "code" and f"def {target}(" in src:
            cell["source"] = src.rstrip("\n") + "\n\n# --- a planted mistake ---\n" + code
            return what
    nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                        "outputs": [], "source": code})
    return what


def make_class(out, exercises=None) -> dict[str, list[str]]:
    """Write the demo class into `out`; return {student: [what is planted, ...]}."""
    out = Path(out)
    exs = available(exercises)
    if out.exists():
        if not (out / MARKER).exists():
            raise FileExistsError(f"{out} exists and is not a demo class folder; choose another "
                                  f"--out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("written by python -m grader demo; safe to delete\n")
    notes: dict[str, list[str]] = {}

    def put(student, ex, text):
        folder = out / student
        folder.mkdir(exist_ok=True)
        (folder / f"{module_of(ex)}.py").write_text(text)

    for ex in exs:
        put("ada", ex, _reference(ex))
        put("ben", ex, _stub(ex))
    notes["ada"] = ["the reference solutions"]
    notes["ben"] = ["the untouched stubs"]

    notes["cleo"], notes["dev"] = [], []
    for i, ex in enumerate(exs):
        who, other = ("cleo", "dev") if i % 2 == 0 else ("dev", "cleo")
        put(other, ex, _reference(ex))
        if who == "dev" and i == len(exs) - 1:
            notes["dev"].append(f"{ex}: not handed in")
            continue
        text, what = _with_mistake(ex, 0)
        put(who, ex, text)
        notes[who].append(f"{ex}: {what}")
    if len(exs) == 1:   # one exercise: dev gets the second mistake of it
        text, what = _with_mistake(exs[0], 1)
        put("dev", exs[0], text)
        notes["dev"] = [f"{exs[0]}: {what}"]

    half = (len(exs) + 1) // 2
    for i, ex in enumerate(exs):
        put("eve", ex, _reference(ex) if i < half else _stub(ex))
    notes["eve"] = [f"solved {', '.join(exs[:half])}" + (f"; {', '.join(exs[half:])} still stubs"
                                                          if exs[half:] else "")]

    finn = out / "_finn"
    for i, ex in enumerate(exs[:3]):
        text = CRASH if i == 0 else _reference(ex)
        if i and ex == demo_course.SIMILAR_EX:       # a renamed copy of cleo's own ex02
            text = demo_course.ex02_text(demo_course.COPIER, text)
        (finn / "finn").mkdir(parents=True, exist_ok=True)
        (finn / "finn" / f"{module_of(ex)}.py").write_text(text)
    with zipfile.ZipFile(out / "finn.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((finn / "finn").iterdir()):
            zf.write(f, f"finn/{f.name}")
    shutil.rmtree(finn)
    notes["finn"] = [f"a zip of {', '.join(exs[:3])} only; {exs[0]} calls sys.exit() when "
                     f"imported"]

    notes["gus"] = []
    for i, ex in enumerate(exs):
        name = module_of(ex)
        folder = out / "gus" / name
        folder.mkdir(parents=True, exist_ok=True)
        source = ROOT / "source_notebooks" / name / f"{name}.ipynb"
        plant = i == len(exs) // 2
        if source.exists():
            nb = json.loads(source.read_text())
            if ex == demo_course.SIMILAR_EX and not plant:
                nb = demo_course.ex02_notebook(nb, "gus")
            what = plant_in_notebook(nb, ex, 1) if plant else None
            (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
        else:
            text, what = _with_mistake(ex, 1) if plant else (_reference(ex), None)
            if ex == demo_course.SIMILAR_EX and not plant:
                text = demo_course.ex02_text("gus", text)
            (folder / f"{name}.py").write_text(text)
        if what:
            notes["gus"].append(f"{ex}: {what}")
    notes["gus"].insert(0, "nbgrader notebooks, one folder per assignment")
    _own_ex02(out, exs, notes)
    return notes


def _own_ex02(out: Path, exs, notes) -> None:
    """cleo, dev and eve write ex02 their own way where they had the reference (a planted
    mistake stays on top); gus's and finn's were written so above (demo_course)."""
    ex = demo_course.SIMILAR_EX
    if ex not in exs:
        return
    ref = _reference(ex)
    for student in ("cleo", "dev", "eve"):
        path = out / student / f"{module_of(ex)}.py"
        if path.exists() and path.read_text().startswith(ref):
            path.write_text(demo_course.ex02_text(student, ref) + path.read_text()[len(ref):])
            notes[student].append(f"{ex} written {'her' if student != 'dev' else 'his'} "
                                  f"own way")
    notes["gus"].append(f"{ex} written his own way")
    if ex in exs[1:3]:
        notes["finn"].append(f"{ex} a renamed copy of cleo's")


def run_demo(out="demo_class", *, jobs=None, exercises=None, seed=None,
             progress=True) -> int:
    import time

    from grader.classroom.run import grade_class
    from grader.classroom.gradebook import Gradebook
    out = Path(out)
    exs = available(exercises)
    if not exs:
        print("error: no exercise has both a reference (solutions/) and a stub (exercises/)")
        return 1
    started = time.perf_counter()
    notes = make_class(out / "class", exs)
    print(f"demo class: {count(len(notes), 'student')} in {out / 'class'}, exercises {', '.join(exs)}")
    for student, what in notes.items():
        print(f"  {student:<5} {'; '.join(what)}")
    course, stamps = _course(out, exs)
    similar = demo_course.similarity_report(out) if demo_course.SIMILAR_EX in exs else None
    run = grade_class(out / "class", db=out / "gradebook.db", jobs=jobs, seed=seed,
                      exercises=exs, html_dir=out / "feedback", progress=progress,
                      course=course, timestamps=stamps)
    print(run.line())
    print()
    with Gradebook(out / "gradebook.db") as book:
        print(book.format_table())
        book.export_csv(out / "grades.csv")
        print()
        _print_course(book, course, out)
        lms = demo_course.lms_exports(book, course, out)
    print()
    print(f"feedback pages: {out / 'feedback'}/<student>.html; "
          f"class summary: {out / 'feedback' / 'summary.html'}")
    print(f"grades as CSV: {out / 'grades.csv'}; gradebook: {out / 'gradebook.db'}")
    demo_course.print_lms(lms)
    if similar:
        demo_course.print_similarity(*similar)
    print(f"demo done in {time.perf_counter() - started:.1f} s")
    return 0


def _course(out: Path, exs) -> tuple:
    """Write out/course.toml (beside the class folder) and date every student's files as the
    module docstring says; returns (the course, the timestamps an LMS would give)."""
    from datetime import datetime, timedelta, timezone
    import os
    from grader.classroom.course_file import load_course
    today = datetime.now(timezone.utc).replace(hour=23, minute=59, second=0, microsecond=0)
    half = (len(exs) + 1) // 2
    parts = [("week1", exs[:half], today - timedelta(days=10)),
             ("week2", exs[half:], today - timedelta(days=3))]
    parts = [p for p in parts if p[1]]
    text = 'time_zone = "UTC"\n\n[late]\npenalty = 10\nper = "day"\ncap = 50\ngrace = "15m"\n'
    for name, members, due in parts:
        text += (f'\n[[assignment]]\nname = "{name}"\nexercises = {json.dumps(members)}\n'
                 f'due = {due.strftime("%Y-%m-%dT%H:%M:%S")}\n')
    text += '\n[[extension]]\nstudent = "dev"\nassignment = "week1"\ndays = 2\n'
    (out / "course.toml").write_text(text)
    course = load_course(out / "course.toml")
    when = {}
    for name, members, due in parts:
        for ex in members:
            when[ex] = due - timedelta(days=1)
            if name == parts[-1][0]:
                when[("cleo", ex)] = due + timedelta(days=1, hours=2)
            if name == "week1":
                when[("dev", ex)] = due + timedelta(days=1)
    for student in (out / "class").iterdir():
        for path in student.rglob("ex*") if student.is_dir() else ():
            ex = path.name[:4]
            if ex in when and path.is_file():
                t = when.get((student.name, ex), when[ex]).timestamp()
                os.utime(path, (t, t))
    return course, {"finn": parts[0][2] - timedelta(days=1)}


def _print_course(book, course, out: Path) -> None:
    from grader.classroom.course_grades import course_grades, export_course_csv
    print(f"course {out / 'course.toml'}: " + "; ".join(
        f"{a.name} ({', '.join(a.exercises)}) due {a.due:%Y-%m-%d %H:%M} UTC"
        for a in course.assignments))
    for student, graded in course_grades(book, course).items():
        for g in graded:
            if g.late is not None or g.extended:
                said = g.late_text() or "on time"
                print(f"  {student:<5} {g.assignment}: {said}"
                      + (f" (extended to {g.due_text()[:16]})" if g.extended else "")
                      + f"; {g.score:g} of {g.max:g} points, raw {g.raw:g}")
    export_course_csv(book, course, out / "grades-course.csv")
    print(f"grades per assignment, raw and penalised: {out / 'grades-course.csv'}")
