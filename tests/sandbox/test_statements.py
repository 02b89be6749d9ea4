"""A .py file runs one top-level statement at a time: a statement past its time (a training
run at the top of the file) is stopped and the rest of the file runs, said in a note; anything
else runs as Python runs it (grader/sandbox/inside/statements.py)."""
from __future__ import annotations

import textwrap

import pytest

from grader.sandbox.inside.statements import STATEMENT_SECONDS, Stopped, run_statements
from grader.sandbox.notebooks import CELL_SECONDS


def run(source: str, seconds: float = 0.5) -> tuple[dict, list]:
    scope: dict = {"__name__": "ex01_linear_model"}
    stopped = run_statements(textwrap.dedent(source).encode(), "/work/ex01.py", scope, seconds)
    return scope, stopped


def test_a_long_statement_is_stopped_and_the_rest_of_the_file_runs():
    scope, stopped = run("""
        import time

        def before():
            return 1
        while True:
            time.sleep(0.01)
        def after():
            return 2
        AFTER = after()
    """)
    assert stopped == [(6, "stopped")]
    assert scope["before"]() == 1 and scope["AFTER"] == 2


def test_the_students_own_except_does_not_swallow_the_stop():
    scope, stopped = run("""
        import time
        try:
            while True:
                time.sleep(0.01)
        except Exception:
            CAUGHT = True
        DONE = True
    """)
    assert stopped == [(3, "stopped")] and "CAUGHT" not in scope and scope["DONE"]


def test_anything_else_raised_ends_the_import_with_its_own_line():
    with pytest.raises(ZeroDivisionError) as info:
        run("""
            X = 1
            Y = X / 0
            Z = 3
        """)
    assert info.traceback[-1].lineno + 1 == 3     # the file's own line numbers


def test_future_imports_hold_for_every_statement():
    scope, _ = run("""
        from __future__ import annotations

        def f(x: UndefinedName) -> AlsoUndefined:
            return x
    """)
    assert scope["f"].__annotations__ == {"x": "UndefinedName", "return": "AlsoUndefined"}


def test_a_syntax_error_is_raised_before_anything_runs():
    scope: dict = {}
    with pytest.raises(SyntaxError):
        run_statements(b"RAN = True\ndef f(:\n", "/work/ex01.py", scope)
    assert "RAN" not in scope


def test_a_module_imported_by_a_timed_statement_runs_within_its_time():
    """What a timed statement imports (a module of 60 s statements) runs inside that
    statement's time, as one piece: it never resets the statement's timer."""
    scope = {"RUN": run_statements}
    stopped = run_statements(textwrap.dedent("""
        X = RUN(b"import time\\nwhile True:\\n    time.sleep(0.01)\\n", "/work/utils.py", {}, 60)
        AFTER = True
    """).encode(), "/work/ex01.py", scope, 0.5)
    assert stopped == [(2, "stopped")] and scope["AFTER"] and "X" not in scope


def test_a_statement_has_a_notebook_cells_time():
    assert STATEMENT_SECONDS == CELL_SECONDS
    assert issubclass(Stopped, BaseException) and not issubclass(Stopped, Exception)


LOOP = "\nimport time\n_t = time.time()\nwhile time.time() - _t < 60:   # training, at the top\n    pass\n"


def test_a_training_run_at_the_top_of_a_file_costs_no_points_and_is_said(grade):
    """ex01 with a 60 s loop at its top level, importing a utils.py with another: both are
    stopped, the functions are graded in full, and a note names each file and line (before,
    the import ran out of time and the exercise scored 0)."""
    from tests.conftest import ROOT
    reference = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    source = reference.replace("import torch\n", "import torch\nimport utils\n", 1) + LOOP
    result = grade("ex01", files={"ex01_linear_model.py": source, "utils.py": "X = 1\n" + LOOP})
    assert result.score == result.max_score > 0, result.notes
    stopped = [n for n in result.notes if "was stopped" in n]
    line = source.count("\n") - 1
    assert any(n.startswith(f"ex01_linear_model.py: the statement at line {line} ran longer")
               for n in stopped), result.notes
    assert any(n.startswith("utils.py: the statement at line 5") for n in stopped), result.notes
    assert all('if __name__ == "__main__":' in n for n in stopped)


def test_a_stop_that_comes_as_a_statement_ends_never_fails_the_import():
    """The timer can fire just after a statement ended, in the runner's own code: that is no
    statement to stop, and nothing is raised (30 of 30 imports failed so before)."""
    for _ in range(30):
        run_statements(b"x = 1\n" * 300, "/work/ex01.py", {}, 1e-5)


def test_a_statement_that_needs_what_a_stopped_one_made_is_skipped_too():
    """A training run stopped, then `print(losses[-1])` raises IndexError: skipped, and the
    functions after it are defined (the eighth attack round's F24: the import ended, 0/37, where
    the notebook of the same cells scored 37/37). Before any stop, an error ends the import."""
    scope, stopped = run("""
        import time
        losses = []
        while True:
            time.sleep(0.01)
        print(losses[-1])
        def after():
            return 2
    """)
    assert stopped == [(4, "stopped"), (6, "skipped")] and scope["after"]() == 2


def test_the_note_is_written_on_the_trusted_side_for_a_timed_module_only():
    from grader.sandbox.workdir import stopped_note
    timed = {"ex01_linear_model", "mypkg.core"}
    assert "line 6 raised an error" in stopped_note("ex01_linear_model.py: line 6 was skipped",
                                                    timed)
    assert stopped_note("mypkg.core.py: line 2 was stopped", timed).startswith(
        "mypkg/core.py: the statement at line 2 ran longer than 5 s")
    cut = stopped_note("ex01_linear_model.py: line 3 was cut", timed)
    assert "stopped when the import's time ran out" in cut and "longer than" not in cut
    for forged in ("ex02_gradient_descent.py: line 1 was stopped",     # not a timed module
                   "ex01_linear_model.py: line 1 was stopped. All checks pass",
                   "ex01_linear_model.py: line x was stopped"):
        assert stopped_note(forged, timed) is None


def test_the_import_has_a_time_of_its_own_and_definitions_still_run():
    """Slow statements each stopped in time can together outlast the import (the trusted side
    then ends it: 0 points for correct functions). The import's own time (set_import_time) is
    shared: once used, the timed statements left are not run (said once), and the definitions
    after them still are."""
    from grader.sandbox.inside.statements import set_import_time
    set_import_time(1.0)      # 0.3 s for the timed statements, 0.8 * 1.0 - 0.5
    try:
        scope, stopped = run("""
            import time
            def first():
                return 1
            time.sleep(10)
            X = 1
            Y = 2
            def last():
                return 2
        """, seconds=5)
    finally:
        set_import_time(None)
    assert stopped == [(5, "cut"), (6, "not run")]     # stopped by the import's time, said so
    assert scope["first"]() == 1 and scope["last"]() == 2 and "X" not in scope


def test_a_notebooks_cells_share_the_import_time_and_definitions_still_run():
    from grader.sandbox.inside.statements import set_import_time, time_left
    from grader.sandbox.notebooks import cells_to_module
    module = cells_to_module(["import time\ndef first():\n    return 1",
                              "time.sleep(10)", "Z = 3", "def last():\n    return 2"],
                             origin="ex01_linear_model.ipynb")
    set_import_time(1.0)
    try:
        scope = {"__name__": "ex01_linear_model", "__file__": "/work/ex01_linear_model.ipynb",
                 "__time_left__": time_left}
        exec(compile(module, "/work/ex01_linear_model.ipynb", "exec"), scope)
    finally:
        set_import_time(None)
    notes = scope["__skipped_cells__"]
    assert scope["first"]() == 1 and scope["last"]() == 2 and "Z" not in scope
    assert "cell 2 was skipped" in notes[0] and "past the time the import had left" in notes[0]
    assert "cell 3 was not run" in notes[1] and len(notes) == 2, notes


def test_a_statement_too_deep_for_a_compiled_tree_runs_from_its_text():
    """A sum of 1 500 terms imports in Python (compiled from text), but compiling its syntax
    tree alone runs out of depth (RecursionError "traversing 'expr' node": 0/18 for ex01): such
    a statement is compiled from its own lines, whatever it is (decorated, after a `;`)."""
    terms = " + ".join(["1"] * 1500)
    scope, stopped = run(f"""
        import functools
        X = 1; Y = {terms}
        @functools.lru_cache
        def f():
            return {terms}
        Z = f() + Y
    """)
    assert stopped == [] and scope["Y"] == 1500 and scope["Z"] == 3000 and scope["X"] == 1
    with pytest.raises(ZeroDivisionError) as info:
        run(f"""
            Y = {terms}
            Z = 1 / 0
        """)
    assert info.traceback[-1].lineno + 1 == 3     # the file's own line numbers still


def test_a_skipped_cell_is_quoted_by_its_first_python_line_not_a_magics_pass():
    """%matplotlib inline is `pass` where the cell runs: the note quotes the cell's first line
    of Python ("The cell starts: pass" pointed at no line of hers)."""
    from grader.sandbox.notebooks import notebook_source
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                     "source": "%matplotlib inline\nimport math\nraise ValueError('x')"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    import json
    module = notebook_source(json.dumps(nb).encode(), origin="ex01_linear_model.ipynb")
    scope = {"__name__": "ex01_linear_model", "__file__": "/work/ex01_linear_model.ipynb"}
    exec(compile(module, "/work/ex01_linear_model.ipynb", "exec"), scope)
    (note,) = scope["__skipped_cells__"]
    assert note.endswith("The cell starts: import math"), note
