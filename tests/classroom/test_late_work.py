"""Late work under a course file: the submission time (nbgrader's timestamp.txt, an LMS's
timestamps CSV, the files' own times, in that order) recorded in the gradebook with where it
came from; the penalty, the cap, the grace period, the last date accepted, attempt limits and
extensions; work not due yet graded for feedback only; the student's page, the summary and the
CSV export saying so; "not handed in" counted apart from "failed" per check."""
import csv
import io
import os
import sqlite3
import zipfile
from datetime import datetime, timezone

import pytest

from grader.classroom.course_file import load_course
from grader.classroom.course_grades import course_grades, export_course_csv, page_rows
from grader.classroom.gradebook import Gradebook
from grader.classroom.handed_in import (FROM_CSV, FROM_FILE, FROM_STAMP, TimestampsError,
                                        handed_in, read_timestamps)
from grader.engine.runner import CheckResult, GradeResult

COURSE = """\
time_zone = "UTC"
attempts = 2
[late]
penalty = 10
cap = 30
grace = "15m"
accept_for = "5d"
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2026-10-01T23:59:00
[[assignment]]
name = "week2"
exercises = ["ex02"]
due = 2026-10-08T23:59:00
[[extension]]
student = "carol"
assignment = "week1"
days = 3
"""
AFTER_TERM = datetime(2026, 12, 1, tzinfo=timezone.utc)


def graded(ex, passed=2, of=2, missing=False):
    """One exercise graded: `passed` of `of` checks of 2 points pass."""
    checks = [CheckResult(nodeid=f"visible/test_{ex}.py::test_{i}", exercise=ex, target=f"t{i}",
                          title=f"t{i}", params="", points=2.0, visible=True,
                          status="passed" if i < passed else "failed", message="",
                          seconds=0.01) for i in range(of)]
    from grader.exercises import EXERCISES
    return GradeResult(submission="x", seed=7, checks=checks, exercises=[ex], seconds=0.1,
                       missing_files=[f"{EXERCISES[ex]}.py"] if missing else [])


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def book(tmp_path):
    course = tmp_path / "course.toml"
    course.write_text(COURSE)
    book = Gradebook(tmp_path / "g.db")
    n = iter(range(100))

    def hand_in(student, ex, when, passed=2, where=FROM_STAMP):
        book.record(student, graded(ex, passed), content_hash=f"h{next(n)}",
                    handed_in={ex: at(when)}, submitted_from=where)

    hand_in("alice", "ex01", "2026-10-01T20:00")              # on time
    hand_in("alice", "ex02", "2026-10-10T01:59")              # 1 day 2 hours late: -20 %
    hand_in("bob", "ex01", "2026-10-07T00:00")                # past the 5 days: 0
    hand_in("carol", "ex01", "2026-10-04T12:00", where=FROM_CSV)   # within her extension
    hand_in("dave", "ex01", "2026-09-29T10:00", passed=2)     # attempt 1: 4 points
    hand_in("dave", "ex01", "2026-09-30T10:00", passed=1)     # attempt 2: 2 points
    hand_in("dave", "ex01", "2026-10-01T10:00", passed=2)     # attempt 3: over the limit
    hand_in("erin", "ex01", "2026-10-02T00:10")               # 11 minutes late: grace
    yield book, load_course(course)
    book.close()


def test_the_submission_time_and_where_it_came_from_are_recorded(book):
    book, _ = book
    row = book.db.execute("SELECT s.submitted_at, s.submitted_from, g.submitted_at "
                          "FROM submissions s JOIN graded_exercises g ON g.submission_id = "
                          "s.id JOIN students t ON t.id = s.student_id WHERE t.name = 'carol'"
                          ).fetchone()
    assert tuple(row) == ("2026-10-04T12:00:00.000+00:00", FROM_CSV,
                          "2026-10-04T12:00:00.000+00:00")
    assert [h["submitted_from"] for h in book.history("alice")] == [FROM_STAMP] * 2


def test_late_work_is_penalised_as_the_policy_says(book):
    book, course = book
    grades = course_grades(book, course, at=AFTER_TERM)
    week = {s: g[0] for s, g in grades.items()}
    assert (week["alice"].status, week["alice"].score, week["alice"].late) == ("on time", 4,
                                                                              None)
    alice2 = grades["alice"][1]
    assert (alice2.status, alice2.raw, alice2.score, alice2.penalty) == ("late", 4, 3.2,
                                                                         pytest.approx(0.2))
    assert alice2.late_text() == "1 day 2 hours late: -20 %"
    bob = week["bob"]
    assert (bob.status, bob.raw, bob.score, bob.too_late) == ("too late", 4, 0, True)
    assert bob.notes == ["handed in after the last date accepted (2026-10-06 23:59 UTC): "
                         "scores 0"]
    assert grades["bob"][1].status == "not handed in" and grades["bob"][1].score == 0
    carol = week["carol"]
    assert (carol.status, carol.score, carol.extended) == ("on time", 4, True)
    assert carol.due_text() == "2026-10-04 23:59 UTC (extended)"
    assert (week["erin"].status, week["erin"].score) == ("on time", 4)
    assert "within the grace period" in week["erin"].notes[0]


def test_attempts_after_the_limit_do_not_count(book):
    book, course = book
    latest = course_grades(book, course, at=AFTER_TERM)["dave"][0]
    assert (latest.attempt, latest.attempts, latest.score) == (2, 3, 2)
    assert latest.attempt_text() == "attempt 2 of 2"
    assert "1 attempt after the limit of 2 does not count" in latest.notes
    best = course_grades(book, course, policy="best", at=AFTER_TERM)["dave"][0]
    assert (best.attempt, best.score) == (1, 4)


def test_latest_before_the_due_date_is_per_assignment_and_per_student(book):
    book, course = book
    grades = course_grades(book, course, before="due", at=AFTER_TERM)
    assert grades["alice"][1].status == "not handed in"       # only late work for week2
    assert "all after the due date" in grades["alice"][1].notes[0]
    assert grades["carol"][0].score == 4                      # her extension's date counts
    assert grades["bob"][0].status == "not handed in"
    # the plain policies still read the same gradebook as before
    assert book.table()[1][0] == ("alice", {"ex01": 4, "ex02": 4}, 8)
    assert book.result("dave").score == 4 and book.result("dave", policy="best").score == 4


def test_an_assignment_before_its_due_date_is_feedback_only(book, tmp_path):
    book, course = book
    mid = at("2026-10-05T00:00")
    alice = course_grades(book, course, at=mid)["alice"]
    assert alice[0].counts and not alice[1].counts
    assert "graded for feedback, not counted yet" in alice[1].notes[0]
    out = tmp_path / "mid.csv"
    export_course_csv(book, course, out, at=mid)
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["student", "week1", "week1 raw", "week1 late", "week2", "week2 raw",
                       "week2 late", "total"]
    assert rows[1] == ["alice", "4", "4", "", "", "4", "1 day 2 hours late: -20 %", "4"]


def test_the_csv_export_has_the_raw_and_the_penalised_score(book, tmp_path, monkeypatch,
                                                          capsys):
    from grader.cli import main
    book, course = book
    book.close()                                              # as after a class run
    monkeypatch.chdir(tmp_path)                               # course.toml here: read
    assert main(["export", "--csv", "-", "--db", str(book.path)]) == 0
    out, err = capsys.readouterr()
    assert "course file" in err and "2 assignments (week1, week2)" in err
    rows = {r[0]: r for r in csv.reader(io.StringIO(out))}
    assert rows["alice"] == ["alice", "4", "4", "", "3.2", "4", "1 day 2 hours late: -20 %",
                             "7.2"]
    assert rows["bob"][1:4] == ["0", "4", "5 days late, after the last date accepted: "
                                          "scores 0"]
    assert rows["bob"][4:7] == ["0", "0", "not handed in"]
    assert main(["export", "--csv", "-", "--db", str(book.path), "--before", "due"]) == 0
    rows = {r[0]: r for r in csv.reader(io.StringIO(capsys.readouterr()[0]))}
    assert rows["alice"][4:] == ["0", "0", "not handed in", "4"]


def test_the_students_page_shows_each_assignment(book):
    from grader.classroom.feedback import render_page
    book, course = book
    rows = page_rows(course_grades(book, course, at=AFTER_TERM, student="alice")["alice"])
    html = render_page(book.result("alice"), "alice", assignments=rows)
    assert 'id="assignments"' in html
    assert "2026-10-08 23:59 UTC" in html and "2026-10-10 01:59 UTC (nbgrader timestamp.txt)" \
        in html
    assert "1 day 2 hours late: -20 %" in html and "(raw 4)" in html
    assert "attempt 1 of 2" in html
    assert 'id="assignments"' not in render_page(book.result("alice"), "alice")


def test_the_summary_counts_not_handed_in_apart_from_failed(book, tmp_path):
    from grader.classroom.summary import summary_context, write_summary
    handed = GradeResult(submission="a", seed=7, exercises=["ex01"], seconds=0.1,
                         checks=graded("ex01", passed=1).checks)
    missing = graded("ex01", passed=0, missing=True)
    ctx = summary_context({"ann": handed, "ben": missing, "cid": graded("ex02")})
    rows = {c["name"].split(": ")[-1]: c for c in ctx["checks"] if c["exercise"] == "ex01"}
    assert (rows["t0"]["passed"], rows["t0"]["total"], rows["t0"]["not_handed_in"],
            rows["t0"]["rate"]) == (1, 1, 2, 1.0)
    assert (rows["t1"]["passed"], rows["t1"]["total"], rows["t1"]["rate"]) == (0, 1, 0.0)
    book, course = book
    page = write_summary(book, tmp_path / "summary.html", course=course).read_text()
    assert 'id="assignments"' in page and "late: week2 (-20%)" in page
    assert "late: week1 (0: too late)" in page                # bob


def test_the_summary_shows_the_total_the_export_writes(book, tmp_path):
    """With a course, each student's points in the summary's table are her course total
    after late penalties (what export --course writes), with the raw points beside them
    where a penalty took some: alice 7.2 (raw 8, late -0.8), bob 0 (raw 4, too late)."""
    import re
    from grader.classroom.summary import write_summary
    book, course = book
    page = write_summary(book, tmp_path / "summary.html", course=course).read_text()
    table = page.split('<table id="students">', 1)[1].split("</table>", 1)[0]
    shown = {}
    for row in table.split("<tr>")[2:]:
        name = re.sub(r"<[^>]+>", "", row).split()[0]
        cell = re.findall(r'<td class="num">(.*?)</td>', row, re.S)[0]
        shown[name] = re.sub(r"<[^>]+>", "", cell).replace("\u2212", "-").replace(
            "&minus;", "-").strip()
    assert shown["alice"] == "7.2 / 8 (raw 8, late -0.8)"
    assert shown["bob"] == "0 / 8 (raw 4, late -4)"
    assert shown["carol"] == "4 / 8"                           # her extension: no penalty
    out = tmp_path / "grades.csv"
    export_course_csv(book, course, out)
    for row in csv.DictReader(out.open()):                     # everyone, as exported
        assert shown[row["student"]].split(" / ")[0] == row["total"], row["student"]
    assert 'id="course-totals"' in page
    plain = write_summary(book, tmp_path / "plain.html").read_text()
    assert "raw 8" not in plain and 'id="course-totals"' not in plain


def test_handed_in_reads_timestamp_txt_then_the_csv_then_file_times(tmp_path):
    alice = tmp_path / "submitted" / "alice"      # nbgrader's layout: collect's timestamp.txt
    (alice / "ps1").mkdir(parents=True)
    (alice / "ps2").mkdir()
    (alice / "ps1" / "ex01_tensors.ipynb").write_text("{}")
    (alice / "ps1" / "timestamp.txt").write_text("2026-10-01 21:12:00.123456 UTC")
    (alice / "ps2" / "ex02_autograd.ipynb").write_text("{}")
    os.utime(alice / "ps2" / "ex02_autograd.ipynb", (1790000000, 1790000000))
    names = ["ex01_tensors.ipynb", "ex02_autograd.ipynb"]
    times, where = handed_in(alice, names)
    assert times["ex01"] == datetime(2026, 10, 1, 21, 12, 0, 123456, tzinfo=timezone.utc)
    assert times["ex02"] == datetime.fromtimestamp(1790000000, timezone.utc)
    assert where == f"{FROM_STAMP}, {FROM_FILE}"
    lms = at("2026-10-02T08:00")
    times, where = handed_in(alice, names, lms)
    assert times["ex01"].hour == 21 and times["ex02"] == lms
    assert where == f"{FROM_STAMP}, {FROM_CSV}"
    bundle = tmp_path / "bob.zip"
    with zipfile.ZipFile(bundle, "w") as zf:   # its member dated by the student's own hand
        zf.writestr(zipfile.ZipInfo("bob/ex01_tensors.py", (2026, 9, 30, 8, 0, 0)), "x = 1\n")
    os.utime(bundle, (1790000000, 1790000000))             # the zip, where it lies: uploaded
    times, where = handed_in(bundle, ["ex01_tensors.py"])
    assert times["ex01"] == datetime.fromtimestamp(1790000000, timezone.utc)
    assert where == FROM_FILE
    assert handed_in(tmp_path / "gone", names) == ({}, "")         # never raises


def test_a_timestamps_csv_is_read_and_a_bad_line_is_named(tmp_path):
    good = tmp_path / "times.csv"
    good.write_text("student,submitted_at,extra\nalice,2026-10-01T23:00:00+02:00,x\n"
                    "bob,2026-10-02 08:00:00 UTC,\n")
    stamps = read_timestamps(good)
    assert stamps["alice"] == datetime(2026, 10, 1, 21, tzinfo=timezone.utc)
    assert stamps["bob"] == datetime(2026, 10, 2, 8, tzinfo=timezone.utc)
    bad = tmp_path / "bad.csv"
    bad.write_text("student,submitted_at\nalice,2026-10-01T23:00\nbob,yesterday\n")
    with pytest.raises(TimestampsError, match="line 3: submitted_at 'yesterday' is not a time"):
        read_timestamps(bad)
    other = tmp_path / "other.csv"
    other.write_text("who,when\nalice,2026-10-01\n")
    with pytest.raises(TimestampsError, match="line 1 should name the columns"):
        read_timestamps(other)


@pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 35), reason="DROP COLUMN: SQLite 3.35")
def test_a_gradebook_without_the_hand_in_columns_opens_without_loss(tmp_path):
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", graded("ex01"), content_hash="h1", submitted_at="2026-10-01T10:00")
    con = sqlite3.connect(db)
    columns = [r[1] for r in con.execute("PRAGMA table_info(submissions)")][:-1]
    (table,) = con.execute("SELECT sql FROM sqlite_master WHERE name = 'submissions'").fetchone()
    head, _, _ = table.partition("submitted_from")  # as written before submitted_from was kept
    con.execute(head.replace("CREATE TABLE submissions", "CREATE TABLE old").rstrip()
                .rstrip(",").rsplit("\n", 1)[0] + "\n    submitted_at TEXT)")
    con.execute(f"INSERT INTO old SELECT {', '.join(columns)} FROM submissions")
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("DROP TABLE submissions")
    con.execute("ALTER TABLE old RENAME TO submissions")
    assert "submitted_from" not in {r[1] for r in con.execute("PRAGMA table_info(submissions)")}
    con.execute("ALTER TABLE graded_exercises DROP COLUMN submitted_at")
    con.commit()
    con.close()
    with Gradebook(db) as book:
        (row,) = book.history("alice")
        assert (row["score"], row["submitted_at"], row["submitted_from"]) == (
            4, "2026-10-01T10:00", None)
        book.record("alice", graded("ex01"), content_hash="h2",
                    handed_in={"ex01": at("2026-10-02T10:00")}, submitted_from=FROM_FILE)
        assert [r["submitted_from"] for r in book.history("alice")] == [None, FROM_FILE]


def test_an_exercise_graded_without_its_file_is_not_handed_in(book):
    book, course = book
    both = graded("ex01")
    both.checks += graded("ex02", passed=0).checks
    both.exercises = ["ex01", "ex02"]
    both.missing_files = ["ex02_gradient_descent.py"]
    book.record("gina", both, content_hash="g1", handed_in={"ex01": at("2026-10-02T10:00")},
                submitted_from=FROM_FILE)         # late for week1; ex02 has no file at all
    week1, week2 = course_grades(book, course, at=AFTER_TERM)["gina"]
    assert (week1.status, week1.raw) == ("late", 4)
    assert (week2.status, week2.attempts, week2.late_text()) == ("not handed in", 0,
                                                                 "not handed in")


def test_the_demo_course_has_a_late_student_and_an_extension(tmp_path):
    from grader.instructor import demo
    exs = demo.available()[:4]
    demo.make_class(tmp_path / "class", exs)
    course, stamps = demo._course(tmp_path, exs)
    week1, week2 = course.assignments
    assert course.due_for(week1, "dev")[1] and not course.due_for(week1, "cleo")[1]
    assert set(stamps) == {"finn"} and stamps["finn"] < week1.due

    def when(student, ex):
        name = next((tmp_path / "class" / student).rglob(f"{ex}_*"))
        return datetime.fromtimestamp(name.stat().st_mtime, timezone.utc)

    last = week2.exercises[0]
    assert course.late.penalty(when("cleo", last) - week2.due) == pytest.approx(0.2)
    assert when("ada", last) < week2.due and when("cleo", week1.exercises[0]) < week1.due
    assert week1.due < when("dev", week1.exercises[0]) <= course.due_for(week1, "dev")[0]


def test_grade_class_reads_nbgrader_timestamps_and_marks_late_work(tmp_path, capsys):
    """One small class run, end to end: nbgrader's tree with its timestamp.txt, the course
    file beside the class folder, a page and an export that say who was late."""
    from grader.cli import main
    root = tmp_path / "term"
    ref = (demo_root() / "solutions" / "ex01_linear_model.py").read_text()
    for student, stamp in (("ann", "2026-10-01 20:00:00.000000 UTC"),
                           ("ben", "2026-10-02 03:00:00.000000 UTC")):
        folder = root / "submitted" / student / "ex01_linear_model"
        folder.mkdir(parents=True)
        (folder / "ex01_linear_model.py").write_text(ref)
        (folder / "timestamp.txt").write_text(stamp)
    (tmp_path / "course.toml").write_text(COURSE)
    db, pages, run_csv = tmp_path / "g.db", tmp_path / "pages", tmp_path / "run.csv"
    assert main(["grade-class", str(root), "--db", str(db), "--exercises", "ex01", "--jobs",
                 "1", "--no-progress", "--html-dir", str(pages), "--csv", str(run_csv)]) == 0
    assert "2 assignments (week1, week2)" in capsys.readouterr().err
    ben = (pages / "ben.html").read_text()
    assert "2026-10-02 03:00 UTC (nbgrader timestamp.txt)" in ben
    assert "3 hours 1 minute late: -10 %" in ben
    assert "late: -10 %" not in (pages / "ann.html").read_text()
    assert "late: week1 (-10%)" in (pages / "summary.html").read_text()
    assert main(["export", "--csv", "-", "--db", str(db), "--course",
                 str(tmp_path / "course.toml")]) == 0
    rows = {r[0]: r for r in csv.reader(io.StringIO(capsys.readouterr().out))}
    full = float(rows["ann"][1])
    assert full > 0 and rows["ann"][3] == ""
    assert (float(rows["ben"][1]), float(rows["ben"][2]), rows["ben"][3]) == (
        pytest.approx(0.9 * full), full, "3 hours 1 minute late: -10 %")
    # grade-class --csv with the course in effect wrote that same CSV, not the plain one
    assert {r[0]: r for r in csv.reader(run_csv.open())} == rows


def demo_root():
    from grader.instructor.demo import ROOT
    return ROOT


def test_a_timestamp_txt_of_the_students_own_is_no_time(tmp_path):
    """Only nbgrader's collect writes the timestamp.txt that counts: in submitted/STUDENT/
    ASSIGNMENT/, beside the file. One in a student's own folder, zip, upload, or deeper in
    her nbgrader folder is hers: the file's own time (or the instructor's CSV) counts."""
    import zipfile
    early = "2026-09-01T00:00:00+00:00"
    mallory = tmp_path / "class" / "mallory"
    mallory.mkdir(parents=True)
    (mallory / "ex01_tensors.py").write_text("x = 1\n")
    (mallory / "timestamp.txt").write_text(early)
    os.utime(mallory / "ex01_tensors.py", (1790000000, 1790000000))
    times, where = handed_in(mallory, ["ex01_tensors.py"])
    assert times["ex01"] == datetime.fromtimestamp(1790000000, timezone.utc)
    assert where == FROM_FILE
    lms = at("2026-10-02T08:00")
    times, where = handed_in(mallory, ["ex01_tensors.py"], lms)
    assert times["ex01"] == lms and where == FROM_CSV
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as zf:
        zf.writestr("zipped/ex01_tensors.py", "x = 1\n")
        zf.writestr("zipped/timestamp.txt", early)
    times, where = handed_in(tmp_path / "zipped.zip", ["ex01_tensors.py"], lms)
    assert times["ex01"] == lms and where == FROM_CSV
    nested = tmp_path / "submitted" / "eve" / "ex01" / "sub"
    nested.mkdir(parents=True)
    (nested / "ex01_tensors.py").write_text("x = 1\n")
    (nested / "timestamp.txt").write_text(early)
    times, where = handed_in(tmp_path / "submitted" / "eve", ["ex01_tensors.py"], lms)
    assert times["ex01"] == lms and where == FROM_CSV


def test_a_time_no_calendar_can_hold_is_no_time(tmp_path):
    """A year 1 or 9999 (in nbgrader's stamp, the CSV or a file's time) would overflow every
    later conversion and stop a run or an export for the whole class: it is no time."""
    from grader.classroom.handed_in import parse_time
    assert parse_time("0001-01-01T00:00:00+14:00") is None
    assert parse_time("9999-12-31T23:30:00+00:00") is None
    alice = tmp_path / "submitted" / "alice" / "ex01"
    alice.mkdir(parents=True)
    (alice / "ex01_tensors.py").write_text("x = 1\n")
    (alice / "timestamp.txt").write_text("0001-01-01T00:00:00+14:00")
    os.utime(alice / "ex01_tensors.py", (1790000000, 1790000000))
    times, where = handed_in(tmp_path / "submitted" / "alice", ["ex01_tensors.py"])
    assert times["ex01"] == datetime.fromtimestamp(1790000000, timezone.utc)
    assert where == FROM_FILE


def test_a_course_run_says_when_hand_in_times_are_the_files_own(tmp_path):
    """File times are the student's to set (unzip keeps the dates she put in her zip): a run
    with a course says which students' times come from their files, and that --timestamps
    gives the LMS's; with the LMS's times for every student it says nothing of the kind."""
    from grader.classroom.run import grade_class
    ref = (demo_root() / "solutions" / "ex01_linear_model.py").read_text()
    for student in ("cleo", "dan"):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "ex01_linear_model.py").write_text(ref)
    (tmp_path / "course.toml").write_text(COURSE)
    course = load_course(tmp_path / "course.toml")
    run = grade_class(tmp_path / "class", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                      progress=False, course=course)
    said = [n for n in run.notes if "their files' own times" in n]
    assert len(said) == 1 and said[0].startswith("2 students'") and "--timestamps" in said[0]
    stamps = {s: datetime(2026, 10, 1, 12, tzinfo=timezone.utc) for s in ("cleo", "dan")}
    run = grade_class(tmp_path / "class", db=tmp_path / "h.db", jobs=1, exercises=["ex01"],
                      progress=False, course=course, timestamps=stamps)
    assert not [n for n in run.notes if "their files' own times" in n]


# how an exercise file reaches a module of the student's own, mylib.py (graded with it)
REACHES_MYLIB = {"a star import": ("from mylib import *\n", {}),
                 "import mylib": ("import mylib\nforward = mylib.forward\n", {}),
                 "one name": ("from mylib import forward  # mine\n", {}),
                 "through another module": ("from helpers import *\n",
                                            {"helpers.py": "from mylib import *\n"})}


def _stamp(path, when: str) -> float:
    seconds = at(when).timestamp()
    os.utime(path, (seconds, seconds))
    return seconds


@pytest.mark.parametrize("how", REACHES_MYLIB)
def test_file_times_are_the_latest_of_the_exercise_and_the_modules_it_imports(tmp_path, how):
    """An exercise's time from file times is the latest of its own file and the modules of the
    student's own it imports (through each other too): mylib.py changed after the due date
    makes the exercise that imports it late, not the one that does not."""
    alice = tmp_path / "alice"
    alice.mkdir()
    code, more = REACHES_MYLIB[how]
    (alice / "ex01_linear_model.py").write_text(code)
    (alice / "ex02_gradient_descent.py").write_text("import numpy as np\n")
    (alice / "mylib.py").write_text("def forward(x, w):\n    return x * w\n")
    for name, text in more.items():
        (alice / name).write_text(text)
        _stamp(alice / name, "2026-09-29T09:00")
    _stamp(alice / "ex01_linear_model.py", "2026-09-30T10:00")
    _stamp(alice / "ex02_gradient_descent.py", "2026-09-30T11:00")
    _stamp(alice / "mylib.py", "2026-10-03T12:00")               # after the due date
    files = ["ex01_linear_model.py", "ex02_gradient_descent.py", "mylib.py", *more]
    times, where = handed_in(alice, files)
    assert times == {"ex01": at("2026-10-03T12:00"), "ex02": at("2026-09-30T11:00")}
    assert where == FROM_FILE
    times, _ = handed_in(alice, ["ex01_linear_model.py", "ex02_gradient_descent.py"])
    assert times["ex01"] == at("2026-09-30T10:00")     # mylib.py not graded: not its time


def test_a_module_changed_after_the_due_date_is_late_work_in_a_class_run(tmp_path):
    """The fourth attack round's D26: ex01 is `from mylib import *`; mylib.py changed after the
    due date while ex01's file kept its time. The changed module is a new hand-in of ex01 (its
    hash holds the modules it imports, so the first hand-in's time is not kept) at mylib.py's
    time: late work."""
    from grader.classroom.run import grade_class
    alice = tmp_path / "class" / "alice"
    alice.mkdir(parents=True)
    ref = (demo_root() / "solutions" / "ex01_linear_model.py").read_text()
    (alice / "ex01_linear_model.py").write_text("from mylib import *\n")
    (alice / "mylib.py").write_text(ref)
    _stamp(alice / "ex01_linear_model.py", "2026-09-30T10:00")
    _stamp(alice / "mylib.py", "2026-09-30T10:00")
    (tmp_path / "course.toml").write_text(COURSE)
    course = load_course(tmp_path / "course.toml")

    def run():
        grade_class(tmp_path / "class", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                    progress=False, course=course)
        with Gradebook(tmp_path / "g.db") as book:
            row = book.db.execute("SELECT g.submitted_at, g.submitted_from FROM "
                                  "graded_exercises g ORDER BY g.submission_id DESC").fetchone()
            return tuple(row), book.db.execute("SELECT COUNT(*) FROM graded_exercises "
                                               "WHERE exercise = 'ex01'").fetchone()[0]

    assert run() == (("2026-09-30T10:00:00.000+00:00", FROM_FILE), 1)
    (alice / "mylib.py").write_text(ref + "\n# tidied up\n")     # the new work
    _stamp(alice / "mylib.py", "2026-10-03T12:00")
    assert run() == (("2026-10-03T12:00:00.000+00:00", FROM_FILE), 2)
