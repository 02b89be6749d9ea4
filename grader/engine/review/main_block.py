"""__name__, which decides whether a `__main__` block runs (rule 9): what rebinds
it, through the name, the module's namespace or the module object, and so whether such a block
is reviewed."""
from __future__ import annotations

import ast

from grader.engine.review.names import _canonical
from grader.engine.review.rules import _READ_ONLY_CALLS
from grader.engine.review.syntax import _short, _unparse


# what may bind __name__ or reach a module's namespace (see _Review._name_rebinding)
_BINDERS = {ast.Global, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
            ast.ClassDef, ast.MatchAs, ast.MatchStar, ast.ExceptHandler, ast.MatchMapping}
_NAMESPACE_NAMES = {"__name__", "globals", "vars", "locals"}
_NAMESPACE_CALLS = {"setattr", "delattr", "globals", "vars", "locals", "__setattr__",
                    "__delattr__"}


class _MainBlock:
    """What rebinds __name__, and whether a `__main__` block runs."""

    def _check_name_binding(self):
        """Reports what rebinds the module's __name__ (the name, the module's namespace, the
        module object), and tells whether a `__main__` block may run: it is not reviewed
        (the grader imports the module under its own name) unless the module rebinds
        __name__, or writes its namespace under names the text does not tell."""
        runs = False
        for phase in (False, True):      # what runs, then the blocks when they may run
            if phase and not runs:
                break
            for node, scope, parent, where, offset in self.visits:
                kind = type(node)
                if kind is ast.Name:
                    if node.id not in _NAMESPACE_NAMES:
                        continue
                elif kind is ast.Attribute:
                    if node.attr != "__name__" and node.attr != "__dict__":
                        continue
                elif kind is ast.Call:
                    func = node.func
                    if (func.id if type(func) is ast.Name else getattr(func, "attr", None)) \
                            not in _NAMESPACE_CALLS:
                        continue
                elif kind not in _BINDERS:
                    continue
                tag = self.tags.get(id(node))
                if bool(tag and tag[0]) != phase or \
                        tag and tag[1] is not None and not self._runner(tag[1]):
                    continue
                found = self._name_rebinding(node, scope, parent)
                if found:
                    runs = True
                    if found != "maybe":
                        self.where, self.offset = where, offset
                        self.report(node, f"rebinds __name__, which decides whether its "
                                          f"__main__ block runs ({_short(found, 30)})")
        return runs

    def _name_rebinding(self, node, scope, parent):
        """What in `node` rebinds the module's __name__ (shown), "maybe" where it may, else
        None."""
        if isinstance(node, ast.Name):
            if node.id == "__name__" and isinstance(node.ctx, (ast.Store, ast.Del)) and \
                    self._binds_module_name(scope, isinstance(parent, ast.NamedExpr)):
                return f"{node.id} = ..." if isinstance(node.ctx, ast.Store) else "del"
            if node.id in ("globals", "vars", "locals") and isinstance(node.ctx, ast.Load) \
                    and not (isinstance(parent, ast.Call) and parent.func is node) and \
                    self.origin(node, scope) == f"builtins.{node.id}":
                return "maybe"          # g = globals: its namespace, out of sight
            return None
        if isinstance(node, ast.Global):
            return "global __name__" if "__name__" in node.names else None
        named = []
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            named = [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                               ast.MatchAs, ast.MatchStar, ast.ExceptHandler)):
            named = [node.name]
        elif isinstance(node, ast.MatchMapping):
            named = [node.rest]
        if named:
            return "a binding" if "__name__" in named and \
                self._binds_module_name(scope, False) else None
        if isinstance(node, ast.Attribute):
            if node.attr == "__name__" and isinstance(node.ctx, (ast.Store, ast.Del)) and \
                    self.origin(node.value, scope) is not None:
                return _unparse(node)
            if node.attr == "__dict__" and self.origin(node.value, scope) is not None:
                return self._namespace_write(node, scope)
            return None
        if not isinstance(node, ast.Call):
            return None
        func = _canonical(self.origin(node.func, scope))
        args = node.args
        if func in ("builtins.setattr", "builtins.delattr") and len(args) >= 2 or \
                isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("__setattr__", "__delattr__"):
            texts = [self.text(a, scope) for a in args[:2]]
            if "__name__" in texts:
                return f"{func or node.func.attr}(..., '__name__')"
            return None
        if func == "builtins.globals" or func in ("builtins.vars", "builtins.locals") and \
                (not args and scope is self.module or
                 args and self.origin(args[0], scope) is not None):
            return self._namespace_write(node, scope)
        return None

    def _binds_module_name(self, scope, walrus):
        """A binding of __name__ in `scope` is the module's (or, in the code of a string a
        library runs, may be)."""
        while walrus and scope.kind == "comprehension":
            scope = scope.parent
        if "__name__" in scope.globals or scope.code:
            return True
        return scope is self.module

    def _namespace_write(self, node, scope):
        """What is done with a module's namespace (globals(), vars(m), m.__dict__): writing
        __name__ (shown), writing names the text does not tell or handing it on ("maybe"),
        reading (None)."""
        parent = self._parents.get(id(node))
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if not isinstance(parent.ctx, (ast.Store, ast.Del)):
                return None
            key = self.text(parent.slice, scope)
            return "a namespace write" if key == "__name__" else None if key else "maybe"
        if isinstance(parent, ast.Compare):
            return None
        if isinstance(parent, ast.Attribute) and parent.value is node:
            call = self._parents.get(id(parent))
            method = parent.attr
            if not (isinstance(call, ast.Call) and call.func is parent):
                return "maybe"
            if method in ("get", "keys", "values", "items", "copy", "__contains__",
                          "__getitem__", "__len__", "__iter__"):
                return None
            if method == "update":
                keys = [k.arg for k in call.keywords]
                for arg in call.args:
                    if not isinstance(arg, ast.Dict):
                        return "maybe"
                    keys += [self.text(k, scope) if k is not None else None for k in arg.keys]
            elif method in ("setdefault", "__setitem__", "pop", "__delitem__") and call.args:
                keys = [self.text(call.args[0], scope)]
            else:
                return "maybe"
            return "a namespace write" if "__name__" in keys else "maybe" if None in keys \
                else None
        if isinstance(parent, ast.keyword) and parent.arg in ("globals", "locals"):
            call = self._parents.get(id(parent))
            if isinstance(call, ast.Call) and self.origin(call.func, scope) is not None:
                return None          # timeit.timeit(..., globals=globals()): read
        if isinstance(parent, ast.Call) and node in parent.args and \
                _canonical(self.origin(parent.func, scope)) in _READ_ONLY_CALLS:
            return None
        return "maybe"
