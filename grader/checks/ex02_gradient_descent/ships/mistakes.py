"""The mistakes of ex02 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. (A derivative off by a factor 2, by N or in sign is named by
grader.engine.compare.mistakes.scale_mistakes.)"""
from grader.checks.api import last_update_missing, same_values

NOT_SQUARED = "this is the mean error, not the mean squared error"
SQUARE_OF_MEAN = ("this is the square of the mean error, np.mean(x*w - y) ** 2: square each "
                  "error first, then take the mean, np.mean((x*w - y) ** 2)")
MEAN_ABSOLUTE = ("this is the mean absolute error, np.mean(np.abs(x*w - y)): square each error "
                 "instead, np.mean((x*w - y) ** 2)")
FLOOR_DIVIDED = ("this is the sum of the squared errors floor-divided by N (`//` rounds down to a "
                 "whole number): divide with `/`, or take np.mean((x*w - y) ** 2)")


def cost_mistakes(x, y, w) -> dict:
    """{hint: what cost returns with that mistake} on these inputs: the mean error, the square
    of the mean error, the sum of squares floor-divided by N, the mean absolute error. Each can hold by chance on one
    input (on the course data at w = 1, 14 // 3 = 4 = (-2) ** 2): a check names one only where
    a second input shows it too (grader.checks.evidence.also_on)."""
    import numpy as np
    e = np.asarray(x, dtype=np.float64) * w - np.asarray(y, dtype=np.float64)
    return {NOT_SQUARED: float(np.mean(e)), SQUARE_OF_MEAN: float(np.mean(e)) ** 2,
            FLOOR_DIVIDED: float(np.sum(e ** 2) // len(e)), MEAN_ABSOLUTE: float(np.mean(np.abs(e)))}


IN_FLOAT32 = ("this is the {what} computed in float32 (relative error {err:.1g}): the float32 "
              "tensors' values are exact, but float32 arithmetic rounds x * w. The {what} is "
              "asked computed in float64 whatever the inputs' dtype: convert them first "
              "(np.asarray(xs, dtype=np.float64), or .to(torch.float64))")
_FORMULAS = {"cost": lambda x, y, w: ((x * w - y) ** 2).mean(),
             "gradient": lambda x, y, w: (2 * x * (x * w - y)).mean()}


def in_float32(what, got, x, y, w) -> dict:
    """{IN_FLOAT32: got} where x and y are float32 tensors and `got` is, to a few float32
    roundings (3e-7 relative, and ten times closer than the float64 value is), the `what`
    ("cost" or "gradient") computed in float32, and not the float64 one (to 1e-9): what a
    function that keeps float32 tensors in float32 returns. {} otherwise (a value rounded to
    decimals is as near the float32 one only where float32 is as near the float64 one)."""
    import torch
    if not (isinstance(x, torch.Tensor) and x.dtype == torch.float32) \
            or isinstance(got, bool) or not isinstance(got, (int, float)):
        return {}
    x, y, f = x.detach().cpu(), y.detach().cpu(), _FORMULAS[what]
    low, exact = float(f(x, y, w)), float(f(x.double(), y.double(), w))
    off = abs(got - low)
    if off > 3e-7 * abs(low) or off > 0.1 * abs(low - exact) \
            or abs(got - exact) <= 1e-9 * abs(exact):
        return {}
    return {IN_FLOAT32.format(what=what, err=abs(got - exact) / abs(exact)): got}


NO_INNER_X = ("the chain rule's inner factor x is missing: d/dw (x*w - y)**2 = 2*x*(x*w - y), "
              "then the mean over the samples")
PRODUCT_OF_MEANS = ("this is 2 * mean(x) * mean(x*w - y), a product of two means: the mean of a "
                    "product is not the product of the means; take the mean of the products, "
                    "np.mean(2 * x * (x*w - y))")


def product_of_means(x, y, w) -> dict:
    """{PRODUCT_OF_MEANS: 2 mean(x) mean(x w - y)}; named where a second input shows it too
    (grader.checks.api.also_on): one value can equal it by chance."""
    import numpy as np
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return {PRODUCT_OF_MEANS: float(2 * np.mean(x) * np.mean(x * w - y))}


OVER_N_MINUS_1 = ("divided by N - 1 where the mean divides by N: the gradient is N / (N - 1) "
                  "times the expected on two inputs of different sizes (the sample variance's "
                  "habit); the cost is a mean, so its gradient is mean(2*x*(x*w - y)), a sum "
                  "over N")


def over_n_minus_1(x, y, w) -> dict:
    """{OVER_N_MINUS_1: the gradient's sum divided by N - 1}; named where a second input, of
    another N, shows it too (grader.checks.api.also_on)."""
    import numpy as np
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return {OVER_N_MINUS_1: float(np.sum(2 * x * (x * w - y)) / (len(x) - 1))} if len(x) > 1 \
        else {}


IN_X = ("this is 2*w*(x*w - y), the derivative with respect to x: sample_gradient differentiates "
        "with respect to w, d/dw (x*w - y)**2 = 2*x*(x*w - y)")
NO_X = ("this is 2*(x*w - y): the factor x is missing. The chain rule multiplies by the inner "
        "derivative, d(x*w)/dw = x: d/dw (x*w - y)**2 = 2*x*(x*w - y)")


def no_x(x, y, w) -> dict:
    """{NO_X: 2*(x*w - y)} where x is not 0 or ±1 (there the factor x changes nothing, or only
    the sign, which the flipped sign names)."""
    return {NO_X: 2 * (x * w - y)} if x not in (0, 1, -1) else {}


PARENTHESES = ("this is {form}, not 2*x*(x*w - y): the parentheses around x*w - y are lost, "
               "so only part of the error is multiplied by 2*x (* binds before -). Multiply "
               "the whole error: 2 * x * (x * w - y)")


def parentheses_lost(x, y, w) -> dict:
    """{PARENTHESES: the value} for each way of writing 2*x*(x*w - y) with its parentheses lost
    or moved; named only where a second input shows the same form (also_on)."""
    forms = {"2*x*x*w - y": 2 * x * x * w - y, "2*x*x*w - x*y": 2 * x * x * w - x * y,
             "2*x*x*w - 2*y": 2 * x * x * w - 2 * y, "2*x*x*(w - y)": 2 * x * x * (w - y)}
    return {PARENTHESES.format(form=f): v for f, v in forms.items()}


GD_HALF = ("the weights follow a gradient half as big as the true one: is the factor 2 from "
           "differentiating the square missing?")
GD_UPHILL = ("the weights move uphill: the update must subtract lr * gradient (or the gradient's "
             "sign is flipped).")
COST_AFTER_UPDATE = ("each cost is recorded after the update; costs[k] is the cost just before "
                     "update k (the first one is the cost at w0).")
SGD_HALF = ("each sample's gradient is half the true one: is the factor 2 from differentiating "
            "the square missing?")
SGD_UPHILL = ("the weights move uphill: the update must subtract lr * sample_gradient (or the "
              "gradient's sign is flipped).")
SGD_LOSS_BEFORE_UPDATE = ("the recorded loss is computed before the update; the course's loop "
                          "(and the contract) computes it after updating w.")
SGD_EPOCH_MEAN = ("each epoch records the mean of its samples' losses: losses[k] is the last "
                  "sample's loss in epoch k, computed after its update (the l the course's loop "
                  "prints), not an average over the epoch.")
SGD_EPOCH_MEAN_BEFORE = ("each epoch records the mean of its samples' losses, each computed "
                         "before its update: losses[k] is only the last sample's loss in epoch "
                         "k, computed after its update (the l the course's loop prints).")
SGD_FIRST_SAMPLE = ("each epoch records its first sample's loss: losses[k] is the last "
                    "sample's loss in epoch k, computed after its update (the l the course's "
                    "loop prints), the value left after the loop over the samples.")
SGD_REVERSED = ("these are the values of a run that visits the samples in reverse order, the last "
                "one first: visit them in the order given, xs[0] first")
SGD_BATCH_GRADIENT = ("every update uses the mean gradient over all samples: in stochastic "
                      "gradient descent each update uses one sample's gradient.")
SGD_STALE_W = ("each sample's gradient is taken at the w the epoch started from: all of them "
               "are computed before the epoch's first update, then applied. In stochastic "
               "gradient descent each sample's gradient is taken at the current w, just after "
               "the previous sample's update")
GD_AT_W0 = ("w moves by the same step in every epoch: the gradient is taken at w0 each time, "
            "gradient(xs, ys, w0) where the current w is meant; each update is "
            "w = w - lr * gradient(xs, ys, w)")
GD_PER_SAMPLE = ("w is updated once per sample, with that sample's gradient (stochastic gradient "
                 "descent): gradient_descent makes one update per epoch, with the gradient over "
                 "all the samples, w = w - lr * gradient(xs, ys, w).")
_FULL_BATCH = ("each epoch makes one update, with the mean gradient over all the samples "
               "(full-batch gradient descent): stochastic gradient descent updates w once per "
               "sample, w = w - lr * sample_gradient(x, y, w), in order")
# {what such a loop records: its hint}, for the records students write with a full-batch update
SGD_FULL_BATCH = {
    "last": _FULL_BATCH + ".",
    "cost_after": _FULL_BATCH + " (and each epoch records the cost over all the samples).",
    "cost_before": _FULL_BATCH + " (and each epoch records the cost over all the samples, "
                   "before the update: this is gradient_descent's loop).",
}


def cost_sum(n: int) -> str:
    """The cost summed over the n samples instead of averaged."""
    return f"this is {n} times the cost: a sum where the mean is wanted."


def gd_sum(n: int) -> str:
    """gradient_descent stepping along the gradient summed over the n samples."""
    return (f"the weights follow a gradient {n} times too big: a sum over the samples where the "
            f"mean is wanted (divide by N = {n}).")


def gd_over_n_twice(n: int, n2: int) -> str:
    """gradient_descent whose every update is 1/N of the right one on two sizes n, n2."""
    return (f"every update is 1/N of the expected one, on N = {n} samples and on N = {n2}: the "
            f"mean's division by N is made twice (the gradient is already the mean; no "
            f"/ len(xs) in the update).")


def same_run(got, want) -> bool:
    """Whether the run (w, costs) `got` is the run `want`, as closely as a mistake is matched."""
    try:
        w, costs = got
        return (len(costs) == len(want[1]) and same_values(float(w), float(want[0]))
                and same_values([float(c) for c in costs], [float(c) for c in want[1]]))
    except (TypeError, ValueError):
        return False


def per_sample_records(epochs: int, n: int, what: str) -> dict:
    """{count: hint} for a list with one record per sample (epochs * n) where one per epoch is
    asked."""
    return {epochs * n: f"one {what} per sample ({epochs} epochs x {n} samples): record one per "
                        f"epoch, {epochs} in all"} if n > 1 and epochs > 1 else {}


# what a run's step-by-step comparison (grader.engine.compare.trajectories.located) concludes
# where w matches after every epoch, and what the course data let it conclude
_NOT_THE_TRAINING = "what is recorded (or when), not the training"
_OR_THE_ORDER = ("what is recorded (or when), or the order the samples are visited in: on the "
                 "course data (y = 2x) every order gives the same w after an epoch")


def order_unseen(exc):
    """The failure `exc` of a run on the course data, where the order of the samples does not
    change w after an epoch: a w that matches there does not clear the order."""
    from grader.checks.api import CheckFailure
    return CheckFailure(str(exc).replace(_NOT_THE_TRAINING, _OR_THE_ORDER),
                        [h.replace(_NOT_THE_TRAINING, _OR_THE_ORDER) for h in exc.hints])


def costs_kept(first, second) -> str | None:
    """The hint for a list of costs that outlives the call (two calls with the same arguments:
    the second's costs begin with all of the first's and go on), else None."""
    try:
        a, b = list(first[1]), list(second[1])
    except (TypeError, IndexError, KeyError):
        return None
    if not a or len(b) <= len(a) or b[:len(a)] != a:
        return None
    return ("the costs of an earlier call are still in the list: it outlives the call, as a "
            "default argument costs=[] does (Python makes that list once, when the function is "
            "defined) or a list made outside the function. Make a new list in every call: "
            "costs = [] inside the function")


# sample_gradient at r = x*w - y of each sign: (4, 1, 3), r = 11, gives 88; (1, 2, 1), r = -1,
# gives -2
SIGN_SAMPLES = (((4.0, 1.0, 3.0), 88.0), ((1.0, 2.0, 1.0), -2.0))
SIGN_OF_R_LOST = ("sample_gradient loses the sign of r = x*w - y: sample_gradient(4, 1, 3) "
                  "(r = 11) is 88 as expected, and sample_gradient(1, 2, 1) (r = -1) is +2 "
                  "where 2*x*(x*w - y) is -2 (abs(x*w - y)?). Keep r's own sign")


def sign_of_r_lost(call) -> bool:
    """Whether sample_gradient, run by `call(x, y, w)`, is right at r > 0 and the expected
    value negated at r < 0 (SIGN_SAMPLES): two calls, made only where a check failed."""
    try:
        got = [float(call(*args)) for args, _ in SIGN_SAMPLES]
    except Exception:  # noqa: BLE001 - a call that fails, or no number, is no evidence
        return False
    (_, right), (_, neg) = SIGN_SAMPLES
    return abs(got[0] - right) <= 1e-6 * abs(right) and abs(got[1] + neg) <= 1e-6 * abs(neg)


def naming_sign_lost(mistakes: dict, call, keys) -> dict:
    """`mistakes` with the hints in `keys` (a gradient of the opposite sign, weights moving
    uphill) said as SIGN_OF_R_LOST where sample_gradient shows it (sign_of_r_lost): on data
    whose r has one sign, a sign lost and a sign flipped give the same run."""
    if not any(k in mistakes for k in keys) or not sign_of_r_lost(call):
        return mistakes
    return {(SIGN_OF_R_LOST if k in keys else k): v for k, v in mistakes.items()}



SGD_SKIPPED = ("each epoch's updates are those of sample{s} {used} only: sample {skipped} "
               "(x = {x:g}) is never used (read from the losses, epoch by epoch, from w0). "
               "Visit every sample in each epoch, xs[0] included")
SGD_OTHER_ORDER = ("each epoch updates on every sample once, but the losses show epoch{s} {which} "
                   "ending with another sample than the last, x = {x:g} ({ends}): the samples "
                   "are visited in another order{varies}. Visit them in the order given, xs[0] "
                   "first, every epoch{course}")


def _sgd_epoch(x, y, w, lr, order):
    """w after updates on the samples of `order`, and the last one's loss after its update."""
    loss = None
    for i in order:
        w = w - lr * 2 * x[i] * (x[i] * w - y[i])
        loss = (x[i] * w - y[i]) ** 2
    return w, loss


def sgd_sample_order(xs, ys, w0, lr, got) -> dict:
    """{hint: the run replayed} where the run `got` ((w, losses) of stochastic gradient descent)
    is explained epoch by epoch, from w0, by per-sample updates on distinct samples, each
    epoch's loss the last one's after its update, with one w after each epoch: a sample never
    used (the same one every epoch), or every sample once in another order (the last sample
    told apart). {} where some epoch is explained by none, or by updates that disagree."""
    import itertools
    import numpy as np
    x, y = [float(v) for v in xs], [float(v) for v in ys]
    n = len(x)
    try:
        losses = [float(v) for v in got[1]]
    except (TypeError, IndexError, ValueError):
        return {}
    if n > 6 or not losses:
        return {}
    orders = [o for k in range(max(1, n - 2), n + 1)
              for o in itertools.permutations(range(n), k)]
    w, used, last = float(w0), set(), []
    for loss in losses:
        fits = [(o, *_sgd_epoch(x, y, w, lr, o)) for o in orders]
        fits = [f for f in fits if np.isclose(f[2], loss, rtol=1e-9, atol=1e-12)]
        if not fits or np.ptp([f[1] for f in fits]) > 1e-12 * max(1.0, abs(fits[0][1])) \
                or len({frozenset(f[0]) for f in fits}) > 1 or len({f[0][-1] for f in fits}) > 1:
            return {}
        used.add(frozenset(fits[0][0]))
        last.append(fits[0][0][-1])
        w = fits[0][1]
    replay = (w, losses)
    if len(used) != 1:
        return {}
    (samples,) = used
    if len(samples) < n:
        skipped = sorted(set(range(n)) - samples)
        if len(skipped) != 1:
            return {}
        kept = sorted(samples)
        return {SGD_SKIPPED.format(s="s" * (len(kept) > 1), used=", ".join(str(i + 1) for i in kept),
                                   skipped=skipped[0] + 1, x=x[skipped[0]]): replay}
    off = [k for k, i in enumerate(last) if i != n - 1]
    if not off:
        return {}
    which = ", ".join(str(k + 1) for k in off[:4]) + (", ..." if len(off) > 4 else "")
    ends = ", ".join(f"epoch {k + 1} with x = {x[last[k]]:g}" for k in off[:3])
    course = np.allclose(np.asarray(y), 2 * np.asarray(x))
    return {SGD_OTHER_ORDER.format(
        s="s" * (len(off) > 1), which=which, x=x[n - 1], ends=ends,
        varies=" that changes from epoch to epoch" if len(set(last)) > 1 else "",
        course=(" (on the course data, y = 2x, every order gives the same w, so only the "
                "last sample of each epoch shows)") if course else ""): replay}


GD_ONE_UPDATE_MORE = ("every cost is right, but the final w is the reference run's after 101 "
                      "updates, where 100 are asked: one update too many (an update after the "
                      "loop, or a loop of epochs + 1 updates)")

