"""The mistakes of ex01 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike."""

from grader.checks.api import also_on, same_values

NOT_SQUARED = "this is the error x*w - y, not its square"
REVERSED_NOT_SQUARED = "this is the error the other way round, y - x*w, not its square"
DOUBLED = ("this is 2 * (x*w - y), twice the error, not its square: the square is "
           "(x*w - y) ** 2 (`* 2` doubles, `** 2` squares)")


# loss fails on a tensor that requires grad and is right on the same values without it
LEAVES_TORCH = ("loss is right on a tensor that does not require grad and fails on the same "
                "tensor when it requires grad: something in loss leaves torch, as a NumPy "
                "function of a tensor (np.square, np.power) or .numpy() does, or changes x in "
                "place. Keep torch's operations on a tensor: (forward(x, w) - y) ** 2 works for "
                "floats, arrays and tensors alike")

def loss_mistakes(x, y, w) -> dict:
    """{hint: what loss returns with that mistake}: the error, twice the error, the absolute
    error. On errors all of one sign (the course data at w = 1: -1, -2, -3) y - x*w is the
    absolute error too: a check names one only where a second input, of errors of both signs,
    shows it as well (grader.checks.api.also_on)."""
    import numpy as np
    e = np.asarray(x, dtype=np.float64) * w - np.asarray(y, dtype=np.float64)
    return {NOT_SQUARED: e, REVERSED_NOT_SQUARED: -e, DOUBLED: 2 * e, ABSOLUTE: np.abs(e)}


MEAN_NOT_PER_SAMPLE = "this is the mean, not the per-sample squared errors"
BIAS_SUBTRACTED = "the bias is subtracted instead of added"
SURFACE_TRANSPOSED = ("rows and columns are swapped: the result's shape is (len(bs), len(ws)), "
                      "entry [i, j] for b = bs[i], w = ws[j] (np.meshgrid(ws, bs) gives that "
                      "orientation)")
LAST_ON_TIE = "this is the last of the tied weights: keep the first (np.argmin does)"
ABSOLUTE = "this is the absolute error |x*w - y|: square it, (x*w - y) ** 2"
MEAN_ABSOLUTE = ("this is the mean absolute error, the mean of |x*w - y|, for each weight: square "
                 "each error first, the mean of (x*w - y) ** 2")
INDEX_NOT_WEIGHT = ("this is the position of the best weight in the list (np.argmin's index): "
                    "return the weight itself, weights[index]")
BIAS_SCALED = "(x + b) * w multiplies the bias by w too: the model is x * w + b"
WB_SWAPPED = ("w and b play each other's part: entry [i, j] is the MSE of x * b + w (b = bs[i], "
              "w = ws[j]); are they swapped in the call? forward_wb(x, w, b) takes w first")


def wb_swapped(x, y, ws, bs) -> dict:
    """{WB_SWAPPED: the surface of x * b + w} (the grid of x * w + b with the roles of w and b
    exchanged)."""
    import numpy as np
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.asarray([float(v) for v in ws], dtype=np.float64)
    b = np.asarray([float(v) for v in bs], dtype=np.float64)
    pred = xs[None, None, :] * b[:, None, None] + w[None, :, None]
    return {WB_SWAPPED: ((pred - ys[None, None, :]) ** 2).mean(axis=2)}


SURFACE_SQUARE_OF_MEAN = ("each entry is the square of the mean error, np.mean(pred - y) ** 2: "
                          "square each error first, then take the mean, "
                          "np.mean((pred - y) ** 2)")


def surface_square_of_mean(x, y, ws, bs) -> dict:
    """{SURFACE_SQUARE_OF_MEAN: the grid of squared mean errors}, where it differs from the MSE
    at two entries of the grid or more (two (w, b) pairs that show it; where the errors of a pair
    are all equal the two agree)."""
    import numpy as np
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.asarray([float(v) for v in ws], dtype=np.float64)
    b = np.asarray([float(v) for v in bs], dtype=np.float64)
    err = xs[None, None, :] * w[None, :, None] + b[:, None, None] - ys[None, None, :]
    wrong, right = err.mean(axis=2) ** 2, (err ** 2).mean(axis=2)
    differ = ~np.isclose(wrong, right, rtol=1e-4, atol=1e-6)
    return {SURFACE_SQUARE_OF_MEAN: wrong} if differ.sum() >= 2 else {}


def surface_variance(x, y, ws, bs) -> dict:
    """{SURFACE_VARIANCE: the grid of the errors' variances (the MSE less the squared mean
    error)}, where it differs from the MSE at two entries of the grid or more."""
    import numpy as np
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.asarray([float(v) for v in ws], dtype=np.float64)
    b = np.asarray([float(v) for v in bs], dtype=np.float64)
    err = xs[None, None, :] * w[None, :, None] + b[:, None, None] - ys[None, None, :]
    variance, right = err.var(axis=2), (err ** 2).mean(axis=2)
    differ = ~np.isclose(variance, right, rtol=1e-4, atol=1e-6)
    return {SURFACE_VARIANCE: variance} if differ.sum() >= 2 else {}


SURFACE_VARIANCE = ("this is the variance of the errors (np.var or .var() of y_pred - y), which "
                    "takes their mean off before squaring: the MSE is the mean of the squared "
                    "errors themselves, ((y_pred - y) ** 2).mean()")


WORST_WEIGHT = ("this is the weight with the largest MSE, the worst of the list{also}: argmax "
                "where argmin is wanted (or max for min)?")
LEAST_MSE = ("this is the least MSE itself, not the weight that gives it: return "
             "weights[np.argmin(mse)], the weight at the minimum's position")


def _mse(x, y, weights):
    import numpy as np
    w = np.asarray([float(v) for v in weights], dtype=np.float64)
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return w, ((xs[None, :] * w[:, None] - ys[None, :]) ** 2).mean(axis=1)


def worst_weight(x, y, weights, like=None) -> dict:
    """{WORST_WEIGHT: the first weight of largest MSE}, saying where it is also the first or
    the last of the list; {} where every weight is as good (nothing to tell). `like`: the
    (x, y, weights) whose wording to use (a second input's values under the first's hint)."""
    import numpy as np
    w, mse = _mse(x, y, weights)
    if np.ptp(mse) == 0:
        return {}
    k = int(np.argmax(mse))
    if like is not None:
        wl, msel = _mse(*like)
        kl, last = int(np.argmax(msel)), len(wl) - 1
    else:
        kl, last = k, len(w) - 1
    # at an end of the list the value is also what weights[0] or weights[-1] gives: said
    also = " (here also the first of the list)" if kl == 0 else \
        " (here also the last of the list)" if kl == last else ""
    return {WORST_WEIGHT.format(also=also): float(w[k])}


def best_weight_mistakes(x, y, weights, like=None) -> dict:
    """{hint: what best_weight returns with that mistake}: the position of the best weight, the
    worst weight, the least MSE. Each holds by chance on one input (on the course data the
    least MSE, 0.0, is also the worst weight): a check names one only where a second input
    shows it too (grader.checks.evidence.also_on), `like` being the first input there."""
    import numpy as np
    w, mse = _mse(x, y, weights)
    k = int(np.argmin(mse))
    return {INDEX_NOT_WEIGHT: float(k), LEAST_MSE: float(mse[k]),
            **worst_weight(x, y, weights, like=like)}


def sum_not_mean(n: int) -> str:
    """The MSE summed over the n samples instead of averaged."""
    return f"this is {n} times the MSE: a sum where the mean is wanted."
BIAS_TIMES_X = ("this is x * (w + b): the bias is multiplied by x too; it is added after the "
                "product, x * w + b")


BIAS_ABS = ("this is x * w + |b|: the bias's sign is lost (abs(b)), while a positive bias "
            "comes out right; the model adds b as it is, x * w + b")


def forward_wb_mistakes(x, w, b, second=None) -> dict:
    """{hint: what forward_wb returns with that mistake} on these inputs. x * (w + b) is named
    only where b is neither 0 nor 1: there it is x * w, or x * w + x, which other slips give.
    Where b < 0, x * w - b is also x * w + |b|: a subtracted bias is named only where
    `second` (forward_wb on an input with b > 0, as evidence.also_on takes it) shows it too,
    and |b| only where that input's answer is right."""
    named = {BIAS_SCALED: (x + b) * w}
    if b not in (0, 1):
        named[BIAS_TIMES_X] = x * (w + b)
    if b >= 0:
        named[BIAS_SUBTRACTED] = x * w - b
        return named
    named.update(also_on({BIAS_SUBTRACTED: x * w - b}, second))
    if second is not None and same_values(second[0], second[1]):
        named[BIAS_ABS] = x * w - b
    return named


PER_WEIGHT = ("this is {n}/{w} of the MSE, here and on a second input with other counts: the "
              "squared errors of the N = {n} samples are summed and divided by len(weights) = "
              "{w}; the mean divides by the number of samples, N")


def divided_by_weights(want, n: int, w: int, second) -> dict:
    """{PER_WEIGHT: want * n / w}, where a second input of other counts shows its own n2 / w2:
    `second` is (what came back, what was expected, n2, w2), or None where the call failed. One
    input alone cannot tell n / w from another factor (3/9 is also 1/3 for any reason): {}."""
    import numpy as np
    if second is None or n == w:
        return {}
    got2, want2, n2, w2 = second
    try:
        a = np.asarray(got2, dtype=np.float64).reshape(-1)
        b = np.asarray(want2, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return {}
    if n2 == w2 or n2 * w == n * w2 or a.shape != b.shape \
            or not np.allclose(a, b * n2 / w2, rtol=1e-6, atol=1e-9):
        return {}
    return {PER_WEIGHT.format(n=n, w=w): np.asarray(want) * n / w}


MEAN_OVER_WEIGHTS = ("the mean runs over the weights' axis, not the samples': each value is one "
                     "sample's squared error averaged over the K weights, shape (N,). Average "
                     "over the samples' axis instead (axis=1 of errors laid out (K, N), axis=0 "
                     "of (N, K)), one MSE per weight, shape (K,)")


def mean_over_weights(x, y, weights) -> dict:
    """{MEAN_OVER_WEIGHTS: each sample's squared error averaged over the weights}, where there
    are not as many weights as samples (else the shapes cannot tell the axes apart)."""
    import numpy as np
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.asarray([float(v) for v in weights], dtype=np.float64)
    if len(w) == len(xs):
        return {}
    return {MEAN_OVER_WEIGHTS: ((xs[:, None] * w[None, :] - ys[:, None]) ** 2).mean(axis=1)}


NEAR_BEST = ("this is {w}, whose MSE ({m:.3g}) is above the least, {least:.3g} at {best}, by only "
             "{d:.2g}, while on weights whose MSEs are far apart the least one is found: MSEs "
             "this close are not told apart. Compare the MSEs as they are (rounded ones, or a "
             "tolerance, make them tie)")


def near_best(x, y, weights) -> dict:
    """{NEAR_BEST: w} for each weight w whose MSE is above the least by less than 1e-3 (and by
    less than a thousandth of the MSEs' spread), without being equal to it: what a comparison
    that cannot tell such MSEs apart returns. {} where no weight is that close."""
    import numpy as np
    w, mse = _mse(x, y, weights)
    k = int(np.argmin(mse))
    out = {}
    for j, d in enumerate(mse - mse[k]):
        if 0 < d < 1e-3 and d < 1e-3 * np.ptp(mse):
            out[NEAR_BEST.format(w=float(w[j]), m=float(mse[j]), least=float(mse[k]),
                                 best=float(w[k]), d=float(d))] = float(w[j])
    return out


Y_ON_WEIGHTS_AXIS = ("entry [i, j] compares every sample's prediction with the same target, "
                     "y[j], the j-th one: y lines up with the weights' axis, not the samples'. "
                     "Broadcasting pairs trailing axes, so y of shape (N,) against predictions "
                     "of shape (N, len(bs), len(ws)) meets ws (here len(ws) = N = {n}): give y "
                     "the samples' axis, y[:, None, None], or put the samples last")


def y_on_weights_axis(x, y, ws, bs) -> dict:
    """{Y_ON_WEIGHTS_AXIS: the surface whose entry [i, j] is the mean over the samples of
    (x * ws[j] + bs[i] - y[j]) ** 2}, where len(ws) is the number of samples (elsewhere such a
    broadcast raises) and the targets differ (else it is the right surface)."""
    import numpy as np
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.asarray([float(v) for v in ws], dtype=np.float64)
    b = np.asarray([float(v) for v in bs], dtype=np.float64)
    if len(w) != len(xs) or np.ptp(ys) == 0:
        return {}
    pred = xs[:, None, None] * w[None, None, :] + b[None, :, None]
    return {Y_ON_WEIGHTS_AXIS.format(n=len(xs)): ((pred - ys[None, None, :]) ** 2).mean(axis=0)}
