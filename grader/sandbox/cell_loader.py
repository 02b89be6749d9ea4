"""The loader of a notebook's code cells: the text of a module, written by the grader and
run by the worker when it imports the submission, that runs the cells one after the other as
the notebook does (a cell that raises, or runs past CELL_SECONDS, or past what the import's own
time leaves it, is skipped with a note; definitions always run).

    cells_to_module(["def forward(x, w):\n    return x * w"], origin="ex01.ipynb")
"""
from __future__ import annotations

CELL_SECONDS = 5     # a cell past this is skipped (an import has 20 s in all: Limits)

_LOADER = '''\
# The code cells of a notebook, run one after the other as in the notebook. A cell that raises
# is skipped and the next one runs, and so is one that runs past {seconds} s (a training run at
# the top level); __skipped_cells__ says which were skipped and why.
def _run_cells(cells, scope, origin):
    import linecache
    import os
    import signal
    import threading
    import traceback
    folder = os.path.dirname(os.path.abspath(__file__))
    skipped = []
    helpers = _CellModules()

    def too_long(signum, frame):
        raise TimeoutError(("it ran longer than {seconds} s" if limit == {seconds} else
                            "it ran past the time the import had left") + ", so the rest of "
                           "it did not run: the checks call your functions; a long experiment "
                           "needs no grading")
    timed = hasattr(signal, "setitimer") and \
        threading.current_thread() is threading.main_thread()
    # what IPython gives every notebook: display() shows nothing here, the last outputs are None
    # and get_ipython(): None, as outside IPython (no shell runs here)
    for name, value in (("display", lambda *objs, **kw: None), ("get_ipython", lambda: None),
                        ("_", None), ("__", None), ("___", None)):
        scope.setdefault(name, value)
    time_left = scope.pop("__time_left__", None)    # the import's own time (statements.py)
    for label, source in cells:
        name = os.path.join(folder, label)
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        helper = label.rsplit("(", 1)[1][:-4] if label.endswith(".py)") else ""
        limit = time_left({seconds}) if timed and time_left else {seconds}
        if timed and not limit and not helper and not _definitions(source):
            skipped.append(f"{{origin}}{{': ' if origin else ''}}{{label}} was not run: the "
                           f"cells above it had used the time an import has (the checks call "
                           f"your functions; a long experiment needs no grading)")
            continue
        if timed and limit:
            before = signal.signal(signal.SIGALRM, too_long)
            signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            if helper:    # %%writefile helper.py: that module, made here
                import importlib.util
                import sys
                module = sys.modules.get(helper)
                if module is not None and not getattr(module, "__notebook_cell__", False):
                    raise ImportError(f"{{helper}}.py would stand for the module {{helper}}, "
                                      f"which is loaded already: give the helper another name")
                if module is None:
                    module = importlib.util.module_from_spec(
                        importlib.util.spec_from_loader(helper, helpers, origin=name))
                    module.__file__, module.__notebook_cell__ = name, True
                exec(compile(source, name, "exec"), module.__dict__)
                helpers.parts.setdefault(helper, []).append((name, source))
                sys.modules[helper] = module
                continue
            exec(compile(source, name, "exec"), scope)
        except BaseException as exc:  # as in the notebook: the next cell runs
            line = exc.lineno if isinstance(exc, SyntaxError) else None
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename == name:
                    line = frame.lineno
            try:
                text = exc.msg if isinstance(exc, SyntaxError) else str(exc)
                why = "called sys.exit()" if isinstance(exc, SystemExit) else \\
                    f"raised {{type(exc).__name__}}: {{text}}".strip().rstrip(":")
            except BaseException:
                why = f"raised {{type(exc).__name__}}"
            lines = why.splitlines() or [""]
            why = lines[0] + (" ..." if len(lines) > 1 else "")
            why = why if len(why) <= 200 else why[:197] + "..."
            first = next((s.strip() for s in source.splitlines()    # a magic's line is
                          if s.strip() not in ("", "pass")), "pass")   # `pass` here
            first = first if len(first) <= 60 else first[:57] + "..."
            skipped.append(f"{{origin}}{{': ' if origin else ''}}{{label}} was skipped, "
                           + (f"line {{line}} " if line else "it ") + why
                           + f". The cell starts: {{first}}")
        finally:
            if timed and limit:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, before)
    return skipped


def _definitions(source):
    """Whether a cell only defines (functions, classes, imports): run even once the import's
    time is used, as a .py file's definitions are."""
    import ast
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                              ast.ImportFrom)) for n in body)


class _CellModules:
    """The modules the notebook's `%%writefile NAME.py` cells make, found again by
    importlib.reload: their cells' code, run once more."""

    def __init__(self):
        self.parts = {{}}
        import sys
        sys.meta_path.append(self)

    def find_spec(self, name, path=None, target=None):
        import importlib.util
        if name not in self.parts:
            return None
        return importlib.util.spec_from_loader(name, self, origin=self.parts[name][0][0])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        for name, source in self.parts.get(module.__name__, []):
            exec(compile(source, name, "exec"), module.__dict__)


__skipped_cells__ = _run_cells({cells!r}, globals(), {origin!r})
del _run_cells, _CellModules, _definitions
'''


def cells_to_module(cells, origin: str = "") -> str:
    """A module that runs the cells one after the other, skipping those that raise. `cells`:
    sources (labelled "cell 1", "cell 2" ...) or (label, source) pairs; `origin` (the
    notebook's file name) starts each note of `__skipped_cells__`."""
    pairs = [(str(c[0]), str(c[1])) if isinstance(c, (tuple, list)) else (f"cell {i}", str(c))
             for i, c in enumerate(cells, 1)]
    return _LOADER.format(cells=pairs, origin=str(origin), seconds=CELL_SECONDS)
