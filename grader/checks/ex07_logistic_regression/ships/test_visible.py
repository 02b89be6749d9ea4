"""Visible checks of ex07 (sigmoid, binary cross-entropy, logistic regression): fixed inputs
whose reference results `python -m grader build` records, logits of ±1000 that must stay finite,
and autograd and a central difference as oracles for the gradient with respect to the logits."""
import pytest
import torch
import torch.nn.functional as F

from grader.checks.api import (argument_ignored, assert_close, assert_forward_pure, assert_state,
                               assert_structure, assert_trajectory, autograd_grad, Case,
                               central_difference, check, devices, dtypes, expected, fail,
                               GRADCHECK_TOL, naming_float64_weights, Recorded, scale_mistakes,
                               sigmoid_inputs, TOL)
from grader.checks.ex07_logistic_regression.ships import mistakes as hints
from grader.checks.ex07_logistic_regression.ships.mistakes import TRAIN_VARIANTS as VARIANTS
from grader.checks.ex07_logistic_regression.ships.shared import (default_momentum_told,
                                                                  logistic_spec)

pytestmark = pytest.mark.ex07

Z_COURSE = [0.0, 2.0, -3.0, 1000.0, -1000.0, 30.0, -30.0]
P_SMALL, Y_SMALL = torch.tensor([0.8, 0.4, 0.5]), torch.tensor([1.0, 0.0, 1.0])
# p = 0 and 1 under either label, and p = 1e-45 (a float32 denormal, log p = -103.3) for y = 1:
# each log is clamped, a finite one below -100 as well as log(0)
P_EDGE = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-45])
Y_EDGE = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
Z_GRAD = torch.tensor([[0.0], [2.0], [-1.0], [0.5]])
Y_GRAD = torch.tensor([[1.0], [0.0], [0.0], [1.0]])
Z_HUGE = torch.tensor([[1000.0], [-1000.0], [1000.0], [-1000.0]])


STATE_2 = {"linear.weight": torch.tensor([[0.5, -1.0]]), "linear.bias": torch.tensor([0.25])}
X_4 = torch.tensor([[1.0, 2.0], [-1.0, 0.0], [0.5, 0.5], [3.0, -2.0]])
# logits -1.25, -30, 30 and -20 for STATE_2, the model made float64: sigmoid is 9.4e-14,
# 1 - 9.4e-14 and 2.1e-9 there, nearer 0 and 1 than a clamp of the probabilities lets them be
X_SAT = torch.tensor([[1.0, 2.0], [-30.0, 15.25], [40.0, -9.75], [-20.0, 10.25]],
                     dtype=torch.float64)
# two small clusters, as make_clusters draws them, for a short training run
_g = torch.Generator().manual_seed(11)
X_TRAIN = torch.cat([torch.normal(1.7, 1.0, (8, 2), generator=_g) + 1,
                     torch.normal(-1.7, 1.0, (8, 2), generator=_g) + 1])
Y_TRAIN = torch.cat([torch.zeros(8, 1), torch.ones(8, 1)])
TRAIN = (logistic_spec(2), STATE_2, X_TRAIN, Y_TRAIN, 0.1, 20)   # ... lr, epochs
# accuracy: p = sigmoid(x - 1) for x = [-1, 1, 3, 0.5, 1, 2]: classes 0, 1 (p = 0.5 exactly), 1,
# 0, 1 (p = 0.5 again), 1; four of the six labels agree, 2/3, which a rounding for show changes
STATE_ACC = {"linear.weight": torch.tensor([[1.0]]), "linear.bias": torch.tensor([-1.0])}
X_ACC = torch.tensor([[-1.0], [1.0], [3.0], [0.5], [1.0], [2.0]])
Y_ACC = torch.tensor([[0.0], [1.0], [0.0], [0.0], [1.0], [0.0]])

Z_MATRIX = torch.tensor([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]])
Y_MATRIX = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])

CASES = {c.id: c for c in [
    Case("sigmoid_float32", "ex07.sigmoid", (torch.tensor(Z_COURSE),), grad=False),
    Case("sigmoid_float64", "ex07.sigmoid", (torch.tensor(Z_COURSE, dtype=torch.float64),),
         grad=False),
    Case("bce_small", "ex07.bce_loss", (P_SMALL, Y_SMALL), grad=False),
    # a column in float64: the hidden checks give both dtypes, the other cases float32
    Case("bce_column", "ex07.bce_loss",
         (P_SMALL.reshape(-1, 1).double(), Y_SMALL.reshape(-1, 1).double()), grad=False),
    Case("bce_edge", "ex07.bce_loss", (P_EDGE, Y_EDGE), grad=False),
    Case("grad_small", "ex07.bce_grad_logits", (Z_GRAD, Y_GRAD), grad=False),
    Case("grad_huge", "ex07.bce_grad_logits", (Z_HUGE, Y_GRAD), grad=False),
    Case("grad_matrix", "ex07.bce_grad_logits", (Z_MATRIX.double(), Y_MATRIX.double()),
         grad=False),
    Case("clusters_3_seed4", "ex07.make_clusters", (3, 4)),
    # n = 5: one draw of (2n, 2) gives the same numbers as two of (n, 2) where 4n < 16 (n = 3),
    # not here
    Case("clusters_5_seed4", "ex07.make_clusters", (5, 4)),
    Case("structure_2", "ex07", ("LogisticRegression", (2,)), probe="common.model_structure"),
    Case("structure_5", "ex07", ("LogisticRegression", (5,)), probe="common.model_structure"),
    Case("forward_2", "ex07", ("LogisticRegression", (2,), STATE_2, X_4),
         probe="ex07.forward_twice"),
    Case("forward_2_saturated", "ex07", ("LogisticRegression", (2,), STATE_2, X_SAT),
         {"device": torch.float64}, probe="ex07.forward_twice"),
    Recorded("forward_2_sigmoid", "ex07", ("ex07", "LogisticRegression", (2,), STATE_2, X_4),
             fn="ex06.sigmoid_inputs"),
    Case("train_20", "ex07", ("train_logistic", logistic_spec(2), STATE_2,
                              (X_TRAIN, Y_TRAIN, 0.1, 20)), probe="ex07.call_on_network"),
    # the same run with a momentum passed (0.5, not the default 0.9): the argument is used
    Case("train_20_momentum", "ex07", ("train_logistic", logistic_spec(2), STATE_2,
                                       (X_TRAIN, Y_TRAIN, 0.1, 20), {"momentum": 0.5}),
         probe="ex07.call_on_network"),
    *[Recorded(f"train_20_{v}", "ex07", TRAIN + (v,), {"loss": "bce", "momentum": 0.9},
               fn="ex06.train_variant") for v in VARIANTS],
    Case("accuracy_tie", "ex07", ("accuracy", logistic_spec(1), STATE_ACC, (X_ACC, Y_ACC)),
         probe="ex07.call_on_network"),
]}


@check("sigmoid", visible=True)
@devices()
@dtypes()
def test_sigmoid_course(sub, device, dtype):
    """sigmoid at 0, 2, -3, ±30 and ±1000: 0.5, 0.88, 0.047, ..., exactly 1 and 0, no NaN"""
    case = CASES[f"sigmoid_{str(dtype)[6:]}"].on(device)
    want = expected(case, device)
    z = case.args[0]
    assert_close(case.run(sub), want, call=f"sigmoid({Z_COURSE}) ({str(dtype)[6:]}, {device})",
                 mistakes={hints.OVERFLOW: z.exp() / (1 + z.exp()),
                           hints.ONE_MINUS_SIGMOID: 1 - want,
                           hints.TANH_WITHOUT_HALF: 0.5 * (1 + torch.tanh(z))})


@check("bce_loss", visible=True)
@devices()
def test_bce_loss_small(sub, device):
    """bce_loss([0.8, 0.4, 0.5], [1, 0, 1]) = -(log 0.8 + log 0.6 + log 0.5) / 3, for a row of
    probabilities and for a column (N, 1), as a model outputs them"""
    for cid, shown in (("bce_small", "[0.8, 0.4, 0.5], y=[1, 0, 1]"),
                       ("bce_column", "[[0.8], [0.4], [0.5]], y=[[1], [0], [1]] (float64)")):
        case = CASES[cid].on(device)
        want = expected(case, device)
        p, y = case.args
        assert_close(case.run(sub), want, call=f"bce_loss(p={shown})",
                     mistakes={hints.BCE_SIGN: -want, hints.bce_sum(3): 3 * want,
                               hints.BCE_MEAN_DIM0: want.reshape(1),
                               hints.BCE_LABELS_SWAPPED: -(1 - y) * p.log()
                               - y * (1 - p).log()})


@check("bce_loss", visible=True)
def test_bce_loss_saturated(sub):
    """bce_loss at p = 0, p = 1 and p = 1e-45 is finite: each log is clamped at -100 like
    nn.BCELoss, log(1e-45) = -103.3 as well as log(0)"""
    case = CASES["bce_edge"]
    p, y = case.args
    unclamped = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    want = expected(case)
    # 5 values, where test_bce_loss_small has 3: a sum for the mean shows its own N on each
    assert_close(case.run(sub), want, call="bce_loss(p=[0, 1, 0, 1, 1e-45], y=[1, 0, 0, 1, 1]) "
                 "(float32)",
                 mistakes={hints.UNCLAMPED: unclamped, **hints.clamped_p(p, y),
                           **hints.only_infinite_logs(p, y),
                           hints.bce_sum(len(p)): len(p) * want})


@check("bce_grad_logits", points=2, visible=True)
def test_bce_grad_logits_small(sub):
    """bce_grad_logits equals (sigmoid(z) - y) / N, autograd of BCE(sigmoid(z)) and a central
    difference"""
    case = CASES["grad_small"]
    want = expected(case)
    got = case.run(sub)
    call = "bce_grad_logits(z=[[0], [2], [-1], [0.5]], y=[[1], [0], [0], [1]])"
    p = torch.sigmoid(Z_GRAD)
    assert_close(got, want, call=call, mistakes=hints.grad_mistakes(want, p, Y_GRAD, 4))

    def loss(z):
        return F.binary_cross_entropy(torch.sigmoid(z), Y_GRAD.to(z.dtype))
    assert_close(got, autograd_grad(loss, Z_GRAD).float(), call=call,
                 context="autograd of nn.BCELoss on sigmoid(z)")
    rtol, atol = GRADCHECK_TOL
    assert_close(got.double(), central_difference(loss, Z_GRAD), call=call, rtol=rtol,
                 atol=atol, context="central difference (float64)")


@check("bce_grad_logits", visible=True)
def test_bce_grad_logits_matrix(sub):
    """bce_grad_logits of a (2, 3) z divides by z.numel() = 6, every entry of the mean"""
    case = CASES["grad_matrix"]
    want = expected(case)
    assert_close(case.run(sub), want, call="bce_grad_logits(z=[[0, 1, -1], [2, 0, 0.5]], "
                 "y=[[1, 0, 0], [1, 1, 0]]) (float64)", mistakes={
                     # 6 entries, where test_bce_grad_logits_small has 4: a sum for the mean
                     # shows its own N on each
                     **scale_mistakes(want, 6, factor2=False, sign=hints.GRAD_SIGN),
                     hints.rows_not_entries(2, 6): want * 3})


@check("bce_grad_logits", visible=True)
def test_bce_grad_logits_huge(sub):
    """bce_grad_logits at z = ±1000 is finite: (1 - y) / N or -y / N"""
    case = CASES["grad_huge"]
    want = expected(case)
    z = Z_HUGE
    p_overflow = z.exp() / (1 + z.exp())
    assert_close(case.run(sub), want, call="bce_grad_logits(z=[[1000], [-1000], [1000], "
                                           "[-1000]], y=[[1], [0], [0], [1]])",
                 mistakes={hints.OVERFLOW: (p_overflow - Y_GRAD) / 4})


@check("make_clusters", points=2, visible=True)
def test_make_clusters_small(sub):
    """make_clusters(3, seed=4): class 0 rows first, then class 1, labels (6, 1); the same for
    make_clusters(5, seed=4)"""
    for n in (3, 5):
        case = CASES[f"clusters_{n}_seed4"]
        want = expected(case)
        assert_close(case.run(sub), want, call=f"make_clusters({n}, seed=4)",
                     mistakes=hints.clusters_mistakes(*want, seed=4))


@check("LogisticRegression", visible=True)
def test_structure(sub):
    """LogisticRegression(D) holds one nn.Linear(D, 1) named `linear`"""
    for cid, d in (("structure_2", 2), ("structure_5", 5)):
        assert_structure(CASES[cid].run(sub), expected(CASES[cid]),
                         call=f"LogisticRegression({d})")


@check("LogisticRegression", points=2, visible=True)
@devices()
def test_forward(sub, device):
    """forward returns probabilities sigmoid(x @ W.T + b) of shape (N, 1), on the model's
    device, with no side effects"""
    want = expected(CASES["forward_2"], device)["outputs"][0]
    call = f"LogisticRegression(2).to({device!r})(x)"
    with naming_float64_weights(call, X_4):
        out = sub.probe("ex07.forward_twice", "ex07", "LogisticRegression", (2,), STATE_2,
                        X_4.to(device), device=device)
    logits = torch.log(want / (1 - want))
    assert_close(out["outputs"][0], want, call=call, mistakes=lambda: {
        hints.LOGITS_NOT_PROBABILITIES: logits,
        **sigmoid_inputs(expected(CASES["forward_2_sigmoid"], device), STATE_2)})
    assert_forward_pure(out, call=call)
    if device == "cpu":
        case = CASES["forward_2_saturated"]
        want = expected(case)["outputs"][0]
        got = case.run(sub)["outputs"][0]
        assert_close(got, want, call="LogisticRegression(2).to(torch.float64)(x) at logits "
                     "-1.25, -30, 30 and -20",
                     mistakes=lambda: hints.probabilities_clamped(got, want))


@check("train_logistic", points=3, visible=True)
@devices()
def test_train_logistic_20_epochs(sub, device):
    """20 epochs at lr 0.1 from a fixed state, with the default momentum 0.9 and with
    momentum=0.5 passed: the reference's loss at every epoch and the same parameters"""
    call = f"train_logistic(model, x (16, 2), y, lr=0.1, epochs=20) on {device}"
    args = (X_TRAIN.to(device), Y_TRAIN.to(device), 0.1, 20)
    got = sub.probe("ex07.call_on_network", "ex07", "train_logistic", logistic_spec(2), STATE_2,
                    args, device=device)
    want = expected(CASES["train_20"], device)
    wrong = {hint: expected(CASES[f"train_20_{v}"], device) for v, hint in VARIANTS.items()}
    with default_momentum_told(sub, args, want, device, state=STATE_2):
        assert_trajectory(got["result"], want["result"], call=call,
                          mistakes={k: v["losses"] for k, v in wrong.items()})
        assert_state(got["state"], want["state"], call=call,
                     mistakes={k: v["state"] for k, v in wrong.items()})
    # momentum passed: a run equal to the default's (want, which differs) ignores it
    case = CASES["train_20_momentum"].on(device)
    given = case.run(sub)
    want_given = expected(case, device)
    ignored = {argument_ignored("momentum", 0.5, 0.9): want}
    call = call.replace("epochs=20)", "epochs=20, momentum=0.5)")
    assert_trajectory(given["result"], want_given["result"], call=call,
                      mistakes={k: v["result"] for k, v in ignored.items()})
    assert_state(given["state"], want_given["state"], call=call,
                 mistakes={k: v["state"] for k, v in ignored.items()})


@check("accuracy", points=2, visible=True)
def test_accuracy_with_a_tie(sub):
    """accuracy counts p >= 0.5 as class 1: 2/3 on six points, two of them at p = 0.5"""
    case = CASES["accuracy_tie"]
    got = case.run(sub)["result"]
    want = expected(case)["result"]
    if isinstance(got, torch.Tensor):
        fail(f"accuracy(model, x, y) returned a tensor ({got!r:.80}).", hints.ACCURACY_TENSOR)
    assert_close(got, want, call="accuracy(model, x, y) with p = sigmoid(x - 1), "
                                 "x = [-1, 1, 3, 0.5, 1, 2], y = [0, 1, 0, 0, 1, 0]",
                 rtol=TOL[torch.float32][0], atol=TOL[torch.float32][1],
                 mistakes={hints.ACCURACY_TIE: 2 / 6, hints.ACCURACY_COUNT: 4.0,
                           hints.ACCURACY_BROADCAST: hints.accuracy_broadcast(
                               torch.sigmoid(X_ACC - 1) >= 0.5, Y_ACC)})
