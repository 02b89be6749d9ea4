"""Fresh mistakes of ex02 (gradient descent by hand)."""
from tests.fresh import DTYPE, HALF, OFF_BY_ONE, RECORD, SCALE, SIGN, SUM, Fresh

FRESH = [
    Fresh("cost_sum", "cost", '''
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.sum((x * w - y) ** 2))
''', "sums the squared errors instead of averaging them",
        (SUM, SCALE)),
    Fresh("gradient_wrong_sign", "gradient", '''
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(2 * x * (y - x * w)))
''', "differentiates (y - x*w) the wrong way round: the gradient has the wrong sign",
        (SIGN,)),
    Fresh("gradient_missing_2", "gradient", '''
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(x * (x * w - y)))
''', "forgets the factor 2 of the power rule: half the gradient",
        (HALF, SCALE)),
    Fresh("gradient_descent_cost_after_update", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    for _ in range(epochs):
        w = w - lr * gradient(xs, ys, w)
        costs.append(cost(xs, ys, w))
    return w, costs
''', "records the cost after the update instead of before it",
        (RECORD,)),
    Fresh("gradient_descent_extra_epoch", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    for epoch in range(epochs + 1):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    return w, costs
''', "loops range(epochs + 1): one update and one recorded cost too many",
        (OFF_BY_ONE,)),
    Fresh("sgd_loss_before_update", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        l = 0.0
        for xi, yi in zip(x.tolist(), y.tolist()):
            l = (xi * w - yi) ** 2
            w = w - lr * sample_gradient(xi, yi, w)
        losses.append(float(l))
    return w, losses
''', "records each sample's loss before its update instead of after it",
        (RECORD,)),
    Fresh("sgd_epoch_mean_loss", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        epoch_losses = []
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * sample_gradient(xi, yi, w)
            epoch_losses.append((xi * w - yi) ** 2)
        losses.append(float(np.mean(epoch_losses)))
    return w, losses
''', "records the mean of the epoch's sample losses instead of the last sample's loss",
        (r"\bmean\b|average|last sample|every sample|all (the )?samples",)),
    Fresh("sample_gradient_no_x", "sample_gradient", '''
def sample_gradient(x, y, w):
    return float(2 * (x * w - y))
''', "the chain rule's inner derivative x is missing: 2*(x*w - y)",
        (r"factor x|inner derivative|chain rule",)),
    Fresh("sample_gradient_wrt_x", "sample_gradient", '''
def sample_gradient(x, y, w):
    return float(2 * w * (x * w - y))
''', "differentiates with respect to x instead of w: 2*w*(x*w - y)",
        (r"swap|with respect to x|d ?/ ?dx|\bw\b (in place of|instead of) \bx\b"
         r"|\bx\b and \bw\b|\bw\b and \bx\b",)),
    # issue 20's latest list: mistakes that got only a generic message, or passed on some seeds
    Fresh("gradient_descent_per_sample", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    costs = []
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        for xi, yi in zip(x, y):
            w -= lr * 2 * xi * (xi * w - yi)
    return w, costs
''', "updates w after every sample (stochastic) where one full-batch update per epoch is asked",
        (r"once per sample|per-sample|each sample|stochastic",)),
    Fresh("sgd_full_batch", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        w = w - lr * gradient(x, y, w)
        losses.append(float((x[-1] * w - y[-1]) ** 2))
    return w, losses
''', "one update per epoch with the mean gradient where one update per sample is asked",
        (r"full-batch|all (the )?samples|once per sample|one update",)),
    # fresh round 4 (issue 20): one loss per sample where one per epoch is asked
    Fresh("sgd_loss_every_sample", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * sample_gradient(xi, yi, w)
            losses.append(float((xi * w - yi) ** 2))
    return w, losses
''', "appends every sample's loss (N x epochs) where one loss per epoch is asked",
        (r"per sample|epochs x \d+ samples",)),
    Fresh("gradient_descent_gradient_at_w0", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    g = gradient(xs, ys, w0)
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * g
    return w, costs
''', "the gradient taken once, at w0, and used in every update",
        (r"\bw0\b|same step",)),
    # issue 20, a wrong hint once: 14 // 3 = 4 is also the square of the
    # course's mean error
    Fresh("cost_floor_division", "cost", '''
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.sum((x * w - y) ** 2) // len(x))
''', "divides the sum of the squared errors by N with `//`, which rounds down",
        (r"floor|//|whole number|rounds? down",)),
    # issue 20, a generic message once
    Fresh("gradient_product_of_means", "gradient", '''
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(2 * np.mean(x) * np.mean(x * w - y))
''', "2 * mean(x) * mean(x*w - y): the product of the means for the mean of the products",
        (r"product of (two )?means|mean of a product",)),
    Fresh("sgd_reversed_order", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        loss = 0.0
        for xi, yi in zip(reversed(x.tolist()), reversed(y.tolist())):
            w = w - lr * sample_gradient(xi, yi, w)
            loss = (xi * w - yi) ** 2
        losses.append(float(loss))
    return w, losses
''', "visits the samples last to first (on the course data y = 2x the order leaves w as it is)",
        (r"reverse order",)),
    # a blind round's generic message: the mean absolute error for the MSE
    Fresh("cost_mean_absolute", "cost", '''
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(np.abs(x * w - y)))
''', "the mean absolute error where the mean squared error is asked",
        (r"mean absolute error",)),
    Fresh("gradient_descent_mutable_default", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs, costs=[]):
    w = w0
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    return w, costs
''', "a mutable default argument costs=[]: the costs of every call pile up in one list",
        (r"costs=\[\]|outlives the call|earlier call",), visible=True),
    Fresh("gradient_over_n_minus_1", "gradient", '''
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.sum(2 * x * (x * w - y)) / (len(x) - 1))
''', "divides the sum by N - 1 (the sample variance's habit) instead of N",
        (r"N - 1",), visible=True),
    Fresh("sgd_gradients_at_epoch_start", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        loss = 0.0
        grads = [sample_gradient(xi, yi, w) for xi, yi in zip(x.tolist(), y.tolist())]
        for xi, yi, g in zip(x.tolist(), y.tolist(), grads):
            w = w - lr * g
            loss = (xi * w - yi) ** 2
        losses.append(float(loss))
    return w, losses
''', "every sample's gradient taken at the epoch's starting w, then all applied",
        (r"the w the epoch started from",), visible=True),
    Fresh("sgd_records_first_sample", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for i, (xi, yi) in enumerate(zip(x.tolist(), y.tolist())):
            w = w - lr * sample_gradient(xi, yi, w)
            if i == 0:
                losses.append(float((xi * w - yi) ** 2))
    return w, losses
''', "records each epoch's first sample's loss, not its last",
        (r"records its first sample's loss",), visible=True),
    Fresh("sample_gradient_abs_error", "sample_gradient", '''
def sample_gradient(x, y, w):
    return 2 * x * abs(x * w - y)
''', "2 * x * abs(x*w - y): the sign of the error lost, right only where x*w > y",
        (r"loses the sign of r",)),
    Fresh("gradient_descent_mean_twice", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w) / len(xs)
    return w, costs
''', "divides the gradient, already a mean, by N again",
        (r"division by N is made twice",), visible=True),
    # blind round 12 (w208): float32 tensors computed in float32
    Fresh("cost_float32_tensors_in_float32", "cost", '''
def cost(xs, ys, w):
    x = xs.detach().cpu().numpy() if isinstance(xs, torch.Tensor) else np.asarray(xs)
    y = ys.detach().cpu().numpy() if isinstance(ys, torch.Tensor) else np.asarray(ys)
    return float(np.mean((x * w - y) ** 2))
''', "keeps float32 tensors in float32 where the cost is asked computed in float64",
        (DTYPE,), visible=True),
    # blind round 12 (w204): a precedence slip
    Fresh("sample_gradient_precedence", "sample_gradient", '''
def sample_gradient(x, y, w):
    return 2 * x * x * w - y
''', "2*x*x*w - y: the parentheses around x*w - y are lost",
        (r"parenthes|precedence",), visible=True),
    # blind round 12 (w209, w211): samples shuffled with the global random module; one skipped
    Fresh("sgd_shuffled_global_random", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    import random
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    order = list(range(len(x)))
    for _ in range(epochs):
        random.shuffle(order)
        for i in order:
            w = w - lr * sample_gradient(float(x[i]), float(y[i]), w)
            loss = (float(x[i]) * w - float(y[i])) ** 2
        losses.append(loss)
    return w, losses
''', "shuffles the samples every epoch with Python's global random module",
        (r"another order",), visible=True),
    Fresh("sgd_skips_first_sample", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for i in range(1, len(x)):
            w = w - lr * sample_gradient(float(x[i]), float(y[i]), w)
            loss = (float(x[i]) * w - float(y[i])) ** 2
        losses.append(loss)
    return w, losses
''', "range(1, len(x)): the first sample is skipped every epoch",
        (r"sample 1 \(x = 1\) is never used",), visible=True),
    # blind round 12 (w206): the losses list made once, at module level
    Fresh("sgd_losses_at_module_level", "stochastic_gradient_descent", '''
_losses = []


def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    for _ in range(epochs):
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * sample_gradient(xi, yi, w)
            loss = (xi * w - yi) ** 2
        _losses.append(loss)
    return w, _losses
''', "keeps the losses list at module level: it grows from call to call",
        (r"earlier call",), visible=True),
    Fresh("gradient_float32_tensors_in_float32", "gradient", '''
def gradient(xs, ys, w):
    x = xs.detach().cpu().numpy() if isinstance(xs, torch.Tensor) else np.asarray(xs)
    y = ys.detach().cpu().numpy() if isinstance(ys, torch.Tensor) else np.asarray(ys)
    return float(np.mean(2 * x * (x * w - y)))
''', "keeps float32 tensors in float32 where the gradient is asked computed in float64",
        (DTYPE,), visible=True),
    # blind round 14 (w006): the sum of squares divided by N - 1
    Fresh("cost_over_n_minus_1", "cost", '''
def cost(xs, ys, w):
    x = np.asarray(xs.detach().cpu() if isinstance(xs, torch.Tensor) else xs, dtype=np.float64)
    y = np.asarray(ys.detach().cpu() if isinstance(ys, torch.Tensor) else ys, dtype=np.float64)
    return float(np.sum((x * w - y) ** 2) / (len(x) - 1))
''', "divides the sum of squared errors by N - 1 (the sample variance's habit) where the mean "
        "divides by N", (r"divided by N - 1",), visible=True),
    # blind round 15 (w007): one update too few, all float64 (the final w off in its 6th digit)
    Fresh("gradient_descent_one_update_short", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w = float(w0)
    costs = []
    for _ in range(epochs - 1):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    if epochs > 0:
        costs.append(cost(xs, ys, w))
    return w, costs
''', "makes epochs - 1 updates (the costs all right, w one update short), in float64 throughout",
        (r"one update more or fewer|the last update is missing",), visible=True),
]
