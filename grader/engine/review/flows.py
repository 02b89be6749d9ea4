"""What flows where the binding statements do not say: arguments into the parameters of
the student's functions (their pools), values into containers and attributes, and which of the
student's functions a call may run."""
from __future__ import annotations

import ast

from grader.engine.review.names import _pick
from grader.engine.review.rules import _MUTATORS
from grader.engine.review.syntax import _is_self


_STYLES = ("plain", "bound", "class")


def _shift(kind, fn, style):
    """How many parameters of `fn` come before a call's arguments: a bound method's self, a
    class's __init__'s self, a classmethod's cls."""
    if kind == "init":
        return 1
    if kind == "plain":
        return 0
    decorators = {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}
    if "staticmethod" in decorators:
        return 0
    if "classmethod" in decorators:
        return 1
    return 1 if style == "bound" else 0


class _Flows:
    """Arguments, container items and attributes, followed into where they go."""

    def _follow_flows(self, start=0):
        """What flows where the binding statements do not say: arguments into the parameters
        of the student's functions, values into containers (d[k] = v, lst.append(v),
        globals()["t"] = v) and into attributes (setattr(obj, "t", v), obj.__dict__["t"] = v).

        Each call adds its arguments to the pool of what it calls (a name, a method name, a
        lambda); each function reachable from a pool gets one entry per parameter that reads
        the pool. Twice over, for functions handed to functions. Linear in the calls. From
        `start` on: the nodes bound since the last call (the code of strings)."""
        if not start:
            self._pools = {}       # callee key -> [(arguments, keywords, style, scope)]
            self._flow_done = set()
        for node, scope, _parent, _where, _offset in self.visits[start:]:
            if isinstance(node, ast.Call):
                self._collect_call(node, scope)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Subscript):
                        self._flow_into(target.value, target.slice, node.value, scope)
        done = self._flow_done
        for _ in range(2):
            self._callee_cache = {}
            for key in list(self._pools):
                for fn, kind in self._key_callees(key):
                    if (key, id(fn)) in done:
                        continue
                    done.add((key, id(fn)))
                    params = self.params[id(fn)]
                    shifts = tuple(sorted((style, _shift(kind, fn, style)) for style in _STYLES))
                    places = [(name, params.positional.index(name)
                               if name in params.positional else None)
                              for name in params.names]
                    if params.star:        # *args: the arguments after the positional ones
                        places.append((params.star, ("*", len(params.positional))))
                    if params.double_star:    # **kwargs: the keywords no parameter names
                        places.append((params.double_star, ("**", tuple(sorted(params.names)))))
                    for name, place in places:
                        params.scope.bound.setdefault(name, []).append(
                            ("pool", (key, shifts, place, name), None))
        self._callee_cache = {}

    def _collect_call(self, node, scope):
        func, args = node.func, node.args
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else None
        calls = [(func, args, node.keywords)]
        if name in ("map", "filter") and len(args) >= 2:
            calls.append((args[0], [ast.Starred(args[1])], []))
        if name == "partial" and args:
            calls.append((args[0], args[1:], node.keywords))
        for callee, given, keywords in calls:
            key, style = self._key(callee, scope)
            if key is not None:
                self._pools.setdefault(key, []).append((given, keywords, style, scope))
        if isinstance(func, ast.Attribute) and name in _MUTATORS:
            for value in args + [k.value for k in node.keywords]:
                self._flow_into(func.value, None, value, scope,
                                key_node=args[0] if name == "setdefault" and args else None)
            if name == "update" and args and isinstance(args[0], ast.Dict):
                for key, value in zip(args[0].keys, args[0].values):
                    self._flow_into(func.value, key, value, scope)
            for kw in node.keywords:
                if kw.arg:
                    self._flow_into(func.value, ast.Constant(kw.arg), kw.value, scope)
        elif name == "setattr" and len(args) == 3 and isinstance(args[1], ast.Constant) and \
                isinstance(args[1].value, str):
            self.attrs.setdefault(args[1].value, []).append(("expr", args[2], scope))

    def _key(self, func, scope):
        """(what a call of `func` calls, how): ("name", scope, name), ("attr", name) for a
        method by its name, ("lambda", node); "plain", "bound" (obj.m()) or "class"
        (Class.m(obj))."""
        if isinstance(func, ast.Name):
            home = self._home(scope, func.id)
            return (("name", home, func.id) if home else None), "plain"
        if isinstance(func, ast.Attribute):
            own_class = self._own_class(func.value, scope) and not _is_self(func.value)
            return ("attr", func.attr), "class" if own_class else "bound"
        if isinstance(func, ast.Lambda):
            return ("lambda", func), "plain"
        return None, "plain"

    def _pool_origin(self, spec, depth):
        """What a parameter may hold: the arguments at its place in every call in its pool."""
        if spec not in self._pool_origins:
            self._pool_origins[spec] = None
            key, shifts, place, name = spec
            shifts, found = dict(shifts), []
            for given, keywords, style, scope in self._pools.get(key, []):
                found += self._arguments_at(place, name, given, keywords, shifts[style],
                                            scope, depth)
                if _pick(found[-2:]) not in (None, "?"):     # a dotted name: enough
                    break
            self._pool_origins[spec] = _pick(found)
        return self._pool_origins[spec]

    def _arguments_at(self, place, name, given, keywords, shift, scope, depth):
        """The origins of what one call passes to a parameter: at its index, as *args (the
        arguments from an index on), as **kwargs (the keywords not named by parameters), or
        by its name."""
        origin = lambda n: self.origin(n, scope, depth)      # noqa: E731
        held = lambda n: "?" if origin(n) else None          # noqa: E731
        if isinstance(place, tuple) and place[0] == "*":
            return [held(a.value if isinstance(a, ast.Starred) else a)
                    for k, a in enumerate(given)
                    if k >= place[1] - shift or isinstance(a, ast.Starred)]
        if isinstance(place, tuple):
            return [held(kw.value) for kw in keywords if kw.arg not in place[1]]
        found = []
        for k, arg in enumerate(given):
            if isinstance(arg, ast.Starred):              # f(*xs): any parameter from here on
                if place is not None and k <= place - shift:
                    found.append(held(arg.value))
                break
            if place is not None and k == place - shift:
                found.append(origin(arg))
                break
        for kw in keywords:
            pairs = [(kw.arg, kw.value)]
            if kw.arg is None and isinstance(kw.value, ast.Dict):   # **{"m": torch}
                pairs = [(k.value, v) for k, v in zip(kw.value.keys, kw.value.values)
                         if isinstance(k, ast.Constant)]
            elif kw.arg is None:                              # **opts: maybe this one
                found.append(held(kw.value))
                continue
            found += [origin(v) for arg_name, v in pairs if arg_name == name]
        return found

    def _flow_into(self, holder, key, value, scope, key_node=None):
        """`value` goes into `holder` (under `key` when known)."""
        key = key if key is not None else key_node
        key = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) \
            else None
        if isinstance(holder, ast.Name):
            home = self._home(scope, holder.id)
            if home is not None:
                home.bound[holder.id].append(("item", value, scope))
        elif isinstance(holder, ast.Call) and isinstance(holder.func, ast.Name) and \
                holder.func.id in ("globals", "vars", "locals") and not holder.args:
            if key is not None:   # globals()["t"] = value binds the module's t
                target = self.module if holder.func.id == "globals" else scope
                target.bound.setdefault(key, []).append(("expr", value, scope))
        elif key is not None and (
                (isinstance(holder, ast.Attribute) and holder.attr == "__dict__") or
                (isinstance(holder, ast.Call) and isinstance(holder.func, ast.Name) and
                 holder.func.id == "vars" and holder.args)):
            self.attrs.setdefault(key, []).append(("expr", value, scope))

    def _home(self, scope, name):
        """The scope whose binding of `name` a use in `scope` reads, None for a free name."""
        s, first = scope, True
        while s is not None:
            if name in s.globals:
                return self.module if name in self.module.bound else None
            if name not in s.nonlocals and (first or s.kind != "class") and name in s.bound:
                return s
            first, s = False, s.parent
        return None

    def _callees(self, func, scope, depth=0):
        """(function, kind) for each of the student's functions (def or lambda) a call of
        `func` may run; kind is "plain", "method" (found by its name in a class) or "init" (a
        class called: its __init__ runs)."""
        key, _ = self._key(func, scope)
        return self._key_callees(key, depth) if key is not None else []

    def _key_callees(self, key, depth=0):
        cache = getattr(self, "_callee_cache", None)
        if cache is not None and key in cache:
            return cache[key]
        if cache is not None:
            cache[key] = []                      # a cycle finds nothing more
        if key[0] == "lambda":
            out = [(key[1], "plain")]
        else:
            entries = key[1].bound.get(key[2], []) if key[0] == "name" else \
                self.attrs.get(key[1], [])
            out = []
            for how, value, where in entries[:200]:
                if how == "expr" and isinstance(value, ast.Lambda):
                    out.append((value, "plain"))
                elif how == "def":
                    method = key[0] == "attr" and self.params[id(value)].in_class
                    out.append((value, "method" if method else "plain"))
                elif how == "class":                 # H(x) runs H.__init__(self, x)
                    body = self.class_scopes[id(value)].bound
                    out += [(v, "init") for h, v, _ in
                            body.get("__init__", []) + body.get("__new__", []) if h == "def"]
                elif depth < 3 and how == "expr" and \
                        isinstance(value, (ast.Name, ast.Attribute)):
                    out += self._callees(value, where, depth + 1)
                elif depth < 3 and how == "pool":    # a function handed in as an argument
                    pool_key, _, j, _ = value
                    j = j if isinstance(j, int) else None
                    for given, _, _, s in self._pools.get(pool_key, [])[:50]:
                        for arg in given[j:j + 2] if j is not None else []:
                            if isinstance(arg, (ast.Name, ast.Attribute, ast.Lambda)):
                                out += self._callees(arg, s, depth + 1)
        if cache is not None:
            cache[key] = out
        return out

    def _bound_values(self, name, scope):
        """(value, scope, is an element of it) for what `name` is bound to where it is read:
        assigned values, loop items, the arguments given for a parameter."""
        home = self._home(scope, name)
        out = []
        for how, value, where in (home.bound[name] if home else [])[:20]:
            if how == "expr" and value is not None:
                out.append((value, where, False))
            elif how == "item" and value is not None:
                out.append((value, where, True))
            elif how == "pool":
                out += [(v, s, False) for v, s in self._pool_nodes(value)]
        return out

    def _pool_nodes(self, spec):
        """The argument nodes the calls in a parameter's pool give it, by place or keyword."""
        key, shifts, place, name = spec
        shifts, out = dict(shifts), []
        for given, keywords, style, scope in self._pools.get(key, [])[:50]:
            if isinstance(place, int):
                k = place - shifts[style]
                if 0 <= k < len(given) and \
                        not any(isinstance(a, ast.Starred) for a in given[:k + 1]):
                    out.append((given[k], scope))
            out += [(kw.value, scope) for kw in keywords if kw.arg == name]
        return out
