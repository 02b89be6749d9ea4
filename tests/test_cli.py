"""The command line as people use it: -q and -v, errors in one line, an empty class folder, and
tracebacks that name the student's own file."""
from __future__ import annotations

from pathlib import Path

import pytest

import grader.engine.runner
from conftest import lend_zygote
from grader.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def raising(tmp_path, zygote, monkeypatch):
    """A submission of ex01 whose forward raises (the checks that call it fail, with the
    student's traceback), graded by the session's zygote."""
    lend_zygote(monkeypatch, zygote)
    monkeypatch.setattr(grader.engine.runner, "Zygote",
                        lambda *a, **k: grader.sandbox.Zygote())
    sub = tmp_path / "alice"
    sub.mkdir()
    source = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    (sub / "ex01_linear_model.py").write_text(source.replace(
        "def forward(x, w):\n", "def forward(x, w):\n    raise ValueError('no forward today')\n",
        1))
    return sub


def test_quiet_check_prints_the_results_lines_only(raising, capsys):
    assert main(["-q", "check", "ex01", "--submission", str(raising)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("ex01: ") and out[0].endswith(" checks pass")
    assert out[-1].endswith("visible checks pass.")
    assert len(out) == 2, out          # no failure's details


def test_verbose_check_lists_what_passed_and_tracebacks_name_the_students_file(raising,
                                                                              capsys):
    assert main(["-v", "check", "ex01", "--submission", str(raising)]) == 1
    out = capsys.readouterr().out
    assert "passed (" in out and "\n  ok forward_wb" in out
    assert "sandbox:" in out or "not sandboxed" in out
    # the traceback's frames: the student's file by its own name, not the worker's folder
    assert '| File "ex01_linear_model.py", line ' in out.replace("|   File", "| File")
    assert "raise ValueError('no forward today')" in out
    assert "/tmp/" not in out and str(raising) not in out


def test_errors_are_one_line_and_verbose_adds_the_traceback(capsys):
    assert main(["check", "ex99"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and err.startswith("error: unknown exercise")
    assert main(["-v", "check", "ex99"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.strip().splitlines()[-1].startswith(
        "error: unknown exercise 'ex99'")


def test_quiet_and_verbose_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["-q", "-v", "check"])
    assert stop.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_an_empty_class_folder_makes_no_gradebook(tmp_path, monkeypatch, capsys):
    pytest.importorskip("grader.classroom.run")
    (tmp_path / "class").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["grade-class", "class"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no submissions in class") and "no gradebook" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class"]     # nothing written


def test_check_takes_what_a_student_types(raising, capsys):
    """-q / -v after the verb as before it; a file (tab-completed) for its exercise and its
    folder; several exercises; a file of no exercise is one line, exit 2."""
    assert main(["check", "-q", "ex01", "--submission", str(raising)]) == 1
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["check", str(raising / "ex01_linear_model.py"), "-q"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("ex01: ") and "ex02" not in out
    assert main(["check", "ex01", "ex02", "--submission", str(raising), "-q"]) == 1
    out = capsys.readouterr().out
    assert "ex01: " in out and "ex02: no file found" in out and "ex03" not in out
    assert main(["check", str(raising / "notes.py")]) == 2
    assert "is no exercise's file" in capsys.readouterr().err


def test_check_says_what_the_code_printed_and_which_notebook_cell_was_skipped(
        tmp_path, zygote, monkeypatch, capsys):
    lend_zygote(monkeypatch, zygote)
    monkeypatch.setattr(grader.engine.runner, "Zygote", lambda *a, **k: grader.sandbox.Zygote())
    source = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    (tmp_path / "ex01_linear_model.py").write_text(source + "\nprint('DEBUG: loaded')\n")
    assert main(["check", "ex01", "--submission", str(tmp_path)]) == 0
    assert "your code printed 14 characters while it was checked (the first line: DEBUG: " \
           "loaded)" in capsys.readouterr().out
    import json
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": text} for text in (source, "def loss(x, y, w)\n    return 0\n")]
    (tmp_path / "ex01_linear_model.py").unlink()
    (tmp_path / "ex01_linear_model.ipynb").write_text(json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert main(["check", "ex01", "--submission", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "note: ex01_linear_model.ipynb: code cell 2 was skipped" in out and "SyntaxError" in out
