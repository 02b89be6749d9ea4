"""Visible checks of ex01 (the linear model): the course's own numbers, recorded from the
reference by `python -m grader build`. Students run these with `python -m grader check ex01`."""
import numpy as np
import pytest
import torch

from grader.checks.api import (also_on, assert_close, Case, check, CheckFailure, devices,
                               earlier_answer, expected, fail, other_counts, over_count,
                               property_of, same_values, StudentError, summed)
from grader.checks.ex01_linear_model.ships import mistakes as hints

pytestmark = pytest.mark.ex01

X, Y = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
X4, Y4 = [1.0, 2.0, 3.0, 4.0], [2.5, 4.0, 6.5, 7.5]
F64 = torch.float64
WEIGHTS = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
XD, YD = [1.371, -0.7132, 2.2091], [2.52, -1.31, -1.1]

CASES = {c.id: c for c in [
    Case("forward_scalar", "ex01.forward", (3.0, 2.0)),
    Case("forward_tensor", "ex01.forward", (torch.tensor([1.0, 2.0, 3.0]), 2.0)),
    # the other kinds the hidden checks give: NumPy arrays of both dtypes, float64 tensors
    Case("forward_np32", "ex01.forward", (np.array([1.0, 2.0, 3.0], dtype=np.float32), 2.0)),
    Case("forward_np64", "ex01.forward", (np.array([1.0, 2.0, 3.0]), 2.0)),
    Case("forward_tensor64", "ex01.forward", (torch.tensor([1.0, 2.0, 3.0], dtype=F64), 2.0)),
    # inputs with more digits, where the course's give round answers: an answer rounded for
    # show (round(v, 4)) fails a visible check too, not only the hidden ones
    Case("forward_digits", "ex01.forward", (np.array(XD), 0.4567)),
    Case("loss_digits", "ex01.loss", (np.array(XD), np.array(YD), 0.4567)),
    Case("forward_wb_digits", "ex01.forward_wb", (torch.tensor(XD, dtype=F64), 0.4567, -0.1234)),
    # x a leaf that requires grad, as a tensor of a training loop is (the contract's tensors)
    Case("loss_course", "ex01.loss", (torch.tensor(X, dtype=F64, requires_grad=True),
                                      torch.tensor(Y, dtype=F64), 1.0)),
    Case("loss_course32", "ex01.loss", (torch.tensor(X), torch.tensor(Y), 1.0)),
    Case("loss_course_np", "ex01.loss", (np.array(X), np.array(Y), 1.0)),   # the notes' way
    # the notes' way: data as lists, weights from np.arange
    Case("mse_course", "ex01.mse_for_weights", (X, Y, np.arange(0.0, 4.1, 0.5))),
    # other counts than the course's (5 samples, 4 weights): a factor that comes from the
    # counts shows its own value on each
    Case("mse_five", "ex01.mse_for_weights", ([1.0, 2.0, 3.0, 4.0, 5.0],
                                              [1.5, 4.0, 6.5, 7.0, 10.5], [1.0, 1.5, 2.0, 3.0])),
    # as float64 tensors (the hidden checks give lists, arrays and tensors), with the weights of
    # mse_course: an answer kept between calls under the weights alone comes back here
    Case("mse_five_tensor", "ex01.mse_for_weights",
         tuple(torch.tensor(a, dtype=F64) for a in ([1.0, 2.0, 3.0, 4.0, 5.0],
                                                    [1.5, 4.0, 6.5, 7.0, 10.5],
                                                    np.arange(0.0, 4.1, 0.5)))),
    Case("forward_wb", "ex01.forward_wb", (torch.tensor([1.0, 2.0, 3.0]), 2.0, 1.0)),
    # b = 1 cannot tell x * (w + b) from x * w + x: a bias of -0.5 can
    Case("forward_wb_negative", "ex01.forward_wb",
         (torch.tensor([1.0, 2.0, 3.0], dtype=F64), 2.0, -0.5)),
    # on 4 samples, where the notes' grid below has 3: a mean over another count than N shows
    # its own N / (N + k) on each
    Case("surface_small", "ex01.mse_surface",
         tuple(torch.tensor(a, dtype=F64) for a in (X4, Y4, [1.0, 2.0, 3.0, 4.0],
                                                    [-1.0, 0.0, 1.0]))),
    # the notes' exercise as the notes call it (data as lists, the grid from np.arange): a grid
    # of numbers such as 0.1 and 1.3, which float32 cannot hold
    Case("surface_notes", "ex01.mse_surface",
         (X, [3.0, 5.0, 7.0], np.arange(0.0, 3.1, 0.1), np.arange(-1, 1.1, 0.1))),
    Case("best_course", "ex01.best_weight", (X, Y, WEIGHTS)),
    # weights whose MSEs differ by about 1e-6 only (1.2e-6 at 1.9995, 4.7e-8 at 2.0001)
    Case("best_close", "ex01.best_weight", (X, Y, [1.9995, 2.0001, 2.5])),
]}


@check("forward", visible=True)
def test_forward_course(sub):
    """forward(3.0, 2.0) is 6.0, and works on a tensor and on NumPy arrays, keeping every
    digit"""
    for cid, call in (("forward_scalar", "forward(3.0, 2.0)"),
                      ("forward_tensor", "forward(torch.tensor([1., 2., 3.]), 2.0)"),
                      ("forward_np32", "forward(np.array([1., 2., 3.], dtype=np.float32), 2.0)"),
                      ("forward_np64", "forward(np.array([1., 2., 3.]), 2.0)"),
                      ("forward_digits", f"forward(np.array({XD}), 0.4567)")):
        case = CASES[cid]
        assert_close(case.run(sub), expected(case), call=call)


@check("forward", visible=True)
@devices()
def test_forward_keeps_device(sub, device):
    """forward keeps a tensor on its device (and its dtype, float64)"""
    case = CASES["forward_tensor64"].on(device)
    assert_close(case.run(sub), expected(case, device),
                 call=f"forward(x float64 on {device}, 2.0)")


@check("loss", visible=True)
def test_loss_course(sub):
    """loss on the course data at w = 1 is [1, 4, 9] (NumPy arrays, float64 and float32
    tensors), and keeps every digit on data with more"""
    for cid, kind in (("loss_course_np", "NumPy arrays"),
                      ("loss_course", "float64 tensors, x requiring grad"),
                      ("loss_course32", "float32 tensors")):
        case = CASES[cid]
        call = f"loss(x, y, w=1.0) with x=[1,2,3], y=[2,4,6] as {kind}"
        try:
            got = case.run(sub)
        except StudentError as err:
            if cid == "loss_course" and _right_without_grad(sub, case):
                fail(err.describe(call), hints.LEAVES_TORCH, measured=True)
            raise
        assert_close(got, expected(case), call=call,
                     mistakes=lambda: also_on(hints.loss_mistakes(X, Y, 1.0), _second_loss(sub)))
    digits = CASES["loss_digits"]
    assert_close(digits.run(sub), expected(digits), call=f"loss(x={XD}, y={YD}, w=0.4567) as "
                 f"NumPy arrays", mistakes=lambda: hints.loss_mistakes(*digits.args))


def _right_without_grad(sub, case) -> bool:
    """Whether loss gives the recorded values on the case's inputs with x not requiring grad
    (one call more, made only where the call with x requiring grad failed)."""
    x, *rest = case.args
    try:
        assert_close(sub.call(case.target, x.detach(), *rest), expected(case).detach(),
                     call="loss(x.detach(), y, w)")
    except (StudentError, CheckFailure):
        return False
    return True


# A second input for the hints of loss: every x*w - y of the course data at w = 1 is negative,
# so y - x*w is also the absolute error; here the errors are -0.5, -4 and 2.5
LOSS2 = (np.array([1.0, -2.0, 3.0]), np.array([2.0, 1.0, 2.0]), 1.5)


def _second_loss(sub):
    """(loss on the second input, the right losses there, the mistakes' values there), or None
    where the call fails; the losses are computed here (this input only names a mistake)."""
    try:
        got = sub.call("ex01.loss", *LOSS2)
    except StudentError:
        return None
    x, y, w = LOSS2
    return got, (x * w - y) ** 2, hints.loss_mistakes(*LOSS2)


@check("mse_for_weights", points=2, visible=True)
def test_mse_course(sub):
    """MSE for w = 0.0, 0.5, ..., 4.0 on the course data"""
    case = CASES["mse_course"]
    want = expected(case)
    assert_close(case.run(sub), want, call="mse_for_weights([1,2,3], [2,4,6], "
                 "np.arange(0.0, 4.1, 0.5))", mistakes=lambda: _mse_mistakes(want, _second(sub)))
    case = CASES["mse_five_tensor"]
    want5 = expected(case)
    earlier = earlier_answer("mse_for_weights([1,2,3], [2,4,6], the same weights)")
    assert_close(case.run(sub), want5, call="mse_for_weights(x, y, weights) on 5 samples, the "
                 "weights np.arange(0.0, 4.1, 0.5), all float64 tensors",
                 mistakes={hints.sum_not_mean(5): want5 * 5, earlier: want})


def _mse_mistakes(want, second) -> dict:
    """mse_for_weights' mistakes on the course data; a sum for the mean is named where the
    case of 5 samples shows its own N too."""
    n = len(X)
    out = {hints.sum_not_mean(n): want * n,
           **hints.divided_by_weights(want, n, len(WEIGHTS), second),
           **hints.mean_over_weights(X, Y, WEIGHTS)}
    if second is not None:
        got2, want2, n2, _ = second
        hint = summed("MSE", n, n2)
        x2, y2, w2 = CASES["mse_five"].args
        counts = other_counts("MSE", n, n2)
        out.update(also_on({hint: want * n, hints.MEAN_ABSOLUTE: _mae(X, Y, WEIGHTS),
                            **{h: want * over_count(n, k) for h, k in counts.items()}},
                           (got2, want2, {hint: want2 * n2,
                                          hints.MEAN_ABSOLUTE: _mae(x2, y2, w2),
                                          **{h: want2 * over_count(n2, k)
                                             for h, k in counts.items()}})))
    return out


def _mae(x, y, weights):
    """The mean absolute error for each weight (the errors not squared)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.array([np.mean(np.abs(x * w - y)) for w in weights])


def _second(sub):
    """(what mse_for_weights gives on the case of other counts, the recorded value, N, len
    (weights)), or None where it fails."""
    case = CASES["mse_five"]
    try:
        got = case.run(sub)
    except StudentError:   # the student's error: no evidence either way
        return None
    return got, expected(case), len(case.args[0]), len(case.args[2])


@check("forward_wb", visible=True)
def test_forward_wb_course(sub):
    """forward_wb(x, 2, 1) is 2x + 1, and forward_wb(x, 2, -0.5) is 2x - 0.5, keeping every
    digit"""
    for cid in ("forward_wb_negative", "forward_wb", "forward_wb_digits"):
        case = CASES[cid]
        x, w, b = case.args
        assert_close(case.run(sub), expected(case),
                     call=f"forward_wb(tensor({x.tolist()}), {w}, {b})",
                     mistakes=lambda: hints.forward_wb_mistakes(x, w, b, _positive_b(sub)))


def _positive_b(sub):
    """forward_wb on the case of b = 1 > 0 as evidence.also_on takes it, or None where the call
    fails: where b < 0, x * w - b is also x * w + |b|, which this input tells apart."""
    case = CASES["forward_wb"]
    try:
        got = case.run(sub)
    except StudentError:
        return None
    x, w, b = case.args
    return got, expected(case), hints.forward_wb_mistakes(x, w, b)


@check("mse_surface", points=2, visible=True)
def test_surface_small_grid(sub):
    """mse_surface on a 3 x 4 grid (float64 tensors), and on the notes' 21 x 31 grid, has shape
    (len(bs), len(ws)) and the right values"""
    case = CASES["surface_small"]
    want = expected(case)
    ws, bs = [1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 1.0]
    got = case.run(sub)
    notes = CASES["surface_notes"]
    got_notes, error = _surface_notes(sub)
    want_notes = expected(notes)
    counts = other_counts("MSE", len(X4), len(X))
    second = None if error else (got_notes, want_notes, {h: want_notes * over_count(len(X), k)
                                                         for h, k in counts.items()})
    assert_close(got, want, call="mse_surface(x, y, ws=[1,2,3,4], bs=[-1,0,1]), all "
                 "float64 tensors, x and y of 4 samples",
                 mistakes={hints.SURFACE_TRANSPOSED: want.T,
                           hints.sum_not_mean(len(X4)): want * len(X4),
                           **hints.wb_swapped(X4, Y4, ws, bs),
                           **hints.surface_square_of_mean(X4, Y4, ws, bs),
                           **hints.surface_variance(X4, Y4, ws, bs),
                           **hints.y_on_weights_axis(X4, Y4, ws, bs),
                           **also_on({h: want * over_count(len(X4), k)
                                      for h, k in counts.items()}, second)})
    if error:
        raise error
    x, y, ws, bs = (np.asarray(a, dtype=np.float64) for a in notes.args)
    assert_close(got_notes, want_notes, call="mse_surface([1, 2, 3], [3, 5, 7], "
                 "ws=np.arange(0.0, 3.1, 0.1), bs=np.arange(-1, 1.1, 0.1))",
                 mistakes={hints.SURFACE_TRANSPOSED: want_notes.T,
                           hints.sum_not_mean(len(x)): want_notes * len(x),
                           **hints.wb_swapped(x, y, ws, bs),
                           **hints.surface_square_of_mean(x, y, ws, bs),
                           **hints.surface_variance(x, y, ws, bs)})


def _surface_notes(sub):
    """(mse_surface on the notes' grid, None), or (None, the error the call raised)."""
    try:
        return CASES["surface_notes"].run(sub), None
    except StudentError as err:
        return None, err


@check("best_weight", visible=True)
def test_best_weight_arrays_and_tensors(sub):
    """best_weight of NumPy arrays, and of 1-D tensors, picks 2.0001 from the weights [1.9995,
    2.0001, 2.5] (MSEs about 1e-6 apart) and returns it as a Python float"""
    case = CASES["best_close"]
    want = expected(case)
    for kind, conv in (("NumPy arrays", np.asarray),
                       ("1-D tensors", lambda a: torch.tensor(a, dtype=torch.float64))):
        got = sub.call("ex01.best_weight", *(conv(a) for a in case.args))
        assert_close(got, want, call=f"best_weight([1,2,3], [2,4,6], [1.9995, 2.0001, 2.5]), "
                     f"all {kind}", check_dtype="strict",
                     mistakes=lambda: _close_mistakes(case.args, _second_best(sub, case.args)))


def _close_mistakes(args, second) -> dict:
    """best_weight's mistakes on weights of close MSEs: the table's, each shown on the second
    input too; and a weight of an MSE just above the least, named where the second input
    (MSEs far apart) gets the right weight: only MSEs this close are not told apart."""
    named = also_on(hints.best_weight_mistakes(*args), second)
    if second is not None and same_values(second[0], second[1]):
        named.update(hints.near_best(*args))
    return named


@check("best_weight", visible=True)
def test_best_weight_course(sub):
    """the best weight on the course data is 2.0"""
    case = CASES["best_course"]
    want = expected(case)
    assert_close(case.run(sub), want, call="best_weight([1,2,3], [2,4,6], weights)",
                 mistakes=lambda: also_on(hints.best_weight_mistakes(X, Y, WEIGHTS),
                                          _second_best(sub, (X, Y, WEIGHTS))))


# A second input for the hints: on the course data the least MSE, 0.0, is also the worst
# weight, the first of the list. Here the right weight (2.0), its position (1), the least MSE
# (0.5), the worst weight (4.0, the last) and the first (1.5) all differ.
X2, Y2, WEIGHTS2 = [1.0, 2.0, 4.0], [2.5, 3.5, 9.0], [1.5, 2.0, 2.5, 3.0, 4.0]


def _second_best(sub, like):
    """(best_weight on the second input, the right weight there, the mistakes' values there),
    or None where the call fails. The right weight is the list's entry of least MSE (computed
    here: this input is only for naming a mistake, never for the score)."""
    try:
        got = sub.call("ex01.best_weight", X2, Y2, WEIGHTS2)
    except StudentError:
        return None
    mse = {w: sum((x * w - y) ** 2 for x, y in zip(X2, Y2)) / len(X2) for w in WEIGHTS2}
    return got, min(WEIGHTS2, key=mse.get), hints.best_weight_mistakes(X2, Y2, WEIGHTS2, like)


# two inputs with a tie: on the first, the least MSE (1.0) is also the last tied weight; on the
# second, the tied weights are -0.5 and 1.5 and the least MSE is 4.0
TIES = (([1.0], [0.0], [-1.0, 1.0, 3.0]), ([2.0], [1.0], [-0.5, 1.5, 2.5]))


@check("best_weight", visible=True)
@property_of()
def test_best_weight_first_on_tie(sub):
    """best_weight returns the first of two equally good weights (ties are part of the
    contract: a check students run shows them)"""
    got = sub.call("ex01.best_weight", *TIES[0])
    assert_close(got, -1.0, call="best_weight([1], [0], [-1, 1, 3])",
                 mistakes=lambda: also_on(_tie_mistakes(*TIES[0]), _second_tie(sub)))


def _tie_mistakes(x, y, weights):
    """{hint: value} on a tie: the last tied weight, and best_weight's other mistakes."""
    w = np.asarray(weights)
    mse = ((np.asarray(x)[None, :] * w[:, None] - np.asarray(y)[None, :]) ** 2).mean(axis=1)
    last = float(w[np.flatnonzero(mse == mse.min())[-1]])
    return {hints.LAST_ON_TIE: last, **hints.best_weight_mistakes(x, y, weights, TIES[0])}


def _second_tie(sub):
    try:
        got = sub.call("ex01.best_weight", *TIES[1])
    except StudentError:
        return None
    return got, -0.5, _tie_mistakes(*TIES[1])
