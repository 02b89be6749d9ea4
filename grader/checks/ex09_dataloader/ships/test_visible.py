"""Visible checks of ex09 (Dataset, DataLoader, mini-batch training): the dataset read back against
the CSV file itself, the loader's batches (every row once per epoch, the order set by the seed
only), and training compared optimizer step by step with the recorded reference run. Students run
these with `python -m grader check ex09`."""
import numpy as np
import pytest
import torch

from grader.checks.api import (Case, LOSS_MISTAKES, Recorded, check, devices, expected, fail,
                               formula_state, variant_id)
from grader.checks.ex09_dataloader.ships import mistakes as hints
from grader.checks.ex09_dataloader.ships.shared import (NETWORK, X_DATA, Y_DATA, check_batches,
                                                        check_dataset, check_one_row, read_dataset,
                                                        check_training, check_twins)

pytestmark = pytest.mark.ex09


def fixed_state(scale=0.8):
    """A state dict of the 8 -> 6 -> 4 -> 1 network from a fixed formula."""
    shapes = {"0.weight": (6, 8), "0.bias": (6,), "2.weight": (4, 6), "2.bias": (4,),
              "4.weight": (1, 4), "4.bias": (1,)}
    return formula_state(shapes, lambda k: torch.cos(k * 2.3 + 0.7), scale=scale)


STATE = fixed_state()
TRAIN_ARGS = (NETWORK, STATE, X_DATA[:50], Y_DATA[:50], 0.5, 2, 16, 0)  # batches 16, 16, 16, 2
# a short run in float64, the other dtype the hidden checks train in: batches 8, 8, 4 (three
# steps per epoch, two epochs: each wrong count of steps names its own cause)
TRAIN_ARGS_64 = (NETWORK, STATE, X_DATA[50:70].double(), Y_DATA[50:70].double(), 0.5, 2, 8, 0)

CASES = {c.id: c for c in [
    Case("loader_shuffled", "ex09", (10, 4, True, 0), probe="ex09.loader_batches"),
    Case("loader_in_order", "ex09", (10, 4, False, 0), probe="ex09.loader_batches"),
    Case("train", "ex09", TRAIN_ARGS, probe="ex09.train"),
    *[Recorded(variant_id(kw), "ex09", TRAIN_ARGS, kw, fn="ex09.train_variant")
      for kw in [*hints.TRACE_MISTAKES.values(), *LOSS_MISTAKES.values()]],
    Case("train_float64", "ex09", TRAIN_ARGS_64, probe="ex09.train"),
    *[Recorded("float64_" + variant_id(kw), "ex09", TRAIN_ARGS_64, kw, fn="ex09.train_variant")
      for kw in [*hints.TRACE_MISTAKES.values(), *LOSS_MISTAKES.values()]],
]}


# ----------------------------------------------------------------------------------------------
# CsvDataset

@check("CsvDataset", points=2, visible=True)
def test_dataset_diabetes(sub):
    """CsvDataset("diabetes.csv"): 759 rows, features (8,) and label (1,), float32, as in the file"""
    call = 'CsvDataset("diabetes.csv")'
    got = read_dataset(sub, len(X_DATA), call, file="diabetes.csv", indices=(1, 758))
    check_dataset(got, X_DATA, Y_DATA, call, (1, 758))


@check("CsvDataset", visible=True)
def test_dataset_one_row(sub):
    """CsvDataset of a file of one row, "0.5,-1.25,2,1": 1 item, features (3,), label (1,)"""
    check_one_row(sub, np.array([[0.5, -1.25, 2.0, 1.0]]),
                  'CsvDataset(a file of one row "0.5,-1.25,2,1")')


# ----------------------------------------------------------------------------------------------
# make_loader

@check("make_loader", visible=True)
def test_loader_every_row_once(sub):
    """make_loader(10 rows, batch_size=4): batches of 4, 4, 2 holding every row once per epoch"""
    for cid, shuffle in (("loader_shuffled", True), ("loader_in_order", False)):
        case = CASES[cid]
        check_batches(case.run(sub), 10, 4, shuffle, f"make_loader(dataset of 10 rows, "
                      f"batch_size=4, shuffle={shuffle}, seed=0)")


@check("make_loader", points=2, visible=True)
def test_loader_order_by_seed(sub):
    """make_loader's order comes from its seed: the same for the same seed whatever the global random state or another loader of that seed, another for another seed"""
    call = "make_loader(dataset of 10 rows, batch_size=4, shuffle=True, seed=0)"
    first = CASES["loader_shuffled"].run(sub)
    check_batches(first, 10, 4, True, call)
    again = sub.probe("ex09.loader_batches", "ex09", 10, 4, True, 0, disturb=123)
    check_batches(again, 10, 4, True, call + " after torch.manual_seed(123)", want=first)
    other = sub.probe("ex09.loader_batches", "ex09", 10, 4, True, 1)
    if other["epochs"] == first["epochs"]:
        fail("make_loader(..., seed=1) gives the same batches as seed=0.", hints.SEED_IGNORED)
    # two loaders of one seed iterated in turn, as the hidden checks do: the same batches
    check_twins(sub.probe("ex09.loader_twins", "ex09", 10, 4, 0), first["epochs"],
                "make_loader(dataset of 10 rows, 4, True, seed=0)")


# ----------------------------------------------------------------------------------------------
# train_minibatch

@check("train_minibatch", points=3, visible=True)
@devices()
def test_train_minibatch(sub, device):
    """train_minibatch on 50 rows (batches of 16, 16, 16, 2; 2 epochs) follows the reference step
    by step, and so on 20 rows in float64"""
    case = CASES["train"].on(device)
    check_training(case.run(sub), expected(case, device), case.args,
                   f"train_minibatch(8-6-4-1 model, loader of 50 rows, lr=0.5, epochs=2) "
                   f"on {device}", lambda **kw: expected(CASES[variant_id(kw)]))
    case = CASES["train_float64"].on(device)
    check_training(case.run(sub), expected(case, device), case.args,
                   f"train_minibatch(8-6-4-1 model, loader of 20 float64 rows in batches of 8, "
                   f"lr=0.5, epochs=2) on {device}",
                   lambda **kw: expected(CASES["float64_" + variant_id(kw)]), torch.float64)
