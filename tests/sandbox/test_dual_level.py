"""A manual function called while a forward-mode dual level is open uses autograd, wherever the
dual tensor it adds to its input was made and kept (the twelfth attack round: a "unit" of
tangent 1 made as the file is imported, kept as a default argument, a class attribute, a
cache's, a logger's, gave gradient and sample_gradient forward mode's exact derivative with no
make_dual in the call: full marks on every entry point). The watch asks torch's C side, which
a submission cannot rewrite, whether a level is open before and after each manual call. An
honest file that opens a level and closes it (a `with dual_level():` experiment) keeps its
points. About 10 s."""
from __future__ import annotations

import pytest

# a gradient computed by forward mode through a unit kept somewhere, ex02's two manual
# functions written with it
_UNIT = "fwAD.make_dual(torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64))"
_BODY = ("    wd = torch.as_tensor(float(w), dtype=torch.float64) + {unit}\n"
         "    x = torch.as_tensor(np.asarray(xs, dtype=np.float64))\n"
         "    y = torch.as_tensor(np.asarray(ys, dtype=np.float64))\n"
         "    return float(fwAD.unpack_dual(((x * wd - y) ** 2).mean()).tangent)\n")
KEPT = {
    "a default argument": ("", "def gradient(xs, ys, w, _u=" + _UNIT + "):\n" +
                           _BODY.format(unit="_u")),
    "a class attribute": ("class _K:\n    u = " + _UNIT + "\n\n\n",
                          "def gradient(xs, ys, w):\n" + _BODY.format(unit="_K.u")),
    "a cache": ("import functools\n\n\n@functools.cache\ndef _u():\n    return " + _UNIT +
                "\n\n\n_u()\n\n\n", "def gradient(xs, ys, w):\n" + _BODY.format(unit="_u()")),
    "a logger": ("import logging\nlogging.getLogger('units').u = " + _UNIT + "\n\n\n",
                 "def gradient(xs, ys, w):\n" +
                 _BODY.format(unit="logging.getLogger('units').u")),
}


@pytest.mark.parametrize("how", KEPT)
def test_a_manual_call_with_a_dual_level_open_uses_autograd(grade, how):
    head, gradient = KEPT[how]
    code = ("import numpy as np\nimport torch\nimport torch.autograd.forward_ad as fwAD\n"
            "fwAD.enter_dual_level()\n" + head + gradient)
    result = grade("ex02", code)
    checks = [c for c in result.checks if c.counted and c.target == "gradient"]
    assert checks and not all(c.status == "passed" for c in checks), \
        [(c.name, c.status) for c in checks]
    assert any("forward-mode" in (c.message or "") for c in checks), \
        [c.message for c in checks if c.status != "passed"]


def test_a_dual_level_opened_and_closed_is_honest(grade):
    code = ("import torch.autograd.forward_ad as fwAD\n"
            "with fwAD.dual_level():\n"
            "    _d = fwAD.make_dual(torch.tensor(2.0), torch.tensor(1.0))\n"
            "    print(fwAD.unpack_dual(_d * _d).tangent)\n")
    result = grade("ex02", code)
    assert result.score == result.max_score, \
        [(c.name, c.message) for c in result.checks if c.status != "passed"]
