"""What the visible and the hidden checks of ex03 share: the function whose gradients the
exercise computes, and the comparisons of the probes' results (each names the mistakes of
mistakes.py it can tell)."""
import torch

from grader.checks.ex03_autograd_basics.ships import mistakes as hints
from grader.checks.api import (StudentError, also_on, assert_close, fail, meta, same_values,
                               scale_mistakes, show)


def mean64(v):
    """out = mean(3 (x + 2)^2), the course's function of x."""
    return (3 * (v + 2) ** 2).mean()


def verify_mean_graph(r, want, x, call, second=None, shaped=None):
    """The probe mean_graph_backward's result `r` against the reference's `want`. `second`:
    where given, a callable that returns (out on another input, the right out there, its
    number of entries), or None where that call failed: a sum for the mean is named where
    both inputs show their own N (else only the factor is said). `shaped`: where given, a
    callable that returns (out on a 2-D input of another x.numel() / len(x), the right out
    there, that input's shape), or None: a division by len(x) where x.numel() is meant is
    named where both inputs show their own x.numel() / len(x)."""
    n = x.numel()
    y, z, out = want["result"]
    mistakes = {hints.out_sum(n): (y, z, out * n)}
    if n != 4:
        mistakes[hints.OUT_OVER_FOUR] = (y, z, out * n / 4)
    mistakes[hints.THREE_SQUARED] = (y, 3 * z, 3 * out)   # (3y)**2 = 9y**2: z and out x 3

    def named():
        other = second() if second is not None else None
        found = {**mistakes, **_len_for_numel_out(x, (y, z, out), shaped)}
        if other is None:
            return found
        got2, want2, n2 = other
        hint = hints.out_summed(n, n2)
        return {**found, **also_on({hint: (y, z, out * n)}, (got2, want2, {hint: want2 * n2}))}
    assert_close(r["result"], want["result"], call=call,
                 mistakes=named if second is not None or shaped is not None else mistakes)
    if r["backward_error"]:
        fail(f"{call} returned (y, z, out), but then out.backward() failed: "
             f"{r['backward_error']}", hints.BACKWARD_INSIDE)
    if r.get("grad_after_call") is not None:
        fail(f"{call} wrote x.grad itself (it was None, then {show(r['grad_after_call'])}): "
             f"mean_graph only builds the graph; out.backward(), called by its caller, fills "
             f"x.grad.")
    for name, t in zip(("y", "z", "out"), r["result"]):
        m = meta(t)
        if m is not None and not m.requires_grad:
            fail(f"{call}: {name} does not require grad, so it is not part of x's graph.",
                 hints.GRAPH_CUT)
    graph = r.get("graph") or {}
    if graph.get("own_backward"):
        fail(f"{call}: out's graph runs a backward of your own ({graph['own_backward']}, a "
             f"torch.autograd.Function), so autograd does not compute x.grad.", hints.GRAPH_CUT)
    if graph.get("hooked"):
        fail(f"{call}: a gradient hook sits on {_hooked(graph['hooked'])}, so x.grad is not "
             f"the one autograd computes through the graph.", hints.NO_HOOKS)
    if r["x_grad"] is None:
        fail(f"{call}, then out.backward(): x.grad is still None.", hints.ON_A_COPY)
    if graph and not graph.get("reaches_x"):
        fail(f"{call}: out's graph does not lead back to x (out.backward() cannot reach x's "
             f"gradient), yet x.grad was filled by other means.", hints.ON_A_COPY)
    assert_close(r["x_grad"], want["x_grad"], call=f"{call}, then out.backward()",
                 context="x.grad", mistakes=scale_mistakes(want["x_grad"], n))


def _len_for_numel_out(x, want, shaped) -> dict:
    """{hint: (y, z, out)} for out divided by len(x) where x.numel() is meant: kept only where
    x and the input of `shaped` (another shape) each show their own x.numel() / len(x) as the
    factor of out; {} where x is 1-D, the factors agree, or the call fails."""
    if shaped is None or x.dim() < 2:
        return {}
    r1 = x.numel() / x.shape[0]
    other = shaped()
    if other is None:
        return {}
    got2, want2, shape2 = other
    n2 = 1
    for d in shape2:
        n2 *= int(d)
    r2 = n2 / int(shape2[0])
    if r2 in (1.0, r1) or not same_values(got2, want2 * r2):
        return {}
    y, z, out = want
    return {hints.len_for_numel(tuple(x.shape), [(tuple(shape2), r2)], "out"): (y, z, out * r1)}


def _hooked(which) -> str:
    names = {0: "y", 1: "z", 2: "out", "x": "x"}
    return ", ".join(names.get(w, "a tensor") for w in which)


def verify_untouched(r, grad_before, call, what="x", added=None):
    """The probe leaves_untouched's result: the caller's .grad is as it was. `added` is the
    gradient a version working on the caller's tensor would have added to it."""
    after = r["x_grad"]
    if grad_before is None and after is not None:
        fail(f"{call} changed the caller's {what}.grad (it was None, now {show(after)}).",
             hints.fresh_copy(what))
    if grad_before is not None:
        if after is None:
            fail(f"{call} set the caller's {what}.grad to None.", hints.fresh_copy(what))
        mistakes = {}
        if added is not None:
            mistakes[hints.added_to_callers_grad(what)] = \
                grad_before + added.to(grad_before.device, grad_before.dtype)
        assert_close(after, grad_before, call=call, check_dtype=False, check_device=False,
                     context=f"the caller's {what}.grad afterwards, which must stay as it was",
                     mistakes=mistakes)


def run_zero_grads(sub, params, grads, one_pass=False):
    """The probe zero_grads, with a hint when the student's code trips over a None .grad.
    `one_pass`: the leaves given as a generator, as model.parameters() gives them."""
    try:
        return sub.probe("ex03.zero_grads", "ex03", params, grads, one_pass)
    except StudentError as exc:
        if exc.kind == "exception" and "NoneType" in str(exc):
            fail(exc.describe("zero_grads_"), hints.GRAD_NONE_SKIPPED)
        raise


def _params(indices) -> str:
    """'params[0]', 'params[1] and params[3]'."""
    names = [f"params[{i}]" for i in indices[:3]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def filled_rerun(sub, params, grads):
    """verify_zero_grads' `rerun`: the call again with a gradient of ones for each None."""
    full = [torch.ones_like(p.detach()) if g is None else g for p, g in zip(params, grads)]
    return lambda: (run_zero_grads(sub, params, full), full)


def verify_zero_grads(r, grads, call, rerun=None):
    """`rerun(grads)`: the probe again on these gradients, to tell a None .grad that stops all
    the zeroing from zeroing that never happens."""
    if r["result"] is not None:
        fail(f"{call} returned {show(r['result'])}; it should return None (it works in place, "
             f"as the trailing underscore says).")
    zeroed = [i for i, (g, after) in enumerate(zip(grads, r["grads"]))
              if g is not None and after is not None and bool((g != 0).any())
              and not bool((torch.as_tensor(after) != 0).any())]
    kept = [i for i, (g, after) in enumerate(zip(grads, r["grads"]))
            if g is not None and after is not None and bool((g != 0).any())
            and _same(after, g)]
    if zeroed and kept:   # some zeroed, others untouched: the loop, not the zeroing
        fail(f"{call}: the .grad of {_params(zeroed)} {'was' if len(zeroed) == 1 else 'were'} "
             f"zeroed, that of {_params(kept)} left as it was.", hints.LOOP_STOPS_EARLY)
    none_stops_all = _none_stops_all(r, grads, rerun)
    if none_stops_all:
        fail(f"{call}: no .grad was changed.", none_stops_all)
    for i, (g, after, same) in enumerate(zip(grads, r["grads"], r["same_tensor"])):
        if g is None:
            if after is not None:
                fail(f"{call}: params[{i}].grad was None and became {show(after)}; a .grad "
                     f"that is None stays None.")
            continue
        if after is None:
            fail(f"{call}: params[{i}].grad was set to None.", hints.GRAD_SET_TO_NONE)
        if _nan_where_not_finite(g, after):
            fail(f"{call}: params[{i}].grad was {show(g)} and became {show(after)}: each NaN or "
                 f"±inf entry became NaN, the others 0.", hints.ZEROED_BY_ARITHMETIC)
        assert_close(after, torch.zeros_like(g), call=call, check_dtype=False,
                     context=f"params[{i}].grad afterwards",
                     mistakes={hints.GRAD_UNCHANGED: g} if bool(g.abs().sum() > 0) else None)
        if not same:
            fail(f"{call}: params[{i}].grad is a new tensor of zeros.", hints.GRAD_NEW_TENSOR)


def _unchanged(grads, after_all) -> bool:
    """Whether every gradient that was not None (and not zero) came back as it was."""
    pairs = [(g, after) for g, after in zip(grads, after_all) if g is not None]
    return bool(pairs) and all(
        after is not None and bool(g.abs().sum() > 0)
        and torch.equal(torch.as_tensor(after).to(g.dtype).cpu(), g.cpu()) for g, after in pairs)


def _none_stops_all(r, grads, rerun) -> str | None:
    """The hint where every .grad came back unchanged and some .grad was None, while the same
    call with a gradient in place of each None (rerun() -> (its result, those gradients))
    zeroes every one; None otherwise."""
    if rerun is None or all(g is not None for g in grads) or not _unchanged(grads, r["grads"]):
        return None
    try:
        r2, grads2 = rerun()
    except StudentError:
        return None
    zeroed = all(after is not None and not bool(torch.as_tensor(after).abs().sum() > 0)
                 for after in r2["grads"])
    return hints.NOTHING_ZEROED_FOR_ONE_NONE if zeroed else None


def verify_no_grad_eval(r, want, call):
    assert_close(r["result"], want["result"], call=call)
    if r["calls"] != 1:
        fail(f"{call} called fn {r['calls']} times; call it once.")
    m = meta(r["result"])
    if m is not None and m.requires_grad:
        fail(f"{call} returned a tensor that requires grad (grad_fn {m.grad_fn}).",
             hints.NO_GRAD_MISSING)
    if r["grad_enabled_inside"]:
        fail(f"{call}: autograd was on while fn ran.", hints.DETACHED_AFTER)
    if not r["grad_enabled_after"]:
        fail(f"{call} left autograd switched off for everything after it.",
             hints.GRAD_LEFT_OFF)


def verify_to_numpy(r, t, call):
    assert_close(r["result"], t.detach().cpu().numpy().copy(), call=call)
    if r["tensor_changed"]:
        fail(f"{call} returned an array that shares memory with the tensor: changing the array "
             f"changed the tensor.", hints.SHARES_MEMORY)


def sum_mistakes(want, n: int, **kw) -> dict:
    """scale_mistakes of intermediate_grads, whose y is reduced with a sum: its 1/N is y.mean()
    (kept only where another input, of another N, shows its own N: confirm_across_inputs)."""
    m = scale_mistakes(want, n, **kw)
    if n > 1:
        over = f"this is 1/{n} of the expected value:"
        m = {(hints.mean_for_sum(n) if h.startswith(over) else h): v for h, v in m.items()}
    return m


def verify_intermediate(got, want, call, second=None):
    """`second`: where given, a callable giving (the result on another input of another size,
    the right result there), or None where that call failed: y.mean() is named where both
    inputs show their own N."""
    dy_dw, dy_da = want
    a = dy_dw - dy_da        # = w + x
    if isinstance(got, (tuple, list)) and len(got) == 2 and got[1] is None \
            and isinstance(got[0], torch.Tensor):
        fail(f"{call} returned (dy_dw, None).", hints.A_GRAD_NONE)
    if isinstance(got, (tuple, list)) and len(got) == 2:
        swapped = all(isinstance(g, torch.Tensor) and g.shape == e.shape and
                      torch.allclose(g.detach().cpu().double(), e.detach().cpu().double())
                      for g, e in zip(got, (dy_da, dy_dw)))
        if swapped and not torch.equal(dy_dw, dy_da):
            fail(f"{call} returned (dy_da, dy_dw).", hints.INTERMEDIATE_SWAPPED)
    n = dy_dw.numel()

    def mistakes():
        named = {**sum_mistakes(want, n, factor2=False),
                 hints.DW_THROUGH_A_ONLY: (dy_da, None), hints.DW_THROUGH_B_ONLY: (a, None),
                 hints.DY_DB_NOT_DA: (None, a), hints.COUNTED_TWICE: (dy_dw * 2, dy_da * 2)}
        other = second() if second is not None else None
        if other is None:
            return named
        got2, want2 = other
        n2 = want2[0].numel()
        hint = hints.mean_for_sum_on_two(n, n2)
        return {**named, **also_on({hint: (dy_dw / n, dy_da / n)},
                                   (got2, want2, {hint: (want2[0] / n2, want2[1] / n2)}))}
    assert_close(got, want, call=call, mistakes=mistakes)


def _nan_where_not_finite(g, after) -> bool:
    """Whether a gradient holding NaN or ±inf came back NaN exactly at those entries and 0 at
    every other: what arithmetic that zeroes finite numbers gives (0 * inf, inf - inf)."""
    g, after = g.detach().cpu(), torch.as_tensor(after).detach().cpu()
    bad = ~torch.isfinite(g)
    if g.shape != after.shape or not bool(bad.any()):
        return False
    return bool(torch.equal(torch.isnan(after), bad) and (after[~bad] == 0).all())


def _same(after, g) -> bool:
    """Whether a gradient came back as it was, NaN and ±inf included."""
    a = torch.as_tensor(after).to(g.dtype).cpu()
    return a.shape == g.shape and bool(torch.equal(a.isnan(), g.cpu().isnan())) and bool(
        (a[~a.isnan()] == g.cpu()[~a.isnan()]).all())
