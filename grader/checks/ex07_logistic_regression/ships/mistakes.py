"""The mistakes of ex07 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a training loop that ex05-ex08 share come from
grader.checks.training."""
import math

import torch

from grader.checks.api import (GRADS_DOUBLED_OR_LR, LOSS_AFTER_STEP, NO_ZERO_GRAD, SIGMOID_TWICE,
                               ZERO_AFTER_BACKWARD, scale_mistakes)

OVERFLOW = ("the result is NaN for large logits: exp(z) / (1 + exp(z)) is inf / inf at z = 1000. "
            "Use 1 / (1 + exp(-z)), which stays finite.")
ONE_MINUS_SIGMOID = "this is 1 - sigmoid(z): the sign in exp(-z) is missing"
TANH_WITHOUT_HALF = ("this is 0.5 * (1 + tanh(z)), which is sigmoid(2z): the tanh form of the "
                     "sigmoid halves z inside, sigmoid(z) = 0.5 * (1 + tanh(z / 2))")
UNCLAMPED = ("the loss is inf or NaN where p is 0 or 1: log(0) = -inf. Clamp each log at -100: "
             "torch.clamp(torch.log(p), min=-100), as nn.BCELoss does.")
CLAMP_EPS = (1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12, 1e-15)


def clamped_p(p, y) -> dict:
    """{hint: the loss with p clamped at eps before the log}, for the usual eps, as p and 1 - p
    each clamped at eps, and as p clamped to [eps, 1 - eps]: the log at p = 0 is then log(eps)
    (-16.1 for 1e-7), where nn.BCELoss clamps the log itself at -100. Asked only of inputs with
    p exactly 0 or 1 (elsewhere the clamp changes nothing)."""
    out = {}
    for eps in CLAMP_EPS:
        fix = (f"log(p) at p = 0 is then log({eps:g}) = {math.log(eps):.1f}, where the contract "
               f"clamps each log at -100: torch.clamp(torch.log(p), min=-100)")
        each = -(y * p.clamp(min=eps).log() + (1 - y) * (1 - p).clamp(min=eps).log()).mean()
        q = p.clamp(eps, 1 - eps)
        both = -(y * q.log() + (1 - y) * (1 - q).log()).mean()
        # a clamp the dtype cannot hold (1 - 1e-8 is 1 in float32) leaves a log of 0: not
        # this mistake, but the unclamped loss, which UNCLAMPED names
        if bool(torch.isfinite(each).all()):
            out[f"p and 1 - p are clamped at {eps:g} before the log: {fix}"] = each
        if bool(torch.isfinite(both).all()):
            out[f"p is clamped to [{eps:g}, 1 - {eps:g}] before the log: {fix}"] = both
    return out


ONLY_INFINITE_LOGS = ("only the logs that are -inf (p = 0 or 1) became -100: a finite log below "
                      "-100, log({arg:.3g}) = {log:.1f}, is left as it is. Clamp every log at "
                      "-100, torch.clamp(torch.log(p), min=-100), as nn.BCELoss does")


def only_infinite_logs(p, y) -> dict:
    """{ONLY_INFINITE_LOGS: the loss with each -inf log replaced by -100 and the finite logs
    below -100 kept}, where some log is finite and below -100 (elsewhere it is the right loss):
    what nan_to_num(log, neginf=-100), or a torch.where on p == 0, returns."""
    import torch
    args = (p, 1 - p)
    low = [(a[(v > -torch.inf) & (v < -100)], v[(v > -torch.inf) & (v < -100)])
           for a, v in ((a, a.log()) for a in args)]
    low = [(float(a.min()), float(v.min())) for a, v in low if v.numel()]
    if not low:
        return {}
    lp, l1 = (torch.where(torch.isneginf(v), torch.full_like(v, -100.0), v)
              for v in (a.log() for a in args))
    arg, log = min(low, key=lambda t: t[1])
    return {ONLY_INFINITE_LOGS.format(arg=arg, log=log): -(y * lp + (1 - y) * l1).mean()}


BCE_SIGN = "the sign is flipped: the loss is minus the mean log-likelihood"
BCE_LABELS_SWAPPED = "y and 1 - y are swapped"
BCE_MEAN_DIM0 = ("the mean is taken along dim 0 only: for p and y of shape (N, 1), as a model "
                 "outputs them, that leaves shape (1,). The loss is the mean of every entry, "
                 ".mean() with no dim: a 0-dim tensor")
LOGITS_NOT_PROBABILITIES = "these are the logits, not probabilities: apply torch.sigmoid"
# a loop of one step per epoch: an optimizer built anew in each epoch starts every step from an
# empty momentum buffer, which gives exactly the losses of SGD without momentum
NO_MOMENTUM = ("no step uses momentum: these are the losses of plain SGD (momentum 0). Either "
               "the optimizer is built without momentum=momentum, or a new optimizer is built "
               "in each epoch, so that its momentum buffer starts empty at every step (with "
               "one step per epoch that is no momentum at all). Build "
               "torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum) once, before "
               "the loop.")
MOMENTUM_IGNORED = "the momentum given was not used: pass momentum=momentum to torch.optim.SGD"

def probabilities_clamped(got, want) -> dict:
    """{hint: `want` clamped to [lo, hi]}, lo and hi the least and the greatest value returned,
    where that clamp moves an end value at least twice as far from 0 or 1 as sigmoid has it
    (a float32 rounding of sigmoid moves none so far): a forward that clamps its probabilities
    (to keep log(p) finite) gives exactly this at saturated logits."""
    if not isinstance(got, torch.Tensor) or got.shape != want.shape or not got.numel():
        return {}
    g, w = got.detach().to(torch.float64), want.to(torch.float64)
    lo, hi = float(g.min()), float(g.max())
    if not (lo > 2 * float(w.min()) or 1 - hi > 2 * (1 - float(w.max()))):
        return {}
    return {f"the probabilities are clamped to [{lo:.3g}, 1 - {1 - hi:.3g}]: at logits of "
            f"±20 and ±30 sigmoid lies nearer 0 and 1 than that. Return "
            f"torch.sigmoid(self.linear(x)) unclamped (bce_loss clamps its own logs)":
            w.clamp(lo, hi)}


ACCURACY_TIE = "p = 0.5 counts as class 1: use p >= 0.5, not p > 0.5"
ACCURACY_COUNT = "this is the number of right answers: divide by N"
ACCURACY_ERROR_RATE = "this is the error rate: count the rows where the class equals y"
ACCURACY_BROADCAST = ("(N,) and (N, 1) broadcast into (N, N): the classes (p >= 0.5) and y have "
                      "different shapes, one (N,) and the other (N, 1), so == compares every "
                      "row with every row and the mean is taken over N * N pairs (often near "
                      "0.5). Compare tensors of the same shape: keep both (N, 1), or squeeze "
                      "both.")
NESTEROV = ("these are the losses of SGD with nesterov=True: the contract's optimizer is "
            "torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum), plain momentum "
            "without nesterov")
# train_logistic's known wrong loops, by the name under which ex06's private/variants.py runs them
TRAIN_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                  "no_momentum": NO_MOMENTUM, "loss_after_step": LOSS_AFTER_STEP,
                  "sigmoid_twice": SIGMOID_TWICE, "backward_twice": GRADS_DOUBLED_OR_LR,
                  "nesterov": NESTEROV}


def bce_sum(n: int) -> str:
    """The loss of n samples summed instead of averaged."""
    return f"this is {n} times the mean: a sum where the mean is wanted"


def accuracy_broadcast(classes, y) -> float | None:
    """The accuracy of an (N, N) comparison: the classes (N,) == y (N, 1), or the other way;
    None where a constant answer (every row one class, e.g. an argmax over the size-1 class
    dimension, both shapes (N, 1)) gets the same accuracy: a float cannot show the shapes, so
    the value alone must tell the broadcast apart (with y half 0 and half 1 it never does)."""
    c, t = classes.reshape(-1).cpu().double(), y.reshape(-1).cpu().double()
    value = float((c.view(-1, 1) == t.view(1, -1)).double().mean())
    constant = (float((t == 0).double().mean()), float((t == 1).double().mean()))
    return None if any(abs(value - k) < 1e-9 for k in constant) else value


ACCURACY_TENSOR = "accuracy returns a Python float: end with .item() (or float(...))"


def rows_not_entries(rows: int, n: int) -> str:
    """bce_grad_logits divided by the number of rows instead of every entry."""
    return (f"divided by len(z) = {rows} (the rows), not by z.numel() = {n}: the mean of the "
            f"loss counts every entry")


GRAD_SIGN = ("the sign is flipped: d/dz of the loss is (sigmoid(z) - y) / N, not "
             "(y - sigmoid(z)) / N")


def grad_mistakes(want, p, y, n: int) -> dict:
    """bce_grad_logits's known wrong results, from the right one and p = sigmoid(z): a scale
    error, the gradient with respect to p, the factor p (1 - p) counted twice."""
    return {**scale_mistakes(want, n, sign=GRAD_SIGN),
            "this is the gradient with respect to p, not z: multiply by dp/dz = p (1 - p)":
            (p - y) / (p * (1 - p)) / n,
            "the factor p (1 - p) is counted twice: d/dz of the loss is just (p - y) / N":
            (p - y) * p * (1 - p) / n}


def clusters_mistakes(x, y, seed=None) -> dict:
    """The wrong (x, y) of make_clusters(n, seed) for the named mistakes, from the right one
    (and, given the seed, the rows of one draw for both clusters)."""
    n = len(x) // 2
    one = {}
    if seed is not None:
        z = torch.randn(2 * n, 2, generator=torch.Generator().manual_seed(seed))
        g = torch.Generator().manual_seed(seed)
        rows = [torch.normal(m, 1.0, (2,), generator=g) + 1 for _ in range(n) for m in (1.7, -1.7)]
        one = {ONE_DRAW: (torch.cat([z[:n] + 2.7, z[n:] - 0.7]), y),
               ROWS_IN_TURN: (torch.stack(rows[0::2] + rows[1::2]), y)}
    g = torch.Generator().manual_seed(0)
    x_global = torch.cat([torch.normal(1.7, 1.0, (n, 2), generator=g) + 1,
                          torch.normal(-1.7, 1.0, (n, 2), generator=g) + 1])
    return {"these are the numbers of the global generator: draw from "
            "g = torch.Generator().manual_seed(seed) (generator=g)": (x_global, y),
            "the +1 shift is missing": (x - 1, y),
            "the labels are swapped: the first N rows are class 0": (x, 1 - y),
            "the two clusters are swapped: draw the N(1.7, 1) rows first":
            (torch.cat([x[n:], x[:n]]), y),
            # the same numbers moved by the distance of the means, 3.4: drawn in the other
            # order (the first draw went to class 1), or each class drawn at the other's mean
            CLUSTERS_DRAWN_IN_OTHER_ORDER: (torch.cat([x[n:] + 3.4, x[:n] - 3.4]), y),
            CLUSTER_MEANS_SWAPPED: (torch.cat([x[:n] - 3.4, x[n:] + 3.4]), y), **one}


ROWS_IN_TURN = ("the rows are drawn in turn, one of class 0, then one of class 1, and so on: "
                "draw class 0's n rows first, torch.normal(1.7, 1.0, (n, 2), generator=g), then "
                "class 1's (one generator gives its numbers in the order they are asked for)")
ONE_DRAW = ("the 2n rows come from one draw of shape (2n, 2), shifted half by half: draw class "
            "0's n rows, then class 1's n rows, in two draws (torch.normal(1.7, 1.0, (n, 2), "
            "generator=g), then torch.normal(-1.7, 1.0, (n, 2), generator=g)). PyTorch pairs "
            "its random numbers differently in one large draw than in two smaller ones, so one "
            "draw gives other values (except for a few sizes)")


CLUSTERS_DRAWN_IN_OTHER_ORDER = (
    "the clusters are drawn in the other order: one generator gives its numbers in turn, so "
    "draw class 0's rows, N(1.7, 1) + 1, first and class 1's, N(-1.7, 1) + 1, second (then "
    "torch.cat([x0, x1]))")
CLUSTER_MEANS_SWAPPED = ("the means are swapped: class 0 (the first n rows, label 0) is drawn "
                         "from N(1.7, 1) + 1, class 1 from N(-1.7, 1) + 1")
