"""Code read in one spelling, so that every rule that follows names and attributes sees it
as it runs (the tree is rewritten in place, its lines kept):

- a `match` statement as the reads it makes: a class pattern reads attributes of the subject,
  a mapping pattern its items, a sequence pattern its elements, and each capture name is bound
  to what it reads;

    match torch.autograd.Variable:                    Variable = torch.autograd.Variable
        case type(_execution_engine=eng): ...   ->    if Variable:
                                                          isinstance(Variable, type)
                                                          eng = Variable._execution_engine

  (the subject is kept in a name of its own, `__match_subject_LINE_COLUMN`, read once; a
  positional sub-pattern of a class other than the builtin types reads the attribute the
  class's `__match_args__` names: `getattr(subject, Cls.__match_args__[i])`);
- an attribute looked up through its special method as getattr: `x.__getattribute__(name)`,
  `x.__getattr__(name)`, `object.__getattribute__(x, name)` (or type's, or a class's) are
  `getattr(x, name)`, whose rules on names given as values apply."""
from __future__ import annotations

import ast
import copy

# classes whose positional sub-pattern matches the subject itself (PEP 634)
_SELF_MATCHING = frozenset({"bool", "bytearray", "bytes", "dict", "float", "frozenset", "int",
                            "list", "set", "str", "tuple"})


_LOOKUPS = frozenset({"__getattribute__", "__getattr__"})


def plain(tree: ast.AST) -> ast.AST:
    """`tree` with every `match` statement and special-method lookup rewritten as the plain
    code it runs (changed in place)."""
    if any(isinstance(n, ast.Match) or isinstance(n, ast.Attribute) and n.attr in _LOOKUPS
           for n in ast.walk(tree)):
        tree = _Rewrite().visit(tree)
        ast.fix_missing_locations(tree)
    return tree


class _Rewrite(ast.NodeTransformer):

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _LOOKUPS and not node.keywords \
                and len(node.args) in (1, 2) and \
                not any(isinstance(a, ast.Starred) for a in node.args):
            owner, name = ([func.value] + node.args)[-2:]    # x.m(n), or T.m(x, n)
            return ast.copy_location(ast.Call(_load("getattr"), [owner, name], []), node)
        return node

    def visit_Match(self, node: ast.Match):
        self.generic_visit(node)            # a match inside a case's body first
        name = f"__match_subject_{node.lineno}_{node.col_offset}"
        out = [_at(ast.Assign(targets=[_store(name)], value=node.subject), node)]
        for case in node.cases:
            body = _reads(case.pattern, _load(name))
            if case.guard is not None:
                body.append(_at(ast.Expr(case.guard), case.guard))
            out.append(_at(ast.If(test=_load(name), body=body + case.body, orelse=[]),
                           case.pattern))
        return out


def _reads(pattern, subject) -> list[ast.stmt]:
    """The statements a pattern runs on `subject` (an expression): what it reads, and the
    names it binds."""
    out = []
    subject = _Fresh(subject)    # a copy at each use: a node has one parent

    def bind(name, value):
        out.append(_at(ast.Assign(targets=[_store(name)], value=value), pattern))

    if isinstance(pattern, ast.MatchValue):
        out.append(_at(ast.Expr(ast.Compare(left=subject(), ops=[ast.Eq()],
                                            comparators=[pattern.value])), pattern))
    elif isinstance(pattern, ast.MatchSequence):
        for i, sub in enumerate(pattern.patterns):
            if isinstance(sub, ast.MatchStar):
                if sub.name:
                    bind(sub.name, ast.Subscript(subject(), ast.Slice(lower=ast.Constant(i)),
                                                 ast.Load()))
            else:
                out += _reads(sub, ast.Subscript(subject(), ast.Constant(i), ast.Load()))
    elif isinstance(pattern, ast.MatchMapping):
        for key, sub in zip(pattern.keys, pattern.patterns):
            out += _reads(sub, ast.Subscript(subject(), key, ast.Load()))
        if pattern.rest:
            bind(pattern.rest, ast.Call(_load("dict"), [subject()], []))
    elif isinstance(pattern, ast.MatchClass):
        out.append(_at(ast.Expr(ast.Call(_load("isinstance"),
                                         [subject(), copy.deepcopy(pattern.cls)], [])), pattern))
        itself = isinstance(pattern.cls, ast.Name) and pattern.cls.id in _SELF_MATCHING
        for i, sub in enumerate(pattern.patterns):
            out += _reads(sub, subject() if itself else ast.Call(_load("getattr"), [
                subject(), ast.Subscript(ast.Attribute(copy.deepcopy(pattern.cls),
                                                       "__match_args__", ast.Load()),
                                         ast.Constant(i), ast.Load())], []))
        for attr, sub in zip(pattern.kwd_attrs, pattern.kwd_patterns):
            out += _reads(sub, ast.Attribute(subject(), attr, ast.Load()))
    elif isinstance(pattern, ast.MatchAs):
        if pattern.pattern is not None:
            out += _reads(pattern.pattern, subject())
        if pattern.name:
            bind(pattern.name, subject())
    elif isinstance(pattern, ast.MatchOr):
        for sub in pattern.patterns:
            out += _reads(sub, subject())
    return out


def _load(name):
    return ast.Name(name, ast.Load())


def _store(name):
    return ast.Name(name, ast.Store())


def _at(stmt, where):
    return ast.copy_location(stmt, where)


class _Fresh:
    """A subject expression that gives a copy of itself at each use."""

    def __init__(self, node):
        self.node = node

    def __call__(self):
        return copy.deepcopy(self.node)
