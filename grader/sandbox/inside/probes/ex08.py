"""Probes of ex08 (multiple features): the CSV loader summarised (for the recorded visible
check), and the shared module probes of ex06 (forward, the student's training code run on a
model the check describes)."""
import os

import torch

from grader.datasets import path as data_path
from grader.sandbox.inside.probes.ex06 import call_on_network, forward_twice

__all__ = ["call_on_network", "csv_summary", "forward_twice"]


def csv_summary(mod, name, rows=5):
    """mod.load_csv(name) in brief: the first rows of x and y (shapes and dtypes kept), the
    column sums and the shapes. `name` is the file next to the submission; on the grader's side,
    where it is not in the working folder, the shipped data set of that name is read."""
    path = name
    if not os.path.exists(path):
        path = str(data_path(name))
    out = mod.load_csv(path)
    if not (isinstance(out, (tuple, list)) and len(out) == 2
            and all(isinstance(t, torch.Tensor) for t in out)):
        return {"raw": out}  # the check says what came back instead of (x, y) tensors
    x, y = out
    return {"x_head": x[:rows], "y_head": y[:rows], "x_sum": x.double().sum(0),
            "y_sum": y.double().sum(0), "x_shape": tuple(x.shape), "y_shape": tuple(y.shape)}
