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
        assert "class mean 18.0 / 18" in capsys.readouterr().out
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
