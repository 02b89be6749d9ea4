"""The wrong programs of ex12: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"grads_cpu"}

_FIT_TENSOR = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        RECORD
        ga, gb, gc, gd = GRADS
        a, b, c, d = a UPDATE lr * ga, b UPDATE lr * gb, c UPDATE lr * gc, d UPDATE lr * gd
        AFTER
    return (a, b, c, d), losses
"""


def fit_tensor(record="if t % 100 == 99:\n            losses.append(loss.item())",
               grads="poly_grads_tensor(x, y, y_pred)", update="-", after="pass"):
    return (_FIT_TENSOR.replace("RECORD", record).replace("GRADS", grads)
            .replace("UPDATE", update).replace("AFTER", after))


_FIT_AUTOGRAD = """
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
                p -= lr * p.grad * SCALE
                ZERO
    return tuple(p.detach() for p in params), losses
"""


def fit_autograd(scale="1.0", zero="p.grad = None"):
    return _FIT_AUTOGRAD.replace("SCALE", scale).replace("ZERO", zero)


_FIT_OPTIM = """
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction=REDUCTION)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = RMSPROP(model.parameters(), lr=lr)
    else:
        UNKNOWN
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        ZERO
        loss.backward()
        opt.step()
        if t % 100 == 99:
            losses.append(LOSS)
    return losses
"""


def fit_optim(reduction='"sum"', rmsprop="torch.optim.RMSprop",
              unknown="raise ValueError(optimizer)", zero="opt.zero_grad()", loss="loss.item()"):
    return (_FIT_OPTIM.replace("REDUCTION", reduction).replace("RMSPROP", rmsprop)
            .replace("UNKNOWN", unknown).replace("ZERO", zero).replace("LOSS", loss))


MUTANTS = [
    Mutant("poly3_one_vector", """
     class Polynomial3(nn.Module):
         def __init__(self):
             super().__init__()
             self.coefficients = nn.Parameter(torch.randn(4))
         def forward(self, x):
             a, b, c, d = self.coefficients
             return a + b * x + c * x ** 2 + d * x ** 3
         def string(self):
             a, b, c, d = self.coefficients.tolist()
             return f"y = {a} + {b} x + {c} x^2 + {d} x^3"
     """, "Polynomial3", "load their parameters into your model by name"),
    Mutant("grads_no_factor2", """
     def poly_grads_tensor(x, y, y_pred):
         r = y_pred - y
         return r.sum(), (r * x).sum(), (r * x ** 2).sum(), (r * x ** 3).sum()
     """, "poly_grads_tensor", "factor 2"),
    Mutant("grads_mean", """
     def poly_grads_tensor(x, y, y_pred):
         g = 2.0 * (y_pred - y)
         return g.mean(), (g * x).mean(), (g * x ** 2).mean(), (g * x ** 3).mean()
     """, "poly_grads_tensor", "do not divide by N"),
    Mutant("grads_sign", """
     def poly_grads_tensor(x, y, y_pred):
         g = 2.0 * (y - y_pred)
         return g.sum(), (g * x).sum(), (g * x ** 2).sum(), (g * x ** 3).sum()
     """, "poly_grads_tensor", "sign is flipped"),
    Mutant("grads_floats", """
     _orig_grads = poly_grads_tensor
     def poly_grads_tensor(x, y, y_pred):
         return tuple(g.item() for g in _orig_grads(x, y, y_pred))
     """, "poly_grads_tensor", "Python number"),
    Mutant("grads_autograd", """
     def poly_grads_tensor(x, y, y_pred):
         p = torch.zeros(4, dtype=x.dtype, requires_grad=True)
         loss = ((y_pred - y + p[0] + p[1] * x + p[2] * x ** 2 + p[3] * x ** 3) ** 2).sum()
         loss.backward()
         return tuple(p.grad)
     """, "poly_grads_tensor", "by hand"),
    Mutant("grads_cpu", """
     _orig_grads = poly_grads_tensor
     def poly_grads_tensor(x, y, y_pred):
         return tuple(g.cpu() for g in _orig_grads(x, y, y_pred))
     """, "poly_grads_tensor", "left on the CPU"),
    Mutant("tensor_adds_gradient", fit_tensor(update="+"), "fit_tensor", "adds the gradient"),
    Mutant("tensor_mean_gradients", fit_tensor(grads="(g / len(x) for g in "
                                               "poly_grads_tensor(x, y, y_pred))"),
     "fit_tensor", "divided by N"),
    Mutant("tensor_loss_after_update", fit_tensor(
        record="pass", after="if t % 100 == 99:\n            "
                             "losses.append((a + b * x + c * x ** 2 + d * x ** 3 - y)"
                             ".pow(2).sum().item())"),
     "fit_tensor", "after the update"),
    Mutant("tensor_records_t0", fit_tensor(record="if t % 100 == 0:\n            "
                                            "losses.append(loss.item())"),
     "fit_tensor", "t % 100 == 99"),
    Mutant("tensor_uses_autograd", """
     def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
         return fit_autograd(x, y, lr, steps, seed)
     """, "fit_tensor", "by hand"),
    Mutant("tensor_uniform_init", fit_tensor().replace("torch.randn((), generator=g)",
                                                 "torch.rand((), generator=g)"),
     "fit_tensor", "the initial values"),
    Mutant("autograd_not_zeroed", fit_autograd(zero="pass"), "fit_autograd", "not zeroed"),
    Mutant("autograd_rebinds", """
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
                 a = a - lr * a.grad
                 b = b - lr * b.grad
                 c = c - lr * c.grad
                 d = d - lr * d.grad
                 a.grad.zero_()
                 b.grad.zero_()
                 c.grad.zero_()
                 d.grad.zero_()
         return (a, b, c, d), losses
     """, "fit_autograd", "rebinds the name a"),
    Mutant("autograd_adds_gradient", fit_autograd(scale="-1.0"), "fit_autograd",
     "adds the gradient"),
    Mutant("autograd_half_gradient", fit_autograd(scale="0.5"), "fit_autograd", "factor 2"),
    Mutant("poly3_reversed", """
     class Polynomial3(Polynomial3):
         def forward(self, x):
             return self.d + self.c * x + self.b * x ** 2 + self.a * x ** 3
     """, "Polynomial3", "wrong order"),
    Mutant("poly3_vector", """
     class Polynomial3(nn.Module):
         def __init__(self):
             super().__init__()
             self.coef = nn.Parameter(torch.randn(4))
         def forward(self, x):
             return self.coef[0] + self.coef[1] * x + self.coef[2] * x ** 2 + self.coef[3] * x ** 3
         def string(self):
             a, b, c, d = self.coef.tolist()
             return f"y = {a} + {b} x + {c} x^2 + {d} x^3"
     """, "Polynomial3", "parameters"),
    Mutant("poly3_string_parameter", """
     class Polynomial3(Polynomial3):
         def string(self):
             return f"y = {self.a} + {self.b} x + {self.c} x^2 + {self.d} x^3"
     """, "Polynomial3", ".item()"),
    Mutant("poly3_forward_side_effect", """
     class Polynomial3(Polynomial3):
         def forward(self, x):
             out = super().forward(x)
             with torch.no_grad():
                 self.a.mul_(1.01)
             return out
     """, "Polynomial3", "unchanged"),
    Mutant("optim_no_zero_grad", fit_optim(zero="pass"), "fit_optim", "not zeroed"),
    Mutant("optim_mean_loss", fit_optim(reduction='"mean"'), "fit_optim", 'reduction="sum"'),
    Mutant("optim_rmsprop_is_sgd", fit_optim(rmsprop="torch.optim.SGD"), "fit_optim",
     "SGD was used"),
    Mutant("optim_loss_after_step", fit_optim(loss="loss_fn(model(x), y).item()"), "fit_optim",
     "after the optimizer step"),
    Mutant("optim_unknown_name_ignored",
           fit_optim(unknown="opt = torch.optim.SGD(model.parameters(), lr=lr)"), "fit_optim",
           "ValueError"),
    Mutant("grads_negated", """
     _ref_poly_grads_tensor = poly_grads_tensor
     def poly_grads_tensor(x, y, y_pred):
         return tuple(-g for g in _ref_poly_grads_tensor(x, y, y_pred))
     """, "poly_grads_tensor", "sign is flipped",
           what="poly_grads_tensor flips the sign of every gradient"),
    Mutant("optim_always_sgd", """
     _ref_fit_optim = fit_optim
     def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
         return _ref_fit_optim(model, x, y, lr, steps, "sgd")
     """, "fit_optim", "SGD was used",
           what="fit_optim always uses SGD, even when RMSprop is asked for"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("grads_negated", "optim_always_sgd")

# Other correct ways: autograd's p.grad.zero_(), optimizer.zero_grad(set_to_none=False),
# torch.pow, a loss written out instead of nn.MSELoss.
ALTERNATIVES = {"other_ways": """def poly_grads_tensor(x, y, y_pred):
    g = 2 * (y_pred - y)
    return tuple((g * torch.pow(x, k)).sum() for k in range(4))

def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
                  for _ in range(4))
    losses = []
    for t in range(steps):
        loss = ((a + b * x + c * x ** 2 + d * x ** 3 - y) ** 2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p.sub_(lr * p.grad)
                p.grad.zero_()
    return (a, b, c, d), losses

def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    names = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}
    if optimizer not in names:
        raise ValueError(optimizer)
    opt = names[optimizer](model.parameters(), lr=lr)
    losses = []
    for t in range(steps):
        opt.zero_grad(set_to_none=False)
        loss = ((model(x) - y) ** 2).sum()
        loss.backward()
        opt.step()
        if t % 100 == 99:
            losses.append(float(loss))
    return losses
"""}
