"""The visible checks' fixed inputs (Case) and their recorded values, kept as readable JSON:
numbers, not code. The values are written in the frames' own encoding
(grader.sandbox.protocol.to_tree, read back with from_tree), each array's numbers inline:

    {"$": "tensor", "dtype": "float32", "shape": [2], "data": [1.0, 2.0]}

Non-finite numbers of an array are written as the strings "nan", "inf" and "-inf". `python -m
grader build` records each Case's reference result in its exercise's ships/expected.json;
`expected(case)` reads it back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import torch

# build records with to_json; expected() reads with from_json
from grader.sandbox.protocol import from_tree as from_json, to_tree as to_json  # noqa: F401


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
