"""The grader's own files are names a student can take: told apart by identity, never by name.

With the README's `cd submissions && torchdrills grade-class .`, every output a class run writes
or reads beside the class folder has a name a student can give her entry: the gradebook and the
files SQLite keeps beside it, the CSV, the pages' folder and its pages, nbgrader's markers, the
run's temporary folders. The names below are derived from the code that writes them, and each is
tried as a folder, a zip, a file, a link and a FIFO: every student is graded and recorded, the
gradebook is the grader's own, nothing a student handed in is written, and no name crashes a
run. Runs go through the command line, with the class folder as the current folder."""
import hashlib
import os
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.classroom import entries
from grader.classroom.entries import PAGES_MARK, Outputs, class_entries
from grader.classroom.filing import student_name
from grader.classroom.outputs import open_gradebook
from grader.cli import main
from grader.classroom.feedback import CLASS_PAGES, page_name
from grader.classroom.gradebook import (DEFAULT, SIDECARS, Gradebook, NotAGradebook, OutputRefused,
                              inspect, kept_path)
from tests.conftest import exercise_points

ROOT = Path(__file__).resolve().parents[2]
REF = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
STUB = (ROOT / "exercises" / "ex01_linear_model.py").read_text()
EX01 = "ex01_linear_model.py"
HTML, CSV = "pages", "grades.csv"


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Kept gradebooks go to this test's own folder; the grader version is pinned."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("GRADER_VERSION", "output-names-test")


def output_names() -> list[str]:
    """Every name a class run writes or reads in the folder it runs in, from the code: the
    gradebook and its SQLite files, the CSV of the runs below, the README's pages' folder, the
    class pages and a student's page, nbgrader's markers and folders, the temporary folders'
    names. (The pages' folder a run names is a student's entry: refused, see below.)"""
    names = [DEFAULT] + [DEFAULT + s for s in SIDECARS]
    names += [CSV, "feedback", "summary.html", page_name("alice"), page_name("summary")]
    names += list(CLASS_PAGES) + sorted(entries.NBGRADER_COURSE) + ["submitted"]
    names += list(entries.NBGRADER_FILES)
    names += [f"grader-class-{os.getpid()}-x", "grader-spool-1-x", kept_path(DEFAULT).parent.name]
    return sorted(set(names))


def put(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / EX01).write_text(text)


def tree(folder: Path, skip=()) -> dict:
    """Every entry under `folder` (links not followed) and its bytes or kind."""
    out = {}
    for here, dirs, files in os.walk(folder):
        rel = os.path.relpath(here, folder)
        if rel.split(os.sep)[0] in skip:
            dirs[:] = []
            continue
        for name in dirs + files:
            p = Path(here) / name
            if rel == "." and name in skip:
                continue
            if p.is_symlink():
                out[str(p)] = "link " + os.readlink(p)
            elif p.is_dir():
                out[str(p)] = "dir"
            elif p.is_fifo():
                out[str(p)] = "fifo"
            else:
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def in_folder(monkeypatch):
    def enter(folder):
        monkeypatch.chdir(folder)
    return enter


# ----------------------------------------------------------------------------------------------
# a class whose students are named after the grader's outputs, graded for real

def test_every_student_named_after_an_output_is_graded_into_the_graders_own_gradebook(
        tmp_path, in_folder, capsys):
    cls = tmp_path / "submissions"
    names = output_names()
    expected = {}
    for i, name in enumerate(names):                      # a folder of each name
        put(cls / name, REF if i % 2 else STUB)
        expected[name] = i % 2
    for name in (DEFAULT, DEFAULT + "-wal", CSV):         # and a zip of some
        with zipfile.ZipFile(cls / f"{name}.zip", "w") as zf:
            zf.writestr(EX01, REF)
    odd = os.fsdecode(DEFAULT.encode() + b"\xff")
    put(cls / odd, REF)
    here = cls / DEFAULT
    kept = kept_path(here)
    os.symlink(kept, cls / "stolen.zip")                  # a link to where the gradebook goes
    os.symlink(cls / DEFAULT, cls / "linked")             # a link to a classmate's folder
    os.mkfifo(cls / "pipe.zip")                           # no entry, never waited on
    before = tree(cls)
    in_folder(cls)

    args = ["grade-class", ".", "--exercises", "ex01", "--jobs", "2", "--no-progress"]
    assert main(args + ["--html-dir", "feedback"]) == 2   # a student's folder: refused
    assert "is the student entry 'feedback'" in capsys.readouterr().err
    assert tree(cls) == before and not kept.exists()      # and nothing left behind
    assert main(args + ["--html-dir", HTML, "--csv", CSV]) == 2
    out, err = capsys.readouterr()
    listed = [s for s, p in class_entries(cls) if p.name != HTML]  # stolen.zip: now a file
    assert len(listed) == len(names) + 3 + 3             # + the odd name and two links
    assert f"graded {len(listed)} of {len(listed)} submissions" in out
    assert f"gradebook {kept}" in out and "a folder, not a gradebook" in out
    assert f"--csv '{CSV}' is the student entry '{CSV}'" in err and "not written" in err
    assert tree(cls, skip=(HTML,)) == before              # nothing a student handed in touched
    assert inspect(kept).usable and not inspect(here).usable
    with Gradebook(kept) as book:
        _, rows, maxes = book.table()
        totals = {name: total for name, _, total in rows}
    assert sorted(totals) == sorted(listed)               # every student graded and recorded
    for name, full in expected.items():
        filed = next(s for s in listed if s == name or s.startswith(f"{name}~"))
        assert totals[filed] == (maxes["total"] if full else 0), name
    assert totals[student_name("stolen")] == 0            # a link is refused, not followed
    pages = sorted(p.name for p in (cls / HTML).iterdir())
    assert pages == sorted([page_name(s) for s in listed] + ["summary.html", PAGES_MARK])

    assert main(args + ["--html-dir", HTML]) == 0         # again: idempotent
    out = capsys.readouterr().out
    assert f"graded 0 of {len(listed)} submissions ({len(listed)} already" in out
    assert tree(cls, skip=(HTML,)) == before

    assert main(["export", "--csv", CSV]) == 2            # a student's folder: refused
    assert "is a folder, not a file: nothing was written" in capsys.readouterr().err
    assert main(["export", "--csv", str(tmp_path / "grades.csv")]) == 0   # finds the kept one
    assert len((tmp_path / "grades.csv").read_text().splitlines()) == len(listed) + 1
    assert tree(cls, skip=(HTML,)) == before


# ----------------------------------------------------------------------------------------------
# a path the instructor named, taken: refused in one line, exit 2, nothing touched or graded

def _taken_things(where: Path) -> dict:
    """One thing of each kind that can lie at an output's path, none of them the grader's."""
    things = {}
    put(where / "a-folder", REF)
    things["a-folder"] = "a folder"
    (where / "a-file").write_text("alice,100\n")
    things["a-file"] = "not a gradebook"
    (where / "an-empty-file").write_bytes(b"")
    things["an-empty-file"] = "an empty file"
    os.mkfifo(where / "a-fifo")
    things["a-fifo"] = "FIFO"
    os.symlink(where / "a-folder", where / "a-link")
    things["a-link"] = "symbolic link"
    con = sqlite3.connect(where / "another.db")
    con.execute("CREATE TABLE grade (student TEXT, score REAL)")
    con.commit()
    con.close()
    things["another.db"] = "another program's SQLite database"
    return things


def test_a_named_output_that_is_taken_is_refused_and_left_as_it_is(tmp_path, in_folder,
                                                                   capsys):
    cls = tmp_path / "c"
    put(cls / "alice", REF)
    things = _taken_things(cls)
    before = tree(cls)
    in_folder(cls)
    base = ["grade-class", ".", "--exercises", "ex01", "--no-progress"]
    for name, what in things.items():
        if name in ("a-folder", "a-link"):   # a student's entry: graded, into a private book
            continue                          # (test_a_student_named_as_the_named_gradebook...)
        assert main(base + ["--db", name]) == 2, name
        err = capsys.readouterr().err
        assert what in err and "nothing was graded" in err and len(err.splitlines()) == 1, err
    assert main(base + ["--db", "alice/gradebook.db"]) == 2      # inside a student's entry
    assert "inside the student entry 'alice'" in capsys.readouterr().err
    assert main(base + ["--html-dir", "."]) == 2
    assert "the class folder itself" in capsys.readouterr().err
    for name in ("alice", "alice/pages", "a-folder", "a-link"):
        assert main(base + ["--html-dir", name, "--db", str(tmp_path / "g.db")]) == 2, name
        assert "student entry" in capsys.readouterr().err
    assert main(base + ["--html-dir", "a-file", "--db", str(tmp_path / "g.db")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert tree(cls) == before
    assert not list(tmp_path.glob("g.db*")) or Gradebook(tmp_path / "g.db").students() == []


@pytest.mark.parametrize("name", ["book.db"] + [f"book.db{s}" for s in SIDECARS])
def test_a_student_named_as_the_named_gradebook_or_a_file_beside_it_stops_nothing(
        name, tmp_path, in_folder):
    """--db book.db in the class folder, and a student's folder named book.db or as a file
    SQLite keeps beside it (book.db-wal, -shm, -journal): the run's gradebook is a private one
    (the grades already in book.db copied there first), a note says where and why, `export
    --db book.db` and every later run find it; nothing there is written or read as grades."""
    from grader.classroom.gradebook import default_gradebook
    from grader.engine.result import GradeResult
    cls = tmp_path / "c"
    put(cls / "alice", REF)
    db = cls / "book.db"
    if name != "book.db":                 # the gradebook, with alice's grades, made first
        with Gradebook(db) as book:
            book.record("alice", GradeResult(submission="", seed=1, exercises=["ex01"]),
                        content_hash="h")
    put(cls / name, STUB)                 # then a student's folder takes the name
    before = tree(cls)
    in_folder(tmp_path)
    kept = kept_path(db)
    for again in (False, True):
        book, notes = open_gradebook(Path("c/book.db"), cls)
        try:
            assert book.path == kept and inspect(kept).usable
            assert book.students() == ([] if name == "book.db" else ["alice"])
            assert len(notes) == 1 and str(kept) in notes[0] and f"'{name}'" in notes[0]
            assert ("kept there" in notes[0]) == again, notes
        finally:
            book.close()
    book, note = default_gradebook(Path("c/book.db"))      # what export reads
    with book:
        assert book.path == kept and str(kept) in note
    assert tree(cls) == before            # book.db and the student's folder as they were


def test_a_class_run_with_a_student_named_as_the_gradebooks_wal_grades_everyone(
        tmp_path, in_folder, capsys):
    """The fourth attack round's D31, through the command line: `--db c/gradebook.db` and a
    student's folder gradebook.db-wal beside it stopped the run and the export ('is blocked
    ... nothing was graded'); now both students are graded, the CSV exported."""
    from grader.engine.result import GradeResult
    cls = tmp_path / "c"
    put(cls / "alice", REF)
    with Gradebook(cls / DEFAULT) as book:
        book.record("bob", GradeResult(submission="", seed=1, exercises=["ex01"]),
                    content_hash="h")
    put(cls / f"{DEFAULT}-wal", REF)
    in_folder(tmp_path)
    db = ["--db", f"c/{DEFAULT}"]
    assert main(["grade-class", "c", "--exercises", "ex01", "--no-progress", "--jobs", "2"]
                + db) == 0
    out = capsys.readouterr().out
    assert "graded 2 of 2 submissions" in out and f"gradebook {kept_path(cls / DEFAULT)}" in out
    assert main(["export", "--csv", "g.csv"] + db) == 0
    rows = (tmp_path / "g.csv").read_text().splitlines()
    full = exercise_points("ex01")
    assert rows[0] == "student,ex01,total" and sorted(rows[1:]) == \
        [f"alice,{full},{full}", "bob,0,0", f"{DEFAULT}-wal,{full},{full}"], rows


def test_export_to_a_path_that_is_taken_writes_nothing_and_keeps_the_grades(tmp_path, capsys):
    from grader.engine.result import GradeResult
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", GradeResult(submission="", seed=1, exercises=["ex01"]),
                    content_hash="h")
    things = _taken_things(tmp_path)
    before = tree(tmp_path, skip=("g.db",))
    for name in ("a-folder", "a-fifo", "a-link", "g.db", "g.db-wal"):
        assert main(["export", "--csv", str(tmp_path / name), "--db", str(db)]) == 2, name
        err = capsys.readouterr().err
        assert "nothing was written" in err and "--csv" in err, err
    assert tree(tmp_path, skip=("g.db",)) == before and things
    with Gradebook(db) as book:
        assert book.students() == ["alice"]
    assert main(["export", "--csv", str(tmp_path / "a-file"), "--db", str(db)]) == 0
    assert (tmp_path / "a-file").read_text().startswith("student,")   # a plain file: replaced


# ----------------------------------------------------------------------------------------------
# the default gradebook, taken: kept elsewhere, never opened, never written

def _forged_gradebook(path: Path) -> None:
    """A student's file with the gradebook's schema, mark and a full score for mallory, made
    elsewhere (a student's machine) and copied in."""
    with Gradebook(path.parent / "real.db") as book:
        from grader.engine.result import CheckResult, GradeResult
        check = CheckResult(nodeid="visible/x::t", exercise="ex01", target="t", title="t",
                            params="", points=99.0, visible=True, status="passed", message="",
                            seconds=0.0)
        book.record("mallory", GradeResult(submission="", seed=7, exercises=["ex01"],
                                           checks=[check]), content_hash="forged")
    shutil.copyfile(path.parent / "real.db", path)       # a copy: not written at this place
    (path.parent / "real.db").unlink()


@pytest.mark.parametrize("kind", ["a folder", "a file", "an empty file", "a FIFO", "a link",
                                  "a dangling link", "another program's database",
                                  "a forged gradebook", "a folder beside it"])
def test_the_default_gradebook_path_taken_grades_into_a_kept_gradebook(tmp_path, in_folder,
                                                                       kind):
    cls = tmp_path / "c"
    put(cls / "alice", REF)
    here = cls / DEFAULT
    if kind == "a folder":
        put(here, REF)
    elif kind == "a file":
        here.write_text("alice,100\n")
    elif kind == "an empty file":
        here.write_bytes(b"")
    elif kind == "a FIFO":
        os.mkfifo(here)
    elif kind == "a link":
        os.symlink(cls / "alice", here)
    elif kind == "a dangling link":
        os.symlink(tmp_path / "elsewhere" / "x.db", here)
    elif kind == "another program's database":
        sqlite3.connect(here).execute("CREATE TABLE assignment (id TEXT)").connection.close()
    elif kind == "a forged gradebook":
        _forged_gradebook(here)
    elif kind == "a folder beside it":           # the gradebook is the grader's, a sidecar not
        with Gradebook(here) as book:
            book.set_meta("seed", 4242)
        put(cls / f"{DEFAULT}-wal", REF)
    before = tree(cls)
    in_folder(cls)
    book, notes = open_gradebook(None, cls)
    try:
        assert book.path == kept_path(here) and inspect(book.path).usable
        assert "mallory" not in book.students() and str(book.path) in notes[0]
        if kind == "a folder beside it":         # the grades go with it
            assert book.get_meta("seed") == "4242" and "copied" in notes[0]
    finally:
        book.close()
    assert tree(cls) == before
    assert not (tmp_path / "elsewhere").exists()
    book, notes = open_gradebook(None, cls)      # found again
    book.close()
    assert book.path == kept_path(here) and "kept there since" in notes[0]


def test_a_gradebook_is_opened_only_when_it_is_the_graders_own(tmp_path):
    things = _taken_things(tmp_path)
    _forged_gradebook(tmp_path / "forged.db")
    before = tree(tmp_path)
    for name in list(things) + ["forged.db"]:
        place = inspect(tmp_path / name)
        assert place.state in ("taken", "moved") and not place.usable, name
        with pytest.raises(NotAGradebook):
            Gradebook(tmp_path / name)
    assert tree(tmp_path) == before
    with Gradebook(tmp_path / "forged.db", adopt=True) as book:   # named and taken in: ours
        assert book.students() == ["mallory"]
    assert inspect(tmp_path / "forged.db").usable
    with Gradebook(tmp_path / "g.db") as book:
        book.set_meta("x", "1")
    os.symlink(tmp_path / "g.db", tmp_path / "link.db")           # a link to the grader's own
    assert inspect(tmp_path / "link.db").usable
    for sidecar in SIDECARS:
        for make in (lambda p: p.mkdir(), lambda p: p.write_bytes(b"x" * 32),
                     lambda p: os.mkfifo(p), lambda p: os.symlink(tmp_path / "a-file", p)):
            side = Path(f"{tmp_path / 'g.db'}{sidecar}")
            make(side)
            assert inspect(tmp_path / "g.db").blocked, (sidecar, side)
            with pytest.raises(OutputRefused):
                Gradebook(tmp_path / "g.db")
            side.rmdir() if side.is_dir() and not side.is_symlink() else side.unlink()
    with Gradebook(tmp_path / "g.db") as book:
        assert book.get_meta("x") == "1"


# ----------------------------------------------------------------------------------------------
# the listing: the grader's own outputs by identity, a student's entry by any name

def test_the_listing_knows_the_graders_own_outputs_by_identity(tmp_path):
    cls = tmp_path / "c"
    put(cls / "alice", REF)
    with Gradebook(cls / "book.zip") as book:              # a gradebook named like a zip
        outputs = Outputs(book.files(), book.pages_token(), book.exports())
        book.export_csv(cls / "grades.zip")                # a CSV named like a zip
        outputs.exports = book.exports()
        token = outputs.pages_token
    (cls / "pages").mkdir()                                # this gradebook's pages
    (cls / "pages" / PAGES_MARK).write_text(f"torchdrills feedback pages {token}\n")
    put(cls / "forged", REF)                               # a student's, with a guessed mark
    (cls / "forged" / PAGES_MARK).write_text(f"torchdrills feedback pages {'0' * 32}\n")
    put(cls / "feedback", REF)                             # a student's, by the old name
    with zipfile.ZipFile(cls / "bob.zip", "w") as zf:
        zf.writestr(EX01, REF)
    os.symlink(cls / "book.zip", cls / "carol.zip")        # a student's link to the gradebook
    work = Path(tempfile.mkdtemp(prefix="grader-class-", dir=cls))
    outputs.add(work)
    listed = sorted(p.name for _, p in class_entries(cls, outputs))
    assert listed == ["alice", "bob.zip", "carol.zip", "feedback", "forged"]
    assert "carol.zip" in [p.name for _, p in class_entries(cls)]
    notes = entries.class_folder_notes(cls, outputs)
    assert any("'feedback'" in n and "graded as a student" in n for n in notes)


def test_page_names_are_one_per_student_and_never_a_class_page():
    names = ["alice", "Alice", "ALICE", "alice ", "bob smith", "Bob Smith", "bob_smith",
             "bob_smith~0123456789abcdef", "con", "CON", "con.x", "nul.txt", "lpt1"]
    names += [n for page in CLASS_PAGES for n in (page, page.upper(), f"{page}.html", f" {page}")]
    pages = [page_name(n) for n in names]
    assert len(set(pages)) == len(names)
    assert not {f"{p}.html" for p in CLASS_PAGES} & {p.lower() for p in pages}
    devices = {"con", "prn", "aux", "nul", "lpt1"}
    assert not any(p.split(".")[0] in devices for p in pages)


def test_a_gradebook_in_a_folder_of_its_own_inside_the_class_folder_reruns(tmp_path,
                                                                          in_folder, capsys):
    """--db records/gradebook.db inside the class folder: the folder made for it is the
    grader's, not a student called 'records', on this run and the next."""
    cls = tmp_path / "c"
    put(cls / "alice", REF)
    in_folder(cls)
    args = ["grade-class", ".", "--exercises", "ex01", "--no-progress", "--jobs", "1",
            "--db", "records/gradebook.db"]
    assert main(args) == 0
    assert "graded 1 of 1 submissions" in capsys.readouterr().out
    assert main(args) == 0
    assert "graded 0 of 1 submissions (1 already" in capsys.readouterr().out
    with Gradebook(cls / "records" / "gradebook.db") as book:
        assert book.students() == ["alice"]
    with Gradebook(cls / DEFAULT) as book:         # export reads a copy where a file beside
        book.set_meta("seed", 5)                  # the default gradebook is a student's
    put(cls / f"{DEFAULT}-shm", REF)
    assert main(["export", "--csv", str(tmp_path / "out.csv")]) == 0
    assert "copied to" in capsys.readouterr().err
    assert main(["export", "--csv", str(tmp_path / "out.csv")]) == 0   # the copy, from now on
