"""Files Python would run, written at run time (a code suffix, a .pth in a site folder,
a name made from __file__), and the checkpoint a module reloads right after saving it."""
from __future__ import annotations

import ast
import posixpath
import re

from grader.engine.review.names import _canonical
from grader.engine.review.rules import (_CODE_SUFFIXES, _COPIERS, _PATH_KEYWORDS, _PATH_OPENERS,
                                        _SITE_ORIGINS, _SITE_SUFFIXES, _SITE_TEXT, _WRITER_VERBS)
from grader.engine.review.syntax import _has_suffix, _quote, _walk


class _Paths:
    """Files Python would run, written at run time; a checkpoint reloaded."""

    def _loads_own_save(self, node, scope):
        """torch.load(path, weights_only=False) of the checkpoint the statement just before
        wrote with torch.save to the same literal path (torch.save(model, path), or a with
        that opens the path and only saves into it), the load being the whole value of its
        own statement (m = torch.load(...)): what it unpickles is what this code pickled. Any
        other file may have come with the submission, or been replaced since, and is not
        read by the review."""
        target = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "f"), None)
        path = self.text(target, scope) if target is not None else None
        statement = self._parents.get(id(node))
        if not path or not (isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Expr)) and
                            statement.value is node):
            return False
        block = self._parents.get(id(statement))
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(block, field, None)
            if isinstance(stmts, list) and statement in stmts:
                at = stmts.index(statement)
                return at > 0 and self._saves_to(stmts[at - 1], posixpath.normpath(path))
        return False

    def _saves_to(self, stmt, path):
        def saved(expr, file_name=None):
            if not (isinstance(expr, ast.Expr) and isinstance(expr.value, ast.Call)):
                return False
            call = expr.value
            scope = self.scope_of.get(id(call), self.module)
            if self.origin(call.func, scope) != "torch.save":
                return False
            dest = call.args[1] if len(call.args) > 1 else next(
                (k.value for k in call.keywords if k.arg == "f"), None)
            if file_name is not None:
                return isinstance(dest, ast.Name) and dest.id == file_name
            text = self.text(dest, scope) if dest is not None else None
            return text is not None and posixpath.normpath(text) == path
        if saved(stmt):
            return True
        if isinstance(stmt, ast.With) and len(stmt.items) == 1 and len(stmt.body) == 1:
            scope = self.scope_of.get(id(stmt), self.module)
            opened, name = stmt.items[0].context_expr, stmt.items[0].optional_vars
            opened_path = self.text(opened.args[0], scope) if isinstance(opened, ast.Call) \
                and opened.args else None
            return isinstance(name, ast.Name) and opened_path is not None and \
                self.origin(opened.func, scope) in ("builtins.open", "io.open") and \
                posixpath.normpath(opened_path) == path and saved(stmt.body[0], name.id)
        return False

    # --- files Python would run

    def _check_code_file(self, node, func, scope):
        """open("x.py", "w"), Path(p).write_text(...), shutil.copy(src, "x.py"),
        torch.save(obj, name + ".py"): a file written at run time whose name ends in a code
        suffix (where the text tells how it ends), or whose name is made from the file's own
        (__file__) and does not end in another suffix. A later import would run it unread."""
        args, keywords = node.args, {k.arg: k.value for k in node.keywords if k.arg}
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        targets = []
        if func in _PATH_OPENERS and args or \
                (method == "open" and func not in _PATH_OPENERS and self._a_path(node.func.value,
                                                                                  scope)):
            path = args[0] if func in _PATH_OPENERS else node.func.value
            rest = args[1:] if func in _PATH_OPENERS else args
            mode = rest[0] if rest else keywords.get("mode", keywords.get("flags"))
            mode_text = self.text(mode, scope) if mode is not None else "r"
            if mode_text is None or any(c in mode_text for c in "wax+"):
                targets.append(path)
        elif method in ("write_text", "write_bytes", "touch", "symlink_to", "hardlink_to",
                        "link_to", "mkfifo"):
            targets.append(node.func.value)
        elif method in ("rename", "replace") and len(args) == 1 and func not in _COPIERS:
            targets.append(args[0])
        elif func in _COPIERS and len(args) > 1:
            targets.append(args[1])
            if not self._known_suffix(args[1], scope):   # into a folder: the name it had
                targets.append(args[0])
        elif (method or (func or "").rsplit(".", 1)[-1]).startswith(_WRITER_VERBS):
            targets += [a for a in args[:2] if not isinstance(a, ast.Starred)]
            targets += [v for k, v in keywords.items() if k in _PATH_KEYWORDS]
        elif (func or "").startswith("tempfile.") and "suffix" in keywords:
            targets.append(keywords["suffix"])      # NamedTemporaryFile(suffix=".py")
        for target in targets:
            what = self._code_path(target, scope)
            if what:
                self.report(node, f"writes a file Python would run ({what})")
                return

    def _a_path(self, node, scope, depth=0):
        """`node` is a pathlib path (Path(...), a path joined with /, a name bound to one)."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return True
        if isinstance(node, ast.Name) and depth < 3:
            return any(not items and self._a_path(v, s, depth + 1)
                       for v, s, items in self._bound_values(node.id, scope)[:10])
        return isinstance(node, ast.Call) and (
            (self.origin(node.func, scope) or "").startswith("pathlib.") or
            isinstance(node.func, ast.Attribute) and node.func.attr in (
                "with_suffix", "with_name", "with_stem", "joinpath", "resolve", "absolute"))

    def _code_path(self, node, scope):
        """How the text shows a path names a file Python would run, or ""."""
        if isinstance(node, ast.Call) and not self._builds_path(node, scope):
            return ""       # open(...), a model: not a path (an opener is checked itself)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "replace" and len(node.args) == 2:
            new = self.text(node.args[1], scope)     # p.replace(".py", "_x.py")
            if new and new.lower().endswith(_CODE_SUFFIXES):
                return f"a name ending {_quote(new)}"
        full = self.text(node, scope)
        ends = {full} if full is not None else self._path_ends(node, scope)
        if any(e.lower().endswith(_SITE_SUFFIXES) for e in ends) and \
                self._site_path(node, scope):
            return "a .pth file in a site folder"
        if full is not None:
            return _quote(full) if full.lower().endswith(_CODE_SUFFIXES) else ""
        code = sorted(e for e in ends if e.lower().endswith(_CODE_SUFFIXES))
        if code:
            return f"a name ending {_quote(code[0])}"
        if self._from_own_file(node, scope) and not all(_has_suffix(e) for e in ends):
            return "a name made from its own file's, __file__"
        return ""

    def _site_path(self, node, scope, limit=30):
        """Whether a path may lie in a site folder, where site.py runs a .pth file's imports:
        its text names one (site-packages, dist-packages, ~/.local/lib, PYTHONUSERBASE), or
        it is made from what finds one (site, sysconfig, sys.prefix, sys.path, a library's
        __file__). The home folder or a folder from the environment is not one by itself."""
        text = self.text(node, scope)
        if text is not None:
            return bool(_SITE_TEXT.search(text))
        todo, seen = [(node, scope)], 0
        while todo and seen < limit:
            expr, where = todo.pop()
            seen += 1
            for n in _walk(expr, 100):
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and \
                        _SITE_TEXT.search(n.value):
                    return True
                if isinstance(n, (ast.Name, ast.Attribute)) and \
                        isinstance(getattr(n, "ctx", None), ast.Load):
                    origin = _canonical(self.origin(n, where)) or ""
                    if origin.startswith(_SITE_ORIGINS):
                        return True
                    if isinstance(n, ast.Attribute) and n.attr in ("__file__", "__path__") \
                            and self.origin(n.value, where) is not None:
                        return True
                if isinstance(n, ast.Name):
                    todo += [(v, s) for v, s, items in self._bound_values(n.id, where)[:10]
                             if not items]
        return False

    def _known_suffix(self, node, scope):
        return all(_has_suffix(e) for e in self._path_ends(node, scope))

    def _path_ends(self, node, scope, depth=0, budget=None):
        """The texts a path built from pieces is known to end with ("" where not known):
        name + ".py" ends ".py", Path(d) / f"{n}.py" ends ".py", p.with_suffix(".so") ".so"."""
        budget = budget if budget is not None else [60]
        if depth > 8 or budget[0] <= 0:
            return {""}
        budget[0] -= 1
        text = self.text(node, scope)
        if text is not None:
            return {text}
        ends = lambda n: self._path_ends(n, scope, depth + 1, budget)    # noqa: E731
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            right = self.text(node.right, scope)
            if right is None:
                return ends(node.right)
            return {left + right for left in ends(node.left)}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return ends(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.text(node.left, scope)
            return {re.split(r"%[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]", left)[-1]} if left else {""}
        if isinstance(node, ast.JoinedStr):
            tail = ""
            for piece in reversed(node.values):
                part = self.text(piece.value, scope) if isinstance(piece, ast.FormattedValue) \
                    and piece.format_spec is None else \
                    piece.value if isinstance(piece, ast.Constant) else None
                if not isinstance(part, str):
                    break
                tail = part + tail
            return {tail}
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "with_suffix" and node.args:
                return {self.text(node.args[0], scope) or ""}
            if isinstance(func, ast.Attribute) and func.attr == "with_name" and node.args:
                return ends(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr == "format":
                receiver = self.text(func.value, scope)
                return {receiver.rsplit("}", 1)[-1]} if receiver else {""}
            if isinstance(func, ast.Attribute) and func.attr == "join" and node.args and \
                    isinstance(node.args[0], (ast.List, ast.Tuple)) and node.args[0].elts:
                return ends(node.args[0].elts[-1])
            if node.args and self._builds_path(node, scope) and \
                    not (isinstance(func, ast.Attribute) and func.attr in ("replace", "strip")):
                return ends(node.args[-1])
            return {""}
        if isinstance(node, ast.Name):
            found = set()
            for value, where, items in self._bound_values(node.id, scope)[:10]:
                found |= {""} if items else self._path_ends(value, where, depth + 1, budget)
            return found or {""}
        if isinstance(node, ast.IfExp):
            return ends(node.body) | ends(node.orelse)
        return {""}

    def _builds_path(self, call, scope):
        """A call that makes a path from its arguments (Path(d, n), os.path.join, str(p),
        p.with_suffix(s), "{}.py".format(n))."""
        if isinstance(call.func, ast.Attribute) and call.func.attr in (
                "with_suffix", "with_name", "with_stem", "format", "join", "resolve",
                "absolute", "expanduser", "joinpath", "replace", "strip", "rstrip", "lstrip",
                "removesuffix", "removeprefix", "lower", "upper", "casefold"):
            return True
        called = self.origin(call.func, scope) or ""
        return called.startswith(("os.path.", "posixpath.", "pathlib.")) or \
            called in ("builtins.str", "os.fspath")

    def _from_own_file(self, node, scope, limit=30):
        """Whether a path is made from __file__ (the file's own, or a module's): through
        names, operators, subscripts and what makes a path or a string from a path
        (os.path.dirname, __file__.replace(...)), not through other calls (open(path) is a
        file, model(path) a model) nor loop or with items."""
        todo, seen = [(node, scope)], 0
        while todo and seen < limit:
            expr, where = todo.pop()
            seen += 1
            stack, walked = [expr], 0
            while stack and walked < 100:
                n = stack.pop()
                walked += 1
                if isinstance(n, ast.Name) and n.id in ("__file__", "__cached__"):
                    return True
                if isinstance(n, ast.Attribute) and n.attr in ("__file__", "__cached__"):
                    return True
                if isinstance(n, ast.Name):
                    todo += [(v, s) for v, s, items in self._bound_values(n.id, where)[:10]
                             if not items]
                elif isinstance(n, ast.Call):
                    if self._builds_path(n, where):
                        stack += n.args + [n.func]
                elif not isinstance(n, (ast.Lambda, ast.comprehension, ast.GeneratorExp,
                                        ast.ListComp, ast.SetComp, ast.DictComp)):
                    stack.extend(ast.iter_child_nodes(n))
        return False
