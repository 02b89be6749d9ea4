"""The mistakes of ex04 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. (A gradient off by a factor 2, by N or in sign is named by
grader.engine.compare.mistakes.scale_mistakes.)"""
from grader.checks.api import (input_offsets, never_moved_hint, rebound_parameter, same_values,
                               scale_mistakes)

NO_ZERO = ("the gradients are never zeroed, so each backward() adds this sample's gradient to "
           "those of all earlier samples: zero them after each update (w.grad.zero_()).")
QUADRATIC_NAMES = ("w1", "w2", "b")


def not_zeroed(name: str) -> str:
    """One parameter's gradient never zeroed while the others' are."""
    return (f"{name}.grad is never zeroed, while the other gradients are: each backward() adds "
            f"to it, so {name} moves by the sum of all its gradients so far. Zero every "
            f"parameter's gradient after its update ({name}.grad.zero_()).")


UPHILL = "the parameters move uphill: the update must subtract lr * grad (w -= lr * w.grad)."
LOSS_AFTER = ("each loss is recorded after the update: losses[k] is the last sample's loss "
              "computed before its update in epoch k.")


def only_zeroed(name: str) -> str:
    """Only one parameter's gradient zeroed, the others' never."""
    others = " and ".join(f"{n}.grad" for n in QUADRATIC_NAMES if n != name)
    return (f"only {name}.grad is zeroed: {others} are never zeroed, so each backward() adds to "
            f"them and those parameters move by the sum of all their gradients so far. Zero "
            f"every parameter's gradient after its update (w1.grad.zero_(), w2.grad.zero_(), "
            f"b.grad.zero_()).")


ZERO_PER_EPOCH = ("the gradients are zeroed once per epoch, not after each sample's update: "
                  "within an epoch each backward() adds to the gradients of the samples before "
                  "it. Zero them right after each update, inside the loop over the samples.")
ZERO_BEFORE_UPDATE = ("the parameters never move: every update subtracts lr * 0. Are the "
                      "gradients zeroed between backward() and the update (zero them after the "
                      "update), or is the update itself missing?")


def returns_start(trained: str, given: str) -> str:
    """The run whose every loss is the reference's, returned with the initial parameters."""
    return (f"every recorded loss is the reference's, so the training itself is right, but the "
            f"values returned are the initial ones: the trained values are not what it "
            f"returns. Return the trained tensors' values ({trained} after the loop), not the "
            f"arguments {given} it was given")


def start_returned(want, start) -> dict:
    """{returns_start: the reference's run `want` (finals..., losses) with the finals replaced
    by the initial values `start`}."""
    if len(start) == 3:
        hint = returns_start("w1.item(), w2.item(), b.item()", "w1, w2, b")
    else:
        hint = returns_start("w.item()", "w0")
    return {hint: (*start, want[-1])}


GRAD_OVER_N = ("each update is 1/N of the reference's: the sample's gradient (or lr) is divided "
               "by N, the number of samples. Per-sample gradient descent steps by the sample's "
               "own gradient, p -= lr * p.grad; the 1/N belongs to the mean over a batch, not "
               "to one sample's loss")


def epoch_losses(how: str) -> str:
    """losses[k] recorded as the sum or the mean of epoch k's sample losses."""
    return (f"each epoch records the {how} of its samples' losses: losses[k] is the last "
            f"sample's loss of epoch k (the l its backward() used), l.item() after the loop "
            f"over the samples, not a running {'total' if how == 'sum' else 'average'}")


LOSS_FIRST = ("each epoch records its first sample's loss: losses[k] is the last sample's loss "
              "of epoch k (the l its backward() used), the value left after the loop over the "
              "samples, not the one kept from the first pass through it")


LAST_UPDATE_MISSING = ("every recorded loss is right, and the final parameters are the reference "
                       "run's before its very last update (the last sample of the last epoch): "
                       "that update is missing, or the parameters were read before it; return "
                       "them after the loop")


def variant_hints(quadratic: bool) -> dict:
    """{name of a known wrong run of train_autograd (quadratic=False) or train_quadratic: its
    hint}; the runs themselves come from trusted code (private/variants.py)."""
    named = {"no_zero": NO_ZERO, "loss_after": LOSS_AFTER, "zero_epoch": ZERO_PER_EPOCH,
             "zero_before": ZERO_BEFORE_UPDATE, "loss_sum": epoch_losses("sum"),
             "loss_mean": epoch_losses("mean"), "loss_first": LOSS_FIRST, "over_n": GRAD_OVER_N,
             "last_skipped": LAST_UPDATE_MISSING}
    if quadratic:   # a loop over (w1, w2, b) that rebinds its name updates nothing, silently
        named["zero_before"] = never_moved_hint("parameters", "p")
        named.update({f"kept_{i}": not_zeroed(n) for i, n in enumerate(QUADRATIC_NAMES)})
        named.update({f"only_{i}": only_zeroed(n) for i, n in enumerate(QUADRATIC_NAMES)})
        named.update({f"frozen_{i}": never_updated(n) for i, n in enumerate(QUADRATIC_NAMES)})
    return named


def never_updated(name: str) -> str:
    """A parameter of train_quadratic that keeps its initial value: its update is missing."""
    return (f"{name} is never updated: the run is the one where {name} keeps its initial value "
            f"while the others learn; update every parameter ({name} -= lr * {name}.grad)")


W_SWAPPED = "w1 and w2 are swapped: w1 multiplies x**2, w2 multiplies x"
TIMES_2 = ("this is w1 * x * 2 + w2 * x + b: `x * 2` doubles x where `x ** 2` squares it; the "
           "model is w1 * x ** 2 + w2 * x + b")
GRAD_TIMES_2 = ("dL/dw1 is 2 r * x * 2 here: `x * 2` doubles x where `x ** 2` squares it; "
                "dL/dw1 = 2 r x ** 2")


def _differ_twice(a, b) -> bool:
    """Whether a and b differ at two entries or more (two samples that show a mistake)."""
    import torch
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return int((~torch.isclose(a.cpu(), b.cpu(), rtol=1e-4, atol=1e-6)).sum()) >= 2


def times_two(x, w1, w2, b) -> dict:
    """{TIMES_2: w1 x 2 + w2 x + b}, where it differs from the model at two samples or more
    (x * 2 is x ** 2 at x = 0 and x = 2)."""
    wrong = w1 * x * 2 + w2 * x + b
    return {TIMES_2: wrong} if _differ_twice(wrong, w1 * x ** 2 + w2 * x + b) else {}
TRAIN_REBOUND = rebound_parameter("w")      # train_autograd's update rebinds w
QUADRATIC_REBOUND = rebound_parameter("w1")  # train_quadratic's update rebinds a parameter
DR_DYHAT_SIGN = "dr_dyhat is +1: r = y_hat - y grows one for one with y_hat"
DB_WITH_DYHAT_DW = ("dloss_db is dloss_dr * dr_dyhat * dyhat_dw: the bias's chain ends in its own "
                    "local derivative, dloss_db = dloss_dr * dr_dyhat * dyhat_db (dyhat_db = 1, "
                    "where dyhat_dw = x).")
DB_TIMES_X = "dL/db is 2 r (d y_hat / d b = 1): the bias's gradient has no factor x"


def product_sign(name: str, local: str) -> str:
    """A chain-rule product whose sign alone is flipped: its factors are right (a mistake
    named only where the result shows them right)."""
    return (f"the sign is flipped in {name} alone: its factors dloss_dr, dr_dyhat and {local} "
            f"are right, and {name} is their product, dloss_dr * dr_dyhat * {local}.")


def steps_mistakes(want, x, w):
    """Wrong dicts of backward_steps: r the other way round, dyhat_dw = w, factor 2, ..."""
    r = want["r"]
    return {
        "r is y - y_hat, which flips the sign of dloss_dw: the contract (and the course) uses "
        "r = y_hat - y.": {"r": -r, "dloss_dr": -2 * r},
        "dyhat_dw is the derivative of y_hat = x * w with respect to w, which is x (not w).":
            {"dyhat_dw": w, "dloss_dw": 2 * r * w},
        **{k: {"dloss_dr": v[0], "dloss_dw": v[1]} for k, v in
           scale_mistakes((want["dloss_dr"], want["dloss_dw"])).items()},
        DR_DYHAT_SIGN: {"dr_dyhat": -1.0, "dloss_dw": -want["dloss_dw"]},
        product_sign("dloss_dw", "dyhat_dw"): {"dloss_dw": -want["dloss_dw"]},
    }


def steps_closed(x, y, w, b=None) -> dict:
    """backward_steps(x, y, w), or affine_backward_steps(x, y, w, b), by their formulas."""
    r = x * w + (b or 0.0) - y
    out = {"y_hat": x * w + (b or 0.0), "r": r, "loss": r ** 2, "dloss_dr": 2 * r,
           "dr_dyhat": 1.0, "dyhat_dw": x, "dloss_dw": 2 * r * x}
    if b is not None:
        out.update(dyhat_db=1.0, dloss_db=2 * r)
    return out


def sign_flips_shown(named: dict, want: dict, second) -> dict:
    """`named` ({hint: the keys its mistake changes}) less the pure sign flips (every key
    given is the expected value negated) that `second`, (the answer on another input, the
    expected answer there, that input in words), does not show flipped too. One input's error r
    has one sign: it cannot tell a flipped sign from 2 * |r|; `second`'s r has the other sign.
    Where `second` is right on those keys instead, the sign of r is said to be lost."""
    def flipped(value, expect):
        return all(k in expect and expect[k] != 0 and same_values(v, -expect[k])
                   for k, v in value.items())
    got2, want2, where = second if second is not None else (None, None, "")
    out = {}
    for h, v in named.items():
        if not flipped(v, want):
            out[h] = v
        elif isinstance(got2, dict) and flipped({k: got2.get(k) for k in v}, want2):
            out[h] = v
        elif (isinstance(got2, dict) and want["r"] * want2["r"] < 0
              and all(same_values(got2.get(k), want2[k]) for k in v)):
            out[SIGN_LOST.format(keys=", ".join(v), where=where, r2=want2["r"],
                                 r=want["r"])] = v
    return out


SIGN_LOST = ("{keys}: right where r = y_hat - y is {r2:g} ({where}) and of the opposite sign "
             "here, where r = {r:g}: the sign of r is lost on the way (abs(r)?). "
             "dloss_dr = 2 * r, with r's own sign")

def affine_steps_mistakes(want, x, w, y=None, b=None):
    """Wrong dicts of affine_backward_steps: the mistakes of backward_steps (r the other way
    round, factor 2, sign), the bias's local derivative taken as x, and, where the inputs are
    given, y_hat or r off by exactly an input's value (b left out of y_hat)."""
    r = want["r"]
    inputs = {"x": x, "y": y, "w": w, "b": b} if y is not None and b is not None else {}
    return {
        **input_offsets(want, ("y_hat", "r"), inputs),
        **steps_mistakes(want, x, w),
        "dyhat_db is the derivative of y_hat = x * w + b with respect to b, which is 1 (not x): "
        "the bias's gradient is dloss_dr * 1, not dloss_dr * x.":
            {"dyhat_db": x, "dloss_db": 2 * r * x},
        DB_WITH_DYHAT_DW: {"dloss_db": 2 * r * x},
        product_sign("dloss_db", "dyhat_db"): {"dloss_db": -want["dloss_db"]},
        **{k: {"dloss_dr": v[0], "dloss_dw": v[1], "dloss_db": v[2]} for k, v in
           scale_mistakes((want["dloss_dr"], want["dloss_dw"], want["dloss_db"])).items()},
    }


GRADS_SUMMED = ("the gradients are summed over the samples: quadratic_grads gives one gradient "
                "per sample, each of shape (N,) like x (2 r x**2, 2 r x, 2 r elementwise); leave "
                "out the .sum()")
GRADS_AVERAGED = ("the gradients are averaged over the samples: quadratic_grads gives one "
                  "gradient per sample, each of shape (N,) like x (2 r x**2, 2 r x, 2 r "
                  "elementwise); leave out the .mean()")


def grads_mistakes(want):
    """Wrong triples of quadratic_grads: a scale error, or x and x**2 swapped."""
    g1, g2, gb = want
    reduced = {}
    if all(hasattr(g, "dim") and g.dim() == 1 and len(g) > 1 for g in want):
        # one gradient per sample is asked: the loss's sum over the samples is not here
        reduced = {GRADS_SUMMED: tuple(g.sum() for g in want),
                   GRADS_AVERAGED: tuple(g.mean() for g in want)}
    doubled = {GRAD_TIMES_2: (2 * g2, g2, gb)} if _differ_twice(2 * g2, g1) else {}
    return {**scale_mistakes(want), **reduced, **doubled,
            "dL/dw1 and dL/dw2 are swapped: w1 multiplies x**2, so dL/dw1 = 2 r x**2.":
                (g2, g1, gb),
            DB_TIMES_X: (g1, g2, g2),
            # one gradient at another power of x: 2 r, 2 r x and 2 r x**2 are gb, g2 and g1
            power_hint("dL/dw1", 1, 2): (g2, g2, gb), power_hint("dL/dw1", 0, 2): (gb, g2, gb),
            power_hint("dL/dw2", 2, 1): (g1, g1, gb), power_hint("dL/dw2", 0, 1): (g1, gb, gb),
            power_hint("dL/db", 2, 0): (g1, g2, g1)}


def power_hint(name: str, used: int, wanted: int) -> str:
    """One of quadratic_grads' gradients at another power of x."""
    term = {2: "w1 * x**2", 1: "w2 * x", 0: "b"}[wanted]
    return (f"{name} uses x**{used} where x**{wanted} is wanted: its term is {term}, so "
            f"{name} = 2 r x**{wanted}" + (" = 2 r" if wanted == 0 else ""))
