"""Visible checks of ex06 (nn.Linear, nn.MSELoss, torch.optim.SGD, a custom module): fixed
inputs and fixed starting parameters whose reference results `python -m grader build` records,
and the course's result: trained on x = [1, 2, 3, 4], y = 2x, the model predicts f(5) ≈ 10."""
import pytest
import torch

from grader.checks.api import (Case, CheckFailure, Recorded, assert_close, assert_forward_pure,
                               assert_no_graph, assert_sgd_optimizer, assert_state,
                               assert_structure, assert_trajectory, check, devices, expected,
                               naming_float64_weights, sigmoid_inputs, traj_tol)
from grader.checks.ex06_nn_linear.ships import mistakes as hints
from grader.checks.ex06_nn_linear.ships.mistakes import (FLAT_TARGET, STEP_VARIANTS,
                                                         TRAIN_VARIANTS)
from grader.checks.ex06_nn_linear.ships.shared import (assert_fresh_optimizer, assert_mode_kept,
                                                       linear_spec,
                                                       naming_fixed_lr,
                                                       right_for_one_feature)

pytestmark = pytest.mark.ex06

X_COURSE = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
Y_COURSE = 2 * X_COURSE
STATE_11 = {"linear.weight": torch.tensor([[-0.3]]), "linear.bias": torch.tensor([0.4])}
STATE_32 = {"linear.weight": torch.tensor([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]]),
            "linear.bias": torch.tensor([0.25, -0.75])}
X_32 = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]])
# a model of as many outputs as inputs, its weight not symmetric: x @ W + b is not x @ W.T + b
STATE_33 = {"linear.weight": torch.tensor([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5],
                                           [1.0, 0.25, 0.0]]),
            "linear.bias": torch.tensor([0.25, -0.75, 0.5])}
STALE_11 = {"linear.weight": torch.tensor([[3.0]]), "linear.bias": torch.tensor([-2.0])}
SPEC_11 = linear_spec(1, 1)
STEP = (SPEC_11, STATE_11, X_COURSE, Y_COURSE, 0.01, 5)   # train_steps arguments
COURSE = (X_COURSE, Y_COURSE, 0.1, 100)                   # train(model, X, Y, lr, n)

CASES = {c.id: c for c in [
    Case("structure_1_1", "ex06", ("LinearRegression", (1, 1)), probe="common.model_structure"),
    Case("structure_3_2", "ex06", ("LinearRegression", (3, 2)), probe="common.model_structure"),
    Case("forward_3_2", "ex06", ("LinearRegression", (3, 2), STATE_32, X_32),
         probe="ex06.forward_twice"),
    Case("forward_1_1", "ex06", ("LinearRegression", (1, 1), STATE_11, X_COURSE),
         probe="ex06.forward_twice"),
    # the same with a sigmoid on the input of the layer
    Recorded("forward_3_2_sigmoid", "ex06", ("ex06", "LinearRegression", (3, 2), STATE_32, X_32),
             fn="ex06.sigmoid_inputs"),
    Recorded("forward_1_1_sigmoid", "ex06", ("ex06", "LinearRegression", (1, 1), STATE_11,
                                             X_COURSE), fn="ex06.sigmoid_inputs"),
    Case("optimizer", "ex06", (SPEC_11, STATE_11, 0.05), probe="ex06.optimizer_info"),
    Case("train_step_stale", "ex06", STEP, {"stale": STALE_11}, probe="ex06.train_steps"),
    *[Recorded(f"train_step_{v}", "ex06", STEP + (v,), {"stale": STALE_11},
               fn="ex06.train_variant") for v in [*STEP_VARIANTS, "flat_target"]],
    Case("train_course", "ex06", ("train", SPEC_11, STATE_11, COURSE),
         probe="ex06.call_on_network"),
    *[Recorded(f"train_course_{v}", "ex06", (SPEC_11, STATE_11) + COURSE[:2]
               + (COURSE[2], COURSE[3], v), fn="ex06.train_variant")
      for v in [*TRAIN_VARIANTS, "flat_target"]],
    # the same run one step short: the parameters of a loop that skips its last update
    Case("train_course_short_by_one", "ex06", ("train", SPEC_11, STATE_11,
                                               COURSE[:3] + (COURSE[3] - 1,)),
         probe="ex06.call_on_network"),
    # the same run at a learning rate written in (hints.FIXED_LRS other than the course's)
    *[Case(f"train_course_lr_{lr:g}", "ex06", ("train", SPEC_11, STATE_11,
                                              COURSE[:2] + (lr, COURSE[3])),
           probe="ex06.call_on_network") for lr in hints.FIXED_LRS if lr != COURSE[2]],
    Case("predict_course", "ex06", ("predict", SPEC_11,
                                    {"linear.weight": torch.tensor([[2.0]]),
                                     "linear.bias": torch.tensor([0.0])},
                                    (torch.tensor([[5.0], [-1.0], [0.031729]]),)),
         probe="ex06.call_on_network"),
]}


# the known wrong runs, and a target flattened to (N,) (recorded for these (N, 1) targets only)
STEP_NAMED = {**STEP_VARIANTS, "flat_target": FLAT_TARGET}
TRAIN_NAMED = {**TRAIN_VARIANTS, "flat_target": FLAT_TARGET}


def _mistakes(prefix, variants, key):
    return {hint: expected(CASES[f"{prefix}_{v}"])[key] for v, hint in variants.items()}


@check("LinearRegression", visible=True)
def test_structure(sub):
    """LinearRegression(D, O) holds one nn.Linear named `linear` with weight (O, D), bias (O,)"""
    for cid, args in (("structure_1_1", (1, 1)), ("structure_3_2", (3, 2))):
        got = CASES[cid].run(sub)
        assert_structure(got, expected(CASES[cid]), call=f"LinearRegression{args}")


@check("LinearRegression", points=2, visible=True)
@devices()
def test_forward(sub, device):
    """forward(x) is x @ W.T + b, on the model's device, with no side effects"""
    # two outputs, and the course's model LinearRegression(1, 1) on x of shape (4, 1): an
    # (N, 1) result squeezed to (N,) shows only with one output
    for cid, sizes, state, x in (("forward_3_2", (3, 2), STATE_32, X_32),
                                 ("forward_1_1", (1, 1), STATE_11, X_COURSE)):
        call = f"LinearRegression{sizes}.to({device!r})(x) with x of shape {tuple(x.shape)}"
        with right_for_one_feature(sizes[0], call, lambda: _forward_one_right(sub, device),
                                   lambda: _untransposed(sub, device),
                                   f"({x.shape[0] * x.shape[1]}x1 "), \
                naming_float64_weights(call, x):
            out = sub.probe("ex06.forward_twice", "ex06", "LinearRegression", sizes, state,
                            x.to(device), device=device)
        want = expected(CASES[cid], device)["outputs"][0]
        assert_close(out["outputs"][0], want, call=call, mistakes=lambda cid=cid, state=state: {
            hints.NO_BIAS: want - state["linear.bias"].to(device),
            **sigmoid_inputs(expected(CASES[f"{cid}_sigmoid"], device), state)})
        assert_forward_pure(out, call=call)


def _forward_one_right(sub, device) -> bool:
    """Whether forward gives the recorded output for LinearRegression(1, 1) on the course x."""
    out = sub.probe("ex06.forward_twice", "ex06", "LinearRegression", (1, 1), STATE_11,
                    X_COURSE.to(device), device=device)
    want = expected(CASES["forward_1_1"], device)["outputs"][0]
    try:
        assert_close(out["outputs"][0], want, call="LinearRegression(1, 1)(x)")
    except CheckFailure:
        return False
    return True


def _untransposed(sub, device) -> bool:
    """Whether forward gives x @ W + b for LinearRegression(3, 3): the weight used as laid out."""
    out = sub.probe("ex06.forward_twice", "ex06", "LinearRegression", (3, 3), STATE_33,
                    X_32.to(device), device=device)
    want = X_32 @ STATE_33["linear.weight"] + STATE_33["linear.bias"]
    try:
        assert_close(out["outputs"][0], want.to(device), call="LinearRegression(3, 3)(x)")
    except CheckFailure:
        return False
    return True


@check("make_optimizer", visible=True)
def test_make_optimizer(sub):
    """make_optimizer builds torch.optim.SGD over all the model's parameters with the given lr"""
    got = CASES["optimizer"].run(sub)
    want = expected(CASES["optimizer"])
    call = "make_optimizer(model, lr=0.05)"
    with naming_fixed_lr(sub, SPEC_11, STATE_11, 0.05, got=got, want=want):
        assert_sgd_optimizer(got, want, call=call)
    assert_fresh_optimizer(got, want, call)


@check("train_step", points=3, visible=True)
def test_train_step_five_steps(sub):
    """five train_steps at lr 0.01 from stale gradients: each returns the loss before its
    update, and the parameters match the reference"""
    call = "5 x train_step(model, nn.MSELoss(), SGD(lr=0.01), X, Y), .grad not zero at first"
    got = sub.probe("ex06.train_steps", "ex06", *STEP, stale=STALE_11)
    want = expected(CASES["train_step_stale"])
    assert_trajectory(got["losses"], want["losses"], call=call,
                      mistakes=_mistakes("train_step", STEP_NAMED, "losses"))
    assert_state(got["state"], want["state"], call=call,
                 mistakes=_mistakes("train_step", STEP_NAMED, "state"))


@check("train", points=3, visible=True)
@devices()
def test_train_course(sub, device):
    """train on x = [1, 2, 3, 4], y = 2x, 100 steps at lr 0.1: the reference's losses at every
    step, and then f(5) ≈ 10"""
    call = f"train(model, X, Y, lr=0.1, n_iter=100) on {device}"
    args = tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in COURSE)
    got = sub.probe("ex06.call_on_network", "ex06", "train", SPEC_11, STATE_11, args,
                    device=device)
    want = expected(CASES["train_course"], device)
    with naming_fixed_lr(sub, SPEC_11, STATE_11, COURSE[2], train=True):
        assert_trajectory(got["result"], want["result"], call=call, mistakes=lambda: {
            **_mistakes("train_course", TRAIN_NAMED, "losses"),
            **{hints.lr_written_in(lr, COURSE[2]):
               expected(CASES[f"train_course_lr_{lr:g}"])["result"]
               for lr in hints.FIXED_LRS if lr != COURSE[2]}})
    short = {hints.last_update_missing(COURSE[3], "step"):
             expected(CASES["train_course_short_by_one"])["state"]}
    assert_state(got["state"], want["state"], call=call,
                 mistakes={k: {n: v.to(device) for n, v in s.items()} for k, s in
                           {**_mistakes("train_course", TRAIN_NAMED, "state"), **short}.items()})

    def f5(state):
        return 5 * state["linear.weight"].reshape(()) + state["linear.bias"].reshape(())
    rtol, atol = traj_tol()
    assert_close(f5(got["state"]), f5(want["state"]), call=call, rtol=rtol, atol=atol,
                 context="the trained model's prediction f(5), about 10")


@check("predict", points=2, visible=True)
def test_predict(sub):
    """predict(model, x) is model(x) computed without a graph, every digit of it"""
    case = CASES["predict_course"]
    got = case.run(sub)
    call = "predict(model, tensor([[5.], [-1.], [0.031729]])) with f(x) = 2x"
    assert_close(got["result"], expected(case)["result"], call=call)
    assert_no_graph(got["result"], call=call)
    assert_mode_kept(got, expected(case), call)
