"""Raw file descriptors (rule 5): a numbered descriptor other than 0, 1 and 2
written to, read, duplicated, opened or handed to a child process."""
from __future__ import annotations

import ast

from grader.engine.review.names import _canonical
from grader.engine.review.rules import (_FD_OPENERS, _GIVES_INT, _OS_FD, _RAW_FD, _SPAWNERS,
                                        _STD_STREAMS)
from grader.engine.review.syntax import _empty, _short, _unparse


class _Descriptors:
    """Raw file descriptors."""

    def _check_descriptors(self, node, func, scope):
        """A numbered file descriptor other than 0, 1 and 2 (a constant, or an int computed at
        run time) handed to what writes, reads, duplicates or opens one, or to a child
        process; os.write and friends write to 1 or 2 only."""
        args, keywords = node.args, {k.arg: k.value for k in node.keywords if k.arg}
        shown = func.replace("builtins.", "")
        if func in _OS_FD:
            places, writes = _OS_FD[func]
            for place in places:
                if place >= len(args) or isinstance(args[place], ast.Starred):
                    continue
                kind = self._descriptor(args[place], scope)
                if place in writes and kind not in (1, 2):
                    self.report(node, f"writes to a raw file descriptor ({shown})")
                    return
                if kind == "numbered":
                    self.report(node, f"{_RAW_FD} ({shown})")
                    return
        elif func in _FD_OPENERS:
            target = args[0] if args else keywords.get("file")
            opener = keywords.get("opener", args[7] if func == "builtins.open" and
                                  len(args) > 7 else None)
            if target is not None and self._descriptor(target, scope) == "numbered":
                self.report(node, f"{_RAW_FD} ({shown} of a descriptor)")
            elif opener is not None and not _empty(opener):     # it gives the descriptor
                self.report(node, f"{_RAW_FD} ({shown} with an opener)")
        elif func == "socket.socket":
            if "fileno" in keywords or len(args) >= 4:
                self.report(node, f"{_RAW_FD} (socket.socket(fileno=...))")
        elif func in ("os.posix_spawn", "os.posix_spawnp"):
            actions = keywords.get("file_actions")
            if actions is not None and not _empty(actions):
                self.report(node, f"{_RAW_FD} ({shown} with file_actions)")
        else:      # a child process: its stdin, stdout, stderr, the descriptors it keeps
            given = [(name, keywords.get(name)) for name in ("stdin", "stdout", "stderr")]
            given += [(name, args[i]) for name, i in zip(("stdin", "stdout", "stderr"),
                                                         _SPAWNERS[func]) if i < len(args)]
            for name, value in given:     # -1, -2, -3: subprocess.PIPE, STDOUT, DEVNULL
                if value is not None and \
                        self._descriptor(value, scope, allowed=(-3, -2, -1, 0, 1, 2)) == \
                        "numbered":
                    self.report(node, f"{_RAW_FD} ({name}={_short(_unparse(value), 20)})")
                    return
            fds, close = keywords.get("pass_fds"), keywords.get("close_fds")
            if fds is not None and not _empty(fds):
                self.report(node, f"{_RAW_FD} (pass_fds={_short(_unparse(fds), 20)})")
            elif close is not None and not (isinstance(close, ast.Constant) and
                                            close.value is True):
                self.report(node, f"{_RAW_FD} (close_fds={_short(_unparse(close), 20)})")

    def _descriptor(self, node, scope, allowed=(0, 1, 2)):
        """What `node` is as a descriptor: the int when the text tells (1 for
        sys.stdout.fileno()), "numbered" for an int outside `allowed` or one computed at run
        time (arithmetic, int(), len(), a loop over range(), what os.open or os.pipe gives,
        a .fileno() other than sys's streams), else None (a path, a file object, unknown)."""
        value = self.value(node, scope)
        if isinstance(value, int) and not isinstance(value, bool):
            return value if value in allowed else "numbered"
        if value is not None:
            return None
        std = self._std_fileno(node, scope)
        if std is not None:
            return std if std in allowed else "numbered"
        return "numbered" if self._int_like(node, scope) else None

    def _std_fileno(self, node, scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "fileno" and not node.args:
            return _STD_STREAMS.get(self.origin(node.func.value, scope))
        return None

    def _int_like(self, node, scope, limit=40):
        """Whether `node` may be an int computed at run time (see _descriptor)."""
        todo, seen = [(node, scope, False)], 0
        while todo and seen < limit:
            expr, where, items = todo.pop()
            seen += 1
            if items:            # an element of expr
                if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
                    todo += [(e, where, False) for e in expr.elts[:20]]
                elif isinstance(expr, ast.Name):
                    todo += [(v, s, True) for v, s, _ in self._bound_values(expr.id, where)]
                elif isinstance(expr, ast.Call):
                    called = _canonical(self.origin(expr.func, where))
                    if called == "builtins.range" or called in _GIVES_INT:
                        return True
                    if called in ("builtins.map", "builtins.filter") and expr.args and \
                            self.origin(expr.args[0], where) in _GIVES_INT:
                        return True
                    if called in ("builtins.list", "builtins.tuple", "builtins.sorted",
                                  "builtins.set", "builtins.reversed", "builtins.filter"):
                        todo += [(a, where, True) for a in expr.args[-1:]]
                elif isinstance(expr, ast.Subscript):
                    todo.append((expr.value, where, True))
                continue
            if isinstance(expr, ast.Constant):
                if type(expr.value) is int:
                    return True
            elif isinstance(expr, ast.Name):
                todo += self._bound_values(expr.id, where)
            elif isinstance(expr, ast.BinOp):
                sides = (expr.left, expr.right)
                if not any(isinstance(x, (ast.JoinedStr, ast.List, ast.Tuple)) or
                           (isinstance(x, ast.Constant) and not type(x.value) is int)
                           for x in sides):
                    todo += [(x, where, False) for x in sides]
            elif isinstance(expr, ast.UnaryOp) and not isinstance(expr.op, ast.Not):
                todo.append((expr.operand, where, False))
            elif isinstance(expr, (ast.IfExp, ast.BoolOp)):
                todo += [(x, where, False) for x in
                         ((expr.body, expr.orelse) if isinstance(expr, ast.IfExp)
                          else expr.values[:10])]
            elif isinstance(expr, ast.NamedExpr):
                todo.append((expr.value, where, False))
            elif isinstance(expr, ast.Subscript):
                todo.append((expr.value, where, True))
            elif isinstance(expr, ast.Attribute):     # what the student assigned to it
                todo += [(v, s, False) for how, v, s in self.attrs.get(expr.attr, [])[:20]
                         if how == "expr" and v is not None]
            elif isinstance(expr, ast.Call):
                called = _canonical(self.origin(expr.func, where))
                if isinstance(expr.func, ast.Attribute) and expr.func.attr == "fileno":
                    if self._std_fileno(expr, where) is None:
                        return True
                elif called in _GIVES_INT:
                    return True
                elif called in ("builtins.max", "builtins.min"):
                    todo += [(a, where, False) for a in expr.args[:10]]
                else:
                    key, _ = self._key(expr.func, where)
                    for fn, _ in (self._key_callees(key) if key is not None else [])[:10]:
                        todo += [(v, s, False) for v, s in self.returns.get(id(fn), [])[:10]]
        return False
