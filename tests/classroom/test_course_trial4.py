"""What a fourth round of running a real course (issue 21) left: a reader of the gradebook (an
SQLite browser, a script, `export`) that stopped a class run from starting; the map of names
given once and remembered, for the next run and for `similarity`; the first line's class
mean under a course file, raw or after late penalties; and its maximum, the points of what
the run counts."""
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

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


# ----------------------------------------------------------------------------------------------
# a reader is not a run

READER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN")
print(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0], flush=True)
sys.stdin.read()          # the read transaction stays open until the test closes our stdin
con.execute("COMMIT")
con.close()
"""

RUN = """
import sys
from grader.classroom.gradebook import Gradebook
book = Gradebook(sys.argv[1])
run = book.begin_run(sys.argv[1], 1, ["ex01"], 1)
print("running", flush=True)
sys.stdin.read()
book.finish_run(run, 0, 0)
book.close()
"""


def _process(script, path):
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    proc.first = proc.stdout.readline().strip()
    return proc


def test_a_reader_holding_the_gradebook_does_not_stop_a_run_and_a_second_run_is_refused(
        tmp_path, capsys):
    """An instructor's SQLite browser (here: a process holding a read transaction open) opened
    the gradebook after the last run closed it: SQLite made the -wal and -shm files for it, and
    the next run refused the gradebook ("'g.db-wal' beside it was not left there by this
    grader"). A reader is not a run: its -wal, open in the process that holds the -shm's
    lock, is the gradebook's own. The run grades and records while the reader reads; a second
    run at the same time is still refused, as another class run."""
    from grader.classroom.gradebook import Gradebook, inspect
    (tmp_path / "c" / "ada").mkdir(parents=True)
    (tmp_path / "c" / "ada" / "ex01_linear_model.py").write_text(reference())
    db = tmp_path / "g.db"
    Gradebook(db).close()                  # as after a run: no -wal, no -shm beside it
    assert not Path(f"{db}-wal").exists()
    reader = _process(READER, db)
    try:
        assert reader.first == "0" and Path(f"{db}-wal").exists()   # the reader's own
        assert inspect(db).usable, inspect(db).blocked
        assert main(["grade-class", str(tmp_path / "c"), "--db", str(db), "--exercises",
                     "ex01", "--jobs", "1", "--no-progress"]) == 0, capsys.readouterr().err
        full = exercise_points("ex01")
        assert f"class mean {full}.0 / {full}" in capsys.readouterr().out
        run = _process(RUN, db)            # another run, writing now
        try:
            assert run.first == "running"
            code = main(["grade-class", str(tmp_path / "c"), "--db", str(db), "--exercises",
                         "ex01", "--jobs", "1", "--no-progress", "--force"])
        finally:
            run.communicate("", timeout=60)
        err = capsys.readouterr().err
        assert code == 2 and "another class run is writing this gradebook" in err, err
    finally:
        reader.communicate("", timeout=60)
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT COUNT(*) FROM graded_exercises").fetchone()[0] == 1
        assert [r[0] for r in con.execute("SELECT status FROM runs ORDER BY id")] == \
            ["finished", "finished"]        # the graded run, the other process's run


def test_a_wal_file_no_live_connection_has_open_is_still_refused(tmp_path):
    """The reader's lock on the -shm vouches only for the -wal it has open: a file put in its
    place (a student's 'g.db-wal' renamed over it) is not the gradebook's."""
    from grader.classroom.gradebook import Gradebook, inspect
    db = tmp_path / "g.db"
    Gradebook(db).close()
    reader = _process(READER, db)
    try:
        assert inspect(db).usable
        (tmp_path / "planted").write_bytes(b"\0" * 64)
        os.replace(tmp_path / "planted", f"{db}-wal")
        assert "'g.db-wal' beside it was not left there by this grader" in inspect(db).blocked
    finally:
        reader.communicate("", timeout=60)


def test_an_export_while_a_run_writes_leaves_a_killed_runs_grades_readable(tmp_path):
    """`export` opened and closed the gradebook while a run wrote it; the run was then killed
    (kill -9, the machine's OOM killer): its grades are in the -wal it left, and the next run
    refused the gradebook ('g.db-wal' beside it was not left there by this grader), since the
    export's close had cleared the record that vouches for it. A reader's close leaves it
    while a run holds the gradebook."""
    import signal
    from grader.classroom.gradebook import Gradebook, inspect
    db = tmp_path / "g.db"
    Gradebook(db).close()
    run = _process(RUN.replace('print("running"', 'book.set_meta("probe", "written")\n'
                                                   'print("running"'), db)
    assert run.first == "running"
    with Gradebook(db) as book:            # as export opens it, reads, and closes
        book.table()
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert Path(f"{db}-wal").exists()
    assert inspect(db).usable, inspect(db).blocked
    with Gradebook(db) as book:
        assert book.get_meta("probe") == "written"


# ----------------------------------------------------------------------------------------------
# the map of names, remembered

def logins(tmp_path):
    """A gradebook of two students filed by login, each with 4 of 4 points in ex01."""
    from grader.classroom.gradebook import Gradebook
    with Gradebook(tmp_path / "g.db") as book:
        for login in ("asmith", "bjones"):
            book.record(login, graded("ex01"), content_hash=f"x{login}")
    return tmp_path / "g.db"


def students(db):
    with closing(sqlite3.connect(db)) as con:
        return [r[0] for r in con.execute("SELECT name FROM students ORDER BY name")]


def test_a_map_of_names_given_once_files_the_next_weeks_download_too(tmp_path, capsys):
    """Week 3's Moodle download was graded with --names map.csv; week 4's, graded without
    it, filed 'Alice Smith' as a new student beside asmith. The gradebook remembers the map:
    the next run files her as asmith and says by which map; a later map replaces the line of
    the same folder and keeps the others."""
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.roster import remembered_names
    db = logins(tmp_path)
    week3 = tmp_path / "week3" / "Alice Smith_4567_assignsubmission_file_"
    week3.mkdir(parents=True)
    (week3 / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "map.csv").write_text("folder,student\nAlice Smith,asmith\nBob Jones,bjones\n")
    assert main(["grade-class", str(week3.parent), "--db", str(db), "--names",
                 str(tmp_path / "map.csv"), "--exercises", "ex01", "--jobs", "1",
                 "--no-progress"]) == 0
    capsys.readouterr()
    week4 = tmp_path / "week4" / "Alice Smith_4567_assignsubmission_file_"
    week4.mkdir(parents=True)
    (week4 / "ex01_linear_model.py").write_text(reference())     # graded already: as hers
    assert main(["grade-class", str(week4.parent), "--db", str(db), "--exercises", "ex01",
                 "--jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert students(db) == ["asmith", "bjones"], out
    assert "graded 0 of 1 submissions (1 already in the gradebook)" in out, out
    assert "  note: the map of names the gradebook remembers: 1 entry filed as the gradebook " \
           "names her: 'Alice Smith' as 'asmith'" in out.splitlines(), out
    assert "no entry maps to any more" not in out and "no student of this class" not in out
    (tmp_path / "map2.csv").write_text("folder,student\nBob J.,bjones\n")
    with Gradebook(db) as book:
        from grader.classroom.roster import read_names, remember_names
        remember_names(book, read_names(tmp_path / "map2.csv"))
        assert remembered_names(book) == {"Alice Smith": "asmith", "Bob J.": "bjones"}


def test_a_remembered_line_gives_way_to_an_entry_of_her_own_name(tmp_path):
    """A class folder that holds 'asmith' itself (a Canvas download, named by login) and
    'Alice Smith': a map given now would be refused (two entries, one student); a line the
    gradebook remembers is left out, said once, and each entry keeps its own name."""
    from grader.classroom.roster import Names, apply_names
    names = Names({"Alice Smith": ("asmith", 0), "Bob Jones": ("bjones", 0)})
    a, b = tmp_path / "Alice Smith", tmp_path / "asmith"
    a.mkdir(), b.mkdir()
    entries, notes = apply_names([("Alice Smith", a), ("asmith", b)], names, [])
    assert entries == [("Alice Smith", a), ("asmith", b)]
    assert notes == ["the map of names the gradebook remembers: 'Alice Smith' not filed as "
                     "'asmith', an entry of this class folder by that name"]


def test_similarity_and_the_lms_export_know_the_names_a_map_gave(tmp_path, capsys,
                                                                 monkeypatch):
    """`similarity` named pairs by the download's folders ('Alice Smith & Bob Jones') where
    the gradebook, the pages and the export say asmith and bjones: it takes --names, and
    reads the map the gradebook remembers. `export --lms moodle` matches asmith to the
    roster's 'Alice Smith' by the name her entry was filed from."""
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.roster import read_names, remember_names
    monkeypatch.chdir(tmp_path)              # no gradebook here
    lms = tmp_path / "lms"
    for name in ("Alice Smith", "Bob Jones"):
        (lms / name).mkdir(parents=True)
        (lms / name / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "map.csv").write_text("folder,student\nAlice Smith,asmith\nBob Jones,bjones\n")
    page = str(tmp_path / "s.html")
    assert main(["similarity", str(lms), "--html", page, "--exercises", "ex01"]) == 0
    assert "most alike: Alice Smith & Bob Jones" in capsys.readouterr().out
    assert main(["similarity", str(lms), "--html", page, "--exercises", "ex01", "--names",
                 str(tmp_path / "map.csv")]) == 0
    out = capsys.readouterr().out
    assert "most alike: asmith & bjones" in out and "2 entries filed" in out, out
    db = logins(tmp_path)
    with Gradebook(db) as book:
        remember_names(book, read_names(tmp_path / "map.csv"))
    assert main(["similarity", str(lms), "--html", page, "--exercises", "ex01", "--db",
                 str(db)]) == 0
    assert "most alike: asmith & bjones" in capsys.readouterr().out
    assert main(["similarity", str(lms), "--html", page, "--db", str(tmp_path / "no.db")]) == 2
    assert "no gradebook" in capsys.readouterr().err
    (tmp_path / "roster.csv").write_text("First name,Last name,Username,Email address\n"
                                         "Alice,Smith,alice.s,as@uni.edu\n"
                                         "Bob,Jones,bob.j,bj@uni.edu\n")
    assert main(["export", "--lms", "moodle", "--roster", str(tmp_path / "roster.csv"),
                 "--db", str(db), "--out", str(tmp_path / "m.csv")]) == 0
    rows = (tmp_path / "m.csv").read_text().splitlines()
    assert rows[1:] == ["alice.s,4", "bob.j,4"], rows


# ----------------------------------------------------------------------------------------------
# the first line's class mean: of what the run counts, raw and after late penalties

LATE_COURSE = """\
time_zone = "UTC"
[late]
penalty = 10
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2020-10-01T23:59:00
"""


def test_the_first_line_counts_the_runs_exercises_raw_and_after_late_penalties(tmp_path):
    """A gradebook that once graded all twelve exercises (bob, a trial of the course's
    references) showed 'class mean 18.0 / 62' for a run of ex01 alone: its maximum was every
    exercise the gradebook ever graded, its mean the run's students' ex01. Now both are of
    the run's exercises: '18.0 / 18'. Under a course file the grade-class line says which
    mean it is, before and after late penalties (alice: a day late, -10 %); the plain line
    (the demo's, the README's) keeps its form."""
    from grader.classroom.course_file import load_course
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.handed_in import read_timestamps
    from grader.classroom.run import grade_class
    from grader.exercises import EXERCISES
    with Gradebook(tmp_path / "g.db") as book:
        for ex in EXERCISES:
            book.record("bob", graded(ex), content_hash=f"b{ex}", files={ex: f"f{ex}"})
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / "ex01_linear_model.py").write_text(reference())
    (tmp_path / "course.toml").write_text(LATE_COURSE)
    (tmp_path / "t.csv").write_text("student,submitted_at\nalice,2020-10-02T10:00:00Z\n")
    course = load_course(tmp_path / "course.toml")
    run = grade_class(tmp_path / "subs", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                      progress=False, course=course,
                      timestamps=read_timestamps(tmp_path / "t.csv", course.zone()))
    full = exercise_points("ex01")
    assert run.graded == 1 and run.line().endswith(
        f"; class mean {full}.0 / {full}; gradebook {tmp_path / 'g.db'}"), run.line()
    assert f"; class mean {full}.0 / {full} before late penalties, {full * 0.9:.1f} after; " in \
        run.line(penalties=True), run.line(penalties=True)
    with Gradebook(tmp_path / "g.db") as book:       # bob's twelve still count, as before
        assert book.table()[2]["total"] == full + 11 * 4
