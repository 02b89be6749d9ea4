"""The code of a submission as the similarity report compares it (grader.classroom.similarity):
written out again from its syntax tree, with the code it runs from string literals, its
comment lines emptied and its numbers spelled alike; nothing here runs a student's code.

    text, lines = normalised("return (w) * (x) + (b)")   # "return w * x + b", [(1, 1)]
"""
from __future__ import annotations

import ast
import re

_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)


EXEC_CALLS = frozenset({"exec", "eval", "compile"})
MAX_EXEC_DEPTH = 3    # exec("exec('...')"): literals within literals, this deep


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
    for first, block in _blocks(code):
        got = _normalised_block(block, depth)
        if got is None:
            texts.append(block)
            lines += [(first + i, first + i) for i in range(block.count("\n") + 1)]
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


def _normalised_block(code: str, depth: int):
    """normalised() of code that parses as a whole; None where it does not."""
    try:
        tree = ast.parse(code)
        text = ast.unparse(tree)
        again = ast.parse(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
        return None
    old = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
    new = [n for n in ast.walk(again) if isinstance(n, ast.stmt)]
    if len(old) != len(new) or any(type(a) is not type(b) for a, b in zip(old, new)):
        return None
    lines: list = [None] * (text.count("\n") + 1)
    for a, b in zip(old, new):
        first_a, last_a = _span(a)
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
