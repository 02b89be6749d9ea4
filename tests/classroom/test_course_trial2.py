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
        before = con.execute("SELECT * FROM graded_exercises ORDER BY submission_id, exercise").fetchall()
    proc = subprocess.Popen(cmd + ["--force"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and len(runs(db)) < 2:
        time.sleep(0.02)
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
        after = con.execute("SELECT * FROM graded_exercises ORDER BY submission_id, exercise").fetchall()
    assert after[:len(before)] == before
    assert runs(db) == ["finished", "interrupted"]


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
