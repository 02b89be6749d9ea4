"""Fresh mistakes of ex05 (linear regression with autograd and a hand-written update)."""
from tests.fresh import LR, SCALE, SEED, SQRT, SUM, ZERO, Fresh

FRESH = [
    Fresh("make_data_ignores_seed", "make_data", '''
def make_data(n, seed, device="cpu"):
    x = torch.rand(n).to(device)
    y = 3 * x + 0.8
    return x, y
''', "draws x from the global generator: the seed is ignored",
        (SEED,)),
    Fresh("make_data_slope_intercept_swapped", "make_data", '''
def make_data(n, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g).to(device)
    y = 0.8 * x + 3
    return x, y
''', "swaps slope and intercept: y = 0.8x + 3 instead of 3x + 0.8",
        (r"swap|exchanged|coefficient|slope|intercept|0\.8",)),
    Fresh("init_params_reseeded_for_b", "init_params", '''
def init_params(seed, device="cpu"):
    w = torch.rand(1, generator=torch.Generator().manual_seed(seed)).to(device).requires_grad_()
    b = torch.rand(1, generator=torch.Generator().manual_seed(seed)).to(device).requires_grad_()
    return w, b
''', "a new generator with the same seed for b: b draws the same number as w",
        (r"generator|re-?seed|same (value|number|draw)|b equals w|w equals b|one generator"
         r"|second draw|\bb\b",)),
    Fresh("init_params_b_drawn_first", "init_params", '''
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    b = torch.rand(1, generator=g).to(device).requires_grad_()
    w = torch.rand(1, generator=g).to(device).requires_grad_()
    return w, b
''', "draws b before w: the two values are exchanged",
        (r"swap|exchanged|order|\bfirst\b|w and b|b and w|reversed",)),
    Fresh("mse_loss_sum", "mse_loss", '''
def mse_loss(y, y_pred):
    return ((y_pred - y) ** 2).sum()
''', "sums the squared errors instead of averaging them",
        (SUM, SCALE)),
    Fresh("mse_loss_rmse", "mse_loss", '''
def mse_loss(y, y_pred):
    return torch.sqrt(((y_pred - y) ** 2).mean())
''', "the root of the mean squared error (RMSE) instead of the MSE",
        # its gradient is the MSE's times 1 / (2 RMSE), a constant factor: true evidence
        (SQRT, SCALE)),
    Fresh("mse_loss_item", "mse_loss", '''
def mse_loss(y, y_pred):
    return ((y_pred - y) ** 2).mean().item()
''', "returns loss.item(), a Python float: no tensor, no graph, backward() impossible",
        (r"\.item|item\(\)|float|graph|grad_fn|\btensor|backward|number",)),
    Fresh("sgd_update_rebinds", "sgd_update_", '''
def sgd_update_(params, lr):
    for p in params:
        p = p - lr * p.grad
''', "p = p - lr * p.grad rebinds the loop variable: the caller's parameters never change",
        (r"rebind|rebound|in place|unchanged|not (updated|changed)|did not change|local"
         r"|no update|never (change|update)",)),
    Fresh("fit_never_zeroes", "fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        y_pred = x * w + b
        loss = mse_loss(y, y_pred)
        loss.backward()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
''', "never zeroes the gradients: each update uses the sum of all earlier gradients",
        (ZERO,)),
    Fresh("fit_fixed_lr", "fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        y_pred = x * w + b
        loss = mse_loss(y, y_pred)
        for p in (w, b):
            if p.grad is not None:
                p.grad.zero_()
        loss.backward()
        sgd_update_((w, b), 0.01)
        losses.append(loss.item())
    return w, b, losses
''', "uses the notes' learning rate 0.01 instead of the lr argument",
        (LR, SCALE)),
    # from a blind round of student programs (issue 20)
    Fresh("make_data_randn", "make_data", '''
def make_data(n, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=g).to(device)
    return x, 3 * x + 0.8
''', "draws x with torch.randn where x ~ U(0, 1) is asked",
        (r"randn|normal distribution|uniform|U\(0, 1\)",)),
    # fresh round 4 (issue 20): one term wrong, differently for every point
    Fresh("make_data_random_bias", "make_data", '''
def make_data(n, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g)
    y = 3 * x + 0.8 * torch.rand(n, generator=g)
    return x.to(device), y.to(device)
''', "draws the bias at random for every point: y = 3x + 0.8 * rand",
        (r"intercept|y - 3x",)),
    Fresh("mse_loss_len", "mse_loss", '''
def mse_loss(y, y_pred):
    return ((y_pred - y) ** 2).sum() / len(y)
''', "divides the sum by len(y): right for 1-D, the rows only for a 2-D input",
        (r"len\(y\)|numel|rows|entries|first dimension",)),
    # issue 20, a generic message once
    Fresh("make_data_numpy_generator", "make_data", '''
import numpy as np
def make_data(n, seed, device="cpu"):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.random(n).astype(np.float32)).to(device)
    return x, 3 * x + 0.8
''', "draws x with NumPy's generator where torch's seeded Generator is asked",
        (r"numpy|default_rng|np\.random",)),
    Fresh("mse_loss_square_of_mean", "mse_loss", '''
def mse_loss(y, y_pred):
    return torch.mean(y_pred - y) ** 2
''', "squares the mean error instead of taking the mean of the squared errors",
        (r"square of the mean|square each error first",)),
    # a blind round's generic messages: backward() twice a step; float64 draws, told of NumPy
    Fresh("fit_backward_twice", "fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        for p in (w, b):
            if p.grad is not None:
                p.grad.zero_()
        loss.backward(retain_graph=True)
        loss.backward()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
''', "calls backward() twice per step: every gradient doubled",
        (r"backward\(\) (is )?called twice|gradients are doubled",)),
    Fresh("init_params_float64", "init_params", '''
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(1, generator=g, dtype=torch.float64).to(device).requires_grad_()
    b = torch.rand(1, generator=g, dtype=torch.float64).to(device).requires_grad_()
    return w, b
''', "draws w and b as float64 (dtype=torch.float64) where float32 is asked",
        (r"float64 where float32 is asked: make it float32",)),
    Fresh("init_params_split_of_a_leaf", "init_params", '''
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    wb = torch.rand(2, generator=g).to(device).requires_grad_()
    w, b = wb.split(1)
    return w, b
''', "draws both at once and splits the leaf: w and b are views made by split(), not leaves",
        (r"made by split\(\)|not a leaf of its own",), visible=True),
    Fresh("init_params_randn", "init_params", '''
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(1, generator=g).to(device).requires_grad_()
    b = torch.randn(1, generator=g).to(device).requires_grad_()
    return w, b
''', "torch.randn (standard normal) where torch.rand (uniform on [0, 1)) is asked",
        (r"randn|outside \[0, 1\)",), visible=True),
    Fresh("make_data_if_seed", "make_data", '''
def make_data(n, seed, device="cpu"):
    g = torch.Generator()
    if seed:
        g.manual_seed(seed)
    x = torch.rand(n, generator=g).to(device)
    return x, 3 * x + 0.8
''', "`if seed:` before manual_seed: seed 0 is never applied",
        (r"seed 0 is not applied",), visible=True),
    # the mistake is init_params', seen in fit's course run (seed 0): init_params' own
    # checks seed 7 and random seeds from 1
    Fresh("init_params_if_seed", "fit", '''
def init_params(seed, device="cpu"):
    g = torch.Generator()
    if seed:
        g.manual_seed(seed)
    w = torch.rand(1, generator=g).to(device).requires_grad_()
    b = torch.rand(1, generator=g).to(device).requires_grad_()
    return w, b
''', "init_params: `if seed:` before manual_seed, so seed 0 is never applied",
        (r"seed 0 is not applied",), visible=True),
    Fresh("sgd_update_zeroes_grad", "sgd_update_", '''
def sgd_update_(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()
''', "zeroes each p.grad inside the update: the contract is the update only",
        (r"leave each p\.grad as it was given",), visible=True),
    Fresh("fit_b_grad_never_zeroed", "fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        y_pred = x * w + b
        loss = mse_loss(y, y_pred)
        if w.grad is not None:
            w.grad.zero_()
        loss.backward()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
''', "zeroes w.grad before each backward() but never b.grad",
        (r"b\.grad is never zeroed, while w\.grad is",), visible=True),
    # blind round 13 (w019): the mean of the gradient, one number broadcast to every entry
    Fresh("sgd_update_grad_mean", "sgd_update_", '''
def sgd_update_(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad.mean()
''', "updates with p.grad.mean(), a scalar broadcast to every entry: right only for "
        "one-element parameters", (r"lr times the mean of its gradient",), visible=True),
    # blind round 14 (w075): y_pred flattened, y not: (N,) - (N, 1) on a column input
    Fresh("mse_loss_flatten_pred_only", "mse_loss", '''
def mse_loss(y, y_pred):
    return ((y_pred.flatten() - y) ** 2).mean()
''', "flattens y_pred only: on (N, 1) inputs (N,) - (N, 1) broadcasts into (N, N)",
        (r"broadcast",), visible=True),
    # blind round 15 (w076): iters - 1 updates, the last loss recorded apart
    Fresh("fit_last_update_skipped", "fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for k in range(iters):
        y_pred = x * w + b
        loss = mse_loss(y, y_pred)
        if k == iters - 1:
            losses.append(loss.item())
            break
        for p in (w, b):
            if p.grad is not None:
                p.grad.zero_()
        loss.backward()
        sgd_update_((w, b), lr)
        losses.append(loss.item())
    return w, b, losses
''', "makes iters - 1 updates, the last loss recorded without its update (w, b one step short)",
        (r"the last update is missing",), visible=True),
]
