"""The mistakes of ex11 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a cubic fit that ex11 and ex12 share are written in
grader.checks.training. (A gradient off by a factor 2 or in sign is named by
grader.engine.compare.mistakes.scale_mistakes.)"""
import numpy as np

from grader.checks.api import (COEFFICIENTS_ORDER, LOSSES_OF_STEPS_0_100, LOSS_AFTER_UPDATE,
                               UPDATE_ADDS_GRADIENT, crossed_update, fit_grads_of_mean,
                               grads_of_mean)


N_IGNORED = ("always 50 points: np.linspace(start, stop) makes 50 unless told otherwise; pass "
             "the count, np.linspace(-np.pi, np.pi, n)")
CUBE_AS_SQUARE = "the cubic term is d * x**2: it is d * x**3"
NO_ENDPOINT = ("the last point is missing: x must end at pi (np.linspace includes both ends; "
               "np.arange or endpoint=False do not)")
LOSS_MEAN = "this is the mean of the squared errors: the loss here is their sum"
LOSS_NOT_SQUARED = "this is the sum of the errors, not of their squares"
LOSS_ABSOLUTE = "this is the sum of absolute errors, not of squares"
LOSS_NORM = "this is the square root of the loss (a norm, not its square)"
# told only where a second input of another N shows the 1/2 too (also_on): not a mean
HALF_SSE = ("this is half the sum of squared errors, 0.5 * sum((y_pred - y)**2), on two inputs "
            "of different N: the 1/2 convention (it makes the derivative r instead of 2 r). "
            "The loss asked is the plain sum, np.sum((y_pred - y) ** 2), with no 1/2")
SUM_SQUARED = ("this is the square of the sum of the errors, np.sum(y_pred - y) ** 2: square "
               "each error first, then sum, np.sum((y_pred - y) ** 2)")


GRAD_SIGN = ("the sign is flipped: the gradients of sum((y_pred - y)**2) are "
             "built on 2 * (y_pred - y), not 2 * (y - y_pred)")


def loss_mistakes(y_pred, y) -> dict:
    """{hint: what poly_loss returns with that mistake} on these arrays. One input can give two
    of them alike (errors all of one sign: their sum is the sum of their absolute values): a
    check names one only where a second input shows it too (grader.checks.api.also_on)."""
    import numpy as np
    r = np.asarray(y_pred, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return {LOSS_MEAN: float((r ** 2).mean()), LOSS_NOT_SQUARED: float(r.sum()),
            LOSS_ABSOLUTE: float(np.abs(r).sum()), LOSS_NORM: float(np.sqrt((r ** 2).sum())),
            SUM_SQUARED: float(r.sum()) ** 2, HALF_SSE: float((r ** 2).sum()) / 2}
GLOBAL_RNG = ("the initial values come from the global np.random state: draw them with rng = "
              "np.random.default_rng(seed), rng.standard_normal() for a, b, c, d in turn")
GRADIENT_TWICE = "the gradients are twice too large (a factor 2 counted twice?)"
GRADIENT_HALF = "the gradients are half too small (the factor 2 of the square missing?)"
EVERY_LOSS = "every step's loss is recorded: keep only steps with t % 100 == 99"
LOSS_OF_STEP_0 = ("the loss of step 0 is recorded (t % 100 == 0): record the steps with "
                  "t % 100 == 99 (99, 199, ...), so a run of fewer than 100 steps records none")
DEFAULT_LR = 1e-6   # fit_numpy's default learning rate, the one a student may write in


def lr_written_in(lr: float) -> str:
    """A fit run at the default learning rate where `lr` was passed."""
    return (f"this is the run at lr={DEFAULT_LR:g}, the default, where lr={lr:g} is passed: "
            f"the update uses a number written in; use the lr argument, a -= lr * grad_a")


def default_lr_differs(lr: float, n: int) -> bool:
    """Whether a run at the default learning rate can be told from the run at `lr` and from the
    run whose gradients are divided by the n points (lr / n): where lr / n is the default, the
    two mistakes give the same run."""
    return all(abs(v - DEFAULT_LR) > 1e-9 * DEFAULT_LR for v in (lr, lr / n))
A_B_SWAPPED = ("a and b are swapped: a is the constant term, b multiplies x "
               "(a + b * x + c * x**2 + d * x**3)")


def with_term_powers(x, coefs, known: dict) -> dict:
    """The table's poly_forward mistakes, and beside them each term at another power and each
    two coefficients swapped (grader.engine.compare.mistakes.term_power_mistakes), where
    their values differ from the table's."""
    from grader.checks.api import term_power_mistakes
    return {**known, **term_power_mistakes(x, coefs, (0, 1, 2, 3), "abcd", known=known)}


def grad_powers(want, x, y, y_pred) -> dict:
    """poly_grads with one gradient at another power of x (grad_d computed with x**2 ...), or
    with the derivative in x of its power (grad_d with 3 x**2, the derivative of x**3)."""
    from grader.checks.api import grad_power_mistakes
    r = 2 * (np.asarray(y_pred, dtype=np.float64) - np.asarray(y, dtype=np.float64))
    out = grad_power_mistakes(want, x, 2 * (y_pred - y), (0, 1, 2, 3),
                              ("grad_a", "grad_b", "grad_c", "grad_d"))
    x = np.asarray(x, dtype=np.float64)
    for k, name in ((2, "grad_c"), (3, "grad_d")):
        value = float((r * k * x ** (k - 1)).sum())
        dx = f"{k} x**{k - 1}" if k > 2 else f"{k} x"
        if np.isclose(value, want[k], rtol=1e-9, atol=0):
            continue
        said = (f"{name} is the sum of 2 r · {dx}: {dx} is the derivative "
                f"of x**{k} with respect to x, where the gradient with respect to the "
                f"coefficient is wanted; that coefficient multiplies x**{k}, so {name} is the "
                f"sum of 2 r x**{k}")
        same = [h for h, v in out.items() if np.isclose(v[k], value, rtol=1e-9, atol=0)]
        for h in same:   # `x * 2` for `x ** 2` gives 2x too: both are said
            out[f"{h}; or {dx}, the derivative of x**{k} with respect to x, was "
                f"taken"] = out.pop(h)
        if not same:
            out[said] = tuple(value if i == k else v for i, v in enumerate(want))
    return out



ONE_RNG_EACH = ("a, b, c and d are the same number, the first draw of np.random.default_rng(seed): "
                "each was drawn from a generator of its own, made anew with the same seed. Make "
                "one rng = np.random.default_rng(seed) and draw a, b, c, d from it in turn")


def one_rng_each(seed: int) -> dict:
    """{ONE_RNG_EACH: fit_numpy's result for steps=0 with every coefficient drawn from its own
    default_rng(seed)}: four equal numbers and no losses."""
    import numpy as np
    v = float(np.random.default_rng(seed).standard_normal())
    return {ONE_RNG_EACH: ((v, v, v, v), [])}


def draw_order(order: str) -> str:
    """The coefficients drawn in another order: `order` names them as drawn, e.g. "d, c, b, a"."""
    return (f"the initial values are the reference's draws in another order: the coefficients "
            f"are drawn in the order {order}. Draw a, b, c, d in that order, a first "
            f"(a, b, c, d = (rng.standard_normal() for _ in range(4)))")


def drawn_in_order(want, got) -> dict:
    """{draw_order: fit_numpy's result for steps=0 with the same four draws given to the
    coefficients in another order}, for the order other than a, b, c, d that `got` (the
    student's result for steps=0) shows in all four values; `want`: the reference's
    ((a, b, c, d), [])."""
    from itertools import permutations

    import numpy as np
    try:
        shown = np.asarray(got[0], dtype=np.float64).ravel()
    except (TypeError, ValueError, IndexError):
        return {}
    draws, names = tuple(want[0]), "abcd"
    for perm in permutations(range(4)):   # perm[k]: the coefficient that takes the k-th draw
        values = [0.0] * 4
        for k, i in enumerate(perm):
            values[i] = draws[k]
        if perm != (0, 1, 2, 3) and shown.shape == (4,) \
                and np.allclose(shown, values, rtol=1e-6, atol=0) \
                and not np.allclose(values, draws, rtol=1e-6, atol=0):
            return {draw_order(", ".join(names[i] for i in perm)): (tuple(values), list(want[1]))}
    return {}


def regrad_after(regrad) -> str:
    """The gradients taken anew after the update of the coefficients numbered in `regrad`."""
    names = " and ".join("abcd"[i] for i in regrad)
    later = "abcd"[min(regrad) + 1:]
    return (f"the gradients are taken anew after {names} {'was' if len(regrad) == 1 else 'were'} "
            f"updated: {', '.join(later)} move by gradients of coefficients already changed "
            f"(a forward pass in the middle of the update). Compute all four gradients from "
            f"one forward pass, then update a, b, c, d")


# every set of coefficients after whose update the gradients may be taken anew (a, b or c)
REGRADS = [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]



def one_update_flipped(start, got, want, rtol=1e-7, atol=1e-10) -> str | None:
    """After one step from the reference's start `start` ((a, b, c, d)): where one coefficient
    of `got` moved by exactly the opposite of the reference's update and the other three are
    the reference's, the hint that says so (its update in its own numbers), else None."""
    try:
        s, g, w = (np.asarray([float(v) for v in r], dtype=np.float64)
                   for r in (start, got, want))
    except (TypeError, ValueError):
        return None
    if s.shape != (4,) or g.shape != (4,) or w.shape != (4,):
        return None
    wrong = [i for i in range(4) if not np.isclose(g[i], w[i], rtol=rtol, atol=atol)]
    if len(wrong) != 1:
        return None
    i = wrong[0]
    d, e = g[i] - s[i], w[i] - s[i]
    if e == 0 or abs(d + e) > 1e-6 * abs(e):
        return None
    n = "abcd"[i]
    return (f"{n}'s update in step 1 is {d:+.4g}, expected {e:+.4g}: the opposite sign, where "
            f"the other three coefficients' updates are right ({n} += lr * grad_{n}?). Every "
            f"coefficient moves against its gradient: {n} -= lr * grad_{n}")


DRAWS_CHANGE = ("the initial values change from call to call with the same seed: they do not come "
                "from the seed alone (np.random.default_rng() without the seed, the global "
                "np.random, or one rng kept between calls?). Make rng = "
                "np.random.default_rng(seed) inside the function, on every call")


GRAD_NAMES = ("grad_a", "grad_b", "grad_c", "grad_d")


def one_over_n(want, n: int) -> dict:
    """{hint: the gradients with one of them alone divided by the n points}: said as what the
    values show, that one value and its factor, which equals 1/N on this input (one input
    cannot tell whether the factor comes from N)."""
    out = {}
    for k, name in enumerate(GRAD_NAMES):
        value = list(want)
        value[k] = want[k] / n
        where = " (the first)" if k == 0 else " (the last)" if k == len(GRAD_NAMES) - 1 else ""
        out[f"only the value at index {k}{where}, {name}, is wrong: it is 1/{n} of the "
            f"expected one, and the input has N = {n} points"] = tuple(value)
    return out
