"""The mistakes of ex03 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. (A gradient off by a factor 2, by N or in sign is named by
grader.engine.compare.mistakes.scale_mistakes.)"""

DW_THROUGH_A_ONLY = ("dy_dw counts only the path from w through a (it is b = w + 1); autograd "
                     "adds both paths from w to y: dy/dw = b + a")
DW_THROUGH_B_ONLY = ("dy_dw counts only the path from w through b (it is a = w + x); autograd "
                     "adds both paths from w to y: dy/dw = b + a")
DY_DB_NOT_DA = "this is dy/db (= a = w + x), not dy/da (= b = w + 1)"
COUNTED_TWICE = ("twice the expected value: is a gradient counted twice (y + y, or two "
                 "backward() calls)?")
INTERMEDIATE_SWAPPED = "the two are swapped; return (dy_dw, dy_da)."
A_GRAD_NONE = ("a.grad is None: a non-leaf keeps its gradient only when a.retain_grad() is called "
               "before backward()")
OUT_OVER_FOUR = ("out divides the sum by 4, the size of the notes' 2 x 2 x: divide by x.numel() "
                 "(z.mean() does)")
THREE_SQUARED = ("z is 9 y**2, three times 3 y**2 (and out three times the mean): the 3 is squared "
                 "with y, as in (y * 3) ** 2 or (3 * y) ** 2; z = y * y * 3 squares y alone")
BACKWARD_INSIDE = "mean_graph only builds the graph; the caller calls out.backward() (once)."
GRAPH_CUT = ("build y, z and out from x itself with autograd on (no torch.no_grad(), .detach(), "
             ".item() or .data)")
NO_HOOKS = ("leave the gradient to autograd: register no hook (register_hook, "
            "register_post_accumulate_grad_hook) on x or on the tensors mean_graph returns")
ON_A_COPY = ("mean_graph must build on the caller's x itself: a copy made with .detach(), "
             "torch.tensor(x) or requires_grad_() on a clone gets the gradient instead of x")
GRAD_NONE_SKIPPED = ("a tensor whose .grad is None (no backward() reached it yet) has nothing to "
                     "zero: skip it (if p.grad is not None).")
GRAD_SET_TO_NONE = ("zero_grads_ zeroes the gradient in place (p.grad.zero_()), it does not "
                    "remove it")
GRAD_NEW_TENSOR = ("zero the existing gradient in place, p.grad.zero_(): anything else holding it "
                   "(an optimizer, a hook) still sees the old values otherwise")
ONE_PASS = ("params may be a generator, such as model.parameters(), which can be walked only "
            "once: a first pass over it (any(...), len(list(params)), a loop that checks "
            "first) leaves nothing for the loop that zeroes. Walk it once, `for p in params:`, "
            "or make a list first, `params = list(params)`.")
LOOP_STOPS_EARLY = ("some gradients are zeroed and others not: does the loop over params stop "
                    "early (a return or break inside it), or skip some of them?")
ZEROED_BY_ARITHMETIC = ("the gradient is zeroed by arithmetic on its values (a product with 0, "
                        "such as p.grad *= 0, or the gradient minus itself): that gives 0 for "
                        "finite numbers but NaN for NaN and ±inf (inf * 0 is NaN), and a "
                        "gradient can hold them after a step that overflowed. "
                        "p.grad.zero_() sets every entry to 0 whatever it held")
GRAD_UNCHANGED = ("no .grad was changed: zero each gradient that is not None in place, "
                  "p.grad.zero_()")
NOTHING_ZEROED_FOR_ONE_NONE = ("nothing is zeroed when one .grad is None, while the same call "
                               "with every .grad present zeroes them all: skip only the None "
                               "ones (if p.grad is not None: p.grad.zero_()), each on its own")
NO_GRAD_MISSING = "evaluate fn(*args) inside `with torch.no_grad():`"
DETACHED_AFTER = ("call fn(*args) inside `with torch.no_grad():`, so that no graph is built at "
                  "all (detaching the result afterwards is too late)")
GRAD_LEFT_OFF = ("use `with torch.no_grad():`, which switches autograd back on at the end, rather "
                 "than torch.set_grad_enabled(False)")
SHARES_MEMORY = "return a copy (e.g. .numpy().copy()): the array shares the tensor's memory"


def out_sum(n: int) -> str:
    """mean_graph's out summed over the n entries of z instead of averaged."""
    return f"out is {n} times the mean: z.sum() where z.mean() is wanted"


def out_summed(n: int, n2: int) -> str:
    """mean_graph's out summed, seen on two inputs of different sizes."""
    return (f"z.sum() where z.mean() is wanted: out is N times the mean on two inputs of "
            f"different sizes ({n} times with N = {n}, {n2} times with N = {n2})")


def gradient_of_sum(n: int, n2: int) -> str:
    """analytic_grad_of_mean without its 1/n, seen on two inputs of different sizes."""
    return (f"the derivative of the sum, not of the mean: N times the expected gradient on two "
            f"inputs of different sizes ({n} times with N = {n}, {n2} times with N = {n2}); "
            f"divide by x.numel()")


def mean_for_sum(n: int) -> str:
    """intermediate_grads' y reduced with a mean: every gradient 1/n of the sum's."""
    return (f"this is 1/{n} of the expected value: y.mean() where y.sum() is wanted before "
            f"backward() (the mean divides every gradient by N = {n})")


def mean_for_sum_on_two(n: int, n2: int) -> str:
    """intermediate_grads' y reduced with a mean, seen on two inputs of different sizes."""
    return (f"y.mean() where y.sum() is wanted before backward(): every gradient is 1/N of the "
            f"expected on two inputs of different sizes (1/{n} with N = {n}, 1/{n2} with "
            f"N = {n2}); the mean divides every gradient by N")


def added_to_callers_grad(what: str) -> str:
    """A function that should leave the caller's leaf alone added its gradient to it."""
    return (f"the gradient was added to the caller's {what}.grad: work on a fresh leaf copy, "
            f"{what}.detach().clone().requires_grad_(True)")


def fresh_copy(what: str) -> str:
    """The caller's leaf was touched where a fresh copy should have been used."""
    return (f"work on a fresh leaf copy, {what}.detach().clone().requires_grad_(True), and leave "
            f"{what} alone")


def accumulated(want, times: int, second=None) -> dict:
    """accumulated_grad's known wrong results, from the right one: the gradients zeroed between
    the backward() calls, or one call too few or too many. Each is a factor that depends on
    `times`, which a factor of another cause equals by chance (a mean divided by 4 on x of 3
    entries is 3/4, as 3 calls of 4 are): one is named only where `second`, (what came back
    for another times, the right result there, that times), shows its own factor too."""
    from grader.checks.api import also_on
    if second is None:
        return {}
    got2, want2, times2 = second
    return also_on(_accumulated(want, times), (got2, want2, _accumulated(want2, times2, times)))


def _accumulated(want, times: int, said=None) -> dict:
    """{hint: value} of accumulated_grad's mistakes for this times; the hints worded with the
    times `said` (the first input's, for a second input's values)."""
    said = times if said is None else said
    return {
        f"this is one backward()'s gradient: .grad was zeroed (or made afresh) in between; "
        f"without zeroing, the gradients of the {said} calls add up.": want / times,
        f"this is {said - 1} backward()'s worth: one call too few?": want * (times - 1) / times,
        f"this is {said + 1} backward()'s worth: one call too many?": want * (times + 1) / times,
    }


def outer_dims(want, shape) -> dict:
    """{hint: value} for a mean's gradient divided by x.shape[0] * x.shape[-1] (right for a
    2-D x) where x.numel() is meant: only where x has 3 or more dimensions and that factor is
    none that another mistake gives (2, 1/2, N, 1/N, N / len(x))."""
    n = 1
    for d in shape:
        n *= int(d)
    if len(shape) < 3:
        return {}
    outer = int(shape[0]) * int(shape[-1])
    factor = n / outer
    if factor in (1.0, 2.0, 0.5, float(n), 1.0 / n, n / int(shape[0])):
        return {}
    return {f"divided by x.shape[0] * x.shape[-1] = {outer} (right for a 2-D x) where "
            f"x.numel() = {n} is meant: every value is {factor:g} times the expected one":
            want * factor}



def len_for_numel(shape, shown, what: str = "") -> str:
    """The hint for a mean (or its gradient) divided by len(x) where x.numel() is meant, once
    inputs of other shapes each show their own numel / len(x) as the factor (`shown`: (shape,
    factor) of each): said as the cause, not as a factor that one input could give by chance.
    `what`: the value named ("out"), where it is not the whole result."""
    n = 1
    for d in shape:
        n *= int(d)
    also = ", ".join(f"{r:g} times on x of shape {tuple(s)}" for s, r in shown)
    value = f"{what} is" if what else "every value is"
    return (f"{what + ' ' if what else ''}divided by len(x) = {int(shape[0])} (the size of x's "
            f"first dimension) where x.numel() = {n} is meant: {value} x.numel() / len(x) "
            f"times the expected one, {n / int(shape[0]):g} times here and {also}. len(x) counts the rows only; "
            f"divide by x.numel()")


def _ratio(hint: str, shape) -> float | None:
    """The factor the mistake `hint` (of scale_mistakes or outer_dims) gives on x of `shape`;
    None for a hint that is no fixed count's factor (a sum for a mean has its own evidence)."""
    n = 1
    for d in shape:
        n *= int(d)
    if hint.startswith("this is half"):
        return 0.5
    if hint.startswith("this is twice"):
        return 2.0
    if hint.startswith("the sign is flipped"):
        return -1.0
    if "divided by len(x)" in hint and shape:
        return n / int(shape[0])
    if hint.startswith("divided by x.shape[0] * x.shape[-1]") and shape:
        return n / (int(shape[0]) * int(shape[-1]))
    return None


def _factor(got, want):
    """c where got = c * want (to a mistake's matching tolerance), else None."""
    import numpy as np
    from grader.checks.api import as_array, same_values
    a, b = as_array(got), as_array(want)
    if a is None or b is None or a.shape != b.shape or not np.isfinite(a).all():
        return None
    big = np.abs(b) > 1e-9
    if not big.any():
        return None
    c = float(np.median(a[big] / b[big]))
    return c if same_values(a, c * b) else None


def by_shape(named: dict, got, want, shape, others) -> dict:
    """analytic_grad_of_mean's `named` mistakes ({hint: value} on x of `shape`, where `got`
    came back and `want` is right), each of a fixed factor (2, ½, −1, len(x),
    x.shape[0] * x.shape[-1]) kept only where another input of another shape shows it too and
    none shows otherwise: `others`, (got, want, shape) each, None for a call that failed. A
    factor seen on one shape alone may come from a count right for some shapes only
    (len(x) ** x.dim() is x.numel() on a square x). Where none is kept and the values are
    6 (x + 2) / D, the message says that divisor and what the other shapes gave."""
    from grader.checks.api import same_values
    others = [o for o in others if o is not None and tuple(o[2]) != tuple(shape)]
    kept = {}
    for hint, value in named.items():
        if _ratio(hint, shape) is None:
            kept[hint] = value
            continue
        shown = [(s2, r2) for g2, w2, s2 in others
                 if (r2 := _ratio(hint, s2)) is not None and r2 != 1.0]
        seen = [same_values(g2, w2 * r2) for g2, w2, s2 in others
                if (r2 := _ratio(hint, s2)) is not None and r2 != 1.0]
        if seen and all(seen):
            kept[len_for_numel(shape, shown) if "divided by len(x)" in hint else hint] = value
    c = _factor(got, want)
    n = 1
    for d in shape:
        n *= int(d)
    if c is None or c <= 0 or any(same_values(got, v) for v in kept.values()):
        return kept
    div = n / c
    if abs(div - round(div)) > 1e-6 or round(div) in (1, n):
        return kept
    told = []
    for g2, w2, s2 in others:
        c2 = _factor(g2, w2)
        n2 = int(w2.numel())
        if c2 is not None and abs(c2 - 1.0) < 1e-6:
            told.append(f"on x of shape {tuple(s2)} the result is right")
        elif c2 is not None and c2 > 0 and abs(n2 / c2 - round(n2 / c2)) < 1e-6:
            told.append(f"on x of shape {tuple(s2)} it divides by {round(n2 / c2)} where "
                        f"x.numel() = {n2}")
    some = any(t.endswith("is right") for t in told)
    tail = (f"; {', and '.join(told)}: the count it divides by is "
            f"{'x.numel() for some shapes only' if some else 'not x.numel()'}" if told else "")
    kept[f"the values are 6 (x + 2) / {round(div)}: divided by {round(div)} where x.numel() = "
         f"{n} is meant (every value {c:g} times the expected one){tail}. Divide by "
         f"x.numel()"] = want * c
    return kept
