"""Who is who in a class folder: one entry's name never takes another student's place.

A student chooses the name of her own entry (a display name, a username, a zip's name). No
choice may make another student's submission go ungraded, be graded under her name, or replace
the class: not a folder called 'submitted' (nbgrader's course layout), not a name that looks like
the escaped form of another's ('Jos\\xe9~399207d2' beside the bytes b'Jos\\xe9'), not a folder
beside a zip of the same name."""
import os
import unicodedata
import zipfile
from pathlib import Path

import pytest

from grader.classroom.entries import class_entries, class_folder_notes, submissions_folder
from grader.classroom.filing import file_names, shared_name, skeleton, student_name
from grader.classroom.run import grade_class
from grader.cli import main
from grader.classroom.gradebook import Gradebook

ROOT = Path(__file__).resolve().parents[2]
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
    (tests/classroom/test_output_names.py); a student may call her folder 'feedback'."""
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


# ----------------------------------------------------------------------------------------------
# hidden names, look-alikes, and a name that stays with its entry from run to run

NFC = "Jos\u00e9"
NFD = unicodedata.normalize("NFD", NFC)
LOOKALIKES = ["alice", "\u0430lice", "\u0430l\u0456\u0441\u0435", "alice\u00a0", "\ufb01ona",
              "\uff41\uff4c\uff49\uff43\uff45", "fiona", NFC, NFD, NFD + "~0123abcd", "Ivan",
              "lvan", "IvaN", "bob~O123abcd", "bob~0123abcd", "\u0391\u03bb\u03af\u03ba\u03b7",
              "\u0410\u043d\u043d\u0430", "Zo\u00eb", "__bob", "x\u0131", "xi"]


def test_no_two_entries_are_filed_under_names_that_read_alike():
    """file_names over names and their look-alikes (Cyrillic, Greek, fullwidth, a ligature,
    composed and decomposed, I and l, 0 and O), as folders and zips, with and without earlier
    filings: one-to-one, and no two filed names read alike (one skeleton)."""
    names = {}
    for n in NAMES + LOOKALIKES:
        names[n] = n
        names[n + ".zip"] = n
    for filed in ({}, {"alice": "alice.zip", NFC: NFD, "lvan": "lvan"}):
        out, _ = file_names(names, filed)
        assert len(set(out.values())) == len(out)
        readings = [skeleton(s) for s in out.values()]
        assert len(set(readings)) == len(readings)
    assert student_name("\u0430lice") != "\u0430lice"        # mixed scripts: a hash, always
    assert student_name("\uff41\uff4c\uff49\uff43\uff45").endswith(tuple("0123456789abcdef"))
    assert student_name("bob~O123abcd") != "bob~O123abcd"    # reads as a filed name
    for real in ("\u0391\u03bb\u03af\u03ba\u03b7", "\u0410\u043d\u043d\u0430", "Zo\u00eb", "__bob"):
        assert student_name(real) == real                    # Greek, Cyrillic, accents: kept
    assert file_names({NFD: NFD})[0] == {NFD: NFC}           # alone: composed, as an LMS has it
    out, _ = file_names({"alice": "alice", "\u0430lice": "\u0430lice"})
    assert out["alice"] == "alice" and out["\u0430lice"].startswith("\u0430lice~")
    # from run to run: the entry graded under a name keeps it, as it was spelled (a gradebook
    # of an earlier version filed 'José' decomposed); a look-alike never keeps a plain name
    out, notes = file_names({NFD: NFD, NFC + ".zip": NFC}, {NFD: NFD})
    assert out == {NFD: NFD, NFC + ".zip": shared_name(NFC + ".zip")} and len(notes) == 1
    assert file_names({"\u0430lice": "\u0430lice"}, {"\u0430lice": "\u0430lice"})[0] == \
        {"\u0430lice": student_name("\u0430lice")}
    both = {"alice": "alice", "alice.zip": "alice"}
    assert file_names(both, {shared_name("alice"): "alice"})[0] == file_names(both)[0]


def test_hidden_and_tool_entries_are_left_out_with_a_note_and_dunder_names_graded(tmp_path):
    """'.alice' (hidden: ls and Finder do not show it) is left out with a note the instructor
    sees; '__bob' and '__dave.zip' are students; what tools leave is left out quietly."""
    put(tmp_path / ".alice", REF)
    put(tmp_path / "__bob", REF)
    put(tmp_path / "carol", REF)
    for name in ("__dave.zip", ".eve.zip", "._carol.zip"):
        (tmp_path / name).write_bytes(b"PK\5\6" + bytes(18))
    for name in ("__MACOSX", ".ipynb_checkpoints", ".git", "__pycache__", ".gradebook-x1"):
        put(tmp_path / name, REF)
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert [s for s, _ in class_entries(tmp_path)] == ["__bob", "__dave", "carol"]
    notes = class_folder_notes(tmp_path)
    assert notes == ["not graded, as hidden: '.alice', '.eve.zip' (a name that starts with '.' "
                     "is left out; if one is a student's, rename it without the dot)"]


def test_an_entry_named_like_a_zip_that_is_no_file_is_noted(tmp_path):
    """A FIFO, a socket and a broken link named like a student's zip are not graded, and
    the instructor reads which and why; a real zip and a folder named .zip are entries."""
    import os
    import socket
    put(tmp_path / "alice", REF)
    os.mkfifo(tmp_path / "bob.zip")
    (tmp_path / "carl.zip").symlink_to(tmp_path / "gone.zip")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "dora.zip"))
        (tmp_path / "eve.zip").write_bytes(b"PK\5\6" + bytes(18))
        put(tmp_path / "finn.zip", REF)
        assert [s for s, _ in class_entries(tmp_path)] == ["alice", "eve", "finn.zip"]
        notes = class_folder_notes(tmp_path)
    finally:
        sock.close()
    assert notes == [f"not graded: '{name}' is {kind}, not a zip file; if it is a student's, "
                     f"ask her for the zip again" for name, kind in (
                         ("bob.zip", "a FIFO (named pipe)"), ("carl.zip", "a broken link"),
                         ("dora.zip", "a socket"))]


def _csv(path: Path) -> dict:
    lines = path.read_text().splitlines()
    return {line.split(",")[0]: line.split(",")[-1] for line in lines[1:]}


def test_look_alikes_newcomers_and_leavers_never_freeze_or_merge_a_grade(tmp_path, capsys):
    """One class graded for real, then changed. Hidden '.carol' is noted, '__bob' graded;
    Cyrillic 'аlice' and 'José' decomposed beside 'José' composed never read as their
    classmates in the gradebook or the CSV. Then alice.zip joins alice/: alice keeps her name
    and her current grade (before, both were renamed and export wrote her stale row beside the
    newcomer's); a rerun changes nothing. When alice/ is gone, alice.zip takes the name, the
    run says so, and the row no entry maps to any more is named by the run and by export."""
    cls, db = tmp_path / "class", tmp_path / "book.db"
    put(cls / "alice", REF)
    put(cls / ".carol", REF)
    put(cls / "\u0430lice", STUB)
    put(cls / NFD, REF)
    with zipfile.ZipFile(cls / "__bob.zip", "w") as zf:
        zf.writestr(EX01, STUB)

    def grade():
        run = grade_class(cls, db=db, jobs=1, seed=5, exercises=("ex01",), progress=False)
        with Gradebook(db) as book:
            _, rows, maxes = book.table()
        return run, {name: total for name, _, total in rows}, maxes["total"]

    run, totals, full = grade()
    cyrillic = student_name("\u0430lice")
    assert totals == {"alice": full, "__bob": 0, cyrillic: 0, NFC: full}
    assert any("not graded, as hidden: '.carol'" in n for n in run.notes)
    assert any(n.startswith(f"{cyrillic}: ") and "mixes Cyrillic and Latin letters" in n
               and "(\\u0430lice)" in n for n in run.notes)

    with zipfile.ZipFile(cls / "alice.zip", "w") as zf:       # a newcomer reads as alice
        zf.writestr(EX01, STUB)
    with zipfile.ZipFile(cls / (NFC + ".zip"), "w") as zf:    # and one as José
        zf.writestr(EX01, STUB)
    run, totals, _ = grade()
    assert run.graded == 2 and run.skipped == 4
    assert totals["alice"] == full and totals[NFC] == full    # kept, current, not frozen
    assert totals[shared_name("alice.zip")] == 0 and totals[shared_name(NFC + ".zip")] == 0
    assert any("'alice' keeps the name 'alice'" in n for n in run.notes)
    assert not any("no entry maps to" in n for n in run.notes)
    assert len({skeleton(name) for name in totals}) == len(totals) == 6
    assert main(["export", "--csv", str(tmp_path / "grades.csv"), "--db", str(db)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert _csv(tmp_path / "grades.csv")["alice"] == f"{full:g}"

    again, totals_again, _ = grade()                          # idempotent
    assert again.graded == 0 and again.skipped == 6 and totals_again == totals

    import shutil
    shutil.rmtree(cls / "alice")                              # alice/ is gone
    run, totals, _ = grade()
    assert totals["alice"] == 0 and run.graded == 1
    assert "alice: graded from 'alice.zip' now, from 'alice' before" in run.notes
    assert any("1 student of this class folder that no entry maps to any more: "
               f"'{shared_name('alice.zip')}'" in n for n in run.notes)
    assert main(["export", "--csv", str(tmp_path / "grades.csv"), "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 row of the CSV holds the last grade of a student no entry" in err
    assert shared_name("alice.zip") in err


@pytest.mark.parametrize("holds", [(), (".alice/",), ("__MACOSX/", ".DS_Store")])
def test_a_class_folder_with_nobody_in_it_exits_2_and_writes_no_gradebook(tmp_path, monkeypatch,
                                                                          capsys, holds):
    """Empty, or holding only what is left out (a hidden folder, what macOS's zip leaves):
    one error line, exit 2, and no gradebook, neither the default one here, nor the one
    --db names, nor a kept one, even with a course file beside the class folder."""
    klass = tmp_path / "term" / "class"
    klass.mkdir(parents=True)
    for name in holds:
        (klass / name.rstrip("/")).mkdir() if name.endswith("/") else \
            (klass / name).write_text("x")
    (tmp_path / "term" / "course.toml").write_text(
        '[[assignment]]\nname = "week1"\nexercises = ["ex01"]\ndue = 2026-10-01T23:59:00\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for args in ([], ["--db", "g.db"]):
        assert main(["grade-class", "term/class", "--no-progress", *args]) == 2, args
        errors = [line for line in capsys.readouterr().err.splitlines()
                  if line.startswith("error")]
        assert len(errors) == 1 and errors[0].startswith("error: no submissions in term/class")
        assert "no gradebook written" in errors[0]
        assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
