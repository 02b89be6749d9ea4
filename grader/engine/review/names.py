"""What a dotted name is: the rule that covers it (_rule), the module under its usual
name (_canonical), a private name, a setting rather than a patch (_a_setting), and what the
name holds in this process's torch or numpy (_library_kind, _library_object)."""
from __future__ import annotations

import ast
import functools
import importlib
import re
import sys

from grader.engine.review.rules import (_ALLOWED, _DOCTEST_ORDINARY, _EXACT, _HARMLESS_DUNDERS,
                                        _HARNESS_TEXT, _MODULE_ALIASES, _NAMES, _PRIVATE_BASES,
                                        _PRIVATE_ORDINARY,
                                        _RESOLVED_LIBRARIES, _STRICT_ROOTS)


def _plain_import_name(name):
    """A dotted name a library may import that names nothing a rule does."""
    return bool(name) and re.fullmatch(r"[A-Za-z_][\w.]*", name) is not None and not any(
        _rule(".".join(name.split(".")[:i])) or
        _HARNESS_TEXT.fullmatch(".".join(name.split(".")[:i]))
        for i in range(1, name.count(".") + 2))


def _a_setting(base, target, parent):
    """pd.options.display.max_rows = 10: a plain literal given to a library the grader neither
    uses nor can look up (torch and numpy are looked up; the interpreter's own modules, the
    grader and pytest are never settings: sys.stdout.total = 2 ** 70 is not one). Also the
    command line a notebook gives argparse (sys.argv = [...]: the grader has read its own), and
    pandas' display options, which take functions too (float_format = "{:.4f}".format)."""
    assigned = isinstance(parent, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and \
        isinstance(target.ctx, ast.Store)
    if _canonical(base) == "sys" and target.attr == "argv":
        return assigned
    if base == "pandas.options" or base.startswith("pandas.options."):
        return assigned and not target.attr.startswith("_")
    root = base.split(".")[0]
    if root in _RESOLVED_LIBRARIES or root in _STRICT_ROOTS or base == "?":
        return False
    return isinstance(parent, ast.Assign) and target in parent.targets and \
        _is_literal(parent.value)


def _is_literal(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_is_literal(e) for e in node.elts[:64]) and len(node.elts) <= 64
    return isinstance(node, ast.Constant)


def _canonical(dotted):
    """`dotted` with the module it starts with under its usual name (posix.write: os.write)."""
    if not dotted:
        return dotted
    root, dot, rest = dotted.partition(".")
    return _MODULE_ALIASES[root] + dot + rest if root in _MODULE_ALIASES else dotted


def _private(name):
    """A name a library keeps to itself, or a special one that does more than describe."""
    return name.startswith("_") and name not in _HARMLESS_DUNDERS


# torch's multi-tensor operations (torch._foreach_add_(params, grads, alpha=-lr)): what its own
# optimizers update parameters with; arithmetic on the tensors given, nothing else reached
_FOREACH = re.compile(r"torch\._foreach_[a-z0-9_]+")


@functools.lru_cache(maxsize=8192)
def _rule(dotted):
    """What reaching `dotted` does, by the longest entry of _NAMES that covers it."""
    parts = dotted.split(".")
    parts[0] = _MODULE_ALIASES.get(parts[0], parts[0])
    if parts[0] == "doctest" and len(parts) > 1 and parts[1] not in _DOCTEST_ORDINARY:
        return "runs code written in a string"
    if parts[0] in ("pytest", "importlib") and any(
            ".".join(parts[:i]) in _ALLOWED for i in range(2, min(len(parts), 3) + 1)):
        return None
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in _NAMES and (i == len(parts) or key not in _EXACT):
            return _NAMES[key]
    dotted = ".".join(parts)
    ordinary = next((o for o in _PRIVATE_ORDINARY if (dotted == o or dotted.startswith(o + "."))
                     and not any(p.startswith("_") for p in parts[o.count(".") + 1:])), None)
    if not ordinary and parts[0] in (*_RESOLVED_LIBRARIES, "typing", "typing_extensions") and any(
            p.startswith("_") and not (p.startswith("__") and p.endswith("__")) and
            ".".join(parts[:i + 1]) not in _PRIVATE_BASES and
            not _FOREACH.fullmatch(".".join(parts[:i + 1])) for i, p in enumerate(parts)):
        return f"reaches {parts[0]}'s private internals"
    if "*" in parts:       # torch.*.cpp_extension: an entry under torch that ends so
        before, after = parts[:parts.index("*")], parts[len(parts) - parts[::-1].index("*"):]
        for j in range(1, len(after) + 1):
            for key in _NAMES_BY_LAST.get(after[j - 1], ()):
                if key[len(key) - j:] == tuple(after[:j]) and len(key) > len(before) + j - 1 \
                        and key[:len(before)] == tuple(before):
                    return _NAMES[".".join(key)]
    return None


# the entries of _NAMES by their last part, for names with a part not known (torch.*.x)
_NAMES_BY_LAST = {}
for _key in _NAMES:
    _NAMES_BY_LAST.setdefault(_key.rsplit(".", 1)[-1], []).append(tuple(_key.split(".")))


def _library_kind(dotted):
    """"data" for an attribute of torch or numpy that holds plain data now (a setting),
    "missing" for one that does not exist, "other" for anything else (a function, a class, an
    object, an attribute of another module)."""
    found, value = _library_object(dotted)
    if found is None:
        return "other"
    if not found:
        return "missing"
    return "data" if _is_data(value) else "other"


def _library_object(dotted):
    """(True, the object) `dotted` names in this process's torch or numpy, (False, None) when
    its last attribute does not exist, (None, None) when it cannot be told."""
    root, *parts = dotted.split(".")
    if root not in _RESOLVED_LIBRARIES or not parts or len(parts) > 8:
        return None, None
    obj = sys.modules.get(root) or importlib.import_module(root)
    try:
        for part in parts[:-1]:
            obj = getattr(obj, part)
    except Exception:  # noqa: BLE001  any failure (a warning made an error too): not known
        return None, None
    try:
        return True, getattr(obj, parts[-1])
    except AttributeError:
        return False, None
    except Exception:  # noqa: BLE001
        return None, None


def _is_data(value, depth=0):
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return not callable(value)
    if isinstance(value, (list, tuple)) and depth < 2 and len(value) <= 64:
        return all(_is_data(v, depth + 1) for v in value)
    return False


def _pick(origins):
    """A dotted name if any, else "?" if any, else None."""
    best = None
    for origin in origins:
        if origin and origin != "?":
            return origin
        best = best or origin
    return best
