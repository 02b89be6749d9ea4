"""Hold-out mistakes of ex04 (backpropagation by hand and with autograd)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("steps_dr_dyhat_minus_one", "backward_steps", '''
def backward_steps(x, y, w):
    y_hat = x * w
    r = y_hat - y
    loss = r ** 2
    dloss_dr = 2 * r
    dr_dyhat = -1.0
    dyhat_dw = x
    return {"y_hat": float(y_hat), "r": float(r), "loss": float(loss),
            "dloss_dr": float(dloss_dr), "dr_dyhat": dr_dyhat, "dyhat_dw": float(dyhat_dw),
            "dloss_dw": float(dloss_dr * dr_dyhat * dyhat_dw)}
''', "d r / d y_hat taken as -1"),
    Wrong("train_w_float32", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(w0, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w.to(xi.device) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w.item(), losses
''', "w made with torch.tensor(w0): float32 on float64 data"),
    Wrong("train_epoch_mean_loss", "train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
            total += loss.item()
        losses.append(total / len(x))
    return w.item(), losses
''', "the epoch's mean loss recorded, not the last sample's"),
    Wrong("grads_db_times_x", "quadratic_grads", '''
def quadratic_grads(x, y, w1, w2, b):
    r = quadratic_forward(x, w1, w2, b) - y
    return 2 * r * x ** 2, 2 * r * x, 2 * r * x
''', "dL/db copied from dL/dw2: 2 r x"),
    Wrong("quad_w2_uses_w1_grad", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w1, w2, b = (torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
                 for v in (w1, w2, b))
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, w1, w2, b) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w1.grad
                b -= lr * b.grad
                w1.grad.zero_()
                w2.grad.zero_()
                b.grad.zero_()
            last = loss.item()
        losses.append(last)
    return w1.item(), w2.item(), b.item(), losses
''', "copy-paste: w2 updated with w1's gradient"),
    Wrong("quad_extra_epoch", "train_quadratic", '''
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for epoch in range(epochs + 1):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
            last = loss.item()
        if epoch > 0:
            losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
''', "range(epochs + 1): one epoch too many (its first loss skipped)"),
]
