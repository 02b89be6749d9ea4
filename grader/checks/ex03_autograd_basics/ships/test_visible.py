"""Visible checks of ex03 (autograd basics): the course's x = torch.ones(2, 2) (out = 27,
x.grad = 4.5), recorded from the reference by `python -m grader build`, with every gradient also
checked against its closed form, autograd and a central difference. Students run these with
`python -m grader check ex03`."""
import pytest
import torch

from grader.checking import Case, check, devices, expected, manual_call
from grader.numeric import assert_close, assert_gradient, fail, scale_mistakes, show
from grader.protocol import meta
from grader.sandbox import StudentError

pytestmark = pytest.mark.ex03


def _leaf(t):
    return t.requires_grad_(True)


ONES = torch.ones(2, 2)

CASES = {c.id: c for c in [
    Case("mean_graph_ones", "ex03", (_leaf(torch.ones(2, 2)),),
         probe="ex03.mean_graph_backward"),
    Case("grad_of_mean_ones", "ex03.grad_of_mean", (ONES,)),
    Case("grad_of_mean_untouched", "ex03", ("grad_of_mean", _leaf(torch.ones(2, 2)), None),
         probe="ex03.leaves_untouched"),
    Case("analytic_ones", "ex03.analytic_grad_of_mean", (ONES,), grad=False),
    Case("intermediate_course", "ex03.intermediate_grads",
         (torch.tensor([1.0]), torch.tensor([2.0]))),
    Case("accumulated_ones", "ex03.accumulated_grad", (ONES, 3)),
    Case("zero_grads", "ex03",
         ([_leaf(torch.ones(3)), _leaf(torch.ones(2, 2)), _leaf(torch.zeros(2))],
          [torch.tensor([1.0, -2.0, 3.0]), None, torch.tensor([0.5, 4.0])]),
         probe="ex03.zero_grads"),
    Case("no_grad_affine", "ex03", ("affine", _leaf(torch.tensor([2.0, -1.0])),
                                    torch.tensor([3.0, 4.0]), _leaf(torch.tensor([0.5, 0.5]))),
         probe="ex03.no_grad_eval"),
    Case("to_numpy_leaf", "ex03.to_numpy", (_leaf(torch.tensor([1.0, 2.0, 3.5])),)),
    Case("to_numpy_copy", "ex03", (_leaf(torch.tensor([[1.0, 2.0], [3.0, 4.0]])),),
         probe="ex03.to_numpy_copy"),
]}


def _mean64(v):
    return (3 * (v + 2) ** 2).mean()


# ----------------------------------------------------------------------------------------------
# helpers the hidden checks share

def verify_mean_graph(r, want, x, call):
    """The probe mean_graph_backward's result `r` against the reference's `want`."""
    n = x.numel()
    y, z, out = want["result"]
    assert_close(r["result"], want["result"], call=call, mistakes={
        f"out is {n} times the mean: z.sum() where z.mean() is wanted": (y, z, out * n)})
    if r["backward_error"]:
        fail(f"{call} returned (y, z, out), but then out.backward() failed: "
             f"{r['backward_error']}\n  hint: mean_graph only builds the graph; the caller "
             f"calls out.backward() (once).")
    for name, t in zip(("y", "z", "out"), r["result"]):
        m = meta(t)
        if m is not None and not m.requires_grad:
            fail(f"{call}: {name} does not require grad, so it is not part of x's graph. Build "
                 f"y, z and out from x itself with autograd on (no torch.no_grad(), "
                 f".detach(), .item() or .data).")
    if r["x_grad"] is None:
        fail(f"{call}, then out.backward(): x.grad is still None. mean_graph must build on the "
             f"caller's x itself: a copy made with .detach(), torch.tensor(x) or "
             f"requires_grad_() on a clone gets the gradient instead of x.")
    assert_close(r["x_grad"], want["x_grad"], call=f"{call}, then out.backward()",
                 context="x.grad", mistakes=scale_mistakes(want["x_grad"], n))


def verify_untouched(r, grad_before, call, what="x", added=None):
    """The probe leaves_untouched's result: the caller's .grad is as it was. `added` is the
    gradient a version working on the caller's tensor would have added to it."""
    after = r["x_grad"]
    if grad_before is None and after is not None:
        fail(f"{call} changed the caller's {what}.grad (it was None, now {show(after)}): work "
             f"on a fresh leaf copy, {what}.detach().clone().requires_grad_(True), and leave "
             f"{what} alone.")
    if grad_before is not None:
        if after is None:
            fail(f"{call} set the caller's {what}.grad to None: leave {what} alone and work on "
                 f"a fresh leaf copy.")
        mistakes = {}
        if added is not None:
            mistakes[f"the gradient was added to the caller's {what}.grad: work on a fresh "
                     f"leaf copy, {what}.detach().clone().requires_grad_(True)"] = \
                grad_before + added.to(grad_before.device, grad_before.dtype)
        assert_close(after, grad_before, call=call, check_dtype=False, check_device=False,
                     context=f"the caller's {what}.grad afterwards, which must stay as it was",
                     mistakes=mistakes)


def run_zero_grads(sub, params, grads):
    """The probe zero_grads, with a hint when the student's code trips over a None .grad."""
    try:
        return sub.probe("ex03.zero_grads", "ex03", params, grads)
    except StudentError as exc:
        if exc.kind == "exception" and "NoneType" in str(exc):
            fail(exc.describe("zero_grads_") + "\n  hint: a tensor whose .grad is None (no "
                 "backward() reached it yet) has nothing to zero: skip it (if p.grad is not "
                 "None).")
        raise


def verify_zero_grads(r, grads, call):
    if r["result"] is not None:
        fail(f"{call} returned {show(r['result'])}; it should return None (it works in place, "
             f"as the trailing underscore says).")
    for i, (g, after, same) in enumerate(zip(grads, r["grads"], r["same_tensor"])):
        if g is None:
            if after is not None:
                fail(f"{call}: params[{i}].grad was None and became {show(after)}; a .grad "
                     f"that is None stays None.")
            continue
        if after is None:
            fail(f"{call}: params[{i}].grad was set to None. zero_grads_ zeroes the gradient "
                 f"in place (p.grad.zero_()), it does not remove it.")
        assert_close(after, torch.zeros_like(g), call=call, check_dtype=False,
                     context=f"params[{i}].grad afterwards")
        if not same:
            fail(f"{call}: params[{i}].grad is a new tensor of zeros. Zero the existing one in "
                 f"place, p.grad.zero_(): anything else holding that gradient (an optimizer, "
                 f"a hook) still sees the old values otherwise.")


def verify_no_grad_eval(r, want, call):
    assert_close(r["result"], want["result"], call=call)
    if r["calls"] != 1:
        fail(f"{call} called fn {r['calls']} times; call it once.")
    m = meta(r["result"])
    if m is not None and m.requires_grad:
        fail(f"{call} returned a tensor that requires grad (grad_fn {m.grad_fn}): evaluate "
             f"fn(*args) inside `with torch.no_grad():`.")
    if r["grad_enabled_inside"]:
        fail(f"{call}: autograd was on while fn ran (the result was detached afterwards?): "
             f"call fn(*args) inside `with torch.no_grad():`, so no graph is built at all.")
    if not r["grad_enabled_after"]:
        fail(f"{call} left autograd switched off for everything after it: use "
             f"`with torch.no_grad():`, which switches it back on at the end, rather than "
             f"torch.set_grad_enabled(False).")


def verify_to_numpy(r, t, call):
    assert_close(r["result"], t.detach().cpu().numpy().copy(), call=call)
    if r["tensor_changed"]:
        fail(f"{call} returned an array that shares memory with the tensor: changing the array "
             f"changed the tensor. Return a copy (e.g. .numpy().copy()).")


# ----------------------------------------------------------------------------------------------
# the checks

@check("mean_graph", points=2, visible=True)
@devices()
def test_mean_graph_course(sub, device):
    """mean_graph on x = ones(2, 2): out = 27, and out.backward() puts 4.5 in the caller's x.grad"""
    case = CASES["mean_graph_ones"].on(device)
    r = case.run(sub)
    call = f"y, z, out = mean_graph(x) with x = torch.ones(2, 2, requires_grad=True) on {device}"
    verify_mean_graph(r, expected(case, device), case.args[0], call)
    assert_close(r["result"][2], torch.tensor(27.0, device=device), call=call, context="out")
    assert_close(r["x_grad"], torch.full((2, 2), 4.5, device=device), call=call,
                 context="x.grad after out.backward()")


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
    assert_gradient(got, _mean64, ONES, call=call, closed=6 * (ONES + 2) / 4, like=want,
                    mistakes=lambda g: scale_mistakes(g, 4))


@check("grad_of_mean", visible=True)
def test_grad_of_mean_leaves_x_alone(sub):
    """grad_of_mean leaves the caller's x (a leaf that requires grad) untouched"""
    case = CASES["grad_of_mean_untouched"]
    r = case.run(sub)
    call = "grad_of_mean(x) with x = torch.ones(2, 2, requires_grad=True)"
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
    assert_close(got, want, call=call, mistakes=scale_mistakes(want, 4))
    assert_gradient(got, _mean64, ONES, call=call, like=want,
                    mistakes=lambda g: scale_mistakes(g, 4))


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


def verify_intermediate(got, want, call):
    dy_dw, dy_da = want
    a = dy_dw - dy_da        # = w + x
    if isinstance(got, (tuple, list)) and len(got) == 2:
        swapped = all(isinstance(g, torch.Tensor) and g.shape == e.shape and
                      torch.allclose(g.detach().cpu().double(), e.detach().cpu().double())
                      for g, e in zip(got, (dy_da, dy_dw)))
        if swapped and not torch.equal(dy_dw, dy_da):
            fail(f"{call} returned (dy_da, dy_dw): the two are swapped; return (dy_dw, dy_da).")
    assert_close(got, want, call=call, mistakes={
        **scale_mistakes(want, dy_dw.numel(), factor2=False),
        "dy_dw counts only the path from w through a (it is b = w + 1); autograd adds both "
        "paths from w to y: dy/dw = b + a": (dy_da, None),
        "dy_dw counts only the path from w through b (it is a = w + x); autograd adds both "
        "paths from w to y: dy/dw = b + a": (a, None),
        "this is dy/db (= a = w + x), not dy/da (= b = w + 1)": (None, a),
        "twice the expected value: is a gradient counted twice (y + y, or two backward() "
        "calls)?": (dy_dw * 2, dy_da * 2)})


@check("accumulated_grad", points=2, visible=True)
@devices()
def test_accumulated_course(sub, device):
    """accumulated_grad(ones(2, 2), 3) is 3 * 4.5 = 13.5 everywhere: .grad adds up"""
    case = CASES["accumulated_ones"].on(device)
    got = case.run(sub)
    want = expected(case, device)
    call = f"accumulated_grad(torch.ones(2, 2), times=3) on {device}"
    assert_close(got, want, call=call, mistakes={
        "this is one backward()'s gradient: .grad was zeroed (or made afresh) in between; "
        "without zeroing, the gradients of the 3 calls add up.": want / 3,
        "this is 2 backward()'s worth: one call too few?": want * 2 / 3,
        **scale_mistakes(want, 4)})
    assert_close(got, torch.full((2, 2), 13.5, device=device), call=call)
    assert_gradient(got, lambda v: 3 * _mean64(v), ONES, call=call, like=want)


@check("zero_grads_", points=2, visible=True)
def test_zero_grads(sub):
    """zero_grads_ zeroes each .grad in place and leaves a None .grad alone"""
    case = CASES["zero_grads"]
    r = run_zero_grads(sub, *case.args)
    verify_zero_grads(r, case.args[1], "zero_grads_([p0, p1, p2]) with p1.grad None")


@check("no_grad_eval", points=2, visible=True)
@devices()
def test_no_grad_eval(sub, device):
    """no_grad_eval(lambda w, x, b: w * x + b, ...) runs without a graph: the result does not
    require grad"""
    case = CASES["no_grad_affine"].on(device)
    r = case.run(sub)
    verify_no_grad_eval(r, expected(case, device), f"no_grad_eval(lambda w, x, b: w * x + b, "
                                                   f"w, x, b) with w, b requiring grad, on "
                                                   f"{device}")


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
    """changing what to_numpy returned leaves the tensor alone"""
    case = CASES["to_numpy_copy"].on(device)
    r = case.run(sub)
    verify_to_numpy(r, case.args[0], f"a = to_numpy(t) on {device}, then a[0, 0] += 1")
