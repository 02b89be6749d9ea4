"""Fresh mistakes of ex12 (the cubic fit with tensors, autograd, nn and optim)."""
from tests.fresh import DTYPE, LOSS_ITSELF, MOMENTUM, RECORD, SCALE, SEED, SUM, ZERO, Fresh

FRESH = [
    Fresh("poly_grads_tensor_floats", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return (g.sum().item(), (g * x).sum().item(), (g * x ** 2).sum().item(),
            (g * x ** 3).sum().item())
''', "returns Python floats (.item()) instead of 0-dim tensors on x's device",
        (r"\bfloat|\btensor|0-dim|\.item|item\(\)|device|\btype",)),
    Fresh("poly_grads_tensor_c_uses_x_cubed", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return g.sum(), (g * x).sum(), (g * x ** 3).sum(), (g * x ** 3).sum()
''', "grad_c uses x**3 where x**2 is wanted",
        (r"grad_c|x\*\*3 where x\*\*2",)),
    Fresh("poly_grads_tensor_mean", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return g.mean(), (g * x).mean(), (g * x ** 2).mean(), (g * x ** 3).mean()
''', "averages over the samples where the loss is a sum: every gradient is 1/N of the right one",
        (SUM, r"\bmean\b|average|divide by N|1/\d+|/ ?N\b")),
    Fresh("fit_tensor_params_float32", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "moves the parameters to x's device but not its dtype: float32 for float64 data",
        (DTYPE,)),
    Fresh("fit_tensor_unseeded", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    a, b, c, d = (torch.randn(()).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "draws the initial values from the global generator: the seed is ignored",
        (SEED, r"initial|starting")),
    Fresh("fit_autograd_never_zeroes", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
    return tuple(p.detach() for p in params), losses
''', "never zeroes the gradients: they pile up over the steps",
        (ZERO,)),
    Fresh("fit_autograd_rebinds", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
                  for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        a = a - lr * a.grad
        b = b - lr * b.grad
        c = c - lr * c.grad
        d = d - lr * d.grad
    return (a.detach(), b.detach(), c.detach(), d.detach()), losses
''', "a = a - lr * a.grad with autograd on: rebinds a to a non-leaf whose .grad stays None",
        (r"rebind|rebound|non-?leaf|\bleaf|no_grad|in place|grad (is|was|stays) none"
         r"|nonetype",)),
    Fresh("polynomial3_c_d_swapped_powers", "Polynomial3", '''
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 3 + self.d * x ** 2

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + " \\
               f"{self.d.item()} x^3"
''', "c multiplies x**3 and d multiplies x**2 in forward",
        (r"swap|exchanged|coefficient|\bc\b|\bd\b|x\^2|x\^3|power",)),
    Fresh("polynomial3_string_parameters", "Polynomial3", '''
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a} + {self.b} x + {self.c} x^2 + {self.d} x^3"
''', "formats the Parameters themselves, not .item(): 'Parameter containing: tensor(...)'",
        (r"\.item|item\(\)|format|parameter containing|tensor\(|requires_grad",)),
    Fresh("fit_optim_mean_loss", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss()
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "nn.MSELoss() with its default mean reduction where reduction='sum' is asked",
        (SCALE, SUM, r"reduction|\bmean\b|average", LOSS_ITSELF)),
    Fresh("fit_optim_always_sgd", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "ignores the optimizer argument: always SGD, never RMSprop (and no ValueError)",
        (r"rmsprop|optimi[sz]er|\bsgd\b|valueerror",)),
    Fresh("fit_optim_never_zeroes", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        opt.step()
    return losses
''', "never zeroes the gradients: they pile up over the steps",
        (ZERO,)),
    Fresh("fit_optim_loss_after_step", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if t % 100 == 99:
            with torch.no_grad():
                losses.append(loss_fn(model(x), y).item())
    return losses
''', "records the loss recomputed after the step instead of the loss before it",
        (RECORD,)),
    # from a blind round of student programs (issue 20)
    Fresh("fit_optim_rmsprop_momentum", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, momentum=0.9)
    else:
        raise ValueError(optimizer)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "RMSprop with momentum 0.9 where none is asked",
        (MOMENTUM,)),
    Fresh("fit_optim_rmsprop_is_adam", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        raise ValueError(optimizer)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "builds torch.optim.Adam for optimizer='rmsprop'",
        (r"torch\.optim\.Adam's steps",)),
    # issue 20's latest list: mistakes that got only a generic message, or passed on some seeds
    Fresh("fit_autograd_zero_before_update", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
                  for _ in range(4)]
    losses = []
    for t in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p.grad.zero_()
            for p in (a, b, c, d):
                p -= lr * p.grad
    return (a.detach(), b.detach(), c.detach(), d.detach()), losses
''', "zeroes the gradients before the update, so nothing moves",
        (r"never move", ZERO)),
    Fresh("fit_autograd_gradients_in_turn", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    losses = []
    for t in range(steps):
        for k, p in enumerate(params):
            a, b, c, d = params
            loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
            if k == 0 and t % 100 == 99:
                losses.append(loss.item())
            grad, = torch.autograd.grad(loss, p)
            with torch.no_grad():
                p -= lr * grad
    return tuple(p.detach() for p in params), losses
''', "recomputes the loss and the gradient after each coefficient's update",
        (r"taken after the coefficients before it|recomputed",)),
    Fresh("fit_tensor_drawn_in_float64", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g, dtype=x.dtype).to(x.device) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        ga, gb, gc, gd = poly_grads_tensor(x, y, y_pred)
        a, b, c, d = a - lr * ga, b - lr * gb, c - lr * gc, d - lr * gd
    return (a, b, c, d), losses
''', "draws the initial values in x's dtype (float64) where the docstring draws them in float32",
        (DTYPE,)),
    Fresh("fit_autograd_update_rebinds_loop_name", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p = p - lr * p.grad
            for p in params:
                p.grad = None
    return (a.detach(), b.detach(), c.detach(), d.detach()), losses
''', "the update rebinds the loop's name p (p = p - lr * p.grad), so no coefficient changes",
        (r"new tensor|never move|come back as they started",)),
    Fresh("fit_optim_rmsprop_alpha", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.9)
    else:
        raise ValueError(optimizer)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "RMSprop with alpha=0.9 where its default 0.99 is asked",
        (r"alpha|decay",)),
    Fresh("poly_grads_tensor_sign", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    grad_y_pred = 2.0 * (y - y_pred)
    gx = grad_y_pred * x
    gx2 = gx * x
    return grad_y_pred.sum(), gx.sum(), gx2.sum(), (gx2 * x).sum()
''', "2 (y - y_pred): every gradient has the wrong sign",
        (r"2 \* \(y_pred - y\)", r"opposite sign of the expected one")),
    Fresh("fit_optim_step_before_backward", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}: use 'sgd' or 'rmsprop'")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        opt.step()
        loss.backward()
    return losses
''', "opt.step() before loss.backward(): each step finds the gradients just zeroed",
        (r"found no gradients when it ran",)),
    # a blind round's generic message
    Fresh("poly_grads_tensor_times_2", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    grad_y_pred = 2.0 * (y_pred - y)
    return (grad_y_pred.sum(), (grad_y_pred * x).sum(), (grad_y_pred * x * 2).sum(),
            (grad_y_pred * x ** 3).sum())
''', "grad_c with x * 2 where x ** 2 is wanted",
        (r"x \* 2 where x \*\* 2",)),
    Fresh("fit_autograd_backward_twice", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward(retain_graph=True)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return tuple(p.detach() for p in params), losses
''', "calls backward() twice per step: every gradient doubled",
        (r"backward\(\) (is )?called twice|gradients are doubled",)),
    Fresh("fit_optim_l1_loss", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.L1Loss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "nn.L1Loss(reduction='sum') where nn.MSELoss(reduction='sum') is asked",
        (r"L1Loss|absolute errors",)),
    # blind round 8 (w158): two gradients unpacked in the wrong order
    Fresh("fit_tensor_grads_c_d_swapped", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        grad_c, grad_d = grad_d, grad_c
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "grad_c and grad_d swapped in the update",
        (r"c is updated with grad_d|d is updated with grad_c",)),
    # float64 parameters (the structure's dtypes)
    Fresh("polynomial3_float64_parameters", "Polynomial3", '''
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn((), dtype=torch.float64))
        self.b = nn.Parameter(torch.randn((), dtype=torch.float64))
        self.c = nn.Parameter(torch.randn((), dtype=torch.float64))
        self.d = nn.Parameter(torch.randn((), dtype=torch.float64))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + " \
               f"{self.d.item()} x^3"
''', "makes the parameters float64",
        (r"keep the parameters float32",)),
    # blind round 9 (w114): named by a visible check, not only by the hidden float64 runs
    Fresh("fit_tensor_drawn_in_x_dtype", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g, dtype=x.dtype).to(x.device) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "draws the initial values in x's dtype: in float64 they are not the float32 draws cast",
        (r"drawn in float64",), visible=True),
    # blind round 9 (w078): RMSprop's default lr
    Fresh("fit_optim_rmsprop_default_lr", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters())
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}: use 'sgd' or 'rmsprop'")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "RMSprop built without lr=: it uses its default 0.01, 10 times the lr asked",
        (r"is lr passed to the optimizer",), visible=True),
    # blind round 10 (w119, w124): forward in float32 whatever the input; string() rounded
    Fresh("polynomial3_forward_casts_to_float32", "Polynomial3", '''
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        x = x.float()
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + " \\
               f"{self.d.item()} x^3"
''', "x.float() inside forward: a float64 model and input compute in float32, losing precision",
        (r"float32 where float64 is asked, so only float32's precision",), visible=True),
    Fresh("polynomial3_string_g_format", "Polynomial3", '''
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item():g} + {self.b.item():g} x + {self.c.item():g} x^2 + " \\
               f"{self.d.item():g} x^3"
''', "string() formats with :g (6 significant digits), not each value in full",
        (r"each value in full",), visible=True),
    # blind round 10 (w117): one generator for all calls, seeded by the first
    Fresh("fit_tensor_generator_kept_between_calls", "fit_tensor", '''
_GENERATOR = []


def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    if not _GENERATOR:
        _GENERATOR.append(torch.Generator().manual_seed(seed))
    g = _GENERATOR[0]
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "one generator kept between calls, seeded by the first call only: a second call with the "
         "same seed draws other initial values",
        (r"depend on earlier calls",), visible=True),
    # blind round 11 (w080): a generator of its own per coefficient
    Fresh("fit_tensor_generator_per_coefficient", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    a, b, c, d = (torch.randn((), generator=torch.Generator().manual_seed(seed))
                  .to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "a new generator seeded with seed for each coefficient: a == b == c == d",
        (r"each was drawn from a generator of its own",), visible=True),
    # blind round 12 (w1209): the forward pass in float32 on float64 data
    Fresh("fit_tensor_forward_in_float32", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    xf = x.float()
    for t in range(steps):
        y_pred = (a + b * xf + c * xf ** 2 + d * xf ** 3).to(x.dtype)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "computes the forward pass in float32 (x.float()) on float64 data: float32's rounding",
        (DTYPE,), visible=True),
    # blind round 12 (w1212): the step before backward(), zero_grad() between them
    Fresh("fit_optim_step_then_backward", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.step()
        opt.zero_grad()
        loss.backward()
    return losses
''', "opt.step() before loss.backward(): each update uses the previous step's gradient",
        (r"previous step's gradient",), visible=True),
    # blind round 13 (w047): requires_grad_() before .to(x.device, x.dtype)
    Fresh("fit_autograd_requires_grad_before_to", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).requires_grad_().to(x.device, x.dtype)
              for _ in range(4)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return tuple(p.detach() for p in params), losses
''', "requires_grad_() before .to(x.device, x.dtype): on float64 x the parameters are not "
        "leaves and their .grad stays None",
        (r"\bleaf|requires_grad_\(\) last",), visible=True),
    # blind round 13 (w041's mistake, in tensors): grad_d with 3 x**2, the derivative in x
    Fresh("poly_grads_tensor_d_derivative_in_x", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return g.sum(), (g * x).sum(), (g * x ** 2).sum(), (g * 3 * x * x).sum()
''', "grad_d uses 3 x**2 (the derivative of x**3 with respect to x) where x**3 is wanted",
        (r"derivative of x\*\*3 with respect to x",), visible=True),
    # blind round 14 (w079): the optimizer built anew in every step
    Fresh("fit_optim_new_optimizer_each_step", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer not in ("sgd", "rmsprop"):
        raise ValueError(optimizer)
    losses = []
    for t in range(steps):
        if optimizer == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=lr)
        else:
            opt = torch.optim.RMSprop(model.parameters(), lr=lr)
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
''', "builds the optimizer anew in every step: RMSprop's state starts empty each time",
        (r"new optimizer is built in every step",), visible=True),
    # blind round 15 (w075): y_pred computed again after a's update, before b's, c's and d's
    Fresh("fit_tensor_regrad_after_a", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, _, _, _ = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        _, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "computes y_pred again after updating a, before the gradients of b, c and d",
        (r"taken anew after a was updated",), visible=True),
]
