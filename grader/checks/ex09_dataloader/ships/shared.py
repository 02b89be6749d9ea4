"""What the visible and the hidden checks of ex09 share: the data, the network the training
runs on, and the comparisons of the probes' results (each names the mistakes of mistakes.py it can
tell)."""
import functools
import re

import numpy as np
import torch

from grader.checks.ex09_dataloader.ships import mistakes as hints
from grader.checks.api import (CheckFailure, StudentError, assert_close, assert_minibatch_run,
                               data_path as path, divided_by_rows, fail, kind_of, meta,
                               refuse_steps_that_never_move)

_DATA = np.loadtxt(path("diabetes.csv"), delimiter=",")
X_DATA = torch.tensor(_DATA[:, :-1], dtype=torch.float32)
Y_DATA = torch.tensor(_DATA[:, -1:], dtype=torch.float32)

# the 8 -> 6 -> 4 -> 1 network with a sigmoid after every layer, as plain data
# (grader.sandbox.inside.probes.common.network); its parameters are named 0.weight, 0.bias, 2.weight, ...
NETWORK = [["linear", "0", 8, 6], ["sigmoid"], ["linear", "2", 6, 4], ["sigmoid"],
           ["linear", "4", 4, 1], ["sigmoid"]]


def _is_row(item, row) -> bool:
    """Whether a dataset's item is (the features `row`, a label), exactly."""
    feats = item[0] if isinstance(item, (tuple, list)) and len(item) == 2 else None
    return isinstance(feats, torch.Tensor) and feats.shape == row.shape and \
        bool(torch.equal(feats.to(row.dtype), row))


def _swapped(feats, label, x0, y0) -> bool:
    """Whether an item (feats, label) holds row 0's label, then its features (shapes and
    values both say so; a file of one feature cannot tell)."""
    if not (isinstance(feats, torch.Tensor) and isinstance(label, torch.Tensor)) \
            or x0.numel() == 1 or feats.shape != y0.shape or label.shape != x0.shape:
        return False
    return bool(torch.allclose(feats.detach().cpu().double(), y0.cpu().double())
                and torch.allclose(label.detach().cpu().double(), x0.cpu().double()))


def read_dataset(sub, n, call, **kw):
    """The probe ex09.dataset (`kw`: file or rows, indices) on a file of `n` rows. It reads
    dataset[i] for every i in range(len(dataset)): where that fails with the IndexError of row
    `n` (PyTorch's or NumPy's words), an item the dataset counts ran past the file's last row,
    and the failure says so (read from the text: shown, not counted). Where a file of one
    feature column (N x D = N numbers) is then read right, len() counts the numbers: named."""
    try:
        return sub.probe("ex09.dataset", "ex09", **kw)
    except StudentError as err:
        past = re.search(rf"\bindex {n} is out of bounds for (dimension|axis) 0 with size {n}\b",
                         str(err))
        if not (err.kind == "exception" and err.derives_from("IndexError") and past):
            raise
        rows = f"{n} rows" if n != 1 else "one row"
        said = (f"{err.describe(call)}\n  dataset[i] is read for every i in range(len(dataset)); "
                f"one of them indexed row {n} of the file's {rows} (the last is row {n - 1}).")
        if _one_feature_read_right(sub):
            fail(f"{said}\n  A file of 4 rows of one feature (4 numbers) is read right.",
                 hints.LEN_NUMEL, measured=True)
        fail(said, hints.PAST_THE_ROWS)


def _one_feature_read_right(sub) -> bool:
    """Whether CsvDataset reads a file of 4 rows of one feature and a label right."""
    rows = np.array([[-0.5, 0.0], [0.25, 1.0], [0.75, 1.0], [-0.125, 0.0]])
    x = torch.tensor(rows[:, :-1], dtype=torch.float32)
    y = torch.tensor(rows[:, -1:], dtype=torch.float32)
    try:
        got = sub.probe("ex09.dataset", "ex09", rows=rows, indices=(0, 3))
        check_dataset(got, x, y, "CsvDataset(a file of one feature)", (0, 3))
    except (CheckFailure, StudentError):
        return False
    return True


def check_dataset(got, x, y, call, indices=()):
    """The probe ex09.dataset's answer against the file's features x (N, D) and labels y (N, 1)."""
    n, d = x.shape
    if not got["is_dataset"]:
        fail(f"{call} is not a torch.utils.data.Dataset.", hints.NOT_A_DATASET)
    if got["len"] != n:
        # each cause with the lengths it gives; one is named only where no other gives that
        # length too (a file of N - 1 = D + 1 rows cannot tell a lost row from the columns)
        # a lost row only where dataset[0] is not the file's first row (the file read whole,
        # __len__ one short: said as that)
        lost = hints.LEN_ONE_SHORT if _is_row(got.get("first"), x[0]) else hints.HEADER_SKIPPED
        # a file of one row read as empty shows no first item: a lost row is told by nothing
        causes = {**({lost: (n - 1,)} if n > 1 else {}), hints.LEN_COLUMNS: (d, d + 1)}
        seen = [h for h, lengths in causes.items() if got["len"] in lengths]
        fail(f"len({call}) is {got['len']}, expected {n} (the number of rows).",
             seen[0] if len(seen) == 1 else None)
    first = got["first"]
    if not isinstance(first, (tuple, list)) or len(first) != 2:
        fail(f"{call}[0] should be a pair (features, label), got {kind_of(first)}.")
    feats, label = first
    if _swapped(feats, label, x[0], y[0]):
        fail(f"{call}[0] gives a first item of shape (1,) and a second of shape ({d},): the "
             f"label's shape, then the features'.", hints.PAIR_SWAPPED)
    if isinstance(feats, torch.Tensor) and tuple(feats.shape) == (d + 1,):
        fail(f"{call}[0] gives features of shape ({d + 1},).", hints.LABEL_IN_FEATURES)
    if isinstance(label, torch.Tensor) and tuple(label.shape) == ():
        fail(f"{call}[0] gives a label of shape ().", hints.FLAT_LABEL)
    for what, t in (("features", feats), ("label", label)):
        if isinstance(t, torch.Tensor) and t.dtype != torch.float32:
            fail(f"{call}[0] gives the {what} as {kind_of(t)}.", hints.NOT_FLOAT32)
    # read only where an item is wrong (a mistakes callable): rows shifted by one number
    shift = functools.cache(lambda: row_shift(x, y, [0, *indices], [first, *got["items"]]))

    def shifted(i):
        def mistakes():
            s = shift()
            return {hints.rows_shifted(s, n): (x[(i + s) % n], y[(i + s) % n])} if s else {}
        return mistakes
    assert_close(first, (x[0], y[0]), call=f"{call}[0]", mistakes=shifted(0))
    for i, item in zip(indices, got["items"]):
        assert_close(item, (x[i], y[i]), call=f"{call}[{i}]", mistakes=shifted(i))
    if got["stacked"] is None:
        fail(f"{call}[i] does not give pairs of tensors of the same shapes for every row.")
    assert_close(got["stacked"], (x, y), call=f"{call}[i] for every i",
                 context="all rows stacked: (features, labels)")
    for t in got["stacked"]:
        m = meta(t)
        if m is not None and not m.device.startswith("cpu"):
            fail(f"{call} returns tensors on {m.device}.", hints.DATA_ON_GPU)


def row_shift(x, y, indices, items) -> int:
    """The one shift s (not 0) such that each item dataset[i] is the file's row i + s (modulo
    N, as Python's negative indices wrap), on at least two indices and for both the features
    and the label; 0 where no single shift holds (or the rows are not all different)."""
    n = len(x)
    if len(indices) < 2 or len(torch.unique(x, dim=0)) < n:
        return 0
    found = set()
    for i, item in zip(indices, items):
        if not (isinstance(item, (tuple, list)) and len(item) == 2
                and all(isinstance(t, torch.Tensor) for t in item)):
            return 0
        feats, label = item
        if tuple(feats.shape) != tuple(x.shape[1:]) or feats.dtype != x.dtype:
            return 0
        rows = torch.nonzero((x == feats.cpu()).all(dim=1)).flatten().tolist()
        if len(rows) != 1 or label.numel() != 1 or float(label) != float(y[rows[0]]):
            return 0
        found.add((rows[0] - i) % n)
    s = found.pop() if len(found) == 1 else 0
    return s - n if s > n // 2 else s


def check_batches(got, n, batch_size, shuffle, call, want=None):
    """Every epoch of the probe ex09.loader_batches holds every row exactly once, in batches of
    batch_size (the last one smaller), in the order of `want` (the same loader's earlier run)
    when it is given. The contract is the rule, not the reference's random stream: any seeded
    order passes."""
    if not got["info"]["is_loader"]:
        fail(f"{call} returned a {got['info']['type']}, not a torch.utils.data.DataLoader.")
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    for e, epoch in enumerate(got["epochs"]):
        rows = [i for batch in epoch for i in batch]
        missing = sorted(set(range(n)) - set(rows))
        repeated = sorted({i for i in rows if rows.count(i) > 1})
        if missing:
            fail(f"{call}: epoch {e} never gives the rows {missing[:10]}; every row must "
                 f"appear exactly once per epoch.",
                 hints.DROP_LAST if len(missing) == n % batch_size else None)
        if repeated:
            fail(f"{call}: epoch {e} gives the rows {repeated[:10]} more than once; every row "
                 f"must appear exactly once per epoch.", hints.WITH_REPLACEMENT)
        if [len(b) for b in epoch] != sizes:
            fail(f"{call}: epoch {e} has batches of sizes {[len(b) for b in epoch]}, expected "
                 f"{sizes}.")
        if not shuffle and rows != list(range(n)):
            # the condition: a new order in each epoch is shuffling, whatever its stream
            orders = [[i for batch in ep for i in batch] for ep in got["epochs"]]
            anew = len({tuple(o) for o in orders}) > 1
            fail(f"{call} with shuffle=False gives the rows in the order {rows[:12]}..., "
                 f"expected 0, 1, 2, ..." + (" (another order in each epoch)" if anew else ""),
                 hints.SHUFFLED_ANYWAY if anew else None)
    if want is not None and got["epochs"] != want["epochs"]:
        e = next(i for i, (a, b) in enumerate(zip(got["epochs"], want["epochs"])) if a != b)
        hint = hints.ORDER_NOT_FROM_SEED
        if len(got["epochs"]) > 1 and got["epochs"][0] == got["epochs"][1] \
                and want["epochs"][0] != want["epochs"][1]:
            hint = f"{hints.SAME_ORDER_EVERY_EPOCH} {hints.ORDER_NOT_FROM_SEED}"
        fail(f"{call}: epoch {e} gives the batches {got['epochs'][e]}, expected "
             f"{want['epochs'][e]}.", hint)


def check_training(got, want, args, call, variant, dtype=torch.float32):
    """The run of train_minibatch (probe ex09.train) against the reference's, step by step;
    `variant(**kw)` gives the run with the known mistake kw (recorded, or trusted code)."""
    spec, state, x, y, lr, epochs, batch_size, seed = args
    n = len(x)
    per_epoch = -(-n // batch_size)
    refuse_steps_that_never_move(got, want, state, call)
    assert_minibatch_run(got, want, call=call, variant=variant,
                         trace_mistakes=hints.TRACE_MISTAKES, per_epoch=per_epoch, dtype=dtype,
                         count_hints={epochs: hints.ONE_STEP_PER_EPOCH,
                                      per_epoch: hints.one_epoch_only(epochs)},
                         loss_mistakes=lambda: {
                             **divided_by_rows(want["losses"], n, per_epoch),
                             **hints.floor_batches(want["losses"], n, batch_size),
                             **hints.not_reset(want["losses"])},
                         start=state)


def check_twins(twins, single, call):
    """Two loaders of one seed iterated in turn (the probe ex09.loader_twins) give the same
    batches. Where they do not, and the second loader's first epoch is the order a single loader
    of that seed gives in its second epoch (`single`: ex09.loader_batches' epochs, any batch
    size: the orders are compared row by row), the second loader drew where the first left
    off: the two share one random stream."""
    if twins["first"] == twins["second"]:
        return

    def order(epoch):
        return [i for batch in epoch for i in batch]
    shared = len(single) > 1 and order(twins["second"][0]) == order(single[1])
    fail(f"two {call} loaders, the second made after the first and both iterated in turn, gave "
         f"different batches: the same seed must give the same batches.",
         hints.SHARED_STREAM if shared else None)


def _read(sub, rows, call):
    """CsvDataset of a file holding `rows` ((N, D + 1): features, then the label), checked."""
    x = torch.tensor(rows[:, :-1], dtype=torch.float32)
    y = torch.tensor(rows[:, -1:], dtype=torch.float32)
    check_dataset(read_dataset(sub, len(rows), call, rows=rows, indices=(0,)), x, y, call, (0,))


def check_one_row(sub, row, call):
    """CsvDataset of a file of one row (`row`: (1, D + 1)). Where it fails, a file of that row
    and one more is read too: read right there, the file of one row lost its row dimension."""
    try:
        _read(sub, row, call)
        return
    except (CheckFailure, StudentError) as err:
        failure = err
    other = row.copy()
    other[:, :-1] = np.round(0.25 - row[:, :-1], 6)
    other[:, -1] = 1 - row[:, -1]
    try:
        _read(sub, np.vstack([row, other]), call)
    except (CheckFailure, StudentError):
        raise failure from None
    said = (failure.describe("CsvDataset") if isinstance(failure, StudentError)
            else str(failure).split("\n  hint:")[0])
    fail(f"{said}\n  A file of the same row and one more is read right.", hints.ONE_ROW,
         measured=True)
