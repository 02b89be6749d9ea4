"""Assignment boundaries: in nbgrader's submitted/STUDENT/ASSIGNMENT/ layout each exercise is
graded from its own assignment folder only. A file of it anywhere else (another exercise's
assignment, a folder nested there, a folder that is no assignment, the student's folder itself)
is noted for the instructor and the student, and not graded: late work handed in with a later
assignment never passes for the work that was due. Within its own assignment the plain rule
holds (the file nearest the top, a .py before a notebook), and the other copy is noted."""
import json
from pathlib import Path

import pytest

from grader.classroom.entries import gather
from grader.cli import main
from grader.exercises import EXERCISES, module_of
from grader.classroom.gradebook import Gradebook
from grader.sandbox import staging
from tests.conftest import lend_zygote

ROOT = Path(__file__).resolve().parents[2]
REF = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
STUB = (ROOT / "exercises" / "ex01_linear_model.py").read_text()


def late_note(ex: str, where: str) -> str:
    return (f"{staging.shown(module_of(ex) + '.py')} in assignment {staging.shown(where)} was "
            f"not graded: {ex} is graded from its own assignment folder, {module_of(ex)}/")


@pytest.mark.parametrize("on_time", [True, False])
def test_each_exercise_is_graded_from_its_own_assignment_only(tmp_path, on_time):
    """For each exercise: a file of it in every other assignment's folder (and nested there,
    in a folder that is no assignment, and beside the assignments) is not graded and is
    noted; the file in its own assignment counts, and without one the exercise is missing."""
    for ex in EXERCISES:
        student = tmp_path / ex / "submitted" / "alice"
        for other in EXERCISES:
            home = student / module_of(other)
            home.mkdir(parents=True)
            if other != ex:
                (home / f"{module_of(other)}.ipynb").write_text(f"on time {other}")
                (home / f"{module_of(ex)}.py").write_text(f"late {ex} in {other}")
            elif on_time:
                (home / f"{module_of(ex)}.ipynb").write_text(f"on time {ex}")
        nested = student / module_of("ex02" if ex != "ex02" else "ex01") / "old"
        nested.mkdir()
        (nested / f"{module_of(ex)}.py").write_text("late, nested")
        (student / "week1").mkdir()
        (student / "week1" / f"{module_of(ex)}.py").write_text("late, no assignment")
        (student / f"{module_of(ex)}.py").write_text("late, beside the assignments")
        (tmp_path / ex / "nbgrader_config.py").write_text("c = get_config()\n")

        entry = gather("alice", student, tmp_path / "out" / ex, assignments=True)
        files = {staging.exercise_of(name): name for name in entry.files}
        assert set(files) == set(EXERCISES) - ({ex} if not on_time else set()), ex
        for e, name in files.items():
            assert name == f"{module_of(e)}.ipynb" and \
                (entry.folder / name).read_text() == f"on time {e}"
        notes = "\n".join(entry.problems)
        for other in EXERCISES:
            if other != ex:
                assert late_note(ex, module_of(other)) in entry.problems, (ex, other, notes)
        assert f"'old/{module_of(ex)}.py' in assignment" in notes
        assert f"in 'week1', which is no exercise's assignment folder, was not graded" in notes
        assert f"'{module_of(ex)}.py' lies outside any assignment folder and was not graded" \
            in notes
        assert len(entry.problems) == len(EXERCISES) + 2

        found = staging.collect(student, assignments=True)    # `grade` stages alike
        assert staging.nbgrader_student(student)
        assert sorted(found.files) == sorted(files) and found.notes == entry.problems


def test_within_its_own_assignment_the_nearest_py_counts_and_the_other_is_noted(tmp_path):
    student = tmp_path / "submitted" / "alice"
    home = student / "ex01_linear_model"
    (home / "sub").mkdir(parents=True)
    (home / "ex01_linear_model.ipynb").write_text("notebook")
    (home / "ex01_linear_model.py").write_text("script")
    (home / "sub" / "ex01_linear_model.py").write_text("deeper")
    entry = gather("alice", student, tmp_path / "out", assignments=True)
    assert entry.files == ["ex01_linear_model.py"]
    assert (entry.folder / "ex01_linear_model.py").read_text() == "script"
    assert entry.problems == [
        f"{staging.shown(p)} was not graded: 'ex01_linear_model/ex01_linear_model.py' counts "
        f"for ex01 (the file nearest the top counts, a .py before a notebook)"
        for p in ("ex01_linear_model/ex01_linear_model.ipynb",
                  "ex01_linear_model/sub/ex01_linear_model.py")]
    plain = gather("alice", home, tmp_path / "plain")          # a plain folder: the same rule
    assert plain.files == ["ex01_linear_model.py"] and len(plain.problems) == 2


def test_the_note_reaches_the_gradebook_the_page_and_the_terminal(tmp_path, monkeypatch,
                                                                capsys, zygote):
    """A real class run on an nbgrader course: alice's on-time ex01 is the untouched stub, her
    correct ex01 came later inside ex02's assignment: she scores 0, with the note; `grade` of
    her folder alike (score table, results.json)."""
    course = tmp_path / "course"
    (course / "submitted" / "alice" / "ex01_linear_model").mkdir(parents=True)
    (course / "submitted" / "alice" / "ex02_gradient_descent").mkdir()
    (course / "submitted" / "bob" / "ex01_linear_model").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "submitted" / "alice" / "ex01_linear_model" / "ex01_linear_model.py").write_text(
        STUB)
    (course / "submitted" / "alice" / "ex02_gradient_descent" / "ex01_linear_model.py"
     ).write_text(REF)
    (course / "submitted" / "bob" / "ex01_linear_model" / "ex01_linear_model.py").write_text(
        REF)
    monkeypatch.chdir(course)
    monkeypatch.setenv("GRADER_VERSION", "assignment-test")
    assert main(["grade-class", ".", "--exercises", "ex01", "--jobs", "1", "--no-progress",
                 "--html-dir", "pages"]) == 0
    note = late_note("ex01", "ex02_gradient_descent")
    assert f"note: alice: {note}" in capsys.readouterr().out
    with Gradebook(course / "gradebook.db") as book:
        _, rows, maxes = book.table()
        assert book.notes("alice") == [note] and book.notes("bob") == []
    assert {name: total for name, _, total in rows} == {"alice": 0, "bob": maxes["total"]}
    page = (course / "pages" / "alice.html").read_text()
    assert note.replace("'", "&#39;") in page

    lend_zygote(monkeypatch, zygote)                              # `grade`: the same rule
    assert main(["grade", str(course / "submitted" / "alice"), "--exercises", "ex01",
                 "--json", str(tmp_path / "results.json")]) == 0
    assert f"note: {note}" in capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())
    assert note in [t.get("output") for t in results["tests"] if t["name"] == "note"]
    assert sum(t["score"] for t in results["tests"]) == 0


def _late_student(folder: Path, on_time: str, late: str, stamp: bool = False) -> Path:
    """A student's nbgrader folder: ex01's assignment holds `on_time`, and ex01 handed in
    again inside ex02's assignment holds `late`."""
    (folder / "ex01_linear_model").mkdir(parents=True)
    (folder / "ex02_gradient_descent").mkdir()
    (folder / "ex01_linear_model" / "ex01_linear_model.py").write_text(on_time)
    (folder / "ex02_gradient_descent" / "ex01_linear_model.py").write_text(late)
    if stamp:
        for name in ("ex01_linear_model", "ex02_gradient_descent"):
            (folder / name / "timestamp.txt").write_text("2025-10-01 09:00:00.000000 UTC")
    return folder


def _zip_of(folder: Path, dest: Path) -> Path:
    import zipfile
    with zipfile.ZipFile(dest, "w") as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(folder).as_posix())
    return dest


def test_the_boundary_holds_however_the_grader_is_pointed_at_the_course(tmp_path):
    """Without nbgrader_config.py (nbgrader does not need it: its configuration may live in
    ~/.jupyter), and with folders of the instructor's beside submitted/, the boundary holds for
    a student's folder, a zip put in submitted/, one assignment folder graded alone, and a
    submitted/ tree copied under another name (nbgrader's timestamp.txt): staging.collect
    decides it, for `grade`, grade-class on the course or on its submitted/ folder, and Dask.
    A plain class's student who keeps each exercise in a folder of her own is graded as
    before."""
    course = tmp_path / "course"
    (course / "notes").mkdir(parents=True)                        # the instructor's, beside
    alice = _late_student(course / "submitted" / "alice", "on time", "late")
    bob = _zip_of(_late_student(tmp_path / "bob", "on time", "late"),
                  course / "submitted" / "bob.zip")
    copied = _late_student(tmp_path / "week3" / "carol", "on time", "late", stamp=True)
    note = late_note("ex01", "ex02_gradient_descent")
    for source in (alice, bob, copied):
        assert staging.nbgrader_layout(source, {"ex01_linear_model": False,
                                                "ex02_gradient_descent": source == copied})
        found = staging.collect(source)
        assert found.files["ex01"] == ("ex01_linear_model.py", b"on time"), source
        assert note in found.notes, (source, found.notes)
        entry = gather("x", source, tmp_path / "out" / source.name)      # the class run's
        assert (entry.folder / "ex01_linear_model.py").read_text() == "on time"
        assert note in entry.problems
    assert staging.nbgrader_student(alice) and staging.nbgrader_student(copied)
    one = staging.collect(alice / "ex02_gradient_descent")      # grade submitted/alice/ex02_...
    assert one.files == {} and note in one.notes
    plain = _late_student(tmp_path / "class" / "dave", "mine", "mine too")
    found = staging.collect(plain)                              # no nbgrader layout: plain rule
    assert not staging.nbgrader_student(plain) and "ex01" in found.files
    assert not any("assignment" in n for n in found.notes)


def test_late_work_is_not_graded_when_the_submitted_folder_itself_is_graded(
        tmp_path, monkeypatch, capsys, zygote):
    """The review's two ways, graded for real on a course with no nbgrader_config.py:
    `grade-class course/submitted` (the folder the grader's own note recommends) and `grade
    course/submitted/alice`. Alice's on-time ex01 is the stub, her correct ex01 came later in
    ex02's assignment: 0 points and the note; bob's zip in submitted/ keeps his on-time work."""
    course = tmp_path / "course"
    (course / "notes").mkdir(parents=True)
    alice = _late_student(course / "submitted" / "alice", STUB, REF)
    _zip_of(_late_student(tmp_path / "bob", REF, STUB), course / "submitted" / "bob.zip")
    monkeypatch.setenv("GRADER_VERSION", "assignment-test")
    db = tmp_path / "book.db"
    assert main(["grade-class", str(course / "submitted"), "--db", str(db), "--exercises",
                 "ex01", "--jobs", "1", "--no-progress"]) == 0
    note = late_note("ex01", "ex02_gradient_descent")
    assert f"note: alice: {note}" in capsys.readouterr().out
    with Gradebook(db) as book:
        _, rows, maxes = book.table()
        assert note in book.notes("alice") and note in book.notes("bob")
    assert {name: total for name, _, total in rows} == {"alice": 0, "bob": maxes["total"]}
    lend_zygote(monkeypatch, zygote)
    for source in (alice, alice / "ex02_gradient_descent"):
        assert main(["grade", str(source), "--exercises", "ex01",
                     "--json", str(tmp_path / "results.json")]) == 0
        assert f"note: {note}" in capsys.readouterr().out
        assert sum(t["score"] for t in
                   json.loads((tmp_path / "results.json").read_text())["tests"]) == 0


# ----------------------------------------------------------------------------------------------
# a module of the student's own (common.py) counts only for its own assignment's exercises

def _nb(source: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                                  "outputs": [], "source": source}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# how ex01's file, in ex01's assignment folder, reaches common.py: {file in ex01/: text}
REACHES_COMMON = {
    "a star import": {"ex01_linear_model.py": "from common import *\n"},
    "import common": {"ex01_linear_model.py": "import common\nforward = common.forward\n"},
    "one name": {"ex01_linear_model.py": "from common import forward, loss, mse\n"},
    "through a module of its own": {"ex01_linear_model.py": "from mine import *\n",
                                    "mine.py": "from common import *\n"},
    "a notebook's cell": {"ex01_linear_model.ipynb": _nb("from common import *\n")},
}


def _student(root: Path, ex01: dict, ex02: dict) -> Path:
    student = root / "submitted" / "alice"
    for folder, files in (("ex01_linear_model", ex01), ("ex02_gradient_descent", ex02)):
        (student / folder).mkdir(parents=True)
        for name, text in files.items():
            (student / folder / name).write_text(text)
    return student


@pytest.mark.parametrize("how", REACHES_COMMON)
def test_a_module_in_another_assignment_folder_is_not_graded_for_an_exercise(tmp_path, how):
    """common.py handed in with ex02's assignment (late for ex01) is not graded where an
    exercise of another assignment imports it, however it reaches it; the note says which and
    why. (The fourth attack round's D33: ex01 = `from common import *`, common.py in ex02/.)"""
    ex02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    student = _student(tmp_path, REACHES_COMMON[how],
                       {"ex02_gradient_descent.py": ex02, "common.py": REF})
    entry = gather("alice", student, tmp_path / "out", assignments=True)
    assert "common.py" not in entry.files and "ex02_gradient_descent.py" in entry.files
    ex01 = next(n for n in REACHES_COMMON[how] if n.startswith("ex01"))
    assert [p for p in entry.problems if "common.py" in p] == [
        f"'common.py' in assignment 'ex02_gradient_descent' was not graded: '{ex01}' of "
        f"assignment 'ex01_linear_model' imports it, and a module of your own counts only for "
        f"the exercises of its own assignment folder (a copy in 'ex01_linear_model/' is "
        f"ex01's own)"], entry.problems
    assert ("mine.py" in entry.files) == (how == "through a module of its own")


def test_a_module_counts_for_its_own_assignments_exercises(tmp_path):
    """The honest layouts: each assignment's exercise imports the module of its own folder
    (the same bytes in both folders count for both), and a module nobody elsewhere imports
    is graded with its own assignment; each exercise scores as with its code in the file."""
    ex02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    student = _student(tmp_path, {"ex01_linear_model.py": "from common import *\n",
                                  "common.py": REF},
                       {"ex02_gradient_descent.py": "from common import *\nfrom helpers import *"
                                                    "\n", "common.py": REF, "helpers.py": ex02})
    entry = gather("alice", student, tmp_path / "out", assignments=True)
    assert {"common.py", "helpers.py"} <= set(entry.files) and entry.problems == []
    (student / "ex02_gradient_descent" / "common.py").write_text(REF + "\n# changed\n")
    entry = gather("alice", student, tmp_path / "out2", assignments=True)
    assert "common.py" not in entry.files and "helpers.py" in entry.files   # whichever copy:
    said = [p for p in entry.problems if "common.py" in p]                  # the other reads it
    assert len(said) == 2 and "two different modules named common: give each its own name" \
        in said[1], said


def test_an_exercise_reaching_a_later_assignments_module_scores_nothing(tmp_path, monkeypatch,
                                                                        capsys, zygote):
    """`grade` of the D33 student: ex01 is `from common import *` and common.py (correct
    code) lies in ex02's assignment: ex01 scores 0, ex02 full marks; a copy of common.py in
    ex01's own folder scores ex01 full marks."""
    ex02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    student = _student(tmp_path, {"ex01_linear_model.py": "from common import *\n"},
                       {"ex02_gradient_descent.py": ex02, "common.py": REF})
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    lend_zygote(monkeypatch, zygote)
    scores = {}
    for own_copy in (False, True):
        if own_copy:
            (student / "ex01_linear_model" / "common.py").write_text(REF)
        out = tmp_path / f"r{own_copy}.json"
        assert main(["grade", str(student), "--exercises", "ex01,ex02", "--json", str(out)]) == 0
        tests = json.loads(out.read_text())["tests"]
        scores[own_copy] = {ex: sum(t["score"] for t in tests if t["name"].startswith(ex))
                            for ex in ("ex01", "ex02")}
        capsys.readouterr()
    assert scores[False]["ex01"] == 0 and scores[False]["ex02"] > 0
    assert scores[True]["ex01"] > 0 and scores[True]["ex02"] == scores[False]["ex02"]


# how ex02's file, in ex02's assignment folder, reaches ex01's module (handed in with ex01's
# assignment, on its own date): a fresh round's B1, ex02 24/24 on time with ex01's late code
REACHES_EX01 = {
    "one line": {"ex02_gradient_descent.py": "from ex01_linear_model import forward\n"},
    "import the module": {"ex02_gradient_descent.py": "import ex01_linear_model as m\n"},
    "through a module of its own": {"ex02_gradient_descent.py": "from mine import *\n",
                                    "mine.py": "from ex01_linear_model import *\n"},
    "a notebook's cell": {"ex02_gradient_descent.ipynb": _nb("from ex01_linear_model import *\n")},
}


@pytest.mark.parametrize("how", REACHES_EX01)
def test_an_exercise_importing_another_assignments_exercise_is_not_graded(tmp_path, how):
    student = _student(tmp_path, {"ex01_linear_model.py": REF}, REACHES_EX01[how])
    entry = gather("alice", student, tmp_path / "out", assignments=True)
    ex02 = next(n for n in REACHES_EX01[how] if n.startswith("ex02"))
    assert [p for p in entry.problems if "ex01_linear_model, another" in p] == [
        f"'{ex02}' was not graded: it imports ex01_linear_model, another assignment's "
        f"exercise, and each exercise is graded from its own assignment folder alone (copy "
        f"what it needs into its own file)"], entry.problems


def test_importing_another_exercise_scores_nothing_in_assignments_and_counts_elsewhere(
        tmp_path, monkeypatch, capsys, zygote):
    """`grade`: ex02 = ex01's module imported (ex02's functions written in ex01's file): in
    nbgrader's layout ex02 scores 0 and ex01 full marks; in a plain folder, where both files
    are one hand-in, both count."""
    ex02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    names = "cost, gradient, gradient_descent, sample_gradient, stochastic_gradient_descent"
    files = ({"ex01_linear_model.py": REF + "\n" + ex02},
             {"ex02_gradient_descent.py": f"from ex01_linear_model import {names}\n"})
    lend_zygote(monkeypatch, zygote)
    scores = {}
    for layout in ("assignments", "plain"):
        root = tmp_path / layout
        if layout == "assignments":
            student = _student(root, *files)
            (root / "nbgrader_config.py").write_text("c = get_config()\n")
        else:
            student = root / "alice"
            student.mkdir(parents=True)
            for part in files:
                for name, text in part.items():
                    (student / name).write_text(text)
        out = tmp_path / f"{layout}.json"
        assert main(["grade", str(student), "--exercises", "ex01,ex02", "--json", str(out)]) == 0
        tests = json.loads(out.read_text())["tests"]
        scores[layout] = {ex: sum(t["score"] for t in tests if t["name"].startswith(ex))
                          for ex in ("ex01", "ex02")}
        capsys.readouterr()
    assert scores["assignments"]["ex02"] == 0 < scores["assignments"]["ex01"]
    assert scores["plain"]["ex02"] > 0 and scores["plain"]["ex01"] == \
        scores["assignments"]["ex01"]
