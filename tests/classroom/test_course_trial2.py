"""What a second instructor's trial of a whole course found (issue 21), each at its mechanism:
Ctrl-C early in a class run; a too-late resubmission that replaces an on-time grade under the
'latest' policy; which exercise made an assignment late; a class folder whose names match
none of the gradebook's; times in the course's zone; mistakes in the course file."""
import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]


def reference(ex="ex01_linear_model"):
    return (ROOT / "solutions" / f"{ex}.py").read_text()


def runs(db):
    with closing(sqlite3.connect(db)) as con:
        return [r[0] for r in con.execute("SELECT status FROM runs ORDER BY id")]


# ----------------------------------------------------------------------------------------------
# M9: Ctrl-C

def test_ctrl_c_early_in_a_class_run_is_one_line_exit_130_and_the_gradebook_intact(tmp_path):
    """Ctrl-C as a terminal sends it (SIGINT to the whole process group: the run, its grading
    processes and zygotes) as soon as the second run has begun: one line, exit 130, no
    traceback from any process; the first run's grades as they were; the run marked
    interrupted at once (before: 'running' until a next run)."""
    for student in ("alice", "bob"):
        (tmp_path / "c" / student).mkdir(parents=True)
        (tmp_path / "c" / student / "ex01_linear_model.py").write_text(reference())
    db = tmp_path / "g.db"
    cmd = [sys.executable, "-m", "grader", "grade-class", str(tmp_path / "c"), "--db", str(db),
           "--exercises", "ex01", "--jobs", "1", "--no-progress"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    first = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    with closing(sqlite3.connect(db)) as con:
        before = con.execute("SELECT * FROM graded_exercises ORDER BY submission_id, "
                             "exercise").fetchall()
    proc = subprocess.Popen(cmd + ["--force"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    # polled gently; a reader holding the gradebook as the run opens it no longer makes the
    # run refuse it (test_course_trial4)
    while time.monotonic() < deadline and proc.poll() is None and len(runs(db)) < 2:
        time.sleep(0.25)
    assert proc.poll() is None, ("the run ended before Ctrl-C", proc.communicate())
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err + out
    lines = [line for line in err.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith("interrupted: every submission graded so "
                                                   "far stays in the gradebook"), err
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        after = con.execute("SELECT * FROM graded_exercises ORDER BY submission_id, "
                            "exercise").fetchall()
    assert after[:len(before)] == before
    assert runs(db) == ["finished", "interrupted"]


def test_ctrl_c_mid_grading_leaves_no_traceback_and_no_broken_grade(tmp_path):
    """Ctrl-C while submissions are being graded reaches the zygotes too (one process group):
    a grading process waiting on its zygote printed 'ConnectionResetError: [Errno 104]
    Connection reset by peer' with its traceback. Now it ends quietly and sends no result for
    the submission its zygote was grading: every grading recorded is whole."""
    for i in range(6):
        (tmp_path / "c" / f"s{i}").mkdir(parents=True)
        for ex in ("ex01_linear_model", "ex02_gradient_descent"):
            (tmp_path / "c" / f"s{i}" / f"{ex}.py").write_text(reference(ex))
    db = tmp_path / "g.db"
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade-class", str(tmp_path / "c"),
                             "--db", str(db), "--exercises", "ex01,ex02", "--jobs", "2",
                             "--no-progress"], cwd=tmp_path, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)

    def recorded():
        try:
            with closing(sqlite3.connect(db)) as con:
                return con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        except sqlite3.Error:
            return 0

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None and not (db.exists() and
                                                                        recorded()):
        time.sleep(0.02)
    assert proc.poll() is None, ("the run ended before Ctrl-C", proc.communicate())
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err + out and "Error" not in err + out, err
    with closing(sqlite3.connect(db)) as con:
        errors = [r[0] for r in con.execute("SELECT errors FROM submissions")]
    assert errors and all(e in (None, "", "[]") for e in errors), errors
    assert runs(db) == ["interrupted"]


def test_a_ctrl_c_that_code_swallowed_still_stops_the_run(tmp_path, monkeypatch):
    """Ctrl-C while torch was being imported (the run asks it for the device, then starts the
    grading processes) was caught inside that import: the run went on, graded the whole class
    and ended with exit 0. A class run remembers Ctrl-C and stops at its next step."""
    import grader.classroom.pool as pool
    from grader.classroom.run import grade_class
    (tmp_path / "c" / "alice").mkdir(parents=True)
    (tmp_path / "c" / "alice" / "ex01_linear_model.py").write_text(reference())
    asked = pool.start_method

    def swallowing(device="all"):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
        except BaseException:  # noqa: BLE001 - as code beyond ours did
            pass
        return asked(device)

    monkeypatch.setattr(pool, "start_method", swallowing)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            grade_class(tmp_path / "c", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                        progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    with closing(sqlite3.connect(tmp_path / "g.db")) as con:
        assert con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    assert runs(tmp_path / "g.db") == ["interrupted"]


# ----------------------------------------------------------------------------------------------
# M2, M3: which exercise made an assignment late; which attempt counts, and why

UTC_COURSE = """\
time_zone = "UTC"
[late]
penalty = 10
accept_for = "3d"
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2026-10-01T23:59:00
[[assignment]]
name = "week2"
exercises = ["ex02", "ex03"]
due = 2026-10-08T23:59:00
"""


def graded(ex, passed=2, of=2):
    from grader.engine.runner import CheckResult, GradeResult
    checks = [CheckResult(nodeid=f"v/test_{ex}.py::t{i}", exercise=ex, target=f"t{i}",
                          title=f"t{i}", params="", points=2.0, visible=True,
                          status="passed" if i < passed else "failed", message="",
                          seconds=0.01) for i in range(of)]
    return GradeResult(submission="x", seed=7, checks=checks, exercises=[ex], seconds=0.1)


@pytest.fixture
def term(tmp_path):
    from datetime import datetime, timezone
    from grader.classroom.course_file import load_course
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.handed_in import FROM_CSV
    (tmp_path / "course.toml").write_text(UTC_COURSE)
    book = Gradebook(tmp_path / "g.db")
    n = iter(range(100))

    def hand_in(student, ex, when, passed=2):
        book.record(student, graded(ex, passed), content_hash=f"h{next(n)}",
                    handed_in={ex: datetime.fromisoformat(when).replace(tzinfo=timezone.utc)},
                    submitted_from=FROM_CSV, files={ex: f"f{next(n)}"})

    yield book, load_course(tmp_path / "course.toml"), hand_in
    book.close()


def test_the_late_text_names_the_exercise_that_was_late(term):
    """M2: week2 (ex02, ex03), ex02 on time, ex03 1 day 2 hours late: the page, the CSV and
    the summary said '1 day 2 hours late' of week2, not which file was late."""
    from grader.classroom.course_grades import course_grades
    from grader.classroom.summary import assignment_summary
    book, course, hand_in = term
    hand_in("bob", "ex02", "2026-10-08T20:00")
    hand_in("bob", "ex03", "2026-10-10T01:59")
    hand_in("cleo", "ex01", "2026-10-02T01:59")           # one exercise: nothing more to say
    week2 = course_grades(book, course)["bob"][1]
    assert week2.late_text() == "1 day 2 hours late (ex03): -20 %"
    assert course_grades(book, course)["cleo"][0].late_text() == "2 hours late: -10 %"
    _, late, _ = assignment_summary(book, course)
    assert late == {"bob": "week2: ex03 (-20%)", "cleo": "week1 (-10%)"}


def test_a_too_late_resubmission_that_replaces_on_time_work_is_said(term):
    """M3: under --policy latest (the default) a resubmission after the last date accepted
    replaces an on-time 4 with 0, as docs/course.md says; the page said only 'scores 0'. The
    page and the run say which attempt counts, why, what it replaced, and the policy that
    counts the other; a late resubmission worth more than the earlier work is not said."""
    from grader.classroom.course_grades import course_grades, replaced_lines
    book, course, hand_in = term
    hand_in("alice", "ex01", "2026-10-01T20:00")           # on time: 4
    hand_in("alice", "ex01", "2026-10-08T20:00")           # after 10-04 23:59: 0
    hand_in("dan", "ex01", "2026-10-01T20:00", passed=1)   # on time: 2
    hand_in("dan", "ex01", "2026-10-02T20:00")             # 1 day late: 4 - 10 % = 3.6 > 2
    said = ("ex01: attempt 2 counts (--policy latest: the newest work), handed in 2026-10-08 "
            "20:00 UTC, after the last date accepted: 0 points, in place of attempt 1 (on "
            "time: 4 points); export --policy best would count attempt 1")
    week1 = course_grades(book, course)
    assert week1["alice"][0].score == 0 and said in week1["alice"][0].notes
    assert not [n for n in week1["dan"][0].notes if "policy" in n]
    assert replaced_lines(book, course, ["alice", "dan"]) == [f"alice: week1: {said}"]
    best = course_grades(book, course, policy="best")["alice"][0]
    assert best.score == 4 and not [n for n in best.notes if "policy" in n]


# ----------------------------------------------------------------------------------------------
# M7: times in the course's zone, named

def test_a_corrected_hand_in_time_is_said_in_the_courses_zone(term):
    """M7: 'ex01: handed in 2026-10-01 21:00 (timestamps CSV), not 2026-12-06 10:00 (file
    times)' was in UTC under a course in Berlin, without a word: now in Berlin time, named."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo
    from grader.classroom.handed_in import FROM_CSV, FROM_FILE
    book, _, _ = term
    book.record("eve", graded("ex01"), content_hash="c1", files={"ex01": "e1"},
                handed_in={"ex01": datetime(2026, 12, 6, 10, tzinfo=timezone.utc)},
                submitted_from=FROM_FILE)
    said = book.correct_times("eve", {"ex01": ("e1", datetime(2026, 10, 1, 21,
                                                              tzinfo=timezone.utc), FROM_CSV)},
                              "c1", ZoneInfo("Europe/Berlin"))
    assert said == ["ex01: handed in 2026-10-01 23:00 CEST (timestamps CSV), not 2026-12-06 "
                    "11:00 CET (file times)"]


BERLIN = """\
time_zone = "Europe/Berlin"
[late]
penalty = 10
accept_for = "2d"
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2026-10-01T23:00:00
"""


def test_a_class_run_says_which_attempt_counts_in_the_courses_zone(tmp_path, capsys):
    """M3 and M7 end to end: alice's on-time ex01 (4 points, in the gradebook), then a changed
    ex01 after the last date accepted, graded by a class run: its output says which attempt
    counts and why, her page too; the pages' own times are in the course's zone, named."""
    import re
    from datetime import datetime, timezone
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.handed_in import FROM_CSV
    with Gradebook(tmp_path / "g.db") as book:
        book.record("alice", graded("ex01"), content_hash="h0", files={"ex01": "f0"},
                    handed_in={"ex01": datetime(2026, 10, 1, 20, tzinfo=timezone.utc)},
                    submitted_from=FROM_CSV)
    alice = tmp_path / "subs" / "alice"
    alice.mkdir(parents=True)
    (alice / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "course.toml").write_text(BERLIN)
    (tmp_path / "t.csv").write_text("student,submitted_at\nalice,2026-10-05T10:00:00Z\n")
    pages = tmp_path / "pages"
    assert main(["grade-class", str(tmp_path / "subs"), "--db", str(tmp_path / "g.db"),
                 "--exercises", "ex01", "--timestamps", str(tmp_path / "t.csv"),
                 "--html-dir", str(pages), "--jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    said = ("alice: week1: ex01: attempt 2 counts (--policy latest: the newest work), handed "
            "in 2026-10-05 12:00 CEST, after the last date accepted: 0 points, in place of "
            "attempt 1 (on time: 4 points); export --policy best would count attempt 1")
    assert f"  note: {said}" in out.splitlines(), out
    page = (pages / "alice.html").read_text()
    assert said.split(": ", 2)[2] in page
    assert re.search(r"page written \d{4}-\d\d-\d\d \d\d:\d\d CES?T", page)
    assert re.search(r"written \d{4}-\d\d-\d\d \d\d:\d\d CES?T",
                     (pages / "summary.html").read_text())


# ----------------------------------------------------------------------------------------------
# C3: a class folder whose names match none of the gradebook's

def test_a_class_folder_with_no_name_in_the_gradebook_is_said(tmp_path):
    """C3: the gradebook holds asmith and bjones (logins); a new export from another LMS names
    the folders 'Alice Smith' and 'Bob Jones': they were recorded as two new students without
    a word, and export listed four. The run says no student matches, and how to map them; a
    run with one name in common (a student joining late) says nothing of it."""
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.run import grade_class
    with Gradebook(tmp_path / "g.db") as book:
        for login in ("asmith", "bjones"):
            book.record(login, graded("ex01"), content_hash=f"x{login}")
    for name in ("Alice Smith", "Bob Jones"):
        (tmp_path / "lms2" / name).mkdir(parents=True)
        (tmp_path / "lms2" / name / "ex01_linear_model.py").write_text(reference())
    run = grade_class(tmp_path / "lms2", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                      progress=False)
    said = [n for n in run.notes if n.startswith("no student of this class folder")]
    assert said == ["no student of this class folder is in the gradebook: its 2 ('Alice "
                    "Smith', 'Bob Jones') are recorded as new, apart from the gradebook's 2 "
                    "('asmith', 'bjones'). The same people under other names (logins there, "
                    "full names here)? Map each entry to the gradebook's name with --names "
                    "map.csv (columns folder,student, e.g. 'Alice Smith,asmith') and run "
                    "again. Another class? Give it its own --db"], run.notes
    from grader.classroom.roster import no_names_in_common
    with Gradebook(tmp_path / "g.db") as book:
        assert no_names_in_common(book, [("asmith", None), ("Cara Diaz", None)]) == []
        assert no_names_in_common(book, []) == []


# ----------------------------------------------------------------------------------------------
# M6: a mistake in the course file: its line, what was expected, an example

GOOD = """\
time_zone = "Europe/Berlin"

[late]
penalty = 10

[[assignment]]
name = "week1"
exercises = ["ex01", "ex02"]
due = 2026-10-01T23:59:00
"""


@pytest.mark.parametrize("old, new, said", [
    # TOML's own errors: 'not valid TOML: Invalid value (at line 7, column 8)', no example
    ('name = "week1"', "name = week1", 'line 7: `name = week1` is not valid TOML (invalid '
     'value, column 8): text is quoted, e.g. name = "week1"'),
    ("due = 2026-10-01T23:59:00", "due = 2026-10-01 23:59", "line 9: `due = 2026-10-01 23:59` "
     "is not valid TOML (expected newline or end of document after a statement, column 18): a "
     "date and time is written with a T, or quoted: due = 2026-10-01T23:59:00 or due = "
     '"2026-10-01 23:59"'),
    ('["ex01", "ex02"]', '["ex01" "ex02"]', 'line 8: `exercises = ["ex01" "ex02"]` is not '
     'valid TOML (unclosed array, column 21): e.g. exercises = ["ex01", "ex02"]'),
    ("[[assignment]]", "[[assignment]", "line 6: `[[assignment]` is not valid TOML"),
    # [assignment] was 'names no assignment'; a key under [late] was only 'unknown'
    ("[[assignment]]", "[assignment]", "line 6: [assignment] is one table: an assignment is "
     "[[assignment]], two brackets, one per assignment"),
    ("[[assignment]]", "attempts = 3\n[[assignment]]", "line 6: unknown key late.attempts "
     "(every key after a [table] line belongs to that table: put attempts at the top of the "
     "file, above the first [...] line, e.g. attempts = 3)"),
    ("penalty = 10", "penalty = 10\ncapp = 50", "line 5: unknown key late.capp (did you mean "
     "cap? e.g. cap = 50)"),
    ("penalty = 10", 'penalty = "ten"', "line 4: late.penalty must be a number >= 0 (e.g. "
     "penalty = 10)"),
    ("due = 2026-10-01T23:59:00\n", "", "line 6: assignment[1] has no `due` (e.g. due = "
     "2026-10-01T23:59:00)"),
])
def test_a_course_file_mistake_says_its_line_what_was_expected_and_an_example(tmp_path, old,
                                                                              new, said):
    from grader.classroom.course_file import CourseError, load_course
    assert old in GOOD
    (tmp_path / "course.toml").write_text(GOOD.replace(old, new, 1))
    with pytest.raises(CourseError) as err:
        load_course(tmp_path / "course.toml")
    assert said in str(err.value), str(err.value)


def test_grade_class_says_the_course_files_mistake_in_one_line(tmp_path, capsys):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "course.toml").write_text(GOOD.replace('name = "week1"', "name = week1"))
    assert main(["grade-class", str(tmp_path / "subs"), "--db", str(tmp_path / "g.db")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: course file {tmp_path / 'course.toml'}: line 7: `name = week1` is "
                   f"not valid TOML (invalid value, column 8): text is quoted, e.g. name = "
                   f"\"week1\""]
    assert not (tmp_path / "g.db").exists()


# ----------------------------------------------------------------------------------------------
# the fresh trial of a term: what a course staff member tripped on

def test_a_course_run_says_who_was_late_per_assignment(term):
    """After each week's run the staff had to open the summary page to learn who was late or
    missing: the run says it per assignment it graded, with the mean after late penalties;
    an assignment not due yet says so."""
    from datetime import datetime, timedelta, timezone
    from grader.classroom.course_file import Assignment
    from grader.classroom.course_grades import course_lines
    book, course, hand_in = term
    hand_in("ann", "ex02", "2026-10-08T20:00")
    hand_in("ann", "ex03", "2026-10-08T20:00")
    hand_in("bo", "ex02", "2026-10-09T01:00")                    # 1 day late: -10 %
    hand_in("cy", "ex02", "2026-10-20T01:00")                    # too late: 0
    hand_in("dee", "ex01", "2026-10-01T01:00")                   # nothing of week2
    lines = course_lines(book, course, ["ex02"], ["ann", "bo", "cy", "dee"], [])
    assert lines == ["week2 (due 2026-10-08 23:59 UTC): 1 on time, 1 late (bo), 1 after the "
                     "last date accepted (cy), 1 not handed in (dee); mean 2.9 of 8 after late "
                     "penalties",                                # (8 + 3.6 + 0 + 0) / 4
                     "course total: class mean 3.9 of 12 after late penalties (week1, week2: "
                     "the assignments that count now, as export --course writes them)"]
    #                                                       (8 + 3.6 + 0 + 4) / 4: dee's week1
    assert course_lines(book, course, ["ex04"], ["ann"], []) == []
    assert course_lines(book, course, ["ex01", "ex02"], ["bo", "cy"], []) == [
        "week2 (due 2026-10-08 23:59 UTC): 1 late (bo), 1 after the last date accepted (cy); "
        "mean 1.8 of 8 after late penalties",
        "week1: handed in by none of the 2 students (grade each week's exercises with "
        "--exercises)",
        "course total: class mean 1.8 of 12 after late penalties (week1, week2: the "
        "assignments that count now, as export --course writes them)"]
    later = datetime.now(timezone.utc) + timedelta(days=30)
    course.assignments[1] = Assignment("week2", ("ex02", "ex03"), later)
    assert course_lines(book, course, ["ex02"], ["ann"], [])[0].endswith(
        "1 on time; not due yet: graded for feedback, not counted")


def test_an_lms_file_of_no_student_is_refused(tmp_path, capsys):
    """`export --lms moodle --id email` where the class folder names students by login wrote
    a file of no student, 'wrote moodle-import.csv: 0 students', exit 0: imported, it changes
    nothing. Refused, exit 2, nothing written, saying why and what to give."""
    from grader.classroom.gradebook import Gradebook
    with Gradebook(tmp_path / "g.db") as book:
        for login in ("ana", "ben"):
            book.record(login, graded("ex01"), content_hash=f"x{login}")
    out = tmp_path / "moodle.csv"
    assert main(["export", "--lms", "moodle", "--id", "email", "--db", str(tmp_path / "g.db"),
                 "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: none of the 2 students of the gradebook can be written with --id email (e.g. "
        "'ana': not an email address: give --roster, or --id username); nothing was written")
    assert not out.exists()
    assert main(["export", "--lms", "moodle", "--db", str(tmp_path / "g.db"), "--out",
                 str(out)]) == 0
    assert out.read_text().splitlines() == ["Username,ex01_linear_model", "ana,4", "ben,4"]


def test_a_similarity_report_written_after_grading_is_linked_from_the_summary(tmp_path,
                                                                               capsys):
    """docs/course.md: grade the week, then write the similarity report into the pages'
    folder, and 'the class summary page links it': only the next class run linked it. The
    report, written beside a summary page, is linked from it at once; a summary page that
    links one already, or another file of that name, is left as it is."""
    from grader.classroom.summary import link_similarity, write_summary
    pages = tmp_path / "pages"
    write_summary({"ann": graded("ex01")}, pages / "summary.html")
    before = (pages / "summary.html").read_text()
    assert 'id="similarity" href' not in before
    for student, body in (("ann", reference("ex02_gradient_descent")),
                          ("bo", reference("ex02_gradient_descent").replace("xs", "inputs"))):
        (tmp_path / "c" / student).mkdir(parents=True)
        (tmp_path / "c" / student / "ex02_gradient_descent.py").write_text(body)
    assert main(["similarity", str(tmp_path / "c"), "--html", str(pages / "similarity.html"),
                 "--exercises", "ex02"]) == 0
    assert f"linked it from {pages / 'summary.html'}" in capsys.readouterr().out
    after = (pages / "summary.html").read_text()
    assert '<a id="similarity" href="similarity.html">similarity report</a>' in after
    assert after.replace(after[after.index(" &middot; <a id=\"similarity\""):
                               after.index("never a score)") + len("never a score)")],
                         '<span id="similarity"></span>') == before
    assert not link_similarity(pages / "similarity.html")          # linked already
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "summary.html").write_text("<p>a page of the course's own</p>")
    assert not link_similarity(tmp_path / "other" / "similarity.html")
    assert (tmp_path / "other" / "summary.html").read_text() == "<p>a page of the course's own</p>"


def test_a_students_page_heads_with_her_course_total(term, tmp_path):
    """Under a course, dan's page headed '78 / 330 points' (every check of all twelve
    exercises, before penalties) above a week3 that scored 0: the export gave him 40.2 / 78.
    The page heads with the course total as exported (the assignments that count now, late
    penalties applied), the raw points of all exercises beside it; without a course, as
    before."""
    from grader.classroom.course_grades import course_grades, page_rows
    from grader.classroom.feedback import render_page
    book, course, hand_in = term
    hand_in("fay", "ex01", "2026-10-01T20:00")                   # 4 of 4, on time
    hand_in("fay", "ex02", "2026-10-10T01:59")                   # 4 of 4, -20 %: 3.2
    rows = page_rows(course_grades(book, course, student="fay")["fay"])
    html = render_page(book.result("fay"), student="fay", assignments=rows)
    assert "<title>Feedback: fay (7.2 / 8)</title>" in html
    assert '<div class="big" id="total">7.2 / 8 points</div>' in html
    assert "every exercise graded, before penalties: 8 / 8" in html
    plain = render_page(book.result("fay"), student="fay")
    assert '<div class="big" id="total">8 / 8 points</div>' in plain
    assert "course-total" not in plain


def test_grade_class_without_exercises_grades_the_course_files(tmp_path, capsys):
    """After three weeks, `grade-class submissions --html-dir feedback` (no --exercises)
    graded all twelve exercises: 'class mean 63.8 / 330', and every page listed nine
    exercises the course never gave as 'no file handed in'. With a course file in effect it
    grades the course's exercises; --exercises all still grades every one."""
    alice = tmp_path / "subs" / "alice"
    alice.mkdir(parents=True)
    (alice / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "course.toml").write_text(BERLIN)           # week1: ex01 alone
    db = tmp_path / "g.db"
    assert main(["grade-class", str(tmp_path / "subs"), "--db", str(db), "--jobs", "1",
                 "--no-progress"]) == 0
    with closing(sqlite3.connect(db)) as con:
        graded = {r[0] for r in con.execute("SELECT DISTINCT exercise FROM graded_exercises")}
    assert graded == {"ex01"}


def test_export_before_a_time_reads_it_in_the_courses_zone(tmp_path, capsys):
    """`export --course course.toml --before 2026-10-01T23:45` (Berlin) counted work handed in
    at 00:00 Berlin time on the 2nd: the time was read in this machine's zone (UTC here), not
    the course's, where every due date is read. With a course file, in its zone; one with an
    offset as it says."""
    from datetime import datetime, timezone
    from grader.classroom.gradebook import Gradebook
    (tmp_path / "course.toml").write_text(BERLIN)
    with Gradebook(tmp_path / "g.db") as book:
        book.record("ann", graded("ex01"), content_hash="a1", files={"ex01": "f1"},
                    handed_in={"ex01": datetime(2026, 10, 1, 22, tzinfo=timezone.utc)})

    def week1(before):
        capsys.readouterr()
        assert main(["export", "--csv", "-", "--db", str(tmp_path / "g.db"), "--course",
                     str(tmp_path / "course.toml"), "--before", before]) == 0
        return next(csv.DictReader(io.StringIO(capsys.readouterr().out)))["week1 raw"]

    assert week1("2026-10-01T23:45") == "0"             # 00:00 Berlin: after 23:45 Berlin
    assert week1("2026-10-02T00:00") == "4"
    assert week1("2026-10-01T23:45Z") == "4"            # an offset: as it says


def test_an_extension_for_part_of_a_students_name_asks_whether_it_is_hers(tmp_path):
    """The trial's course file gave ben an extension; Canvas's download files him as
    'brownben', and the run said only "'ben' has handed in nothing yet": his work was late
    without it. The note asks whether it is his (a name 'ben' is part of); a name part of
    none, or of many, is said as before."""
    from grader.classroom.course_file import check_extensions, load_course
    (tmp_path / "course.toml").write_text(BERLIN + '[[extension]]\nstudent = "ben"\n'
                                                   'assignment = "week1"\ndays = 2\n')
    course = load_course(tmp_path / "course.toml")
    said = check_extensions(course, ["alvarezana", "brownben"])
    assert len(said) == 1 and said[0].endswith(
        "'ben' has handed in nothing yet; the extension of week1 applies when she does (is "
        "it 'brownben'? name her as the class run does)")
    assert check_extensions(course, ["alvarezana"])[0].endswith("applies when she does")
