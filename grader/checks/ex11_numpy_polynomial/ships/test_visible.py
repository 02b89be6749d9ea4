"""Visible checks of ex11 (the NumPy cubic fit of sin(x)): hand-checkable numbers, the recorded
reference results on fixed inputs, autograd as an oracle for the hand-written gradients, and the
course's own result. Students run these with `python -m grader check ex11`."""
import numpy as np
import pytest
import torch

from grader.checks.api import (Case, CheckFailure, GRADCHECK_TOL, Recorded, StudentError, TOL,
                               TRAJECTORY_TOL, also_on, assert_close, assert_fit, check,
                               default_differs, defaults_that_differ, expected, fail,
                               kept_between_calls, list_kept, same_values, scale_mistakes, show,
                               tolerance)
from grader.checks.ex11_numpy_polynomial.ships import mistakes as hints
from grader.checks.ex11_numpy_polynomial.ships.shared import name_every_loss

pytestmark = pytest.mark.ex11

X_COURSE = np.linspace(-np.pi, np.pi, 2000)
Y_COURSE = np.sin(X_COURSE)
X_SMALL = np.linspace(-np.pi, np.pi, 7)
Y_SMALL = np.sin(X_SMALL)
P_SMALL = (0.5, -1.0, 0.25, 0.1)
YP_SMALL = P_SMALL[0] + P_SMALL[1] * X_SMALL + P_SMALL[2] * X_SMALL ** 2 \
    + P_SMALL[3] * X_SMALL ** 3
X_FIT = np.linspace(-np.pi, np.pi, 50)
Y_FIT = np.sin(X_FIT)
FIT_LR = 2e-5
TRAJ = tolerance(torch.float64, TRAJECTORY_TOL)
FIT_DEFAULTS = {"lr": 1e-6, "steps": 2000, "seed": 0}   # fit_numpy's, as the docstring gives them

X_DIGITS, COEFS_DIGITS = [0.37, -1.21, 1.73], (0.5, -1.25, 0.75, 0.3)
CASES = {c.id: c for c in [
    Case("sine_5", "ex11.make_sine_data", (5,)),
    Case("forward_hand", "ex11.poly_forward", (np.array([0.0, 1.0, 2.0]), 1.0, 2.0, 3.0, 4.0)),
    # the other inputs the docstring allows, as the hidden checks give them: float32 arrays,
    # and tensors (float32, float64), each kept in its own kind and dtype
    Case("forward_hand_np32", "ex11.poly_forward",
         (np.array([0.0, 1.0, 2.0], dtype=np.float32), 1.0, 2.0, 3.0, 4.0)),
    *[Case(f"forward_hand_t{bits}", "ex11.poly_forward",
           (torch.tensor([0.0, 1.0, 2.0], dtype=dtype), 1.0, 2.0, 3.0, 4.0), grad=False)
      for bits, dtype in (("32", torch.float32), ("64", torch.float64))],
    # 3.1 has no exact float32 value: a sum taken in float32 shows at float64's resolution
    Case("loss_hand", "ex11.poly_loss", (np.array([1.0, 2.0, 3.1]), np.array([1.0, 0.0, 0.0]))),
    Case("loss_hand_np32", "ex11.poly_loss", (np.array([1.0, 2.0, 3.0], dtype=np.float32),
                                              np.array([1.0, 0.0, 0.0], dtype=np.float32))),
    # inputs with more digits, where the ones above give round answers: an answer rounded for
    # show (round(v, 4)) fails a visible check too, not only the hidden ones
    Case("forward_digits", "ex11.poly_forward", (np.array(X_DIGITS), *COEFS_DIGITS)),
    Case("loss_digits", "ex11.poly_loss", (np.array([1.2345, -0.7712, 2.31]),
                                           np.array([0.5, 0.25, -1.125]))),
    Case("grads_small", "ex11.poly_grads", (X_SMALL, Y_SMALL, YP_SMALL)),
    Case("grads_small_np32", "ex11.poly_grads",
         tuple(a.astype(np.float32) for a in (X_SMALL, Y_SMALL, YP_SMALL))),
    *[Case(f"fit_steps_{k}", "ex11.fit_numpy", (X_FIT, Y_FIT),
           {"lr": FIT_LR, "steps": k, "seed": 0}) for k in (0, 1, 2, 3)],
    Case("fit_300", "ex11.fit_numpy", (X_FIT, Y_FIT), {"lr": FIT_LR, "steps": 300, "seed": 0}),
    Case("fit_course", "ex11.fit_numpy", (X_COURSE, Y_COURSE)),
]}
# the 300 steps with a known mistake, recorded by `build` from trusted code that never ships
# (grader.checks.ex11_numpy_polynomial.private.variants.fit_variant)
FIT_300_MISTAKES = {hints.LOSSES_OF_STEPS_0_100: {"when": 0},
                    hints.LOSS_AFTER_UPDATE: {"after": True},
                    hints.UPDATE_ADDS_GRADIENT: {"sign": -1.0},
                    # one coefficient updated with another's gradient (d -= lr * grad_c)
                    **{hints.crossed_update(i, j): {"used": tuple(j if k == i else k
                                                                  for k in range(4))}
                       for i in range(4) for j in range(4) if i != j},
                    # the gradients taken anew in the middle of the update
                    **{hints.regrad_after(r): {"regrad": r} for r in hints.REGRADS}}


def _fit_300_id(kw) -> str:
    return "fit_300_" + "_".join(
        f"{k}_{''.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in kw.items())


CASES.update({c.id: c for c in [
    Recorded(_fit_300_id(kw), "ex11", (X_FIT, Y_FIT, FIT_LR, 300, 0), kw, fn="ex11.fit_variant")
    for kw in FIT_300_MISTAKES.values()]})
# the first update, and the course's fit, with the gradients taken anew in its middle
CASES.update({c.id: c for r in hints.REGRADS for c in [
    Recorded(f"fit_steps_1_regrad_{''.join(map(str, r))}", "ex11", (X_FIT, Y_FIT, FIT_LR, 1, 0),
             {"regrad": r}, fn="ex11.fit_variant"),
    Recorded(f"fit_course_regrad_{''.join(map(str, r))}", "ex11",
             (X_COURSE, Y_COURSE, 1e-6, 2000, 0), {"regrad": r}, fn="ex11.fit_variant")]})
# the course's fit with the same known mistakes as the 300 steps: each check of fit_numpy tells
# the same causes (one diagnosis for the function, not "no known mistake" in one check only);
# an update that adds the gradient overflows over 2000 steps: the first steps name it
CASES.update({c.id: c for c in [
    Recorded("fit_course_" + _fit_300_id(kw)[len("fit_300_"):], "ex11",
             (X_COURSE, Y_COURSE, 1e-6, 2000, 0), kw, fn="ex11.fit_variant")
    for kw in FIT_300_MISTAKES.values() if "regrad" not in kw and "sign" not in kw]})
# the same 300 steps at the default learning rate, written in where FIT_LR is passed
CASES["fit_300_default_lr"] = Recorded("fit_300_default_lr", "ex11",
                                       (X_FIT, Y_FIT, hints.DEFAULT_LR, 300, 0),
                                       fn="ex11.fit_variant")


@check("make_sine_data", visible=True)
def test_sine_data_small(sub):
    """make_sine_data(5): linspace(-pi, pi, 5) and its sine"""
    case = CASES["sine_5"]
    want = expected(case)
    assert_close(case.run(sub), want, call="make_sine_data(5)",
                 mistakes={hints.NO_ENDPOINT:
                           (np.linspace(-np.pi, np.pi, 5, endpoint=False),
                            np.sin(np.linspace(-np.pi, np.pi, 5, endpoint=False))),
                           hints.N_IGNORED: (np.linspace(-np.pi, np.pi),
                                             np.sin(np.linspace(-np.pi, np.pi)))})


@check("make_sine_data", visible=True)
def test_sine_data_default(sub):
    """make_sine_data() gives 2000 float64 points from -pi to pi"""
    got = sub.call("ex11.make_sine_data")
    want_x = np.linspace(-np.pi, np.pi, 2000)
    assert_close(got, (want_x, np.sin(want_x)), call="make_sine_data()")


@check("poly_forward", visible=True)
def test_forward_by_hand(sub):
    """poly_forward([0, 1, 2], 1, 2, 3, 4) is [1, 10, 49], for NumPy arrays and tensors alike,
    and keeps every digit of x = [0.37, -1.21, 1.73]"""
    for cid, kind in (("forward_hand", "a float64 array"), ("forward_hand_np32", "a float32 array"),
                      ("forward_hand_t32", "a float32 tensor"),
                      ("forward_hand_t64", "a float64 tensor")):
        case = CASES[cid]
        assert_close(case.run(sub), expected(case),
                     call=f"poly_forward(x=[0, 1, 2] as {kind}, 1, 2, 3, 4)",
                     mistakes=hints.with_term_powers(np.array([0.0, 1.0, 2.0]), (1, 2, 3, 4), {
                         hints.COEFFICIENTS_ORDER: np.array([4.0, 10.0, 26.0]),
                         hints.A_B_SWAPPED: np.array([2.0, 10.0, 48.0]),
                         hints.CUBE_AS_SQUARE: np.array([1.0, 10.0, 33.0])})
                     if cid == "forward_hand" else None)
    digits = CASES["forward_digits"]
    assert_close(digits.run(sub), expected(digits),
                 call=f"poly_forward(x={X_DIGITS} as a float64 array, {COEFS_DIGITS})",
                 mistakes=hints.with_term_powers(np.array(X_DIGITS), COEFS_DIGITS, {}))


@check("poly_loss", visible=True)
def test_loss_by_hand(sub):
    """poly_loss([1, 2, 3.1], [1, 0, 0]) is 13.61, a sum of squares (in float64), and 13 on
    float32 arrays [1, 2, 3]; every digit of it on inputs with more"""
    case = CASES["loss_hand"]
    assert_close(case.run(sub), expected(case), call="poly_loss([1, 2, 3.1], [1, 0, 0])",
                 mistakes=lambda: also_on(hints.loss_mistakes(*case.args), _second_loss(sub)))
    case32 = CASES["loss_hand_np32"]
    assert_close(case32.run(sub), expected(case32),
                 call="poly_loss([1, 2, 3], [1, 0, 0]) on float32 arrays",
                 mistakes=lambda: also_on(hints.loss_mistakes(*case32.args), _second_loss(sub)))
    digits = CASES["loss_digits"]
    assert_close(digits.run(sub), expected(digits),
                 call="poly_loss([1.2345, -0.7712, 2.31], [0.5, 0.25, -1.125])",
                 mistakes=lambda: also_on(hints.loss_mistakes(*digits.args), _second_loss(sub)))


# A second input for the hints: on [1, 2, 3] against [1, 0, 0] the errors are all >= 0, so their
# sum is also the sum of their absolute values. Here the errors are -0.5, -1.5, 2, 2.5: the loss
# (12.75), its mean, the errors' sum, their absolute sum, the root and the sum squared all differ.
LOSS2 = (np.array([0.5, -1.0, 2.0, 1.5]), np.array([1.0, 0.5, 0.0, -1.0]))


def _second_loss(sub):
    """(poly_loss on the second input, the right loss there, the mistakes' values there), or
    None where the call fails; the loss is computed here (this input only names a mistake)."""
    try:
        got = sub.call("ex11.poly_loss", *LOSS2)
    except StudentError:
        return None
    return got, float(((LOSS2[0] - LOSS2[1]) ** 2).sum()), hints.loss_mistakes(*LOSS2)


@check("poly_grads", points=2, visible=True)
def test_grads_recorded(sub):
    """poly_grads on 7 points matches the recorded reference (float64 and float32 arrays)"""
    case = CASES["grads_small"]
    want = expected(case)
    mistakes = {hints.grads_of_mean(7): tuple(v / 7 for v in want),
                **scale_mistakes(want, sign=hints.GRAD_SIGN),
                **hints.grad_powers(want, X_SMALL, Y_SMALL, YP_SMALL),
                **hints.one_over_n(want, 7)}
    assert_close(case.run(sub), want, call="poly_grads(x, y, y_pred) on 7 points",
                 mistakes=mistakes)
    case32 = CASES["grads_small_np32"]
    want32 = expected(case32)
    # a sum of float32 values in another order differs at float32's precision
    assert_close(case32.run(sub), want32, call="poly_grads(x, y, y_pred) on 7 points, float32 "
                 "arrays", **tolerance(torch.float32, TOL), mistakes={hints.grads_of_mean(7): tuple(v / 7 for v in want32),
                                     **scale_mistakes(want32, sign=hints.GRAD_SIGN)})


@check("poly_grads", visible=True)
def test_grads_match_autograd(sub):
    """poly_grads equals the gradient autograd computes for the sum of squared errors"""
    params = torch.tensor(P_SMALL, dtype=torch.float64, requires_grad=True)
    x, y = torch.from_numpy(X_SMALL), torch.from_numpy(Y_SMALL)
    a, b, c, d = params
    ((a + b * x + c * x ** 2 + d * x ** 3 - y) ** 2).sum().backward()
    want = tuple(float(g) for g in params.grad)
    rtol, atol = GRADCHECK_TOL
    assert_close(sub.call("ex11.poly_grads", X_SMALL, Y_SMALL, YP_SMALL), want,
                 call="poly_grads(x, y, y_pred) against autograd", rtol=rtol, atol=atol,
                 mistakes={**scale_mistakes(want, sign=hints.GRAD_SIGN),
                           **hints.grad_powers(want, X_SMALL, Y_SMALL, YP_SMALL),
                           **hints.one_over_n(want, len(X_SMALL))})


@check("fit_numpy", visible=True)
def test_fit_first_steps(sub):
    """fit_numpy after 0, 1, 2 and 3 steps (seed 0): the initial draw and each update"""
    runs = {k: CASES[f"fit_steps_{k}"].run(sub) for k in (0, 1, 2, 3)}
    name_every_loss(runs, f"fit_numpy(x, y, lr={FIT_LR}, steps=k, seed=0)", X_FIT, Y_FIT)
    for k in (0, 1, 2, 3):
        case = CASES[f"fit_steps_{k}"]
        want = expected(case)
        hint = ("the initial values: a, b, c, d drawn in that order by "
                "np.random.default_rng(seed).standard_normal()" if k == 0 else
                f"after {k} update(s): each step is forward, loss, gradients, then "
                f"a -= lr * grad_a (and b, c, d)")
        try:
            _assert_steps(runs, k, want, hint)
        except CheckFailure as failure:
            if not failure.hints:   # a later run's start is not seen: steps=0 made again is
                _draws_change(sub, runs[0], failure)
            flipped = None if failure.hints or k != 1 or not isinstance(runs[1], tuple) else \
                hints.one_update_flipped(expected(CASES["fit_steps_0"])[0], runs[1][0],
                                         want[0], **TRAJ)
            if not flipped:
                raise
            fail(str(failure), flipped)


def _draws_change(sub, first, failure):
    """Where the call of steps=0 made again gives other initial values than `first`, the draws
    do not come from the seed alone, which `failure` says (of steps=0, or of a later run, whose
    start then need not be the seed's either)."""
    try:
        again = CASES["fit_steps_0"].run(sub)
    except (StudentError, CheckFailure):   # a call that fails is no evidence either way
        return
    if isinstance(first, tuple) and isinstance(again, tuple) and first and again \
            and not same_values(again[0], first[0], rtol=0.0, atol=0.0):
        fail(f"{failure}\n  the same call, fit_numpy(x, y, lr={FIT_LR}, steps=0, seed=0), made "
             f"again gave {show(again[0])}.", hints.DRAWS_CHANGE)


def _assert_steps(runs, k, want, hint):
    """fit_numpy's run of k steps against the reference's, its known mistakes named."""
    start = expected(CASES["fit_steps_0"])
    regrads = {hints.regrad_after(r): expected(CASES[f"fit_steps_1_regrad_{''.join(map(str, r))}"])
               for r in hints.REGRADS}
    mistakes = ({hints.UPDATE_ADDS_GRADIENT: _mirror(start, want), **regrads} if k == 1 else
                {**hints.one_rng_each(0), **hints.drawn_in_order(want, runs[k])} if k == 0
                else None)
    assert_fit(runs[k], want, call=f"fit_numpy(x, y, lr={FIT_LR}, steps={k}, seed=0)",
               context=hint, **TRAJ, mistakes=mistakes)


@check("fit_numpy", points=2, visible=True)
def test_fit_300_steps(sub):
    """fit_numpy for 300 steps on 50 points: the coefficients and the losses of steps 99, 199, 299"""
    case = CASES["fit_300"]
    call = f"fit_numpy(x, y, lr={FIT_LR}, steps=300, seed=0) on 50 points"
    got = case.run(sub)
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], list) \
            and len(got[1]) != 3:
        assert_close(len(got[1]), 3, call=f"len(losses) of {call}",
                     mistakes={hints.EVERY_LOSS: 300})
    assert_fit(got, expected(case), call=call, **TRAJ, points=len(X_FIT), mistakes=lambda: {
        **{hint: expected(CASES[_fit_300_id(kw)]) for hint, kw in FIT_300_MISTAKES.items()},
        **({hints.lr_written_in(FIT_LR): expected(CASES["fit_300_default_lr"])}
           if hints.default_lr_differs(FIT_LR, len(X_FIT)) else {})})


@check("fit_numpy", points=2, visible=True)
def test_fit_course_result(sub):
    """the course's fit: 2000 steps on 2000 points reach about 0.84 x - 0.09 x^3"""
    # The reference reaches a = 0.000466, b = 0.840808, c = -0.0000804, d = -0.0910640, and a
    # loss of 9.086 at step 1999 (recorded by `python -m grader build`).
    case = CASES["fit_course"]
    want = expected(case)
    got = case.run(sub)
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], list) \
            and len(got[1]) != len(want[1]):
        _losses_kept(sub, case, got)
    try:
        assert_fit(got, want, points=len(X_COURSE),
                   call="fit_numpy(*make_sine_data())  (lr=1e-6, steps=2000, seed=0)", **TRAJ,
                   mistakes=lambda: {hint: expected(
                       CASES["fit_course_" + _fit_300_id(kw)[len("fit_300_"):]])
                       for hint, kw in FIT_300_MISTAKES.items() if "sign" not in kw})
    except CheckFailure as failure:
        # run with the defaults left out: where passing them makes it right, they are the cause
        names = None if failure.hints else defaults_that_differ(
            lambda **kw: sub.call("ex11.fit_numpy", X_COURSE, Y_COURSE, **kw), FIT_DEFAULTS,
            lambda r: same_values(r[0], want[0]) and same_values(r[1], want[1]))
        if not names:
            raise
        fail(str(failure), default_differs(names, FIT_DEFAULTS))


def _losses_kept(sub, case, got):
    """Where the same call made again returns a list that begins with all of `got`'s losses
    and goes on, the list outlives the call: said, with the two lengths."""
    try:
        again = case.run(sub)
    except (StudentError, CheckFailure):   # a call that fails is no evidence either way
        return
    if isinstance(again, tuple) and len(again) == 2 and kept_between_calls(got[1], again[1]):
        fail(f"fit_numpy(*make_sine_data()) gave {len(got[1])} losses, expected 20; the same "
             f"call again gave {len(again[1])}: the {len(got[1])} of the first call, then more.",
             list_kept("losses"))


def _mirror(start, after):
    """What an update with the sign flipped gives: start - (after - start)."""
    (p0, _), (p1, losses) = start, after
    return tuple(2 * s - e for s, e in zip(p0, p1)), losses
