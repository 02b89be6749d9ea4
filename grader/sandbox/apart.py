"""A flagged submission, one exercise per worker: a tamper flag withholds the fact-points of
the exercises whose worker could run the flagged code, and no others
(grader.sandbox.submission.Submission runs each exercise module in a worker of its own whose
folder holds no flagged file unless that exercise's own file imports one).

    flagged = flagged_modules(["ex01_linear_model.py: line 3: ..."], modules)  # {"ex01_..."}
    tainted = tainted_modules(flagged, staged_files)   # those, and the modules importing them
    only(workdir, {"ex03_autograd_basics.py", "diabetes.csv"})   # the rest of the folder goes
"""
from __future__ import annotations

import ast
import os
import shutil


def only(workdir, keep) -> None:
    """Remove every entry of the worker's folder `workdir` whose name is not in `keep` (through
    a descriptor of the folder, no link followed)."""
    folder = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for name in os.listdir(folder):
            if name in keep:
                continue
            try:
                os.unlink(name, dir_fd=folder)
            except (IsADirectoryError, PermissionError):   # a folder (Linux's unlink: EPERM)
                shutil.rmtree(name, dir_fd=folder, ignore_errors=True)
            except FileNotFoundError:
                pass
    finally:
        os.close(folder)


def flagged_modules(tampering, modules) -> set[str]:
    """The exercise modules whose own file the review flagged (each finding starts with the
    file's name: "ex01_linear_model.py: line 3: ...")."""
    files = {finding.split(":", 1)[0] for finding in tampering}
    return {m for m in modules if any(f.rsplit(".", 1)[0] == m for f in files)}


def imported_names(data: bytes) -> set[str]:
    """The top-level names a file's import statements name (read here as text; nothing for a
    file that does not parse)."""
    found = set()
    try:
        for node in ast.walk(ast.parse(data)):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass    # it does not import at all
    return found


def imported_closure(name: str, data: bytes, own: dict) -> set[str]:
    """The student's own modules (`own`: {module: bytes}) that the file `name` imports, through
    each other too, as it will run: a notebook's code cells each read (its `%run utils.py`
    lines as the loader reads them; none for a notebook that cannot be read: it is staged as a
    module that raises), an exported script's IPython lines as the loader reads them."""
    from grader.sandbox.notebooks import notebook_cells, script_python
    if name.endswith(".ipynb"):
        import json
        try:
            nb = json.loads(bytes(data).decode("utf-8"))
            sources = [python.encode() for _label, python in
                       (notebook_cells(nb) if isinstance(nb, dict) else [])]
        except (ValueError, RecursionError, MemoryError):
            return set()
    else:
        sources = [script_python(data)]
    found, todo = set(), sources
    while todo:
        more = imported_names(todo.pop()) & set(own) - found
        found |= more
        todo += [own[m] for m in more]
    return found


def tainted_modules(flagged: set[str], staged: dict[str, bytes]) -> set[str]:
    """The modules whose worker may run flagged code: the flagged ones, and those that import
    one (an import statement of the file, read here as text; through each other too). The
    others' workers never hold a flagged file, so nothing else can run it."""
    imports = {name[:-3]: imported_names(data) for name, data in staged.items()
               if name.endswith(".py")}
    tainted = set(flagged)
    while True:
        more = {m for m, found in imports.items() if m not in tainted and found & tainted}
        if not more:
            return tainted
        tainted |= more
