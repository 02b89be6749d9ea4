"""Names looked up at run time (getattr with a computed name, attrgetter, a format
string) and names hidden from a reader; and the strings read whole, for /proc, the harness's
modules and files, and special attributes spelled as text."""
from __future__ import annotations

import ast
import re

from grader.engine.review.names import _canonical, _private, _rule
from grader.engine.review.rules import (_DOTTED_SPELLED, _HARNESS, _HARNESS_FILES, _HARNESS_TEXT,
                                        _HIDING_ATTRIBUTES, _HIDING_CALLS, _HOOK, _IMPORTS,
                                        _IMPORT_SYSTEM, _NO_COMPUTED_LOOKUP, _OPENS_OR_IMPORTS,
                                        _PATH_METHODS, _PROC, _RUNS_TEXT, _SPELLED, _proc_glob)
from grader.engine.review.syntax import _joined, _quote, _short, _walk


class _Lookups:
    """Names looked up at run time, hidden names, strings read whole."""

    def _check_computed_lookup(self, node, base_node, name_node, scope):
        """getattr(obj, name) where the text does not spell the name. Configurable code reads a
        library's attributes so (getattr(torch, activation), getattr(nn, act)()), and that is
        not reported by itself; it is where the object is the grader's, pytest's or one of the
        interpreter's modules, where a name it may hold (the strings bound to it, the
        arguments given for it) or the text it starts with names what a rule names or a
        private or special attribute, and where the name is built so that a reader cannot see
        it. What is done with the result is checked as any library object is."""
        base = self.origin(base_node, scope)
        if base is None:           # the student's own object: only a hidden name is reported
            self._check_hidden_name(node, name_node, scope)
            return
        shown = self._show(base_node, base)
        if base != "?" and _canonical(base).split(".")[0] in _NO_COMPUTED_LOOKUP:
            self.report(node, f"looks up {shown} by a computed name")
            return
        reached = self.origin(node, scope)
        for name in sorted(self._name_candidates(name_node, scope)):
            full = f"{base}.{name}" if base != "?" else None
            rule = _rule(full) if full else None
            if rule and reached == full:
                return                 # reported where it is reached
            if rule:
                self.report(node, f"{rule} ({_short(full)}, by a computed name)")
                return
            if any(_private(part) for part in name.split(".")):
                self.report(node, f"looks up a private attribute of {shown} by a computed name "
                                  f"({_quote(name)})")
                return
        prefix = self._text_prefix(name_node, scope)
        if prefix and prefix.startswith("_"):
            self.report(node, f"looks up a private attribute of {shown} by a computed name "
                              f"({_quote(prefix + '...')})")
            return
        self._check_hidden_name(node, name_node, scope)

    def _name_candidates(self, node, scope, depth=0, budget=None):
        """The strings the text says `node` may hold, as far as it tells: the constants bound
        to a name, the arguments given for a parameter, the items of a literal it is taken
        from, and what joining those gives ("libr" + b, f"{a}{b}", "".join([a, b]))."""
        budget = budget if budget is not None else [60]
        if depth > 8 or budget[0] <= 0:
            return set()
        budget[0] -= 1
        text = self.text(node, scope)
        if text is not None:
            return {text}
        more = lambda n, s=scope: self._name_candidates(n, s, depth + 1, budget)  # noqa: E731
        if isinstance(node, ast.Name):
            found = set()
            for value, where, items in self._bound_values(node.id, scope):
                found |= self._element_candidates(value, where, depth, budget) if items \
                    else more(value, where)
            return found
        if isinstance(node, ast.IfExp):
            return more(node.body) | more(node.orelse)
        if isinstance(node, ast.BoolOp):
            return set().union(*(more(v) for v in node.values[:10]))
        if isinstance(node, ast.Subscript):
            return self._element_candidates(node.value, scope, depth, budget)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _joined([more(node.left), more(node.right)])
        if isinstance(node, ast.JoinedStr):
            return _joined([more(v.value) if isinstance(v, ast.FormattedValue) else {v.value}
                            for v in node.values[:10]])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "join" and len(node.args) == 1 and \
                isinstance(node.args[0], (ast.List, ast.Tuple)):
            glue = self.text(node.func.value, scope)
            if glue == "":
                return _joined([more(e) for e in node.args[0].elts[:10]])
        return set()

    def _element_candidates(self, node, scope, depth, budget):
        """The strings an element of `node` may be (a literal's items, a dict's keys and
        values, the elements of what a name is bound to)."""
        if depth > 8 or budget[0] <= 0:
            return set()
        budget[0] -= 1
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            elts = node.keys + node.values if isinstance(node, ast.Dict) else node.elts
            return set().union(*(self._name_candidates(e, scope, depth + 1, budget)
                                 for e in elts[:50] if e is not None))
        if isinstance(node, ast.Name):
            found = set()
            for value, where, items in self._bound_values(node.id, scope):
                found |= self._name_candidates(value, where, depth + 1, budget) if items \
                    else self._element_candidates(value, where, depth + 1, budget)
            return found
        return set()

    def _text_prefix(self, node, scope, depth=0):
        """The text a string built from pieces is known to start with ("_" + name: "_")."""
        if depth > 8:
            return None
        text = self.text(node, scope)
        if text is not None:
            return text
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._text_prefix(node.left, scope, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.text(node.left, scope)
            return left.split("%")[0] if left else None
        if isinstance(node, ast.JoinedStr):
            out = ""
            for piece in node.values:
                part = self.text(piece.value, scope) if isinstance(piece, ast.FormattedValue) \
                    and piece.format_spec is None else \
                    piece.value if isinstance(piece, ast.Constant) else None
                if not isinstance(part, str):
                    break
                out += part
            return out or None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "format":
            receiver = self.text(node.func.value, scope)
            return receiver.split("{")[0] if receiver else None
        return None

    def _own_instance(self, node, scope):
        """self, cls, one of the student's classes, or an object made by calling one."""
        if self._own_class(node, scope):
            return True
        if isinstance(node, ast.Call):
            return self._own_class(node.func, scope)
        if isinstance(node, ast.Name):
            values = self._bound_values(node.id, scope)
        elif isinstance(node, ast.Attribute):          # self.helper = Helper()
            values = [(v, s, how == "item") for how, v, s in self.attrs.get(node.attr, [])[:20]]
        else:
            return False
        return bool(values) and all(not items and isinstance(v, ast.Call) and
                                    self._own_class(v.func, s) for v, s, items in values)

    def _is_formatter(self, node, scope):
        """string.Formatter(), or a name bound to one."""
        values = [(node, scope)]
        if isinstance(node, ast.Name):
            values += [(v, s) for v, s, items in self._bound_values(node.id, scope) if not items]
        return any(isinstance(v, ast.Call) and self.origin(v.func, s) == "string.Formatter"
                   for v, s in values[:10])

    def _check_expression_method(self, node, scope):
        """df.eval("a + b"), df.query("a > 1"): pandas evaluates the text, with Python's own
        evaluator when asked to. A method of that name the student wrote is theirs; torch's
        objects take no text (model.eval() takes nothing)."""
        attr, receiver = node.func.attr, node.func.value
        if self._own_instance(receiver, scope) and self._key_callees(("attr", attr)):
            return
        base = self.origin(receiver, scope)
        if base not in (None, "?") and (base.split(".")[0] == "torch" or _rule(f"{base}.{attr}")):
            return
        given = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "expr"), None)
        text = self.text(given, scope) if given is not None else None
        if isinstance(text, str) and _plain_expression(text):
            return     # df.query("age > 30 and sex == 'F'"): columns, values, comparisons
        self.report(node, f"{_RUNS_TEXT} (.{attr} given an expression)")

    def _from_char_codes(self, arg, scope):
        if isinstance(arg, ast.Call) and self.origin(arg.func, scope) == "builtins.map":
            return bool(arg.args) and self.origin(arg.args[0], scope) == "builtins.chr"
        if isinstance(arg, (ast.GeneratorExp, ast.ListComp)) and isinstance(arg.elt, ast.Call):
            return self.origin(arg.elt.func, scope) == "builtins.chr"
        return False

    def _check_hidden_name(self, node, name_node, scope, what="an attribute name"):
        """getattr(obj, name) on the student's own obj: fine, unless the name is built so that
        a reader cannot see it (decoded, from character codes, read at run time), or walks
        every attribute that dir() lists."""
        todo, seen = [(name_node, scope)], 0
        while todo and seen < 20:
            expr, where = todo.pop()
            seen += 1
            for n in _walk(expr, 200):
                if isinstance(n, ast.Name):          # what the names in it were given
                    home = self._home(where, n.id)
                    for how, value, s in (home.bound[n.id] if home else [])[:10]:
                        if how == "item" and isinstance(value, ast.Call) and \
                                self._is_dir(value, s):
                            self.report(node, "walks every attribute of an object "
                                              "(dir and getattr)")
                            return
                        if how in ("expr", "item") and value is not None:
                            todo.append((value, s))
                called = n.func.attr if isinstance(n, ast.Call) and \
                    isinstance(n.func, ast.Attribute) else \
                    n.func.id if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) else None
                reversed_text = isinstance(n, ast.Subscript) and \
                    isinstance(n.slice, ast.Slice) and n.slice.step is not None
                read = isinstance(n, ast.Attribute) and n.attr in _HIDING_ATTRIBUTES
                if called in _HIDING_CALLS or reversed_text or read:
                    how = called or (n.attr if read else "[::-1]")
                    self.report(node, f"builds {what} so that it cannot be read ({how})")
                    return

    def _is_dir(self, call, scope):
        return self.origin(call.func, scope) == "builtins.dir" or \
            (isinstance(call.func, ast.Attribute) and call.func.attr == "__dir__")

    def _read_string(self, node, scope, parent):
        """The string `node` folds to, read where it is whole: nodes come outermost first, and
        the parts of a string that was read are not read again. A bare string statement (a
        docstring) does nothing and is not read."""
        if id(node) in self._read or isinstance(parent, ast.Expr) or \
                (isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes))):
            return
        value = self.value(node, scope)
        if isinstance(value, (str, bytes)):
            self._check_text(node, value, (parent, scope))
            self._read.update(id(n) for n in ast.walk(node))

    def _names_module_or_path(self, node, parent, scope):
        """Whether a string stands where a module's name or a file's path is given: an
        argument of what imports or opens (importlib, __import__, open, os, pathlib, glob,
        shutil, numpy's and torch's loaders ...), a part of a path joined with /, a key of
        sys.modules."""
        if isinstance(parent, ast.keyword):
            parent = self._parents.get(id(parent))
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div):
            return True
        if isinstance(parent, ast.Subscript):
            return parent.slice is node and (_canonical(
                self.origin(parent.value, scope)) or "").startswith("sys.modules")
        if not (isinstance(parent, ast.Call) and parent.func is not node):
            return False
        if _canonical(self.origin(parent.func, scope)) == "sys.modules.get" and \
                self._tested_only(parent):
            return False            # sys.modules.get("pytest") is None: membership
        return self._opens_or_imports(parent, scope)

    def _opens_or_imports(self, call, scope):
        func = _canonical(self.origin(call.func, scope)) or ""
        if func.startswith(_OPENS_OR_IMPORTS) or _rule(func) in (_IMPORTS, _IMPORT_SYSTEM):
            return True
        return isinstance(call.func, ast.Attribute) and call.func.attr in _PATH_METHODS and \
            (func != "" or self._a_path(call.func.value, scope))

    def _check_text(self, node, value, where=None):
        """`where`: (parent, scope) of the string, to tell whether it names a module or a
        path (see _names_module_or_path)."""
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if _PROC.search(text) or _proc_glob(text):
            self.report(node, f"reads the process's /proc or /dev files ({_quote(text)})")
        if "PYTHONBREAKPOINT" in text:
            self.report(node, f"{_HOOK} ({_quote(text)})")
        if _HARNESS_TEXT.fullmatch(text):
            if where is None or self._names_module_or_path(node, *where):
                # not {"solutions": [...]}, print("pytest"), "pytest" in sys.modules: text
                self.report(node, f"{_HARNESS} ({_quote(text)})")
        elif _HARNESS_FILES.search(text):
            self.report(node, f"names the grader's files ({_quote(text)})")
        if text in _SPELLED:
            self.report(node, f"{_SPELLED[text]} (spelled as text: {_quote(text)})")
        else:   # "{0.__globals__}".format(fn), attrgetter("a.__globals__")
            match = _DOTTED_SPELLED.search(text)
            if match:
                self.report(node, f"{_SPELLED[match[1]]} (spelled as text: {_quote(text)})")


_PLAIN_NODES = (ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.BoolOp,
                ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
                ast.List, ast.Tuple)


def _plain_expression(text: str) -> bool:
    """Whether the text pandas' eval or query is given, written in the file, is only column
    names, values, arithmetic and comparisons ('age > 30 and sex == "F"', 'x > @limit'): no
    call, attribute, subscript or private name, so evaluating it runs nothing else."""
    if len(text) > 1000:
        return False
    source = re.sub(r"@(?=[A-Za-z_])", "", text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(isinstance(n, _PLAIN_NODES) and not (isinstance(n, ast.Name) and
                                                   n.id.startswith("_"))
               for n in ast.walk(tree))
