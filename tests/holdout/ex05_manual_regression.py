"""Hold-out mistakes of ex05 (linear regression with a hand-written update)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("data_column", "make_data", '''
def make_data(n, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g).to(device)
    return x, 3 * x + 0.8
''', "x of shape (n, 1), not (n,)"),
    Wrong("init_two_generators", "init_params", '''
def init_params(seed, device="cpu"):
    w = torch.rand(1, generator=torch.Generator().manual_seed(seed)).to(device)
    b = torch.rand(1, generator=torch.Generator().manual_seed(seed)).to(device)
    return w.requires_grad_(), b.requires_grad_()
''', "a new generator with the same seed for each draw: w == b"),
    Wrong("mse_column_target", "mse_loss", '''
def mse_loss(y, y_pred):
    return ((y_pred - y.view(-1, 1)) ** 2).mean()
''', "y reshaped to (N, 1): broadcasts against (N,) into (N, N)"),
    Wrong("fit_randn_init", "fit", '''
def fit(x, y, lr, iters, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(1, generator=g).to(x.device).requires_grad_()
    b = torch.randn(1, generator=g).to(x.device).requires_grad_()
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        loss.backward()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
''', "its own torch.randn start instead of init_params(seed)"),
    Wrong("fit_zero_before_update", "fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        loss.backward()
        for p in (w, b):
            p.grad.zero_()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
''', "the gradients zeroed between backward and the update"),
    Wrong("update_copy_paste", "sgd_update_", '''
def sgd_update_(params, lr):
    w, b = params
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * w.grad
''', "copy-paste: the bias updated with the weight's gradient"),
]
