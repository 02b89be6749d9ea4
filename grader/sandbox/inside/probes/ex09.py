"""Probes of ex09 (Dataset and DataLoader): the student's CsvDataset read back item by item, the
batches of make_loader over a dataset of row numbers, and train_minibatch on a network the check
describes as plain data (recorded optimizer step by optimizer step)."""
import os
import tempfile

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from builtins import isinstance, issubclass, len, type  # noqa: A004 - bound before student code

from grader import datasets
from grader.sandbox.inside.probes.common import inherits, network
from grader.sandbox.inside.steps import record_steps
from grader.sandbox.inside.probes.guard import answer, watched


def _csv_path(name):
    """A shipped data set: next to the submission in a worker, in grader/data/ otherwise."""
    return name if os.path.exists(name) else str(datasets.path(name))


def dataset(mod, file=None, rows=None, indices=()):
    """CsvDataset of a shipped file (`file`) or of `rows` (an (N, D + 1) float64 array, written
    to a fresh CSV file without header, labels as integers). Returns its length, whether it is a
    torch Dataset, the items at `indices` and all items stacked (features (N, D), labels (N, 1))."""
    if rows is not None:
        folder = tempfile.mkdtemp(prefix="csv-")
        path = os.path.join(folder, "data.csv")
        fmt = ["%.6f"] * (rows.shape[1] - 1) + ["%d"]
        np.savetxt(path, rows, fmt=fmt, delimiter=",")
    else:
        path = _csv_path(file)
    ds = mod.CsvDataset(path)
    n = len(ds)
    items = [ds[i] if 0 <= i < n else None for i in indices]
    every = [ds[i] for i in range(n)]
    stacked = None
    if every and all(isinstance(it, (tuple, list)) and len(it) == 2 for it in every):
        try:
            stacked = (torch.stack([it[0] for it in every]), torch.stack([it[1] for it in every]))
        except (TypeError, RuntimeError):
            stacked = None
    return {"len": n, "is_dataset": inherits(type(ds), Dataset), "items": items,
            "stacked": stacked, "first": every[0] if every else None}


def loader_batches(mod, n, batch_size, shuffle, seed, epochs=2, disturb=None):
    """make_loader over a dataset whose sample i is the row number i; the row numbers of each
    batch, epoch by epoch. `disturb`: a seed for the global random state, set between making the
    loader and iterating it (the order must not depend on it)."""
    ds = TensorDataset(torch.arange(n))
    loader = mod.make_loader(ds, batch_size, shuffle, seed)
    if disturb is not None:
        torch.manual_seed(disturb)
        np.random.seed(disturb % 2**32)
    out = []
    for _ in range(epochs):
        out.append([batch[0].tolist() for batch in loader])
    info = {"type": type(loader).__name__, "is_loader": inherits(type(loader), DataLoader),
            "drop_last": getattr(loader, "drop_last", None)}
    return {"epochs": out, "info": info}


def loader_twins(mod, n, batch_size, seed, epochs=2):
    """Two make_loader(..., shuffle=True, seed) loaders over one dataset of row numbers, the
    second made after the first, iterated in turn epoch by epoch: the row numbers of each one's
    batches. Loaders that share one random stream give each other's next draws."""
    ds = TensorDataset(torch.arange(n))
    loaders = (mod.make_loader(ds, batch_size, True, seed),
               mod.make_loader(ds, batch_size, True, seed))
    out = ([], [])
    for _ in range(epochs):
        for seen, loader in zip(out, loaders):
            seen.append([batch[0].tolist() for batch in loader])
    return {"first": out[0], "second": out[1]}


def train(mod, spec, state, x, y, lr, epochs, batch_size, seed):
    """train_minibatch on the network `spec` describes (grader.sandbox.inside.probes.common.network), loaded
    with `state`, on x's device and dtype, with a loader built here: DataLoader(TensorDataset(x,
    y), batch_size, shuffle=True, generator=seeded); the losses, the final state and the
    parameters after every optimizer step."""
    model = network(spec, state, x.device, x.dtype)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    with record_steps(model) as rec:
        losses, found = watched(mod.train_minibatch, "train_minibatch", model, loader, lr,
                                epochs)
    return answer({"losses": losses, "state": dict(nn.Module.state_dict(model)),
                   "steps": rec.trace()}, found)
