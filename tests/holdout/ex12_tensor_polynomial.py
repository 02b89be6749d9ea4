"""Hold-out mistakes of ex12 (the cubic fit with tensors, autograd, nn and optim)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("grads_stacked", "poly_grads_tensor", '''
def poly_grads_tensor(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return torch.stack([g.sum(), (g * x).sum(), (g * x ** 2).sum(), (g * x ** 3).sum()])
''', "one stacked tensor of shape (4,), not four 0-dim tensors"),
    Wrong("tensor_generator_per_parameter", "fit_tensor", '''
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    a, b, c, d = (torch.randn((), generator=torch.Generator().manual_seed(seed)).to(x.device,
                                                                                   x.dtype)
                  for _ in range(4))
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
''', "a new generator for each coefficient: a == b == c == d"),
    Wrong("autograd_mean_loss", "fit_autograd", '''
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).mean()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return tuple(p.detach() for p in params), losses
''', "the mean of the squared errors, not their sum"),
    Wrong("poly3_plain_tensors", "Polynomial3", '''
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.randn((), requires_grad=True)
        self.b = torch.randn((), requires_grad=True)
        self.c = torch.randn((), requires_grad=True)
        self.d = torch.randn((), requires_grad=True)

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + " \\
               f"{self.d.item()} x^3"
''', "plain tensors, not nn.Parameter: the module has no parameters"),
    Wrong("optim_rmsprop_fixed_lr", "fit_optim", '''
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
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
''', "the tutorial's RMSprop lr=1e-3 hard-coded"),
]
