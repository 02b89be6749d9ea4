"""Small helpers on the syntax tree (a `__main__` guard, the code arguments of what
runs a string, the parse of such code, walking at most so many nodes) and on the text a finding
shows (_short, _quote, _unparse)."""
from __future__ import annotations

import ast
import textwrap

from grader.engine.review.rules import _CODE_SUFFIXES


def _main_guard(test):
    """`__name__ == "__main__"` (either way round, or as a part of an `and`): false whenever
    the grader imports the module, unless the module rebinds __name__."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_main_guard(v) for v in test.values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and
            isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(a, ast.Name) and a.id == "__name__" and isinstance(b, ast.Constant)
               and b.value == "__main__" for a, b in (sides, sides[::-1]))


def _code_arguments(call, name):
    """The arguments of a call that may be code, by the last name of what it calls (see
    _CODE_RUNNERS)."""
    places = ((0, "statement"), (0, "cmd")) if name in ("run", "runctx") else \
        ((0, "stmt"), (1, "setup"))
    out = []
    for index, keyword in places:
        if index < len(call.args) and not any(isinstance(a, ast.Starred)
                                              for a in call.args[:index + 1]):
            out.append(call.args[index])
        out += [k.value for k in call.keywords if k.arg == keyword]
    return out


def _parse_code(text):
    """The tree of code given as a string (dedented as timeit's template does), else None."""
    if len(text) > 100_000:
        return None
    for source in (text, textwrap.dedent(text)):
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None


def _outermost(node, parent):
    """Not the `.value` of an attribute (a.b.c is read once, as a whole)."""
    return not (isinstance(parent, ast.Attribute) and parent.value is node)


def _annotations(node):
    """`node` is __annotations__, or an object's."""
    return isinstance(node, ast.Name) and node.id == "__annotations__" or \
        isinstance(node, ast.Attribute) and node.attr == "__annotations__"


def _empty(node):
    """None, or an empty literal tuple, list, set or dict."""
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return not node.elts
    return isinstance(node, ast.Dict) and not node.keys


def _joined(parts, limit=50):
    """Every string made by joining one choice from each of `parts`, where each is known."""
    out = {""}
    for choices in parts:
        if not choices:
            return set()
        out = {a + b for a in out for b in choices if len(a) + len(b) <= 200}
        if len(out) > limit:
            return set()
    return out


def _has_suffix(path_end):
    """A path's known end names a file with a suffix ("out.csv", ".pt"), not a code one."""
    name = path_end.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix.isalnum() and not name.lower().endswith(_CODE_SUFFIXES)


def _is_self(node):
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _walk(node, limit):
    """ast.walk, at most `limit` nodes."""
    todo, seen = [node], 0
    while todo and seen < limit:
        n = todo.pop()
        seen += 1
        yield n
        todo.extend(ast.iter_child_nodes(n))


def _short(text, limit=60):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _quote(text):
    return repr(_short(text, 50))


def _unparse(node):
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError, AttributeError):
        return "..."
