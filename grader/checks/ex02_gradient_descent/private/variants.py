"""The known wrong runs of ex02's gradient descent loops, computed in the grading process from
trusted code (the reference, or a loop written out here): what a student's run is compared with
to name its mistake."""
import numpy as np

from grader.checks.api import reference
from grader.checks.ex02_gradient_descent.ships import mistakes as hints


def gd_mistakes(args, n, xe, ye):
    """What a loop with a wrong gradient returns: half of it, N times it, or its negative is the
    same as descending with lr / 2, N * lr or -lr. And the costs recorded one step late."""
    xs, ys, w0, lr, epochs = args
    w, costs = reference("ex02.gradient_descent", *args)
    return {
        hints.COST_AFTER_UPDATE: (w, costs[1:] + [float(np.mean((xe * w - ye) ** 2))]),
        hints.GD_HALF: reference("ex02.gradient_descent", xs, ys, w0, lr * 0.5, epochs),
        hints.gd_sum(n): reference("ex02.gradient_descent", xs, ys, w0, lr * n, epochs),
        hints.GD_UPHILL: reference("ex02.gradient_descent", xs, ys, w0, -lr, epochs),
        hints.GD_PER_SAMPLE: gd_per_sample(xe, ye, w0, lr, epochs),
        hints.GD_AT_W0: gd_gradient_at_w0(xe, ye, w0, lr, epochs),
    }


def sgd_loss_before_update(xs, ys, w0, lr, epochs):
    """The loop with the loss computed before each update (a known slip)."""
    w, losses = float(w0), []
    for _ in range(epochs):
        loss = 0.0
        for x, y in zip(xs, ys):
            loss = (x * w - y) ** 2
            w -= lr * 2 * x * (x * w - y)
        losses.append(loss)
    return w, losses


def sgd_batch_gradient(xs, ys, w0, lr, epochs):
    """One update per sample, but each with the full-batch gradient (a known slip)."""
    x, y = np.array(xs), np.array(ys)
    w, losses = float(w0), []
    for _ in range(epochs):
        loss = 0.0
        for xi, yi in zip(xs, ys):
            w -= lr * float(np.mean(2 * x * (x * w - y)))
            loss = (xi * w - yi) ** 2
        losses.append(loss)
    return w, losses


def sgd_stale_w(xs, ys, w0, lr, epochs):
    """One update per sample, each with that sample's gradient taken at the epoch's starting w
    (every gradient computed before the epoch's first update, then applied)."""
    w, losses = float(w0), []
    for _ in range(epochs):
        grads = [2 * x * (x * w - y) for x, y in zip(xs, ys)]
        loss = 0.0
        for x, y, g in zip(xs, ys, grads):
            w -= lr * g
            loss = (x * w - y) ** 2
        losses.append(loss)
    return w, losses


def sgd_epoch_mean(xs, ys, w0, lr, epochs, before=False):
    """The right updates, but each epoch records the mean of its samples' losses, each computed
    after its update (or before it: before=True), instead of the last sample's (a known slip)."""
    w, losses = float(w0), []
    for _ in range(epochs):
        seen = []
        for x, y in zip(xs, ys):
            if before:
                seen.append((x * w - y) ** 2)
            w -= lr * 2 * x * (x * w - y)
            if not before:
                seen.append((x * w - y) ** 2)
        losses.append(sum(seen) / len(seen))
    return w, losses


def sgd_first_sample(xs, ys, w0, lr, epochs):
    """The right updates, but each epoch records its first sample's loss (computed after that
    sample's update) instead of its last sample's."""
    w, losses = float(w0), []
    for _ in range(epochs):
        seen = []
        for x, y in zip(xs, ys):
            w -= lr * 2 * x * (x * w - y)
            seen.append((x * w - y) ** 2)
        losses.append(seen[0])
    return w, losses


def gd_gradient_at_w0(xs, ys, w0, lr, epochs):
    """gradient_descent's loop with the gradient taken at w0 in every epoch (gradient(xs, ys,
    w0) where w is meant): w moves by the same step each epoch."""
    x, y = np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)
    g0 = float(np.mean(2 * x * (x * float(w0) - y)))
    w, costs = float(w0), []
    for _ in range(epochs):
        costs.append(float(np.mean((x * w - y) ** 2)))
        w = w - lr * g0
    return w, costs


def gd_per_sample(xs, ys, w0, lr, epochs):
    """gradient_descent's loop with one update per sample (stochastic gradient descent's
    updates), each epoch's cost recorded before its updates, as the contract asks."""
    x, y = np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)
    w, costs = float(w0), []
    for _ in range(epochs):
        costs.append(float(np.mean((x * w - y) ** 2)))
        for xi, yi in zip(x.tolist(), y.tolist()):
            w -= lr * 2 * xi * (xi * w - yi)
    return w, costs


def sgd_full_batch(xs, ys, w0, lr, epochs, record="last"):
    """stochastic_gradient_descent's loop with one full-batch update per epoch; each epoch
    records the last sample's loss after the update (record="last"), or the cost over all the
    samples after it ("cost_after") or before it ("cost_before")."""
    x, y = np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)
    w, losses = float(w0), []
    for _ in range(epochs):
        before = float(np.mean((x * w - y) ** 2))
        w -= lr * float(np.mean(2 * x * (x * w - y)))
        losses.append({"last": float((x[-1] * w - y[-1]) ** 2), "cost_before": before,
                       "cost_after": float(np.mean((x * w - y) ** 2))}[record])
    return w, losses


def sgd_full_batch_runs(xs, ys, w0, lr, epochs) -> dict:
    """{hint: run} of stochastic_gradient_descent done with full-batch updates, each way of
    recording its losses."""
    return {hint: sgd_full_batch(xs, ys, w0, lr, epochs, record)
            for record, hint in hints.SGD_FULL_BATCH.items()}
