"""The mistakes of ex10 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The known wrong answers themselves come from trusted code
(private/variants.py): computed live in the hidden checks, recorded by `build` for the visible
ones, and named here. An epoch's loss averaged the wrong way is named by
grader.checks.training.LOSS_MISTAKES."""
from grader.checks.api import GRADS_DOUBLED_OR_LR, also_on, scale_mistakes

OVERFLOW = ("softmax overflow: exp of a large logit is inf (and of a very negative one 0), so "
            "the result is NaN: subtract each row's maximum first, z - z.amax(dim, "
            "keepdim=True), then exp")


def overflow(values, what="the result") -> str:
    """OVERFLOW, saying what `values` (the overflowing run's) hold: NaN, inf or -inf."""
    import torch
    v = torch.as_tensor(values).detach().double()
    kind = "NaN" if bool(v.isnan().any()) else "inf" if bool((v == float("inf")).any()) else \
        "-inf" if bool((v == float("-inf")).any()) else None
    return OVERFLOW.replace("the result is NaN", f"{what} is {kind}") if kind else \
        OVERFLOW.replace(", so the result is NaN", "")


GLOBAL_MAX = ("the maximum of the whole tensor was subtracted (z.max()): a row far below it "
              "underflows to 0/0 = NaN; subtract each row's maximum, z.amax(dim, keepdim=True)")

NO_KEEPDIM = ("softmax without keepdim: z.max(dim).values, z.amax(dim) and e.sum(dim) drop the "
              "dimension they reduce, so a (N,) result meets the (N, C) logits and broadcasts "
              "along the wrong dimension (or fails with 'must match the size'): reduce with "
              "keepdim=True, z.amax(dim, keepdim=True) and e.sum(dim, keepdim=True)")
BROADCAST_ERROR = "must match the size of tensor"
CE_NO_KEEPDIM = ("the row maximum (or sum) is reduced without keepdim: logits.amax(dim=1) has "
                 "shape (N,), and (N, C) - (N,) subtracts it along the wrong dimension (or fails "
                 "with 'must match the size'): use logits.amax(dim=1, keepdim=True)")
# -inf is log(0) in a row's log-sum-exp: every exp(z - m) of the row underflowed, so the m taken
# off is far above the row's own maximum, as the whole tensor's maximum is on this input (a
# column's maximum would be too: the hint names the row's as the one to take)
CE_GLOBAL_MAX = ("a row's log-sum-exp is log(0) = -inf: every exp(z - m) of that row underflowed "
                 "to 0, so the m subtracted is far above the row's own largest logit, as the "
                 "maximum of the whole tensor (logits.max()) is here. Subtract each row's "
                 "maximum, logits.amax(dim=1, keepdim=True), and add it back")
CE_FANCY_INDEX = ("logits[:, targets] is an (N, N) block, every row with every target: pick one "
                  "logit per row, logits[torch.arange(N), targets] or "
                  "logits.gather(1, targets.unsqueeze(1)).squeeze(1)")
CE_DOUBLE_SOFTMAX = ("a softmax applied twice: F.cross_entropy (and nn.CrossEntropyLoss) take "
                     "logits and apply the softmax themselves; here the loss is written by hand "
                     "with log-sum-exp")
CE_DIM0 = ("the log-sum-exp runs over dim 0 (the rows; one row is then its own normaliser and "
           "its loss is 0): each row's loss normalises over its classes, the max and the sum "
           "along dim=1 (keepdim=True)")
SUM_ALL = ("divided by the sum of the whole tensor: each slice along dim sums to 1, "
           "e.sum(dim=dim, keepdim=True)")
GRAD_DIM0 = ("the softmax runs over dim 0 (the samples): each row's probabilities are over the "
             "classes, softmax(logits, dim=1)")
BATCH_OF_ONE = ("the rows' dimension is lost for a batch of one (a squeeze()? It removes every "
                "dimension of size 1, the batch's too where N = 1): logits.argmax(dim=1) of the "
                "(N, C) logits gives shape (N,) for every N")
PREDICT_DIM0 = ("one value per class: argmax over dim 0 (the samples); each row's class is "
                "logits.argmax(dim=1)")
ARGMAX_FLAT = ("this is the index of the largest logit in the whole (N, C) tensor, counted in "
               "its flattened order: argmax() without dim reduces over every entry at once. "
               "Each row's class is logits.argmax(dim=1), shape (N,)")


RELU_ON_LOGITS = ("a ReLU is applied to the logits too: every negative logit came back as 0. The "
                  "ReLU goes between the layers only, output(relu(hidden(x))); logits may be "
                  "negative")


def relu_on_logits(logits) -> dict:
    """{RELU_ON_LOGITS: the logits clamped at 0}, where two logits or more are negative (on
    fewer, one value alone would show it)."""
    return {RELU_ON_LOGITS: logits.clamp(min=0)} if int((logits < 0).sum()) >= 2 else {}


def softmax_mistakes(wrong):
    """{"overflow", "global_max": softmax done those wrong ways} -> {hint: value}."""
    named = {overflow(wrong["overflow"]): wrong["overflow"], GLOBAL_MAX: wrong["global_max"]}
    if wrong.get("sum_all") is not None:
        named[SUM_ALL] = wrong["sum_all"]
    if wrong.get("no_keepdim") is not None:
        named[NO_KEEPDIM] = wrong["no_keepdim"]
    return named


MAX_NOT_ADDED = ("this is the expected loss minus the mean of the rows' largest logits: the max "
                 "subtracted before exp() is not added back, logsumexp(z) = m + log(sum(exp(z - "
                 "m))); add each row's m to its log-sum-exp")


CE_LOG_SOFTMAX = ("log(softmax) underflows: the softmax of a far-below-max logit is 0 and "
                  "log(0) = -inf; use log-sum-exp, loss_i = logsumexp(z_i) - z_i[target]")


def ce_mistakes(wrong, want, n, dim0=False, logits=None, overflows=None):
    """{"overflow", "log_softmax": the loss done those wrong ways} and the right loss `want` of
    n rows -> {hint: value}. The log-sum-exp over dim 0 is among them only where `dim0` says
    the student's function showed it on inputs of its own (shared.normalises_over_rows): one
    number can equal its value by chance. With the `logits`: the log-sum-exp whose max is not
    added back (the loss less the mean of the rows' maxima), where that mean is not 0. Where
    the overflow and log(softmax) give the same value here (inf), only the one `overflows`
    shows (shared.overflows: True, the overflow; False, log(softmax)) is among them."""
    import numpy as np
    import torch
    over, under = wrong["overflow"], wrong["log_softmax"]
    same = np.array_equal(*(torch.as_tensor(v).detach().double().cpu().numpy()
                            for v in (over, under)), equal_nan=True)
    m = {}
    if not same or overflows is True:
        m[overflow(over, "the loss")] = over
    if not same or overflows is False:
        m[CE_LOG_SOFTMAX] = under
    if n > 1:
        m[f"this is {n} times the expected value: a sum over the rows where the mean is "
          f"wanted"] = want * n
    for key, hint in (("global_max", CE_GLOBAL_MAX), ("no_keepdim", CE_NO_KEEPDIM),
                      ("fancy_index", CE_FANCY_INDEX),
                      ("double_softmax", CE_DOUBLE_SOFTMAX), ("dim0", CE_DIM0)):
        if wrong.get(key) is not None and (key != "dim0" or dim0):
            m[hint] = wrong[key]
    if logits is not None:
        shift = float(logits.detach().double().amax(dim=1).mean())
        if shift != 0:
            m[MAX_NOT_ADDED] = want - shift
    return m


GRAD_SIGN = "the sign is flipped: the gradient is softmax - one_hot, not one_hot - softmax"


def grad_mistakes(wrong, want, n, second=None):
    """{"softmax_only", "sign", "no_mean": the gradient done those wrong ways} and the right
    gradient `want` of n rows -> {hint: value}. `second`: (the gradient on another input, the
    right one there, its rows), or None: a division by C is named where both show it."""
    named = {"this is softmax / N: subtract the one-hot of the targets": wrong["softmax_only"],
             GRAD_SIGN: wrong["sign"],
             f"this is N = {n} times the expected value: divide by N (the loss is a mean)":
             wrong["no_mean"], **scale_mistakes(want, factor2=False, sign=GRAD_SIGN),
             **({GRAD_DIM0: wrong["dim0"]} if wrong.get("dim0") is not None else {}),
             **({ONE_HOT_COLUMNS: wrong["columns"]} if wrong.get("columns") is not None
                else {})}
    if second is not None:
        got2, want2, n2 = second
        named.update(also_on(over_classes(want, n), (got2, want2, over_classes(want2, n2))))
    return named


ONE_HOT_COLUMNS = ("every row has the one-hot's 1 in each column that some row targets, not only "
                   "at its own target (one_hot[:, targets] = 1 sets whole columns): "
                   "one_hot[torch.arange(N), targets] = 1 sets one entry per row")
OVER_CLASSES = ("divided by C, the number of classes (logits.shape[1]), where the loss, a mean "
                "over the N rows, divides by N (logits.shape[0]): every value is N / C times "
                "the expected, on two inputs of different N / C")


def over_classes(want, n) -> dict:
    """{OVER_CLASSES: the gradient divided by C where the mean divides by N}, where C is not N."""
    c = want.shape[-1] if getattr(want, "ndim", 0) == 2 else None
    return {OVER_CLASSES: want * n / c} if c is not None and c != n else {}


def wrong_dim(dim) -> str:
    """softmax normalised along `dim` instead of the one asked for."""
    return f"this is the softmax along dim={dim}: normalise along the `dim` argument"


def shifted_elsewhere(z, dim: int = -1) -> dict:
    """{hint: exp(z - z.amax(d)) / its sum along `dim`} for every other dimension d of a 2-D or
    higher z: the max subtracted along d, not along `dim`. Each slice along `dim` still sums to
    1, but the shift is not constant along it, so the values differ (where they do not, the
    mistake does not show and no value is given)."""
    import torch
    if not isinstance(z, torch.Tensor) or z.ndim < 2:
        return {}
    z = z.detach().cpu().double()
    right = torch.softmax(z, dim)
    out = {}
    for d in range(z.ndim):
        if d == dim % z.ndim:
            continue
        e = (z - z.amax(dim=d, keepdim=True)).exp()
        got = e / e.sum(dim=dim, keepdim=True)
        if not torch.allclose(got, right, rtol=1e-4, atol=1e-6):
            out[f"the max subtracted was taken along dim={d}, not along dim={dim}: each slice "
                f"along dim={dim} still sums to 1, but its values differ, because the shift is "
                f"not the same across the slice. Subtract z.amax(dim=dim, keepdim=True)"] = got
    return out


def normalised_elsewhere(got, dim: int = -1) -> dict:
    """{wrong_dim(d): got} where `got`, a finite result of softmax(z, dim), sums to 1 along
    another dimension d and not along `dim` (each column sums to 1 where each row should), or
    {SUM_ALL: got} where the whole tensor sums to 1 (divided by the sum of all its entries):
    the condition is the behaviour itself, whatever the values; {} where neither holds."""
    import torch
    if not isinstance(got, torch.Tensor) or got.ndim < 2 or not got.is_floating_point() \
            or not bool(got.isfinite().all()):
        return {}
    g = got.detach().cpu().double()
    asked = dim % g.ndim

    def one(d):
        return bool(((g.sum(d) - 1).abs() <= 1e-4).all())
    if one(asked):
        return {}
    if bool((g >= 0).all()) and abs(float(g.sum()) - 1) <= 1e-4:
        return {SUM_ALL: got}   # the whole tensor sums to 1: no slice along dim can
    others = [d for d in range(g.ndim) if d != asked and one(d)]
    return {wrong_dim(others[0]): got} if len(others) == 1 else {}


def without_keepdim(z, dim: int = -1) -> dict:
    """{NO_KEEPDIM: softmax(z, dim) with the max, the sum or both reduced without keepdim} on a
    square 2-D z, where (N,) broadcasts against (N, N) along the other dimension with no error
    (on any other shape it fails with 'must match the size'). Values the formula gives, NaN
    where it overflows, as a student's would."""
    import torch
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[0] != z.shape[1]:
        return {}
    z = z.detach().cpu().double()
    out = {}
    for max_kept, sum_kept in ((False, True), (True, False), (False, False)):
        m = z.amax(dim=dim, keepdim=max_kept)
        e = (z - m).exp()
        out[(max_kept, sum_kept)] = e / e.sum(dim=dim, keepdim=sum_kept)
    kinds = {(False, True): "the max", (True, False): "the sum", (False, False): "the max and "
             "the sum"}
    return {f"{NO_KEEPDIM} (here {kinds[k]}, on a square input: no error, the wrong values)": v
            for k, v in out.items()}


def momentum_used(m: float) -> str:
    """A run whose every step is torch.optim.SGD's with momentum m."""
    return (f"every step is SGD's with momentum={m:g}: the contract asks "
            f"torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)")


def momentum_seen(m: float) -> str:
    """A run whose first step is the reference's and whose second step is SGD's with momentum m
    (grader.checks.training.momentum_of: one number fits every parameter entry); where no run
    with m can be computed (the visible check), only those two steps are the evidence."""
    return (f"the first step is the reference's and the second is SGD's with momentum={m:g}: "
            f"it differs from the reference's by {m - 0.5:+g} x the first step, in every "
            f"parameter. The contract asks torch.optim.SGD(model.parameters(), lr=lr, "
            f"momentum=0.5)")


# the mistakes of a training run seen in its steps: {hint: the keywords of the run with that
# mistake, as private/variants.py computes it}
TRACE_MISTAKES = {
    "the gradients are not zeroed between steps: call optimizer.zero_grad() before "
    "loss.backward() in every batch": dict(zero=False),
    "momentum is missing: torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)":
        dict(momentum=0.0),
    **{momentum_used(0.9): dict(momentum=0.9)},
    "every epoch repeats the first epoch's order: a new DataLoader (with a new generator) is "
    "made in each epoch; build one loader before the epochs and iterate it again":
        dict(order="fresh"),
    "the batches are not shuffled: DataLoader(..., shuffle=True, generator=...)":
        dict(order="in_order"),
    "the order is drawn with torch.randperm, not by the DataLoader: build "
    "DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, "
    "generator=torch.Generator().manual_seed(seed))": dict(order="randperm"),
    GRADS_DOUBLED_OR_LR: dict(backwards=2),
    "the loss is nn.CrossEntropyLoss of softmax(logits), the probabilities: CrossEntropyLoss "
    "applies the softmax itself, so it takes the logits as they are, loss_fn(model(xb), yb), "
    "with no softmax before it (in forward or in the loop)": dict(probabilities=True),
}


CLASSES_AS_FLOATS = ("these are the right classes, held as floats (a .float() after the argmax, or "
                     "a float tensor such as torch.zeros(N) filled in, makes them so): return the "
                     "int64 indices, logits.argmax(dim=1) as it is")


CE_BATCH_OF_ONE = ("cross_entropy fails on a batch of one row (N = 1) and gives the right loss on "
                   "the same row given twice (N = 2): the batch dimension of size 1 is lost, as "
                   "logits.squeeze() (without dim) removes it. Keep logits (N, C) for every N")

