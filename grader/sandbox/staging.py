"""Staging: how a submission's files enter the grader. One path for every entry point: `grade`
(sandbox.Submission), `grade-class` (classrun.gather), notebooks and the Gradescope runner.

    notes = []
    modules = stage_submission(Path("alice/"), workdir, notes)   # {module: file in workdir}

Everything a submission brings is untrusted data: its bytes, its names, its links. So:

  - only regular files are read, and no symbolic link is ever followed: not an exercise file,
    not a folder (the single folder a zip unpacks into included), not the submission itself.
    Every folder and file is opened relative to its parent's descriptor with O_NOFOLLOW, and
    the opened descriptor is checked with fstat (S_ISREG), so a link, a FIFO (which would block
    the grader), a device (/dev/zero) or a /proc file swapped in between a check and the open
    is refused, never read. A /proc file reports size 0 and then yields data: a file whose
    bytes do not match its size is refused too. (A hard link is a regular file: its bytes are
    the student's to hand in, and it is copied like any other file.) A machine without
    O_NOFOLLOW and descriptor-relative opens (Windows) reads by path, each entry looked at with
    os.lstat first, and only in a student's own check (grader.sandbox.portable).
  - sizes are capped (a file, and the exercise files in total); at most the cap plus one byte
    is read. A zip is never unpacked to disk: its members are read, capped, one by one, and
    before zipfile reads its central directory (all of it, into memory), the zip's size, the
    directory's declared size and entry count and the entries it really holds are checked
    against the caps (zip_directory), reading only the zip's end and that directory.
  - odd names (bytes that are not UTF-8, control characters, very long names) are refused;
    notes name entries escaped (`shown`), so no name can reach a terminal or a page raw.
  - a refusal, or a file that cannot be read, is a note for that exercise: its module raises
    ImportError with the note (the exercise scores zero, the note is shown) and every other
    exercise is graded. Nothing here raises for a student's input.
"""
from __future__ import annotations

import ast
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from grader.exercises import EXERCISES, module_of
# What the entry points use, each from its room: reading one file, names, a folder, a zip.
from grader.sandbox.files import (LINK, MAX_FILE_BYTES, Refused, by_path,  # noqa: F401
                                  kind_of, open_by_path, open_error, open_file, printable,
                                  read_fd, read_file, read_head, shown, size_text)
from grader.sandbox.portable import is_link
from grader.sandbox.names import (NBGRADER_COURSE, NBGRADER_FILES, NOT_STUDENTS,  # noqa: F401
                                  SKIP_DIRS, assignment_exercise, beside_submitted, class_listing,
                                  exercise_of, name_problem, nbgrader_course, nbgrader_layout,
                                  nbgrader_student, one_assignment, safe_label, skipped_dir)
from grader.sandbox.own import (_read_or_empty, imported_helpers, keep_imported,  # noqa: F401
                                keep_named, keep_to_own_assignment, module_problem,
                                own_modules, path_of)
from grader.sandbox.tree import (MAX_DEPTH, MAX_FUZZY, MAX_SIGHTED, Candidate, Found, Layout,
                                 Tree, deep_note, left_out, meant_for, name_note)
from grader.sandbox.zips import (MAX_ZIP_DIRECTORY_BYTES, MAX_ZIP_ENTRIES,  # noqa: F401
                                 _zip_name, zip_candidates, zip_directory)

MAX_TOTAL_BYTES = 100 * 1024**2  # all exercise files of one submission


def _own_assignments(candidates: list, found: Found) -> list:
    """The candidates that lie in their own exercise's assignment folder; a note for each other
    one (assignments=True in collect)."""
    kept = []
    for c in candidates:
        home = f"{module_of(c.ex)}/"
        if len(c.parts) == 1:
            found.note(f"{shown(c.parts[0])} lies outside any assignment folder and was not "
                       f"graded: {c.ex} is graded from its own assignment folder, {home}")
            continue
        own = assignment_exercise(c.parts[0])
        if own == c.ex:
            kept.append(c)
            continue
        inside = shown('/'.join(c.parts[1:]))
        if own is None:
            found.note(f"{inside} in {shown(c.parts[0])}, which is no exercise's assignment "
                       f"folder, was not graded: {c.ex} is graded from its own assignment "
                       f"folder, {home}")
        else:
            found.note(f"{inside} in assignment {shown(c.parts[0])} was not graded: {c.ex} is "
                       f"graded from its own assignment folder, {home}")
    return kept


def own_name(c: Candidate) -> bool:
    """Is this exercise file named as its exercise's own (ex02_gradient_descent.py or .ipynb),
    not by a near name (ex02_gradient_descent (1).py, ... copy.py, ..._old.py, ex02.py)?"""
    return os.path.splitext(c.parts[-1])[0] == EXERCISES[c.ex]


def zip_sightings(zf: zipfile.ZipFile, found: Found) -> None:
    """The members of a zip that look like an exercise's file and are not graded, as the walk
    of a folder finds them (Tree): an exercise's file kept more than MAX_DEPTH folders down
    (found.deep), a file named like an exercise's (found.misnamed: ex1_linear.py,
    ex03_autograd_basics.py.txt). Names only: nothing is read (zip_directory has capped their
    count)."""
    fuzzy = 0
    for info in zf.infolist():
        name = _zip_name(info)
        parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
        if not parts or info.is_dir() or stat.S_ISLNK(info.external_attr >> 16) or \
                name.startswith("/") or ".." in parts or \
                any(map(name_problem, parts)) or any(map(skipped_dir, parts[:-1])):
            continue
        ex, low = exercise_of(parts[-1]), parts[-1].lower()
        if ex and len(parts) - 1 > MAX_DEPTH and len(found.deep) < MAX_SIGHTED:
            found.deep.append((parts, ex))
        elif not ex and len(parts) - 1 <= MAX_DEPTH and (".py" in low or ".ipynb" in low):
            meant = meant_for(parts[-1], fuzzy < MAX_FUZZY)
            fuzzy += low.endswith((".py", ".ipynb"))
            if meant and len(found.misnamed) < MAX_SIGHTED:
                found.misnamed.append((parts, meant))


def nearest_first(found: Found, best: dict, seen: list, named: bool = False) -> list:
    """The modules (or data files) of her own seen, those that can count first and at most
    MAX_OWN_SEEN (MAX_DATA_FILES * 4) of them, as own.py looks at them: those beside a
    graded exercise file or in a package folder there (`named`: a data file whose name a
    graded file or module of hers writes out, before the others), nearest the top first; then
    the others, for their notes. Which come first is never the order they were listed in: a
    folder of scripts or a data set sorted before the exercise folder never crowds out the
    utils.py or settings.json beside the exercise files. A note counts the ones left out
    that could have counted (modules placed so; data files named so)."""
    from grader.sandbox.own import MAX_PACKAGE_DEPTH, nearest_home
    from grader.sandbox.tree import MAX_DATA_FILES, MAX_OWN_SEEN
    cap = MAX_DATA_FILES * 4 if named else MAX_OWN_SEEN
    if len(seen) <= cap:
        return seen
    homes = {c.parts[:-1] for c in best.values() if not c.refused}
    texts = [d for _n, d in found.files.values()] + [d for _n, d in found.modules.values()]

    def rank(c):
        placed = nearest_home(c.parts[:-1], homes) is not None
        said = named and placed and any(c.parts[-1].encode() in t for t in texts)
        return (not said, not placed, c.key)
    ranked = sorted(seen, key=rank)
    late = sum(1 for c in ranked[cap:] if not rank(c)[0 if named else 1])
    if late:
        what = "data files" if named else "modules"
        found.note(f"left out {late} more {what} of your own in the folders of the exercise "
                   f"files (or up to {MAX_PACKAGE_DEPTH} folders below them): at most {cap} "
                   f"are looked at")
    return ranked[:cap]


def _open_root(path: Path) -> tuple[int, os.stat_result]:
    """The submission itself, opened without following a link. (Where that cannot be done,
    Windows, and only in a student's own check: a folder's path, or a file opened by path.)"""
    if by_path():
        return _open_root_by_path(path)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(os.fspath(path), flags)
    except FileNotFoundError:
        raise Refused("no such file or folder") from None
    except OSError as exc:
        raise open_error(exc, str(path)) from None
    st = os.fstat(fd)
    if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        os.close(fd)
        raise Refused(f"{kind_of(st.st_mode)}, not a folder, a zip or an exercise file")
    return fd, st


def _open_root_by_path(path: Path) -> tuple[int | str, os.stat_result]:
    """_open_root where descriptors cannot open it without following a link: a folder is
    walked by its path (Tree), a file opened by path (open_by_path); a link is refused."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise Refused("no such file or folder") from None
    except OSError as exc:
        raise open_error(exc, str(path)) from None
    if is_link(st):
        raise Refused(LINK)
    if stat.S_ISDIR(st.st_mode):
        return os.fspath(path), st
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"{kind_of(st.st_mode)}, not a folder, a zip or an exercise file")
    fd = open_by_path(path)
    return fd, os.fstat(fd)


def collect(source, *, max_file: int = MAX_FILE_BYTES,
            max_total: int = MAX_TOTAL_BYTES, assignments: bool | None = None) -> Found:
    """The exercise files of a submission: a folder (looked into MAX_DEPTH levels deep), a
    zip, or one exercise file. Per exercise a regular file of the exercise's own name
    (own_name: exNN_name.py or .ipynb) wins over every near name (ex02_gradient_descent (1).py,
    ... copy.py, ..._old.py), wherever each lies; of several own names, or of near names only,
    the shallowest wins, a .py before an .ipynb; a stub not started never counts over the work.
    Each other file of that exercise is noted as not graded. Refused (the submission as a
    whole) when it is a link, not a folder, zip or exercise file, a corrupt zip or one over the
    caps (zip_directory), or when its exercise files add up to more than max_total.

    Assignment boundaries: when `source` is a student's entry in nbgrader's submitted/ tree,
    one folder per assignment (nbgrader_layout, decided here from what the submission holds
    and where it lies, for every entry point alike; assignments=True or False decides instead),
    each exercise is read from its own assignment folder only (assignment_exercise); a file of
    it anywhere else (another exercise's assignment, a folder that is no assignment, the
    student's folder itself) is noted and not graded: late work handed in with a later
    assignment never passes for the assignment that was due. One assignment folder of such a
    student (one_assignment) is graded for its own exercise only."""
    source = Path(source)
    name = source.name or str(source)
    problem = name_problem(name)
    found = Found()
    fd, st = _open_root(source)
    tree = None
    zf = None
    layout = Layout()
    try:
        if stat.S_ISDIR(st.st_mode):
            tree = Tree(fd)
            candidates: list = []
            tree.walk(fd, (), candidates, found)
            layout = tree.layout
        elif name.lower().endswith(".zip"):
            zip_directory(fd, st.st_size)
            zf = zipfile.ZipFile(os.fdopen(os.dup(fd), "rb"))
            candidates = zip_candidates(zf, found, layout)
        elif exercise_of(name) and problem:
            raise Refused(problem)
        elif exercise_of(name):
            candidates = [Candidate(exercise_of(name), (name,), read=lambda cap: read_fd(fd, cap))]
        else:
            raise Refused("not a folder, a zip or an exercise file (exNN_*.py or .ipynb)")
        single = None
        if assignments is None:
            assignments = nbgrader_layout(source, layout.tops)
            if tree is not None and not assignments:
                single = one_assignment(source, layout.stamped)
        if single:                 # its own exercise only, as in the student's folder
            candidates = [Candidate(c.ex, (source.name,) + c.parts, c.read, c.refused)
                          for c in candidates]
            found.own_modules = [Candidate(c.ex, (source.name,) + c.parts, c.read, c.refused)
                                 for c in found.own_modules]   # its utils.py, beside it
            assignments = True
        candidates = imported_helpers(candidates, found, max_file)   # ex01_utils.py
        if assignments:
            candidates = _own_assignments(candidates, found)
        best: dict = {}
        twice = {c.ex for c in candidates if not c.refused} - \
            {c.ex for c in candidates if not c.refused and
             sum(o.ex == c.ex and not o.refused for o in candidates) == 1}
        stubs = {id(c) for c in candidates if c.ex in twice and not c.refused and
                 not_started(c.parts[-1], _read_or_empty(c, max_file))}
        def rank(c):   # a stub not started never counts over the work; then the own name
            return (id(c) in stubs, bool(c.refused), not own_name(c), c.key)
        for c in candidates:
            if c.ex not in best or rank(c) < rank(best[c.ex]):
                best[c.ex] = c
        for c in candidates:
            chosen = best[c.ex]
            if c is not chosen and not c.refused and not chosen.refused:
                found.note(f"{shown('/'.join(c.parts))} was not graded: "
                           f"{shown('/'.join(chosen.parts))} counts for {c.ex} " +
                           ("(the other is the exercise's stub, not started)" if id(c) in stubs
                            and id(chosen) not in stubs else
                            f"(the file named {EXERCISES[c.ex]}.py or .ipynb counts before "
                            f"any other name)" if own_name(chosen) and not own_name(c) else
                            "(the file nearest the top counts, a .py before a notebook)"))
        if zf is not None:
            zip_sightings(zf, found)
        graded = {ex: "/".join(c.parts) for ex, c in best.items() if not c.refused}
        for parts, ex in found.misnamed:   # a similar name: said, never graded in its place
            if ex in graded and not parts[-1].lower().endswith((".py", ".ipynb")):
                continue                   # ex03_autograd_basics.py.bak beside the one graded
            found.note(name_note(parts, ex, graded[ex].rsplit("/", 1)[-1] if ex in graded
                                 else None))
        for parts, ex in found.deep:       # too deep to be graded: said, with where to put it
            found.note(deep_note(parts, ex, graded.get(ex)))
        for ex, c in best.items():
            if not c.refused and not own_name(c):
                found.note(name_note(c.parts, ex, c.parts[-1]))
        if found.helpers:
            found.note(f"left out {', '.join(shown(h) for h in found.helpers)}: a notebook "
                       f"cannot be imported; put what it holds in a .py file beside the "
                       f"exercise files (utils.py), or in the exercise's file")
        found.own_modules = nearest_first(found, best, found.own_modules)
        chosen = own_modules(found, best, bool(assignments), max_file)
        read = 0
        for module, c in sorted(chosen.items(), key=lambda item: item[1].key):
            try:        # each is read, then what no exercise imports is left out
                data = c.read(max_file)
            except (Refused, OSError) as exc:
                found.note(left_out(c.parts, str(exc) if isinstance(exc, Refused) else
                                    f"could not be read ({exc.strerror or exc})"))
                continue
            read += len(data)
            if read > max_total:
                found.note(left_out(c.parts, f"the modules of your own add up to more than "
                                             f"{size_text(max_total)}"))
                continue
            found.modules[module] = (path_of(c), data)
        total = 0
        for ex in sorted(best):
            c = best[ex]
            if c.refused:
                found.refused[ex] = (c.parts[-1], c.refused)
                continue
            try:
                data = c.read(max_file)
            except Refused as exc:
                text = left_out(c.parts, str(exc))
                found.note(text)
                found.refused[ex] = (c.parts[-1], text)
                continue
            except OSError as exc:
                text = left_out(c.parts, f"could not be read ({exc.strerror or exc})")
                found.note(text)
                found.refused[ex] = (c.parts[-1], text)
                continue
            total += len(data)
            if total > max_total:
                raise Refused(f"the exercise files add up to more than {size_text(max_total)}")
            found.files[ex] = (c.parts[-1], data)
        keep_imported(found)
        if assignments:
            keep_to_own_assignment(found)
        found.data_seen = nearest_first(found, best, found.data_seen, named=True)
        keep_named(found, best, bool(assignments))
        for data in [d for _n, d in found.modules.values()] + list(found.data.values()):
            total += len(data)
        if total > max_total:
            raise Refused(f"the submission's files add up to more than {size_text(max_total)}")
    except zipfile.BadZipFile as exc:
        raise Refused(str(exc)) from None
    finally:
        if zf is not None:
            zf.close()
        if tree is not None:
            tree.close()
        else:
            os.close(fd)
    return found


def not_started(name: str, data: bytes) -> bool:
    """Whether a file is an exercise's stub as handed out: it defines functions, and every
    one of them but its private helpers (_as_array; __init__ counts) still only raises
    NotImplementedError (a docstring, `pass` or comments beside it), read as text; a notebook
    by its code cells. False where it cannot be read."""
    from grader.sandbox.apart import _sources, parse
    functions = []
    for source in _sources(name, data):
        try:
            tree = parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        functions += [n for n in ast.walk(tree)
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and
                      not (n.name.startswith("_") and not n.name.endswith("__"))]
    return bool(functions) and all(_raises_only(f.body) for f in functions)


def _raises_only(body) -> bool:
    rest = [s for s in body if not (isinstance(s, ast.Pass) or isinstance(s, ast.Expr) and
                                    isinstance(s.value, ast.Constant))]
    return len(rest) == 1 and isinstance(rest[0], ast.Raise) and "NotImplementedError" in \
        ast.unparse(rest[0].exc or ast.Constant(None))


# ----------------------------------------------------------------------------------------------
# the one staging function

def _keep_graded(found, graded: set, graph: dict) -> None:
    """Keep the files of `graded` and what they import (a name built at run time: flagged)."""
    wanted = {module_of(ex) for ex in graded}
    wanted |= {m for w in wanted for m in graph.get(w, ())}
    for table in (found.files, found.refused):
        for ex in [ex for ex in table if module_of(ex) not in wanted]:
            del table[ex]


def _raising_module(message: str) -> bytes:
    return f"raise ImportError({message!r})\n".encode()


def stage_submission(source, workdir, notes: list | None = None,
                     review: list | None = None, imports: dict | None = None,
                     notebooks: set | None = None, graded=None) -> dict[str, str]:
    """Copy the exercise files of a submission (a folder, a zip or one file: exNN_*.py, or
    notebooks turned into .py) into workdir as {module}.py; return {module name: file name}.
    A file that is refused or unreadable becomes a module that raises ImportError saying why;
    `notes` (a list) gets what was left out and why. Never raises for the submission's
    content. `review` (a list) gets what the source of each file does that a correct program
    never does (grader.engine.review, reading the files as text, here on the trusted side).
    `imports` (a dict) gets {module: the modules of the submission it imports} (a notebook's
    read from its cells); `notebooks` (a set) the modules staged from a notebook (the loader:
    decided here, by the file's name, never by what a staged file begins with). A package's
    modules are staged as mypkg.core.py, mypkg.py (its
    __init__.py, or empty), found by those names in the worker."""
    notes = notes if notes is not None else []
    workdir = Path(workdir)
    staged: dict[str, bytes] = {}
    try:
        found = collect(source)
    except Refused as exc:
        notes.append(f"could not read the submission {shown(Path(source).name or source)}: "
                     f"{exc}")
        found = Found()
    except Exception as exc:  # noqa: BLE001 - whatever it is, the grade goes on without it
        from grader.sandbox.launcher import SandboxRefused
        if isinstance(exc, SandboxRefused):   # a machine that cannot read it safely: nothing
            raise                             # is graded there (files.by_path)
        notes.append(f"could not read the submission {shown(Path(source).name or source)}: "
                     f"{type(exc).__name__}: {shown(str(exc), quote=False, limit=200)}")
        found = Found()
    notes.extend(n for n in found.all_notes() if n not in notes)
    from grader.sandbox.notebooks import script_python
    for ex, (name, data) in list(found.files.items()):   # an exported notebook's IPython
        if name.endswith(".py"):                          # lines, as in the notebook: reviewed
            found.files[ex] = (name, script_python(data))  # and run as the loader has them
    from grader.sandbox.apart import import_graph      # what imports what: read once
    graph = import_graph({**found.modules, **{module_of(ex): f for ex, f in found.files.items()}})
    if graded is not None:     # only the exercises graded, and what their files import
        _keep_graded(found, set(graded), graph)
    if review is not None:
        from grader.engine.review.scan import review_submission
        review.extend(str(f) for f in review_submission(
            {Path(n).name: d for n, d in found.files.values()}, found.modules))
    own = {m: d for m, (_n, d) in found.modules.items()}
    if imports is not None:
        kept = set(found.modules) | {module_of(ex) for ex in found.files}
        imports.update({m: graph[m] & kept for m in kept if m in graph})
    for ex, (name, data) in found.files.items():
        if name.endswith(".ipynb"):
            from grader.sandbox.notebooks import notebook_source
            try:
                data = notebook_source(data, origin=name).encode()
            except Exception as exc:  # noqa: BLE001 - a malformed notebook: its exercise only
                why = exc.args[0] if isinstance(exc, ValueError) and exc.args else \
                    f"{type(exc).__name__}"
                text = f"left out {shown(name)}: {why}"
                notes.append(text)
                data = _raising_module(text)
            else:
                if notebooks is not None:
                    notebooks.add(module_of(ex))
        staged[ex] = data
    for ex, (_name, text) in found.refused.items():
        staged[ex] = _raising_module(text)
    out = {}
    for ex in sorted(staged):
        (workdir / f"{module_of(ex)}.py").write_bytes(staged[ex])
        out[module_of(ex)] = f"{module_of(ex)}.py"
    packages = {".".join(m.split(".")[:i]) for m in own for i in range(1, m.count(".") + 1)}
    for module in sorted(set(own) | packages):   # utils.py, mypkg.core.py: the student's
        (workdir / f"{module}.py").write_bytes(own.get(module, b""))
        out[module] = f"{module}.py"
    for name, data in sorted(found.data.items()):   # settings.json, data/points.csv: the
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)   # student's, read by her
        (workdir / name).write_bytes(data)           # code (own.keep_named)
    from grader.datasets import FILES, path
    for name in FILES:  # the data sets of ex08-ex10 (the grader's own), next to the code
        if path(name).exists():
            import shutil
            shutil.copyfile(path(name), workdir / name)
    return out
