"""IPython's lines that run Python, or bring in a module of the student's own, do here what they
do in Jupyter, in every spelling IPython takes: `%time w = fit()` binds w, `%run ./utils.py`,
`%run utils`, `%run -m utils` bring utils' names, `%%file helpers.py` and
`%%writefile ./helpers.py` make the module helpers. A notebook that runs in Jupyter is not
graded lower for how it spelled a magic (the tenth attack round's F19, F21, F22: 16/24 and 0/24
for notebooks that run whole in Jupyter). The notebook, its nbconvert export and the kernel's
history (what nbgrader's check cells grade) read the same. About 10 s."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.engine.runner import grade_submission
from grader.notebook import history_cells
from grader.sandbox.notebooks import cell_python, helper_module, script_python

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()

# spellings of one line, each as Jupyter runs it: (the line, the Python it runs)
RUNS_PYTHON = [
    ("%time w, costs = fit(1.0)", "w, costs = fit(1.0)"),
    ("w = %time fit(1.0)", "w = fit(1.0)"),
    ("%timeit fit(1.0)", "fit(1.0)"),
    ("%timeit -n 10 -r 3 fit(1.0)", "fit(1.0)"),
    ("%timeit -n10 fit(1.0)", "fit(1.0)"),
    ("%prun -s cumulative fit(1.0)", "fit(1.0)"),
    ("    %time fit(1.0)", "    fit(1.0)"),
    ("%time for i in range(3): fit(i)", "for i in range(3): fit(i)"),
    ("%run utils.py", "from utils import *"),
    ("%run ./utils.py", "from utils import *"),
    ("%run utils", "from utils import *"),
    ("%run -i utils.py", "from utils import *"),
    ("%run -t -N 3 utils.py first second", "from utils import *"),
    ("%run -m utils", "from utils import *"),
    ("%run 'utils.py'", "from utils import *"),
]
# lines that run nothing here: what they give is nothing
RUNS_NOTHING = ["%time", "%matplotlib inline", "%run ../elsewhere/utils.py", "%run other.ipynb",
                "%run -m os.path", "%time def broken(", "t = %timeit -o fit(1.0)"]
HELPERS = ["%%writefile helpers.py", "%%file helpers.py", "%%writefile ./helpers.py",
           "%%writefile -a helpers.py", "%%writefile 'helpers.py'", "%%file -a ./helpers.py"]


@pytest.mark.parametrize("line, python", RUNS_PYTHON)
def test_a_line_that_runs_python_runs_it(line, python):
    assert cell_python(line) == python + "\n"
    name, _, args = line.strip()[1:].partition(" ")
    if "=" not in line.split("%")[0]:        # the same line as nbconvert exports it
        indent = line[:len(line) - len(line.lstrip())]
        exported = f"{indent}get_ipython().run_line_magic({name!r}, {args!r})\n"
        head = "if x:\n" if indent else ""
        assert script_python((head + exported).encode()).decode() == head + python + "\n"


@pytest.mark.parametrize("line", RUNS_NOTHING)
def test_other_magic_lines_run_nothing(line):
    python = cell_python(line).strip()
    assert python in ("pass", "t = None"), python


@pytest.mark.parametrize("first", HELPERS)
def test_every_spelling_of_a_helper_cell_is_that_module(first):
    assert helper_module(f"{first}\nK = 2.0\n") == "helpers"
    assert cell_python(f"{first}\nK = 2.0\n") == "K = 2.0\n"


def test_other_files_written_by_a_cell_are_not_modules():
    for first in ("%%writefile notes.txt", "%%writefile data/helpers.py", "%%file 1x.py",
                  "%%writefile a.py b.py", "%%writefile ../helpers.py"):
        assert helper_module(f"{first}\nK = 2.0\n") == "", first


def _notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                                  "outputs": [], "source": c} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# a notebook whose every cell needs the one before it: the helper's K, the utils' SCALE, the
# timed run's w_final; each spelling is one notebook, graded whole
SPELLINGS = {
    "%%file": ("%%file helpers.py\nK = 2.0\n", "from helpers import K\n"),
    "%%writefile ./": ("%%writefile ./helpers.py\nK = 2.0\n", "from helpers import K\n"),
    "%run ./": ("%run ./utils.py\n", "K = SCALE\n"),
    "%run without .py": ("%run utils\n", "K = SCALE\n"),
    "%run -m": ("%run -m utils\n", "K = SCALE\n"),
    # a helper reloaded after it was imported, as autoreload-less notebooks do (round 14's
    # F23: 'spec not found for the module helpers', the cell skipped, 11/24); appended to
    # with -a, it runs both parts again
    "%%writefile, then importlib.reload": (
        "%%writefile helpers.py\nHALF = 1.0\n",
        "import helpers\n", "%%writefile -a helpers.py\nK = 2 * HALF\n",
        "import importlib\nhelpers = importlib.reload(helpers)\nK = helpers.K\n"),
}


@pytest.mark.parametrize("how", SPELLINGS)
def test_a_notebook_in_any_spelling_is_graded_whole(how, zygote, tmp_path):
    *helper, use = SPELLINGS[how]
    if "%run" in how:
        (tmp_path / "utils.py").write_text("SCALE = 2.0\n")
    timed = "%time w_final, costs = gradient_descent([1.0, 2.0], [2.0, 4.0], 0.0, 0.1, " \
        "int(K))\nassert len(costs) == 2\n"
    cells = [*helper, use + REFERENCE, timed, "print(w_final)\n"]
    (tmp_path / "ex02_gradient_descent.ipynb").write_text(_notebook(cells))
    result = grade_submission(tmp_path, zygote, exercises=["ex02"], seed=3)
    counted = [c for c in result.checks if c.counted]
    assert counted and all(c.status == "passed" for c in counted), \
        [f"{c.name}: {c.message}" for c in counted if c.status != "passed"]
    assert result.notes == [] and result.tampering == [], (result.notes, result.tampering)


def test_the_kernels_history_reads_as_the_notebook():
    """What nbgrader's check cells grade: IPython's transformed lines, read as the notebook's."""
    history = ["get_ipython().run_line_magic('time', 'w, costs = fit(1.0)')\n"
               "x = get_ipython().run_line_magic('time', 'fit(2.0)')\n"
               "get_ipython().run_line_magic('run', './utils.py')\n"
               "get_ipython().run_line_magic('matplotlib', 'inline')\nprint(w)\n"]
    assert history_cells(history) == \
        ["w, costs = fit(1.0)\nx = fit(2.0)\nfrom utils import *\npass\nprint(w)\n"]


def test_ipythons_lines_as_calls_in_a_cell_read_as_the_lines(zygote, tmp_path):
    """A cell holding IPython's lines as calls (`get_ipython().run_line_magic('time', ...)`,
    as %time is written out) runs them as the notebook does, and "am I in a notebook?" reads
    None, as outside IPython (round 12's F08: the cell skipped with NameError, 31 points
    withheld)."""
    cells = [REFERENCE + "\nIN_NOTEBOOK = get_ipython() is not None\n",
             "get_ipython().run_line_magic('matplotlib', 'inline')\n"
             "get_ipython().run_line_magic('time', 'w_final, costs = gradient_descent("
             "[1.0, 2.0], [2.0, 4.0], 0.0, 0.1, 2)')\nassert len(costs) == 2\n"]
    (tmp_path / "ex02_gradient_descent.ipynb").write_text(_notebook(cells))
    result = grade_submission(tmp_path, zygote, exercises=["ex02"], seed=3)
    assert result.score == result.max_score and result.notes == [] and \
        result.tampering == [], (result.notes, result.tampering)


def test_a_file_runs_with_no_arguments_as_the_student_ran_it(zygote, tmp_path):
    """argparse at the top of a file finds no arguments, as `python ex02_...py` gives none
    (round 12's F26: the worker's own argument made parse_args() exit 2, 0/24)."""
    (tmp_path / "ex02_gradient_descent.py").write_text(
        REFERENCE + "\nimport argparse\nparser = argparse.ArgumentParser()\n"
        "parser.add_argument('--epochs', type=int, default=10)\nARGS = parser.parse_args()\n")
    result = grade_submission(tmp_path, zygote, exercises=["ex02"], seed=3)
    assert result.score == result.max_score, [c.message for c in result.checks
                                              if c.status != "passed"] + result.notes
