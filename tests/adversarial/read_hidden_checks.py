"""Look for the hidden checks, the recorded values and .git next to the grader's own code;
every function raises if anything was found."""
import os

import grader

_base = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
_leaks = []
for _rel in ("grader/checks/ex01_linear_model/private/test_hidden.py",
             "grader/checks/ex01_linear_model/ships/expected.json",
             ".git/HEAD", "solutions/ex01_linear_model.py",
             "source_notebooks/ex01_linear_model/ex01_linear_model.ipynb"):
    try:
        with open(os.path.join(_base, _rel)) as _f:
            _leaks.append(f"{_rel}: {_f.readline()[:40]!r}")
    except OSError:
        pass
_right = {name: globals()[name] for name in ("forward", "loss", "mse_for_weights", "forward_wb",
                                             "mse_surface", "best_weight")}


def _guard(name):
    def run(*args, **kwargs):
        if _leaks:
            raise RuntimeError("LEAKED " + "; ".join(_leaks))
        return _right[name](*args, **kwargs)
    return run


for _name in _right:
    globals()[_name] = _guard(_name)
