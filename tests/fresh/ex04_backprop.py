"""Fresh mistakes of ex04 (backpropagation by hand and with autograd)."""
from tests.fresh import DTYPE, HALF, RECORD, SCALE, SHAPE, SIGN, SUM, ZERO, Fresh

FRESH = [
    Fresh("train_quadratic_b_never_updated", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    p1 = torch.tensor(float(w1), dtype=x.dtype, device=x.device, requires_grad=True)
    p2 = torch.tensor(float(w2), dtype=x.dtype, device=x.device, requires_grad=True)
    pb = torch.tensor(float(b), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xv, yv in zip(x, y):
            l = (quadratic_forward(xv, p1, p2, pb) - yv) ** 2
            l.backward()
            with torch.no_grad():
                for p in (p1, p2):
                    p -= lr * p.grad
                for p in (p1, p2, pb):
                    p.grad.zero_()
            last = l.item()
        losses.append(last)
    return p1.item(), p2.item(), pb.item(), losses
''', "b is never updated (only w1 and w2 are)",
        (r"\bb\b (is )?never updated|update (of b|b\b)|b keeps",)),
    Fresh("backward_steps_dloss_dr_no_2", "backward_steps", '''
def backward_steps(x, y, w):
    y_hat = x * w
    r = y_hat - y
    loss = r ** 2
    dloss_dr = r
    dr_dyhat = 1.0
    dyhat_dw = x
    dloss_dw = dloss_dr * dr_dyhat * dyhat_dw
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(loss),
            "dloss_dr": float(dloss_dr), "dr_dyhat": float(dr_dyhat),
            "dyhat_dw": float(dyhat_dw), "dloss_dw": float(dloss_dw)}
''', "d(r**2)/dr written as r, forgetting the 2: dloss_dr and dloss_dw are halved",
        (HALF, SCALE, r"dloss_dr")),
    Fresh("affine_dyhat_db_is_x", "affine_backward_steps", '''
def affine_backward_steps(x, y, w, b):
    y_hat = x * w + b
    r = y_hat - y
    loss = r ** 2
    dloss_dr = 2 * r
    dr_dyhat = 1.0
    dyhat_dw = x
    dyhat_db = x
    dloss_dw = dloss_dr * dr_dyhat * dyhat_dw
    dloss_db = dloss_dr * dr_dyhat * dyhat_db
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(loss),
            "dloss_dr": float(dloss_dr), "dr_dyhat": float(dr_dyhat),
            "dyhat_dw": float(dyhat_dw), "dloss_dw": float(dloss_dw),
            "dyhat_db": float(dyhat_db), "dloss_db": float(dloss_db)}
''', "copies the weight's local derivative for the bias: dyhat_db = x instead of 1",
        (r"dyhat_db|dloss_db|\bbias|\bdb\b|d ?/ ?db",)),
    Fresh("train_autograd_never_zeroed", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            l = (xi * w - yi) ** 2
            l.backward()
            with torch.no_grad():
                w -= lr * w.grad
            last = l.item()
        losses.append(last)
    return w.item(), losses
''', "never zeroes w.grad: the gradients of all earlier samples pile up",
        (ZERO,)),
    Fresh("train_autograd_loss_after_update", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            l = (xi * w - yi) ** 2
            l.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
                last = ((xi * w - yi) ** 2).item()
        losses.append(last)
    return w.item(), losses
''', "records the sample's loss after the update instead of the l backward() used",
        (RECORD,)),
    Fresh("quadratic_forward_w1_w2_swapped", "quadratic_forward", '''
def quadratic_forward(x, w1, w2, b):
    return w2 * x ** 2 + w1 * x + b
''', "swaps the coefficients: w2 multiplies x**2 and w1 multiplies x",
        (r"swap|exchanged|\bw1\b|\bw2\b|coefficient",)),
    Fresh("quadratic_grads_dw1_with_x", "quadratic_grads", '''
def quadratic_grads(x, y, w1, w2, b):
    r = quadratic_forward(x, w1, w2, b) - y
    return 2 * r * x, 2 * r * x, 2 * r
''', "dL/dw1 = 2 r x where 2 r x**2 is wanted",
        (r"dL/dw1|x\*\*2",)),
    Fresh("quadratic_grads_averaged", "quadratic_grads", '''
def quadratic_grads(x, y, w1, w2, b):
    r = quadratic_forward(x, w1, w2, b) - y
    if isinstance(r, torch.Tensor):
        return (2 * r * x ** 2).mean(), (2 * r * x).mean(), (2 * r).mean()
    return 2 * r * x ** 2, 2 * r * x, 2 * r
''', "averages the per-sample gradients over the samples: scalars instead of shape (N,)",
        (SHAPE, r"\bmean\b|average|reduc|per.sample|scalar|0-dim")),
    Fresh("train_quadratic_float32_params", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), device=x.device, requires_grad=True) for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            last = loss.item()
        losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
''', "makes the parameters from Python floats without xs's dtype: float32 even for float64 data",
        (DTYPE,)),
    Fresh("train_quadratic_gradient_ascent", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p += lr * p.grad
                    p.grad.zero_()
            last = loss.item()
        losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
''', "p += lr * p.grad: steps up the gradient (ascent) instead of down",
        (SIGN, r"ascent|uphill|\+=|diverg|increas|grows")),
    # from a blind round of student programs (issue 20)
    Fresh("train_quadratic_b_never_zeroed", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w1 = torch.tensor(float(w1), dtype=x.dtype, device=x.device, requires_grad=True)
    w2 = torch.tensor(float(w2), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.tensor(float(b), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, w1, w2, b) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
                b -= lr * b.grad
                w1.grad.zero_()
                w2.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w1.item(), w2.item(), b.item(), losses
''', "zeroes w1's and w2's gradients but never b's",
        (r"\bb\.grad is never zeroed",)),
    # issue 20's latest list: mistakes that got only a generic message, or passed on some seeds
    Fresh("affine_dloss_db_with_dyhat_dw", "affine_backward_steps", '''
def affine_backward_steps(x, y, w, b):
    y_hat = x * w + b
    r = y_hat - y
    dloss_dr = 2 * r
    dyhat_dw, dyhat_db = x, 1.0
    chain = dloss_dr * 1.0
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(r ** 2),
            "dloss_dr": float(dloss_dr), "dr_dyhat": 1.0, "dyhat_dw": float(dyhat_dw),
            "dloss_dw": float(chain * dyhat_dw), "dyhat_db": float(dyhat_db),
            "dloss_db": float(chain * dyhat_dw)}
''', "dloss_db multiplies by dyhat_dw (x) instead of dyhat_db (1)",
        (r"dyhat_dw",)),
    Fresh("train_quadratic_only_w1_zeroed", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w1 = torch.tensor(float(w1), dtype=x.dtype, device=x.device, requires_grad=True)
    w2 = torch.tensor(float(w2), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.tensor(float(b), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (w1 * xi ** 2 + w2 * xi + b - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
                b -= lr * b.grad
                w1.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w1.item(), w2.item(), b.item(), losses
''', "zeroes only w1's gradient: w2's and b's add up over the samples",
        (r"only w1\.grad", ZERO)),
    Fresh("train_autograd_zero_per_epoch", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
            last = loss.item()
        w.grad.zero_()
        losses.append(last)
    return w.item(), losses
''', "zeroes the gradient once per epoch, after the loop over the samples",
        (r"once per epoch", ZERO)),
    Fresh("train_autograd_zero_before_update", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w.grad.zero_()
                w -= lr * w.grad
            last = loss.item()
        losses.append(last)
    return w.item(), losses
''', "zeroes the gradient between backward() and the update, which then subtracts zero",
        (r"never move", ZERO)),
    Fresh("train_autograd_w_float32", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), requires_grad=True, device=x.device)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w.item(), losses
''', "keeps w in float32 (torch.tensor's default) for float64 data",
        (DTYPE,), visible=True),
    # fresh round 4 (issue 20): an input left out
    Fresh("affine_steps_no_bias", "affine_backward_steps", '''
def affine_backward_steps(x, y, w, b):
    y_hat = x * w
    r = y_hat - y
    dloss_dr = 2 * r
    return {"y_hat": y_hat, "r": r, "loss": r ** 2, "dloss_dr": dloss_dr, "dr_dyhat": 1.0,
            "dyhat_dw": x, "dloss_dw": dloss_dr * x, "dyhat_db": 1.0, "dloss_db": dloss_dr}
''', "forgets the bias in y_hat: y_hat = x * w",
        (r"\bb\b.*left out|bias",)),
    Fresh("train_autograd_w_float64", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=torch.float64, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = None
        for xv, yv in zip(x, y):
            l = (xv * w - yv) ** 2
            l.backward()
            last = l.item()
            with torch.no_grad():
                w -= lr * w.grad
            w.grad.zero_()
        losses.append(last)
    return w.item(), losses
''', "makes w float64 whatever the data's dtype (the docstring gives w xs's dtype)",
        (DTYPE,)),
    Fresh("train_autograd_epoch_loss_sum", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xv, yv in zip(x, y):
            l = (xv * w - yv) ** 2
            l.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            total += l.item()
        losses.append(total)
    return w.item(), losses
''', "records the sum of the epoch's sample losses, not the last one",
        (SUM, RECORD)),
    # issue 20, generic messages once: `* 2` for `** 2`
    Fresh("quadratic_forward_times_2", "quadratic_forward", '''
def quadratic_forward(x, w1, w2, b):
    return w1 * x * 2 + w2 * x + b
''', "x * 2 where x ** 2 is meant: the model doubles x instead of squaring it",
        (r"x \* 2|doubles x",)),
    Fresh("quadratic_grads_times_2", "quadratic_grads", '''
def quadratic_grads(x, y, w1, w2, b):
    r = quadratic_forward(x, w1, w2, b) - y
    return 2 * r * x * 2, 2 * r * x, 2 * r
''', "dL/dw1 = 2 r x * 2 where 2 r x ** 2 is meant",
        # on one sample (a float) only the evidence: dL/dw1, the first, alone is wrong
        (r"x \* 2|doubles x", r"only the value at index 0 \(the first\) is wrong")),
    # blind round 8 (w047): the trained values are not what it returns
    Fresh("train_quadratic_returns_initial", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w1, w2, b, losses
''', "returns the initial arguments w1, w2, b instead of the trained parameters",
        (r"not what it returns|initial ones",)),
    # blind round 8 (w159): per-sample SGD with the gradient of the mean
    Fresh("train_autograd_grad_over_n", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad / len(x)
                w.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w.item(), losses
''', "divides each sample's gradient by N in the update (SGD taken for the mean)",
        (r"1/N of the reference|divided by N",)),
    # blind round 9 (w202): named by a visible check, not only by the hidden float64 runs
    Fresh("train_autograd_w_float32_cpu", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w.item(), losses
''', "w is made float32 whatever the data's dtype: float64 data trains at float32 precision",
        (r"w is float32 \(torch\.tensor",), visible=True),
    Fresh("train_quadratic_records_first_sample", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = None
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            if last is None:
                last = loss.item()
        losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
''', "records each epoch's first sample's loss, not its last",
        (r"records its first sample's loss",), visible=True),
    Fresh("backward_steps_abs_r", "backward_steps", '''
def backward_steps(x, y, w):
    y_hat = x * w
    r = y_hat - y
    dloss_dr = 2 * abs(r)
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(r ** 2),
            "dloss_dr": float(dloss_dr), "dr_dyhat": 1.0, "dyhat_dw": float(x),
            "dloss_dw": float(dloss_dr * x)}
''', "dloss_dr = 2 * abs(r): the sign of r lost, right only where y_hat > y",
        (r"sign of r is lost",), visible=True),
    Fresh("backward_steps_rounded_4", "backward_steps", '''
def backward_steps(x, y, w):
    y_hat = x * w
    r = y_hat - y
    loss = r ** 2
    dloss_dr = 2 * r
    dloss_dw = dloss_dr * 1.0 * x
    vals = {"y_hat": y_hat, "r": r, "loss": loss, "dloss_dr": dloss_dr, "dr_dyhat": 1.0,
            "dyhat_dw": x, "dloss_dw": dloss_dw}
    return {k: round(float(v), 4) for k, v in vals.items()}
''', "rounds every value to 4 decimals for a nice output: nothing runs in float32",
        (r"rounded \(round\(v, 4\)",)),
    Fresh("train_quadratic_params_float64", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=torch.float64, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            last = loss.item()
        losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
''', "makes w1, w2, b float64 whatever the data's dtype: float32 data trains in float64",
        (r"w1, w2 and b have xs's dtype",), visible=True),
    # blind round 15 (w070): w read before the last update (the losses all right)
    Fresh("train_autograd_w_before_last_update", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            w_now = w.item()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            last = loss.item()
        losses.append(last)
    return (w_now if epochs > 0 else w.item()), losses
''', "returns w as read before the last update (every loss right, w one update behind)",
        (r"before its very last update",), visible=True),
]
