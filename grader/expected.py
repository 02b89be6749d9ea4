"""Recorded values as readable JSON: numbers, not code.

    {"$": "tensor", "dtype": "float32", "shape": [2], "data": [1.0, 2.0]}

Non-finite floats are written as the strings "nan", "inf" and "-inf".
"""
from __future__ import annotations

import math

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
