"""Hidden checks of ex09: a random CSV file read back by CsvDataset, make_loader on random sizes and
seeds (every row once, the reference's order, independent of the global random state), and
train_minibatch from a random state compared optimizer step by step on every device and dtype."""
import numpy as np
import pytest
import torch

from grader.checks.api import check, devices, dtypes, fail, gen, np_rng, reference_probe
from grader.checks.ex09_dataloader.private.variants import train_variant
from grader.checks.ex09_dataloader.ships import mistakes as hints
from grader.checks.ex09_dataloader.ships.shared import (NETWORK, X_DATA, Y_DATA, check_batches,
                                                        check_dataset, check_one_row, read_dataset,
                                                        check_training, check_twins)

pytestmark = pytest.mark.ex09


@check("CsvDataset", points=2)
def test_dataset_random_file(sub, seed):
    """CsvDataset of a random CSV file (random N and D): length, items and all rows"""
    rng = np_rng(seed, "dataset")
    # N > D + 2: a length of N - 1 (a row lost) is never the number of columns, D or D + 1
    n, d = int(rng.integers(9, 40)), int(rng.integers(2, 7))
    feats = np.round(rng.uniform(-1, 1, (n, d)), 6)
    labels = rng.integers(0, 2, n).astype(np.float64)
    rows = np.column_stack([feats, labels])
    indices = tuple(int(i) for i in rng.choice(n, size=3, replace=False))
    call = f"CsvDataset(a file of {n} rows, {d} features + label)"
    got = read_dataset(sub, n, call, rows=rows, indices=indices)
    x = torch.tensor(feats, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.float32).unsqueeze(1)
    check_dataset(got, x, y, call, indices)


@check("CsvDataset")
def test_dataset_random_one_row(sub, seed):
    """CsvDataset of a random CSV file of one row (random D): one item, as in the file"""
    rng = np_rng(seed, "dataset_one_row")
    d = int(rng.integers(2, 7))
    row = np.append(np.round(rng.uniform(-1, 1, d), 6), float(rng.integers(0, 2)))[None, :]
    check_one_row(sub, row, f"CsvDataset(a file of one row, {d} features + label)")


@check("make_loader", points=2)
@pytest.mark.parametrize("shuffle", [True, False])
def test_loader_random(sub, seed, shuffle):
    """make_loader on random sizes: every row once per epoch, in batches of batch_size, the same
    order for the same seed whatever the global random state"""
    g = gen(seed, "loader", shuffle)
    batch_size = int(torch.randint(3, 9, (), generator=g))
    n = int(torch.randint(2, 6, (), generator=g)) * batch_size + \
        int(torch.randint(1, batch_size, (), generator=g))      # batch_size does not divide n
    loader_seed = int(torch.randint(0, 10_000, (), generator=g))
    args = (n, batch_size, shuffle, loader_seed)
    call = f"make_loader(dataset of {n} rows, batch_size={batch_size}, shuffle={shuffle}, " \
           f"seed={loader_seed})"
    got = sub.probe("ex09.loader_batches", "ex09", *args, epochs=3, disturb=seed % 1000)
    check_batches(got, n, batch_size, shuffle, call)
    again = sub.probe("ex09.loader_batches", "ex09", *args, epochs=3, disturb=seed % 1000 + 1)
    check_batches(again, n, batch_size, shuffle, call + " again, another global random state",
                  want=got)


@check("make_loader")
def test_loader_seeds(sub, seed):
    """make_loader: the same seed gives the same order (also for two loaders iterated in turn),
    different seeds different orders"""
    g = gen(seed, "seeds")
    n = int(torch.randint(20, 40, (), generator=g))
    s1, s2 = (int(v) for v in torch.randint(0, 10_000, (2,), generator=g))
    if s1 == s2:
        s2 += 1
    a = sub.probe("ex09.loader_batches", "ex09", n, 6, True, s1, disturb=1)
    b = sub.probe("ex09.loader_batches", "ex09", n, 6, True, s1, disturb=2)
    c = sub.probe("ex09.loader_batches", "ex09", n, 6, True, s2, disturb=1)
    if a["epochs"] != b["epochs"]:
        fail(f"make_loader(..., seed={s1}) gave two different orders for the same seed: the "
             f"order depends on the global random state.", hints.SEED_IGNORED)
    if a["epochs"] == c["epochs"]:
        fail(f"make_loader gave the same order for seeds {s1} and {s2}: the seed is not used.",
             hints.SEED_IGNORED)
    check_twins(sub.probe("ex09.loader_twins", "ex09", n, 5, s1), a["epochs"],
                f"make_loader(dataset of {n} rows, 5, True, seed={s1})")
    if a["epochs"][0] == a["epochs"][1]:
        fail("make_loader(..., shuffle=True) repeats the same order every epoch: iterate one "
             "DataLoader again for the next epoch; it shuffles anew.")


def _state(g):
    shapes = {"0.weight": (6, 8), "0.bias": (6,), "2.weight": (4, 6), "2.bias": (4,),
              "4.weight": (1, 4), "4.bias": (1,)}
    return {k: (torch.rand(s, generator=g) * 2 - 1) * 1.5 / (s[-1] ** 0.5)
            for k, s in shapes.items()}


@check("train_minibatch", points=3)
@devices()
@dtypes()
def test_train_random(sub, seed, device, dtype):
    """train_minibatch from a random state on random rows follows the reference step by step"""
    g = gen(seed, "train")
    state = _state(g)
    batch_size = int(torch.randint(8, 17, (), generator=g))
    n = int(torch.randint(2, 5, (), generator=g)) * batch_size + \
        int(torch.randint(1, batch_size, (), generator=g))
    idx = torch.randperm(len(X_DATA), generator=g)[:n]
    lr = float(torch.empty(()).uniform_(0.3, 1.0, generator=g))
    train_seed = int(torch.randint(0, 10_000, (), generator=g))
    args = (NETWORK, state, X_DATA[idx].to(device, dtype), Y_DATA[idx].to(device, dtype), lr,
            2, batch_size, train_seed)
    got = sub.probe("ex09.train", "ex09", *args)
    want = reference_probe("ex09.train", "ex09", *args)
    check_training(got, want, args, f"train_minibatch(8-6-4-1 model, loader of {n} rows in "
                   f"batches of {batch_size}, lr={lr:.3g}, epochs=2) on {device}",
                   lambda **kw: train_variant(*args, **kw), dtype)
