"""The result channel carries data only: values survive the round trip, malformed frames are
refused with ProtocolError, and nothing in a frame can run code when read."""
import json
import pickle
import struct

import numpy as np
import pytest
import torch

from grader.sandbox import protocol
from grader.sandbox.protocol import ProtocolError, RemoteObject, decode, encode, meta, split


def test_plain_values_round_trip():
    value = {"a": [1, 2.5, None, True, "x"], "t": (1, (2, 3)), 3: -1.0,
             "nan": float("nan"), "inf": float("-inf")}
    back = decode(*split(encode(value)))
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["t"] == (1, (2, 3)) and back[3] == -1.0
    assert np.isnan(back["nan"]) and back["inf"] == float("-inf")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16,
                                   torch.int64, torch.bool])
def test_tensors_keep_values_dtype_shape(dtype):
    t = (torch.arange(12).reshape(3, 4) % 3).to(dtype)
    back = protocol.roundtrip(t)
    assert back.dtype == dtype and back.shape == (3, 4) and torch.equal(back, t)


def test_tensor_metadata_crosses():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (w * 3).sum()
    y.backward()
    back_w, back_y = protocol.roundtrip((w, y))
    assert meta(back_w).requires_grad and meta(back_w).is_leaf
    assert torch.equal(meta(back_w).grad, torch.tensor([3.0, 3.0]))
    assert not meta(back_y).is_leaf and meta(back_y).grad_fn == "SumBackward0"
    assert not back_w.requires_grad  # decoded tensors are plain data


def test_numpy_values_round_trip():
    a = np.linspace(0, 1, 5)
    back = protocol.roundtrip({"a": a, "s": np.float32(2.5), "i": np.int64(3)})
    assert back["a"].dtype == np.float64 and np.array_equal(back["a"], a)
    assert isinstance(back["s"], np.float32) and back["s"] == 2.5
    assert isinstance(back["i"], np.int64)


def test_unknown_objects_become_inert_descriptions():
    class Sneaky:
        def __repr__(self):
            return "sneaky"
    back = protocol.roundtrip([Sneaky(), torch.nn.Linear(1, 1)])
    assert all(isinstance(v, RemoteObject) for v in back)
    assert back[0].text == "sneaky" and "Linear" in back[1].type_name


def test_tensor_subclass_is_sent_as_its_data():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True
    t = torch.tensor([1.0, 2.0]).as_subclass(Liar)
    back = protocol.roundtrip(t)
    assert type(back) is torch.Tensor and meta(back).cls.endswith("Liar")
    assert not torch.equal(back, torch.tensor([5.0, 5.0]))


def _frame(header: dict, payload=b""):
    h = json.dumps(header).encode()
    return protocol._HEAD.pack(protocol.MAGIC, len(h), len(payload)) + h + payload


@pytest.mark.parametrize("frame", [
    b"",
    pickle.dumps({"status": "ok"}),
    _frame({"tree": {"$": "tensor", "dtype": "float32", "shape": [4], "buf": 0,
                     "device": "cpu"}, "sizes": [8]}, b"\0" * 8),     # 4 floats need 16 bytes
    _frame({"tree": {"$": "tensor", "dtype": "object", "shape": [1], "buf": 0,
                     "device": "cpu"}, "sizes": [8]}, b"\0" * 8),     # dtype not on the list
    _frame({"tree": {"$": "ndarray", "dtype": "O", "shape": [1], "buf": 0}, "sizes": [8]},
           b"\0" * 8),
    _frame({"tree": {"$": "pickle", "data": "gASV"}, "sizes": []}),
    _frame({"tree": {"$": "ndarray", "dtype": "float64", "shape": [1], "buf": 3},
            "sizes": [8]}, b"\0" * 8),                                 # no buffer 3
    _frame({"tree": 1, "sizes": [5]}, b"\0" * 4),                       # sizes lie
    _frame({"tree": {"$": "float", "value": "__import__('os')"}, "sizes": []}),
], ids=["empty", "pickle", "short-buffer", "bad-dtype", "object-array", "unknown-tag",
        "bad-index", "size-mismatch", "float-expression"])
def test_malformed_frames_are_refused(frame):
    with pytest.raises(ProtocolError):
        decode(*split(frame))


def test_oversized_frame_refused_before_reading_payload():
    head = protocol._HEAD.pack(protocol.MAGIC, 10, 2**40)
    reads = []

    def read_exact(n):
        reads.append(n)
        return head if len(reads) == 1 else b""
    with pytest.raises(ProtocolError, match="too large"):
        protocol.read_frame(read_exact)
    assert reads == [protocol._HEAD.size]


def test_deep_nesting_refused():
    tree = 1
    for _ in range(100):
        tree = [tree]
    with pytest.raises(ProtocolError):
        decode(json.dumps({"tree": tree, "sizes": []}).encode(), b"")


def _odd_tensors():
    """Every layout a student's code can produce: the transport carries the logical values."""
    import numpy as np
    xy = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(4, 3))
    column = torch.from_numpy(xy[:, [-1]])             # the course's label column
    big = torch.arange(100.0)
    z = torch.tensor([1 + 2j, 3 - 4j])
    return {
        "fortran column": column,
        "a row of the fortran column": column[2],
        "transposed": torch.arange(6.0).reshape(2, 3).t(),
        "negative numpy strides": torch.from_numpy(np.arange(5.0)[::-1].copy())[::1],
        "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),
        "0-d": torch.tensor(3.5),
        "a slice of a larger storage": big[10:13],
        "every other element": big[::7],
        "conjugate view": z.conj(),
        "negative view": torch._neg_view(torch.tensor([1.0, -2.0])),
        "bfloat16 transposed": torch.arange(6.0).reshape(3, 2).to(torch.bfloat16).t(),
        "empty": torch.empty(0, 3),
    }


@pytest.mark.parametrize("name", sorted(_odd_tensors()))
def test_any_tensor_layout_crosses_as_its_values(name):
    t = _odd_tensors()[name]
    frame = encode(t)
    header, payload = split(frame)
    back = decode(header, payload)
    want = t.resolve_conj().resolve_neg()
    assert back.shape == want.shape and back.dtype == want.dtype
    assert torch.equal(back, want)
    assert len(payload) == want.numel() * want.element_size()  # the values, not the storage


def test_numpy_arrays_of_any_layout_cross_as_their_values():
    import numpy as np
    base = np.arange(24.0).reshape(4, 6)
    for a in (base[::-1, ::2], np.asfortranarray(base), base.T, np.broadcast_to(base[0], (3, 6)),
              base[1:2, 3:5]):
        back = decode(*split(encode(a)))
        assert np.array_equal(back, a) and back.shape == a.shape


def test_a_header_nested_past_jsons_recursion_limit_is_a_protocol_error():
    header = b'{"sizes": [], "tree": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(ProtocolError, match="malformed header"):
        decode(header, b"")


def test_a_chain_of_gradients_is_bounded():
    leaf = {"$": "tensor", "dtype": "float32", "shape": [0], "buf": 0, "device": "cpu"}
    for _ in range(200):
        leaf = dict(leaf, grad=leaf)
    header = json.dumps({"sizes": [0], "tree": leaf}).encode()
    with pytest.raises(ProtocolError, match="nested too deeply"):
        decode(header, b"")


def test_many_colliding_keys_are_refused_before_they_cost_quadratic_time():
    """Numbers hash predictably (k * (2**61 - 1) all hash alike): a dict of them is capped;
    string keys hash with a per-process seed and are not."""
    from grader.sandbox.protocol import MAX_PLAIN_KEYS
    colliding = {i * (2**61 - 1): 0 for i in range(1, MAX_PLAIN_KEYS + 2)}
    with pytest.raises(ProtocolError, match="keys are not strings"):
        decode(*split(encode(colliding)), max_items=10**6)
    names = {f"k{i}": 0 for i in range(MAX_PLAIN_KEYS + 2)}
    assert decode(*split(encode(names)), max_items=10**6) == names
