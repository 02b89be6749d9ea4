"""Uses of what a rule names that only read what a correct program may read (_Ordinary): a
module's membership of sys.modules, whether a package is installed, a reload of the file's own
module, a literal logging configuration, a caller's name, IPython's shell looked at or set up."""
from __future__ import annotations

import ast

from grader.engine.review.names import _plain_import_name, _rule
from grader.engine.review.rules import _HARNESS_TEXT, _SHELL_RUNNERS
from grader.engine.review.syntax import _walk


_GET_IPYTHON = ("IPython.get_ipython", "IPython.core.getipython.get_ipython")


class _Ordinary:
    """What pass 2 lets pass: the ordinary uses of names its rules flag."""

    def _ordinary_use(self, node, origin, parent):
        """Uses of what a rule names that only read what a correct program may read:
        membership of sys.modules (`"google.colab" in sys.modules`, sys.modules.get(name)
        tested for None), whether a package is installed (importlib.util.find_spec("pandas")
        tested for None), logging.config.dictConfig given a literal dict, importlib.reload of a
        module the file imported (reload(utils)), and the name of a caller
        (inspect.stack()[1].function), which gives no frame away."""
        call = parent if isinstance(parent, ast.Call) and parent.func is node else None
        scope = self.scope_of.get(id(node), self.module)
        if origin == "sys.modules" and self._own_module(node, parent, scope):
            return True
        if origin in ("sys.modules", "sys.modules.keys"):
            if origin == "sys.modules.keys":
                if call is None or call.args:
                    return False
                node, parent = call, self._parents.get(id(call))
            return isinstance(parent, ast.Compare) and any(
                right is node and isinstance(op, (ast.In, ast.NotIn))
                for op, right in zip(parent.ops, parent.comparators))
        if origin == "sys.modules.get":
            return call is not None and self._tested_only(call)
        if origin == "importlib.util.find_spec":
            name = self.text(call.args[0], scope) if call is not None and call.args else None
            return bool(name) and self._tested_only(call) and not any(
                _rule(".".join(name.split(".")[:i])) or
                _HARNESS_TEXT.fullmatch(".".join(name.split(".")[:i]))
                for i in range(1, name.count(".") + 2))
        if origin in ("builtins.__import__", "importlib.import_module"):
            # importlib.import_module("numpy"), __import__("math"): a module named by a literal
            # name, as `import numpy` names it (origins reads it as that module); a name a rule
            # or the harness names, a relative one, or any further argument stays flagged
            name = self.text(call.args[0], scope) if call is not None and \
                len(call.args) == 1 and not call.keywords else None
            return bool(name) and not name.startswith(".") and all(
                p.isidentifier() for p in name.split(".")) and not any(
                _rule(".".join(name.split(".")[:i])) or
                _HARNESS_TEXT.fullmatch(".".join(name.split(".")[:i]))
                for i in range(1, name.count(".") + 2))
        if origin == "importlib.reload":     # a module the file imported, run again
            arg = call.args[0] if call is not None and len(call.args) == 1 else None
            what = self.origin(arg, scope) if isinstance(arg, (ast.Name, ast.Attribute)) \
                else None
            return isinstance(what, str) and "." not in what and _own_module_name(what) \
                and self._imported_module(arg, scope)
        if origin == "logging.config.dictConfig":
            return call is not None and len(call.args) == 1 and not call.keywords and \
                self._plain_logging_config(call.args[0], scope)
        if origin in _GET_IPYTHON:
            # the shell, looked at only: no shell runs where the grader runs the file (it gives
            # None there; making one is flagged), so `get_ipython() is not None`,
            # `get_ipython().__class__.__name__`, `"colab" in str(get_ipython())` read nothing
            return call is not None and not call.args and not call.keywords and \
                (self._looked_at(call) or self._kept_shell(call))
        if origin == "inspect.stack":
            at = self._parents.get(id(call)) if call is not None else None
            name = self._parents.get(id(at)) if at is not None else None
            return isinstance(at, ast.Subscript) and at.value is call and \
                isinstance(at.slice, ast.Constant) and type(at.slice.value) is int and \
                isinstance(name, ast.Attribute) and name.value is at and \
                name.attr in ("function", "lineno") and isinstance(name.ctx, ast.Load)
        return False

    def _imported_module(self, name, scope) -> bool:
        """Whether `name` is bound only by import statements (import utils, import a.b as c),
        or to the same module reloaded (utils = importlib.reload(utils))."""
        base = name
        while isinstance(base, ast.Attribute):
            base = base.value
        home = self._home(scope, base.id) if isinstance(base, ast.Name) else None
        return home is not None and any(how == "module" for how, _v, _s in home.bound[base.id]) \
            and all(how == "module" or how == "expr" and isinstance(value, ast.Call) and
                    len(value.args) == 1 and isinstance(value.args[0], ast.Name) and
                    value.args[0].id == base.id and not value.keywords and
                    self.origin(value.func, where) == "importlib.reload"
                    for how, value, where in home.bound[base.id])

    def _own_module(self, node, parent, scope):
        """`sys.modules[__name__]`, read: the file's own module (`this = sys.modules[__name__]`,
        then setattr(this, ...)), where nothing in the file binds __name__ itself."""
        return isinstance(parent, ast.Subscript) and parent.value is node and \
            isinstance(parent.ctx, ast.Load) and isinstance(parent.slice, ast.Name) and \
            parent.slice.id == "__name__" and \
            not any("__name__" in s.bound or "__name__" in s.globals for s in self.scopes)

    def _tested_only(self, call):
        """What `call` gives is only tested: `is None`, `is not None`, truth (if, while, not,
        bool(), an and / or that is itself tested)."""
        node = call
        for _ in range(20):
            parent = self._parents.get(id(node))
            if isinstance(parent, ast.Compare):
                others = [parent.left] + parent.comparators
                return all(isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
                           for op in parent.ops) and len(others) == 2 and all(
                    o is node or isinstance(o, ast.Constant) and o.value is None
                    for o in others)
            if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
                return True
            if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)):
                return parent.test is node
            if isinstance(parent, ast.Call):
                scope = self.scope_of.get(id(parent), self.module)
                return self.origin(parent.func, scope) == "builtins.bool" and \
                    parent.args == [node]
            if not isinstance(parent, ast.BoolOp):
                return False
            node = parent
        return False

    def _looked_at(self, call):
        """What `call` gives is only tested, or its type or text read: `.__class__`,
        type(), str(), repr(), isinstance(x, C), print()."""
        parent = self._parents.get(id(call))
        if isinstance(parent, ast.Attribute) and parent.attr == "__class__":
            return True
        if isinstance(parent, ast.Call) and parent.args and parent.args[0] is call and \
                not parent.keywords:
            scope = self.scope_of.get(id(parent), self.module)
            looks = {"builtins.type": 1, "builtins.str": 1, "builtins.repr": 1,
                     "builtins.print": 1, "builtins.isinstance": 2}
            return looks.get(self.origin(parent.func, scope)) == len(parent.args)
        return self._tested_only(call)

    def _kept_shell(self, call):
        """`ip = get_ipython()` where the name holds only that (or None) and each use of it is
        looked at or sets how a shell shows (`if ip: ip.run_line_magic("matplotlib",
        "inline")`); where the grader runs the file the name holds None."""
        parent = self._parents.get(id(call))
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        elif isinstance(parent, ast.NamedExpr):
            targets = [parent.target]
        else:
            return False
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or parent.value is not call:
            return False
        name, scope = targets[0].id, self.scope_of.get(id(call), self.module)
        home = self._home(scope, name)
        if home is None or not all(
                how == "expr" and (isinstance(value, ast.Constant) and value.value is None or
                                   isinstance(value, ast.Call) and not value.args and
                                   self.origin(value.func, where) in _GET_IPYTHON)
                for how, value, where in home.bound[name]):
            return False
        return all(self._looked_at(node) or self._shell_setting(node)
                   for node, where, _p, _w, _o in self.visits
                   if isinstance(node, ast.Name) and node.id == name and
                   isinstance(node.ctx, ast.Load) and self._home(where, name) is home)

    def _shell_setting(self, shell):
        """shell.run_line_magic("matplotlib", "inline"), shell.magic("autoreload 2"): a magic
        given as text that is not one of _SHELL_RUNNERS (load_ext autoreload excepted)."""
        method = self._parents.get(id(shell))
        call = self._parents.get(id(method))
        if not (isinstance(method, ast.Attribute) and isinstance(call, ast.Call) and
                call.func is method and not call.keywords and
                all(isinstance(a, ast.Constant) and type(a.value) is str for a in call.args)):
            return False
        words = [a.value for a in call.args]
        if method.attr == "magic" and len(words) == 1:
            words = words[0].lstrip("%").split(None, 1) + [""]
        elif method.attr != "run_line_magic" or len(words) != 2:
            return False
        return words[0].isidentifier() and words[0] not in _SHELL_RUNNERS or \
            words[:2] == ["load_ext", "autoreload"]

    def _plain_logging_config(self, config, scope):
        """A dict literal whose handlers, formatters and filters name their classes as text
        that names nothing a rule does (dictConfig imports them by these names)."""
        if not isinstance(config, ast.Dict):
            return False
        for n in _walk(config, 2000):
            if isinstance(n, ast.Dict):
                for key, value in zip(n.keys, n.values):
                    if key is None:              # {**other}: not seen
                        return False
                    if self.text(key, scope) in ("class", "()") and \
                            not _plain_import_name(self.text(value, scope)):
                        return False
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and \
                    n.value.startswith("ext://") and not _plain_import_name(n.value[6:]):
                return False
            elif isinstance(n, (ast.Name, ast.Call, ast.Starred, ast.Lambda)) and \
                    self.origin(n, scope) is None and self.value(n, scope) is None:
                return False        # the student's object: what it holds is not seen
        return True


def _own_module_name(name: str) -> bool:
    """Whether `name` can only be a module of the student's own (utils): not Python's, not an
    installed package's (reloading torch.autograd.graph would undo what the worker wrapped)."""
    import importlib.machinery
    import os
    import sys
    if not name.isidentifier() or name in sys.stdlib_module_names or \
            name in sys.builtin_module_names or _HARNESS_TEXT.fullmatch(name):
        return False
    places = [p for p in sys.path if p not in ("", os.getcwd())]
    return importlib.machinery.PathFinder.find_spec(name, places) is None
