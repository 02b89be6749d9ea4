"""What an expression may be: a dotted name it reaches ("torch.allclose"), "?" (some
library object), or None (the student's own object or a fresh value), followed through
aliases, scopes, attributes, calls and what functions return."""
from __future__ import annotations

import ast

from grader.engine.review.names import _pick, _rule
from grader.engine.review.rules import (_BUILTIN_NAMES, _CONTAINER_READS, _CONVENTIONAL,
                                        _ORIGIN_DEPTH, _PASS_THROUGH)
from grader.engine.review.syntax import _is_self


_LONG_CHAIN = f"a chain of over {_ORIGIN_DEPTH} names, calls or attributes"


class _Origins:
    """What an expression may reach (origin)."""

    def origin(self, node, scope, depth=0):
        if node is None:
            return None
        if depth > _ORIGIN_DEPTH:
            self.cuts.setdefault(_LONG_CHAIN, node)
            return "?"
        key = id(node)
        if key not in self._origins:
            self._origins[key] = None          # a cycle reads as the student's own
            self._origins[key] = self._origin(node, scope, depth + 1)
        return self._origins[key]

    def _origin(self, node, scope, depth):
        if isinstance(node, ast.Name):
            return self._name_origin(scope, node.id, depth)
        if isinstance(node, ast.Attribute):
            chain, base = [], node
            while isinstance(base, ast.Attribute) and len(chain) < _ORIGIN_DEPTH:
                chain.append(base)
                base = base.value
            if isinstance(base, ast.Attribute):
                self.cuts.setdefault(_LONG_CHAIN, node)
                return "?"
            result = self.origin(base, scope, depth)
            for link in reversed(chain):   # x.__class__ of an object it was given: a library's
                if link.attr == "__class__" and not _is_self(link.value):
                    result = "?"
                else:
                    result = self._member(result, link.attr, depth)
            return result
        if isinstance(node, ast.Call):
            return self._call_origin(node, scope, depth)
        if isinstance(node, ast.Subscript):
            outer = self.origin(node.value, scope, depth)
            if outer == "?":      # an item of a container that holds a library: which one
                inner = None if isinstance(node.slice, ast.Slice) else \
                    self._element(node.value, scope, depth)      # (a slice: the container)
                return inner if inner not in (None, "?") else outer
            if outer is None:
                return outer
            key = self.text(node.slice, scope)
            if outer == "sys.modules":
                return key or "?"
            if outer.endswith(".__dict__"):
                return self._member(outer[:-len(".__dict__")], key, depth) if key else "?"
            return None
        if isinstance(node, ast.IfExp):
            return _pick(self.origin(n, scope, depth) for n in (node.body, node.orelse))
        if isinstance(node, ast.BoolOp):
            return _pick(self.origin(n, scope, depth) for n in node.values)
        if isinstance(node, (ast.NamedExpr, ast.Starred)):
            return self.origin(node.value, scope, depth)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            elts = node.values if isinstance(node, ast.Dict) else node.elts
            inner = _pick(self.origin(n, scope, depth) for n in elts[:1000])
            return "?" if inner else None
        return None

    def _member(self, base, attr, depth):
        if base is None:
            return self._attr_origin(attr, depth)
        if base == "?" or len(base) > 200:
            return "?"
        return f"{base}.{attr}"

    def _attr_origin(self, attr, depth):
        """What `obj.attr` may hold for the student's own obj: what was assigned to an
        attribute of that name anywhere, or bound by that name in a class body."""
        if attr not in self.attrs:
            return None
        if attr not in self._attr_origins:
            self._attr_origins[attr] = None
            self._attr_origins[attr] = self._entries_origin(self.attrs[attr], depth)
        return self._attr_origins[attr]

    def _name_origin(self, scope, name, depth):
        home = self._home(scope, name)
        if home is None:
            if name == "__builtins__":
                return "builtins"
            if name in _BUILTIN_NAMES:
                return f"builtins.{name}"
            s = scope
            while s is not None:      # cProfile.run's code: the __main__ module's names
                if s.free:
                    return f"{s.free}.{name}"
                s = s.parent
            stars = self.module.stars
            if stars:
                return f"{stars[0]}.{name}" if len(stars) == 1 else "?"
            # a name bound nowhere in the file was put there at run time (globals(), exec)
            return _CONVENTIONAL.get(name, "?")
        key = (id(home), name)
        if key not in self._name_origins:
            self._name_origins[key] = None
            self._name_origins[key] = self._entries_origin(home.bound[name], depth)
        return self._name_origins[key]

    def _entries_origin(self, entries, depth):
        return _pick(self._entry_origin(e, depth) for e in entries)

    def _entry_origin(self, entry, depth):
        how, value, scope = entry
        if how == "module":
            return value
        if how == "expr":
            return self.origin(value, scope, depth)
        if how == "item":        # an element of value (a loop's), or what a holder holds
            inner = self._element(value, scope, depth)
            if inner not in (None, "?"):
                return inner
            return "?" if self.origin(value, scope, depth) else None
        if how == "pool":
            return self._pool_origin(value, depth)
        return None

    def _call_origin(self, node, scope, depth):
        func = self.origin(node.func, scope, depth)
        args = node.args
        if func == "builtins.getattr" and len(args) >= 2:
            base, name = self.origin(args[0], scope, depth), self.text(args[1], scope)
            default = self.origin(args[2], scope, depth) if len(args) > 2 else None
            if name is None and base not in (None, "?"):   # the name it may be, if one
                names = sorted(self._name_candidates(args[1], scope))
                names = [n for n in names if _rule(f"{base}.{n}")] or names
                name = names[0] if len(names) == 1 or names and _rule(f"{base}.{names[0]}") \
                    else "*"         # some attribute of base: torch.*
            if name is None:
                return "?" if base or default else None
            return _pick([self._member(base, name, depth), default])
        if isinstance(node.func, ast.Attribute) and node.func.attr in _CONTAINER_READS:
            held = _pick(self.origin(n, scope, depth) for n in [node.func.value, *args])
            inner = self._element(node.func.value, scope, depth) if held else None
            return inner if inner not in (None, "?") else "?" if held else None
        if func in ("builtins.__import__", "importlib.import_module", "importlib.__import__"):
            return (self.text(args[0], scope) if args else None) or "?"
        if func == "builtins.type" and len(args) == 1:
            return None if _is_self(args[0]) else "?"
        if func == "builtins.vars" and args:
            base = self.origin(args[0], scope, depth)
            return f"{base}.__dict__" if base and base != "?" else base
        if func in _PASS_THROUGH:        # next(gen()), list(mods), sorted(...): what they held
            inner = _pick(self.origin(a, scope, depth) for a in args)
            return "?" if inner else None
        key, _ = self._key(node.func, scope)
        if key is None:
            return None
        if key not in self._returned:        # what calling it gives, once per callee
            self._returned[key] = None
            self._returned[key] = _pick(
                self.origin(value, s, depth) for fn, _ in self._key_callees(key)
                for value, s in self.returns.get(id(fn), []))
        return self._returned[key]

    def _element(self, node, scope, depth):
        """What an element of `node` may be: an item of a literal container ([sys][0],
        {"k": torch}["k"]), of one a name is bound to or is given (l.append(sys)), of what
        list(), sorted(), d.values() ... give of one; None where the text does not tell."""
        if depth > _ORIGIN_DEPTH:
            self.cuts.setdefault(_LONG_CHAIN, node)
            return "?"
        depth += 1
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return _pick(self._element(e.value, scope, depth) if isinstance(e, ast.Starred)
                         else self.origin(e, scope, depth) for e in node.elts[:1000])
        if isinstance(node, ast.Dict):
            return _pick(self.origin(v, scope, depth) for v in node.values[:1000])
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return self._element(node.value, scope, depth)
        if isinstance(node, ast.Name):
            home = self._home(scope, node.id)
            if home is None:
                return None
            key = ("element", id(home), node.id)
            if key not in self._name_origins:
                self._name_origins[key] = None      # a cycle holds nothing more
                self._name_origins[key] = _pick(
                    self._element(value, s, depth) if how == "expr" else
                    self.origin(value, s, depth) for how, value, s in
                    home.bound.get(node.id, [])[:200] if how in ("expr", "item"))
            return self._name_origins[key]
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in _CONTAINER_READS:
                return self._element(node.func.value, scope, depth)
            if self.origin(node.func, scope, depth) in _PASS_THROUGH:
                return _pick(self._element(a, scope, depth) for a in node.args)
        return None
