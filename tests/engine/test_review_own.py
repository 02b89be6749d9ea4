"""A manual function's review reads what the student's own objects are: her layer's
self.saved_tensors is an attribute she set, getattr over names a loop spells out (a literal
tuple, a dataclass's own fields) reads those names. The same spellings on autograd's objects,
or with names the loop cannot tell, are still flagged."""
from __future__ import annotations

import pytest

from grader.engine.review import scan_source

HEAD = "import dataclasses\nfrom dataclasses import dataclass, fields\nimport torch\n\n\n"

LAYER = '''
class {name}{bases}:
    def forward(self, x):
        self.saved_tensors = (x,)
        return x * x

    def backward(self, g):
        (x,) = self.saved_tensors
        return 2 * x * g


def sample_gradient(x, y, w):
    layer = {name}()
    layer.forward(x * w - y)
    return float(layer.backward(1.0) * x)
'''

BATCH = '''
@dataclass
class Batch:
    x: float
    y: float


def sample_gradient(x, y, w):
    batch = Batch(x, y)
    {body}
    return float(2 * parts["x"] * (parts["x"] * w - parts["y"]))
'''

HONEST = {
    "a plain layer": LAYER.format(name="Square", bases=""),
    "a layer of an own base": "class Base:\n    pass\n\n" +
                              LAYER.format(name="Square", bases="(Base)"),
    "object as base": LAYER.format(name="Square", bases="(object)"),
    "names of a tuple": BATCH.format(
        body='parts = {n: getattr(batch, n) for n in ("x", "y")}'),
    "names of a list, a loop": BATCH.format(
        body='parts = {}\n    for n in ["x", "y"]:\n        parts[n] = getattr(batch, n)'),
    "a dataclass's fields": BATCH.format(
        body="parts = {f.name: getattr(batch, f.name) for f in fields(batch)}"),
    "dataclasses.fields": BATCH.format(
        body="parts = {f.name: getattr(batch, f.name) for f in dataclasses.fields(batch)}"),
}

FLAGGED = {
    "a Function's saved_tensors": LAYER.format(name="Square", bases="(torch.autograd.Function)"),
    "a base that is a Function": "class Base(torch.autograd.Function):\n    pass\n\n" +
                                 LAYER.format(name="Square", bases="(Base)"),
    "a class with a metaclass": "class Meta(type):\n    pass\n\n" +
                                LAYER.format(name="Square", bases="(metaclass=Meta)"),
    "autograd's name in the tuple": BATCH.format(
        body='out = torch.tensor(1.0, requires_grad=True) * 2\n'
             '    parts = {n: getattr(out, n) for n in ("x", "grad_fn")}'),
    "another object's fields": BATCH.format(
        body="out = torch.tensor(1.0, requires_grad=True) * 2\n"
             "    parts = {f.name: getattr(out, f.name) for f in fields(batch)}"),
    "names the loop cannot tell": BATCH.format(
        body="out = torch.tensor(1.0, requires_grad=True) * 2\n"
             "    parts = {n: getattr(out, n) for n in NAMES}"),
}


def _flagged(code):
    return [f for f in scan_source(HEAD + code, "ex02_gradient_descent.py")
            if f.what.startswith("a manual function (")]


@pytest.mark.parametrize("how", HONEST)
def test_her_own_objects_read_by_a_manual_function_are_not_flagged(how):
    assert _flagged(HONEST[how]) == []


@pytest.mark.parametrize("how", FLAGGED)
def test_the_same_spellings_on_autograds_objects_are_flagged(how):
    assert _flagged(FLAGGED[how]), how


IMPORTED_BY_NAME = {
    "import_module": "import importlib\nnp = importlib.import_module('numpy')\n"
                     "print(np.mean([1.0]))\n",
    "from importlib": "from importlib import import_module\nla = import_module('numpy.linalg')\n",
    "__import__": "m = __import__('math')\nprint(m.sqrt(2.0))\n",
}
IMPORTED_BY_NAME_FLAGGED = {
    "the grader": "import importlib\ng = importlib.import_module('grader.checks')\n",
    "pytest": "m = __import__('pytest')\n",
    "torch's internals": "import importlib\nc = importlib.import_module('torch._C')\n",
    "raw memory": "import importlib\nc = importlib.import_module('ctypes')\n",
    "a computed name": "import importlib\nm = importlib.import_module('num' + SUFFIX)\n",
    "more arguments": "m = __import__('os', globals(), locals(), ['path'])\n",
    "passed around": "from importlib import import_module as im\nloader = im\n",
}


@pytest.mark.parametrize("how", IMPORTED_BY_NAME)
def test_a_module_imported_by_its_literal_name_is_an_import(how):
    """importlib.import_module("numpy") is `import numpy`: not flagged (21 of 24 points were
    withheld), where the name is literal, plain, and names nothing a rule names."""
    assert scan_source(IMPORTED_BY_NAME[how], "ex02_gradient_descent.py") == []


@pytest.mark.parametrize("how", IMPORTED_BY_NAME_FLAGGED)
def test_imports_by_name_of_what_a_rule_names_stay_flagged(how):
    assert scan_source(IMPORTED_BY_NAME_FLAGGED[how], "ex02_gradient_descent.py")
