"""Strings and numbers the text alone computes ("/pr" + "oc", "".join(map(chr, [...])),
base64 of a constant, "..."[::-1], "%s" % ..., os.path.join, a name bound once to a constant):
the folding of one expression (_Values) and the operations it may apply."""
from __future__ import annotations

import ast
import codecs
import posixpath
import re
import string

from grader.engine.review.rules import _FOLD_CHARS, _FOLD_DEPTH


def _binop(op, left, right):
    if left is None or right is None:
        return None
    if isinstance(op, ast.Add):
        if type(left) is type(right) and isinstance(left, (str, bytes, tuple, int)):
            if isinstance(left, int) or len(left) + len(right) <= _FOLD_CHARS:
                return left + right
        return None
    if isinstance(op, ast.Sub) and isinstance(left, int) and isinstance(right, int):
        return left - right
    if isinstance(op, ast.Mult):
        if isinstance(left, int) and isinstance(right, int):
            return left * right
        seq, n = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(seq, (str, bytes, tuple)) and isinstance(n, int) and \
                len(seq) * max(n, 0) <= _FOLD_CHARS:
            return seq * n
        return None
    if isinstance(op, ast.Mod) and isinstance(left, str) and \
            re.fullmatch(r"(?:[^%]|%[sdrc%])*", left):
        return left % right
    if isinstance(op, ast.Div) and isinstance(left, str) and isinstance(right, str):
        return posixpath.join(left, right)     # pathlib's Path("/") / "proc"
    return None


def _size(value, limit: int = _FOLD_CHARS) -> int:
    """About how many characters `value` holds as text, nested tuples counted whole (a tuple
    of 400 tuples of 1000 tuples of a 1000-character string is 400 million, not 400); past
    `limit`, limit + 1, found without walking further."""
    total, todo = 0, [value]
    while todo:
        v = todo.pop()
        if isinstance(v, tuple):
            total += 2 + len(v)
            todo.extend(v[:limit + 1])
        else:
            total += len(v) if isinstance(v, (str, bytes)) else 12
        if total > limit:
            return limit + 1
    return total


_SAFE_CODECS = {"utf-8", "utf8", "ascii", "latin-1", "latin1", "rot13", "rot_13", "base64",
                "base_64", "hex", "hex_codec"}


def _string_method(receiver, method, args):
    """`receiver.method(*args)` for the few methods that make text, with bounded output."""
    if method in ("upper", "lower", "strip", "lstrip", "rstrip", "swapcase", "title",
                  "casefold", "capitalize", "removeprefix", "removesuffix") and len(args) <= 1:
        return getattr(receiver, method)(*args)
    if method == "join" and len(args) == 1 and isinstance(args[0], (tuple, str)):
        items = tuple(args[0])
        if sum(len(i) for i in items) + len(receiver) * len(items) <= _FOLD_CHARS:
            return receiver.join(items)
        return None
    if method == "replace" and len(args) == 2 and \
            len(receiver) * (len(args[1]) + 1) <= _FOLD_CHARS:
        return receiver.replace(*args)
    if method in ("decode", "encode") and len(args) <= 1:
        encoding = args[0] if args else "utf-8"
        if isinstance(encoding, str) and encoding.lower() in _SAFE_CODECS:
            return getattr(codecs, method)(receiver, encoding)
        return None
    if method == "format" and isinstance(receiver, str) and all(
            (field is None or field.isdigit() or field == "") and not spec and conv is None
            for _, field, spec, conv in string.Formatter().parse(receiver)):
        return receiver.format(*args)
    return None


def _call_value(name, args):
    """A call of a builtin or standard function on folded arguments, where its result is text
    (or the character codes that become text)."""
    if name == "builtins.chr" and len(args) == 1:
        return chr(args[0])
    if name == "builtins.ord" and len(args) == 1:
        return ord(args[0])
    if name == "builtins.str" and len(args) == 1 and isinstance(args[0], (str, int)):
        return str(args[0])
    if name in ("builtins.bytes", "builtins.bytearray") and len(args) in (1, 2):
        if isinstance(args[0], tuple):
            return bytes(args[0])
        if isinstance(args[0], str) and len(args) == 2 and args[1].lower() in _SAFE_CODECS:
            return args[0].encode(args[1])
        return None
    if name == "builtins.reversed" and len(args) == 1:
        return tuple(reversed(args[0]))
    if name in ("builtins.bytes.fromhex", "builtins.bytearray.fromhex") and len(args) == 1:
        return bytes.fromhex(args[0])
    if name and name.startswith("base64.") and len(args) == 1 and \
            ("decode" in name or name.endswith(".decodebytes")):
        import base64
        return getattr(base64, name.split(".")[1])(args[0])
    if name in ("binascii.unhexlify", "binascii.a2b_hex", "binascii.a2b_base64") and args:
        import binascii
        return getattr(binascii, name.split(".")[1])(args[0])
    if name in ("codecs.decode", "codecs.encode") and len(args) == 2 and \
            args[1].lower() in _SAFE_CODECS:
        return getattr(codecs, name.split(".")[1])(args[0], args[1])
    if name in ("os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path",
                "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath") and args \
            and all(isinstance(a, str) for a in args):
        return posixpath.join(*args)
    return None


class _Values:
    """What an expression evaluates to where the text alone tells (text, value)."""

    def text(self, node, scope):
        """The string `node` evaluates to where the text alone tells (bytes read as Latin-1),
        else None."""
        value = self.value(node, scope)
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value if isinstance(value, str) else None

    def value(self, node, scope, depth=0, env=None):
        if node is None or depth > _FOLD_DEPTH:
            return None
        if not env and id(node) in self._fold_failed:
            return None
        try:
            value = self._fold(node, scope, depth + 1, env or {})
        except (ValueError, TypeError, ArithmeticError, LookupError, UnicodeError):
            value = None
        if isinstance(value, (str, bytes)) and len(value) > _FOLD_CHARS or \
                isinstance(value, tuple) and _size(value) > _FOLD_CHARS:
            value = None       # (a tuple counted whole: nested ones, formatted, are its text)
        if isinstance(value, int) and abs(value) > 1 << 32:
            value = None
        if value is None and not env:
            self._fold_failed.add(id(node))
        return value

    def _fold(self, node, scope, depth, env):
        fold = lambda n: self.value(n, scope, depth, env)   # noqa: E731
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes, int)) else None
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else self._name_value(scope, node.id, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = fold(node.operand)
            return -operand if isinstance(operand, int) else None
        if isinstance(node, ast.BinOp):
            return _binop(node.op, fold(node.left), fold(node.right))
        if isinstance(node, ast.JoinedStr):
            parts = []
            for piece in node.values:
                if isinstance(piece, ast.FormattedValue):
                    v = fold(piece.value) if piece.format_spec is None else None
                    if not isinstance(v, (str, int)):
                        return None
                    parts.append(str(v))
                else:
                    parts.append(piece.value)
            return "".join(parts)
        if isinstance(node, ast.Subscript):
            seq, index = fold(node.value), node.slice
            if not isinstance(seq, (str, bytes, tuple)):
                return None
            if isinstance(index, ast.Slice):
                bounds = [fold(b) if b else None for b in (index.lower, index.upper, index.step)]
                if any(b is not None and not isinstance(b, int) for b in bounds) or \
                        any(b is None and given for b, given in
                            zip(bounds, (index.lower, index.upper, index.step))):
                    return None
                return seq[slice(*bounds)]
            at = fold(index)
            return seq[at] if isinstance(at, int) else None
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [fold(e) for e in node.elts[:_FOLD_CHARS + 1]]
            return None if any(i is None for i in items) else tuple(items)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)) and len(node.generators) == 1:
            gen = node.generators[0]
            seq = fold(gen.iter)
            if gen.ifs or not isinstance(gen.target, ast.Name) or \
                    not isinstance(seq, (str, bytes, tuple)) or len(seq) > self._fold_budget:
                return None
            self._fold_budget -= len(seq)           # nested comprehensions multiply
            items = []
            for x in seq:
                items.append(self.value(node.elt, scope, depth, {**env, gen.target.id: x}))
                if items[-1] is None:
                    return None
            return tuple(items)
        if isinstance(node, ast.Call) and not node.keywords:
            return self._fold_call(node, scope, depth, env, fold)
        return None

    def _name_value(self, scope, name, depth):
        """A name bound once, to something foldable: its value."""
        home = self._home(scope, name)
        entries = home.bound[name] if home else []
        if len(entries) != 1 or entries[0][0] != "expr":
            return None
        key = (id(home), name)
        if key not in self._name_values:
            self._name_values[key] = None
            _, value, where = entries[0]
            folded = self.value(value, where, depth)
            small = not isinstance(folded, (str, bytes, tuple)) or len(folded) <= 200
            self._name_values[key] = folded if small else None
        return self._name_values[key]

    def _fold_call(self, node, scope, depth, env, fold):
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = fold(func.value)
            if isinstance(receiver, (str, bytes)):
                args = [fold(a) for a in node.args]
                if any(a is None for a in args):
                    return None
                return _string_method(receiver, func.attr, args)
        name = self.origin(func, scope)
        if name == "builtins.map" and len(node.args) == 2:
            mapped, seq = self.origin(node.args[0], scope), fold(node.args[1])
            if mapped in ("builtins.chr", "builtins.str") and isinstance(seq, (str, tuple)):
                return tuple(chr(x) if mapped == "builtins.chr" else str(x) for x in seq)
            return None
        args = [fold(a) for a in node.args]
        if any(a is None for a in args):
            return None
        return _call_value(name, args)
