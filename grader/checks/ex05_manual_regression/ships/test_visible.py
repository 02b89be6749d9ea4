"""Visible checks of ex05 (linear regression with autograd and a hand-written update): fixed
inputs whose reference results `python -m grader build` records, the course's run (3000 steps at
lr 0.01 reach w ≈ 3, b ≈ 0.8), and autograd as an oracle for the loss's gradient."""
import pytest
import torch

from grader.checks.api import (Case, CheckFailure, Recorded, StudentError, also_on, assert_close,
                               assert_leaf, assert_made_leaf, assert_state, assert_trajectory,
                               check, devices, expected, fail,
                               inplace_leaf_hint, located, naming_rebound, prefix_cases,
                               recorded_reruns, scale_mistakes, summed)
from grader.checks.ex05_manual_regression.ships import mistakes as hints
from grader.checks.ex05_manual_regression.ships.shared import (assert_grads_kept,
                                                               check_fit_result, fit_cause,
                                                               loss_grads)

pytestmark = pytest.mark.ex05

Y_SMALL = torch.tensor([1.0, 2.0, 3.0, 4.0])
PRED_SMALL = torch.tensor([1.5, 2.0, 2.0, 5.5])
W0, B0 = torch.tensor([0.5]), torch.tensor([-1.0])
GW, GB = torch.tensor([2.0]), torch.tensor([-4.0])
# in float64, a w of three entries with uneven gradients: an update by one number for the
# whole tensor (lr * p.grad.mean()) shows there
W3, GW3 = torch.tensor([0.5, -1.5, 2.0]), torch.tensor([2.0, -1.0, 3.0])
# ten points on the line y = 3x + 0.8 for a short run; the course's 100 points for the long one
X_SHORT = torch.linspace(0.0, 1.0, 10)
Y_SHORT = 3 * X_SHORT + 0.8
X_COURSE = torch.rand(100, generator=torch.Generator().manual_seed(0))
Y_COURSE = 3 * X_COURSE + 0.8
SHORT = (X_SHORT, Y_SHORT, 0.1, 20, 3)          # x, y, lr, iters, seed
VARIANTS = tuple(hints.FIT_VARIANTS)

CASES = {c.id: c for c in [
    Case("data_5_seed5", "ex05.make_data", (5, 5)),
    Case("data_5_seed0", "ex05.make_data", (5, 0)),   # the course's seed
    Case("init_seed7", "ex05.init_params", (7,)),
    Case("mse_small", "ex05.mse_loss", (Y_SMALL, PRED_SMALL)),
    Case("update_small", "ex05", ([W0, B0], [GW, GB], 0.1), probe="ex05.update"),
    # the hidden checks' other dtype, float64, given here too
    # as a column, (N, 1): the contract's "any shape", where a (N,) against a (N, 1) broadcasts
    Case("mse_small64", "ex05.mse_loss", (Y_SMALL.double().view(-1, 1),
                                          PRED_SMALL.double().view(-1, 1))),
    Case("update_small64", "ex05", ([W3.double(), B0.double()], [GW3.double(), GB.double()],
                                     0.1), probe="ex05.update"),
    Case("fit_short", "ex05.fit", SHORT),
    Case("fit_course", "ex05", (X_COURSE, Y_COURSE, 0.01, 3000, 0), {"every": 250},
         probe="ex05.fit_summary"),
    *[Recorded(f"fit_short_{v}", "ex05", SHORT + (v,), fn="ex05.fit_variant") for v in VARIANTS],
    # the same run at a learning rate written in
    *[Case(f"fit_short_lr_{lr:g}", "ex05.fit", SHORT[:2] + (lr,) + SHORT[3:])
      for lr in hints.FIXED_LRS if lr != SHORT[2]],
]}
# the short run for 0, 1, 2, ... steps: where a run parts, from the same start, step by step
CASES.update({c.id: c for c in prefix_cases(CASES["fit_short"], 3)})
# ... and for one step fewer than asked: the parameters of a loop that skips its last update
CASES["fit_short_short_by_one"] = Case("fit_short_short_by_one", "ex05.fit",
                                       SHORT[:3] + (SHORT[3] - 1,) + SHORT[4:])


def fit_mistakes(key):
    """What each known wrong loop gives on the case `fit_short`: {hint: {"w", "b", "losses"}}."""
    out = {}
    for v in VARIANTS:
        r = expected(CASES[f"fit_{key}_{v}"])
        out[hints.FIT_VARIANTS[v]] = r
    for lr in hints.FIXED_LRS:
        if f"fit_{key}_lr_{lr:g}" in CASES:
            w, b, losses = expected(CASES[f"fit_{key}_lr_{lr:g}"])
            out[hints.lr_written_in(lr, SHORT[2])] = {"w": w, "b": b, "losses": losses}
    return out


@check("make_data", visible=True)
@devices()
def test_make_data_seed5(sub, device):
    """make_data(5, seed=5) draws x from a seeded generator and sets y = 3x + 0.8 (and
    make_data(5, seed=0) from one seeded 0)"""
    case = CASES["data_5_seed5"]
    want = expected(case, device)
    got = sub.call("ex05.make_data", 5, 5, device=device)
    assert_close(got, want, call=f"make_data(5, seed=5, device={device!r})",
                 mistakes=lambda: hints.data_mistakes_of(got, 5, 5, want, device))
    if device == "cpu":   # seed 0, the course's, is a seed too (`if seed:` skips it)
        case = CASES["data_5_seed0"]
        got = case.run(sub)
        assert_close(got, expected(case), call="make_data(5, seed=0)",
                     mistakes=lambda: hints.seed_zero_skipped(5))


@check("init_params", visible=True)
@devices()
def test_init_params_seed7(sub, device):
    """init_params(7) gives w then b, shape (1,), leaves that require grad"""
    want = expected(CASES["init_seed7"], device)
    call = f"init_params(7, device={device!r})"
    got = sub.call("ex05.init_params", 7, device=device)
    g = torch.Generator().manual_seed(7)
    randn = tuple(torch.randn(1, generator=g).to(device) for _ in "wb")
    try:
        assert_close(got, want, call=call, mistakes={hints.WB_SWAPPED: (want[1], want[0]),
                                                     hints.B_DRAWN_LIKE_W: (want[0], want[0]),
                                                     hints.RANDN: randn})
    except CheckFailure as failure:
        outside = None if failure.hints else hints.outside_unit(got)
        if outside:
            fail(str(failure), outside)
        raise
    for t, name in zip(got, ("w", "b")):
        assert_made_leaf(t, call=call, name=name)
        assert_leaf(t, call=call, name=name)


@check("mse_loss", visible=True)
def test_mse_loss_small(sub):
    """mse_loss of [1.5, 2, 2, 5.5] against [1, 2, 3, 4] is 0.875, as (4,) and as (4, 1)"""
    want = expected(CASES["mse_small"])
    got = sub.call("ex05.mse_loss", Y_SMALL, PRED_SMALL, grad=False)
    assert_close(got, want, call="mse_loss(y=[1, 2, 3, 4], y_pred=[1.5, 2, 2, 5.5])",
                 mistakes=lambda: {
                     hints.mse_sum(4): want * 4,
                     hints.mse_broadcast(len(Y_SMALL)):
                         ((PRED_SMALL - Y_SMALL.view(-1, 1)) ** 2).mean(),
                     **also_on({MSE_SUMMED: want * len(Y_SMALL),
                                **hints.loss_mistakes(Y_SMALL, PRED_SMALL)}, _second_mse(sub))})
    case = CASES["mse_small64"]
    want = expected(case)
    assert_close(case.run(sub), want, call="mse_loss(y, y_pred) of the same values in float64, "
                 "both of shape (4, 1)",
                 mistakes={hints.mse_sum(4): want * 4,
                           hints.mse_broadcast(4): ((PRED_SMALL.double().view(-1)
                                                     - Y_SMALL.double().view(-1, 1)) ** 2).mean()})


# A second input for the hints, of another size than the first (5 values, not 4): its errors
# (0.5, 1.5, -1, 1.5, -0.5) give the MSE (1.2), their mean (0.4), its square (0.16) and their
# mean absolute value (1.0), all different; their sum of squares is 5 times the MSE
Y2, PRED2 = torch.tensor([0.5, -1.0, 2.0, 3.0, 1.0]), torch.tensor([1.0, 0.5, 1.0, 4.5, 0.5])
MSE_SUMMED = summed("mean squared error", len(Y_SMALL), len(Y2))


def _second_mse(sub):
    """(mse_loss on the second input, the right loss there, the mistakes' values there), or None
    where the call fails; the loss is computed here (this input only names a mistake)."""
    try:
        got = sub.call("ex05.mse_loss", Y2, PRED2, grad=False)
    except StudentError:
        return None
    mse = ((PRED2 - Y2) ** 2).mean()
    return got, mse, {MSE_SUMMED: mse * len(Y2), **hints.loss_mistakes(Y2, PRED2)}


@check("mse_loss", visible=True)
def test_mse_loss_backward(sub):
    """autograd through mse_loss gives d loss / d y_pred = 2 (y_pred - y) / N (float32 and
    float64)"""
    for dtype in (torch.float32, torch.float64):
        y = Y_SMALL.to(dtype)
        pred = PRED_SMALL.to(dtype).requires_grad_(True)
        out = loss_grads(sub, y, pred)
        closed_form = 2 * (pred.detach() - y) / 4
        assert_close(out["grads"][1], closed_form,
                     call=f"mse_loss(y, y_pred).backward(); y_pred.grad ({dtype})",
                     mistakes=scale_mistakes(closed_form, 4))


def _listed(t) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in t) + "]"


@check("sgd_update_", points=2, visible=True)
def test_sgd_update_small(sub):
    """sgd_update_ with lr 0.1 moves w 0.5 -> 0.3 and b -1 -> -0.6, in place, leaves kept
    (float32), and a w of three entries, each by its own gradient (float64)"""
    for cid, kind in (("update_small", ""), ("update_small64", ", all float64")):
        case = CASES[cid]
        (w0, b0), (gw, gb), lr = case.args
        call = (f"sgd_update_([w, b], lr=0.1) with w = {_listed(w0)}, w.grad = {_listed(gw)}, "
                f"b.grad = [-4]{kind}")
        try:
            out = case.run(sub)
        except StudentError as err:
            inplace_leaf_hint(err, call)
        got = out["params"]
        uniform = hints.update_uniform(w0, gw, got[0], lr) \
            if isinstance(got, (list, tuple)) and len(got) == 2 else None
        want = expected(case)["params"]
        if uniform:
            fail(f"{call} gave w = {_listed(got[0])}, expected {_listed(want[0])}: {uniform}.")
        mean = {hints.UPDATE_MEAN: [w0 - lr * gw.mean(), b0 - lr * gb.mean()]} \
            if w0.numel() > 1 else {}
        assert_close(got, want, call=call,
                     mistakes={hints.UPDATE_REBINDS: [w0, b0],
                               hints.UPDATE_SIGN: [w0 + lr * gw, b0 + lr * gb], **mean})
        for t, name in zip(out["params"], ("w", "b")):
            assert_leaf(t, call=call, name=name)
        assert_grads_kept(out, [gw, gb], call)


@check("fit", points=3, visible=True)
@devices()
def test_fit_short_run_step_by_step(sub, device):
    """fit on 10 points of y = 3x + 0.8, 20 steps at lr 0.1: the same losses as the reference at
    every step, and the same w, b"""
    case = CASES["fit_short"].on(device)
    want = expected(case, device)
    call = f"fit(x, y, lr=0.1, iters=20, seed=3) on {device}"
    with naming_rebound(call, hints.FIT_REBOUND):
        got = case.run(sub)
    check_fit_result(got, call)
    mistakes = fit_mistakes("short")
    upto = recorded_reruns(sub, CASES, CASES["fit_short"], device)
    with fit_cause(sub), located(got, want, ("w", "b", "losses"), upto, "step"):
        assert_trajectory(got[2], want[2], call=call,
                          mistakes={k: v["losses"] for k, v in mistakes.items()})
        assert_state(tuple(got[:2]), tuple(want[:2]), call=call,
                     mistakes={**{k: (v["w"], v["b"]) for k, v in mistakes.items()},
                               hints.last_update_missing(SHORT[3], "step"):
                                   tuple(expected(CASES["fit_short_short_by_one"])[:2])})
    for t, name in zip(got[:2], ("w", "b")):
        assert_leaf(t, call=call, name=name)


@check("fit", points=2, visible=True)
def test_fit_course_run(sub):
    """the course's run: 3000 steps at lr 0.01 on make_data(100, seed=0) reach w ≈ 3, b ≈ 0.8"""
    case = CASES["fit_course"]
    want = expected(case)
    call = "fit(x, y, lr=0.01, iters=3000, seed=0) with x, y = make_data(100, seed=0)"
    with naming_rebound(call, hints.FIT_REBOUND):
        got = case.run(sub)
    if got["count"] != want["count"]:
        fail(f"{call} gave {got['count']} losses, expected {want['count']} (one per step).")
    try:
        assert_trajectory(got["losses"], want["losses"], call=call,
                          step_name=lambda k: f"step {250 * k}")
    except CheckFailure as failure:
        if not failure.hints and _init_seed_zero_skipped(sub):
            fail(str(failure), hints.INIT_SEED_ZERO_SKIPPED)
        raise
    assert_state((got["w"], got["b"]), (want["w"], want["b"]), call=call)


def _init_seed_zero_skipped(sub) -> bool:
    """Whether init_params(0) gives the draws of a torch.Generator() never seeded (one call
    more, made only where the course's run, of seed 0, fails naming no mistake)."""
    try:
        got = sub.call("ex05.init_params", 0)
    except StudentError:
        return False
    g = torch.Generator()
    unseeded = tuple(torch.rand(1, generator=g) for _ in "wb")
    try:
        assert_close(tuple(got), unseeded, call="init_params(0)")
    except (CheckFailure, TypeError):
        return False
    return True
