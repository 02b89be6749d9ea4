"""The visible checks' fixed inputs (Case) and their recorded values, kept as readable JSON:
numbers, not code.

    {"$": "tensor", "dtype": "float32", "shape": [2], "data": [1.0, 2.0]}

Non-finite floats are written as the strings "nan", "inf" and "-inf". `python -m grader build`
records each Case's reference result in its exercise's ships/expected.json; `expected(case)`
reads it back.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from grader.sandbox.protocol import TORCH_DTYPES, NUMPY_DTYPES


def _num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v


def _unnum(v):
    return float(v) if isinstance(v, str) else v


def to_json(x):
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, torch.Tensor):
        name = str(x.dtype).replace("torch.", "")
        flat = x.detach().cpu().reshape(-1)
        data = flat.to(torch.float64).tolist() if flat.is_floating_point() else flat.tolist()
        return {"$": "tensor", "dtype": name, "shape": list(x.shape),
                "data": [_num(v) for v in data]}
    if isinstance(x, np.ndarray):
        return {"$": "ndarray", "dtype": x.dtype.name, "shape": list(x.shape),
                "data": [_num(v) for v in x.reshape(-1).tolist()]}
    if isinstance(x, np.generic):
        return {"$": "npscalar", "dtype": x.dtype.name, "value": _num(x.item())}
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return _num(x) if math.isfinite(x) else {"$": "float", "value": repr(x)}
    if isinstance(x, tuple):
        return {"$": "tuple", "items": [to_json(v) for v in x]}
    if isinstance(x, list):
        return [to_json(v) for v in x]
    if isinstance(x, dict):
        return {"$": "dict", "items": [[to_json(k), to_json(v)] for k, v in x.items()]}
    raise TypeError(f"cannot record a value of type {type(x).__name__}")


def from_json(x):
    if x is None or isinstance(x, (bool, str, int, float)):
        return x
    if isinstance(x, list):
        return [from_json(v) for v in x]
    tag = x["$"]
    if tag == "tensor":
        data = [_unnum(v) for v in x["data"]]
        return torch.tensor(data, dtype=TORCH_DTYPES[x["dtype"]]).reshape(x["shape"])
    if tag == "ndarray":
        assert x["dtype"] in NUMPY_DTYPES
        return np.array([_unnum(v) for v in x["data"]], dtype=x["dtype"]).reshape(x["shape"])
    if tag == "npscalar":
        return np.dtype(x["dtype"]).type(_unnum(x["value"]))
    if tag == "float":
        return float(x["value"])
    if tag == "tuple":
        return tuple(from_json(v) for v in x["items"])
    if tag == "dict":
        return {_key(from_json(k)): from_json(v) for k, v in x["items"]}
    raise ValueError(f"unknown tag {tag!r}")


def _key(k):
    return tuple(k) if isinstance(k, list) else k


# ----------------------------------------------------------------------------------------------
# the visible checks' inputs and their recorded values

@dataclass(frozen=True)
class Case:
    """A fixed input of a visible check, whose reference result `build` records as data.

    `target` is "exNN.func" for a plain call, or "exNN" with `probe` set for a probe."""

    id: str
    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    grad: bool | None = None
    probe: str | None = None

    @property
    def exercise(self) -> str:
        return self.target[:4]

    def on(self, device) -> "Case":
        """The same case with its tensor inputs on `device` (the expected value moves too:
        `expected(case, device)`)."""
        return Case(self.id, self.target, _to(self.args, device), _to(self.kwargs, device),
                    self.grad, self.probe)

    def run(self, sub):
        if self.probe:
            return sub.probe(self.probe, self.exercise, *self.args, **self.kwargs)
        return sub.call(self.target, *self.args, grad=self.grad, **self.kwargs)

    def reference(self):
        from grader.engine.reference import reference, reference_probe
        if self.probe:
            return reference_probe(self.probe, self.exercise, *self.args, **self.kwargs)
        return reference(self.target, *self.args, grad=self.grad, **self.kwargs)


_loaded: dict[str, dict] = {}


def expected(case: Case, device: str | torch.device | None = None):
    """The reference's recorded result for a visible case (moved to `device` when given)."""
    from grader.exercises import expected_file
    ex = case.exercise
    if ex not in _loaded:
        path = expected_file(ex)
        _loaded[ex] = json.loads(path.read_text()) if path.exists() else {}
    if case.id not in _loaded[ex]:
        raise RuntimeError(f"no recorded value for {ex} case {case.id!r}: run "
                           f"`python -m grader build`")
    value = from_json(_loaded[ex][case.id])
    return _to(value, device) if device is not None else value


def _to(x, device):
    if isinstance(x, torch.Tensor):
        return x.detach().to(device).requires_grad_(x.requires_grad)
    if isinstance(x, tuple):
        return tuple(_to(v, device) for v in x)
    if isinstance(x, list):
        return [_to(v, device) for v in x]
    if isinstance(x, dict):
        return {k: _to(v, device) for k, v in x.items()}
    return x
