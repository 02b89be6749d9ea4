"""Visible checks of ex08 (eight features, 8 → 6 → 4 → 1 with sigmoids): the shipped
diabetes.csv loaded, the network's structure and forward pass from a fixed state, and a short
full-batch training run compared step by step, all recorded from the reference by
`python -m grader build`."""
import numpy as np
import pytest
import torch

from grader.checks.api import (Case, CheckFailure, Recorded, StudentError, assert_close, assert_forward_pure, assert_state,
                               assert_structure, assert_trajectory, check, data_path, devices,
                               expected, fail, kind_of, random_state,
                               naming_bce_target, naming_float64_weights,
                               sigmoid_inputs)
from grader.checks.ex08_multiple_features.ships import mistakes as hints
from grader.checks.ex08_multiple_features.ships.mistakes import TRAIN_VARIANTS as VARIANTS
from grader.checks.ex08_multiple_features.ships.shared import deep_spec, layer_shapes

pytestmark = pytest.mark.ex08

SIZES = (8, 6, 4, 1)
STATE = random_state(torch.Generator().manual_seed(8), layer_shapes(SIZES))
X_5 = (torch.rand(5, 8, generator=torch.Generator().manual_seed(9)) * 2 - 1)
_data = np.loadtxt(data_path("diabetes.csv"), delimiter=",", dtype=np.float32)
X_ALL, Y_ALL = torch.from_numpy(_data[:, :-1].copy()), torch.from_numpy(_data[:, -1:].copy())
TRAIN = (deep_spec(SIZES), STATE, X_ALL, Y_ALL, 1.0, 30)     # ..., lr, epochs

CASES = {c.id: c for c in [
    Case("csv_diabetes", "ex08", ("diabetes.csv",), probe="ex08.csv_summary"),
    Case("structure_default", "ex08", ("DeepBinaryClassifier", ()),
         probe="common.model_structure"),
    Case("structure_3_5_1", "ex08", ("DeepBinaryClassifier", ((3, 5, 1),)),
         probe="common.model_structure"),
    Case("forward_default", "ex08", ("DeepBinaryClassifier", (), STATE, X_5),
         probe="ex08.forward_twice"),
    Recorded("forward_default_mistakes", "ex08", (STATE, X_5),
             fn="ex08.deep_forward_mistakes"),
    Recorded("forward_default_sigmoid", "ex08", ("ex08", "DeepBinaryClassifier", (), STATE, X_5),
             fn="ex06.sigmoid_inputs"),
    Case("train_30", "ex08", ("train_full_batch", deep_spec(SIZES), STATE,
                              (X_ALL, Y_ALL, 1.0, 30)), probe="ex08.call_on_network"),
    *[Recorded(f"train_30_{v}", "ex08", TRAIN + (v,), {"loss": "bce"},
               fn="ex06.train_variant") for v in VARIANTS],
]}


@check("load_csv", points=2, visible=True)
def test_load_diabetes(sub):
    """load_csv("diabetes.csv") gives x float32 (759, 8) and y float32 (759, 1); a file of one
    row gives x (1, D) and y (1, 1)"""
    call = 'load_csv("diabetes.csv")'
    got = CASES["csv_diabetes"].run(sub)
    want = expected(CASES["csv_diabetes"])
    if "raw" in got:
        raw = got["raw"]
        kinds = (", ".join(kind_of(v) for v in raw) if isinstance(raw, (tuple, list))
                 else kind_of(raw))
        fail(f"{call} should return a tuple (x, y) of two float32 tensors, got {kinds}.",
             hints.NOT_TENSORS)
    for key in ("x_shape", "y_shape"):
        if tuple(got[key]) != tuple(want[key]):
            what = key[0]
            got_rows, want_rows = tuple(got[key])[0], tuple(want[key])[0]
            hint = hints.HEADER_SKIPPED if got_rows == want_rows - 1 else \
                {"y": hints.Y_FLAT, "x": hints.X_HOLDS_LABEL}[what]
            fail(f"{call} gave {what} of shape {tuple(got[key])}, expected "
                 f"{tuple(want[key])}.", hint)
    shifted = torch.cat([want["x_head"][:, 1:], want["y_head"].reshape(-1, 1)], dim=1)
    assert_close(got["x_head"], want["x_head"], call=call, context="the first rows of x",
                 mistakes={hints.X_FROM_SECOND_COLUMN: shifted})
    assert_close(got["y_head"], want["y_head"], call=call, context="the first rows of y")
    assert_close(got["x_sum"], want["x_sum"], call=call, context="the column sums of x")
    assert_close(got["y_sum"], want["y_sum"], call=call, context="the sum of y")
    _check_one_row(sub)


# a file of one row, read as one sample of three features (N = 1 is a file like any other)
ONE_ROW = np.array([[0.5, -1.25, 2.0, 1.0]])


def _read_rows(sub, rows, name, call):
    """load_csv of a file holding `rows` ((N, D + 1), the label last), checked against them."""
    text = "\n".join(",".join(f"{v:g}" for v in row) for row in rows) + "\n"
    sub.put_file(name, text)
    got = sub.call("ex08.load_csv", name)
    want = (torch.tensor(rows[:, :-1], dtype=torch.float32),
            torch.tensor(rows[:, -1:], dtype=torch.float32))
    width = hints.fixed_width(got, rows)   # asked after diabetes.csv was read right
    if width:
        fail(f"{call} gave x of shape {tuple(got[0].shape)}, expected "
             f"{tuple(want[0].shape)}.", width)
    assert_close(got, want, call=call)


def _check_one_row(sub):
    """load_csv of a file of one row. Where it fails, a file of that row and one more is read
    too: read right there, the file of one row lost its row dimension."""
    call = 'load_csv(a file of one row "0.5,-1.25,2,1")'
    try:
        _read_rows(sub, ONE_ROW, "one_row.csv", call)
        return
    except (CheckFailure, StudentError) as err:
        failure = err
    two = np.vstack([ONE_ROW, [[-0.25, 1.5, 0.75, 0.0]]])
    try:
        _read_rows(sub, two, "two_rows.csv", 'load_csv(a file of two rows)')
    except (CheckFailure, StudentError):
        raise failure from None
    said = (failure.describe("load_csv") if isinstance(failure, StudentError)
            else str(failure).split("\n  hint:")[0])
    fail(f"{said}\n  A file of the same row and one more is read right.", hints.ONE_ROW,
         measured=True)


@check("DeepBinaryClassifier", points=2, visible=True)
def test_structure(sub):
    """DeepBinaryClassifier() holds nn.Linear 8→6, 6→4, 4→1 in an nn.ModuleList `layers`"""
    for cid, args in (("structure_default", ()), ("structure_3_5_1", ((3, 5, 1),))):
        got = CASES[cid].run(sub)
        call = f"DeepBinaryClassifier({', '.join(map(str, args))})"
        if isinstance(got, dict) and not got.get("parameters"):
            fail(f"{call}: the model has no parameters.", hints.PLAIN_LIST)
        if args:
            _layers_from_sizes(got, args[0], call)
        assert_structure(got, expected(CASES[cid]), call=call)


def _layers_from_sizes(got, sizes, call):
    """Where the model holds a whole chain of nn.Linear in `layers`, registered as asked, but
    of other sizes than `sizes`: the sizes seen, and SIZES_IGNORED where they are the default
    model's (checked right just before), the same layers as without the argument."""
    seen = hints.sizes_of(got)
    if seen is None or seen == tuple(sizes):
        return
    default = hints.sizes_of(expected(CASES["structure_default"]))
    fail(f"{call} holds a chain of nn.Linear layers in `layers` for the sizes {seen}, expected "
         f"one per consecutive pair of {tuple(sizes)}" +
         (f": the same layers as DeepBinaryClassifier() builds." if seen == default else
          "."), hints.SIZES_IGNORED if seen == default else None)


@check("DeepBinaryClassifier", points=2, visible=True)
@devices()
def test_forward(sub, device):
    """forward gives probabilities (N, 1) with a sigmoid after every layer, on the model's
    device, with no side effects"""
    want = expected(CASES["forward_default"], device)["outputs"][0]
    x = X_5.to(device)
    call = f"DeepBinaryClassifier().to({device!r})(x) with x of shape (5, 8)"
    with naming_float64_weights(call, x):
        out = sub.probe("ex08.forward_twice", "ex08", "DeepBinaryClassifier", (), STATE, x,
                        device=device)
    assert_close(out["outputs"][0], want, call=call, mistakes=lambda: {
        **hints.forward_mistakes(expected(CASES["forward_default_mistakes"], device)),
        **sigmoid_inputs(expected(CASES["forward_default_sigmoid"], device), STATE)})
    assert_forward_pure(out, call=call)


@check("train_full_batch", points=3, visible=True)
@devices()
def test_train_30_epochs(sub, device):
    """30 full-batch epochs on diabetes.csv at lr 1.0 from a fixed state: the reference's loss
    at every epoch and the same parameters"""
    call = f"train_full_batch(model, x (759, 8), y (759, 1), lr=1.0, epochs=30) on {device}"
    args = (X_ALL.to(device), Y_ALL.to(device), 1.0, 30)
    with naming_bce_target(call, Y_ALL):
        got = sub.probe("ex08.call_on_network", "ex08", "train_full_batch", deep_spec(SIZES),
                        STATE, args, device=device)
    want = expected(CASES["train_30"], device)
    wrong = {hint: expected(CASES[f"train_30_{v}"], device) for v, hint in VARIANTS.items()}
    assert_trajectory(got["result"], want["result"], call=call,
                      mistakes={k: v["losses"] for k, v in wrong.items()})
    assert_state(got["state"], want["state"], call=call,
                 mistakes={k: v["state"] for k, v in wrong.items()})
