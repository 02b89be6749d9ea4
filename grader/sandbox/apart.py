"""A flagged submission, one exercise per worker: a tamper flag withholds the fact-points of
the exercises whose worker could run the flagged code, and no others
(grader.sandbox.submission.Submission runs each exercise module in a worker of its own whose
folder holds no flagged file unless that exercise's own file imports one).

    flagged = flagged_modules(["ex01_linear_model.py: line 3: ..."], modules)  # {"ex01_..."}
    tainted = tainted_modules(flagged, imports)   # those, and the modules importing them
    only(workdir, {"ex03_autograd_basics.py", "diabetes.csv"})   # the rest of the folder goes
"""
from __future__ import annotations

import ast
import hashlib
import os
import shutil

from grader.sandbox.parsing import (MAX_PARSE_BYTES, TooDeep, TooLarge,  # noqa: F401
                                     parse)  # (read from here too)


def only(workdir, keep) -> None:
    """Remove every entry of the worker's folder `workdir` whose name is not in `keep` (through
    a descriptor of the folder, no link followed)."""
    folder = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        tops = {k.split("/")[0] for k in keep}    # data/x.csv keeps its folder
        for name in os.listdir(folder):
            if name in tops:
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
    """The modules whose own file the review flagged (each finding starts with the file's
    name: "ex01_linear_model.py: line 3: ...", "mypkg/core.py: line 2: ...")."""
    files = {finding.split(":", 1)[0] for finding in tampering}
    return {m for m in modules if any(module_named(f) == m for f in files)}


def module_named(file: str) -> str:
    """The module a file of the submission is imported as: ex01_linear_model.ipynb ->
    ex01_linear_model, mypkg/core.py -> mypkg.core, mypkg/__init__.py -> mypkg."""
    stem = file.rsplit(".", 1)[0].replace("/", ".")
    return stem[:-len(".__init__")] if stem.endswith(".__init__") else stem


def imported_names(data: bytes, package: str = "") -> set[str]:
    """The modules a file's import statements name, with each package above them, as dotted
    names (read here as text; nothing for a file that does not parse): `import a.b` and
    `from a.b import c` give a, a.b (and a.b.c, which may be a module too). A relative import
    is read from `package`, the package the file belongs to ('' for a module that is in
    none: its relative imports fail when it runs, and name nothing here). Each text is parsed
    once (_READ): the closure of every exercise file, its hand-in time and its hash read the
    same modules again, and a big helper parsed once per reader cost a class run minutes."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    key = (isinstance(data, str), package, hashlib.blake2b(raw, digest_size=20).digest())
    if key not in _READ:
        if len(_READ) >= _READ_MAX:
            _READ.pop(next(iter(_READ)))        # the oldest first
        _READ[key] = frozenset(_imported_names(data, package))
    return set(_READ[key])


_READ: dict = {}            # (text or bytes, package, digest) -> imported_names' answer
_READ_MAX = 512


def _imported_names(data, package: str) -> set[str]:
    found = set()
    if (b"import" if isinstance(data, (bytes, bytearray)) else "import") not in data:
        return found        # no import statement: nothing to parse
    try:
        for node in ast.walk(parse(data)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(node.module, node.level, package)
                if base is None:
                    continue
                names = [base] if base else []
                names += [f"{base}.{a.name}" if base else a.name
                          for a in node.names if a.name != "*"]
            else:
                continue
            for name in names:
                parts = name.split(".")
                found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass    # it does not import at all
    return found


def absolute_module(module: str | None, level: int, package: str) -> str | None:
    """The module `from {'.' * level}{module} import ...` names, read in `package`; None
    where it names none (a relative import outside any package, or above its top)."""
    if not level:
        return module or ""
    parts = package.split(".") if package else []
    if level > len(parts):
        return None
    base = ".".join(parts[:len(parts) - level + 1])
    return f"{base}.{module}" if module else base


def package_of(module: str, modules) -> str:
    """The package a module of the student's own belongs to, as its relative imports are
    read: the module itself where it is a package (mypkg, from mypkg/__init__.py, or any name
    another module lies under), else the one above it ('' for utils)."""
    if any(m.startswith(module + ".") for m in modules):
        return module
    return module.rpartition(".")[0]


def _sources(name: str, data: bytes) -> list[bytes]:
    """The Python a file runs, as the grader reads it: a notebook's code cells each (its
    `%run utils.py` lines as the loader reads them; none for a notebook that cannot be read:
    it is staged as a module that raises), an exported script's IPython lines as the loader
    reads them."""
    from grader.sandbox.notebooks import notebook_cells, script_python, too_many_cells
    if name.endswith(".ipynb"):
        import json
        if too_many_cells(data):
            return []
        try:
            nb = json.loads(bytes(data).decode("utf-8"))
            return [python.encode() for _label, python in
                    (notebook_cells(nb) if isinstance(nb, dict) else [])]
        except (ValueError, RecursionError, MemoryError):
            return []
    return [script_python(data)]


def imported_closure(name: str, data: bytes, own: dict, package: str = "") -> set[str]:
    """The student's own modules (`own`: {module: bytes}, dotted for a package's: mypkg.core)
    that the file `name` imports, through each other too, as it will run (_sources).
    `package`: the file's own (package_of), for a module of a package."""
    todo = [(source, package) for source in _sources(name, data)]
    found = set()
    while todo:
        source, package = todo.pop()
        more = imported_names(source, package) & set(own) - found
        found |= more
        todo += [(own[m], package_of(m, own)) for m in more]
    return found


def import_graph(files: dict) -> dict[str, set[str]]:
    """{module: the modules of `files` it imports, through each other too} for the files of
    a submission (`files`: {module: (file name, bytes)}: its exercise files, notebooks read
    by their cells, and the student's own modules)."""
    direct = {m: set().union(*(imported_names(source, package_of(m, files))
                               for source in _sources(name, data))) & set(files) - {m}
              for m, (name, data) in files.items()}
    out = {}
    for m in files:
        seen, todo = set(), list(direct[m])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += direct[n]
        out[m] = seen
    return out


def tainted_modules(flagged: set[str], imports: dict[str, set[str]]) -> set[str]:
    """The modules whose worker may run flagged code: the flagged ones, and those that import
    one (`imports`: {module: the student's own modules it imports, through each other too},
    imported_closure of the text read on the trusted side: a notebook's cells, not the loader
    it is staged as). The others' workers never hold a flagged file, so nothing else can run
    it."""
    return set(flagged) | {m for m, found in imports.items() if found & set(flagged)}
