"""What a third round of running a real course (issue 21) left: a class folder whose names
match none of the gradebook's (another LMS's export: full names where the gradebook has
logins) mapped onto the gradebook's students with `grade-class --names map.csv`; an
assignment none of whose exercises has been graded yet; the run's class mean, raw, beside the
course's, penalised."""
import csv
import io
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from grader.cli import main
from tests.conftest import exercise_points

ROOT = Path(__file__).resolve().parents[2]


def reference(ex="ex01_linear_model"):
    return (ROOT / "solutions" / f"{ex}.py").read_text()


def graded(ex, passed=2, of=2):
    from grader.engine.runner import CheckResult, GradeResult
    checks = [CheckResult(nodeid=f"v/test_{ex}.py::t{i}", exercise=ex, target=f"t{i}",
                          title=f"t{i}", params="", points=2.0, visible=True,
                          status="passed" if i < passed else "failed", message="",
                          seconds=0.01) for i in range(of)]
    return GradeResult(submission="x", seed=7, checks=checks, exercises=[ex], seconds=0.1)


def logins(tmp_path):
    """A gradebook of two students filed by login, each with 4 of 4 points in ex01."""
    from grader.classroom.gradebook import Gradebook
    with Gradebook(tmp_path / "g.db") as book:
        for login in ("asmith", "bjones"):
            book.record(login, graded("ex01"), content_hash=f"x{login}")
    return tmp_path / "g.db"


def runs(db):
    with closing(sqlite3.connect(db)) as con:
        return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def students(db):
    from grader.classroom.gradebook import Gradebook
    with Gradebook(db) as book:
        return book.students()


def folder(tmp_path, *names):
    for name in names:
        (tmp_path / "lms2" / name).mkdir(parents=True)
        (tmp_path / "lms2" / name / "ex01_linear_model.py").write_text(reference())
    return tmp_path / "lms2"


def write_map(tmp_path, text):
    (tmp_path / "map.csv").write_text(text)
    return str(tmp_path / "map.csv")


# ----------------------------------------------------------------------------------------------
# --names: another LMS's export filed under the gradebook's names

def test_a_map_of_names_files_another_lms_export_in_the_students_rows(tmp_path, capsys):
    """The trial: the gradebook names asmith and bjones; Moodle's download names them 'Alice
    Smith_4567_assignsubmission_file_' and 'Bob Jones'. With --names, their work lands in
    their rows (ex01 graded again: 18 points where the gradebook had 4), no new student is
    made, and the run says which entries it filed so; the next run with the same map finds
    nothing new."""
    db = logins(tmp_path)
    lms2 = folder(tmp_path, "Alice Smith_4567_assignsubmission_file_", "Bob Jones")
    names = write_map(tmp_path, "folder,student\nAlice Smith,asmith\nBob Jones,bjones\n")
    assert main(["grade-class", str(lms2), "--db", str(db), "--names", names,
                 "--exercises", "ex01", "--jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert students(db) == ["asmith", "bjones"]
    assert f"  note: --names {names}: 2 entries filed as the gradebook names them: 'Alice " \
           f"Smith' as 'asmith', 'Bob Jones' as 'bjones'" in out.splitlines(), out
    assert "no student of this class folder" not in out
    assert main(["export", "--csv", "-", "--db", str(db)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    full = str(exercise_points("ex01"))
    assert [(r["student"], r["ex01"]) for r in rows] == [("asmith", full), ("bjones", full)]
    # next week, the same download and map: nothing new to grade, no one moved
    assert main(["grade-class", str(lms2), "--db", str(db), "--names", names,
                 "--exercises", "ex01", "--jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "graded 0 of 2 submissions (2 already in the gradebook)" in out, out
    assert "graded from" not in out and students(db) == ["asmith", "bjones"]


def test_a_map_line_for_no_entry_is_named_and_the_others_applied(tmp_path):
    """A map kept for the term names students who handed in nothing this week: their lines
    are named as unused, the others applied."""
    from grader.classroom.roster import Names, apply_names
    names = Names({"Alice Smith": ("asmith", 2), "Bob Jones": ("bjones", 3)})
    names.path = "map.csv"
    entry = tmp_path / "Alice Smith"
    entry.mkdir()
    entries, notes = apply_names([("Alice Smith", entry)], names, ["asmith", "bjones"])
    assert entries == [("asmith", entry)]
    assert notes == ["--names map.csv: 1 entry filed as the gradebook names her: 'Alice "
                     "Smith' as 'asmith'",
                     "--names map.csv: 1 line names no entry of this class folder (not "
                     "used): line 3 'Bob Jones'"]


def test_a_run_that_forgets_the_map_says_which_line_keeps_her_rows(tmp_path):
    """A week graded without --names files 'Alice Smith' as a new student beside asmith,
    whose rows this very entry filled at the run before: the run names the line of the map
    that keeps her rows. A run whose map files her so now, or a name filing gave with a hash
    (two entries that read alike), gets no such line."""
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.roster import moves
    entry = tmp_path / "Alice Smith"
    entry.mkdir()
    with Gradebook(tmp_path / "g.db") as book:
        said = moves({"asmith": "Alice Smith"}, [("Alice Smith", entry)], book, tmp_path)
        assert said == ["the gradebook holds 1 student of this class folder that no entry maps "
                        "to any more: 'asmith' (from 'Alice Smith', graded as 'Alice Smith' "
                        "now: to keep her rows, give the --names map again, e.g. 'Alice "
                        "Smith,asmith'); each row keeps its last grade, and export writes it "
                        "with a warning"]
        mapped = moves({"Alice Smith": "Alice Smith"}, [("asmith", entry)], book, tmp_path,
                       mapped={"Alice Smith"})
        hashed = moves({"alice~0123abcd": "Alice Smith"}, [("Alice Smith", entry)], book,
                       tmp_path)
    assert len(mapped) == len(hashed) == 1
    assert "--names" not in mapped[0] + hashed[0]


@pytest.mark.parametrize("text, said", [
    ("folder,student\nAlice Smith,asmyth\n",
     "line 2: 'asmyth' is no student of the gradebook (did you mean 'asmith'?): a map files "
     "an entry under a name the gradebook already holds, so that her work lands in her rows"),
    ("folder,student\nAlice Smith,asmith\nBob Jones,asmith\n",
     "line 3: two folders mapped to 'asmith', 'Bob Jones' and 'Alice Smith' (line 2): one "
     "folder per student"),
    ("folder,student\nAlice Smith,asmith\nAlice Smith,bjones\n",
     "line 3: the folder 'Alice Smith' is on line 2 too, mapped to 'asmith': one student per "
     "folder"),
    ("name,login\nAlice Smith,asmith\n",
     "line 1 should name the columns folder,student (it has name, login), e.g. "
     "'folder,student' then 'Alice Smith,asmith'"),
    ("folder,student\nAlice Smith,asmith\n", None),
])
def test_a_map_naming_an_unknown_student_or_one_student_twice_is_refused(tmp_path, capsys,
                                                                         text, said):
    """Exit 2, one line naming the map's line, nothing graded (no run recorded, the
    gradebook's students as they were). The last case: the folder holds 'asmith' too, and
    the map files 'Alice Smith' as her: two entries, one student."""
    db = logins(tmp_path)
    lms2 = folder(tmp_path, "Alice Smith", "asmith")
    names = write_map(tmp_path, text)
    assert main(["grade-class", str(lms2), "--db", str(db), "--names", names,
                 "--exercises", "ex01", "--jobs", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    if said is None:
        said = ("the entries 'Alice Smith' and 'asmith' would both be filed as 'asmith': one "
                "entry per student in a run (map only the one that is hers)")
    assert err[-1] == f"error: --names {names}: {said}", err
    assert runs(db) == 0 and students(db) == ["asmith", "bjones"]


def test_the_note_on_a_class_folder_with_no_name_in_common_says_how_to_map_it():
    from grader.classroom.roster import no_names_in_common

    class Book:
        def students(self):
            return ["asmith", "bjones"]

    said = no_names_in_common(Book(), [("Alice Smith", None), ("Bob Jones", None)])
    assert len(said) == 1 and "Map each entry to the gradebook's name with --names map.csv " \
        "(columns folder,student, e.g. 'Alice Smith,asmith') and run again" in said[0]


# ----------------------------------------------------------------------------------------------
# an assignment none of whose exercises has been graded yet

COURSE = """\
time_zone = "UTC"
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2020-10-01T23:59:00
[[assignment]]
name = "week2"
exercises = ["ex02", "ex03"]
due = 2020-10-08T23:59:00
"""


@pytest.fixture
def week1_graded(tmp_path):
    """Week 1 graded (alice 4 of 4, bob 2 of 4, on time); week 2 past due, nothing of it
    graded yet."""
    from datetime import datetime, timezone
    from grader.classroom.course_file import load_course
    from grader.classroom.gradebook import Gradebook
    (tmp_path / "course.toml").write_text(COURSE)
    book = Gradebook(tmp_path / "g.db")
    for student, passed in (("alice", 2), ("bob", 1)):
        book.record(student, graded("ex01", passed), content_hash=f"h{student}",
                    files={"ex01": f"f{student}"},
                    handed_in={"ex01": datetime(2020, 10, 1, 20, tzinfo=timezone.utc)})
    yield book, load_course(tmp_path / "course.toml")
    book.close()


def test_an_assignment_not_graded_yet_says_so_on_the_page_and_the_summary(week1_graded,
                                                                           tmp_path):
    """The trial: week2, past due and none of its exercises graded, read '0 / 0' on every
    page and in the summary's table. It reads 'not graded yet', and the course total is
    week1's alone."""
    from grader.classroom.course_grades import course_grades, page_rows
    from grader.classroom.feedback import render_page
    from grader.classroom.summary import write_summary
    book, course = week1_graded
    alice = course_grades(book, course, student="alice")["alice"]
    assert [g.line() for g in alice] == ["week1: 4 of 4, attempt 1 of 1",
                                         "week2: not graded yet"]
    html = render_page(book.result("alice"), student="alice", assignments=page_rows(alice))
    row = html.split('<tr class="assignment', 3)[2]
    assert "week2" in row and "not graded yet" in row and "0 / 0" not in row, row
    assert '<div class="big" id="total">4 / 4 points</div>' in html
    write_summary(book, tmp_path / "summary.html", course=course)
    summary = (tmp_path / "summary.html").read_text()
    table = summary.split('<table id="assignments">', 1)[1].split("</table>", 1)[0]
    week2 = table.split("week2", 1)[1]
    assert "not graded yet" in week2 and "0 / 0" not in week2, table
    assert "3 / 4" in table.split("week2", 1)[0]          # week1's mean: (4 + 2) / 2


def test_an_assignment_not_graded_yet_exports_empty_cells_not_zero(week1_graded, tmp_path):
    """The course CSV wrote week2 as 0 (raw 0, 'not handed in') for everyone, and an LMS would
    import those zeros; its cells stay empty and say why, and the total is week1's."""
    from grader.classroom.course_grades import export_course_csv
    from grader.classroom.lms import grades
    book, course = week1_graded
    export_course_csv(book, course, tmp_path / "grades.csv")
    rows = list(csv.reader((tmp_path / "grades.csv").open()))
    assert rows == [["student", "week1", "week1 raw", "week1 late", "week2", "week2 raw",
                     "week2 late", "total"],
                    ["alice", "4", "4", "", "", "", "not graded yet", "4"],
                    ["bob", "2", "2", "", "", "", "not graded yet", "2"]]
    names, points, scores = grades(book, None, course)     # the LMS's: no column of 0 / 0
    assert (names, points, scores["alice"]["week1"]) == (["week1"], {"week1": 4}, 4)


# ----------------------------------------------------------------------------------------------
# the run's class mean, raw, beside the course's, penalised

LATE_COURSE = """\
time_zone = "UTC"
[late]
penalty = 10
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2020-10-01T23:59:00
"""


def test_a_course_run_gives_the_class_mean_after_late_penalties_too(tmp_path, capsys):
    """The run's first line said 'class mean 18.0 / 18' (every exercise graded, raw) while
    its per-assignment line said 'mean 16.2 of 18 after late penalties': which is the
    class's? Under a course file the first line says both, before and after late penalties
    (the demo prints the plain line: the README's output); the per-assignment lines end with
    the course total's mean, as export --course writes it."""
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "course.toml").write_text(LATE_COURSE)
    (tmp_path / "t.csv").write_text("student,submitted_at\nalice,2020-10-02T10:00:00Z\n")
    assert main(["grade-class", str(tmp_path / "subs"), "--db", str(tmp_path / "g.db"),
                 "--timestamps", str(tmp_path / "t.csv"), "--jobs", "1",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    full = exercise_points("ex01")
    late = f"{full * 0.9:.1f}"       # LATE_COURSE: 10% off a late hand-in
    assert re.fullmatch(r"graded 1 of 1 submissions in \d+\.\d s with 1 job, seed \d+; class "
                        rf"mean {full}\.0 / {full} before late penalties, {re.escape(late)} "
                        r"after; gradebook \S+g\.db", out[0]), out[0]
    notes = [line for line in out if "after late penalties" in line]
    assert notes == [f"  note: week1 (due 2020-10-01 23:59 UTC): 1 late (alice); mean {late} of "
                     f"{full} after late penalties",
                     f"  note: course total: class mean {late} of {full} after late penalties "
                     "(week1: the assignments that count now, as export --course writes "
                     "them)"], out


def test_a_student_with_nothing_counted_yet_reads_so_not_0_of_0(tmp_path):
    """Week 1 due and not graded yet, week 2 graded early for feedback: nothing of hers
    counts yet. Her page's headline and title, and her row in the summary, said '0 / 0'."""
    from datetime import datetime, timezone
    from grader.classroom.course_file import load_course
    from grader.classroom.course_grades import course_grades, page_rows
    from grader.classroom.feedback import render_page
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.summary import write_summary
    (tmp_path / "course.toml").write_text(COURSE.replace("due = 2020-10-08", "due = 2099-10-08"))
    course = load_course(tmp_path / "course.toml")
    with Gradebook(tmp_path / "g.db") as book:
        book.record("alice", graded("ex02"), content_hash="h", files={"ex02": "f"},
                    handed_in={"ex02": datetime(2020, 10, 1, 20, tzinfo=timezone.utc)})
        rows = page_rows(course_grades(book, course, student="alice")["alice"])
        html = render_page(book.result("alice"), student="alice", assignments=rows)
        write_summary(book, tmp_path / "summary.html", course=course)
    assert "<title>Feedback: alice (nothing counted yet)</title>" in html
    assert '<div class="big" id="total">nothing counted yet</div>' in html
    assert "every exercise graded, before penalties: 4 / 4" in html
    assert "feedback only" in html and "not graded yet" in html
    summary = (tmp_path / "summary.html").read_text()
    assert "0 / 0" not in summary and "nothing counted yet" in summary
