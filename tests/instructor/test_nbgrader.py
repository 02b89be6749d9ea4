"""Notebooks: the check cells (grader.notebook), `grade` on notebooks, and the real nbgrader
pipeline on a temporary course: generate_assignment, autograde, generate_feedback.

The pipeline releases every exercise but autogrades two of them (ex01 and the last one with a
reference), for a filled-in student and an untouched one: each notebook costs a sandboxed kernel
and a torch import (about 5 s), and the run one grading process for GradeCheckCells.
TORCHDRILLS_NBGRADER_ALL=1 autogrades all of them. nbgrader finds the sandboxed kernel that
nbgrader_config.py names in a prefix of the session's own (kernel_prefix).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.instructor.build import make_notebook
from grader.exercises import EXERCISES
from grader.notebook import ChecksFailed, cells_to_module, history_cells, run_checks
from grader.engine.runner import grade_submission
from solution_lines import solution_lines, text_lines

ROOT = Path(__file__).resolve().parents[2]
WITH_REFERENCE = [ex for ex in EXERCISES if (ROOT / "solutions" / f"{EXERCISES[ex]}.py").exists()]
AUTOGRADED = WITH_REFERENCE if os.environ.get("TORCHDRILLS_NBGRADER_ALL") else \
    sorted({"ex01", WITH_REFERENCE[-1]})


def source_notebook(ex: str) -> str:
    return make_notebook((ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text(), ex)


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def grade_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]


# ----------------------------------------------------------------------------------------------
# the kernel's history as a submission

def test_history_leaves_out_check_cells_magics_and_shell_lines():
    history = ["", "%matplotlib inline\nimport math", "!pip list", "get_ipython().system('ls')",
               "# grader: checks for ex01.forward (3 points)\nrun_checks('ex01', 'forward', In)",
               "def f(x):\n    return 2 * x"]
    assert history_cells(history) == ["import math\n", "\n", "pass\n",     # a shell line,
                                      "def f(x):\n    return 2 * x\n"]    # as exported


def test_a_cell_that_raised_in_the_notebook_is_skipped_in_the_submission(tmp_path):
    cells = ["def forward(x, w):\n    return x * w\n",
             "forward(2)                  # a TypeError, as in the notebook\n",
             "def loss(x, y, w):\n    return (forward(x, w) - y) ** 2\n",
             "this is not python\n",
             "W = forward(3.0, 2.0)\n"]
    path = tmp_path / "ex01_linear_model.py"
    path.write_text(cells_to_module(cells))
    spec = importlib.util.spec_from_file_location("ex01_linear_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.loss(2.0, 4.0, 1.0) == 4.0 and module.W == 6.0
    assert not hasattr(module, "_run_cells")


@pytest.mark.slow
def test_run_checks_passes_fails_and_writes_nothing_to_stderr(capfd):
    reference = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    history = ["", "import numpy as np\nimport torch", reference, "forward(1)  # a typo"]
    run_checks("ex01", "forward", history)
    run_checks("ex01", "forward", history, hidden=True)
    out, err = capfd.readouterr()
    assert "ex01.forward: all" in out and "visible checks pass" in out
    assert "hidden checks pass" in out
    assert err == ""

    wrong = reference + "\ndef loss(x, y, w):\n    return forward(x, w) - y\n"
    with pytest.raises(ChecksFailed) as failed:
        run_checks("ex01", "loss", ["", wrong])
    assert "0 of 1 visible checks pass" in str(failed.value)
    assert "not its square" in str(failed.value)          # the named mistake
    stub = (ROOT / "exercises" / "ex01_linear_model.py").read_text()
    with pytest.raises(ChecksFailed, match="not started"):
        run_checks("ex01", "mse_surface", ["", stub], hidden=True)
    assert capfd.readouterr().err == ""


# ----------------------------------------------------------------------------------------------
# `grade` on notebooks

def test_grade_gives_full_marks_to_notebooks_filled_with_the_references(zygote, tmp_path):
    for ex in WITH_REFERENCE:
        (tmp_path / f"{EXERCISES[ex]}.ipynb").write_text(source_notebook(ex))
    result = grade_submission(tmp_path, zygote, exercises=WITH_REFERENCE, seed=3)
    assert result.missing_files == []
    graded = {ex: sm for ex, sm in result.by_exercise().items() if sm[1] > 0}
    assert "ex01" in graded
    assert all(score == max_score for score, max_score in graded.values()), [
        c.name + ": " + c.message for c in result.checks if c.status != "passed" and c.counted]


# ----------------------------------------------------------------------------------------------
# the nbgrader pipeline

_KERNELS: list[Path] = []


def kernel_prefix() -> Path:
    """A prefix holding the sandboxed kernel (`nbgrader-kernel install --prefix`), made once
    per test session, so that nbgrader finds it without touching this Python's own prefix."""
    if not _KERNELS:
        import tempfile
        from grader.instructor.nbkernel import install
        prefix = Path(tempfile.mkdtemp(prefix="torchdrills-kernel-"))
        install(prefix=str(prefix))
        _KERNELS.append(prefix)
    return _KERNELS[0]


def nbgrader(course: Path, *args, env: dict | None = None, check: bool = True,
             log_level: str = "ERROR") -> subprocess.CompletedProcess:
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get(
        "PYTHONPATH", "").split(os.pathsep) if p])
    # the python3 kernel runs `python`: make it this interpreter, which has torch and the grader
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["JUPYTER_PATH"] = str(kernel_prefix() / "share" / "jupyter")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--log-level={log_level}"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    pytest.importorskip("nbgrader")
    course = tmp_path_factory.mktemp("course")
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for ex in WITH_REFERENCE:
        folder = course / "source_notebooks" / EXERCISES[ex]
        folder.mkdir(parents=True)
        (folder / f"{EXERCISES[ex]}.ipynb").write_text(source_notebook(ex))
    nbgrader(course, "generate_assignment", "*")
    return course


@pytest.fixture(scope="module")
def autograded(course):
    """alice hands in the notebooks filled with the references, bob the released ones."""
    for ex in AUTOGRADED:
        name = EXERCISES[ex]
        for student, source in (("alice", course / "source_notebooks"),
                                ("bob", course / "release")):
            folder = course / "submitted" / student / name
            folder.mkdir(parents=True)
            shutil.copyfile(source / name / f"{name}.ipynb", folder / f"{name}.ipynb")
    proc = nbgrader(course, "autograde", "*", log_level="WARN")
    (course / "autograde.log").write_text(proc.stdout + proc.stderr)
    return course


def released(course: Path, ex: str) -> Path:
    return course / "release" / EXERCISES[ex] / f"{EXERCISES[ex]}.ipynb"


@pytest.mark.slow
def test_generate_assignment_releases_every_exercise_without_solutions(course):
    secret = solution_lines()
    for ex in WITH_REFERENCE:
        path = released(course, ex)
        lines = text_lines(path)
        leaked = [ln for ln in lines if ln in secret]
        assert not leaked, f"{path.name}: {leaked}"
        text = "\n".join(lines)
        for hidden in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
            assert hidden not in text, f"{path.name} holds {hidden!r}"
        assert 'raise NotImplementedError("not started' in text
        nb = json.loads(path.read_text())
        assert grade_cells(nb) and all(f"run_checks({ex!r}" in "".join(c["source"])
                                       for c in grade_cells(nb))
        # the hints of the solution regions stay in the released notebook
        source = (ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text()
        for hint in (ln.strip() for ln in source.splitlines()
                     if ln.strip().startswith("# HINT:")):
            assert hint in lines, f"{path.name} lost {hint!r}"


@pytest.mark.slow
def test_grade_gives_zero_to_the_released_notebooks(course, zygote, tmp_path):
    for ex in WITH_REFERENCE:
        shutil.copyfile(released(course, ex), tmp_path / f"{EXERCISES[ex]}.ipynb")
    result = grade_submission(tmp_path, zygote, exercises=WITH_REFERENCE, seed=3)
    assert result.missing_files == [] and result.max_score > 0 and result.score == 0
    assert {c.status for c in result.checks if c.counted} == {"not started"}


@pytest.mark.slow
def test_autograde_gives_full_marks_to_references_and_zero_to_released(autograded):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{autograded / 'gradebook.db'}") as gb:
        for ex in AUTOGRADED:
            alice = gb.find_submission(EXERCISES[ex], "alice")
            bob = gb.find_submission(EXERCISES[ex], "bob")
            assert alice.max_score > 0 and alice.score == alice.max_score, ex
            assert bob.max_score == alice.max_score and bob.score == 0, ex


@pytest.mark.slow
def test_check_cells_print_a_line_or_fail_with_one_message_and_never_use_stderr(autograded):
    for ex in AUTOGRADED:
        name = EXERCISES[ex]
        for student in ("alice", "bob"):
            nb = json.loads((autograded / "autograded" / student / name /
                             f"{name}.ipynb").read_text())
            for cell in code_cells(nb):
                assert not [o for o in cell["outputs"] if o.get("name") == "stderr"], \
                    (student, cell["source"], cell["outputs"])
            for cell in grade_cells(nb):
                outputs = cell["outputs"]
                if student == "alice":
                    text = "".join("".join(o.get("text", "")) for o in outputs)
                    for kind in ("visible", "hidden"):   # all of them, or the one there is
                        assert re.search(rf"all \d+ {kind} checks pass|the {kind} check passes"
                                         rf"|no {kind} checks", text), text
                else:
                    assert [o["output_type"] for o in outputs] == ["error"], outputs
                    error = outputs[0]
                    assert error["ename"] == "ChecksFailed" and len(error["traceback"]) == 1
                    assert "not started" in error["evalue"]
                    assert "Traceback" not in error["traceback"][0]


@pytest.mark.slow
def test_feedback_shows_results_but_no_hidden_check_code(autograded):
    nbgrader(autograded, "generate_feedback", "*")
    for ex in AUTOGRADED:
        name = EXERCISES[ex]
        for student, expect in (("alice", "hidden checks pass"), ("bob", "not started")):
            html = (autograded / "feedback" / student / name / f"{name}.html").read_text()
            assert expect in html
            for hidden in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True"):
                assert hidden not in html, f"{student}/{name}.html holds {hidden!r}"


@pytest.mark.slow
def test_an_untouched_check_cell_raises_no_checksum_warning_and_an_edited_one_does(autograded):
    # nbgrader saves a check cell before it removes the hidden checks: its own OverwriteCells
    # warned "Attribute 'checksum' ... has changed!" for every check cell of an untouched release
    log = (autograded / "autograde.log").read_text()
    assert "Attribute 'checksum'" not in log and "has changed" not in log, log[-3000:]

    # the configured OverwriteCells still names a check cell a student edited, and only that one
    import logging
    from nbgrader.preprocessors import OverwriteCells
    from nbformat import reads
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(autograded)).load_config()
    step = next(p for p in config.Autograde.sanitize_preprocessors
                if issubclass(p, OverwriteCells))(config=config)
    records: list[str] = []
    step.log = logging.getLogger("torchdrills-test-overwrite")
    step.log.addHandler(handler := logging.Handler())
    handler.emit = lambda record: records.append(record.getMessage())
    ex = AUTOGRADED[0]
    nb = reads(released(autograded, ex).read_text(), as_version=4)
    first = grade_cells(nb)[0]
    first.source = first.source.replace("run_checks(", "print('pass') or run_checks(", 1)
    step.preprocess(nb, {"nbgrader": {"notebook": EXERCISES[ex], "assignment": EXERCISES[ex],
                                      "db_url": f"sqlite:///{autograded / 'gradebook.db'}"}})
    changed = [r for r in records if "Attribute 'checksum'" in r]
    assert len(changed) == 1 and first.metadata.nbgrader["grade_id"] in changed[0], records
    assert "BEGIN HIDDEN TESTS" in grade_cells(nb)[1].source   # the hidden checks are back


def test_a_check_cell_run_without_the_grader_installed_says_how_to_install_it(tmp_path):
    """A student who opens a notebook in a kernel where the kit is not installed meets the
    check cell's import error with the line that fails, which says what to do (issue 22: a raw
    ModuleNotFoundError): every generated check cell's import line carries it."""
    for nb_path in sorted((ROOT / "source_notebooks").glob("ex*/ex*.ipynb")):
        cells = ["".join(c["source"]) for c in json.loads(nb_path.read_text())["cells"]
                 if "".join(c["source"]).startswith("# grader: checks for")]
        assert cells and all("pip install -e ." in c.splitlines()[1] for c in cells), nb_path
    cell = tmp_path / "cell.py"
    cell.write_text(cells[0].split("### BEGIN HIDDEN TESTS")[0])
    done = subprocess.run([sys.executable, "-S", "-I", str(cell)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "ModuleNotFoundError: No module named 'grader'" in done.stderr
    assert "in the kit's folder: pip install -e ." in done.stderr, done.stderr
