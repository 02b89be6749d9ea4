"""Visible checks of ex09 (Dataset, DataLoader, mini-batch training): the dataset read back against
the CSV file itself, the loader's batches (every row once per epoch, the order set by the seed
only), and training compared optimizer step by step with the recorded reference run. Students run
these with `python -m grader check ex09`."""
import numpy as np
import pytest
import torch

from grader.checking import Case, check, devices, expected
from grader.checks.training import LOSS_MISTAKES, Recorded, assert_minibatch_run, formula_state
from grader.datasets import path
from grader.numeric import assert_close, fail, kind_of
from grader.protocol import meta

pytestmark = pytest.mark.ex09

_DATA = np.loadtxt(path("diabetes.csv"), delimiter=",")
X_DATA = torch.tensor(_DATA[:, :-1], dtype=torch.float32)
Y_DATA = torch.tensor(_DATA[:, -1:], dtype=torch.float32)


def fixed_state(scale=0.8):
    """A state dict of the 8 -> 6 -> 4 -> 1 network from a fixed formula."""
    shapes = {"0.weight": (6, 8), "0.bias": (6,), "2.weight": (4, 6), "2.bias": (4,),
              "4.weight": (1, 4), "4.bias": (1,)}
    return formula_state(shapes, lambda k: torch.cos(k * 2.3 + 0.7), scale=scale)


# the 8 -> 6 -> 4 -> 1 network with a sigmoid after every layer, as plain data
# (grader.probes.common.network); its parameters are named as in fixed_state
NETWORK = [["linear", "0", 8, 6], ["sigmoid"], ["linear", "2", 6, 4], ["sigmoid"],
           ["linear", "4", 4, 1], ["sigmoid"]]
STATE = fixed_state()
TRAIN_ARGS = (NETWORK, STATE, X_DATA[:50], Y_DATA[:50], 0.5, 2, 16, 0)  # batches 16, 16, 16, 2
TRACE_MISTAKES = {
    "the gradients are not zeroed between steps: call optimizer.zero_grad() before "
    "loss.backward() for every batch": dict(zero=False),
    "the loss is nn.MSELoss: a classifier of probabilities uses nn.BCELoss()": dict(loss="mse"),
    "the loss is nn.BCEWithLogitsLoss, which applies a second sigmoid: the model already "
    "returns probabilities, so use nn.BCELoss()": dict(loss="logits"),
}


def variant_id(kw) -> str:
    """The id of the recorded run with the known mistake `kw` (a TRACE_MISTAKES or
    LOSS_MISTAKES entry)."""
    return "train_" + "_".join(f"{k}_{v}" for k, v in sorted(kw.items()))


CASES = {c.id: c for c in [
    Case("loader_shuffled", "ex09", (10, 4, True, 0), probe="ex09.loader_batches"),
    Case("loader_in_order", "ex09", (10, 4, False, 0), probe="ex09.loader_batches"),
    Case("train", "ex09", TRAIN_ARGS, probe="ex09.train"),
    *[Recorded(variant_id(kw), "ex09", TRAIN_ARGS, kw, fn="ex09.train_variant")
      for kw in [*TRACE_MISTAKES.values(), *LOSS_MISTAKES.values()]],
]}


# ----------------------------------------------------------------------------------------------
# CsvDataset

def check_dataset(got, x, y, call, indices=()):
    """The probe ex09.dataset's answer against the file's features x (N, D) and labels y (N, 1)."""
    n, d = x.shape
    if not got["is_dataset"]:
        fail(f"{call} is not a torch.utils.data.Dataset: declare the class as "
             f"`class CsvDataset(Dataset)`.")
    if got["len"] != n:
        hint = {n - 1: " The file has no header line: every row is a sample (skiprows=1 drops "
                       "one)."}.get(got["len"], "")
        fail(f"len({call}) is {got['len']}, expected {n} (the number of rows).{hint}")
    first = got["first"]
    if not isinstance(first, (tuple, list)) or len(first) != 2:
        fail(f"{call}[0] should be a pair (features, label), got {kind_of(first)}.")
    feats, label = first
    if isinstance(feats, torch.Tensor) and tuple(feats.shape) == (d + 1,):
        fail(f"{call}[0] gives features of shape ({d + 1},): the label column is among them; "
             f"the features are every column but the last.")
    if isinstance(label, torch.Tensor) and tuple(label.shape) == ():
        fail(f"{call}[0] gives a label of shape (): keep its dimension, shape (1,) (slice the "
             f"last column as data[:, -1:] or data[:, [-1]]), so that a batch of labels has "
             f"shape (B, 1) like the model's output.")
    for what, t in (("features", feats), ("label", label)):
        if isinstance(t, torch.Tensor) and t.dtype != torch.float32:
            fail(f"{call}[0] gives the {what} as {kind_of(t)}: keep them float32 (read the "
                 f"file with dtype=np.float32, or convert with .float()); nn.BCELoss compares "
                 f"float32 probabilities with float32 labels.")
    assert_close(first, (x[0], y[0]), call=f"{call}[0]")
    for i, item in zip(indices, got["items"]):
        assert_close(item, (x[i], y[i]), call=f"{call}[{i}]")
    if got["stacked"] is None:
        fail(f"{call}[i] does not give pairs of tensors of the same shapes for every row.")
    assert_close(got["stacked"], (x, y), call=f"{call}[i] for every i",
                 context="all rows stacked: (features, labels)")
    for t in got["stacked"]:
        m = meta(t)
        if m is not None and not m.device.startswith("cpu"):
            fail(f"{call} returns tensors on {m.device}: a Dataset keeps its data on the CPU "
                 f"(the training loop moves each batch where the model is).")


@check("CsvDataset", points=2, visible=True)
def test_dataset_diabetes(sub):
    """CsvDataset("diabetes.csv"): 759 rows, features (8,) and label (1,), float32, as in the file"""
    got = sub.probe("ex09.dataset", "ex09", file="diabetes.csv", indices=(1, 758))
    check_dataset(got, X_DATA, Y_DATA, 'CsvDataset("diabetes.csv")', (1, 758))


# ----------------------------------------------------------------------------------------------
# make_loader

def check_batches(got, n, batch_size, shuffle, call, want=None):
    """Every epoch of the probe ex09.loader_batches holds every row exactly once, in batches of
    batch_size (the last one smaller), in the reference's order when `want` is given."""
    if not got["info"]["is_loader"]:
        fail(f"{call} returned a {got['info']['type']}, not a torch.utils.data.DataLoader.")
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    for e, epoch in enumerate(got["epochs"]):
        rows = [i for batch in epoch for i in batch]
        missing = sorted(set(range(n)) - set(rows))
        repeated = sorted({i for i in rows if rows.count(i) > 1})
        if missing:
            hint = " (drop_last=True drops the last, smaller batch: leave it False)" \
                if len(missing) == n % batch_size else ""
            fail(f"{call}: epoch {e} never gives the rows {missing[:10]}{hint}; every row must "
                 f"appear exactly once per epoch.")
        if repeated:
            fail(f"{call}: epoch {e} gives the rows {repeated[:10]} more than once (sampling "
                 f"with replacement?); every row must appear exactly once per epoch.")
        if [len(b) for b in epoch] != sizes:
            fail(f"{call}: epoch {e} has batches of sizes {[len(b) for b in epoch]}, expected "
                 f"{sizes}.")
        if not shuffle and rows != list(range(n)):
            fail(f"{call} with shuffle=False gives the rows in the order {rows[:12]}..., "
                 f"expected 0, 1, 2, ...")
    if want is not None and got["epochs"] != want["epochs"]:
        e = next(i for i, (a, b) in enumerate(zip(got["epochs"], want["epochs"])) if a != b)
        hint = ""
        if len(got["epochs"]) > 1 and got["epochs"][0] == got["epochs"][1] \
                and want["epochs"][0] != want["epochs"][1]:
            hint = "\n  hint: every epoch has the same order; the loader must shuffle anew " \
                   "each time it is iterated (DataLoader does, with one generator)."
        fail(f"{call}: epoch {e} gives the batches {got['epochs'][e]}, expected "
             f"{want['epochs'][e]}: the order must come from DataLoader(dataset, batch_size, "
             f"shuffle=shuffle, generator=torch.Generator().manual_seed(seed)) and nothing "
             f"else (not the global random state).{hint}")


@check("make_loader", visible=True)
def test_loader_every_row_once(sub):
    """make_loader(10 rows, batch_size=4): batches of 4, 4, 2 holding every row once per epoch"""
    for cid, shuffle in (("loader_shuffled", True), ("loader_in_order", False)):
        case = CASES[cid]
        check_batches(case.run(sub), 10, 4, shuffle, f"make_loader(dataset of 10 rows, "
                      f"batch_size=4, shuffle={shuffle}, seed=0)")


@check("make_loader", points=2, visible=True)
def test_loader_order_by_seed(sub):
    """make_loader's order is the recorded one for seed 0, the same for the same seed, not for another"""
    case = CASES["loader_shuffled"]
    call = "make_loader(dataset of 10 rows, batch_size=4, shuffle=True, seed=0)"
    check_batches(case.run(sub), 10, 4, True, call, want=expected(case))
    again = sub.probe("ex09.loader_batches", "ex09", 10, 4, True, 0, disturb=123)
    check_batches(again, 10, 4, True, call + " after torch.manual_seed(123)", want=expected(case))
    other = sub.probe("ex09.loader_batches", "ex09", 10, 4, True, 1)
    if other["epochs"] == expected(case)["epochs"]:
        fail("make_loader(..., seed=1) gives the same batches as seed=0: pass "
             "generator=torch.Generator().manual_seed(seed) to the DataLoader.")


# ----------------------------------------------------------------------------------------------
# train_minibatch

def check_training(got, want, args, call, variant, dtype=torch.float32):
    """The run of train_minibatch (probe ex09.train) against the reference's, step by step;
    `variant(**kw)` gives the run with the known mistake kw (recorded, or trusted code)."""
    spec, state, x, y, lr, epochs, batch_size, seed = args
    per_epoch = -(-len(x) // batch_size)
    assert_minibatch_run(got, want, call=call, variant=variant,
                         trace_mistakes=TRACE_MISTAKES, per_epoch=per_epoch, dtype=dtype,
                         count_hints={epochs: "one optimizer step per epoch: step once per "
                                              "batch of the loader",
                                      per_epoch: f"the steps of one epoch only: run all "
                                                 f"{epochs} epochs"})


@check("train_minibatch", points=3, visible=True)
@devices()
def test_train_minibatch(sub, device):
    """train_minibatch on 50 rows (batches of 16, 16, 16, 2; 2 epochs) follows the reference step by step"""
    case = CASES["train"].on(device)
    check_training(case.run(sub), expected(case, device), case.args,
                   f"train_minibatch(8-6-4-1 model, loader of 50 rows, lr=0.5, epochs=2) "
                   f"on {device}", lambda **kw: expected(CASES[variant_id(kw)]))
