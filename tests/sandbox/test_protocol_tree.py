"""One value-tree encoding (grader.sandbox.protocol): the frames between the grader and a worker
and the visible checks' recorded values (ships/expected.json, grader.engine.expected) write the
same "$" tags; a file holds each array's numbers inline, a frame in its buffers."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.engine import expected
from grader.sandbox.protocol import (ProtocolError, RemoteObject, decode, encode, from_tree, meta,
                                     split, to_tree)

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(ROOT.glob("grader/checks/*/ships/expected.json"))


def test_every_recorded_file_reads_and_is_written_again_byte_for_byte():
    assert len(FILES) >= 10
    for path in FILES:
        text = path.read_text()
        data = json.loads(text)
        values = {cid: from_tree(tree) for cid, tree in data.items()}
        again = json.dumps({cid: to_tree(v) for cid, v in values.items()}, indent=1,
                           sort_keys=True) + "\n"   # as `build` writes it
        assert again == text, path


def test_the_engine_records_and_reads_with_the_protocols_encoding():
    assert expected.to_json is to_tree and expected.from_json is from_tree


def _shape_of_tree(x):
    """A tree with each array's numbers and a tensor's worker facts left out: what a frame and
    a file have in common."""
    if isinstance(x, list):
        return [_shape_of_tree(v) for v in x]
    if not isinstance(x, dict):
        return x
    if x.get("$") in ("tensor", "ndarray"):
        return {"$": x["$"], "dtype": x["dtype"], "shape": x["shape"]}
    return {k: _shape_of_tree(v) for k, v in x.items()}


VALUE = {"loss": 0.25, "w": torch.tensor([[1.0, float("nan")], [float("inf"), -2.5]]),
         (1, "k"): (np.arange(3, dtype=np.int64), np.float32(1.5), [True, None, "text"]),
         "inf": float("-inf"), "half": torch.tensor([0.1, 3.0], dtype=torch.bfloat16),
         "empty": torch.zeros(0, 4), "scalar": torch.tensor(7, dtype=torch.int32)}


def test_a_file_and_a_frame_write_the_same_tree():
    header, _payload = split(encode(VALUE))
    frame_tree = json.loads(header)["tree"]
    file_tree = to_tree(VALUE)
    assert _shape_of_tree(frame_tree) == _shape_of_tree(file_tree)
    tensor = file_tree["items"][1][1]
    assert tensor == {"$": "tensor", "dtype": "float32", "shape": [2, 2],
                      "data": [1.0, "nan", "inf", -2.5]}


def _same(a, b):
    assert type(a) is type(b)
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.reshape(-1).view(torch.uint8).tolist() == b.reshape(-1).view(torch.uint8).tolist()
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, np.generic) or a.dtype == b.dtype)


def test_a_file_reads_back_the_values_a_frame_carries_bit_for_bit():
    from_file = from_tree(json.loads(json.dumps(to_tree(VALUE))))
    from_frame = decode(*split(encode(VALUE)))
    _same(from_file, from_frame)
    _same(from_file, VALUE)


def test_a_recorded_tensor_is_plain_data_on_the_cpu():
    w = torch.ones(3, requires_grad=True) * 2   # a result with a grad_fn
    value = from_tree(to_tree(w))
    assert meta(value) is None and not value.requires_grad and value.device.type == "cpu"
    assert meta(decode(*split(encode(w)))).grad_fn == "MulBackward0"   # a frame says more


def test_a_value_with_no_data_form_is_not_recorded():
    class Model:
        pass
    with pytest.raises(TypeError, match="cannot record a value of type"):
        to_tree({"model": Model()})
    assert isinstance(decode(*split(encode(Model()))), RemoteObject)   # a frame names it


@pytest.mark.parametrize("tree", [
    {"$": "tensor", "dtype": "float32", "shape": [3], "data": [1.0, 2.0]},
    {"$": "tensor", "dtype": "float32", "shape": [1], "data": ["1e308"]},
    {"$": "ndarray", "dtype": "float64", "shape": [1], "data": [[1.0]]},
    {"$": "tensor", "dtype": "float32", "shape": [1], "buf": 0},
    {"$": "tensor", "dtype": "object", "shape": [1], "data": [1]},
])
def test_a_file_that_does_not_match_its_shape_or_format_is_refused(tree):
    with pytest.raises(ProtocolError):
        from_tree(tree)
