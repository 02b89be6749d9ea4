"""A manual function works out its derivative itself: what it reaches is judged by what it is,
never by a list of what might differentiate (grader.engine.review.by_hand).

- a library function outside the arithmetic a derivative by hand needs (scipy, sympy, mpmath,
  numpy's polynomial calculus and fitting, numpy.gradient, torch.gradient, torch.ops and every
  module that binds it) is a finding that names it; torch's and numpy's arithmetic, the
  standard library, and evaluating a polynomial are not;
- complex numbers are a finding where a manual function makes them, never where it only tests
  a value's type;
- autograd's kernels are found by their names whatever object they are read off;
- a class of her own with arithmetic operators (dual numbers) is a number type of her own.
Each test runs a whole class: several spellings flagged, the honest counterparts clean.
"""
from __future__ import annotations

import importlib
import sys

from grader.engine.review import scan_source

FILE = "ex02_gradient_descent.py"


def _manual(found):
    return [f for f in found if f.what.startswith("a manual function (")]


def _gradient(head, body):
    """An ex02 file whose sample_gradient is `body` (indented lines), after `head`."""
    return f"{head}\n\ndef sample_gradient(x, y, w):\n{body}\n"


def _unflagged(cases):
    """The names of the cases (name -> (head, body)) whose manual function is not flagged."""
    return [name for name, (head, body) in cases.items()
            if not _manual(scan_source(_gradient(head, body), FILE))]


def _flagged(cases):
    return {name: [f.what for f in _manual(scan_source(_gradient(head, body), FILE))]
            for name, (head, body) in cases.items()
            if _manual(scan_source(_gradient(head, body), FILE))}


LOSS = "    f = lambda v: (x * v - y) ** 2\n"
# every tool of numpy, scipy, sympy, mpmath and torch that finds a derivative or fits one
TOOLS = {
    "np.poly1d.deriv": ("import numpy as np", "    p = np.poly1d([x * x, -2 * x * y, y * y])\n"
                        "    return float(p.deriv()(w))"),
    "np.polyder": ("import numpy as np",
                   "    return float(np.polyval(np.polyder([x * x, -2 * x * y, y * y]), w))"),
    "np.polyfit": ("import numpy as np", LOSS + "    ws = np.array([w - 1, w, w + 1])\n"
                   "    a, b, c = np.polyfit(ws, f(ws), 2)\n    return float(2 * a * w + b)"),
    "np.polyint": ("from numpy import polyint", "    return float(polyint([2.0])[0] * x * x * w)"),
    "Polynomial.deriv": ("import numpy as np",
                         "    p = np.polynomial.Polynomial([y * y, -2 * x * y,"
                         " x * x])\n    return float(p.deriv()(w))"),
    "polynomial.polyder": ("from numpy.polynomial import polynomial as P",
                           "    return float(P.polyval(w, P.polyder([y * y, -2 * x * y, x * x])))"),
    "chebyshev.chebder": ("import numpy.polynomial.chebyshev as C",
                          "    return float(C.chebval(w, C.chebder(C.poly2cheb([y * y, -2 * x * y,"
                          " x * x]))))"),
    "np.gradient": ("import numpy as np", LOSS + "    ws = np.array([w - 1e-4, w, w + 1e-4])\n"
                    "    return float(np.gradient(f(ws), ws)[1])"),
    "scipy taylor": ("from scipy.interpolate import approximate_taylor_polynomial as t",
                     LOSS + "    return float(t(lambda d: f(w + d), 0, 1, 1e-3).coeffs[-2])"),
    "scipy approx_fprime": ("import scipy.optimize",
                            LOSS + "    return float(scipy.optimize.approx_fprime([w], "
                                   "lambda v: f(v[0]))[0])"),
    "scipy spline": ("from scipy import interpolate", LOSS +
                     "    ws = [w - 1, w, w + 1, w + 2]\n"
                     "    return float(interpolate.CubicSpline(ws, [f(v) for v in ws])"
                     ".derivative()(w))"),
    "scipy.differentiate": ("import scipy.differentiate as sd",
                            LOSS + "    return float(sd.derivative(f, w).df)"),
    "sympy.diff": ("import sympy", "    s = sympy.Symbol('w')\n"
                   "    return float(sympy.diff((x * s - y) ** 2, s).subs(s, w))"),
    "sympy Derivative": ("from sympy import Derivative, Symbol", "    s = Symbol('s')\n"
                         "    return float(Derivative((x * s - y) ** 2, s).doit().subs(s, w))"),
    "mpmath.diff": ("import mpmath", LOSS + "    return float(mpmath.diff(f, w))"),
    "torch.gradient": ("import torch", LOSS + "    ws = torch.tensor([w - 1e-4, w, w + 1e-4],"
                       " dtype=torch.float64)\n"
                       "    return float(torch.gradient(f(ws), spacing=(ws,))[0][1])"),
    "torch.fft": ("import torch", "    return float(torch.fft.rfft(torch.tensor([w]))[0].real)"),
    "numpy.fft": ("import numpy as np", "    return float(np.fft.rfft([w]).real[0])"),
}


def test_every_tool_that_differentiates_for_a_manual_function_is_flagged_by_name():
    assert _unflagged(TOOLS) == []
    for name, what in _flagged(TOOLS).items():      # each finding names the call
        assert any(("differentiates with" in w or " uses " in w) for w in what), (name, what)


# the same tools carried into a manual function through what the code run at import fills
CARRIED = {
    "a queue": ("import queue\nimport scipy.interpolate\nQ = queue.Queue()\nQ.put(scipy)",
                LOSS + "    m = Q.get()\n"
                       "    return float(m.interpolate.approximate_taylor_polynomial"
                       "(lambda d: f(w + d), 0, 1, 1e-3).coeffs[-2])"),
    "a dict filled at import": ("import sympy\nTOOLS = {}\nTOOLS['d'] = sympy.diff",
                                "    s = TOOLS['d'].__self__ if False else None\n"
                                "    return float(TOOLS['d']((x * w - y) ** 2))"),
    "a list's append": ("import mpmath\nKEEP = []\nKEEP.append(mpmath)",
                        LOSS + "    return float(KEEP[0].diff(f, w))"),
}


def test_a_tool_carried_in_through_what_the_import_filled_is_flagged():
    assert _unflagged(CARRIED) == []
    # the same libraries at the top of the file, beside manual functions that do not read
    # what they fill: not flagged
    head = ("import numpy as np\nimport scipy.special\nimport matplotlib.pyplot as plt\n"
            "XS = np.linspace(0, 1, 5)\nYS = scipy.special.expit(XS)\nplt.plot(XS, YS)")
    assert _manual(scan_source(_gradient(head, "    return 2 * x * (x * w - y)"), FILE)) == []


# what a derivative worked by hand legitimately uses: none of it is a finding
ARITHMETIC = {
    "np.polyval": ("import numpy as np", "    return float(np.polyval([2 * x * x, -2 * x * y],"
                   " w))"),
    "polynomial.polyval (H2)": ("from numpy.polynomial.polynomial import polyval",
                                "    return float(polyval(w, [-2 * x * y, 2 * x * x]))"),
    "np.polynomial.polynomial.polyvander": (
        "import numpy as np", "    v = np.polynomial.polynomial.polyvander(w, 1)\n"
        "    return float(v @ np.array([-2 * x * y, 2 * x * x]))"),
    "np.vander and einsum": ("import numpy as np", "    v = np.vander([w], 2)[0]\n"
                             "    return float(np.einsum('i,i->', v, [2 * x * x, -2 * x * y]))"),
    "math and functools": ("import math, functools, operator",
                           "    parts = [2.0, x, x * w - y]\n"
                           "    return math.fsum([functools.reduce(operator.mul, parts)])"),
    "typing and dataclasses": ("from typing import Sequence\nfrom dataclasses import dataclass"
                               "\n\n\n@dataclass\nclass Sample:\n    x: float\n    y: float",
                               "    s: Sequence[float] = (x, y)\n    d = Sample(*s)\n"
                               "    return 2 * d.x * (d.x * w - d.y)"),
    "torch arithmetic": ("import torch\nimport torch.nn.functional as F",
                         "    t = torch.as_tensor([x, y, w], dtype=torch.float64)\n"
                         "    r = torch.where(t[0] > 0, t[0] * t[2] - t[1], t[0] * t[2] - t[1])\n"
                         "    one = F.one_hot(torch.tensor(0), 2)[0]\n"
                         "    return float(torch.linalg.vecdot(2 * t[0:1] * one, r[None])"
                         " + torch.special.expit(t[0]) * 0)"),
    "numpy linalg and random": ("import numpy as np",
                                "    rng = np.random.default_rng(0)\n"
                                "    _ = rng.standard_normal()\n"
                                "    a = np.linalg.norm([x]) * np.sign(x)\n"
                                "    with np.errstate(all='ignore'):\n"
                                "        return float(2 * a * (a * w - y) * np.finfo(float).eps"
                                " / np.finfo(float).eps)"),
    "scipy.special's elementwise functions": (
        "from scipy.special import expit, logsumexp\nimport scipy.special",
        "    s = expit(x * w - y) - expit(x * w - y) + logsumexp([0.0]) * 0\n"
        "    return float(2 * x * (x * w - y) + s + scipy.special.softmax([1.0])[0] - 1)"),
    "torch no_grad and dtype": ("import torch", "    with torch.no_grad():\n"
                                "        t = torch.tensor(float(w), dtype=torch.get_default_dtype"
                                "())\n        return float(2 * x * (x * t - y))"),
}


def test_the_arithmetic_a_derivative_by_hand_uses_is_not_flagged():
    assert _flagged(ARITHMETIC) == {}


# complex numbers made: each of these computes with complex values
MAKES_COMPLEX = {
    "1j literal": ("", "    return ((x * (w + 1e-20j) - y) ** 2).imag / 1e-20"),
    "complex()": ("import numpy as np", "    z = complex(w, 1e-20)\n"
                  "    return float(np.real(-1e20j * (x * z - y) ** 2))"),
    "np.emath": ("import numpy as np", "    i = np.emath.sqrt(-1.0)\n"
                 "    v = (x * (w + 1e-20 * i) - y) ** 2\n"
                 "    return float(np.real(-i * v) * 1e20)"),
    "np.lib.scimath": ("from numpy.lib import scimath", "    i = scimath.sqrt(-1.0)\n"
                       "    return float(((x * (w + 1e-20 * i) - y) ** 2).real)"),
    "cmath": ("import cmath", "    i = cmath.sqrt(-1)\n"
              "    return (((x * (w + 1e-20 * i) - y) ** 2) / i).real * 1e20"),
    "dtype= keyword": ("import torch", "    z = torch.tensor([w, 1e-20], dtype=torch.complex128)\n"
                       "    return float(z[0].real)"),
    "astype": ("import numpy as np", "    z = np.array([w]).astype(np.complex128)\n"
               "    return float(z.real[0])"),
    ".to()": ("import torch", "    z = torch.tensor([w]).to(torch.cfloat)\n"
              "    return float(z.real[0])"),
    "dtype as text": ("import numpy as np", "    z = np.zeros(2, dtype='c16') + w\n"
                      "    return float(z.real[0])"),
    "view_as_complex": ("import torch", "    z = torch.view_as_complex(torch.tensor([w, 1e-20]))\n"
                        "    return float(z.real)"),
    "torch.polar": ("import torch", "    z = torch.polar(torch.tensor(1.0), torch.tensor(w))\n"
                    "    return float(z.real)"),
    "torch.complex": ("import torch", "    z = torch.complex(torch.tensor(w), torch.tensor(1e-20))"
                      "\n    return float(z.real)"),
    "a complex type kept in a name": ("import numpy as np\nC = np.complex128",
                                      "    return float(np.asarray([w], dtype=C).real[0])"),
    # made by plain arithmetic, read by a part's name: i = (-1.0) ** 0.5, then -(c * i).real
    "a negative number to a fractional power": ("", "    i = (-1.0) ** 0.5\n"
                                                "    c = (x * (w + 1e-20 * i) - y) ** 2\n"
                                                "    return -(c * i).real * 1e20"),
    "(-1) ** (1 / 2)": ("", "    i = (-1) ** (1 / 2)\n    v = (x * (w + 1e-20 * i) - y) ** 2\n"
                        "    return (v - v.conjugate()) / 2e-20"),
    ".real of a power's result": ("import operator", "    i = operator.pow(-1.0, 0.5)\n"
                                  "    return float((-i * (x * (w + 1e-20 * i) - y) ** 2).real)"
                                  " * 1e20"),
    "a part read by __getnewargs__": ("", "    i = pow(-1.0, 0.5)\n"
                                      "    c = (x * (w + 1e-20 * i) - y) ** 2\n"
                                      "    return c.__getnewargs__()[1] * 1e20"),
    "numpy.imag imported": ("from numpy import imag",
                            "    i = pow(-1, 0.5)\n"
                            "    return float(imag((x * (w + 1e-20 * i) - y) ** 2)) * 1e20"),
}


def test_complex_numbers_a_manual_function_makes_are_flagged():
    assert _unflagged(MAKES_COMPLEX) == []


# testing for complex input, and rejecting it: honest guards
GUARDS = {
    "isinstance (H10)": ("", "    if isinstance(w, complex):\n        raise TypeError('real w')\n"
                         "    return 2 * x * (x * w - y)"),
    "dtype in a tuple (H5)": ("import torch", "    t = torch.as_tensor(w)\n"
                              "    if t.dtype in (torch.complex64, torch.complex128):\n"
                              "        raise TypeError('real only')\n"
                              "    return 2 * x * (x * w - y)"),
    "a module-level tuple": ("import torch\n_REAL_ONLY = (torch.complex64, torch.complex128)",
                             "    if torch.as_tensor(w).dtype in _REAL_ONLY:\n"
                             "        raise TypeError('real only')\n"
                             "    return 2 * x * (x * w - y)"),
    "== comparison": ("import numpy as np", "    if np.asarray(w).dtype == np.complex128:\n"
                      "        raise TypeError\n    return 2 * x * (x * w - y)"),
    "issubdtype": ("import numpy as np", "    if np.issubdtype(np.asarray(w).dtype, "
                   "np.complexfloating):\n        raise TypeError\n"
                   "    return 2 * x * (x * w - y)"),
    "iscomplexobj and is_complex": ("import numpy as np\nimport torch",
                                    "    if np.iscomplexobj(w) or torch.is_complex("
                                    "torch.as_tensor(w)):\n        raise TypeError\n"
                                    "    return 2 * x * (x * w - y)"),
    "isinstance with a tuple": ("import numpy as np",
                                "    assert not isinstance(w, (complex, np.complexfloating))\n"
                                "    return 2 * x * (x * w - y)"),
}


def test_a_manual_function_that_only_tests_for_complex_numbers_is_not_flagged():
    assert _flagged(GUARDS) == {}


# powers of negative numbers that stay real, and roots of what is not negative
REAL_POWERS = {
    "alternating signs": ("", "    s = sum((-1) ** k for k in range(3))\n"
                          "    return 2 * x * (x * w - y) * s"),
    "a negative number squared": ("", "    return 2 * x * (x * w - y) * (-1.0) ** 2"),
    "a square root of an absolute value": ("", "    r = abs(x) ** 0.5\n"
                                          "    return 2 * x * (x * w - y) + 0 * r"),
    "minus a root": ("", "    return 2 * x * (x * w - y) - 2.0 ** 0.5 * 0"),
    # a field of her own named like a part
    "a namedtuple's field": ("from collections import namedtuple\n"
                             "Pair = namedtuple('Pair', 'pred real')",
                             "    p = Pair(x * w, y)\n    return 2 * x * (p.pred - p.real)"),
    "a NamedTuple's field": ("from typing import NamedTuple\n\n\nclass Pair(NamedTuple):\n"
                             "    pred: float\n    real: float",
                             "    p = Pair(x * w, y)\n    return 2 * x * (p.pred - p.real)"),
}


def test_powers_that_stay_real_are_not_flagged():
    assert _flagged(REAL_POWERS) == {}


LAYERS = ("import numpy as np\n\n\nclass Affine:\n    def forward(self, x, w):\n"
          "        self.x = x\n        return x * w\n\n    def backward(self, d):\n"
          "        return d * self.x\n\n    def affine_backward(self, d):\n"
          "        return self.backward(d)\n\n    def __call__(self, x, w):\n"
          "        return self.forward(x, w)\n\n\nclass Square:\n    def forward(self, r):\n"
          "        self.r = r\n        return r * r\n\n    def backward(self, d):\n"
          "        return 2 * self.r * d\n\n    def __repr__(self):\n        return 'Square'\n\n"
          "    def __eq__(self, other):\n        return isinstance(other, Square)\n\n\n"
          "def relu_backward(d, cache):\n    return d * (cache > 0)")


# autograd's own backward kernels, reached five ways
KERNELS = {
    "torch.ops.aten": ("import torch", "    t = torch.tensor([x * w - y])\n"
                       "    return float(torch.ops.aten.mse_loss_backward(torch.ones(()), t, "
                       "torch.zeros(1), 2) * x)"),
    "the flop counter's alias": ("from torch.utils.flop_counter import aten",
                                 "    import torch\n    t = torch.tensor([x * w - y])\n"
                                 "    return float(aten.mse_loss_backward(torch.ones(()), t,"
                                 " torch.zeros(1), 2) * x)"),
    "torch._refs' alias": ("from torch._refs import aten as ops",
                           "    import torch\n"
                           "    return float(ops.convolution_backward.default)"),
    "an exception's args": ("import torch", "    try:\n        raise ValueError(torch)\n"
                            "    except ValueError as e:\n        m = e.args[0]\n"
                            "    t = m.tensor([x * w - y])\n"
                            "    return float(m.ops.aten.mse_loss_backward(m.ones(()), t, "
                            "m.zeros(1), 2) * x)"),
    "a generator's send": ("import torch\n\n\ndef relay():\n    got = yield\n    while True:\n"
                           "        got = yield got",
                           "    g = relay()\n    next(g)\n    m = g.send(torch)\n"
                           "    k = m.ops.aten\n"
                           "    return float(k.convolution_backward(m.ones(1), m.ones(1),"
                           " m.ones(1), None, [1], [0], [1], False, [0], 1,"
                           " [False, True, False])[1] * x)"),
    "names given to getattr": ("import torch\nNAME = 'aten'",
                               "    try:\n        raise KeyError(torch)\n"
                               "    except KeyError as e:\n        m = e.args[0]\n"
                               "    k = getattr(getattr(m, 'ops'), NAME)\n"
                               "    return float(getattr(k, 'mse_loss_backward')(w) * x)"),
    "a queue": ("import queue\nimport torch\nQ = queue.Queue()\nQ.put(torch)",
                "    m = Q.get()\n    return float(m.nn.functional.x_backward_data(w) * x)"),
}


def test_autograds_kernels_are_flagged_however_they_are_reached_and_her_own_are_hers():
    assert _unflagged(KERNELS) == []
    # her own layers, their backward methods and her own *_backward functions: hers
    body = ("    layers = [Affine(), Square()]\n    out = layers[0](x, w) - y\n"
            "    layers[1].forward(out)\n    d = 1.0\n    for layer in reversed(layers):\n"
            "        d = layer.backward(d)\n    d2 = layers[0].affine_backward(1.0)\n"
            "    return float(relu_backward(np.asarray(d), np.asarray(1.0)) + 0 * d2)")
    assert _manual(scan_source(_gradient(LAYERS, body), FILE)) == []
    # her layer class in a module of her own: its methods are names this file does not define
    own = _gradient("from layers import Affine", "    a = Affine()\n    a.forward(x, w)\n"
                    "    return a.affine_backward(2 * (x * w - y))")
    assert _manual(scan_source(own, FILE)) == []


def test_every_module_that_binds_torch_ops_is_torch_ops():
    """Found by what they are: every loaded module of torch's that binds torch.ops.aten (the
    flop counter, fx, the decompositions, the references, ...) reaches autograd's kernels."""
    import torch
    from grader.engine.review import by_hand
    for name in ("torch.utils.flop_counter", "torch._refs", "torch._decomp",
                 "torch.fx.experimental.proxy_tensor"):
        importlib.import_module(name)
    aliases = [f"{name}.{k}" for name, m in list(sys.modules.items())
               if name.startswith("torch.") and m is not None
               for k, v in list(vars(m).items()) if v is torch.ops.aten]
    assert len(aliases) >= 4
    for alias in aliases:
        assert by_hand._library_use(alias + ".mse_loss_backward"), alias
        code = _gradient(f"from {alias.rpartition('.')[0]} import {alias.rpartition('.')[2]}"
                         f" as k", "    return float(k.mse_loss_backward.default) * x")
        assert _manual(scan_source(code, FILE)), alias


# number types of her own: operators that carry a derivative along
DUALS = {
    "add and mul": ("class Dual:\n    def __init__(self, v, d):\n        self.v, self.d = v, d\n"
                    "    def __add__(self, o):\n        o = o if isinstance(o, Dual) else "
                    "Dual(o, 0)\n        return Dual(self.v + o.v, self.d + o.d)\n"
                    "    def __mul__(self, o):\n        o = o if isinstance(o, Dual) else "
                    "Dual(o, 0)\n        return Dual(self.v * o.v, self.v * o.d + self.d * o.v)",
                    "    r = Dual(w, 1.0) * x + (-y)\n    return (r * r).d"),
    "reflected operators by assignment": (
        "class Num:\n    def __init__(self, v, d=0.0):\n        self.v, self.d = v, d\n"
        "    def __rmul__(self, k):\n        return Num(k * self.v, k * self.d)\n"
        "    __radd__ = lambda self, k: Num(k + self.v, self.d)\n"
        "    def __neg__(self):\n        return Num(-self.v, -self.d)\n"
        "    def square(self):\n        return Num(self.v ** 2, 2 * self.v * self.d)",
        "    return (-y + x * Num(w, 1.0)).square().d"),
    "kept in a helper": ("class _Jet:\n    def __init__(self, a, b):\n"
                         "        self.a, self.b = a, b\n"
                         "    def __sub__(self, o):\n        return _Jet(self.a - o, self.b)\n"
                         "    def __pow__(self, k):\n"
                         "        return _Jet(self.a ** k, k * self.a ** (k - 1) * self.b)\n"
                         "    def __rmul__(self, k):\n        return _Jet(k * self.a, k * self.b)"
                         "\n\n\ndef _slope(f, w):\n    return f(_Jet(w, 1.0)).b",
                         "    return _slope(lambda v: (x * v - y) ** 2, w)"),
    "operators set afterwards": ("class D:\n    def __init__(self, v, d):\n"
                                 "        self.v, self.d = v, d\n\n\n"
                                 "D.__mul__ = lambda a, k: D(a.v * k, a.d * k)\n"
                                 "setattr(D, '__sub__', lambda a, k: D(a.v - k, a.d))",
                                 "    r = D(w, 1.0) * x - y\n    return 2 * r.v * r.d"),
    "a class made by type()": ("def _mul(a, k):\n    return Z(a.v * k, a.d * k)\n\n\n"
                               "def _sub(a, k):\n    return Z(a.v - k, a.d)\n\n\n"
                               "Z = type('Z', (), {'__init__': lambda s, v, d: s.__dict__.update"
                               "(v=v, d=d), '__mul__': _mul, '__sub__': _sub})",
                               "    r = Z(w, 1.0) * x - y\n    return 2 * r.v * r.d"),
    "numpy's dispatch": ("import numpy as np\n\n\nclass Jet:\n    def __init__(self, a, b):\n"
                         "        self.a, self.b = a, b\n"
                         "    def __array_ufunc__(self, ufunc, method, *args, **kw):\n"
                         "        return NotImplemented",
                         "    return np.multiply(Jet(w, 1.0), x).b"),
}


def test_a_number_type_of_her_own_is_flagged_as_forward_mode_by_hand():
    """A class with two arithmetic operators or more is one; a class with one or none (a
    pair that adds, a layer with forward, backward and __call__) is not."""
    assert _unflagged(DUALS) == []
    for name, what in _flagged(DUALS).items():
        assert any("number type of its own" in w for w in what), (name, what)
    head = ("class Pair:\n    def __init__(self, a, b):\n        self.a, self.b = a, b\n"
            "    def __add__(self, o):\n        return Pair(self.a + o.a, self.b + o.b)\n"
            "    def __eq__(self, o):\n        return (self.a, self.b) == (o.a, o.b)\n"
            "    def __iter__(self):\n        return iter((self.a, self.b))")
    body = "    a, b = Pair(x, y) + Pair(0.0, 0.0)\n    return 2 * a * (a * w - b)"
    assert _manual(scan_source(_gradient(head, body), FILE)) == []
    assert _manual(scan_source(_gradient(LAYERS, "    return Square().backward(x * w - y) * x"),
                               FILE)) == []
