"""`grade` on notebooks: a code cell that raises when the notebook is imported is skipped (the
student is told which and why), the other cells' functions are graded; magics and shell lines do
not break grading; a loop at the top level still costs only that notebook. About 12 s."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.instructor.build import make_notebook
from grader.exercises import module_of
from grader.classroom.feedback import page_context
from grader.sandbox.notebooks import notebook_to_module
from grader.engine.report import gradescope_json, score_table
from grader.engine.runner import grade_submission
from grader.sandbox import Limits, StudentError, Submission, stage_submission

ROOT = Path(__file__).resolve().parents[2]


def code(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


def notebook(cells) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def reference_notebook(ex: str, extra: dict[int, str]) -> str:
    """The notebook of `ex` filled with the reference, with extra.get(k) as its code cell k."""
    nb = json.loads(make_notebook((ROOT / "solutions" / f"{module_of(ex)}.py").read_text(), ex))
    for k in sorted(extra):
        where = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
        nb["cells"].insert(where[k - 1] if k <= len(where) else len(nb["cells"]),
                           code(extra[k]))
    return json.dumps(nb)


def test_a_raising_cell_costs_that_cell_only_and_the_report_says_which(zygote, tmp_path):
    (tmp_path / "ex01_linear_model.ipynb").write_text(reference_notebook("ex01", {
        1: "%matplotlib inline\n!pip install --quiet tqdm\nimport math\n",
        3: "print(undefined_name)   # a stray line\n",
        6: "def broken(x)\n    return x\n",
        7: "%%bash\necho this is not Python\n"}))
    (tmp_path / "ex02_gradient_descent.ipynb").write_text(reference_notebook("ex02", {
        2: "while True:   # an experiment that never ends\n    pass\n"}))
    result = grade_submission(tmp_path, zygote, exercises=["ex01", "ex02"], seed=5,
                              limits=Limits(call_seconds=4, import_seconds=2))

    ex01 = [c for c in result.checks if c.exercise == "ex01" and c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    # the loop is stopped at the import's own time (2 s here), the cells after it run: the
    # functions keep their points
    ex02 = [c for c in result.checks if c.exercise == "ex02" and c.counted]
    assert ex02 and all(c.status == "passed" for c in ex02), \
        [f"{c.name}: {c.message}" for c in ex02 if c.status != "passed"]

    assert len(result.notes) == 3, result.notes
    name_error, syntax_error, loop = result.notes
    assert loop.startswith("ex02_gradient_descent.ipynb: code cell 2 was skipped")
    assert "past the time the import had left" in loop
    assert name_error.startswith("ex01_linear_model.ipynb: code cell 3 was skipped")
    assert "NameError: name 'undefined_name' is not defined" in name_error
    assert "print(undefined_name)" in name_error and "line 1" in name_error
    assert "code cell 6" in syntax_error and "SyntaxError" in syntax_error
    assert "def broken(x)" in syntax_error

    table = score_table(result)
    assert f"note: {name_error}" in table
    notes = [t for t in gradescope_json(result)["tests"] if t["name"] == "note"]
    assert [t["output"] for t in notes] == result.notes and all(
        t["max_score"] == 0 for t in notes)
    assert page_context(result)["notes"] == result.notes


def test_tracebacks_name_the_cell_and_its_line_magics_and_exits_included(zygote, tmp_path):
    (tmp_path / "ex01_linear_model.ipynb").write_text(notebook([
        code("import torch\n%matplotlib inline\n"),
        code("def forward(x, w):\n    !echo hi\n    y = x * w\n    return y.no_such_thing\n"),
        code("for i in range(2):\n    %time i\n"),
        code("%%bash\necho hi\n"),
        code("# grader: checks for ex01.forward (3 points)\nrun_checks('ex01', 'forward', In)"),
        code("import sys\nsys.exit(1)\n"),
        code("%%time\ndef double(x):\n    return 2 * x\n")]))
    with Submission(tmp_path, zygote) as sub:
        assert sub.call("ex01.double", 21) == 42
        with pytest.raises(StudentError) as err:
            sub.call("ex01.forward", 1.0, 2.0)
        assert err.value.kind == "exception"
        assert err.value.where == "code cell 2, line 4, in forward"     # the magic kept its line
        assert "return y.no_such_thing" in err.value.traceback
        assert len(sub.notes) == 1, sub.notes
        assert sub.notes[0].startswith("ex01_linear_model.ipynb: code cell 6 was skipped, "
                                       "line 2 called sys.exit()")


def test_the_grader_turns_a_notebook_into_text_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    cells = [code(f"open({str(marker)!r}, 'w').close()\n"), code("def f(x):\n    return x\n")]
    (tmp_path / "ex01_linear_model.ipynb").write_text(notebook(cells))
    work = tmp_path / "work"
    work.mkdir()
    assert stage_submission(tmp_path, work) == {"ex01_linear_model": "ex01_linear_model.py"}
    assert not marker.exists()
    text = (work / "ex01_linear_model.py").read_text()
    assert text == notebook_to_module(tmp_path / "ex01_linear_model.ipynb")
    compile(text, "ex01_linear_model.py", "exec")     # a valid module ...
    scope = {"__file__": str(work / "ex01_linear_model.py"), "__name__": "ex01_linear_model"}
    exec(text, scope)                                  # ... that runs the cells when imported
    assert marker.exists() and scope["f"](3) == 3 and scope["__skipped_cells__"] == []


def test_ipythons_own_lines_cost_nothing_and_python_is_left_as_it_is(zygote, tmp_path):
    """IPython's lines that are not Python (a shell or magic's result assigned, help with `?`)
    cost their cell nothing; a cell that is Python as it stands (a line starting with `%` that
    continues an expression) is not touched. (The attack round: a correct notebook with
    `files = !ls` and `np.meshgrid?` scored 0/18.)"""
    (tmp_path / "ex01_linear_model.ipynb").write_text(reference_notebook("ex01", {
        1: "import numpy as np\nfiles = !ls\nprint(len(files), 'files')\nnp.meshgrid?\n??np.mean\n"
           "t, u = %who_ls\n"
           "!pip install --quiet \\\n    tqdm\ndisplay(files)\nprint(_)\n",
        3: "label = ('weight %.1f'\n         % 2.0)\nprint(label)\n"}))
    result = grade_submission(tmp_path, zygote, exercises=["ex01"], seed=5)
    ex01 = [c for c in result.checks if c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    assert result.notes == [] and result.stdout_chars > 0       # every cell ran, the print too
    from grader.sandbox.notebooks import cell_python
    for python in ("x = 5 % 2\n", 'def f():\n    """Is it right?\n    """\n',
                   "msg = ('a %d'\n       % 3)\n"):
        assert cell_python(python) == python


def test_a_helper_module_written_by_a_cell_is_that_module(zygote, tmp_path):
    """`%%writefile helpers.py` then `from helpers import ...`: the helper is a module (no file
    is written); `-a` appends to it; a name already loaded (json) is refused with a note; a
    helper's code is reviewed as the notebook's own (tampering in it is flagged)."""
    from grader.engine.review import scan_notebook
    ref = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    (tmp_path / "ex01_linear_model.ipynb").write_text(notebook([
        code("%%writefile helpers.py\ndef times(x, w):\n    return x * w\n"),
        code("%%writefile -a helpers.py\ndef twice(x):\n    return 2 * x\n"),
        code("%%writefile json.py\nx = 1\n"),
        code("%%writefile notes.txt\nnot Python\n"),
        code(ref + "\nfrom helpers import times, twice\n\ndef forward(x, w):\n"
                   "    return times(x, w)\n")]))
    result = grade_submission(tmp_path, zygote, exercises=["ex01"], seed=5)
    ex01 = [c for c in result.checks if c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    assert len(result.notes) == 1 and "code cell 3 (json.py) was skipped" in result.notes[0]
    assert "loaded already" in result.notes[0]
    hooked = notebook([code("%%writefile helpers.py\nimport gc\n_all = gc.get_objects()\n")])
    assert scan_notebook(hooked.encode(), "ex01_linear_model.ipynb")


def test_a_kernels_history_is_graded_as_its_notebook_is(zygote, tmp_path):
    """A notebook's check cells grade the kernel's history, which holds IPython's transformed
    code: a %%writefile helper and `files = !ls` there cost nothing, as in the file (the
    second attack round's B23: the check cell said there was no function 'forward')."""
    import json
    from grader.notebook import history_cells, history_notebook
    ref = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    history = ["get_ipython().run_cell_magic('writefile', 'helpers.py', "
               "'def times(x, w):\\n    return x * w\\n')",
               "files = get_ipython().getoutput('ls')\nn = len(files)\nget_ipython().run_line_magic("
               "'matplotlib', 'inline')\n" + ref + "\nfrom helpers import times\n\n"
               "def forward(x, w):\n    return times(x, w)\n"]
    (tmp_path / "ex01_linear_model.ipynb").write_text(json.dumps(
        history_notebook(history_cells(history))))
    result = grade_submission(tmp_path, zygote, exercises=["ex01"], seed=5)
    ex01 = [c for c in result.checks if c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    assert result.notes == []



# IPython's lines as `jupyter nbconvert --to script` writes them, and as they stood in the
# notebook (the notebook loader's input)
EXPORTED = [("get_ipython().run_line_magic('matplotlib', 'inline')", "%matplotlib inline"),
            ("get_ipython().system('pip install --quiet tqdm')", "!pip install --quiet tqdm"),
            ("files = get_ipython().getoutput('ls')", "files = !ls"),
            ("t, u = get_ipython().run_line_magic('who_ls', '')", "t, u = %who_ls"),
            ("get_ipython().run_line_magic('pinfo', 'np.meshgrid')", "np.meshgrid?"),
            ("get_ipython().magic('load_ext autoreload')", "%load_ext autoreload")]


def exported_script(ex: str, lines: list[str]) -> str:
    """The reference of `ex` as nbconvert exports its notebook: `# In[n]:` before each cell,
    `lines` in a cell after the imports, the first one also inside a function's body."""
    ref = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
    ref = re.sub(r"(?m)^[ \t]*### (BEGIN|END) SOLUTION\n", "", ref)
    first_def = ref.index("\ndef ")
    body = ref.index('"""\n', ref.index('"""', first_def) + 3) + 4
    ref = ref[:body] + "    " + lines[0] + "\n" + ref[body:]
    head, rest = ref[:first_def], ref[first_def:]
    return ("#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\n" + head + "\n\n# In[2]:"
            "\n\n\n" + "\n".join(lines) + "\n\n\n# In[3]:\n\n" + rest)


def test_ipythons_lines_of_an_exported_notebook_are_as_in_the_notebook(zygote, tmp_path):
    """A notebook exported with `jupyter nbconvert --to script` holds IPython's lines as calls
    of get_ipython(), which a plain import does not know (NameError): each such line is what
    the notebook loader makes of the same line in the notebook, the file scores full marks and
    the review flags nothing. (The fourth attack round's D18: 0 and flagged.)"""
    from grader.sandbox.notebooks import cell_python, script_python
    for exported, written in EXPORTED:
        for head, indent in (("", ""), ("if x:\n", "    ")):
            assert script_python(f"{head}{indent}{exported}\n".encode()) == \
                f"{head}{cell_python(indent + written).rstrip()}\n".encode(), exported
    timed = "get_ipython().run_cell_magic('time', '', 'w = 2.0\\nb = w + 1\\n')\nprint(b)\n"
    assert script_python(timed.encode()).decode().splitlines()[-3:] == \
        ["w = 2.0", "b = w + 1", "print(b)"]          # %%time: its body runs, as in a notebook
    bash = "get_ipython().run_cell_magic('bash', '', 'echo hi\\n')\n"
    assert script_python(bash.encode()) == b"pass\n"    # %%bash: not Python, left out

    (tmp_path / "ex01_linear_model.py").write_text(
        exported_script("ex01", [e for e, _ in EXPORTED] + [timed.splitlines()[0]]))
    result = grade_submission(tmp_path, zygote, exercises=["ex01"], seed=5)
    ex01 = [c for c in result.checks if c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    assert result.tampering == [] and result.notes == []


def test_a_notebook_runs_and_reloads_a_module_of_its_own(zygote, tmp_path):
    """`%run helpers.py` brings a module of the student's own (beside the notebook, staged
    with it) into the notebook's names, as in Jupyter; `importlib.reload(helpers)`, the usual
    way to pick up an edit, is ordinary (the fifth attack round: 3/24 and 14/24)."""
    (tmp_path / "helpers.py").write_text("def double(v):\n    return 2 * v\n")
    (tmp_path / "ex01_linear_model.ipynb").write_text(reference_notebook("ex01", {
        1: "%run helpers.py\nassert double(3) == 6\n",
        2: "import importlib\nimport helpers\nimportlib.reload(helpers)\n"
           "assert helpers.double(2) == 4\n"}))
    result = grade_submission(tmp_path, zygote, exercises=["ex01"], seed=5)
    ex01 = [c for c in result.checks if c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    assert result.tampering == [] and result.notes == [], (result.tampering, result.notes)


def test_a_long_cell_is_skipped_and_the_notebook_is_graded(zygote, tmp_path):
    """A notebook trains at the top level, as notebooks do: a cell that runs past CELL_SECONDS
    is stopped and skipped with a note, and the cells after it run, where the whole import
    ran out of time (the sixth attack round's F55: a 25 s training cell, 0/25)."""
    from grader.sandbox.notebooks import CELL_SECONDS
    (tmp_path / "ex01_linear_model.ipynb").write_text(reference_notebook("ex01", {
        2: "import time\nfor epoch in range(1000):\n    time.sleep(0.1)\n"}))
    result = grade_submission(tmp_path, zygote, exercises=["ex01"], seed=5)
    ex01 = [c for c in result.checks if c.counted]
    assert ex01 and all(c.status == "passed" for c in ex01), \
        [f"{c.name}: {c.message}" for c in ex01 if c.status != "passed"]
    assert len(result.notes) == 1 and "code cell 2 was skipped, line 3 raised TimeoutError: " \
        f"it ran longer than {CELL_SECONDS} s" in result.notes[0], result.notes
