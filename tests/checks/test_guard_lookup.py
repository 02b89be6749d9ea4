"""A function a check calls is the one the guard watched, or none: a name the guard's look does
not find is never run by a plain call instead (a module's own __getattr__ can hide a function
from one look and hand it to the next), and a file that answers for names it does not define is
flagged for a person."""
import pytest

from grader.engine.review import scan_source
from tests.conftest import failing

pytestmark = pytest.mark.ex02

# ex02's gradient by autograd, handed out by the module only at every other look
SERVED = '''
del gradient

def _by_autograd(xs, ys, w):
    with torch.enable_grad():
        t = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
        x = torch.as_tensor(xs, dtype=torch.float64)
        y = torch.as_tensor(ys, dtype=torch.float64)
        ((x * t - y) ** 2).mean().backward()
    return float(t.grad)

_LOOKS = {"n": 0}

def __getattr__(name):
    if name != "gradient":
        raise AttributeError(name)
    _LOOKS["n"] += 1
    if _LOOKS["n"] % EVERY:
        raise AttributeError(name)
    return _by_autograd
'''


@pytest.mark.parametrize("every", [2, 3])
def test_a_function_the_guard_does_not_find_is_never_run(grade, every):
    result = grade("ex02", f"EVERY = {every}\n" + SERVED, targets=["gradient"], device="cpu")
    lost = failing(result, "gradient")
    assert lost and all(c.status in ("failed", "error", "not started") for c in lost)
    assert not any(c.target == "gradient" and c.status == "passed" for c in result.checks)
    assert any("__getattr__" in t for t in result.tampering), result.tampering


@pytest.mark.parametrize("source", [
    "def __getattr__(name):\n    raise AttributeError(name)\n",
    "async def __getattr__(name):\n    raise AttributeError(name)\n",
    "def _look(name):\n    raise AttributeError(name)\n\n__getattr__ = _look\n",
    "def __dir__():\n    return ['gradient']\n",
])
def test_a_module_that_answers_for_names_it_does_not_define_is_flagged(source):
    found = scan_source(source, "ex02_gradient_descent.py")
    assert [f.what for f in found] == ["answers for names the file does not define "
                                       "(a module __getattr__)"]


def test_a_class_of_her_own_may_answer_for_its_attributes():
    source = ("class Params:\n    def __init__(self, **kw):\n        self._kw = kw\n\n"
              "    def __getattr__(self, name):\n        return self._kw[name]\n\n"
              "    def __dir__(self):\n        return list(self._kw)\n")
    assert scan_source(source, "ex02_gradient_descent.py") == []
