"""Pass 1 of the review: the scopes of the file and the names each binds, with what
each may be bound to; annotations given as strings, doctest's examples and the code of literal
strings given to what runs them are bound as extra trees."""
from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.engine.review.spellings import plain
from grader.engine.review.rules import _RUNNER_NAMES
from grader.sandbox.apart import absolute_module
from grader.engine.review.syntax import _code_arguments, _main_guard, _parse_code, _unparse


_OWN = ("own", None, None)


@dataclass
class _Params:
    """The parameters of one of the student's functions."""
    scope: object            # the function's _Scope
    positional: list         # names, in order
    names: set               # every name a keyword can give
    star: str | None         # *args
    double_star: str | None  # **kwargs
    in_class: bool           # a method


class _Scope:
    """The names one module, function, class or comprehension binds, each with what it may be
    bound to: ("module", dotted name, None), ("expr", value, scope), ("item", an element of
    value, scope), ("def", function, None), ("class", class, None), ("pool", the arguments
    given to a parameter, None), or _OWN (the student's own object)."""

    def __init__(self, kind, parent):
        self.kind, self.parent = kind, parent
        self.bound: dict[str, list] = {}
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.stars: list[str] = []
        self.free: str | None = None    # where a name bound nowhere is looked up (__main__)
        self.code = False               # the code of a string a library runs


class _Binding:
    """Pass 1: binds the names of the trees to what they may hold."""

    def _bind_tree(self, tree, where, offset, tag=None, scope=None):
        """Binds the names of one tree; `tag` is what its nodes inherit (see self.tags), and a
        module-level `if __name__ == "__main__":` body is tagged as such. A `match` statement
        and a special-method lookup are read as the code they run (spellings.plain: changed in
        place)."""
        stack = [(plain(tree), scope or self.module, None, None, tag)]
        while stack:
            node, scope, func, parent, tag = stack.pop()
            self.visits.append((node, scope, parent, where, offset))
            self.scope_of[id(node)] = scope
            self._parents[id(node)] = parent
            if tag is not None:
                self.tags[id(node)] = tag

            def push(children, s=scope, f=func, p=node, t=tag):
                stack.extend((c, s, f, p, t) for c in children if c is not None)

            if isinstance(node, ast.If) and scope is self.module and _main_guard(node.test):
                push([node.test] + node.orelse)
                push(node.body, t=(True, tag[1] if tag else None))
                continue

            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                outer = list(args.defaults) + list(args.kw_defaults)
                if not isinstance(node, ast.Lambda):
                    self._bind(scope, node.name, ("def", node, None))
                    every = args.posonlyargs + args.args + args.kwonlyargs + \
                        [a for a in (args.vararg, args.kwarg) if a]
                    outer += node.decorator_list + [a.annotation for a in every] + [node.returns]
                push(outer)
                inner = self._new_scope("function", scope)
                self._bind_args(args, inner, scope)
                positional = [a.arg for a in args.posonlyargs + args.args]
                self.params[id(node)] = _Params(
                    inner, positional, set(positional) | {a.arg for a in args.kwonlyargs},
                    args.vararg.arg if args.vararg else None,
                    args.kwarg.arg if args.kwarg else None, scope.kind == "class")
                if isinstance(node, ast.Lambda):
                    self.returns.setdefault(id(node), []).append((node.body, inner))
                    push([node.body], inner, node)
                else:
                    push(node.body, inner, node)
            elif isinstance(node, ast.ClassDef):
                self._bind(scope, node.name, ("class", node, None))
                push(node.decorator_list + node.bases + [k.value for k in node.keywords])
                inner = self.class_scopes[id(node)] = self._new_scope("class", scope)
                push(node.body, inner, None)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                inner = self._new_scope("comprehension", scope)
                for i, gen in enumerate(node.generators):
                    where_iter = scope if i == 0 else inner
                    self._bind_target(gen.target, ("item", gen.iter, where_iter), inner)
                    push([gen.iter], where_iter)
                    push([gen.target] + gen.ifs, inner)
                elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                push(elts, inner)
            else:
                self._bind_statement(node, scope, func)
                push(ast.iter_child_nodes(node))

    def _bind_annotations(self):
        """Annotations given as strings are code: typing.get_type_hints, dataclasses and
        functools.singledispatch evaluate them in the module's namespace. Each is read as an
        expression of the module (and the strings in it, as typing does, three levels deep)."""
        start, read = 0, 0
        for _ in range(3):
            strings = []
            for node, _scope, parent, where, offset in self.visits[start:]:
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                        self._in_annotation(node, parent):
                    strings.append((node, where, offset))
            start = len(self.visits)
            for node, where, offset in strings:
                if read >= 1000 or len(node.value) > 10_000:
                    return
                read += 1
                try:
                    tree = ast.parse(node.value.strip(), mode="eval")
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                for n in ast.walk(tree):      # the line of the annotation, as found
                    if hasattr(n, "lineno"):
                        n.lineno = 1
                self._bind_tree(tree, where, offset + node.lineno - 1, self.tags.get(id(node)))
                self._annotation_trees.add(id(tree))
            if not strings:
                return

    def _bind_doctest_examples(self):
        """The examples doctest would run from the strings of the file, as extra trees (a
        string in code that never runs gives examples that never run)."""
        import doctest
        parser, count = doctest.DocTestParser(), 0
        for node, _scope, _parent, where, offset in list(self.visits):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and ">>>" in node.value and count < 1000:
                count += 1
                try:
                    examples = parser.get_examples(node.value)
                except ValueError:
                    continue
                for ex in examples:
                    try:
                        tree = ast.parse(ex.source)
                    except (SyntaxError, ValueError, RecursionError, MemoryError):
                        continue
                    self._bind_tree(tree, where, offset + node.lineno + ex.lineno - 1,
                                    self.tags.get(id(node)))

    def _bind_code_strings(self):
        """The code of a literal string given to what may run it (timeit.timeit("f(x)"),
        cProfile.run("fit(x, y)")), read as an extra tree in a scope of its own, within the
        call's. Which calls do run code is told in pass 2 (self._runner): the trees of the
        others are not reviewed."""
        count = 0
        for node, scope, _parent, where, offset in list(self.visits):
            if not isinstance(node, ast.Call) or count >= 200:
                continue
            name = self._runner_name(node.func, scope)
            if name is None:
                continue
            for arg in _code_arguments(node, name):
                for const in self._literal_codes(arg, scope) or []:
                    if (id(const), id(node)) in self._code_strings or count >= 200:
                        continue
                    count += 1
                    tree = _parse_code(const.value)
                    self._code_strings[id(const), id(node)] = tree is not None
                    if tree is None:
                        continue
                    inner = self._new_scope("function", scope)
                    inner.code = True
                    inner.free = "__main__" if name == "run" else None
                    in_main = bool(self.tags.get(id(node), (False,))[0])
                    self._bind_tree(tree, where, offset + const.lineno - 1, (in_main, node),
                                    inner)

    def _runner_name(self, func, scope):
        """The last name of what a call may run, when it is one of _RUNNER_NAMES, told from
        the text (timeit.timeit, pr.run, t where `from timeit import timeit as t`)."""
        for _ in range(4):
            name = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if name in _RUNNER_NAMES:
                return name
            if not isinstance(func, ast.Name):
                return None
            home = self._home(scope, func.id)
            entries = home.bound.get(func.id, [])[:10] if home else []
            for how, value, where in entries:
                if how == "module" and value.rsplit(".", 1)[-1] in _RUNNER_NAMES:
                    return value.rsplit(".", 1)[-1]
            values = [(v, w) for how, v, w in entries if how == "expr" and
                      isinstance(v, (ast.Name, ast.Attribute))]
            if not values:
                return None
            func, scope = values[0]
        return None

    def _literal_codes(self, node, scope, depth=0):
        """The string constants `node` may be, where it can be nothing else: a literal, or a
        name (a parameter) only ever given literals; else None."""
        if isinstance(node, ast.Constant):
            return [node] if isinstance(node.value, str) else None
        if not isinstance(node, ast.Name) or depth > 3:
            return None
        values, out = self._bound_values(node.id, scope), []
        for value, where, items in values:
            found = None if items else self._literal_codes(value, where, depth + 1)
            if found is None:
                return None
            out += found
        return out or None

    def _in_annotation(self, node, parent):
        """A string that is an annotation, or a part of one (List["x"], "x" | None)."""
        first = node
        for _ in range(20):
            if parent is None:
                return False
            if isinstance(parent, ast.AnnAssign):
                return parent.annotation is node
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = parent.args
                return parent.returns is node or any(
                    x.annotation is node for x in a.posonlyargs + a.args + a.kwonlyargs +
                    [x for x in (a.vararg, a.kwarg) if x])
            if isinstance(parent, ast.Expression):
                return id(parent) in self._annotation_trees
            if not isinstance(parent, (ast.Subscript, ast.Tuple, ast.List, ast.BinOp,
                                       ast.Attribute, ast.Call, ast.Constant, ast.keyword)):
                return False
            if isinstance(parent, ast.Subscript) and parent.slice is node:
                kind = _unparse(parent.value).rsplit(".", 1)[-1]
                if kind == "Literal" or kind == "Annotated" and \
                        isinstance(node, ast.Tuple) and node.elts and node.elts[0] is not first:
                    return False        # values and metadata, not types: never evaluated
            first = node
            node, parent = parent, self._parents.get(id(parent))
        return False

    def _new_scope(self, kind, parent):
        scope = _Scope(kind, parent)
        self.scopes.append(scope)
        return scope

    def _bind_statement(self, node, scope, func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, ("expr", node.value, scope), scope)
        elif isinstance(node, ast.AnnAssign):
            entry = ("expr", node.value, scope) if node.value else _OWN
            self._bind_target(node.target, entry, scope)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self._bind(scope, node.target.id, _OWN)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind_target(node.target, ("item", node.iter, scope), scope)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind_target(node.optional_vars, ("item", node.context_expr, scope), scope)
        elif isinstance(node, ast.NamedExpr):
            home = scope
            while home.kind == "comprehension":
                home = home.parent
            self._bind(home, node.target.id, ("expr", node.value, scope))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._bind(scope, alias.asname, ("module", alias.name, None))
                else:
                    top = alias.name.split(".")[0]
                    self._bind(scope, top, ("module", top, None))
        elif isinstance(node, ast.ImportFrom):
            # relative: from the package of the student's own this file lies in (mypkg.core's
            # `from .util import f` is mypkg.util.f); outside one, the student's own object
            base = absolute_module(node.module, node.level, self.package)
            for alias in node.names:
                if not base:
                    self._bind(scope, alias.asname or alias.name, _OWN)
                elif alias.name == "*":
                    scope.stars.append(base)
                else:
                    self._bind(scope, alias.asname or alias.name,
                               ("module", f"{base}.{alias.name}", None))
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._bind(scope, node.name, _OWN)
        elif isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and func is not None \
                and node.value is not None:
            self.returns.setdefault(id(func), []).append((node.value, scope))

    def _bind_args(self, args, inner, outer):
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        pairs += [(a, None) for a in (args.vararg, args.kwarg) if a]
        for arg, default in pairs:
            self._bind(inner, arg.arg, ("expr", default, outer) if default else _OWN)

    def _bind(self, scope, name, entry):
        scope.bound.setdefault(name, []).append(entry)
        if scope.kind == "class":
            self.attrs.setdefault(name, []).append(entry)

    def _bind_target(self, target, entry, scope):
        if isinstance(target, ast.Name):
            self._bind(scope, target.id, entry)
        elif isinstance(target, (ast.Tuple, ast.List)):
            how, value, where = entry
            pairwise = how == "expr" and isinstance(value, (ast.Tuple, ast.List)) \
                and len(value.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)
            for i, elt in enumerate(target.elts):
                if pairwise:
                    self._bind_target(elt, ("expr", value.elts[i], where), scope)
                else:
                    self._bind_target(elt, ("item", value, where) if value else _OWN, scope)
        elif isinstance(target, ast.Starred):
            how, value, where = entry
            self._bind_target(target.value, ("item", value, where) if value else _OWN, scope)
        elif isinstance(target, ast.Attribute) and entry[0] in ("expr", "item"):
            self.attrs.setdefault(target.attr, []).append(entry)

    def _move_declared(self):
        """Bindings under `global` / `nonlocal` belong to the scope they name."""
        for scope in self.scopes:
            for name in scope.globals:
                self.module.bound.setdefault(name, []).extend(scope.bound.pop(name, []))
            for name in scope.nonlocals:
                home = scope.parent
                while home is not None and (home.kind != "function" or name in home.nonlocals):
                    home = home.parent
                home = home or self.module
                home.bound.setdefault(name, []).extend(scope.bound.pop(name, []))
