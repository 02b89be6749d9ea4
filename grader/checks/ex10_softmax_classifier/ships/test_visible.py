"""Visible checks of ex10 (softmax and cross-entropy, a classifier, mini-batch training): the
course's numbers, recorded reference results on fixed inputs, autograd as the oracle of the
hand-written gradient, and training compared optimizer step by step. Students run these with
`python -m grader check ex10`."""
import pytest
import torch

from grader.checks.api import (Case, GRADCHECK_TOL, LOSS_MISTAKES, Recorded, assert_close, check,
                               fail, kind_of,
                               StudentError, devices, expected, formula_state, manual_call,
                               variant_id)
from grader.checks.ex10_softmax_classifier.ships import mistakes as hints
from grader.checks.ex10_softmax_classifier.ships.mistakes import (ce_mistakes, grad_mistakes,
                                                                  softmax_mistakes)
from grader.checks.ex10_softmax_classifier.ships.shared import (X_DATA, Y_DATA,
                                                                assert_close_at,
                                                                call_cross_entropy, call_softmax,
                                                                check_forward,
                                                                normalises_over_rows,
                                                                overflows, right_on_two_rows,
                                                                check_predict, check_structure,
                                                                check_training,
                                                                classes_from_targets)

pytestmark = pytest.mark.ex10

SIZES = (4, 8, 3)


def fixed_state(sizes=SIZES, scale=0.5):
    """A state dict for SoftmaxClassifier(*sizes) from a fixed formula."""
    d, h, c = sizes
    shapes = {"hidden.weight": (h, d), "hidden.bias": (h,), "output.weight": (c, h),
              "output.bias": (c,)}
    return formula_state(shapes, lambda k: torch.sin(k * 1.7 + 0.3), scale=scale)


STATE = fixed_state()
# For predict_classes, a state under which the 20 rows fall in all three classes: under STATE
# every row is class 0, which a constant answer would match.
PREDICT_STATE = formula_state({"hidden.weight": (8, 4), "hidden.bias": (8,),
                               "output.weight": (3, 8), "output.bias": (3,)},
                              lambda k: torch.cos(k * 1.3 + 0.2), scale=0.5)
LOGITS_SMALL = torch.tensor([[0.2, -1.0, 0.5, 2.0], [1.5, 0.0, -0.5, 0.3],
                             [-2.0, 1.0, 0.1, 0.0]], dtype=torch.float64)
TARGETS_SMALL = torch.tensor([3, 0, 2])
LARGE = torch.tensor([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -1000.0],
                      [0.0, -1000.0, 1000.0]])
# the second row's largest logit (-500) is far below the first's (1000): a maximum taken over
# the whole tensor, not each row, leaves that row's exp all 0 (log(0) = -inf)
CE_LARGE = (torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -500.0, -900.0]]),
            torch.tensor([1, 2]))
TRAIN = dict(lr=0.1, epochs=3, batch_size=16, seed=0)  # 60 rows: batches 16, 16, 16, 12
TRAIN_ARGS = (SIZES, STATE, X_DATA[:60], Y_DATA[:60], TRAIN["lr"], TRAIN["epochs"],
              TRAIN["batch_size"], TRAIN["seed"])
# a short run in float64, the other dtype the hidden checks train in: batches 8, 8, 4 (three
# steps per epoch, two epochs: each wrong count of steps names its own cause)
TRAIN_ARGS_64 = (SIZES, STATE, X_DATA[60:80].double(), Y_DATA[60:80], TRAIN["lr"], 2, 8,
                 TRAIN["seed"])
CE_CASES = ("ce_course_good", "ce_course_bad", "ce_course_batch", "ce_large")


CASES = {c.id: c for c in [
    Case("softmax_course", "ex10.softmax", (torch.tensor([1.0, 2.0, 3.0]),), grad=False),
    Case("softmax_rows", "ex10.softmax", (LOGITS_SMALL,), {"dim": 1}, grad=False),
    Case("softmax_cols", "ex10.softmax", (LOGITS_SMALL,), {"dim": 0}, grad=False),
    Case("softmax_large", "ex10.softmax", (LARGE,), grad=False),
    Case("ce_course_good", "ex10.cross_entropy",
         (torch.tensor([[2.0, 1.0, 0.1]]), torch.tensor([0])), grad=False),
    Case("ce_course_bad", "ex10.cross_entropy",
         (torch.tensor([[0.5, 2.0, 0.3]]), torch.tensor([0])), grad=False),
    Case("ce_course_batch", "ex10.cross_entropy",    # float64: the hidden checks give both
         (torch.tensor([[0.1, 0.2, 0.9], [1.1, 0.1, 0.2], [0.2, 2.1, 0.1]], dtype=torch.float64),
          torch.tensor([2, 0, 1])), grad=False),
    Case("ce_large", "ex10.cross_entropy", CE_LARGE, grad=False),
    Case("grad_hand", "ex10.cross_entropy_grad",
         (torch.zeros(2, 2), torch.tensor([0, 1])), grad=False),
    Case("grad_small", "ex10.cross_entropy_grad", (LOGITS_SMALL, TARGETS_SMALL), grad=False),
    Case("grad_no_last_class", "ex10.cross_entropy_grad",
         (torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]), torch.tensor([0, 1])), grad=False),
    Case("structure", "ex10", ("SoftmaxClassifier", SIZES), probe="common.model_structure"),
    Case("forward", "ex10", (SIZES, STATE, X_DATA[:20]), probe="ex10.forward"),
    Case("forward_float64", "ex10", (SIZES, STATE, X_DATA[:5].double()), probe="ex10.forward"),
    Case("predict_logits", "ex10", (SIZES, PREDICT_STATE, X_DATA[:20]), probe="ex10.forward"),
    Case("predict", "ex10", (SIZES, PREDICT_STATE, X_DATA[:20]), probe="ex10.predict"),
    # a batch of one row: N = 1 is a batch like any other
    Case("predict_one", "ex10", (SIZES, PREDICT_STATE, X_DATA[:1]), probe="ex10.predict"),
    Case("train", "ex10", TRAIN_ARGS, probe="ex10.train"),
    Case("train_float64", "ex10", TRAIN_ARGS_64, probe="ex10.train"),
]}
# the known wrong answers on these inputs, recorded from trusted code by `build`
# (grader.checks.ex10_softmax_classifier.private.variants)
CASES.update({c.id: c for c in [
    Recorded("softmax_large_mistakes", "ex10", CASES["softmax_large"].args,
             fn="ex10.softmax_mistakes"),
    *[Recorded(f"{cid}_mistakes", "ex10", CASES[cid].args, fn="ex10.ce_mistakes")
      for cid in CE_CASES],
    *[Recorded(f"{cid}_mistakes", "ex10", CASES[cid].args, fn="ex10.grad_mistakes")
      for cid in ("grad_hand", "grad_small")],
    Recorded("forward_mistakes", "ex10", (STATE, X_DATA[:20]), fn="ex10.forward_mistakes"),
    Recorded("forward_float64_mistakes", "ex10", (STATE, X_DATA[:5].double()),
             fn="ex10.forward_mistakes"),
    *[Recorded(variant_id(kw), "ex10", TRAIN_ARGS, kw, fn="ex10.train_variant")
      for kw in [*hints.TRACE_MISTAKES.values(), *LOSS_MISTAKES.values()]],
    *[Recorded("float64_" + variant_id(kw), "ex10", TRAIN_ARGS_64, kw, fn="ex10.train_variant")
      for kw in [*hints.TRACE_MISTAKES.values(), *LOSS_MISTAKES.values()]],
]})


def run(sub, case):
    """A case; a manual one (grad=False) through manual_call, which explains a failure caused
    by using autograd where the formula is to be written by hand."""
    if case.target == "ex10.softmax":
        return call_softmax(sub, *case.args, **case.kwargs)
    if case.target == "ex10.cross_entropy":
        return call_cross_entropy(sub, *case.args)
    if case.grad is False:
        return manual_call(sub, case.target, *case.args, **case.kwargs)
    return case.run(sub)


# ----------------------------------------------------------------------------------------------
# the checks

@check("softmax", visible=True)
@devices()
def test_softmax_course(sub, device):
    """softmax([1, 2, 3]) is [0.0900, 0.2447, 0.6652], on the input's device"""
    case = CASES["softmax_course"].on(device)
    assert_close(run(sub, case), expected(case, device), call=f"softmax(tensor([1., 2., 3.]) on "
                 f"{device})")


@check("softmax", visible=True)
@devices()
def test_softmax_dim(sub, device):
    """softmax along dim=1 (each row sums to 1) and along dim=0 (each column does)"""
    for cid, dim in (("softmax_rows", 1), ("softmax_cols", 0)):
        case = CASES[cid].on(device)
        want, got = expected(case, device), run(sub, case)
        assert_close(got, want, call=f"softmax(z (3, 4) float64, dim={dim})",
                     mistakes=lambda got=got, dim=dim, z=case.args[0]: {
                         hints.wrong_dim(1 - dim): torch.softmax(z, 1 - dim),
                         **hints.shifted_elsewhere(z, dim),
                         **hints.normalised_elsewhere(got, dim)})


@check("softmax", points=2, visible=True)
@devices()
def test_softmax_large_logits(sub, device):
    """softmax of logits at +-1000 is finite and exact to float32's rounding there"""
    case = CASES["softmax_large"].on(device)
    got = run(sub, case)
    assert_close_at(got, expected(case, device), case.args[0],
                    call="softmax(tensor([[1000, 999, -1000], [-1000, -1000, -1000], "
                    "[0, -1000, 1000]]))",
                    mistakes=lambda: {**softmax_mistakes(expected(CASES["softmax_large_mistakes"],
                                                                  device)),
                                      **hints.normalised_elsewhere(got),
                                      **hints.without_keepdim(case.args[0])})


@check("cross_entropy", points=2, visible=True)
def test_cross_entropy_course(sub):
    """the course's losses: 0.4170 for logits [2, 1, 0.1] and 1.8406 for [0.5, 2, 0.3] (class 0)"""
    for cid, text in (("ce_course_good", "[[2.0, 1.0, 0.1]]"),
                      ("ce_course_bad", "[[0.5, 2.0, 0.3]]"),
                      ("ce_course_batch", "3 rows (float64), targets [2, 0, 1]")):
        case = CASES[cid]
        want = expected(case)
        try:
            got = run(sub, case)
        except StudentError as err:
            if len(case.args[0]) == 1 and right_on_two_rows(sub, *case.args, want):
                fail(err.describe(f"cross_entropy({text}, targets)"), hints.CE_BATCH_OF_ONE,
                     measured=True)
            raise
        assert_close(got, want, call=f"cross_entropy({text}, targets)",
                     mistakes=lambda cid=cid, want=want, z=case.args[0]: ce_mistakes(
                         expected(CASES[f"{cid}_mistakes"]), want, len(z),
                         dim0=normalises_over_rows(sub), logits=z))


@check("cross_entropy", points=2, visible=True)
@devices()
def test_cross_entropy_large_logits(sub, device):
    """cross_entropy at logits of +-1000, rows of far apart maxima, is finite (log-sum-exp):
    1200 here"""
    case = CASES["ce_large"].on(device)
    want = expected(case, device)
    assert_close_at(run(sub, case), want, case.args[0], call="cross_entropy([[1000, -1000, 0], "
                    "[-1000, -500, -900]], targets=[1, 2])",
                    mistakes=lambda: ce_mistakes(expected(CASES["ce_large_mistakes"], device),
                                                 want, 2, dim0=normalises_over_rows(sub),
                                                 logits=case.args[0],
                                                 overflows=overflows(sub, device)))


@check("cross_entropy_grad", visible=True)
@devices()
def test_grad_by_hand(sub, device):
    """cross_entropy_grad of zero logits: (0.5 - one_hot) / 2"""
    case = CASES["grad_hand"].on(device)
    want = expected(case, device)
    assert_close(run(sub, case), want, call="cross_entropy_grad(zeros(2, 2), targets=[0, 1])",
                 mistakes=grad_mistakes(expected(CASES["grad_hand_mistakes"], device), want, 2))


@check("cross_entropy_grad", points=2, visible=True)
@devices()
def test_grad_matches_autograd(sub, device):
    """cross_entropy_grad equals the recorded reference and autograd's gradient of the loss"""
    case = CASES["grad_small"].on(device)
    want = expected(case, device)
    got = run(sub, case)
    assert_close(got, want, call="cross_entropy_grad(logits (3, 4), targets)",
                 mistakes=lambda: grad_mistakes(expected(CASES["grad_small_mistakes"], device),
                                                want, 3, second=_second_grad(sub, device)))
    z = LOGITS_SMALL.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(z, TARGETS_SMALL).backward()
    rtol, atol = GRADCHECK_TOL
    assert_close(got, z.grad.to(device), call="cross_entropy_grad(logits, targets)",
                 context="against autograd", rtol=rtol, atol=atol)


@check("cross_entropy_grad", visible=True)
@devices()
def test_grad_last_class_absent(sub, device):
    """cross_entropy_grad with 3 classes where no target is the last one: targets [0, 1]"""
    case = CASES["grad_no_last_class"].on(device)
    call = "cross_entropy_grad([[0.5, -1, 2], [1, 0, -0.5]], targets=[0, 1])"
    with classes_from_targets(sub, *case.args, call=call):
        assert_close(run(sub, case), expected(case, device), call=call)


def _second_grad(sub, device):
    """(cross_entropy_grad on logits (2, 3), the right gradient there, 2), or None where the
    call fails; computed here (this input only names a mistake)."""
    z = torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], device=device)
    t = torch.tensor([2, 0], device=device)
    try:
        got = manual_call(sub, "ex10.cross_entropy_grad", z, t)
    except StudentError:
        return None
    return got, (torch.softmax(z, 1) - torch.nn.functional.one_hot(t, 3).to(z.dtype)) / 2, 2


@check("SoftmaxClassifier", visible=True)
def test_classifier_structure(sub):
    """SoftmaxClassifier(4, 8, 3) holds self.hidden = Linear(4, 8) and self.output = Linear(8, 3)"""
    check_structure(CASES["structure"].run(sub), SIZES, "SoftmaxClassifier(4, 8, 3)")


@check("SoftmaxClassifier", points=2, visible=True)
@devices()
def test_classifier_forward(sub, device):
    """SoftmaxClassifier returns logits (not probabilities) on the model's device, no side
    effects, in float32 and in float64"""
    case = CASES["forward"].on(device)
    check_forward(case.run(sub), expected(case, device), f"model(x) for 20 rows on {device}",
                  expected(CASES["forward_mistakes"], device))
    case = CASES["forward_float64"].on(device)
    check_forward(case.run(sub), expected(case, device),
                  f"model(x) for 5 float64 rows on {device}",
                  expected(CASES["forward_float64_mistakes"], device))


@check("predict_classes", visible=True, uses=("SoftmaxClassifier",))
@devices()
def test_predict_classes(sub, device):
    """predict_classes gives int64 class indices, the argmax of the logits, without a graph,
    for 20 rows and for a batch of one"""
    case = CASES["predict"].on(device)
    logits = expected(CASES["predict_logits"], device)["result"]
    check_predict(case.run(sub), expected(case, device)["result"], logits,
                  f"predict_classes(model, x) for 20 rows on {device}")
    case = CASES["predict_one"].on(device)
    got, want = case.run(sub), expected(case, device)["result"]
    call = f"predict_classes(model, x[:1]) for a batch of one row on {device}"
    result = got["result"]
    if isinstance(result, torch.Tensor) and result.dim() == 0 and want.shape == (1,) \
            and not result.is_floating_point() and int(result) == int(want[0]):
        # the condition: 20 rows gave (20,) (checked above), one row its right class without
        # the rows' dimension
        fail(f"{call} returned {kind_of(result)}, the right class without the rows' "
             f"dimension, expected shape (1,); 20 rows gave shape (20,).", hints.BATCH_OF_ONE)
    check_predict(got, want, logits[:1], call)


@check("train_classifier", points=3, visible=True, uses=("SoftmaxClassifier",))
@devices()
def test_train_classifier(sub, device):
    """train_classifier on 60 rows (batches of 16, 3 epochs) follows the reference step by step,
    and so on 20 rows in float64"""
    case = CASES["train"].on(device)
    check_training(case.run(sub), expected(case, device), case.args,
                   f"train_classifier(model, x[:60], y[:60], lr=0.1, epochs=3, batch_size=16, "
                   f"seed=0) on {device}", lambda **kw: expected(CASES[variant_id(kw)]))
    case = CASES["train_float64"].on(device)
    check_training(case.run(sub), expected(case, device), case.args,
                   f"train_classifier(model, 20 float64 rows, y, lr=0.1, epochs=2, "
                   f"batch_size=8, seed=0) on {device}",
                   lambda **kw: expected(CASES["float64_" + variant_id(kw)]), torch.float64)
