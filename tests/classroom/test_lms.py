"""Grades an LMS imports as they are (grader.classroom.lms), and an LMS's bulk download read as a
class folder (grader.classroom.downloads).

The fixture files are written here by hand in the shapes Canvas and Moodle give them: Canvas's
gradebook export (a byte-order mark, `Student, ID, SIS User ID, SIS Login ID, Section`, columns
`Name (id)`, a `Points Possible` row second, read-only totals) and its "Download Submissions"
names (`smithjohn_LATE_12345_67890_ex01_linear_model-1.py`); Moodle's grade export (First
name, Last name, ID number, ..., `Assignment: name (Real)`, "Last downloaded from this course")
and its folders (`John Smith_4567_assignsubmission_file_/`)."""
import csv
import os
from pathlib import Path

import pytest

from grader.classroom import downloads, lms
from grader.classroom.entries import gather, list_class
from grader.classroom.gradebook import Gradebook
from grader.cli import main
from grader.engine.runner import CheckResult, GradeResult


def check(ex, target, status, points):
    return CheckResult(nodeid=f"hidden/test_{ex}.py::test_{target}[]", exercise=ex,
                       target=target, title=f"{target} works", params="", points=points,
                       visible=False, status=status, message="", seconds=0.01)


def graded(ex01_passed: int, ex02_passed: bool):
    """ex01: two checks of 2 points (`ex01_passed` of them pass); ex02: one of 3 points."""
    checks = [check("ex01", "a", "passed" if ex01_passed > 0 else "failed", 2.0),
              check("ex01", "b", "passed" if ex01_passed > 1 else "failed", 2.0),
              check("ex02", "c", "passed" if ex02_passed else "failed", 3.0)]
    return GradeResult(submission="x", seed=7, checks=checks, exercises=["ex01", "ex02"],
                       seconds=0.1)


def gradebook(tmp_path, students: dict) -> Path:
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        for i, (name, (a, b)) in enumerate(students.items()):
            book.record(name, graded(a, b), content_hash=f"h{i}")
    return db


def write(path: Path, text: str, bom=False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", "\r\n").encode())
    return path


# Canvas's gradebook export: Grades > Export > Export Entire Gradebook
CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (5400),ex01_linear_model (5501),Current Score
    Points Possible,,,,,10.00,4.00,(read only)
"Smith, John",101,S001,jsmith@uni.edu,Sec A,8.00,,80.00
"Lee, Ann",102,S002,alee,Sec A,9.00,1.00,90.00
"Müller, José",103,S003,jmuller,Sec B,,,
"Student, Test",104,,a1b2c3,Sec A,,,
"""


def test_canvas_fills_in_its_own_gradebook_export(tmp_path, capsys):
    """Matched by SIS Login ID (jsmith@uni.edu), login (S002: the SIS User ID), name (the
    download name 'mullerjose'); 'ghost' matches no row and is listed; the Test Student's row
    and the Quiz column are kept as they were; ex02 is a new column; no total is added."""
    db = gradebook(tmp_path, {"jsmith@uni.edu": (2, True), "S002": (1, False),
                              "mullerjose": (0, True), "ghost": (2, True)})
    roster = write(tmp_path / "gradebook_export.csv", CANVAS_ROSTER, bom=True)
    out = tmp_path / "canvas.csv"
    assert main(["export", "--lms", "canvas", "--roster", str(roster), "--db", str(db),
                 "--out", str(out)]) == 0
    expected = (
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,ex01_linear_model (5501),"
        "ex02_gradient_descent,Quiz 1 (5400),Current Score\r\n"
        "    Points Possible,,,,,4,3,10.00,(read only)\r\n"
        '"Smith, John",101,S001,jsmith@uni.edu,Sec A,4,3,8.00,80.00\r\n'
        '"Lee, Ann",102,S002,alee,Sec A,2,0,9.00,90.00\r\n'
        '"Müller, José",103,S003,jmuller,Sec B,0,3,,\r\n'
        '"Student, Test",104,,a1b2c3,Sec A,,,,\r\n')
    assert out.read_bytes().decode("utf-8") == expected
    said = capsys.readouterr()
    assert "wrote" in said.out and "3 students" in said.out
    assert "ex02_gradient_descent" in said.out and "new assignment" in said.out
    assert "'ghost' (no row matches)" in said.err and "1 student " in said.err


def test_canvas_adds_the_points_row_second_and_writes_stdout(tmp_path, capsys):
    db = gradebook(tmp_path, {"alee": (2, False)})
    roster = write(tmp_path / "r.csv", "Student,ID,SIS User ID,SIS Login ID,Section\n"
                                       '"Lee, Ann",102,S002,alee,Sec A\n')
    assert main(["export", "--lms", "canvas", "--roster", str(roster), "--db", str(db),
                 "--out", "-"]) == 0
    said = capsys.readouterr()
    assert said.out == ("Student,ID,SIS User ID,SIS Login ID,Section,ex01_linear_model,"
                        "ex02_gradient_descent\r\n"
                        "    Points Possible,,,,,4,3\r\n"
                        '"Lee, Ann",102,S002,alee,Sec A,4,0\r\n')
    assert "wrote stdout" in said.err


def test_canvas_refuses_what_is_not_its_export_and_what_is_not_a_file(tmp_path, capsys):
    db = gradebook(tmp_path, {"alee": (2, False)})
    moodle = write(tmp_path / "moodle.csv", "First name,Last name,Email address\n")
    out = tmp_path / "out.csv"
    assert main(["export", "--lms", "canvas", "--roster", str(moodle), "--db", str(db),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not a Canvas gradebook export" in err and "SIS Login ID" in err
    assert not out.exists()
    assert main(["export", "--lms", "canvas", "--db", str(db), "--out", str(out)]) == 2
    assert "needs --roster" in capsys.readouterr().err
    roster = write(tmp_path / "r.csv", CANVAS_ROSTER)
    target = write(tmp_path / "target.csv", "keep me\n")
    (tmp_path / "link.csv").symlink_to(target)
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "folder.csv").mkdir()
    for name in ("link.csv", "fifo.csv", "folder.csv"):
        assert main(["export", "--lms", "canvas", "--roster", str(roster), "--db", str(db),
                     "--out", str(tmp_path / name)]) == 2, name
        assert "nothing was written" in capsys.readouterr().err
    assert (tmp_path / "link.csv").is_symlink() and target.read_bytes() == b"keep me\r\n"
    assert main(["export", "--lms", "canvas", "--roster", str(tmp_path / "fifo.csv"),
                 "--db", str(db), "--out", str(out)]) == 2       # a FIFO is never waited on
    assert "cannot be read" in capsys.readouterr().err and not out.exists()
    (tmp_path / "roster-link.csv").symlink_to(roster)      # the instructor's own link: read
    assert main(["export", "--lms", "canvas", "--roster", str(tmp_path / "roster-link.csv"),
                 "--db", str(db), "--out", str(out)]) == 0
    assert out.read_text().splitlines()[3] == '"Lee, Ann",102,S002,alee,Sec A,4,0,9.00,90.00'


def people(*rows):
    """rows: (SIS Login ID, SIS User ID, 'Last, First')"""
    return [lms._person(login, [uid], names=lms.name_forms(name)) for login, uid, name in rows]


def test_matching_order_and_what_is_never_guessed():
    rows = people(("alee", "S1", "Park, Jin"),         # 0
                  ("jpark@uni.edu", "alee2", "Lee, A"),  # 1
                  ("bob", "S3", "Smith, John"),        # 2
                  ("bob2", "S4", "Smith, John"))       # 3
    for student, step in [("ALEE2", "the login (SIS User ID), case aside"),
                          ("jpark", "the email jpark@uni.edu's login"),
                          ("leea", "the name 'Lee, A'")]:
        assert lms.match([student], rows) == ({student: 1}, {}), step
    found, why = lms.match(["alee", "ALEE2", "leea", "jpark", "smithjohn", "John Smith",
                            "nobody"], rows)
    assert found == {"alee": 0}        # its SIS Login ID, though row 1's name reads 'alee' too
    # ALEE2, leea and jpark each reach row 1: a row that two students reach goes to none
    assert why["leea"] == why["jpark"] == why["ALEE2"] == \
        "3 students match one row (ALEE2, leea, jpark)"
    assert why["smithjohn"] == "2 rows match by name" and why["John Smith"] == why["smithjohn"]
    assert why["nobody"] == "no row matches"


def test_an_email_matches_only_as_a_whole():
    """A student's entry named alice@evil.com is not alice@uni.edu: her points never go into
    Alice's row (before, the part before '@' matched Alice's login, with no warning)."""
    rows = people(("alice@uni.edu", "S1", "Smith, Alice"), ("bob", "S2", "Jones, Bob"))
    found, why = lms.match(["alice@evil.com"], rows)
    assert found == {} and why["alice@evil.com"] == "no row matches"
    assert lms.match(["alice@uni.edu"], rows)[0] == {"alice@uni.edu": 0}
    assert lms.match(["alice"], rows)[0] == {"alice": 0}       # a login, named without '@'


# Moodle's grade export (Grades > Export > Plain text file), as it comes
MOODLE_EXPORT = """\
First name,Last name,ID number,Institution,Department,Email address,\
Assignment: ex01_linear_model (Real),Course total (Real),Last downloaded from this course
John,Smith,1001,,,js@uni.edu,-,-,1733500000
Ann,Lee,,,,alee@uni.edu,-,-,1733500000
"""


def test_moodle_writes_an_identifier_and_numeric_grades_only(tmp_path, capsys):
    db = gradebook(tmp_path, {"alee": (1, True), "bob": (2, False), "John Smith": (0, False)})
    out = tmp_path / "m.csv"
    assert main(["export", "--lms", "moodle", "--db", str(db), "--out", str(out)]) == 0
    assert out.read_bytes() == (b"Username,ex01_linear_model,ex02_gradient_descent\r\n"
                                b"alee,2,3\r\nbob,4,0\r\n")
    assert "'John Smith' (not a username" in capsys.readouterr().err
    written = out.read_bytes()
    # no student can be written (a file of no grades imports without a word): refused,
    # nothing written
    assert main(["export", "--lms", "moodle", "--id", "email", "--db", str(db), "--out",
                 str(out)]) == 2
    assert out.read_bytes() == written
    err = capsys.readouterr().err
    assert "none of the 3 students" in err and "not an email address" in err
    # an ID number is never a folder's name: without a roster, nobody can be written
    assert main(["export", "--lms", "moodle", "--id", "idnumber", "--db", str(db), "--out",
                 str(out)]) == 2
    assert out.read_bytes() == written
    assert "no ID number without a roster" in capsys.readouterr().err


def test_moodle_reads_its_own_export_as_the_roster(tmp_path, capsys):
    """John Smith's folder name matches his row by name, alee by her email's login; the
    export keeps Moodle's own name for the item it has, drops the course total and the
    "Last downloaded" column; a row without the ID number asked for is listed."""
    db = gradebook(tmp_path, {"John Smith": (2, True), "alee": (1, False)})
    roster = write(tmp_path / "grades.csv", MOODLE_EXPORT)
    out = tmp_path / "m.csv"
    assert main(["export", "--lms", "moodle", "--roster", str(roster), "--id", "idnumber",
                 "--db", str(db), "--out", str(out)]) == 0
    text = out.read_text()
    assert text == ("ID number,Assignment: ex01_linear_model (Real),ex02_gradient_descent\n"
                    "1001,4,3\n")
    assert "Last downloaded" not in text and "total" not in text
    assert "'alee' (the roster's row has no ID number)" in capsys.readouterr().err
    assert main(["export", "--lms", "moodle", "--roster", str(roster), "--id", "email",
                 "--db", str(db), "--out", str(out)]) == 0
    assert out.read_text().splitlines()[1:] == ["js@uni.edu,4,3", "alee@uni.edu,2,0"]
    assert main(["export", "--lms", "moodle", "--roster", str(roster), "--id", "username",
                 "--db", str(db), "--out", str(out)]) == 2
    assert "no Username column: give --id email or idnumber" in capsys.readouterr().err


def test_export_asks_for_one_kind_of_output(tmp_path, capsys):
    db = gradebook(tmp_path, {"alee": (1, False)})
    assert main(["export", "--db", str(db)]) == 2
    assert main(["export", "--csv", "-", "--lms", "moodle", "--db", str(db)]) == 2
    assert "give --csv OUT, or --lms" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# bulk-download names

@pytest.mark.parametrize("name, folder, expected", [
    ("smithjohn_12345_67890_ex01_linear_model.py", False,
     ("canvas", "smithjohn", "12345", False, "ex01_linear_model.py")),
    ("smithjohn_LATE_12345_67890_ex01_linear_model.py", False,
     ("canvas", "smithjohn", "12345", True, "ex01_linear_model.py")),
    ("smithjohn_12345_67890_ex01_linear_model-1.py", False,      # handed in again
     ("canvas", "smithjohn", "12345", False, "ex01_linear_model.py")),
    ("o_brienkate_7_8_ex02_gradient_descent-12.ipynb", False,
     ("canvas", "o_brienkate", "7", False, "ex02_gradient_descent.ipynb")),
    ("John Smith_4567_assignsubmission_file_", True, ("moodle", "John Smith", "4567", False, "")),
    ("Ann Lee_11_assignsubmission_file_ex01_linear_model.py", False,
     ("moodle", "Ann Lee", "11", False, "ex01_linear_model.py")),
    ("John Smith_4567_assignsubmission_file_", False, None),    # a file needs its own name
    ("smithjohn_12345_67890_ex01.py", True, None),              # Canvas never makes folders
    ("alice", True, None), ("ex01_linear_model.py", False, None),
    ("smith_12_ex01_linear_model.py", False, None),             # one number only
])
def test_bulk_download_names(name, folder, expected):
    found = downloads.parse(name, folder=folder)
    got = None if found is None else (found.lms, found.name, found.user_id, found.late,
                                      found.file)
    assert got == expected


# file names a student may give her upload: her own, and ones shaped like either LMS's names
OWN_NAMES = ["ex01_linear_model.py", "hw_5_assignsubmission_file_ex01_linear_model.py",
             "Jo Doe_7_assignsubmission_onlinetext_ex02_gradient_descent.py",
             "smithjohn_12_34_ex01_linear_model.py", "x_LATE_1_2_ex03.ipynb", "a_1_2_b_3_4_c.py",
             "v2_2024_10_ex01_linear_model.py", "_9_assignsubmission_x_.py"]


@pytest.mark.parametrize("own", OWN_NAMES)
def test_the_lms_part_of_a_name_comes_first_whatever_the_students_file_name_holds(own):
    """Canvas and Moodle each put their own part (name, ids) first: the student's own file
    name after it is hers, even where it is shaped like the other LMS's name or like its
    own; a Canvas upload never reads as Moodle's, nor the other way round."""
    for prefix, late in (("smithjohn_12345_67890_", False), ("smithjohn_LATE_12345_67890_", True),
                         ("o_brienkate_12345_67890_", False)):
        found = downloads.parse(prefix + own)
        assert (found.lms, found.name, found.user_id, found.late, found.file) == (
            "canvas", prefix.split("_LATE")[0].rsplit("_", 3)[0] if not late else "smithjohn",
            "12345", late, own), prefix + own
    for full in ("John Smith", "Ann Lee-Park", "Jo_Doe"):
        found = downloads.parse(f"{full}_4567_assignsubmission_file_{own}")
        assert (found.lms, found.name, found.user_id, found.file, found.plugin) == (
            "moodle", full, "4567", own, "file"), own


def odd(name: bytes) -> str:
    return os.fsdecode(name)


def test_canvas_files_are_grouped_per_student_under_their_own_names(tmp_path):
    c = tmp_path / "class"
    c.mkdir()
    for name, text in [
            ("smithjohn_LATE_12345_67890_ex01_linear_model.py", "# john ex01"),
            ("smithjohn_LATE_12345_67890_ex02_gradient_descent-1.py", "# john ex02"),
            ("smithjohn_12345_67890_report.pdf", "%PDF"),
            ("smithjohn_999_5_ex01_linear_model.py", "# the other john"),   # another user id
            (odd(b"m\xfcller_55_6_ex01_linear_model.py"), "# odd bytes"),
            ("leeann_77_8_ex01_linear_model.py", "# first"),
            ("leeann_77_9_ex01_linear_model-1.py", "# second, same name once restored")]:
        (c / name).write_text(text)
    (c / "smithjohn_12345").mkdir()          # a student's own folder, named like a bundle
    (c / "smithjohn_12345" / "ex01_linear_model.py").write_text("# the folder")
    (c / "notes.txt").write_text("not a student")
    entries, _ = list_class(c)
    students = [s for s, _ in entries]
    assert len(students) == len(set(students)) == 5
    by_source = {p.name: (s, p) for s, p in entries}
    assert set(by_source) == {"smithjohn_12345", "smithjohn_12345_", "smithjohn_999",
                              odd(b"m\xfcller_55"), "leeann_77"}
    assert by_source["leeann_77"][0] == "leeann"
    # two Canvas users both named smithjohn, and a folder of that name: none takes another's
    johns = [by_source[k][0] for k in ("smithjohn_12345", "smithjohn_12345_", "smithjohn_999")]
    assert "smithjohn" not in johns and len(set(johns)) == 3
    assert by_source[odd(b"m\xfcller_55")][0].startswith("m\\xfcller~")

    student, bundle = by_source["smithjohn_12345_"]
    assert isinstance(bundle, downloads.Bundle) and downloads.marked_late(bundle)
    entry = gather(student, bundle, tmp_path / "work" / "0")
    assert sorted(entry.files) == ["ex01_linear_model.py", "ex02_gradient_descent.py"]
    assert (entry.folder / "ex02_gradient_descent.py").read_text() == "# john ex02"
    assert any("Canvas marks this submission late" in n for n in entry.problems)
    assert any("report.pdf" in n and "not graded" in n for n in entry.problems)
    assert not (tmp_path / "work" / "0-files").exists()          # the private copy is gone
    folder = gather(*by_source["smithjohn_12345"], tmp_path / "work" / "1")
    assert (folder.folder / "ex01_linear_model.py").read_text() == "# the folder"
    assert not downloads.marked_late(by_source["smithjohn_12345"][1])
    assert not any("late" in n for n in folder.problems)
    lee = gather(*by_source["leeann_77"], tmp_path / "work" / "2")
    assert (lee.folder / "ex01_linear_model.py").read_text() == "# second, same name once restored"
    assert any(n.startswith("'leeann_77_8_ex01_linear_model.py' was not graded") and
               "handed in again later" in n for n in lee.problems), lee.problems


@pytest.mark.parametrize("handed", [
    # (Canvas's id, the file's name as Canvas wrote it, what it holds): oldest first
    [(7, "ex01_linear_model.py", "first"), (8, "ex01_linear_model-1.py", "second"),
     (9, "ex01_linear_model-2.py", "third")],
    [(20, "ex01_linear_model-9.py", "tenth"), (21, "ex01_linear_model-10.py", "eleventh")],
    [(30, "ex01_linear_model.ipynb", "first"), (5, "ex01_linear_model-1.ipynb", "second")]])
def test_the_newest_of_a_file_handed_in_again_is_graded(tmp_path, handed):
    """Canvas names a file handed in again `-1`, `-2`, ...: the newest is graded, whatever
    order the names sort in (`-10` after `-9`; the numbers before the name are Canvas's ids,
    `-1` says more), and the older ones are noted as not graded."""
    c = tmp_path / "class"
    c.mkdir()
    for sid, name, text in handed:
        (c / f"leeann_77_{sid}_{name}").write_text(f"# {text}")
    (c / "leeann_77_6_ex02_gradient_descent.py").write_text("# ex02, once")
    [(student, bundle)] = list_class(c)[0]
    entry = gather(student, bundle, tmp_path / "work")
    own = handed[0][1].replace("-9", "")
    assert sorted(entry.files) == sorted([own, "ex02_gradient_descent.py"])
    assert (entry.folder / own).read_text() == f"# {handed[-1][2]}"
    older = [n for n in entry.problems if "was not graded" in n]
    assert len(older) == len(handed) - 1, entry.problems
    for note in older:
        assert f"leeann_77_{handed[-1][0]}_{handed[-1][1]}" in note and \
            "handed in again later" in note, note


def test_canvas_bundle_refuses_links_and_oversized_files(tmp_path, monkeypatch):
    c = tmp_path / "class"
    c.mkdir()
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1")
    (c / "evejones_5_6_ex01_linear_model.py").symlink_to(secret)
    (c / "evejones_5_6_ex02_gradient_descent.py").write_text("x = 1\n" * 100)
    monkeypatch.setattr("grader.classroom.entries.MAX_FILE_BYTES", 50)
    [(student, bundle)] = list_class(c)[0]
    entry = gather(student, bundle, tmp_path / "w")
    assert student == "evejones" and entry.files == []
    assert sum("evejones_5_6_ex01" in n and "link" in n for n in entry.problems) == 1
    assert any("evejones_5_6_ex02" in n for n in entry.problems)


def test_moodle_folders_are_read_as_their_students(tmp_path):
    c = tmp_path / "class"
    for name in ("John Smith_4567_assignsubmission_file_", "Ann Lee_11_assignsubmission_file_"):
        (c / name).mkdir(parents=True)
        (c / name / "ex01_linear_model.py").write_text(f"# {name}")
    (c / "John Smith_4567_assignsubmission_onlinetext_").mkdir()
    (c / "John Smith_4567_assignsubmission_onlinetext_" / "onlinetext.html").write_text("hi")
    entries, notes = list_class(c)
    assert [s for s, _ in entries] == ["Ann Lee", "John Smith"]
    assert any("John Smith_4567_assignsubmission_onlinetext_" in n for n in notes)


def test_a_course_file_makes_one_column_per_assignment(tmp_path, capsys):
    """With a course file, a column per assignment: week1 (due) its score, its id kept from
    the roster; week2 (not due yet) left blank, with its points."""
    db = gradebook(tmp_path, {"alee": (1, True)})
    course = tmp_path / "course.toml"
    course.write_text('time_zone = "UTC"\n\n'
                      '[[assignment]]\nname = "week1"\nexercises = ["ex01"]\n'
                      'due = 2020-10-01T23:59:00\n\n'
                      '[[assignment]]\nname = "week2"\nexercises = ["ex02"]\n'
                      'due = 2099-10-01T23:59:00\n\n'
                      '[[assignment]]\nname = "week3"\nexercises = ["ex03"]\n'   # due, never
                      'due = 2020-10-08T23:59:00\n')                             # graded: no
                                                                                # column
    roster = write(tmp_path / "r.csv", "Student,ID,SIS User ID,SIS Login ID,Section,week1 (6001)\n"
                                       "    Points Possible,,,,,4.00\n"
                                       '"Lee, Ann",102,S002,alee,Sec A,1.00\n')
    out = tmp_path / "canvas.csv"
    assert main(["export", "--lms", "canvas", "--roster", str(roster), "--course", str(course),
                 "--db", str(db), "--out", str(out)]) == 0
    assert out.read_text() == ("Student,ID,SIS User ID,SIS Login ID,Section,week1 (6001),week2\n"
                               "    Points Possible,,,,,4,3\n"
                               '"Lee, Ann",102,S002,alee,Sec A,2,\n')
    # Moodle alike: an assignment not due yet is a blank cell (a 0 would be imported as one)
    assert main(["export", "--lms", "moodle", "--course", str(course), "--db", str(db),
                 "--out", str(out)]) == 0
    assert out.read_text().splitlines() == ["Username,week1,week2", "alee,2,"]


def test_a_canvas_download_is_graded_and_exported_end_to_end(tmp_path, capsys):
    """grade-class on Canvas's unpacked download: the student is 'smithjohn', graded from her
    restored ex01_linear_model.py, with the LATE note on her row; a second run keeps her
    name and skips her; a --csv onto her file is refused; the Canvas export finds her row by
    that download name."""
    root = Path(__file__).resolve().parents[2]
    c = tmp_path / "download"
    c.mkdir()
    mine = c / "smithjohn_LATE_12345_67890_ex01_linear_model-1.py"
    mine.write_bytes((root / "solutions" / "ex01_linear_model.py").read_bytes())
    db = tmp_path / "g.db"
    args = ["grade-class", str(c), "--db", str(db), "--exercises", "ex01", "--no-progress",
            "--jobs", "1"]
    assert main(args + ["--csv", str(mine)]) == 2          # her file is never written over
    assert "the student entry" in capsys.readouterr().err
    assert mine.read_bytes() == (root / "solutions" / "ex01_linear_model.py").read_bytes()
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "1 already in the gradebook" in said and "graded from" not in said
    with Gradebook(db) as book:
        assert book.students() == ["smithjohn"]
        result = book.result("smithjohn")
        assert result.score == result.max_score > 0
        assert any("Canvas marks this submission late" in n for n in book.notes("smithjohn"))
    # two John Smiths in the course: the run kept her Canvas user id, which finds her row
    roster = write(tmp_path / "r.csv", "Student,ID,SIS User ID,SIS Login ID,Section\n"
                                       '"Smith, John",999,S8,js8,Sec A\n'
                                       '"Smith, John",12345,S9,js9,Sec A\n')
    assert main(["export", "--lms", "canvas", "--roster", str(roster), "--db", str(db),
                 "--out", str(tmp_path / "canvas.csv")]) == 0
    points = f"{result.max_score:g}"
    assert (tmp_path / "canvas.csv").read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,ex01_linear_model",
        f"    Points Possible,,,,,{points}", '"Smith, John",999,S8,js8,Sec A,',
        f'"Smith, John",12345,S9,js9,Sec A,{points}']
    assert "not in the file" not in capsys.readouterr().err


def test_an_lms_export_counts_what_policy_and_before_pick_and_refuses_history(tmp_path,
                                                                             capsys):
    """alee handed in twice: full marks on Oct 1, nothing passing on Oct 3. Each LMS export
    writes the grade the policy picks (latest: 0; best, or the latest before Oct 2: full), as
    `export --csv` does; --history (every submission) is refused in one line, nothing written."""
    from datetime import datetime, timezone
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        for i, (day, passed) in enumerate([(1, (2, True)), (3, (0, False))]):
            when = datetime(2026, 10, day, 12, tzinfo=timezone.utc)
            book.record("alee", graded(*passed), content_hash=f"h{i}",
                        handed_in={"ex01": when, "ex02": when})
    roster = write(tmp_path / "r.csv", "Student,ID,SIS User ID,SIS Login ID,Section\n"
                                       '"Lee, Ann",102,S002,alee,Sec A\n')
    out = tmp_path / "out.csv"
    lms_args = {"canvas": ["--roster", str(roster)], "moodle": []}
    for kind, extra in lms_args.items():
        for picked, expected in [([], ["0", "0"]), (["--policy", "best"], ["4", "3"]),
                                 (["--before", "2026-10-02T00:00"], ["4", "3"])]:
            assert main(["export", "--lms", kind, *extra, "--db", str(db), "--out", str(out),
                         *picked]) == 0, (kind, picked)
            last = out.read_text().splitlines()[-1].split(",")
            assert last[-2:] == expected, (kind, picked, last)
            capsys.readouterr()
            assert main(["export", "--csv", "-", "--db", str(db), *picked]) == 0
            plain = capsys.readouterr().out.splitlines()[1].split(",")
            assert plain[1:3] == expected                  # the same grades as export --csv
        out.unlink()
        assert main(["export", "--lms", kind, *extra, "--history", "--db", str(db), "--out",
                     str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--history" in err and "one grade per student" in err
        assert not out.exists()


def test_students_with_one_download_name_are_matched_by_their_canvas_user_id(tmp_path, capsys):
    """Two students named Jane Smith hand in (`smithjane_111_...`, `smithjane_222_..._LATE`)
    and a zip Canvas named; a folder named like a user id is no Canvas user. Each Canvas
    student gets the row of her own user id (the roster's ID), whatever its name says; one
    whose id is in no row is listed, never put in a namesake's row; the folder is matched as
    before (by name: none)."""
    c = tmp_path / "class"
    c.mkdir()
    for name in ("smithjane_111_5_ex01_linear_model.py",
                 "smithjane_LATE_222_6_ex01_linear_model.py",
                 "smithjane_333_7_ex01_linear_model.py", "leeann_444_8_week1.zip"):
        (c / name).write_text("x = 1\n")
    (c / "team_555").mkdir()
    (c / "team_555" / "ex01_linear_model.py").write_text("x = 1\n")
    entries, _ = list_class(c)
    assert len(entries) == 5
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        downloads.remember_users(book, entries)
        by_uid = {}
        for i, (student, entry) in enumerate(entries):
            passed = {"111": (2, True), "222": (1, False), "333": (0, True), "444": (2, False)}
            uid = downloads.canvas_user(entry)
            by_uid[uid] = student
            book.record(student, graded(*passed.get(uid, (0, False))), content_hash=f"h{i}")
    assert by_uid[""] == "team_555" and len({by_uid[u] for u in ("111", "222", "333")}) == 3
    roster = write(tmp_path / "r.csv", "Student,ID,SIS User ID,SIS Login ID,Section\n"
                                       '"Smith, Jane",222,S2,js2,Sec A\n'
                                       '"Smith, Jane",111,S1,js1,Sec A\n'
                                       '"Lee, Ann",444,S4,al4,Sec B\n'
                                       '"Team, Five",555,S5,tf5,Sec B\n')
    out = tmp_path / "canvas.csv"
    assert main(["export", "--lms", "canvas", "--roster", str(roster), "--db", str(db),
                 "--out", str(out)]) == 0
    assert out.read_text().splitlines()[2:] == [
        '"Smith, Jane",222,S2,js2,Sec A,2,0', '"Smith, Jane",111,S1,js1,Sec A,4,3',
        '"Lee, Ann",444,S4,al4,Sec B,4,0', '"Team, Five",555,S5,tf5,Sec B,,']
    err = capsys.readouterr().err
    assert f"{by_uid['333']!r} (no row has her Canvas user id 333)" in err
    assert "'team_555' (no row matches)" in err and "2 students" in err
    with Gradebook(db) as book:                # a later run from other entries forgets them
        downloads.remember_users(book, [(by_uid["111"], c / "team_555")])
        assert by_uid["111"] not in downloads.canvas_users(book)
        assert downloads.canvas_users(book)[by_uid["222"]] == "222"


# A course without SIS: Canvas's export has no SIS columns (Student, ID, Section, then ...)
CANVAS_NO_SIS = """\
Student,ID,Section,Quiz 1 (5400),ex01_linear_model (5501),Current Score
    Points Possible,,,10.00,4.00,(read only)
"Smith, John",101,Sec A,8.00,,80.00
"Lee, Ann",102,Sec A,9.00,1.00,90.00
"Smith, John",103,Sec B,,,
"Student, Test",104,Sec A,,,
"""


def test_canvas_without_sis_columns_is_filled_in_by_user_id_and_name(tmp_path, capsys):
    """Each student goes to her row by what the roster has: her Canvas user id (from its
    download: the second John Smith, 103) or her name ('leeann'); the columns are the
    roster's own (no SIS column added); a login matches nothing there, and the reason says
    why; two John Smiths by name alone are no match."""
    import json
    db = gradebook(tmp_path, {"leeann": (2, False), "smithjohn_103": (1, True),
                              "alee": (2, True), "smithjohn": (2, True)})
    with Gradebook(db) as book:
        book.set_meta(downloads.CANVAS_USERS, json.dumps({"smithjohn_103": "103"}))
    roster = write(tmp_path / "gradebook_export.csv", CANVAS_NO_SIS, bom=True)
    out = tmp_path / "canvas.csv"
    assert main(["export", "--lms", "canvas", "--roster", str(roster), "--db", str(db),
                 "--out", str(out)]) == 0
    assert out.read_bytes().decode("utf-8") == (
        "\ufeffStudent,ID,Section,ex01_linear_model (5501),ex02_gradient_descent,Quiz 1 (5400),"
        "Current Score\r\n"
        "    Points Possible,,,4,3,10.00,(read only)\r\n"
        '"Smith, John",101,Sec A,,,8.00,80.00\r\n'
        '"Lee, Ann",102,Sec A,4,0,9.00,90.00\r\n'
        '"Smith, John",103,Sec B,2,3,,\r\n'
        '"Student, Test",104,Sec A,,,,\r\n')
    said = capsys.readouterr()
    assert "wrote" in said.out and "2 students" in said.out
    assert "2 students of the gradebook are not in the file" in said.err
    assert "'alee' (no row matches: the roster has no SIS or login column" in said.err
    assert "'smithjohn' (2 rows match by name)" in said.err


@pytest.mark.parametrize("head,row,student", [
    ("Student,ID,SIS Login ID,Section", '"Lee, Ann",102,alee@uni.edu,Sec A', "alee"),
    ("Student,ID,SIS User ID,Section", '"Lee, Ann",102,S002,Sec A', "S002"),
    ("Student,ID,Section", '"Lee, Ann",102,Sec A', "Ann Lee")])
def test_canvas_matches_by_the_identity_columns_the_roster_has(head, row, student):
    rows, result = lms.canvas_rows([head.split(","), next(csv.reader([row]))],
                                   ["ex01_linear_model"], {"ex01_linear_model": 4},
                                   {student: {"ex01_linear_model": 3}})
    assert result.written == 1 and not result.unmatched
    assert rows[0] == head.split(",") + ["ex01_linear_model"]
    assert rows[2][-1] == "3" and rows[2][:2] == ["Lee, Ann", "102"]


def test_a_roster_without_student_or_id_is_refused():
    with pytest.raises(lms.RosterError, match="no column ID"):
        lms.canvas_rows([["Student", "Section"], ["Lee, Ann", "Sec A"]], [], {}, {})
