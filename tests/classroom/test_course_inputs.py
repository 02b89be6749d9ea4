"""What an instructor gives a class run besides the class folder is read as she meant it, and
what does not fit is said: a timestamps CSV's times without an offset are in the course's time
zone; a student on two lines, a name that is no student, a student with no line each get one
note; an extension is given once per student and assignment, to a student of the class (a name
that reads like one is the course file's error, naming the line)."""
from datetime import datetime, timedelta, timezone

import pytest

from grader.classroom.course_file import CourseError, check_extensions, load_course
from grader.classroom.gradebook import Gradebook
from grader.classroom.handed_in import read_timestamps, timestamps_notes
from grader.cli.classroom import _load_course
from grader.engine.runner import CheckResult, GradeResult

COURSE = """\
time_zone = "Europe/Berlin"
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2026-10-01T23:59:00
[[extension]]
student = "{first}"
assignment = "week1"
days = 2
[[extension]]
student = "{second}"
assignment = "week1"
days = 3
"""


def course_file(tmp_path, first="bob", second="carol"):
    path = tmp_path / "course.toml"
    path.write_text(COURSE.format(first=first, second=second))
    return path


def test_a_naive_time_in_the_csv_is_read_in_the_courses_time_zone(tmp_path):
    (tmp_path / "t.csv").write_text("student,submitted_at\nalice,2026-10-01T23:30:00\n"
                                    "bob,2026-10-01T23:30:00+00:00\n")
    course, stamps = _load_course(str(course_file(tmp_path)), None, str(tmp_path / "t.csv"))
    berlin = timezone(timedelta(hours=2))               # summer time on that day
    assert stamps["alice"] == datetime(2026, 10, 1, 23, 30, tzinfo=berlin)
    assert stamps["alice"] < course.assignments[0].due      # on time, as the CSV meant
    assert stamps["bob"] == datetime(2026, 10, 1, 23, 30, tzinfo=timezone.utc)


def test_duplicate_unknown_and_missing_students_get_one_line_each(tmp_path):
    (tmp_path / "t.csv").write_text(
        "student,submitted_at\nalice,2026-10-01T20:00Z\nzed,2026-10-01T20:00Z\n"
        "alice,2026-10-02T20:00Z\nyan,2026-10-01T20:00Z\nbob.zip,2026-10-01T21:00Z\n")
    stamps = read_timestamps(tmp_path / "t.csv")
    assert stamps["alice"] == datetime(2026, 10, 2, 20, tzinfo=timezone.utc)   # the latest
    notes = timestamps_notes(stamps, [("alice", "alice"), ("bob", "bob.zip"),
                                      ("carol", "carol"), ("dave", "dave")])
    assert len(notes) == 3, notes
    twice, unknown, missing = notes
    assert "1 student is on several lines" in twice and "alice (lines 2, 4)" in twice
    assert "2 names in it are no student of this class" in unknown
    assert "'yan'" in unknown and "'zed'" in unknown
    assert missing.endswith("no line for 2 students, whose times come from their files (or "
                            "their work's earlier hand-in): 'carol', 'dave'")
    assert timestamps_notes({}, [("alice", "alice")]) == []      # no CSV: nothing to say


def test_two_extensions_for_one_student_and_assignment_are_refused(tmp_path):
    with pytest.raises(CourseError, match=r"line 10: extension\[2\] is a second extension "
                                          r"for 'bob' and week1"):
        load_course(course_file(tmp_path, "bob", "bob"))


def test_an_extension_for_a_name_that_reads_like_a_student_is_refused(tmp_path):
    course = load_course(course_file(tmp_path, "Bob", "carl"))
    with pytest.raises(CourseError, match=r"line 6: extension\[1\]\.student 'Bob' is no "
                                          r"student of this class \(did you mean 'bob'\?\)"):
        check_extensions(course, ["alice", "bob"])
    notes = check_extensions(load_course(course_file(tmp_path, "bob", "carl")),
                             ["alice", "bob"])
    assert notes == [f"course file {tmp_path / 'course.toml'}: line 10: extension[2]: 'carl' "
                     f"has handed in nothing yet; the extension of week1 applies when she "
                     f"does"]


def test_export_refuses_an_extension_for_a_misspelt_student(tmp_path, capsys):
    from grader.cli import main
    with Gradebook(tmp_path / "g.db") as book:
        book.record("bob", GradeResult(submission="", seed=5, exercises=["ex01"]),
                    content_hash="h")
    path = course_file(tmp_path, "Bob", "carol")
    assert main(["export", "--csv", str(tmp_path / "out.csv"), "--db", str(tmp_path / "g.db"),
                 "--course", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: course file {path}: line 6: extension[1].student 'Bob'")
    assert not (tmp_path / "out.csv").exists()


def test_an_export_without_the_course_file_beside_its_class_says_it_is_not_applied(
        tmp_path, capsys, monkeypatch):
    """A course file beside the class folder the gradebook graded (or beside the gradebook):
    a plain export says in one line that its policy is not applied and how to apply it;
    with --course, or with no course file about, nothing is said."""
    from grader.cli import main
    term = tmp_path / "term"
    (term / "class").mkdir(parents=True)
    with Gradebook(term / "g.db") as book:
        run = book.begin_run(str(term / "class"), 5, ["ex01"], 1)
        check = CheckResult(nodeid="hidden/test_ex01.py::test_a[]", exercise="ex01",
                            target="a", title="a works", params="", points=2.0, visible=False,
                            status="passed", message="", seconds=0.01)
        book.record("bob", GradeResult(submission="", seed=5, exercises=["ex01"],
                                       checks=[check]), content_hash="h", run_id=run)
        book.finish_run(run, 1, 0)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")       # no course.toml here: none read

    def export(*more, db="../term/g.db"):
        code = main(["export", "--db", db, *more])
        said = capsys.readouterr()
        return code, [line for line in said.err.splitlines() if "not applied" in line]

    assert export("--csv", "out.csv") == (0, [])                  # no course file about
    (term / "course.toml").write_text(COURSE.format(first="bob", second="carol"))
    code, lines = export("--csv", "out.csv")
    assert code == 0 and lines == [
        "note: the course file ../term/course.toml is not applied: this export has one column "
        "per exercise, no due dates or late penalties; to apply it, export again with --course "
        "../term/course.toml"]
    assert open("out.csv").readline().startswith("student,ex01")   # per exercise, as said
    assert export("--lms", "moodle", "--out", "m.csv")[1] == lines
    assert export("--csv", "out.csv", "--course", "../term/course.toml") == (0, [])
    assert open("out.csv").readline().startswith("student,week1")
    # beside the gradebook alone (moved away from the class it graded)
    (tmp_path / "books").mkdir()
    (term / "g.db").rename(tmp_path / "books" / "g.db")
    (term / "course.toml").rename(tmp_path / "books" / "course.toml")
    code, lines = export("--csv", "out.csv", db="../books/g.db")
    assert code == 0 and len(lines) == 1 and "--course ../books/course.toml" in lines[0]
