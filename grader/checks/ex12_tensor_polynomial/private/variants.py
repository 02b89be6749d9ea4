"""The known wrong answers of ex12, computed in the grading process: the cubic fits
(fit_tensor, fit_autograd) and fit_optim's run with a known mistake, and the cubic with its
coefficients reversed."""
import torch

from grader.checks.api import record_steps


def _cubic(x, a, b, c, d):
    return a + b * x + c * x ** 2 + d * x ** 3


def reversed_cubic(state, x):
    """Polynomial3's output with the coefficients in the wrong order: d + c x + b x^2 + a x^3."""
    s = {k: v.to(x) for k, v in state.items()}
    return _cubic(x, s["d"], s["c"], s["b"], s["a"])


def fit_variant(x, y, lr, steps, seed, *, sign=1.0, scale=1.0, after=False, when=99,
                accumulate=False, in_turn=False, used=(0, 1, 2, 3), drawn=torch.float32,
                regrad=()):
    """A cubic fit with a known mistake, in x's dtype on x's device: the update's sign flipped
    (sign=-1; sign=0: every update subtracts zero, the gradients zeroed before it), the
    gradients scaled (scale), the loss recorded after the update (after), at the wrong steps
    (when=0), the gradients adding up over the steps (accumulate), or each coefficient's
    gradient taken after the ones before it were updated (in_turn: the gradients recomputed in
    the middle of the update), or coefficient k updated with coefficient used[k]'s gradient,
    or the initial values drawn in another dtype than float32 (drawn=torch.float64), or the
    gradients taken anew after the update of the coefficients numbered in `regrad` (in_turn is
    regrad=(0, 1, 2))."""
    if in_turn:
        regrad = (0, 1, 2)
    if (sign, scale, after, when, accumulate, tuple(regrad), tuple(used), drawn) == \
            (1.0, 1.0, False, 99, False, (), (0, 1, 2, 3), torch.float32):
        raise ValueError("not a known mistake")
    g = torch.Generator().manual_seed(seed)
    p = [torch.randn((), generator=g, dtype=drawn).to(x.device, x.dtype) for _ in range(4)]
    acc = [torch.zeros((), dtype=x.dtype, device=x.device) for _ in range(4)]
    losses = []
    for t in range(steps):
        yp = _cubic(x, *p)
        loss = ((yp - y) ** 2).sum()
        gy = 2.0 * (yp - y)
        grads = [(gy * x ** k).sum() * scale for k in range(4)]
        grads = [grads[u] for u in used]
        if accumulate:
            acc = [a + gk for a, gk in zip(acc, grads)]
            grads = acc
        if regrad:
            for k in range(4):
                p[k] = p[k] - sign * lr * grads[k]
                if k in regrad:
                    gy = 2.0 * (_cubic(x, *p) - y)
                    grads = [(gy * x ** j).sum() * scale for j in range(4)]
                    grads = [grads[u] for u in used]
        else:
            p = [v - sign * lr * gk for v, gk in zip(p, grads)]
        if t % 100 == when:
            if after:
                loss = ((_cubic(x, *p) - y) ** 2).sum()
            losses.append(loss.item())
    return tuple(p), losses


def float64_draws(x, seed):
    """What a fit returns at steps=0 with its initial values drawn in float64 (randn with
    dtype=torch.float64, or x's dtype) instead of float32: ((a, b, c, d), [])."""
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn((), generator=g, dtype=torch.float64).to(x.device, x.dtype)
                 for _ in range(4)), []


def fit_float64_draws(x, y, lr, steps, seed):
    """A fit whose initial values are drawn in float64, run for `steps` steps."""
    return fit_variant(x, y, lr, steps, seed, drawn=torch.float64)


# the sets of coefficients after whose update alone the gradients are taken anew ((0, 1, 2),
# after each, is in_turn)
REGRADS = [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]


def fit_mistakes(x, y, lr, steps, seed, func):
    """{key: ((a, b, c, d), losses)} of the usual wrong fits of `func` ("fit_tensor",
    "fit_autograd"): sign, mean (gradients divided by N), half (the factor 2 missing), after,
    when, in_turn (each gradient taken after the coefficients before it were updated), and for
    fit_autograd double (every gradient doubled: backward() twice a step), no_zero (the
    gradients never zeroed) and zero_before (zeroed before the update)."""
    m = {"sign": fit_variant(x, y, lr, steps, seed, sign=-1.0),
         "mean": fit_variant(x, y, lr, steps, seed, scale=1.0 / len(x)),
         "half": fit_variant(x, y, lr, steps, seed, scale=0.5),
         "after": fit_variant(x, y, lr, steps, seed, after=True),
         "when": fit_variant(x, y, lr, steps, seed, when=0)}
    if func == "fit_autograd":
        m["double"] = fit_variant(x, y, lr, steps, seed, scale=2.0)
        m["no_zero"] = fit_variant(x, y, lr, steps, seed, accumulate=True)
        m["zero_before"] = fit_variant(x, y, lr, steps, seed, sign=0.0)
    m["in_turn"] = fit_variant(x, y, lr, steps, seed, in_turn=True)
    for r in REGRADS:    # the gradients taken anew after some of the updates only
        m[f"regrad_{''.join(map(str, r))}"] = fit_variant(x, y, lr, steps, seed, regrad=r)
    for i in range(4):   # coefficient i updated with coefficient j's gradient
        for j in range(4):
            if i != j:
                used = tuple(j if k == i else k for k in range(4))
                m[f"cross_{i}{j}"] = fit_variant(x, y, lr, steps, seed, used=used)
    return m


class _Cubic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for name in "abcd":
            setattr(self, name, torch.nn.Parameter(torch.zeros(())))

    def forward(self, x):
        return _cubic(x, self.a, self.b, self.c, self.d)


OPTIMIZERS = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
              "adagrad": torch.optim.Adagrad}


def optim_variant(state, x, y, lr, steps, optimizer, *, zero=True, reduction="sum",
                  after=False, used=None, momentum=0.0, alpha=None, loss="mse", lagged=False,
                  fresh=False):
    """fit_optim(model, x, y, lr, steps, optimizer) with a known mistake: the gradients never
    zeroed (zero=False), a mean loss (reduction="mean"), the loss recorded after the step
    (after), or another optimizer than the one named (used="sgd", "adam", "adagrad"), or the
    named one with a momentum none asked for (momentum=0.9), or RMSprop with another decay
    of its average of squared gradients than its default 0.99 (alpha=0.9), or nn.L1Loss for
    the squared error (loss="l1"), or the optimizer stepped before backward() (lagged: each
    update uses the previous step's gradient, none at the first), or a new optimizer built in
    every step (fresh: its state, RMSprop's running average, starts empty at each step). The
    recorded losses and the parameters after every optimizer step."""
    used = used or optimizer
    if (zero, reduction, after, used, momentum, alpha, loss, lagged, fresh) == \
            (True, "sum", False, optimizer, 0.0, None, "mse", False, False):
        raise ValueError("not a known mistake")
    model = _Cubic()
    model.load_state_dict(state)
    model = model.to(x.device, x.dtype)
    loss_fn = (torch.nn.L1Loss if loss == "l1" else torch.nn.MSELoss)(reduction=reduction)
    def build():
        return OPTIMIZERS[used](model.parameters(), lr=lr,
                                **({"momentum": momentum} if momentum else {}),
                                **({"alpha": alpha} if alpha is not None else {}))
    opt = build()
    losses = []
    with record_steps(model) as rec:
        for t in range(steps):
            if fresh:
                opt = build()
            loss = loss_fn(model(x), y)
            if lagged:
                opt.step()
                opt.zero_grad()
                loss.backward()
            else:
                if zero:
                    opt.zero_grad()
                loss.backward()
                opt.step()
            if t % 100 == 99:
                losses.append(loss_fn(model(x), y).item() if after else loss.item())
    return {"losses": losses, "steps": rec.trace()}
