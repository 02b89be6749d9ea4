"""What a derivative worked by hand may use, by what each thing is: the review of the library
functions, complex numbers, autograd's kernels and number types of her own that a manual
function reaches.

A manual function works out its derivative itself. What it reaches of a library is allowed
by family, not forbidden by a list of what might differentiate (_library_use):

- the standard library, but cmath (no calculus in it);
- torch's and numpy's arithmetic: array and tensor creation, elementwise math, reductions,
  shapes and indexing, linear algebra, random draws (torch, torch.nn.functional, torch.linalg,
  torch.special, torch.random; numpy, numpy.linalg, numpy.random), and evaluating a
  polynomial (numpy.polyval, numpy.polynomial's *val and *vander functions);
- scipy.special's elementwise functions (expit, logsumexp: no differentiation in them);
- what shows progress or a plot beside the work (tqdm, matplotlib);
- her own modules (not installed on the grading side: they are reviewed as hers).

Anything else is a finding that names the call: another library (scipy, sympy, mpmath, ...),
another part of torch or numpy (torch.ops and whatever binds an object of it, torch.utils,
numpy.fft, numpy.emath ...), numpy's polynomial calculus and fitting (poly1d, polyder,
polyfit, Polynomial, ...), numpy.gradient and torch.gradient. Complex numbers are a finding
where a manual function makes them (_makes_complex), never where it only tests for them.
Autograd's kernels are found by their names (rules.KERNEL_NAME) on objects the text does not
show to be hers, and a class of her own with arithmetic operators is a number type (dual
numbers: forward-mode differentiation written by hand).
"""
from __future__ import annotations

import ast
import functools
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import re
import sys

from grader.engine.review.autograd_names import (AUTOGRAD, MAKERS, SWITCHES, TURNS_OFF,
                                                 _spellings, _under)
from grader.engine.review.rules import KERNEL_NAME
from grader.engine.review.syntax import _is_self

# where a derivative worked by hand finds its arithmetic, by library: the modules whose public
# functions, classes and constants it may use
_TORCH_HOMES = ("torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.linalg",
                "torch.special", "torch.random", "torch.types", "torch.nn.parameter",
                "torch.testing")
_TORCH_TREES = ("torch.cuda", "torch.backends", "torch.nn.modules")    # and all under them
# what torch's own namespace holds that is its arithmetic, by the module that defines it
_TORCH_DEFINERS = ("torch", "torch.functional", "torch.random", "torch._tensor",
                   "torch._tensor_str", "torch._linalg_utils", "torch._lowrank",
                   "torch.serialization", "torch.storage", "torch.types", "builtins",
                   "torch.autograd.grad_mode", "torch.nn", "torch._C._nn", "torch._C._linalg",
                   "torch._C._special", "torch._C._VariableFunctions")
_NUMPY_HOMES = ("numpy", "numpy.linalg", "numpy.random", "numpy.typing", "numpy.testing")
# and the few of torch._C's own: its random generators (not DisableTorchFunction)
_TORCH_C = ("Generator", "default_generator")
# numpy.polynomial's functions that evaluate a series (polyval, chebval2d, legvander, ...)
_EVALUATES = re.compile(r"(?:poly|cheb|leg|herm|herme|lag)(?:val|grid|vander)(?:2d|3d)?")
# what shows progress or a plot beside the work (a training loop's bar, its loss curve)
_SHOWS = ("tqdm", "matplotlib", "IPython.display")
# elementwise special functions outside torch and numpy (expit, logsumexp, softmax): no
# differentiation in them
_SPECIAL = ("scipy.special",)
# what only tests a value's type, whatever type it is given
_TESTS = ("builtins.isinstance", "builtins.issubclass", "numpy.issubdtype", "numpy.isdtype",
          "numpy.can_cast")
# what takes a dtype as text ("complex128", "c16", "D")
_TAKES_DTYPE = frozenset({"astype", "to", "view", "type", "dtype", "new_tensor"})
# the operators that make a class a number type
ARITHMETIC = frozenset({"__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__",
                        "__mul__", "__rmul__", "__imul__", "__truediv__", "__rtruediv__",
                        "__itruediv__", "__pow__", "__rpow__", "__neg__", "__matmul__",
                        "__rmatmul__", "__floordiv__", "__rfloordiv__"})
# what gives a class every operator at once (numpy's and torch's dispatch to her code)
OVERRIDES = frozenset({"__array_ufunc__", "__array_function__", "__torch_function__",
                       "__torch_dispatch__"})
# what the review of autograd's names judges (manual._autograd), not this module
_JUDGED = AUTOGRAD + TURNS_OFF + SWITCHES + MAKERS
OUTSIDE = "uses "         # how a finding of this module's starts (manual._OWN_WORDS)
MAKES = "makes complex numbers"
PARTS_READ = "or reads their parts"     # (manual: told only where nothing else is on the line)
KERNELS = "reaches autograd's kernels"
NUMBER_TYPE = "computes with a number type of its own"


def _calculus(obj) -> bool:
    """Whether `obj` is one of numpy's or torch's tools that differentiate or fit for you:
    numpy's polynomial calculus and fitting (all of numpy.lib's polynomial module but
    polyval), numpy.gradient, torch.gradient (torch only where it is loaded already)."""
    torch = sys.modules.get("torch")
    return id(obj) in _numpy_calculus() or torch is not None and obj is torch.gradient


@functools.lru_cache(maxsize=None)
def _numpy_calculus() -> frozenset:
    import numpy
    from numpy.lib import _polynomial_impl as poly
    return frozenset(map(id, [getattr(poly, n) for n in poly.__all__ if n != "polyval"] +
                         [numpy.gradient]))


def _complex_maker(obj) -> bool:
    """torch's functions that make complex tensors (torch only where it is loaded already)."""
    torch = sys.modules.get("torch")
    return torch is not None and any(obj is getattr(torch, n, None) for n in (
        "complex", "polar", "view_as_complex", "view_as_complex_copy"))


@functools.lru_cache(maxsize=4096)
def _resolve(origin: str):
    """(the module that holds it, the object) `origin` names in torch or numpy, importing
    torch's and numpy's public submodules it names; (None, None) where it names nothing."""
    parts = origin.split(".")
    if len(parts) > 10 or not all(p.isidentifier() for p in parts):
        return None, None
    obj = home = sys.modules.get(parts[0]) or importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        loaded = sys.modules.get(".".join(parts[:i + 1]))
        try:        # a module by its dotted name first: `from torch.x.y import aten`
            obj = loaded if inspect.ismodule(loaded) else inspect.getattr_static(obj, part)
        except AttributeError:
            name = ".".join(parts[:i + 1])
            if not inspect.ismodule(obj) or part.startswith("_") or \
                    importlib.util.find_spec(name) is None:
                return None, None
            try:
                obj = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a submodule that does not import here
                return None, None
        except Exception:  # noqa: BLE001 - a name that cannot be read without running code
            return None, None
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if _is_aten(obj):
            return home, obj       # torch.ops, whatever binds it: its operators are made
        if inspect.ismodule(obj):   # on demand
            home = obj
    return home, obj


def _is_aten(obj) -> bool:
    """torch.ops, an operator namespace of it (torch.ops.aten, whatever module binds it: the
    flop counter's `aten`, fx's, torch._refs'), or one of its operators."""
    return type(obj).__module__ in ("torch._ops", "torch._ops.aten") or \
        getattr(obj, "__module__", "") in ("torch._ops", "torch._ops.aten")


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


@functools.lru_cache(maxsize=4096)
def _library_use(origin: str) -> str:
    """'' where the dotted name a manual function reaches is of a family a derivative worked
    by hand uses (see the module's docstring), else what it is."""
    root = origin.split(".")[0]
    if root in ("torch", "numpy"):
        try:
            home, obj = _resolve(origin)
        except Exception:  # noqa: BLE001 - torch or numpy not there: nothing to tell
            return ""
        if home is None:     # no such name (it runs nowhere), or a private module not loaded
            return f"{OUTSIDE}{origin}, outside the arithmetic a derivative worked by hand " \
                   f"needs" if any(_private(p) for p in origin.split(".")[1:]) else ""
        if root == "torch" and _is_aten(obj):
            return f"{KERNELS} ({origin}: torch.ops)"
        if _calculus(obj):
            return f"differentiates with {origin}, which finds the derivative for it"
        where = getattr(home, "__name__", "")
        if root == "torch":
            defined = getattr(obj, "__module__", None) if not inspect.ismodule(obj) else where
            ok = (where in _TORCH_HOMES or _under(where, _TORCH_TREES)) and (
                where != "torch" or not isinstance(defined, str) or
                defined in _TORCH_DEFINERS or defined.startswith("torch.nn.") or
                defined == "torch._C" and origin.rsplit(".", 1)[1] in _TORCH_C)
        else:
            ok = where in _NUMPY_HOMES or where.startswith("numpy.polynomial.") and \
                _EVALUATES.fullmatch(origin.rsplit(".", 1)[1]) is not None
        return "" if ok else f"{OUTSIDE}{origin}, outside the arithmetic a derivative worked " \
                             f"by hand needs"
    if root in sys.stdlib_module_names or root == "builtins" or \
            _under(origin, _SHOWS + _SPECIAL) and not any(map(_private, origin.split("."))):
        return ""
    if _installed(root):
        return f"{OUTSIDE}{origin}, a library outside the arithmetic a derivative worked by " \
               f"hand needs"
    return ""        # a module of her own, reviewed as hers


@functools.lru_cache(maxsize=4096)
def _installed(root: str) -> bool:
    """Whether a top-level name is installed where the grader runs, outside the working folder
    (a student's own module there is hers)."""
    here = {"", ".", os.getcwd()}
    return root.isidentifier() and importlib.machinery.PathFinder.find_spec(
        root, [p for p in sys.path if p not in here]) is not None


@functools.lru_cache(maxsize=4096)
def _complex_kind(origin: str) -> str:
    """'maker' for what makes complex numbers when used (cmath, numpy.emath, torch.polar,
    ...), 'type' for a complex type or dtype (made where it is given as one), else ''."""
    root = origin.split(".")[0]
    if root == "cmath" or origin == "builtins.complex":
        return "maker" if root == "cmath" else "type"
    if root not in ("torch", "numpy"):
        return ""
    try:
        home, obj = _resolve(origin)
    except Exception:  # noqa: BLE001
        return ""
    if home is None:
        return ""
    import numpy
    torch = sys.modules.get("torch")
    if "scimath" in getattr(home, "__name__", "") or \
            "scimath" in str(getattr(obj, "__module__", "")) or _complex_maker(obj):
        return "maker"
    if isinstance(obj, type) and issubclass(obj, numpy.complexfloating) or \
            torch is not None and isinstance(obj, torch.dtype) and obj.is_complex or \
            isinstance(obj, numpy.dtype) and obj.kind == "c":
        return "type"
    return ""


def _complex_text(text: str) -> bool:
    if len(text) > 16 or not text.strip():
        return False
    import numpy
    try:
        return numpy.dtype(text).kind == "c"
    except Exception:  # noqa: BLE001 - not a dtype's name
        return text in ("complex32", "chalf", "cfloat", "cdouble")


# what reads a part of a complex number (complex-step differentiation reads the imaginary one:
# z.imag, or z.real of z times -i, z.conjugate()); a real number has no use for them
_PARTS = frozenset({"imag", "real", "conjugate", "conj", "conj_physical", "view_as_real",
                    "view_as_real_copy", "real_if_close", "__getnewargs__", "__reduce__",
                    "__reduce_ex__"})


def _negative(node) -> bool:
    """A negative number written out: -1, -1.0, (-0.5)."""
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
        isinstance(node.operand, ast.Constant) and \
        type(node.operand.value) in (int, float) and node.operand.value > 0


def _fraction(node) -> bool:
    """A number written out that is not whole (0.5, 1 / 3, .25): a negative number to such a
    power is complex in Python (-1.0) ** 0.5 == 1j."""
    try:
        value = ast.literal_eval(node) if not isinstance(node, ast.BinOp) else \
            ast.literal_eval(node.left) / ast.literal_eval(node.right)
    except Exception:  # noqa: BLE001 - not a number written out
        return False
    return type(value) is float and not value.is_integer()


class _ByHand:
    """The review of a manual function's reach by what each thing is (the module's docstring);
    a mixin of the file's review."""

    def _by_hand(self, node, outer) -> str:
        """What `node`, reached from a manual function, is that a derivative worked by hand
        never needs ('' for nothing)."""
        what = self._makes_complex(node, outer)
        if what or not isinstance(node, (ast.Name, ast.Attribute, ast.ClassDef, ast.Constant,
                                         ast.Call)):
            return what
        if isinstance(node, (ast.ClassDef, ast.Call)):
            return self._number_type(node)
        if isinstance(node, ast.Constant):     # getattr(m, "mse_loss_backward")
            text = node.value if isinstance(node.value, str) else ""
            return f"{KERNELS} ({text!r}, looked up by name)" if len(text) < 100 and \
                KERNEL_NAME.search(text) and text not in self._her_names() and \
                self._looked_up(node, self._parents.get(id(node))) else ""
        if isinstance(node, ast.Attribute):
            what = self._kernel_name(node)
            if what or not outer:
                return what
        elif not outer:
            return ""
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if not isinstance(origin, str) or origin == "?":
            return ""
        use = _library_use(origin)
        if use.startswith(KERNELS) or not any(_under(n, _JUDGED) for n in _spellings(origin)):
            return use
        return ""          # autograd's names: judged as autograd (manual._past_watch)

    def _off_family(self, node) -> bool:
        """Whether the code run at import reaches a library function outside the families
        (module-level Q.put(scipy), for a manual call to take out of Q): what it fills is
        then filled with it (import_time._made_at_import)."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return False
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if not isinstance(origin, str) or origin == "?":
            return False
        use = _library_use(origin)
        return bool(use) and (use.startswith(KERNELS) or not any(
            _under(n, _JUDGED) for n in _spellings(origin)))

    def _makes_complex(self, node, outer) -> str:
        parent = self._parents.get(id(node))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, complex):
                return f"{MAKES} ({node.value!r})"
            if isinstance(node.value, str) and self._dtype_given(node, parent) and \
                    _complex_text(node.value):
                return f"{MAKES} (dtype {node.value!r})"
            return ""
        if isinstance(node, ast.Attribute) and node.attr in _PARTS and \
                isinstance(node.ctx, ast.Load) and node.attr not in self._her_fields():
            return f"{MAKES} {PARTS_READ} (.{node.attr})"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and \
                _negative(node.left) and _fraction(node.right):
            return f"{MAKES} (a negative number to a fractional power)"
        if not isinstance(node, (ast.Name, ast.Attribute)) or not outer:
            return ""
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if not isinstance(origin, str) or origin == "?":
            return ""
        if origin.rpartition(".")[2] in _PARTS and origin.split(".")[0] in ("numpy", "torch"):
            return f"{MAKES} {PARTS_READ} ({origin})"     # from numpy import imag
        kind = _complex_kind(origin)
        if kind == "maker" or kind == "type" and self._given_as_type(node, parent):
            return f"{MAKES} ({origin})"
        return ""

    def _dtype_given(self, node, parent) -> bool:
        """A string given where a dtype is: dtype="c16", x.astype("complex128"), .to(...)."""
        if isinstance(parent, ast.keyword):
            return parent.arg == "dtype"
        return isinstance(parent, ast.Call) and node in parent.args and \
            isinstance(parent.func, ast.Attribute) and parent.func.attr in _TAKES_DTYPE

    def _given_as_type(self, node, parent) -> bool:
        """A type called, or given to a call that is not a test of a value's type:
        complex(w, h), dtype=torch.cfloat, x.to(torch.complex64), np.zeros(3, complex); not
        isinstance(w, complex), z.dtype in (torch.complex64, ...), z.dtype == np.complex128."""
        while isinstance(parent, (ast.Tuple, ast.List, ast.Set, ast.Starred)):
            node, parent = parent, self._parents.get(id(parent))
        if isinstance(parent, ast.keyword):
            node, parent = parent, self._parents.get(id(parent))
        if not isinstance(parent, ast.Call):
            return False
        if parent.func is node:
            return True
        func = self.origin(parent.func, self.scope_of.get(id(parent), self.module))
        return not (isinstance(func, str) and func in _TESTS)

    def _kernel_name(self, node) -> str:
        """Autograd's kernels by their names (rules.KERNEL_NAME: mse_loss_backward, aten, ...)
        read off an object the text does not show to be hers or a library's it names (a
        module carried through an exception, a generator, a queue): unless her own code
        defines that name."""
        if not isinstance(node.ctx, ast.Load) or not KERNEL_NAME.search(node.attr) or \
                _is_self(node.value) or node.attr in self._her_names():
            return ""
        scope = self.scope_of.get(id(node), self.module)
        base = self.origin(node.value, scope)
        if base not in (None, "?") or self._own_class(node.value, scope):
            return ""      # a name the text resolves: judged by what it is (_library_use)
        if base is None and node.attr != "aten" and self._imports_own():
            return ""      # an object of a class her own module defines (layers.Affine())
        return f"{KERNELS} ({node.attr}, of an object it does not name)"

    def _imports_own(self) -> bool:
        """Whether the file imports a module of her own (one not installed where the grader
        runs, or a relative import): its classes' methods are names this file does not
        define."""
        if not hasattr(self, "_own_imports"):
            roots = [a.name.split(".")[0] for n, *_ in self.visits if isinstance(n, ast.Import)
                     for a in n.names] + \
                [(n.module or "").split(".")[0] if not n.level else "" for n, *_ in self.visits
                 if isinstance(n, ast.ImportFrom)]
            self._own_imports = any(not r or r not in sys.stdlib_module_names and
                                    not _installed(r) for r in roots)
        return self._own_imports

    def _her_names(self) -> frozenset:
        """The names her own code defines: functions, classes, and attributes it sets."""
        if not hasattr(self, "_defined_names"):
            self._defined_names = frozenset(
                [n.name for n, *_ in self.visits if isinstance(
                    n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))] +
                list(self.attrs))
        return self._defined_names

    def _her_fields(self) -> frozenset:
        """The names her code defines, and the fields of her classes: annotated or assigned in
        a class body, or named to namedtuple (Pair = namedtuple("Pair", "pred real"))."""
        if not hasattr(self, "_field_names"):
            fields = set(self._her_names())
            for node, *_ in self.visits:
                if isinstance(node, ast.ClassDef):
                    for stmt in node.body:
                        targets = [stmt.target] if isinstance(stmt, ast.AnnAssign) else \
                            stmt.targets if isinstance(stmt, ast.Assign) else []
                        fields.update(t.id for t in targets if isinstance(t, ast.Name))
                elif isinstance(node, ast.Call) and getattr(
                        node.func, "attr", getattr(node.func, "id", "")) == "namedtuple":
                    for arg in node.args[1:2]:
                        items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
                        for item in items:
                            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                                fields.update(item.value.replace(",", " ").split())
            self._field_names = frozenset(fields)
        return self._field_names

    def _number_type(self, node) -> str:
        """A class of her own that defines two or more arithmetic operators, or takes every
        operator at once from numpy's or torch's dispatch (__array_ufunc__,
        __torch_function__): a manual function computing with it (a dual number) carries
        derivatives along by its operators. Its operators may be in its body, set on it
        afterwards (Dual.__mul__ = ...), or given to type("Dual", (), {...})."""
        if isinstance(node, ast.Call):
            func = self.origin(node.func, self.scope_of.get(id(node), self.module))
            if func != "builtins.type" or len(node.args) != 3 or \
                    not isinstance(node.args[2], ast.Dict):
                return ""
            name = "a class made by type()"
            names = {k.value for k in node.args[2].keys if isinstance(k, ast.Constant)}
        else:
            name = node.name
            names = {d.name for d in node.body if isinstance(d, (ast.FunctionDef,
                                                                 ast.AsyncFunctionDef))}
            names |= {t.id for s in node.body if isinstance(s, (ast.Assign, ast.AnnAssign))
                      for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
                      if isinstance(t, ast.Name)}
            names |= self._operators_set().get(node.name, set())
        ops = sorted(names & ARITHMETIC) or sorted(names & OVERRIDES) * 2
        if len(ops) < 2:
            return ""
        ops = sorted(set(ops))
        return f"{NUMBER_TYPE} ({name}, with {', '.join(ops[:4])}" + \
            (", ..." if ops[4:] else "") + "): operators that carry derivatives along, " \
            "forward-mode differentiation written by hand"

    def _operators_set(self) -> dict:
        """{class name: the operators the file sets on a name of that name afterwards}
        (Dual.__add__ = add; setattr(Dual, "__mul__", mul))."""
        if not hasattr(self, "_set_operators"):
            found = {}
            for n, *_ in self.visits:
                if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and \
                        isinstance(n.value, ast.Name) and n.attr in ARITHMETIC | OVERRIDES:
                    found.setdefault(n.value.id, set()).add(n.attr)
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                        n.func.id == "setattr" and len(n.args) == 3 and \
                        isinstance(n.args[0], ast.Name) and \
                        isinstance(n.args[1], ast.Constant) and \
                        n.args[1].value in ARITHMETIC | OVERRIDES:
                    found.setdefault(n.args[0].id, set()).add(n.args[1].value)
            self._set_operators = found
        return self._set_operators
