"""The student's own modules, staged with the exercise files that import them: a module beside
them (utils.py: `import utils`), and the modules of a package folder beside them
(mypkg/__init__.py, mypkg/core.py: `from mypkg.core import square`), each under the name
`import` finds it by (utils, mypkg, mypkg.core).

    chosen = own_modules(found, best)        # {module: Candidate}, a note for each other one
    keep_imported(found)                     # only what an exercise file imports is graded

A module is graded only where it lies beside (or in a package folder beside) an exercise file
that imports it, under a name that stands in for no module of Python's or of an installed
package; at most MAX_OWN_MODULES of them per exercise file (keep_imported). Each other one
is left out with a note, never silently.
"""
from __future__ import annotations

import importlib.machinery
import keyword
import os
import sys

from grader.exercises import EXERCISES
from grader.sandbox.files import MAX_FILE_BYTES, Refused, shown
from grader.sandbox.tree import MAX_OWN_MODULES, Candidate, Found, left_out

MAX_PACKAGE_DEPTH = 2            # package folders below an exercise file's folder
# Names a module of the student's own cannot take: it would stand in for the harness's or
# the interpreter's own in the worker, where the submission's modules are found first
RESERVED_MODULES = frozenset({"conftest", "setup", "sitecustomize", "usercustomize", "grader",
                              "torchdrills", "pytest", "solutions", "exercises", "__main__"})


def module_problem(name: str) -> str:
    """Why a module of the student's own (utils, mypkg.core) cannot be staged under its name,
    or '': a name `import` cannot spell, or one whose top would stand in for Python's or an
    installed package's module in the worker (random.py, torch/core.py)."""
    parts = name.split(".")
    if not all(p.isascii() and p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        return "its name is not one `import` can spell (letters, digits and _)"
    top = parts[0]
    if top in EXERCISES.values():
        return f"it would stand in for the exercise's own module {top}"
    if top in sys.stdlib_module_names or top in sys.builtin_module_names or \
            top in RESERVED_MODULES:
        return f"Python has a module named {top}, which this file would stand in for"
    places = [p for p in sys.path if p not in ("", os.getcwd())]
    if importlib.machinery.PathFinder.find_spec(top, places) is not None:
        return f"an installed package is named {top}, which this file would stand in for"
    return ""


def home_of(c: Candidate) -> tuple:
    """The folder of the exercise files a placed module (placed) is theirs: its own folder,
    above its package's folders."""
    return c.parts[:len(c.parts) - 1 - c.ex.count(".") - (c.parts[-1] == "__init__.py")]


def path_of(c: Candidate) -> str:
    """A placed module's file, from its home: utils.py, mypkg/core.py."""
    return "/".join(c.parts[len(home_of(c)):])


def nearest_home(folder: tuple, homes) -> tuple | None:
    """The nearest of `homes` (folders of exercise files) at `folder` or up to
    MAX_PACKAGE_DEPTH folders above it; None where there is none."""
    return next((folder[:len(folder) - d] for d in range(min(MAX_PACKAGE_DEPTH, len(folder)) + 1)
                 if folder[:len(folder) - d] in homes), None)


def placed(found: Found, best: dict) -> list:
    """The modules seen (found.own_modules), each named as the nearest folder of graded
    exercise files above it imports it (ex: utils, mypkg.core, mypkg for mypkg/__init__.py);
    a note for one that lies in no such folder or package. An __init__.py beside the
    exercise files makes no module."""
    homes = {c.parts[:-1] for c in best.values() if not c.refused}
    on_path = {c.parts[:-1] + p for c in best.values() if not c.refused
               for p in path_folders(c.parts[-1], _read_or_empty(c, MAX_FILE_BYTES))} \
        if found.own_modules else set()
    out = []
    for c in found.own_modules:
        folder, stem = c.parts[:-1], c.parts[-1][:-3]
        home = next((h for h in sorted(on_path) if folder[:len(h)] == h and
                     len(folder) - len(h) <= MAX_PACKAGE_DEPTH), None) or \
            nearest_home(folder, homes)
        if home is None:
            found.note(f"left out {shown('/'.join(c.parts))}: a module of your own is graded "
                       f"only in the folder of the exercise files that import it, or in a "
                       f"package folder there")
            continue
        names = folder[len(home):] + (() if stem == "__init__" else (stem,))
        if names:
            out.append(Candidate(".".join(names), c.parts, c.read, c.refused))
    return out


def path_folders(name: str, data: bytes) -> set[tuple]:
    """The folders, below an exercise file's own, that it puts on sys.path by a literal name
    (read as text): sys.path.insert(0, 'lib'), sys.path.append(os.path.join(
    os.path.dirname(__file__), 'lib')), str(Path(__file__).parent / 'lib'). A module there is
    imported by its own name (helpers for lib/helpers.py), as Python finds it. Any other
    path (absolute, '..', computed) is not followed."""
    import ast
    from grader.sandbox.apart import _sources, parse
    out = set()
    for source in _sources(name, data):
        text = source if isinstance(source, str) else bytes(source).decode("latin-1")
        if "sys" not in text or "path" not in text:     # no sys.path named: nothing to parse
            continue
        try:
            tree = parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
                    node.func.attr in ("insert", "append") and node.args and
                    ast.unparse(node.func.value) == "sys.path"):
                continue
            arg = node.args[-1]
            words = [n.value for n in ast.walk(arg) if isinstance(n, ast.Constant)]
            names = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
            parts = tuple(p for w in words if isinstance(w, str)
                          for p in w.replace("\\", "/").split("/") if p not in ("", "."))
            if words and parts and all(isinstance(w, str) for w in words) and \
                    not words[0].startswith(("/", "\\")) and names <= PATH_NAMES and \
                    all(p.isidentifier() for p in parts):
                out.add(parts)
    return out


PATH_NAMES = frozenset({"os", "Path", "pathlib", "__file__", "str"})


def own_modules(found: Found, best: dict, assignments: bool = False, cap: int = 0) -> dict:
    """{module: Candidate} of the student's own modules to read: those placed beside a graded
    exercise file, whose name is free (module_problem), one per name (the nearest the top); a
    note for each other one. Under assignment boundaries (`assignments`), a module counts only
    for the exercises of its own assignment folder (_own_assignment_modules). (What no
    exercise file imports is left out after reading: keep_imported.)"""
    seen = placed(found, best)
    chosen = _own_modules(found, seen, cap if assignments else 0)
    return _own_assignment_modules(found, seen, best, chosen, cap) if assignments else chosen


MAX_HELPER_READERS = 64         # files named like an exercise's read for what they import


def imported_helpers(candidates: list, found: Found, cap: int) -> list:
    """`candidates` (files named like an exercise's: exNN_*.py), less each that a file of them
    imports by its own name (ex01_linear_model.py: `from ex01_utils import SCALE`): a module of
    the student's own, as Python imports it, staged as one (found.own_modules: reviewed and
    placed as utils.py is), never taken for a second copy of the exercise. Read as text, the
    nearest the top first, at most MAX_HELPER_READERS of them."""
    from grader.sandbox.apart import _sources, imported_names
    stems = {c.parts[-1][:-3] for c in candidates if not c.refused and
             c.parts[-1].endswith(".py") and c.parts[-1][:-3] != EXERCISES[c.ex] and
             c.parts[-1][:-3].isidentifier()}
    if not stems or len(candidates) < 2:     # one file alone is read once, as it is graded
        return candidates
    imported: set = set()
    for c in sorted((c for c in candidates if not c.refused),
                    key=lambda c: c.key)[:MAX_HELPER_READERS]:
        for source in _sources(c.parts[-1], _read_or_empty(c, cap)):
            imported |= imported_names(source) - {c.parts[-1].rsplit(".", 1)[0]}
    helpers = stems & imported
    kept = []
    for c in candidates:
        if not c.refused and c.parts[-1].endswith(".py") and c.parts[-1][:-3] in helpers:
            found.own_modules.append(Candidate(c.parts[-1][:-3], c.parts, c.read))
        else:
            kept.append(c)
    return kept


def keep_imported(found: Found) -> None:
    """Leave out, with a note, each module of the student's own that no exercise file imports
    (through other modules too), then each past MAX_OWN_MODULES of one exercise file's, then
    each past MAX_OWN_BYTES in all: what grading runs is what the exercises import, and what
    their hand-in times and hashes cover (a settings.py read as text, changed after the due
    date, would have passed for on-time work). The bounds are per exercise file, far above
    a course's own layout (a helper or a few per exercise, twelve exercises), and each module
    kept is reviewed."""
    from grader.sandbox.apart import imported_closure
    from grader.sandbox.tree import MAX_OWN_BYTES
    own = {m: data for m, (_n, data) in found.modules.items()}
    closures = {n: imported_closure(n, d, own) for n, d in found.files.values()} if own else {}
    reached = set().union(*closures.values())
    from grader.sandbox.apart import _sources, imported_names
    named = set().union(*(imported_names(s) for n, d in found.files.values()
                          for s in _sources(n, d))) if set(own) - reached else set()
    for module in sorted(set(own) - reached):
        name, _data = found.modules.pop(module)
        last = module.rsplit(".", 1)[-1]
        found.note(f"left out {shown(name)}: an exercise file imports it as {last}, which "
                   f"Python finds there only through a folder put on sys.path, and the grader "
                   f"follows only a literal folder below the exercise file's "
                   f"(sys.path.insert(0, 'lib')): import it as `from "
                   f"{module.rpartition('.')[0]} import {last}`, or put it beside the exercise "
                   f"file" if "." in module and last in named else
                   f"left out {shown(name)}: no exercise file imports it, so it is not graded "
                   f"with them (a value an exercise needs belongs in its file)")
    kept = set().union(*(sorted(c)[:MAX_OWN_MODULES] for c in closures.values()))
    for module in sorted(set(found.modules) - kept):
        name, _data = found.modules.pop(module)
        by = sorted(n for n, c in closures.items() if module in c)[0]
        found.note(f"left out {shown(name)}: {shown(by)} imports more than {MAX_OWN_MODULES} "
                   f"modules of your own, and at most {MAX_OWN_MODULES} are graded with each "
                   f"exercise file (merge small ones)")
    total = 0
    for module in sorted(found.modules):
        total += len(found.modules[module][1])
        if total > MAX_OWN_BYTES:
            name, _data = found.modules.pop(module)
            found.note(f"left out {shown(name)}: the modules of your own add up to more than "
                       f"{MAX_OWN_BYTES // 1024**2} MB")


def keep_to_own_assignment(found: Found) -> None:
    """Under assignment boundaries: an exercise file that imports another exercise's module
    (directly, or through a module of her own) is not graded, with a note. Each exercise is
    graded from its own assignment folder alone, as nbgrader runs it there: ex02's one line
    `from ex01_linear_model import gradient` would otherwise grade ex01's folder, handed in
    later, as ex02's on-time work."""
    from grader.exercises import module_of
    from grader.sandbox.apart import import_graph
    files = {**found.modules, **{module_of(ex): f for ex, f in found.files.items()}}
    graph = import_graph(files)
    exercises = {module_of(ex) for ex in EXERCISES}
    for ex, (name, _data) in sorted(found.files.items()):
        others = sorted(m for m in graph.get(module_of(ex), ()) if m in exercises)
        if others:
            text = (f"{shown(name)} was not graded: it imports {others[0]}, another "
                    f"assignment's exercise, and each exercise is graded from its own "
                    f"assignment folder alone (copy what it needs into its own file)")
            found.note(text)
            del found.files[ex]
            found.refused[ex] = (name, text)


def _read_or_empty(c: Candidate, cap: int) -> bytes:
    try:
        return c.read(cap)
    except (Refused, OSError):
        return b""


def _imports_of(c: Candidate, own: dict, cap: int) -> set[str]:
    """The student's own modules (`own`: {module: bytes}) the exercise file `c` imports,
    through each other too (apart.imported_closure)."""
    from grader.sandbox.apart import imported_closure
    return imported_closure(c.parts[-1], _read_or_empty(c, cap), own)


def _own_assignment_modules(found: Found, seen: list, best: dict, chosen: dict,
                            cap: int) -> dict:
    """`chosen`, less each module that an exercise file of ANOTHER assignment folder imports
    (read as text: imported_closure), with a note: late work handed in with a later
    assignment (utils.py in ex02_gradient_descent/) never passes for the assignment that was
    due (ex01_linear_model/ex01_linear_model.py: `from utils import *`). A copy of the same
    bytes in the importing exercise's own folder is its own, and counts."""
    data = {m: _read_or_empty(c, cap) for m, c in chosen.items()}
    exercises = sorted((c for c in best.values() if not c.refused), key=lambda c: c.parts)
    while True:
        own = {m: data[m] for m in chosen}
        crossing = None
        for c in exercises:
            for m in sorted(_imports_of(c, own, cap)):
                if home_of(chosen[m]) == c.parts[:-1] or any(
                        o.ex == m and home_of(o) == c.parts[:-1] and
                        _read_or_empty(o, cap) == data[m] for o in seen):
                    continue
                crossing = (m, c)
                break
            if crossing:
                break
        if crossing is None:
            return chosen
        m, c = crossing
        module = chosen.pop(m)
        folder = "/".join(c.parts[:-1])
        twin = any(o.ex == m and home_of(o) == c.parts[:-1] for o in seen)
        found.note(f"{shown(path_of(module))} in assignment {shown('/'.join(home_of(module)))}"
                   f" was not graded: {shown(c.parts[-1])} of assignment {shown(folder)} "
                   f"imports it, and a module of your own counts only for the exercises of its "
                   f"own assignment folder " +
                   (f"(two different modules named {m}: give each its own name)" if twin else
                    f"(a copy in {shown(folder + '/')} is {c.ex}'s own)"))


def _own_modules(found: Found, seen: list, same_bytes: int = 0) -> dict:
    """own_modules without the assignment boundaries; `same_bytes` (a cap): a copy of the
    chosen module's bytes under the same name (one per assignment folder) is not noted."""
    chosen: dict = {}
    paths = [c.parts for c in seen]
    for c in sorted(seen, key=lambda c: c.key):
        where = shown("/".join(c.parts))
        clash = _clash(c, chosen)
        if paths.count(c.parts) > 1:
            found.note(left_out(c.parts, "the zip holds two members of this name"))
        elif module_problem(c.ex):
            found.note(f"left out {where}: {module_problem(c.ex)}; rename it "
                       f"(e.g. my_{c.ex.split('.')[-1]}.py) and import it by that name")
        elif c.ex in chosen and same_bytes and \
                _read_or_empty(c, same_bytes) == _read_or_empty(chosen[c.ex], same_bytes):
            continue            # the same module, in each assignment folder that imports it
        elif c.ex in chosen or clash:
            found.note(f"{where} was not graded: {shown('/'.join((clash or chosen[c.ex]).parts))}"
                       f" is the module {(clash or chosen[c.ex]).ex}")
        else:
            chosen[c.ex] = c
    return chosen


def _clash(c: Candidate, chosen: dict) -> Candidate | None:
    """A chosen module that `c` cannot stand beside: a plain module (utils.py) where `c` would
    lie in a package of that name (utils/core.py), or the other way round."""
    for m, other in chosen.items():
        if c.ex.startswith(m + ".") and other.parts[-1] != "__init__.py" or \
                m.startswith(c.ex + ".") and c.parts[-1] != "__init__.py":
            return other
    return None


def keep_named(found: Found, best: dict, assignments: bool = False) -> None:
    """The student's own data files to stage (found.data: {path: bytes}): a text file in the
    folder of graded exercise files, or up to MAX_PACKAGE_DEPTH folders below it
    (settings.json, data/points.csv), whose name an exercise file there, or a module of her
    own it imports, writes out (read as text: `open("data/points.csv")`,
    `os.path.join(DATA, "points.csv")`), staged at the same place as her code finds it in her
    folder; at most MAX_DATA_FILES, each at most MAX_DATA_BYTES. A file no code names is left
    alone; one named but elsewhere, under one of the grader's data sets' names, or (under
    assignment boundaries) named by another assignment's exercise is left out with a note."""
    from grader.datasets import FILES
    from grader.sandbox.apart import imported_closure
    from grader.sandbox.tree import MAX_DATA_BYTES, MAX_DATA_FILES
    own = {m: d for m, (_n, d) in found.modules.items()}
    readers = {}          # exercise -> its file's folder, and the text of it and its modules
    for ex, (name, data) in found.files.items():
        texts = [data] + [own[m] for m in imported_closure(name, data, own)]
        readers[ex] = (best[ex].parts[:-1], texts)
    for c in sorted(found.data_seen, key=lambda c: c.key):
        base, where, folder = c.parts[-1], shown("/".join(c.parts)), c.parts[:-1]
        by = [home for home, texts in readers.values() if any(base.encode() in t for t in texts)]
        if not by:
            continue
        home = nearest_home(folder, by)
        name = "/".join(c.parts[len(home):]) if home is not None else base
        if home is None:
            why = ("another assignment's exercise names it, and a file counts only for its own "
                   "assignment's exercises" if assignments and any(
                       folder[:i] in [h for h, _t in readers.values()]
                       for i in range(len(folder) + 1)) else
                   "a data file is read only in the folder of the exercise files that name it, "
                   f"or up to {MAX_PACKAGE_DEPTH} folders below it")
            found.note(f"left out {where}: {why}")
        elif assignments and any(h != home for h in by):
            found.note(f"left out {where}: another assignment's exercise names it, and a file "
                       f"counts only for its own assignment's exercises")
        elif name.split("/")[0] in FILES or name.split("/")[0].endswith((".py", ".ipynb")):
            found.note(f"left out {where}: the grader's own {name.split('/')[0]} is read under "
                       f"that name")
        elif name in found.data:
            found.note(f"{where} was not graded: another {name} is")
        elif len(found.data) >= MAX_DATA_FILES:
            found.note(f"left out {where}: at most {MAX_DATA_FILES} data files of your own are "
                       f"read with the exercise files")
        else:
            try:
                found.data[name] = c.read(MAX_DATA_BYTES)
            except (Refused, OSError) as exc:
                found.note(left_out(c.parts, str(exc) if isinstance(exc, Refused) else
                                    f"could not be read ({exc.strerror or exc})"))
