"""What a fresh instructor's trial of a whole course found (issue 21), each at its mechanism:
a class run that cannot run a device's checks grades nothing; a timestamps CSV corrects only
the work handed in at its time; a run of another class folder says whose grades it mixes
with; nbgrader's time-zone names; names spelled in decomposed Unicode; a zip in a Moodle
download; Canvas names; misnamed files."""
import csv
import io
import os
import sqlite3
from pathlib import Path

import pytest

from grader.cli import main


def reference(ex="ex01_linear_model"):
    from grader.instructor.demo import ROOT
    return (ROOT / "solutions" / f"{ex}.py").read_text()


def grades(db, capsys):
    """{student: {column: value}} of `export --csv -`."""
    capsys.readouterr()
    assert main(["export", "--csv", "-", "--db", str(db)]) == 0
    return {r["student"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def test_a_class_run_for_cuda_without_a_gpu_grades_nothing(tmp_path, capsys, monkeypatch):
    """C1: --device cuda where no GPU is: its cuda checks could not run, and that grading
    (fewer points) would count over the full one and stay on a plain re-run. Refused, exit
    2, the gradebook as it was."""
    import grader.sandbox.device
    alice = tmp_path / "subs" / "alice"
    alice.mkdir(parents=True)
    (alice / "ex01_linear_model.py").write_text(reference())
    db = tmp_path / "g.db"
    run = ["grade-class", str(tmp_path / "subs"), "--db", str(db), "--exercises", "ex01",
           "--jobs", "1", "--no-progress"]
    assert main(run) == 0
    before = grades(db, capsys)
    monkeypatch.setattr(grader.sandbox.device, "cuda_available", lambda: False)
    assert main(run + ["--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "CUDA is not available" in err and "Nothing graded" in err
    assert grades(db, capsys) == before
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1


TWO_WEEKS = """\
time_zone = "UTC"
[late]
penalty = 10
accept_for = "3d"
[[assignment]]
name = "w1"
exercises = ["ex01"]
due = 2026-10-01T23:59:00
[[assignment]]
name = "w2"
exercises = ["ex02"]
due = 2026-10-08T23:59:00
"""


def test_an_older_timestamps_csv_does_not_move_newer_work(tmp_path, capsys):
    """C2: week 1's CSV (amy 10-01) given again after week 2's run (amy's ex02 handed in
    10-20, past the last date accepted: 0) moved ex02 back to 10-01 and counted it in full,
    though ex02 was not even among the exercises asked. A CSV time is the time of the work it
    was downloaded with: ex01 keeps 10-01, ex02 keeps 10-20, and the run says so."""
    amy = tmp_path / "subs" / "amy"
    amy.mkdir(parents=True)
    (amy / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "course.toml").write_text(TWO_WEEKS)
    for week, when in (("w1", "2026-10-01T12:00:00Z"), ("w2", "2026-10-20T12:00:00Z")):
        (tmp_path / f"{week}.csv").write_text(f"student,submitted_at\namy,{when}\n")
    db = tmp_path / "g.db"

    def run(ex, week):
        capsys.readouterr()
        assert main(["grade-class", str(tmp_path / "subs"), "--db", str(db), "--exercises",
                     ex, "--timestamps", str(tmp_path / f"{week}.csv"), "--jobs", "1",
                     "--no-progress"]) == 0
        return capsys.readouterr().out

    def ex02_time():
        with sqlite3.connect(db) as con:
            return con.execute("SELECT submitted_at FROM graded_exercises WHERE exercise = "
                               "'ex02'").fetchall()

    run("ex01", "w1")
    (amy / "ex02_gradient_descent.py").write_text(reference("ex02_gradient_descent"))
    run("ex02", "w2")
    recorded = ex02_time()
    assert len(recorded) == 1 and recorded[0][0].startswith("2026-10-20")
    again = run("ex01", "w1")
    assert ex02_time() == recorded
    assert "not 2026-10-20" not in again
    assert ("the timestamps CSV's 2026-10-01 12:00 UTC is the time of work she handed in before, "
            "not of ex02" in again)
    capsys.readouterr()
    assert main(["export", "--csv", "-", "--db", str(db), "--course",
                 str(tmp_path / "course.toml")]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(row["w2"]) == 0 and float(row["w1"]) > 0


def test_a_run_of_another_class_folder_over_the_same_students_says_so(tmp_path, capsys):
    """C3: two sections graded into one gradebook were merged by name without a word (alice
    of secA 18, then alice of secB 14 counted, nothing said). The gradebook records each run's
    class folder: a run over students last graded from another folder says so, once per
    folder, with the count and an example; a run of the same folder says nothing of it."""
    for section, text in (("secA", reference()), ("secB", "def predict(x, w, b):\n"
                                                          "    return x * w\n")):
        for student in ("alice", "bob"):
            (tmp_path / section / student).mkdir(parents=True)
            (tmp_path / section / student / "ex01_linear_model.py").write_text(text)
    (tmp_path / "secB" / "carol").mkdir()
    db = tmp_path / "g.db"

    def run(section):
        capsys.readouterr()
        assert main(["grade-class", str(tmp_path / section), "--db", str(db), "--exercises",
                     "ex01", "--jobs", "1", "--no-progress"]) == 0
        return [line for line in capsys.readouterr().out.splitlines() if "note:" in line]

    assert not [n for n in run("secA") if "another class folder" in n]
    notes = [n for n in run("secB") if "another class folder" in n]
    assert len(notes) == 1, notes
    assert "2 students of this run were last graded from another class folder" in notes[0]
    assert str(tmp_path / "secA") in notes[0] and "(e.g. alice)" in notes[0]
    assert notes[0].endswith("(as meant for a new download of the same class, or entries "
                             "renamed or mapped with --names to match); another class needs "
                             "its own --db")
    assert [n for n in run("secA") if "another class folder" in n] != []   # and back again


BERLIN = """\
time_zone = "Europe/Berlin"
[late]
penalty = 10
[[assignment]]
name = "w1"
exercises = ["ex01"]
due = 2026-10-01T23:00:00
"""


@pytest.mark.parametrize("stamp, utc", [
    ("2026-10-01 22:30:00.000000 CEST", "2026-10-01 20:30"),   # the course's zone, summer
    ("2026-12-01 22:30:00.000000 CET", "2026-12-01 21:30"),    # and winter
    ("2026-10-01 22:30:00.000000 EST", "2026-10-02 03:30"),    # another zone's
    ("2026-10-01 22:30:00.000000 EDT", "2026-10-02 02:30"),
    ("2026-10-01 22:30:00.000000 UTC", "2026-10-01 22:30"),
    ("2026-10-01 22:30:00.000000 +0200", "2026-10-01 20:30"),
    ("2026-10-01 22:30:00.000000", "2026-10-01 20:30"),         # none: the course's zone
])
def test_nbgraders_zone_names_are_read_as_nbgrader_writes_them(stamp, utc):
    """H1: nbgrader writes timestamp.txt with strftime's %Z of its `timezone` setting (CEST,
    EST); the name was ignored and the time read as UTC, '1 hour 30 minutes late'."""
    from datetime import timezone
    from zoneinfo import ZoneInfo
    from grader.classroom.handed_in import parse_time
    when = parse_time(stamp, ZoneInfo("Europe/Berlin"))
    assert when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") == utc


def test_a_class_run_reads_timestamp_txt_in_its_zone(tmp_path):
    """H1 end to end: handed in 22:30 CEST, due 23:00 Berlin time: on time."""
    from grader.classroom.course_file import load_course
    from grader.classroom.run import grade_class
    folder = tmp_path / "nb" / "submitted" / "kim" / "ex01_linear_model"
    folder.mkdir(parents=True)
    (folder / "ex01_linear_model.py").write_text(reference())
    (folder / "timestamp.txt").write_text("2026-10-01 22:30:00.000000 CEST\n")
    (tmp_path / "course.toml").write_text(BERLIN)
    grade_class(tmp_path / "nb", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                progress=False, course=load_course(tmp_path / "course.toml"))
    with sqlite3.connect(tmp_path / "g.db") as con:
        (text,), = con.execute("SELECT submitted_at FROM graded_exercises").fetchall()
    from datetime import datetime, timezone
    assert datetime.fromisoformat(text).astimezone(timezone.utc) == datetime(
        2026, 10, 1, 20, 30, tzinfo=timezone.utc)


def test_an_extension_for_a_name_spelled_decomposed_is_hers(tmp_path):
    """H2: the course file names 'Jose' + U+0301 (as her folder is spelled, or as pasted from
    a Mac); the class run files her composed (NFC), so the extension went to nobody ('has
    handed in nothing yet'). Names are compared as they are filed."""
    import unicodedata
    from grader.classroom.course_file import check_extensions, load_course
    from grader.classroom.filing import student_name
    decomposed = unicodedata.normalize("NFD", "José")
    (tmp_path / "course.toml").write_text(BERLIN + f'[[extension]]\nstudent = "{decomposed}"\n'
                                                   f'assignment = "w1"\ndays = 2\n')
    course = load_course(tmp_path / "course.toml")
    filed = student_name(decomposed)
    assert filed != decomposed
    due, extended = course.due_for(course.assignments[0], filed)
    assert extended and (due - course.assignments[0].due).days == 2
    assert check_extensions(course, [filed]) == []


def test_a_zip_in_a_moodle_download_folder_is_graded(tmp_path):
    """H3: Moodle keeps the zip a student uploaded inside her folder (`Bob Builder_4568_
    assignsubmission_file_/hw.zip`); it was never opened, 0/0. A folder holding one zip and
    no exercise file is graded from the zip's files (staging's zip rules), with a note; a
    folder with an exercise file beside a zip is graded from its files, as before."""
    import zipfile
    from grader.classroom.run import grade_class
    dl = tmp_path / "dl"
    bob = dl / "Bob Builder_4568_assignsubmission_file_"
    ann = dl / "Ann Lee_4570_assignsubmission_file_"
    for folder in (bob, ann):
        folder.mkdir(parents=True)
        with zipfile.ZipFile(folder / "hw.zip", "w") as z:
            z.writestr("hw/ex01_linear_model.py", reference())
    (ann / "ex01_linear_model.py").write_text("def predict(x, w, b):\n    return 0\n")
    run = grade_class(dl, db=tmp_path / "g.db", jobs=1, exercises=["ex01"], progress=False)
    assert any(n.startswith("Bob Builder: no exercise file in the folder; graded the files "
                            "of 'hw.zip'") for n in run.notes), run.notes
    assert not any(n.startswith("Ann Lee:") and "hw.zip" in n for n in run.notes)
    with sqlite3.connect(tmp_path / "g.db") as con:
        scores = dict(con.execute("SELECT t.name, s.score FROM submissions s JOIN students t "
                                  "ON t.id = s.student_id").fetchall())
    assert scores["Bob Builder"] > scores["Ann Lee"]


def test_a_timestamps_line_names_a_canvas_student_by_her_name_id_or_user_id(tmp_path):
    """H4: two students of one Canvas download name (smithjohn, user ids 201 and 202) are
    graded under names with a hash; the CSV's line 'smithjohn' was 'no student of this class'.
    A line names a student by the name she is graded under, her entry's (smithjohn_201), her
    Canvas user id (202), or her download name where it is hers alone; a name of two is used
    for neither, and said; each match by another name is said."""
    from grader.classroom.handed_in import match_timestamps, read_timestamps
    (tmp_path / "t.csv").write_text(
        "student,submitted_at\nsmithjohn,2026-10-01T20:00Z\nsmithjohn_201,2026-10-01T21:00Z\n"
        "202,2026-10-01T22:00Z\nadamsalice,2026-10-01T23:00Z\n")
    stamps = read_timestamps(tmp_path / "t.csv")
    students = [("smithjohn_201~1d90", "smithjohn_201", "smithjohn", "201"),
                ("smithjohn_202~b3e4", "smithjohn_202", "smithjohn", "202"),
                ("adamsalice", "adamsalice_301", "adamsalice", "301"),
                ("bob", "bob.zip")]
    times, notes = match_timestamps(stamps, students)
    assert {k: v.hour for k, v in times.items()} == {"smithjohn_201~1d90": 21,
                                                      "smithjohn_202~b3e4": 22, "adamsalice": 23}
    text = "\n".join(notes)
    assert "'smithjohn' names 2 students of this class (smithjohn_201~1d90, smithjohn_202~b3e4)"\
        in text and "its time unused" in text
    assert ("2 lines matched by another name than the one graded: 'smithjohn_201' for "
            "smithjohn_201~1d90, '202' for smithjohn_202~b3e4") in text
    assert "no student of this class" not in text and "no line for 1 student" in text


def test_an_lms_entry_gives_its_download_name_and_user_id(tmp_path):
    from grader.classroom.downloads import lms_names
    folder = tmp_path / "John Smith_4567_assignsubmission_file_"
    folder.mkdir()
    (tmp_path / "smithjohn_201_9006_hw.zip").write_bytes(b"")
    assert lms_names(folder) == ("John Smith", "4567")
    assert lms_names(tmp_path / "smithjohn_201_9006_hw.zip") == ("smithjohn", "201")
    assert lms_names(tmp_path) == ()


def test_a_misnamed_file_in_a_canvas_download_is_named(tmp_path):
    """H5: a Moodle file handed in again on Canvas ('smithjohn_202_9008_hw_5_assignsubmission_
    file_ex02_gradient_descent.py'): her own name is 'hw_5_..._ex02_gradient_descent.py', not
    ex02's, and ex02 was 'no file handed in' without a word. It is said, as staging says of a
    misnamed file, and not graded in ex02's place."""
    from grader.classroom.downloads import ending_exercise
    from grader.classroom.run import grade_class
    assert ending_exercise("hw_5_assignsubmission_file_ex02_gradient_descent.py") == "ex02"
    assert ending_exercise("my ex01_linear_model.ipynb") == "ex01"
    assert ending_exercise("ex02_gradient_descent.py") is None
    assert ending_exercise("utils.py") is None and ending_exercise("notes_ex02.txt") is None
    dl = tmp_path / "dl"
    dl.mkdir()
    (dl / "smithjohn_202_9007_ex01_linear_model.py").write_text(reference())
    (dl / "smithjohn_202_9008_hw_5_assignsubmission_file_ex02_gradient_descent.py").write_text(
        reference("ex02_gradient_descent"))
    run = grade_class(dl, db=tmp_path / "g.db", jobs=1, exercises=["ex02"], progress=False)
    assert ("smithjohn: found 'hw_5_assignsubmission_file_ex02_gradient_descent.py'; this "
            "exercise is read from ex02_gradient_descent.py (or .ipynb): rename the file, ex02 "
            "was not graded") in run.notes, run.notes
    assert not [n for n in run.notes if "module" in n]


def test_the_file_times_note_counts_only_students_timed_by_their_files(tmp_path):
    """M1: the note on file times counted a student whose unchanged work keeps the time a
    timestamps CSV gave it (this week's CSV has no line for him), and read '1 student''."""
    from datetime import datetime, timezone
    from grader.classroom.course_file import load_course
    from grader.classroom.run import grade_class
    for student in ("cleo", "dan", "eve"):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "course.toml").write_text(TWO_WEEKS)
    course = load_course(tmp_path / "course.toml")
    noon = datetime(2026, 10, 1, 12, tzinfo=timezone.utc)

    def said(stamps):
        run = grade_class(tmp_path / "class", db=tmp_path / "g.db", jobs=1,
                          exercises=["ex01"], progress=False, course=course, timestamps=stamps)
        return [n for n in run.notes if "files' own times" in n]

    first = said({"cleo": noon, "dan": noon})
    assert len(first) == 1 and first[0].startswith(
        "1 student's hand-in times are her files' own times (eve), which a student can set")
    assert said({"cleo": noon}) == first          # dan keeps the CSV's time: not counted


def test_a_grading_that_counted_fewer_checks_never_counts_over_a_fuller_one(tmp_path):
    """C1, in the gradebook: the same file graded again with the same grader, where a device's
    checks could not run (skipped, not counted: 14 of 18 points), does not replace the grading
    that ran them all; a grading of new work does, whatever it counted."""
    from grader.classroom.gradebook import Gradebook
    from grader.engine.runner import CheckResult, GradeResult

    def result(cuda_ran, passed=True):
        checks = [CheckResult(nodeid=f"t::c{i}[{dev}]", exercise="ex01", target="t",
                              title=f"c{i}", params=dev, points=pts, visible=True,
                              status=("passed" if passed else "failed")
                              if dev == "cpu" or cuda_ran else "skipped",
                              message="", seconds=0.01)
                  for i, (dev, pts) in enumerate([("cpu", 14.0), ("cuda", 4.0)])]
        return GradeResult(submission="x", seed=1, checks=checks, exercises=["ex01"],
                           seconds=0.1)

    with Gradebook(tmp_path / "g.db") as book:
        book.record("alice", result(True), content_hash="h1", files={"ex01": "f1"})
        book.record("alice", result(False), content_hash="h1", files={"ex01": "f1"},
                    device="cuda")
        assert book.table()[1][0][1]["ex01"] == 18
        book.record("alice", result(False, passed=False), content_hash="h2",
                    files={"ex01": "f2"})
        assert book.table()[1][0][1]["ex01"] == 0           # new work counts
