"""Visible checks of ex04 (backpropagation): the course's numbers (x = 2, y = 4, w = 1 give
dloss/dw = -8; the notes' Exercise 4-2, x = 1, y = 2, w = 1, b = 2 give dloss/dw = dloss/db = 2;
the runs on x = [1, 2, 3], y = [2, 4, 6], the quadratic one also from the notes' start 1, 2, 3)
recorded from the reference by `python -m grader build`, every gradient also checked against
its closed form, autograd and a central difference. Students run these with
`python -m grader check ex04`."""
import pytest
import torch

from grader.checks.api import (Case, Recorded, StudentError, assert_close, assert_gradient,
                               assert_trajectory, check, devices, dtypes, expected, manual_call,
                               naming_rebound, prefix_cases, recorded_reruns, scale_mistakes)
from grader.checks.ex04_backprop.ships import mistakes as hints
from grader.checks.ex04_backprop.ships.mistakes import (affine_steps_mistakes, grads_mistakes,
                                                        sign_flips_shown, steps_closed,
                                                        steps_mistakes)
from grader.checks.ex04_backprop.ships.shared import (assert_params_of_xs_dtype,
                                                     assert_w_of_xs_dtype, trajectory_tol)

pytestmark = pytest.mark.ex04

X, Y = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]

CASES = {c.id: c for c in [
    Case("steps_course", "ex04.backward_steps", (2.0, 4.0, 1.0), grad=False),
    # inputs with more digits, where the course's give round answers: an answer rounded for
    # show (round(v, 4)) fails here too, not only in the hidden checks
    Case("steps_digits", "ex04.backward_steps", (1.37, 0.71, -0.45), grad=False),
    Case("affine_steps_notes", "ex04.affine_backward_steps", (1.0, 2.0, 1.0, 2.0), grad=False),
    # x = 2.7: at the notes' x = 1, dyhat_dw = dyhat_db, so a dloss_db made with dyhat_dw is
    # right there; here it is not, every other known mistake gives values of its own, and the
    # answers have more digits than a rounding for show keeps
    Case("affine_steps_x27", "ex04.affine_backward_steps", (2.7, 1.13, 0.347, -0.41), grad=False),
    Case("train_course", "ex04.train_autograd", (X, Y, 1.0, 0.01, 10)),
    Case("train_course_uphill", "ex04.train_autograd", (X, Y, 1.0, -0.01, 10)),
    # the course run on float32 and float64 tensors, as the hidden checks also train: w has
    # xs's dtype
    *[Case(f"train_course{bits}", "ex04.train_autograd",
           (torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype), 1.0, 0.01, 10))
      for bits, dtype in (("32", torch.float32), ("64", torch.float64))],
    Case("forward_float", "ex04.quadratic_forward", (2.0, 1.0, 2.0, 3.0)),
    Case("forward_digits", "ex04.quadratic_forward", (1.37, 0.713, -0.45, 0.2)),
    Case("forward_tensor", "ex04.quadratic_forward", (torch.tensor(X), 1.0, 2.0, 3.0)),
    Case("forward_tensor64", "ex04.quadratic_forward",
         (torch.tensor(X, dtype=torch.float64), 1.0, 2.0, 3.0)),
    Case("grads_float", "ex04.quadratic_grads", (2.0, 4.0, 1.0, 1.0, 1.0), grad=False),
    Case("grads_digits", "ex04.quadratic_grads", (1.37, 0.71, -0.45, 0.25, 0.3), grad=False),
    *[Case(f"grads_tensor{bits}", "ex04.quadratic_grads",
           (torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype), 0.5, -1.0, 2.0),
           grad=False) for bits, dtype in (("32", torch.float32), ("64", torch.float64))],
    Case("quadratic_course", "ex04.train_quadratic", (X, Y, 1.0, 1.0, 1.0, 0.01, 20)),
    Case("quadratic_course_uphill", "ex04.train_quadratic", (X, Y, 1.0, 1.0, 1.0, -0.01, 20)),
    *[Case(f"quadratic_course{bits}", "ex04.train_quadratic",
           (torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype), 1.0, 1.0, 1.0, 0.01, 20))
      for bits, dtype in (("32", torch.float32), ("64", torch.float64))],
    # the notes' exercise: from w1, w2, b = 1, 2, 3 for 100 epochs
    Case("quadratic_notes", "ex04.train_quadratic", (X, Y, 1.0, 2.0, 3.0, 0.01, 100)),
    Case("quadratic_notes_uphill", "ex04.train_quadratic", (X, Y, 1.0, 2.0, 3.0, -0.01, 100)),
]}
# the course runs for 0, 1, 2, ... epochs: where a run parts, from the same start, step by step
CASES.update({c.id: c for name, at in (("train_course", 4), ("quadratic_course", 6))
              for c in prefix_cases(CASES[name], at)})
# the same runs with a known mistake (gradients not zeroed, the loss recorded after the update),
# recorded by `build` from trusted code that never ships (private/variants.train_variant)
QUADRATIC = {"train_course": False, "quadratic_course": True, "quadratic_notes": True}
CASES.update({c.id: c for c in [
    Recorded(f"{cid}_{name}", "ex04", CASES[cid].args, {"quadratic": q, "name": name},
             fn="ex04.train_variant")
    for cid, q in QUADRATIC.items() for name in hints.variant_hints(q)]})


def run_mistakes(cid: str) -> dict:
    """{hint: the recorded run of CASES[cid] with that mistake}, the uphill run included."""
    want = expected(CASES[cid])
    return {hints.UPHILL: expected(CASES[f"{cid}_uphill"]),
            **hints.start_returned(want, CASES[cid].args[2:1 + len(want)]),
            **{hint: expected(CASES[f"{cid}_{name}"])
               for name, hint in hints.variant_hints(QUADRATIC[cid]).items()}}

@check("backward_steps", points=3, visible=True)
def test_backward_steps_course(sub):
    """backward_steps(x=2, y=4, w=1): every step, and dloss_dw = -8 (autograd and a central
    difference agree); then x=1.37, y=0.71, w=-0.45, whose answers have more digits"""
    case = CASES["steps_course"]
    got = manual_call(sub, case.target, *case.args)
    want = expected(case)
    call = "backward_steps(x=2.0, y=4.0, w=1.0), autograd off"
    assert_close(got, want, call=call, check_dtype="strict",
                 mistakes=lambda: sign_flips_shown(steps_mistakes(want, 2, 1), want,
                                                   _steps_r_positive(sub)))
    assert_close(got["dloss_dw"], -8.0, call=call, context="key 'dloss_dw'")
    assert_gradient(got["dloss_dw"], lambda w: (2.0 * w - 4.0) ** 2, 1.0, call=call,
                    closed=2 * 2.0 * (2.0 * 1.0 - 4.0), like=-8.0, mistakes=scale_mistakes)
    digits = CASES["steps_digits"]
    want = expected(digits)
    assert_close(manual_call(sub, digits.target, *digits.args), want, check_dtype="strict",
                 call="backward_steps(x=1.37, y=0.71, w=-0.45), autograd off",
                 mistakes=lambda: steps_mistakes(want, 1.37, -0.45))


# x = 3, y = 1, w = 1: r = 2 > 0, where the course's r = -2 (a sign lost, 2 * |r|, is a
# flipped sign there only)
STEPS_R_POSITIVE = (3.0, 1.0, 1.0)


def _steps_r_positive(sub):
    """(backward_steps on STEPS_R_POSITIVE, its formulas' values), or None where the call
    fails: one call more, made only where the course input fails."""
    try:
        got = manual_call(sub, "ex04.backward_steps", *STEPS_R_POSITIVE)
    except StudentError:
        return None
    return got, steps_closed(*STEPS_R_POSITIVE), "x=3, y=1, w=1"


@check("affine_backward_steps", points=3, visible=True)
def test_affine_backward_steps_notes(sub):
    """the notes' Exercise 4-2, affine_backward_steps(x=1, y=2, w=1, b=2): every step, and
    dloss_dw = dloss_db = 2 (autograd and a central difference agree); then x=2.7, y=1.13,
    w=0.347, b=-0.41, where dyhat_dw (2.7) and dyhat_db (1) differ"""
    case = CASES["affine_steps_notes"]
    got = manual_call(sub, case.target, *case.args)
    want = expected(case)
    call = "affine_backward_steps(x=1.0, y=2.0, w=1.0, b=2.0), autograd off"
    assert_close(got, want, call=call, check_dtype="strict",
                 mistakes=lambda: affine_steps_mistakes(want, 1.0, 1.0, 2.0, 2.0))
    x27 = CASES["affine_steps_x27"]
    want27 = expected(x27)
    assert_close(manual_call(sub, x27.target, *x27.args), want27, check_dtype="strict",
                 call="affine_backward_steps(x=2.7, y=1.13, w=0.347, b=-0.41), autograd off",
                 mistakes=lambda: affine_steps_mistakes(want27, 2.7, 0.347, 1.13, -0.41))
    assert_close((got["dloss_dw"], got["dloss_db"]), (2.0, 2.0), call=call,
                 context="keys 'dloss_dw', 'dloss_db'")
    assert_gradient(got["dloss_dw"], lambda w: (1.0 * w + 2.0 - 2.0) ** 2, 1.0,
                    call=f"{call}: dloss_dw", closed=2 * (1.0 + 2.0 - 2.0) * 1.0, like=2.0,
                    mistakes=scale_mistakes)
    assert_gradient(got["dloss_db"], lambda b: (1.0 * 1.0 + b - 2.0) ** 2, 2.0,
                    call=f"{call}: dloss_db", closed=2 * (1.0 + 2.0 - 2.0), like=2.0,
                    mistakes=scale_mistakes)


@check("train_autograd", points=3, visible=True)
def test_train_autograd_course(sub):
    """the course run: 10 epochs at lr = 0.01 from w = 1, every recorded loss and the final w
    (on lists, then on float32 and float64 tensors)"""
    case = CASES["train_course"]
    call = "train_autograd([1, 2, 3], [2, 4, 6], w0=1.0, lr=0.01, epochs=10)"
    with naming_rebound(call, hints.TRAIN_REBOUND):
        got = case.run(sub)
    assert_trajectory(got, expected(case), names=("w", "losses"), call=call,
                      mistakes=lambda: run_mistakes("train_course"),
                      **trajectory_tol(X), upto=recorded_reruns(sub, CASES, case))
    assert_w_of_xs_dtype(got, X, call)
    for bits in ("32", "64"):
        again = CASES[f"train_course{bits}"]
        call_t = call + f" with xs, ys float{bits} tensors"
        with naming_rebound(call_t, hints.TRAIN_REBOUND):
            got_t = again.run(sub)
        want_t = expected(again)
        assert_params_of_xs_dtype(got_t, want_t, again.args[0], ("w",), call_t)
        assert_trajectory(got_t, want_t, names=("w", "losses"), call=call_t,
                          **trajectory_tol(again.args[0]))
        assert_w_of_xs_dtype(got_t, again.args[0], call_t)


@check("quadratic_forward", visible=True)
def test_quadratic_forward_float(sub):
    """quadratic_forward(2, w1=1, w2=2, b=3) is 4 + 4 + 3 = 11; quadratic_forward(1.37, w1=0.713,
    w2=-0.45, b=0.2) is 0.9217297"""
    case = CASES["forward_float"]
    assert_close(case.run(sub), expected(case), call="quadratic_forward(2.0, 1.0, 2.0, 3.0)",
                 mistakes={hints.W_SWAPPED: 2 * 4 + 1 * 2 + 3})
    digits = CASES["forward_digits"]
    assert_close(digits.run(sub), expected(digits),
                 call="quadratic_forward(1.37, 0.713, -0.45, 0.2)",
                 mistakes={hints.W_SWAPPED: -0.45 * 1.37 ** 2 + 0.713 * 1.37 + 0.2,
                           **hints.times_two(1.37, 0.713, -0.45, 0.2)})


@check("quadratic_forward", visible=True)
@devices()
def test_quadratic_forward_tensor(sub, device):
    """quadratic_forward keeps a tensor's shape, dtype and device (float32 and float64)"""
    for cid, dtype in (("forward_tensor", ""), ("forward_tensor64", ", dtype=torch.float64")):
        case = CASES[cid].on(device)
        assert_close(case.run(sub), expected(case, device),
                     call=f"quadratic_forward(torch.tensor([1., 2., 3.]{dtype}) on {device}, 1.0, "
                          f"2.0, 3.0)", mistakes=hints.times_two(case.args[0], *case.args[1:]))


@check("quadratic_grads", points=2, visible=True)
def test_quadratic_grads_float(sub):
    """quadratic_grads(x=2, y=4, w1=w2=b=1) is (24, 12, 6), as autograd and a central difference
    say; then x=1.37, y=0.71, w1=-0.45, w2=0.25, b=0.3, whose gradients have more digits"""
    case = CASES["grads_float"]
    got = manual_call(sub, case.target, *case.args)
    want = expected(case)
    call = "quadratic_grads(x=2.0, y=4.0, w1=1.0, w2=1.0, b=1.0), autograd off"
    assert_close(got, want, call=call, check_dtype="strict", mistakes=grads_mistakes(want))
    assert_close(got, (24.0, 12.0, 6.0), call=call)
    p0 = (1.0, 1.0, 1.0)
    for i, name in enumerate(("dL/dw1", "dL/dw2", "dL/db")):
        def loss(v, i=i):
            p = [v if j == i else p0[j] for j in range(3)]
            return (p[0] * 4.0 + p[1] * 2.0 + p[2] - 4.0) ** 2
        assert_gradient(got[i], loss, p0[i], call=f"{call}: {name}", like=want[i],
                        mistakes=scale_mistakes)
    digits = CASES["grads_digits"]
    want = expected(digits)
    assert_close(manual_call(sub, digits.target, *digits.args), want, check_dtype="strict",
                 call="quadratic_grads(x=1.37, y=0.71, w1=-0.45, w2=0.25, b=0.3), autograd off",
                 mistakes=grads_mistakes(want))


@check("quadratic_grads", visible=True)
@devices()
@dtypes()
def test_quadratic_grads_tensor(sub, device, dtype):
    """quadratic_grads on tensors gives one gradient per sample, on the inputs' device"""
    case = CASES[f"grads_tensor{str(dtype)[-2:]}"].on(device)
    got = manual_call(sub, case.target, *case.args)
    want = expected(case, device)
    assert_close(got, want, call=f"quadratic_grads(x=tensor([1., 2., 3.]), y=tensor([2., 4., "
                                 f"6.]), w1=0.5, w2=-1.0, b=2.0) with {dtype} on {device}, "
                                 f"autograd off", mistakes=grads_mistakes(want))


@check("train_quadratic", points=3, visible=True)
def test_train_quadratic_course(sub):
    """the quadratic model on the course data: 20 epochs at lr = 0.01 from w1 = w2 = b = 1,
    every recorded loss and the final parameters (on lists, then on float32 and float64
    tensors)"""
    case = CASES["quadratic_course"]
    call = "train_quadratic([1, 2, 3], [2, 4, 6], 1.0, 1.0, 1.0, lr=0.01, epochs=20)"
    with naming_rebound(call, hints.QUADRATIC_REBOUND):
        got = case.run(sub)
    assert_trajectory(got, expected(case), names=("w1", "w2", "b", "losses"), call=call,
                      mistakes=lambda: run_mistakes("quadratic_course"),
                      **trajectory_tol(X), upto=recorded_reruns(sub, CASES, case))
    assert_w_of_xs_dtype(got, X, call, names=("w1", "w2", "b"))
    for bits in ("32", "64"):
        again = CASES[f"quadratic_course{bits}"]
        call_t = call + f" with xs, ys float{bits} tensors"
        with naming_rebound(call_t, hints.QUADRATIC_REBOUND):
            got_t = again.run(sub)
        want_t = expected(again)
        assert_params_of_xs_dtype(got_t, want_t, again.args[0], ("w1", "w2", "b"), call_t)
        assert_trajectory(got_t, want_t, names=("w1", "w2", "b", "losses"), call=call_t,
                          **trajectory_tol(again.args[0]))
        assert_w_of_xs_dtype(got_t, again.args[0], call_t, names=("w1", "w2", "b"))


@check("train_quadratic", points=2, visible=True)
def test_train_quadratic_notes(sub):
    """the notes' exercise: the quadratic model from w1, w2, b = 1, 2, 3 for 100 epochs at
    lr = 0.01, every recorded loss and the final parameters (ŷ(4) ≈ 8.72)"""
    case = CASES["quadratic_notes"]
    call = "train_quadratic([1, 2, 3], [2, 4, 6], 1.0, 2.0, 3.0, lr=0.01, epochs=100)"
    with naming_rebound(call, hints.QUADRATIC_REBOUND):
        got = case.run(sub)
    assert_trajectory(got, expected(case), names=("w1", "w2", "b", "losses"), call=call,
                      mistakes=lambda: run_mistakes("quadratic_notes"),
                      **trajectory_tol(X))
