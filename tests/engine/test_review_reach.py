"""What the review reads of a submission is all of it, however the code is spelled, or it says
where it stopped:

- a `match` statement reads attributes, items and elements of its subject: every rule sees
  them as it sees the same reads written plainly (`case object(_getframe=f)` is sys._getframe);
- every limit the review has (a chain of aliases, an attribute chain, the code a manual
  function reaches, the bindings of one name) is a finding where it is reached, never a silent
  stop: what lies past it was not read;
- a manual function is every function CURRICULUM.md asks to be worked by hand (ex02's two
  descents, ex11's fit_numpy), and what finds a derivative without autograd (sympy, mpmath,
  complex-step differentiation) is not by hand either.
Honest code of the same shapes (a match on the student's own data, long programs) stays clean.
"""
from __future__ import annotations

import pytest

import grader.engine.review.manual as manual
from grader.engine.review import scan_source
from grader.engine.review.autograd_names import MANUAL

# plain reads the review flags, as (subject, attribute, what the finding says)
READS = [("sys", "_getframe", "sys._getframe"), ("sys", "modules", "sys.modules"),
         ("torch.autograd.Variable", "_execution_engine", "_execution_engine"),
         ("gc", "get_objects", "gc.get_objects"), ("builtins", "__dict__", "builtins")]
HEAD = "import sys, gc, builtins, torch\n"


def _patterns(subject, attr):
    """The ways a match statement reads `subject.attr` into v."""
    return {
        "class keyword": f"match {subject}:\n    case object({attr}=v):\n        v\n",
        "nested class": f"match [{subject}]:\n    case [object({attr}=v)]:\n        v\n",
        "as and or": f"match {subject}:\n    case object({attr}=v) | type({attr}=v) as s:\n"
                     f"        v\n",
        "mapping": f"match {{'k': {subject}}}:\n    case {{'k': object({attr}=v)}}:\n        v\n",
        "guard": f"match {subject}:\n    case object({attr}=v) if v:\n        pass\n",
    }


@pytest.mark.parametrize("subject,attr,what", READS)
def test_match_patterns_are_read_as_the_reads_they_make(subject, attr, what):
    plain = scan_source(HEAD + f"v = {subject}.{attr}\n", "ex01_linear_model.py")
    assert plain and any(what in f.what for f in plain)
    for how, code in _patterns(subject, attr).items():
        found = scan_source(HEAD + code, "ex01_linear_model.py")
        assert any(what in f.what for f in found), (how, found)
        assert all(f.line >= 2 for f in found), (how, found)     # on the match's lines


CONTAINERS = {
    "a literal's item": "v = [{s}][0].{a}\n",
    "a tuple's slice": "v = (1, {s})[1:][0].{a}\n",
    "a name's item": "held = [{s}]\nv = held[0].{a}\n",
    "a dict's value": "held = {{'k': {s}}}\nv = held['k'].{a}\n",
    "an item put in": "held = {{}}\nheld['k'] = {s}\nv = held.get('k').{a}\n",
    "an appended item": "held = []\nheld.append({s})\nv = held[-1].{a}\n",
    "a loop's item": "for m in list(({s},)):\n    v = m.{a}\n",
    "values()": "held = {{'k': {s}}}\nfor m in held.values():\n    v = m.{a}\n",
}


@pytest.mark.parametrize("subject,attr,what", READS[:4])
@pytest.mark.parametrize("how", CONTAINERS)
def test_a_library_kept_in_a_container_is_still_that_library(how, subject, attr, what):
    """A module put in a list, a dict or a tuple and taken out again is the same module: the
    reads off it are checked as the plain ones are (they read as "some library object",
    unchecked, before)."""
    found = scan_source(HEAD + CONTAINERS[how].format(s=subject, a=attr), "ex01_linear_model.py")
    assert any(what in f.what for f in found), found


# ways a value reaches a name that the review does not follow: what the name then holds is
# not told by the text ({s}: the module, {a}: the attribute read off it)
CARRIERS = {
    "an exception": "try:\n    raise Exception({s})\nexcept Exception as e:\n    v = e.args[0].{a}\n",
    "a generator's send": "def g():\n    x = yield\n    v = x.{a}\nit = g()\nnext(it)\nit.send({s})\n",
    "keyword arguments": "def f(**kw):\n    return kw['m'].{a}\nf(m={s})\n",
    "a dataclass": "from dataclasses import dataclass\n@dataclass\nclass H:\n    m: object\n"
                   "v = H({s}).m.{a}\n",
    "a namespace": "import types\nv = types.SimpleNamespace(m={s}).m.{a}\n",
    "functools.reduce": "import functools\nv = functools.reduce(lambda a, b: b, [1, {s}]).{a}\n",
    "a deque": "import collections\nv = collections.deque([{s}])[0].{a}\n",
    "a property": "class H:\n    @property\n    def m(self):\n        return {s}\nv = H().m.{a}\n",
    "a comprehension": "v = [m for m in [{s}]][0].{a}\n",
    "globals()": "v = globals()['{s}'].{a}\n",
}


@pytest.mark.parametrize("subject,attr,what", [("sys", "_getframe", "call stack"),
                                               ("gc", "get_objects", "garbage collector"),
                                               ("torch", "_C", "torch's internals")])
@pytest.mark.parametrize("how", CARRIERS)
def test_the_interpreters_own_names_are_its_own_whatever_holds_them(how, subject, attr, what):
    """Where the review cannot follow what a name holds, the interpreter's distinctive names
    (sys._getframe, gc.get_objects, torch._C ...) read off it are still reported: no object of
    a student's has them (27 such spellings were unflagged before)."""
    found = scan_source(HEAD + CARRIERS[how].format(s=subject, a=attr), "ex01_linear_model.py")
    assert any(what in f.what for f in found), found


def test_her_own_objects_with_private_names_are_hers():
    code = ("class Net:\n    def __init__(self):\n        self._C = 3\n        self._cache = {}\n"
            "    def size(self):\n        return self._C + len(self._cache)\n\n\n"
            "net = Net()\nprint(net._C, net._cache)\n")
    assert scan_source(code, "ex06_nn_linear.py") == []


def test_a_manual_function_reaching_autograd_through_a_match_is_flagged():
    code = ("import threading\nimport torch\n\n\ndef gradient(xs, ys, w):\n"
            "    match torch.autograd.Variable:\n        case type(_execution_engine=e):\n"
            "            pass\n    match e:\n        case object(run_backward=rb):\n"
            "            return rb\n")
    found = scan_source(code, "ex02_gradient_descent.py")
    assert any("a manual function (gradient" in f.what for f in found), found


HONEST_MATCH = '''
from dataclasses import dataclass
import torch


@dataclass
class Point:
    x: float
    y: float


def describe(value, config):
    match value:
        case Point(x, y=0):
            return f"on the axis at {x}"
        case {"lr": float(lr), **rest}:
            return lr, rest
        case [first, *others]:
            return first, others
        case torch.Tensor() as t if t.ndim == 0:
            return t.item()
        case int() | float():
            return value
        case _:
            return None
    match config:
        case {"optimizer": "sgd", "momentum": m}:
            return torch.optim.SGD, m
'''


def test_honest_match_statements_are_not_flagged():
    assert scan_source(HONEST_MATCH, "ex06_nn_linear.py") == []


def _chain(n):
    return "import torch\nt0 = torch\n" + "".join(f"t{i} = t{i - 1}\n" for i in range(1, n))


LIMITS = {
    "a chain of aliases": _chain(100) + "g = t99.autograd.grad\n",
    "an attribute chain": "import torch\ng = torch" + ".nn.functional.torch" * 40 +
                          ".autograd.grad\n",
    "a name bound over 200 times": "import torch\n\n\ndef gradient(xs, ys, w):\n"
                                   "    return f(xs)\n\n\nf = torch.autograd.grad\n" +
                                   "".join(f"if len(str({i})) > 9:\n    f = abs\n"
                                           for i in range(210)),
}


@pytest.mark.parametrize("how", LIMITS)
def test_every_limit_the_review_reaches_is_a_finding(how):
    found = scan_source(LIMITS[how], "ex02_gradient_descent.py")
    assert any(f.what.startswith("not reviewed past here") and f.line > 0 for f in found), found


def test_a_manual_reach_past_its_budget_is_a_finding(monkeypatch):
    """The walk of what a manual function reaches stops at MAX_NODES parts of code, and says so
    (a huge constant is data: it costs nothing)."""
    monkeypatch.setattr(manual, "MAX_NODES", 500)
    filler = "".join(f"    _x{i} = [{i}, {i} + 1, abs({i})]\n" for i in range(200))
    code = ("import torch\n\n\ndef _filler():\n" + filler + "\n\n"
            "def gradient(xs, ys, w):\n    g = _engine(xs)\n    _filler()\n    return g\n\n\n"
            "def _engine(xs):\n    return torch.autograd.grad(xs, xs)\n")
    found = scan_source(code, "ex02_gradient_descent.py")     # _filler is walked first
    assert any(f.what.startswith("not reviewed past here: a manual function") for f in found)
    assert not any("reaches autograd" in f.what for f in found)    # (what lay past it)
    data = "DATA = [" + ", ".join(map(str, range(2_000))) + "]\n"
    honest = (data + "\n\ndef gradient(xs, ys, w):\n    n = len(DATA) and len(xs)\n"
              "    return sum(2 * x * (x * w - y) for x, y in zip(xs, ys)) / n\n")
    assert scan_source(honest, "ex02_gradient_descent.py") == []


def test_every_function_worked_by_hand_is_manual():
    assert {"gradient_descent", "stochastic_gradient_descent"} <= set(MANUAL["ex02"])
    assert "fit_numpy" in MANUAL["ex11"]


DIFFERENTIATE = {
    "sympy": ("import sympy\n\n\ndef sample_gradient(x, y, w):\n    s = sympy.Symbol('w')\n"
              "    return float(sympy.diff((x * s - y) ** 2, s).subs(s, w))\n"),
    "mpmath": ("import mpmath\n\n\ndef sample_gradient(x, y, w):\n"
               "    return float(mpmath.diff(lambda v: (x * v - y) ** 2, w))\n"),
    "a complex step": ("def sample_gradient(x, y, w):\n    h = 1e-20\n"
                       "    return ((x * (w + h * 1j) - y) ** 2).imag / h\n"),
    "scipy's approx_fprime": ("from scipy.optimize import approx_fprime\n\n\n"
                              "def sample_gradient(x, y, w):\n"
                              "    return float(approx_fprime([w], lambda v: (x * v[0] - y) ** 2,"
                              " 1e-8)[0])\n"),
    "numpy's polynomials": ("import numpy as np\n\n\ndef sample_gradient(x, y, w):\n"
                            "    p = np.polynomial.Polynomial([y * y, -2 * x * y, x * x])\n"
                            "    return float(p.deriv()(w))\n"),
    "numpy.gradient": ("import numpy as np\n\n\ndef sample_gradient(x, y, w):\n"
                       "    ws = np.array([w - 1e-4, w, w + 1e-4])\n"
                       "    return float(np.gradient((x * ws - y) ** 2, ws)[1])\n"),
    "torch.gradient": ("import torch\n\n\ndef sample_gradient(x, y, w):\n"
                       "    ws = torch.tensor([w - 1e-4, w, w + 1e-4], dtype=torch.float64)\n"
                       "    return float(torch.gradient((x * ws - y) ** 2, spacing=(ws,))[0][1])\n"),
    "a complex dtype": ("import torch\n\n\ndef sample_gradient(x, y, w):\n"
                        "    z = torch.tensor(w, dtype=torch.complex128) + 1e-20j\n"
                        "    return float(((x * z - y) ** 2).imag / 1e-20)\n"),
}


@pytest.mark.parametrize("how", DIFFERENTIATE)
def test_what_differentiates_for_a_manual_function_is_flagged(how):
    found = scan_source(DIFFERENTIATE[how], "ex02_gradient_descent.py")
    assert any(f.what.startswith("a manual function (") for f in found), found


LOOKUPS = {
    "x.__getattribute__": "out.__getattribute__('nf_darg'[::-1])",
    "object.__getattribute__": "object.__getattribute__(out, 'grad' + '_fn')",
    "type(x).__getattribute__": "type(out).__getattribute__(out, KEY)",
    "x.__getattr__": "out.__getattr__(KEY)",
}


@pytest.mark.parametrize("how", LOOKUPS)
def test_an_attribute_looked_up_through_its_special_method_is_getattr(how):
    """out.__getattribute__(name) is getattr(out, name): a manual function reading the graph's
    nodes by a name written backwards, joined or kept in a constant is flagged (36/36 and 37/37
    unflagged before, on every entry point)."""
    code = ("import torch\nKEY = 'grad_fn'\n\n\ndef analytic_grad_of_mean(x):\n"
            "    leaf = x.detach().clone().requires_grad_(True)\n"
            "    with torch.enable_grad():\n        out = ((leaf + 2) ** 2 * 3).mean()\n"
            f"    node = {LOOKUPS[how]}\n    return node(torch.ones(()))[0]\n")
    found = scan_source(code, "ex03_autograd_basics.py")
    assert any(f.what.startswith("a manual function (") for f in found), found


def test_special_method_lookups_of_her_own_classes_are_hers():
    code = ("class Wrapper:\n    def __init__(self, inner):\n        self._inner = inner\n\n"
            "    def __getattr__(self, name):\n        return getattr(self._inner, name)\n\n"
            "    def __getattribute__(self, name):\n"
            "        return super().__getattribute__(name)\n\n\n"
            "w = Wrapper([1, 2])\nprint(w.__getattribute__('_inner'), w.count(1))\n")
    assert scan_source(code, "ex06_nn_linear.py") == []


def test_the_same_libraries_outside_manual_functions_are_not_flagged():
    code = ("import sympy\n\n\ndef cost(xs, ys, w):\n    return float(sympy.Rational(1, 2))\n"
            "\n\ndef sample_gradient(x, y, w):\n    return 2 * x * (x * w - y)\n")
    assert scan_source(code, "ex02_gradient_descent.py") == []


def test_autograd_in_a_descent_worked_by_hand_fails(grade):
    code = '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w = torch.tensor(float(w0), dtype=torch.float64, requires_grad=True)
    x = torch.tensor(xs, dtype=torch.float64)
    y = torch.tensor(ys, dtype=torch.float64)
    costs = []
    for _ in range(epochs):
        loss = ((x * w - y) ** 2).mean()
        costs.append(float(loss))
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return float(w), costs
'''
    result = grade("ex02", "import torch\n" + code)
    checks = [c for c in result.checks if c.target == "gradient_descent" and c.counted]
    assert checks and not any(c.status == "passed" for c in checks)
    assert any("used autograd" in (c.message or "") for c in checks)


def test_the_engine_reached_directly_in_a_thread_is_seen(grade):
    """The worker notes autograd's C engine however it is reached (Variable._execution_engine
    .run_backward in a thread of the manual call's own): the review flags the name too, and
    the check fails on what the worker saw."""
    code = '''
import threading
import torch
from torch.autograd.variable import Variable


def sample_gradient(x, y, w):
    out = {}

    def work():
        wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
        loss = (x * wt - y) ** 2
        g, = Variable._execution_engine.run_backward(
            (loss,), (torch.ones_like(loss),), False, False, (wt,), False, False)
        out["g"] = float(g)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out["g"]
'''
    result = grade("ex02", code)
    checks = [c for c in result.checks if c.target == "sample_gradient" and c.counted]
    assert checks and not any(c.status == "passed" for c in checks)
    assert any("used autograd" in (c.message or "") for c in checks), \
        [(c.status, c.message) for c in checks]


def test_numbers_pasted_as_data_do_not_count_as_code():
    """A data set pasted into the exercise file (60 000 numbers, 700 KB) is read as data: the
    file is reviewed, and clean (it was 'too large to review' and its manual points withheld);
    code past MAX_SOURCE_BYTES, or data past MAX_PARSE_BYTES, still is too large."""
    from grader.engine.review.rules import MAX_SOURCE_BYTES
    from grader.sandbox.parsing import MAX_PARSE_BYTES
    from tests.conftest import ROOT
    reference = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    rows = ",\n".join(f"    ({i * 0.001:.6f}, {-i * 0.002:.6f})" for i in range(30_000))
    pasted = reference + f"\n\nDATA = [\n{rows},\n]\n"
    assert MAX_SOURCE_BYTES < len(pasted) < MAX_PARSE_BYTES
    assert scan_source(pasted, "ex02_gradient_descent.py") == []
    code = reference + "".join(f"\nv{i} = abs({i}) + len('x')\n" for i in range(30_000))
    assert len(code) > MAX_SOURCE_BYTES
    assert [f.what[:18] for f in scan_source(code, "ex02_gradient_descent.py")] == \
        ["too large to revie"]
    huge = "DATA = [" + "1.0, " * (MAX_PARSE_BYTES // 5 + 10) + "]\n"
    assert [f.what[:18] for f in scan_source(huge, "ex02_gradient_descent.py")] == \
        ["too large to revie"]


NESTED = "((('x' * 1000,) * 1000,) * 100,)"      # 100 million characters as text
FORMATTED = {"%": "'%s' % (T,)", "format": "'{}'.format(T)", "f-string": "f'{T[0]}'",
             "map(str)": "''.join(map(str, T))", "str of a slice": "'%s' % (T[0][:],)"}


@pytest.mark.parametrize("how", FORMATTED)
def test_text_folded_from_nested_tuples_stays_bounded(how):
    """The review folds text the file alone computes; a tuple of tuples is counted whole before
    it is formatted, so the trusted side never builds its text (a never-called function cost
    the grading process 780 MB and 10 s with one more level, about 1 TB with three)."""
    import tracemalloc
    code = f"import numpy as np\nT = {NESTED}\n\n\ndef unused():\n    return getattr(np, {FORMATTED[how]})\n"
    tracemalloc.start()
    try:
        scan_source(code, "ex02_gradient_descent.py")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024**2, peak
