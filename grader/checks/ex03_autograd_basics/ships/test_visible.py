"""Visible checks of ex03 (autograd basics): the course's x = torch.ones(2, 2) (out = 27,
x.grad = 4.5), recorded from the reference by `python -m grader build`, with every gradient also
checked against its closed form, autograd and a central difference. Students run these with
`python -m grader check ex03`."""
import pytest
import torch

from grader.checks.api import (Case, CheckFailure, StudentError, also_on, assert_close,
                               assert_gradient, check, devices, expected, fail, manual_call,
                               scale_mistakes)
from grader.checks.ex03_autograd_basics.ships import mistakes as hints
from grader.checks.ex03_autograd_basics.ships.shared import (mean64, run_zero_grads,
                                                             verify_intermediate,
                                                             verify_mean_graph,
                                                             verify_no_grad_eval,
                                                             filled_rerun, verify_to_numpy,
                                                             verify_untouched,
                                                             verify_zero_grads)

pytestmark = pytest.mark.ex03


def _leaf(t):
    return t.requires_grad_(True)


ONES = torch.ones(2, 2)
F64 = torch.float64
# the float64 inputs of the hidden checks, given here too: x of 3 entries, in float64, whose
# results have more digits than a rounding for show keeps (round(v, 4) fails here too, not only
# in the hidden checks)
X3_64 = torch.tensor([1 / 3, -8 / 7, 2.2], dtype=torch.float64)
X234_64 = torch.linspace(-1.5, 2.0, 24, dtype=torch.float64).reshape(2, 3, 4)

CASES = {c.id: c for c in [
    Case("mean_graph_ones", "ex03", (_leaf(torch.ones(2, 2)),),
         probe="ex03.mean_graph_backward"),
    Case("grad_of_mean_ones", "ex03.grad_of_mean", (ONES,)),
    Case("grad_of_mean_untouched", "ex03",
         ("grad_of_mean", _leaf(torch.ones(2, 2, dtype=torch.float64)), None),
         probe="ex03.leaves_untouched"),
    Case("analytic_ones", "ex03.analytic_grad_of_mean", (ONES,), grad=False),
    Case("grad_of_mean_three64", "ex03.grad_of_mean", (X3_64,)),
    # in float64 as the hidden checks give, of 3 dimensions: a division by the first and last
    # dimensions, right for the course's 2-D x, shows here (8 where x.numel() = 24; no other
    # two dimensions, nor 2 * len(x), make 8)
    Case("analytic_3d64", "ex03.analytic_grad_of_mean", (X234_64,), grad=False),
    Case("accumulated_three64", "ex03.accumulated_grad", (X3_64, 2)),
    Case("intermediate_course", "ex03.intermediate_grads",
         (torch.tensor([1.0]), torch.tensor([2.0]))),
    Case("intermediate_three", "ex03.intermediate_grads",
         (torch.tensor([1 / 3, -0.5, 2.0], dtype=torch.float64),
          torch.tensor([0.5, 2 / 7, -1.0], dtype=torch.float64))),
    Case("mean_graph_three", "ex03", (_leaf(X3_64.clone()),),
         probe="ex03.mean_graph_backward"),
    Case("to_numpy_int64", "ex03.to_numpy", (torch.tensor([[1, -2], [3, 40]]),)),
    Case("to_numpy_float64", "ex03.to_numpy",
         (_leaf(torch.tensor([0.1, 1.0 / 3.0], dtype=torch.float64)),)),
    Case("accumulated_ones", "ex03.accumulated_grad", (ONES, 3)),
    Case("zero_grads", "ex03",
         ([_leaf(torch.ones(3)), _leaf(torch.ones(2, 2)), _leaf(torch.zeros(2))],
          [torch.tensor([1.0, -2.0, 3.0]), None, torch.tensor([0.5, 4.0])]),
         probe="ex03.zero_grads"),
    Case("no_grad_affine", "ex03", ("affine", _leaf(torch.tensor([2.0, -1.0], dtype=F64)),
                                    torch.tensor([1 / 3, 4.0], dtype=F64),
                                    _leaf(torch.tensor([0.5, 0.5], dtype=F64))),
         probe="ex03.no_grad_eval"),
    Case("to_numpy_leaf", "ex03.to_numpy", (_leaf(torch.tensor([1.0, 2.0, 3.5])),)),
    Case("to_numpy_copy", "ex03", (_leaf(torch.tensor([[1.0, 2.0], [3.0, 4.0]])),),
         probe="ex03.to_numpy_copy"),
    Case("to_numpy_copy_float64", "ex03",
         (_leaf(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)),), probe="ex03.to_numpy_copy"),
    Case("to_numpy_copy_int64", "ex03", (torch.tensor([[1, 2], [3, 4]]),),
         probe="ex03.to_numpy_copy"),
]}


@check("mean_graph", points=2, visible=True)
@devices()
def test_mean_graph_course(sub, device):
    """mean_graph on x = ones(2, 2): out = 27, and out.backward() puts 4.5 in the caller's x.grad"""
    case = CASES["mean_graph_ones"].on(device)
    r = case.run(sub)
    call = f"y, z, out = mean_graph(x) with x = torch.ones(2, 2, requires_grad=True) on {device}"
    verify_mean_graph(r, expected(case, device), case.args[0], call,
                      second=lambda: _second_out(sub, device),
                      shaped=lambda: _shaped_out(sub, device))
    assert_close(r["result"][2], torch.tensor(27.0, device=device), call=call, context="out")
    assert_close(r["x_grad"], torch.full((2, 2), 4.5, device=device), call=call,
                 context="x.grad after out.backward()")


@check("mean_graph", visible=True)
def test_mean_graph_three(sub):
    """mean_graph on x = [1/3, -8/7, 2.2] (3 entries, not the notes' 4): out = 23.819..."""
    case = CASES["mean_graph_three"]
    verify_mean_graph(case.run(sub), expected(case), case.args[0],
                      "y, z, out = mean_graph(x) with x = tensor([1/3, -8/7, 2.2], "
                      "dtype=torch.float64, requires_grad=True)", second=lambda: _second_out(sub, "cpu", ONES, 4))


# a second input of 3 entries (the notes' x has 4), only to name a mistake: its out is computed
# here, mean(3 (x + 2) ** 2) = 23.25
X3 = torch.tensor([0.5, -1.0, 2.0])


def _second_out(sub, device, x=X3, n=3):
    """(mean_graph's out on x (X3), the right out, n), or None where the call failed."""
    try:
        got = sub.call("ex03.mean_graph", x.clone().to(device).requires_grad_(True))
    except StudentError:
        return None
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return None
    return got[2], (3 * (x.to(device) + 2) ** 2).mean(), n


# a 2-D input of 2 rows and 3 columns, only to name a mistake: x.numel() / len(x) is 3 here,
# 2 on ones(2, 2)
X23 = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -2.5]])


def _shaped_out(sub, device):
    """(mean_graph's out on X23, the right out, X23's shape), or None where the call failed."""
    got = _second_out(sub, device, X23)
    return None if got is None else (got[0], got[1], tuple(X23.shape))


def _second_analytic(sub, device):
    """(analytic_grad_of_mean on X3, the right gradient there, 6 (x + 2) / 3), or None where
    the call failed."""
    try:
        got = manual_call(sub, "ex03.analytic_grad_of_mean", X3.to(device))
    except StudentError:
        return None
    return got, 6 * (X3.to(device) + 2) / 3


@check("grad_of_mean", points=2, visible=True)
@devices()
def test_grad_of_mean_course(sub, device):
    """grad_of_mean(ones(2, 2)) is 4.5 everywhere, as the closed form, autograd and a central
    difference say"""
    case = CASES["grad_of_mean_ones"].on(device)
    got = case.run(sub)
    call = f"grad_of_mean(torch.ones(2, 2)) on {device}"
    want = expected(case, device)
    assert_close(got, want, call=call, mistakes=scale_mistakes(want, 4))
    assert_close(got, torch.full((2, 2), 4.5, device=device), call=call)
    assert_gradient(got, mean64, ONES, call=call, closed=6 * (ONES + 2) / 4, like=want,
                    mistakes=lambda g: scale_mistakes(g, 4))
    if device == "cpu":
        _float64_of_three(sub, "grad_of_mean_three64", "grad_of_mean")


def _float64_of_three(sub, cid, name, manual=False, extra=""):
    """The hidden checks' other dtype, float64, on x of 3 entries (X3_64): the value recorded."""
    case = CASES[cid]
    got = manual_call(sub, case.target, *case.args) if manual else case.run(sub)
    want = expected(case)
    assert_close(got, want, call=f"{name}(torch.tensor([1/3, -8/7, 2.2], dtype=torch.float64)"
                 f"{extra})", mistakes=scale_mistakes(want, 3))


@check("grad_of_mean", visible=True)
def test_grad_of_mean_leaves_x_alone(sub):
    """grad_of_mean leaves the caller's x (a leaf that requires grad) untouched"""
    case = CASES["grad_of_mean_untouched"]
    r = case.run(sub)
    call = "grad_of_mean(x) with x = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)"
    verify_untouched(r, None, call)
    assert_close(r["result"], expected(case)["result"], call=call)


@check("analytic_grad_of_mean", points=2, visible=True)
@devices()
def test_analytic_course(sub, device):
    """analytic_grad_of_mean(ones(2, 2)) is 4.5 everywhere, with autograd off"""
    case = CASES["analytic_ones"].on(device)
    got = manual_call(sub, case.target, *case.args)
    call = f"analytic_grad_of_mean(torch.ones(2, 2)) on {device}, autograd off"
    want = expected(case, device)
    big = CASES["analytic_3d64"]

    def on_x3():
        second = _second_analytic(sub, device)
        return None if second is None else (*second, (3,))

    def on_big():
        try:
            return manual_call(sub, big.target, *big.args), expected(big), (2, 3, 4)
        except StudentError:
            return None

    def mistakes():
        second = on_x3()
        named = hints.by_shape(scale_mistakes(want, 4, rows=2), got, want, (2, 2),
                               [second, on_big()])
        if second is None:
            return named
        got3, want3, _ = second
        hint = hints.gradient_of_sum(4, 3)
        return {**named, **also_on({hint: want * 4}, (got3, want3, {hint: want3 * 3}))}
    assert_close(got, want, call=call, mistakes=mistakes)
    assert_gradient(got, mean64, ONES, call=call, like=want,
                    mistakes=lambda g: scale_mistakes(g, 4, rows=2))
    if device == "cpu":
        got_big, want_big = manual_call(sub, big.target, *big.args), expected(big)
        assert_close(got_big, want_big,
                     call="analytic_grad_of_mean(x) with x of shape (2, 3, 4), float64, "
                          "autograd off",
                     mistakes=lambda: hints.by_shape(
                         {**scale_mistakes(want_big, 24, rows=2),
                          **hints.outer_dims(want_big, (2, 3, 4))}, got_big, want_big,
                         (2, 3, 4), [(got, want, (2, 2)), on_x3()]))


@check("intermediate_grads", points=2, visible=True)
@devices()
def test_intermediate_course(sub, device):
    """intermediate_grads(w=1, x=2) is (5, 2): dy/dw = 2w + x + 1, dy/da = w + 1"""
    case = CASES["intermediate_course"].on(device)
    got = case.run(sub)
    want = expected(case, device)
    call = f"intermediate_grads(w=tensor([1.]), x=tensor([2.])) on {device}"
    verify_intermediate(got, want, call)
    assert_close(got, (torch.tensor([5.0], device=device), torch.tensor([2.0], device=device)),
                 call=call)
    w, x = torch.tensor([1.0]), torch.tensor([2.0])
    assert_gradient(got[0], lambda v: (v + x) * (v + 1), w, call=call, like=want[0])
    assert_gradient(got[1], lambda a: a * (w + 1), w + x, call=call, like=want[1])


@check("intermediate_grads", visible=True)
def test_intermediate_three(sub):
    """intermediate_grads on w, x of 3 entries: (2w + x + 1, w + 1) entry by entry"""
    case = CASES["intermediate_three"]
    verify_intermediate(case.run(sub), expected(case),
                        "intermediate_grads(w=tensor([1/3, -0.5, 2.]), "
                        "x=tensor([0.5, 2/7, -1.])) in float64",
                        second=lambda: _second_intermediate(sub))


def _second_intermediate(sub):
    """(intermediate_grads on w, x of 2 entries, the right result there), or None where the
    call failed (this input only names a mistake)."""
    w, x = torch.tensor([0.5, 1.5]), torch.tensor([-1.0, 1.0])
    try:
        got = sub.call("ex03.intermediate_grads", w, x)
    except StudentError:
        return None
    return got, (2 * w + x + 1, w + 1)


@check("accumulated_grad", points=2, visible=True)
@devices()
def test_accumulated_course(sub, device):
    """accumulated_grad(ones(2, 2), 3) is 3 * 4.5 = 13.5 everywhere: .grad adds up"""
    case = CASES["accumulated_ones"].on(device)
    got = case.run(sub)
    want = expected(case, device)
    call = f"accumulated_grad(torch.ones(2, 2), times=3) on {device}"
    assert_close(got, want, call=call,
                 mistakes=lambda: {**hints.accumulated(want, 3, _five_times(sub, device)),
                                   **scale_mistakes(want, 4)})
    assert_close(got, torch.full((2, 2), 13.5, device=device), call=call)
    if device == "cpu":
        _float64_of_three(sub, "accumulated_three64", "accumulated_grad", extra=", times=2")


def _five_times(sub, device):
    """accumulated_grad(ones(2, 2), 5), its right value (5 * 4.5) and 5, for naming a mistake
    tied to the number of calls; None where the call fails."""
    try:
        got = sub.call("ex03.accumulated_grad", ONES.to(device), 5)
    except StudentError:
        return None
    return got, torch.full((2, 2), 22.5, device=device), 5
    assert_gradient(got, lambda v: 3 * mean64(v), ONES, call=call, like=want)


@check("zero_grads_", points=2, visible=True)
def test_zero_grads(sub):
    """zero_grads_ zeroes each .grad in place and leaves a None .grad alone"""
    case = CASES["zero_grads"]
    r = run_zero_grads(sub, *case.args)
    verify_zero_grads(r, case.args[1], "zero_grads_([p0, p1, p2]) with p1.grad None",
                      rerun=filled_rerun(sub, *case.args))


@check("zero_grads_", visible=True)
def test_zero_grads_one_pass(sub):
    """zero_grads_ takes a generator too, as model.parameters() gives the leaves"""
    params, grads = CASES["zero_grads"].args
    call = "zero_grads_(p for p in [p0, p1, p2]) with p1.grad None (a generator, as " \
           "model.parameters() is)"
    try:
        verify_zero_grads(run_zero_grads(sub, params, grads, one_pass=True), grads, call,
                          rerun=filled_rerun(sub, params, grads))
    except (CheckFailure, StudentError) as failure:
        if isinstance(failure, StudentError) and failure.kind != "exception":
            raise
        said = failure.describe("zero_grads_") if isinstance(failure, StudentError) else \
            str(failure).split("\n  hint:")[0]
        try:     # the same leaves in a list: where that works, the generator is the cause
            verify_zero_grads(run_zero_grads(sub, params, grads), grads, call)
        except (CheckFailure, StudentError):
            raise failure from None
        fail(f"{said}{chr(10) if chr(10) in said else ' '}Given the same leaves in a list, "
             f"it zeroes them.", hints.ONE_PASS,
             measured=True)    # the generator is the one difference between the two calls


@check("zero_grads_", visible=True)
def test_zero_grads_non_finite(sub):
    """zero_grads_ zeroes a .grad that holds NaN and inf too (after an overflow)"""
    grads = [torch.tensor([float("nan"), float("inf"), -2.0], dtype=F64),
             torch.tensor([float("-inf")], dtype=F64)]
    params = [_leaf(torch.ones(3, dtype=F64)), _leaf(torch.ones(1, dtype=F64))]
    verify_zero_grads(run_zero_grads(sub, params, grads), grads,
                      "zero_grads_([p0, p1]) with p0.grad = [nan, inf, -2], p1.grad = [-inf], "
                      "all float64")


@check("to_numpy", visible=True)
def test_to_numpy_keeps_dtype(sub):
    """to_numpy keeps the tensor's dtype: int64 stays int64, float64 stays float64"""
    for cid, what in (("to_numpy_int64", "torch.tensor([[1, -2], [3, 40]]) (int64)"),
                      ("to_numpy_float64", "a float64 tensor [0.1, 1/3] that requires grad")):
        case = CASES[cid]
        assert_close(case.run(sub), expected(case), call=f"to_numpy({what})")


@check("no_grad_eval", points=2, visible=True)
@devices()
def test_no_grad_eval(sub, device):
    """no_grad_eval(lambda w, x, b: w * x + b, ...) runs without a graph: the result does not
    require grad"""
    case = CASES["no_grad_affine"].on(device)
    r = case.run(sub)
    verify_no_grad_eval(r, expected(case, device), f"no_grad_eval(lambda w, x, b: w * x + b, "
                                                   f"w, x, b) with float64 w, b requiring "
                                                   f"grad, on {device}")


@check("to_numpy", visible=True)
@devices()
def test_to_numpy_leaf(sub, device):
    """to_numpy works on a tensor that requires grad (and on the GPU), and returns an ndarray"""
    case = CASES["to_numpy_leaf"].on(device)
    got = case.run(sub)
    assert_close(got, expected(case), call=f"to_numpy(torch.tensor([1.0, 2.0, 3.5], "
                                            f"requires_grad=True)) on {device}")


@check("to_numpy", visible=True)
@devices()
def test_to_numpy_is_a_copy(sub, device):
    """changing what to_numpy returned leaves the tensor alone (float32, float64 and int64)"""
    for cid in ("to_numpy_copy", "to_numpy_copy_float64", "to_numpy_copy_int64"):
        case = CASES[cid].on(device)
        t = case.args[0]
        verify_to_numpy(case.run(sub), t, f"a = to_numpy(t) with t {str(t.dtype)[6:]} on "
                                          f"{device}, then a[0, 0] += 1")
