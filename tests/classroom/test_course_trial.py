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
