"""The code of a submission as the similarity report compares it (grader.classroom.similarity):
written out again from its syntax tree, without the lines that do nothing, with the code it
runs from string literals, its comment lines emptied and its numbers spelled alike; nothing
here runs a student's code.

    text, lines = normalised("return (w) * (x) + (b)")   # "return w * x + b", [(1, 1)]
    normalised("import os\nunused = 0\ndef cost(w):\n    \"\"\"Doc.\"\"\"\n    pass\n    return w")
    # ("def cost(w):\n    return w", ...): no padding, whoever wrote it
"""
from __future__ import annotations

import ast
import functools
import re
from collections import Counter
from pathlib import Path

from grader.sandbox.parsing import parse

_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)


EXEC_CALLS = frozenset({"exec", "eval", "compile"})
MAX_EXEC_DEPTH = 3    # exec("exec('...')"): literals within literals, this deep
MAX_PRUNE_ROUNDS = 8  # a dead function that alone used another: found in the next round
STUBS = Path(__file__).resolve().parents[2] / "exercises"
_NAME = re.compile(r"[A-Za-z_]\w*")


def normalised(code: str, depth: int = 0) -> tuple[str, list | None]:
    """(the code as compared, the lines of `code` each of its lines stands for): `code` written
    out again from its syntax tree (ast.unparse: redundant parentheses, layout, line breaks
    inside brackets and comments dropped; `return (w) * (x) + (b)` and `return w * x + b`
    read alike), followed by the code of each string literal the file runs (exec, eval or
    compile called on it: `exec("def cost(xs, ys, w): ...")`), itself normalised. Lines map
    to the statement they come from (a literal's: the call's). A file that does not parse
    is normalised block by block (each top-level statement with what belongs to it), a block
    that does not parse kept as written: one broken line leaves the rest normalised. Nothing
    parses: `code` itself, None."""
    whole = _normalised_block(code, depth)
    if whole is not None:
        return whole
    texts, lines, parsed = [], [], False
    blocks = _blocks(code)
    used = Counter()          # a name one block defines may be used in another, broken too
    for _first, block in blocks:
        try:
            used.update(_used_names(parse(block)))
        except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
            for line in block.split("\n"):       # line by line: what a line reads
                try:
                    used.update(_used_names(parse(line.strip())))
                except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError,
                        OverflowError):
                    used.update(_NAME.findall(line.split("#")[0]))
    for first, block in blocks:
        got = _normalised_block(block, depth, used)
        if got is None:      # as written, but for its lines that alone do nothing
            kept = [(i, line) for i, line in enumerate(block.split("\n"))
                    if not _noop_line(line, used)]
            texts.append("\n".join(line for _, line in kept))
            lines += [(first + i, first + i) for i, _ in kept] or [None]   # one per line
            continue
        parsed = True
        texts.append(got[0])
        lines += [None if m is None else (m[0] + first - 1, m[1] + first - 1) for m in got[1]]
    return ("\n".join(texts), lines) if parsed else (code, None)


_GOES_ON = ("else", "elif", "except", "finally", "case")   # top-level lines of the block above


def _blocks(code: str) -> list[tuple[int, str]]:
    """(first line, text) of each top-level block of `code`: a line at the margin (not a
    comment, a closing bracket, `else:` and the like, or what follows a decorator) starts one."""
    out, start, decorated = [], 0, False
    rows = code.split("\n")
    for i, row in enumerate(rows):
        head = row[:1]
        word = row.split(None, 1)[0].rstrip(":") if row.strip() else ""
        if i and head and head not in " \t#)]}" and word not in _GOES_ON and not decorated:
            out.append((start + 1, "\n".join(rows[start:i])))
            start = i
        if head and head not in " \t#":
            decorated = head == "@"
    out.append((start + 1, "\n".join(rows[start:])))
    return out


def _normalised_block(code: str, depth: int, used: Counter | None = None):
    """normalised() of code that parses as a whole, its no-op lines left out (without_noops;
    `used`: the names the whole file uses, where this is one block of it); None where it
    does not parse."""
    try:
        tree = parse(code)
        # a header's lines as written (its docstring not), by node: kept alive, ids not reused
        spans = {id(n): (n, _span(n)) for n in ast.walk(tree) if isinstance(n, ast.stmt)}
        tree = without_noops(tree, used)
        text = ast.unparse(tree)
        again = parse(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
        return None
    old = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
    new = [n for n in ast.walk(again) if isinstance(n, ast.stmt)]
    if len(old) != len(new) or any(type(a) is not type(b) for a, b in zip(old, new)):
        return None
    lines: list = [None] * (text.count("\n") + 1)
    for a, b in zip(old, new):
        was = spans.get(id(a))
        first_a, last_a = was[1] if was is not None and was[0] is a else _span(a)
        first_b, last_b = _span(b)
        for n in range(first_b, min(last_b, len(lines)) + 1):
            if lines[n - 1] is None:
                lines[n - 1] = (first_a, last_a)
    if depth < MAX_EXEC_DEPTH:
        for call in ast.walk(tree):
            literal = _run_literal(call)
            if literal is None:
                continue
            inner, mapped = normalised(literal, depth + 1)
            if mapped is None:          # not code: a string like any other
                continue
            text += "\n" + inner
            lines += [(call.lineno, call.end_lineno or call.lineno)] * (inner.count("\n") + 1)
    return text, lines


@functools.lru_cache(maxsize=1)
def required_names() -> frozenset:
    """The names the stubs (exercises/exNN_*.py) define at their top level: the functions and
    classes students fill in, and the helpers they are handed. Never dead code, used or not."""
    names = set()
    for path in sorted(STUBS.glob("ex[0-9]*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                names.update(_bound(node))
    return frozenset(names)


def _used_names(tree) -> Counter:
    """How often each name is read in `tree`: a name loaded or deleted, a string that is a
    name (getattr(m, "cost"), __all__), and the names in code a call runs from a string
    literal (exec("helper()"))."""
    used = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            used[node.id] += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                _NAME.fullmatch(node.value):
            used[node.value] += 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            used.update(node.names)
        literal = _run_literal(node)
        if literal:
            used.update(_NAME.findall(literal))
    return used


def _bound(node) -> list[str]:
    """The plain names an assignment or import binds ([] where one of its targets is no plain
    name: an attribute, an item)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names, todo = [], list(targets)
    while todo:
        t = todo.pop()
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            todo += t.elts
        elif isinstance(t, ast.Starred):
            todo.append(t.value)
        else:
            return []
    return names


def _noop(st: ast.stmt, used: Counter, in_class: bool) -> bool:
    """Does the statement do nothing the rest of the file could notice? `pass`, a bare
    constant (a docstring, `...`), an import or an assignment whose names nothing reads, a
    function or class nothing outside it names (not a method, nor decorated, nor one the
    stub defines)."""
    keep = required_names()
    if isinstance(st, ast.Pass):
        return True
    if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
        return True
    if isinstance(st, ast.ImportFrom) and (st.module == "__future__" or
                                           any(a.name == "*" for a in st.names)):
        return False
    if isinstance(st, (ast.Import, ast.ImportFrom)) or \
            (not in_class and isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign))):
        names = _bound(st)
        return bool(names) and not any(used[n] or n in keep for n in names)
    if not in_class and isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
            and not st.decorator_list and st.name not in keep:
        return not used[st.name] or used[st.name] <= _used_names(st)[st.name]   # or in itself
    return False


def _noop_line(line: str, used: Counter) -> bool:
    """Is this line of a block that does not parse a statement of its own that does nothing
    (_noop: `pass`, a one-line docstring, an unused import or assignment), or blank, or a
    comment?"""
    text = line.strip()
    if not text or text.startswith("#"):
        return True
    try:
        tree = parse(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
        return False
    return len(tree.body) == 1 and not isinstance(tree.body[0], (
        ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
        _noop(tree.body[0], used, False)


def without_noops(tree, used: Counter | None = None):
    """`tree` without the statements that do nothing (_noop), in rounds until none is left
    (a dead function's helper is dead once it is gone); a body left empty keeps one `pass`.
    Padding an independent file with such lines (pass, comments, docstrings, unused
    assignments or imports, dead functions) cannot make it read like another, and padding a
    copy cannot hide it. `used`: the whole file's names read, where `tree` is one block."""
    for _round in range(MAX_PRUNE_ROUNDS):
        counted = _used_names(tree)
        if used is not None:
            counted = counted | used
        changed = False
        for node in ast.walk(tree):
            in_class = isinstance(node, ast.ClassDef)
            for name in ("body", "orelse", "finalbody"):
                body = getattr(node, name, None)
                if not isinstance(body, list) or not body or \
                        not isinstance(body[0], ast.stmt):
                    continue
                kept = [st for st in body if not _noop(st, counted, in_class)]
                if not kept:
                    if name == "orelse" or (name == "finalbody" and node.handlers) or \
                            isinstance(node, ast.Module):
                        kept = []         # no else or finally clause, an empty module
                    elif isinstance(body[0], ast.Pass) and len(body) == 1:
                        continue
                    else:
                        kept = [ast.copy_location(ast.Pass(), body[0])]
                if len(kept) != len(body) or any(a is not b for a, b in zip(kept, body)):
                    setattr(node, name, kept)
                    changed = True
        if not changed:
            break
    return tree


def _span(node: ast.stmt) -> tuple[int, int]:
    """The lines of a statement that are its own: a compound statement's header (decorators
    to the line before its body), a simple statement's whole."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return first, max(first, body[0].lineno - 1)
    return first, node.end_lineno or node.lineno


def _run_literal(node) -> str | None:
    """The string a call runs as code (`exec("...")`, `eval('...')`, `compile(b"...", ...)`,
    `builtins.exec(...)`), or None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None
    arg = node.args[0]
    if name not in EXEC_CALLS or not isinstance(arg, ast.Constant):
        return None
    if isinstance(arg.value, bytes):
        return arg.value.decode("utf-8", "replace")
    return arg.value if isinstance(arg.value, str) else None


def without_comments(code: str) -> str:
    """The code with its comment-only lines emptied (the lines stay, so places keep their
    line numbers): 300 KB of comments above a copy cannot push the copy past what is read."""
    return _COMMENT_LINE.sub("", code)


# a number as Python writes it (12, 0.5, 1e-3, 0x1F, 2j), not inside a name
_NUMBER = re.compile(r"(?<![\w.])(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)"
                     r"(?:[eE][+-]?\d+)?[jJ]?)(?!\w)")


def literals_as_names(code: str) -> str:
    """`code` with each number spelled as a name of the same length (0.01 -> nnnn): the
    tokeniser abstracts names and strings, so 0.01 and 0.001 then read alike too, and every
    other character keeps its place."""
    return _NUMBER.sub(lambda m: "n" * len(m.group()), code)
