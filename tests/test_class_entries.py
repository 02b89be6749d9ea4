"""Who is who in a class folder: one entry's name never takes another student's place.

A student chooses the name of her own entry (a display name, a username, a zip's name). No
choice may make another student's submission go ungraded, be graded under her name, or replace
the class: not a folder called 'submitted' (nbgrader's course layout), not a name that looks like
the escaped form of another's ('Jos\\xe9~399207d2' beside the bytes b'Jos\\xe9'), not a folder
beside a zip of the same name."""
import os
from pathlib import Path

import pytest

from grader.classrun import (class_entries, class_folder_notes, grade_class, shared_name,
                             student_name, submissions_folder)
from grader.gradebook import Gradebook

ROOT = Path(__file__).resolve().parent.parent
REF = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
STUB = (ROOT / "exercises" / "ex01_linear_model.py").read_text()
EX01 = "ex01_linear_model.py"


def put(folder: Path, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / EX01).write_text(text)


def odd(name: bytes) -> str:
    return os.fsdecode(name)


NAMES = ["alice", "Alice", "alice.zip", "submitted", "feedback~", "x~0123abcd",
         "x~0123456789abcdef", "a" * 60 + "~0123abcd", "a" * 200, "a" * 199 + "b",
         odd(b"Jos\xe9"), odd(b"Jos\xea"), "Jos\\xe9", "caf\u00e9", "carol\x1b[2J", "\u202eevil",
         "tab\there", " ", "-", "~", "0", "alice ", " alice", "alice\u3164", "alice\u034f"]


def test_no_two_names_are_filed_alike_and_no_name_poses_as_another():
    names = NAMES + [student_name(n) for n in NAMES] + [shared_name(n) for n in NAMES]
    names += [student_name(student_name(n)) for n in NAMES]
    names = sorted(set(names))
    filed = {}
    for n in names:
        key = student_name(n)
        assert key not in filed, f"{n!r} and {filed[key]!r} are both filed as {key!r}"
        filed[key] = n
    shared = {shared_name(n) for n in names}
    assert not shared & set(filed), "a shared entry's name can be taken by a plain name"


def test_a_plain_name_that_looks_escaped_gets_a_hash_of_its_own():
    victim = odd(b"Jos\xe9")
    forged = student_name(victim)                  # the victim's filed name, as a folder name
    assert forged.startswith("Jos\\xe9~") and student_name(forged) != forged
    assert student_name("alice") == "alice" and student_name("caf\u00e9") == "caf\u00e9"


def test_a_folder_called_submitted_is_one_student_not_the_class(tmp_path):
    put(tmp_path / "alice", REF)
    put(tmp_path / "submitted" / "alice", STUB)
    put(tmp_path / "submitted" / "mallory", REF)
    assert submissions_folder(tmp_path) == tmp_path
    assert [s for s, _ in class_entries(tmp_path)] == ["alice", "submitted"]
    assert "'submitted' too, is graded as one student" in class_folder_notes(tmp_path)[0]


def test_an_nbgrader_course_is_read_from_its_submitted_folder(tmp_path):
    course = tmp_path / "course"
    put(course / "submitted" / "alice" / "ex01_linear_model", REF)
    for name in ("source", "release", "autograded", "feedback"):
        (course / name / "ex01_linear_model").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "gradebook.db").write_text("")
    assert submissions_folder(course) == course / "submitted"
    assert [s for s, _ in class_entries(course)] == ["alice"]
    assert class_folder_notes(course) == []
    for name in ("grader", "solutions", "source_notebooks"):   # this package's own root
        (course / name).mkdir()
    assert [s for s, _ in class_entries(course)] == ["alice"]
    (course / "nbgrader_config.py").unlink()    # a gradebook.db alone is no course: it may be
    assert "submitted" in [s for s, _ in class_entries(course)]   # grade-class's own


def test_a_folder_and_a_zip_of_one_name_are_both_graded_each_under_its_own(tmp_path):
    import zipfile
    put(tmp_path / "bob", REF)
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as zf:
        zf.writestr(EX01, STUB)
    entries = dict((path.name, name) for name, path in class_entries(tmp_path))
    assert set(entries) == {"bob", "bob.zip"} and "bob" not in entries.values()


def test_a_folder_named_like_feedback_pages_is_a_student_and_said_so(tmp_path):
    """Only this grader's own pages' folder is left out, known by identity
    (tests/test_output_names.py); a student may call her folder 'feedback'."""
    put(tmp_path / "alice", REF)
    put(tmp_path / "feedback", REF)
    assert [s for s, _ in class_entries(tmp_path)] == ["alice", "feedback"]
    assert "'feedback'" in class_folder_notes(tmp_path)[0]


def test_no_entry_takes_another_students_grade(tmp_path):
    """The reviewer's two attacks in one class, graded for real: each honest student keeps her
    grade under her own name, the attackers get their own rows, and every entry is graded."""
    cls = tmp_path / "class"
    put(cls / "alice", REF)
    put(cls / "bob", STUB)
    put(cls / "submitted" / "alice", STUB)               # tries to replace the whole class
    put(cls / "submitted" / "mallory", REF)
    victim = odd(b"Jos\xe9")
    put(Path(os.fsdecode(os.fsencode(cls) + b"/Jos\xe9")), REF)
    put(cls / student_name(victim), STUB)                # poses as the victim's filed name
    run = grade_class(cls, db=tmp_path / "book.db", jobs=1, seed=5, exercises=("ex01",),
                      progress=False)
    assert run.graded == run.total == 5
    with Gradebook(tmp_path / "book.db") as book:
        _, rows, maxes = book.table()
    totals = {name: total for name, _, total in rows}
    full = maxes["total"]
    assert totals["alice"] == full and totals[student_name(victim)] == full
    assert totals["bob"] == 0 and "mallory" not in totals and "submitted" in totals
    assert totals[student_name(student_name(victim))] < full
    assert any("'submitted' too" in note for note in run.notes)


def test_a_run_inside_the_class_folder_keeps_every_student(tmp_path):
    """`cd class && torchdrills grade-class .` (as the README suggests) writes its gradebook,
    gradebook.db, into the class folder before it lists the students: that file must not make
    a student's folder named 'submitted' pass for an nbgrader course (it took over the class:
    alice and bob graded from mallory's copies)."""
    cls = tmp_path / "class"
    put(cls / "alice", REF)
    put(cls / "submitted" / "alice", STUB)
    put(cls / "submitted" / "mallory", REF)
    run = grade_class(cls, db=cls / "gradebook.db", jobs=1, seed=5, exercises=("ex01",),
                      progress=False)
    with Gradebook(cls / "gradebook.db") as book:
        _, rows, maxes = book.table()
    totals = {name: total for name, _, total in rows}
    assert totals["alice"] == maxes["total"] and "mallory" not in totals
    assert run.graded == 2 and "submitted" in totals


def test_a_name_that_reads_like_another_is_filed_with_a_hash():
    """'alice ' and 'alice\\u3164' read as 'alice' in a terminal and a CSV: filed with a hash,
    they never pass for her."""
    for name in ("alice ", " alice", "alice\u3164", "alice\u034f", "alice\ufe0f"):
        filed = student_name(name)
        assert filed != "alice" and filed.startswith(name) and filed != name, repr(name)
    assert student_name("Jos\u00e9") == "Jos\u00e9" and student_name("a b") == "a b"
