"""The entry points: scan_source, scan_notebook (the code cells the grader runs, read
together as one module), scan_file; each gives the findings of one file, sorted and capped."""
from __future__ import annotations

import ast
import contextvars
import json
from pathlib import Path

from grader.engine.review.encoding import _encoding_findings
from grader.engine.review.reviewer import _Review
from grader.engine.review.rules import (Finding, MAX_FINDINGS, MAX_SOURCE_BYTES,
                                        TOO_DEEP)
from grader.sandbox.parsing import MAX_PARSE_BYTES, TooDeep, TooLarge, parse


def scan_source(text: str | bytes, file: str, where: str = "", manual=None, package: str = "",
                elsewhere: str = "", facts: dict | None = None) -> list[Finding]:
    """Findings in one piece of Python source. Bytes are read as Python reads a file (its
    coding cookie honoured); source that does not parse gives no finding.

        >>> scan_source("import torch\\ntorch.allclose = lambda *a, **k: True\\n", "ex01.py")
        [Finding(file='ex01.py', line=2, where='', what='patches torch.allclose')]
        >>> scan_source("import torch\\ntorch.backends.cudnn.deterministic = True\\n", "x.py")
        []

    `manual`: in a module of the student's own, the names an exercise's manual function
    reaches (grader.engine.review.manual.review_own_modules), read as manual functions;
    `package`: the student's own package the file lies in (its relative imports' origin);
    `elsewhere`: what another file of the submission may put outside the process, "writes"
    (anything) or "images" (a manual function reading it back is then flagged here too);
    `facts`, where given, gets "review": the file's review, asked afterwards what the file
    reads and writes (grader.engine.review.outside).
    """
    units = [(where, text)]
    return _scan(file, units, whole_file=True, manual=manual, package=package,
                 elsewhere=elsewhere, facts=facts)


def reach_of(data: str | bytes, file: str, own, manual=None,
             package: str = "") -> list[tuple[str, str]]:
    """(module, name) of the student's own modules `own` that the manual functions of one
    file reach (an exercise's own, or `manual` in an own module); a notebook's code cells
    are read together. None where the file does not parse."""
    if file.endswith(".ipynb"):
        from grader.sandbox.notebooks import notebook_cells, too_many_cells
        if too_many_cells(data):
            return []
        try:
            nb = json.loads(bytes(data).decode("utf-8"))
            units = notebook_cells(nb) if isinstance(nb, dict) else []
        except (ValueError, RecursionError, MemoryError):
            return []
    else:
        units = [("", data)]
    trees = []
    for where, text in units:
        try:
            trees.append((where, parse(text), 0))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    try:
        review = _Review(file, trees, package=package)
        review.manual_roots = manual
        return sorted(review.own_reached(own))
    except (RecursionError, MemoryError):
        return []


def scan_notebook(data: bytes, file: str, elsewhere: str = "",
                  facts: dict | None = None) -> list[Finding]:
    """Findings in the code cells of a notebook given as bytes, the cells the grader runs
    (grader.sandbox.notebooks.notebook_cells), read together as one module; a cell that does not
    parse is skipped, as the grader skips it. Bytes that are not a notebook give none.
    `elsewhere`, `facts`: as scan_source's."""
    from grader.sandbox.notebooks import notebook_cells, too_many_cells
    if too_many_cells(data):
        return []           # not graded: its exercise stages a module that says why
    try:
        nb = json.loads(bytes(data).decode("utf-8"))
        cells = notebook_cells(nb) if isinstance(nb, dict) else []
    except (ValueError, RecursionError, MemoryError):
        return []
    return _scan(file, cells, whole_file=False, elsewhere=elsewhere, facts=facts)


def scan_file(path) -> list[Finding]:
    """Findings in one submitted file, a .ipynb notebook or Python source by its suffix. The
    file is read as every submission file is (grader.sandbox.files: a regular file, no link
    followed, size capped); a file the grader would not read gives none."""
    from grader.sandbox.files import read_file
    path = Path(path)
    try:
        data = read_file(path)
    except (OSError, ValueError):   # staging.Refused is a ValueError
        return []
    if path.suffix.lower() == ".ipynb":
        return scan_notebook(data, path.name)
    return scan_source(data, path.name)


def _scan(file, units, whole_file, manual=None, package="", elsewhere="", facts=None):
    size = sum(len(text) for _, text in units)
    left = _LEFT.get()
    if left is not None and left[0] <= 0:    # the submission's budget is spent: not parsed
        return [Finding(file, 0, "", f"too large to review: the submission's code past "
                                     f"{MAX_SUBMISSION_CODE / 1e6:.1f} MB in all")]
    if size > MAX_PARSE_BYTES:        # numbers written out as data may fill the parser's bound
        return [Finding(file, 0, "", f"too large to review ({size / 1e6:.1f} MB of code)")]
    found, trees = [], []
    for where, text in units:
        try:
            tree = parse(text)
        except TooDeep:
            found.append(Finding(file, 0, where, TOO_DEEP))
            continue
        except TooLarge:
            found.append(Finding(file, 0, where, f"too large to review ({len(text) / 1e6:.1f} "
                                                 f"MB of code)"))
            continue
        except (SyntaxError, ValueError):     # ValueError: NUL bytes
            if whole_file:
                return []
            continue
        trees.append((where, tree, 0))
        if isinstance(text, (bytes, bytearray)):
            found += _encoding_findings(text, file, where)
    code = size - sum(_data_bytes(tree, text) for (_, text), (_, tree, _) in zip(units, trees)) \
        if size > MAX_SOURCE_BYTES and len(trees) == len(units) else size
    if code > MAX_SOURCE_BYTES:
        return [Finding(file, 0, "", f"too large to review ({code / 1e6:.1f} MB of code)")]
    if left is not None:            # a whole submission's review: its files share one budget
        if code > left[0]:
            left[0] = 0               # the rest is not parsed either
            return [Finding(file, 0, "", f"too large to review: the submission's code past "
                                         f"{MAX_SUBMISSION_CODE / 1e6:.1f} MB in all")]
        left[0] -= code
    doctests = any("doctest" in (t if isinstance(t, str) else t.decode("latin-1"))
                   for _, t in units)
    try:
        review = _Review(file, trees, doctests, package)
        review.manual_roots = manual
        review.writes_elsewhere, review.images_elsewhere = elsewhere == "writes", \
            bool(elsewhere)
        found += review.run()
        if facts is not None:
            facts["review"] = review
    except (RecursionError, MemoryError):
        found.append(Finding(file, 0, "", TOO_DEEP))
    except Exception as exc:  # noqa: BLE001  a file the review cannot finish is not clean
        found.append(Finding(file, 0, "", f"could not be reviewed ({type(exc).__name__})"))
    order = {where: i for i, (where, _) in enumerate(units)}
    found = sorted(set(found), key=lambda f: (order.get(f.where, -1), f.line, f.what))
    if len(found) > MAX_FINDINGS:
        more = len(found) - MAX_FINDINGS
        found = found[:MAX_FINDINGS] + [Finding(file, 0, "", f"and {more} more findings")]
    return found


def review_submission(exercises: dict, modules: dict) -> list[Finding]:
    """The findings of a whole submission: its exercise files `exercises` ({file name:
    bytes}, .py or .ipynb) and its own modules `modules` (as review_own_modules'). The worker
    imports them all into one process, so where one file may put data outside (a file
    written, the environment changed, a program started), a manual function of any file that
    reads from outside is flagged, not only one of the writer's own file."""
    def scan_all(elsewhere, facts):
        found = []
        _LEFT.set([MAX_SUBMISSION_CODE])
        for name, data in sorted(exercises.items()):
            scan = scan_notebook if name.endswith(".ipynb") else scan_source
            facts[name] = {}
            found += scan(data, name, elsewhere=elsewhere, facts=facts[name])
        if modules:
            found += review_own_modules(exercises, modules, elsewhere, facts)
        return found
    facts = {}
    try:
        found = scan_all("", facts)
        reviews = [f["review"] for f in facts.values() if "review" in f]
        if len(facts) < 2 or not any(getattr(r, "reads_outside", False) for r in reviews):
            return found                     # no manual function reads from outside
        writes = "writes" if any(r._writes_outside() for r in reviews) else \
            "images" if any(r._writes_images() for r in reviews) else ""
        return scan_all(writes, {}) if writes else found   # read again, knowing what is written
    finally:
        _LEFT.set(None)


# One submission's code reviewed in all (its exercise files, notebooks' code cells and own
# modules; numbers written out as data do not count): past it, each further file is a finding
# of its own, "too large to review", and its manual points wait for a person. The review costs
# about 20 s a megabyte of code on a 2-core machine, on the trusted side, before any grading:
# each file's own bound (MAX_SOURCE_BYTES) alone let 12 exercise files and 20 helpers under it
# cost ten minutes and 2.6 GB. Seven times what the references hold in all.
MAX_SUBMISSION_CODE = 600_000
_LEFT: contextvars.ContextVar = contextvars.ContextVar("review_left", default=None)


def review_own_modules(exercises: dict, modules: dict, elsewhere: str = "",
                       facts: dict | None = None) -> list:
    """The findings of the student's own modules (`modules`: {module name: (file, bytes)},
    utils: ("utils.py", ...), mypkg.core: ("mypkg/core.py", ...), staged beside the exercise
    files `exercises`: {file name: bytes}): each reviewed as every file is, and read for
    autograd wherever an exercise's manual function reaches into it (through other own
    modules too), so that a manual function cannot hand its work to utils.py."""
    from grader.sandbox.apart import package_of
    own = frozenset(modules)
    roots = {m: set() for m in own}
    todo, read = [], 0
    for name, data in sorted(exercises.items()):
        read += len(data)
        if read > 2 * MAX_SUBMISSION_CODE:   # past what the review reads of a submission
            break
        todo += reach_of(data, name, own)
    done = set()
    while todo:
        module, name = todo.pop()
        if (module, name) in done:
            continue
        done.add((module, name))
        roots[module].add(name)
        file, data = modules[module]
        todo += reach_of(data, file, own, {name}, package_of(module, own))
    found = []
    for module in sorted(own):
        file, data = modules[module]
        fact = {}
        found += scan_source(data, file, manual=roots[module] or None,
                             package=package_of(module, own), elsewhere=elsewhere, facts=fact)
        if facts is not None:
            facts[module] = fact
    return found


def _data_bytes(tree, text) -> int:
    """The bytes of `text` that are numbers written out as data: lists, tuples and sets of 16
    numbers or more (a data set pasted into the file), which the review reads as data, however
    long; MAX_SOURCE_BYTES bounds the rest, the code."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    starts, at = [0], 0
    for line in data.splitlines(keepends=True):
        at += len(line)
        starts.append(at)
    total, todo = 0, [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) >= 16 and \
                _numbers(node) and node.end_lineno is not None:
            total += (starts[node.end_lineno - 1] + node.end_col_offset) - \
                (starts[node.lineno - 1] + node.col_offset)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return total


def _numbers(node) -> bool:
    """Whether a literal holds numbers only (in nested lists, tuples and sets, signs too)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.List, ast.Tuple, ast.Set)):
            todo.extend(n.elts)
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            todo.append(n.operand)
        elif not (isinstance(n, ast.Constant) and type(n.value) in (int, float)):
            return False
    return True
