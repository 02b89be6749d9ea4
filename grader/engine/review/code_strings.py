"""Code given as a string to what runs it (timeit, cProfile, profile): which calls
do run code, which nodes the grader may run at all, and a string that cannot be read."""
from __future__ import annotations

import ast

from grader.engine.review.names import _canonical
from grader.engine.review.rules import _CODE_RUNNERS, _RUNS_TEXT
from grader.engine.review.syntax import _code_arguments


class _CodeStrings:
    """Code given as a string to what runs it."""

    def _reviewed(self, node, main_runs):
        """Whether the grader may run `node`: not in a `__main__` block (unless the module may
        rebind __name__), not in the code of a string that is not given to what runs it."""
        tag = self.tags.get(id(node))
        if tag is None:
            return True
        in_main, owner = tag
        return (main_runs or not in_main) and (owner is None or bool(self._runner(owner)))

    def _runner(self, call):
        """The dotted name of what runs code given as a string, when `call` calls one (see
        _CODE_RUNNERS; a cProfile.Profile()'s run and runctx too), else None."""
        key = id(call)
        if key not in self._runners:
            self._runners[key] = None
            scope = self.scope_of.get(key, self.module)
            func = _canonical(self.origin(call.func, scope))
            if func in _CODE_RUNNERS:
                self._runners[key] = func
            elif func is None and isinstance(call.func, ast.Attribute) and \
                    call.func.attr in ("run", "runctx"):
                profiler = self._profiler(call.func.value, scope)
                if profiler:
                    self._runners[key] = f"{profiler}.{call.func.attr}"
        return self._runners[key]

    def _profiler(self, node, scope):
        """"cProfile.Profile" or "profile.Profile" where `node` is (a name bound to) one."""
        values = [(node, scope)]
        if isinstance(node, ast.Name):
            values += [(v, s) for v, s, items in self._bound_values(node.id, scope) if not items]
        for value, where in values[:10]:
            if isinstance(value, ast.Call):
                made = _canonical(self.origin(value.func, where))
                if made in ("cProfile.Profile", "profile.Profile"):
                    return made
        return None

    def _check_code_strings(self, node, runner, scope):
        """The code given to what runs it: a literal string is read as source (its tree was
        bound in pass 1), one built at run time or hidden is reported."""
        for arg in _code_arguments(node, runner.rsplit(".", 1)[-1]) + \
                [a.value for a in node.args if isinstance(a, ast.Starred)] + \
                [k.value for k in node.keywords if k.arg is None]:
            consts = self._literal_codes(arg, scope)
            if consts is not None:      # read in pass 1, unless it does not parse
                if not all(self._code_strings.get((id(c), id(node))) for c in consts):
                    self.report(node, f"runs code written in a string it could not read "
                                      f"({runner})")
                continue
            unpacked = isinstance(self._parents.get(id(arg)), ast.Starred) or \
                isinstance(self._parents.get(id(arg)), ast.keyword) and \
                self._parents[id(arg)].arg is None
            if not unpacked and self._callable_code(arg, scope):
                continue             # timeit.timeit(f), timeit.timeit(lambda: f(x))
            before = len(self.found)
            self._check_hidden_name(node, arg, scope, f"the code for {runner}")
            if len(self.found) == before:
                self.report(node, f"{_RUNS_TEXT} ({runner})")
            return

    def _callable_code(self, node, scope, depth=0):
        """`node` is a function rather than text: a lambda, a def or class of the file, a
        method of its own objects, a library's function or an object made by a library's
        class (nn.Linear(1, 1)), functools.partial(...), or a name only ever bound to one."""
        if depth > 4:
            return False
        if isinstance(node, ast.Lambda):
            return True
        if isinstance(node, ast.Call):
            made = self.origin(node.func, scope)
            last = (made or "").rsplit(".", 1)[-1]
            return made == "functools.partial" or self._own_class(node.func, scope) or \
                made not in (None, "?") and not made.startswith("builtins.") and \
                last[:1].isupper()
        if isinstance(node, ast.Attribute):
            origin = self.origin(node, scope)
            if origin is None:
                return bool(self._key_callees(("attr", node.attr)))
            return origin != "?" and not origin.startswith(("os.environ", "sys.argv"))
        if not isinstance(node, ast.Name):
            return False
        home = self._home(scope, node.id)
        if home is None:
            origin = self._name_origin(scope, node.id, 0)
            return origin not in (None, "?")
        entries = home.bound[node.id][:20]
        given = any(how == "pool" for how, _, _ in entries)   # a parameter: what it is given
        for how, value, where in entries:
            if how in ("def", "class", "module") or how == "own" and given:
                continue
            if how == "expr" and self._callable_code(value, where, depth + 1):
                continue
            if how == "pool" and all(self._callable_code(v, s, depth + 1)
                                     for v, s in self._pool_nodes(value)[:20]):
                continue
            return False
        return bool(entries)
