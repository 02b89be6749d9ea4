"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions_b.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex04 w made float32 for float64 data (visible and hidden): losses rounded to float32 with a
       float64 w are not named so
  ex12 the initial values drawn in float64 (now also in a visible check): draws from another
       seed are not named so
  ex09 two loaders sharing one random stream (now also in a visible check): a loader whose
       seed moves with every call is not named so
  any training run whose first update is one factor times the reference's on every parameter
       (the learning rate; ex12 fit_optim, ex05 fit): one parameter's gradient scaled, and a
       factor that sets in after the first step (lr * (t + 1)), are not named so
  ex10 an overflow said as NaN or inf as its values are: the log of a softmax gives inf, a
       softmax without its maximum NaN
and, for the fits of ex11 and ex12, one diagnosis in every check of a function: no check says
"no known mistake" while another names a cause, and each visible check names it
"""
from __future__ import annotations

import re

import pytest

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex04 train_autograd on float64 data: w made float32, or the losses rounded to float32

LOSSES_ROUNDED = """
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
                w.grad.zero_()
            last = loss.float().item()
        losses.append(last)
    return w.item(), losses
"""


def test_w_float32_only_where_w_is_a_float32_number(grade):
    right = hints_of(grade("ex04", fresh_code("ex04", "train_autograd_w_float32_cpu"),
                           targets=["train_autograd"]), "train_autograd", visible=True)
    assert any_hint(right, r"float64: w is float32 \(torch\.tensor"), right
    other = hints_of(grade("ex04", LOSSES_ROUNDED, targets=["train_autograd"]),
                     "train_autograd")
    assert not any_hint(other, r"(is|are) float32 \(torch\.tensor"), other


# -- ex12 fit_tensor's initial values on float64 x: drawn in float64, or from another seed

OTHER_SEED = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed + 1)
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
"""


def test_drawn_in_float64_only_where_the_draws_are_float64_ones(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_drawn_in_x_dtype"),
                           targets=["fit_tensor"]), "fit_tensor", visible=True)
    assert any_hint(right, r"drawn in float64"), right
    other = hints_of(grade("ex12", OTHER_SEED, targets=["fit_tensor"]), "fit_tensor")
    assert not any_hint(other, r"float64"), other


# -- ex09 two loaders of one seed iterated in turn: one shared stream, or a seed that moves

SEED_MOVES = """
_CALLS = [0]


def make_loader(dataset, batch_size, shuffle, seed):
    _CALLS[0] += 1
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed + _CALLS[0]))
"""


def test_shared_stream_only_where_the_second_loader_continues_the_first(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "loader_shared_generator"),
                           targets=["make_loader"]), "make_loader", visible=True)
    assert any_hint(right, r"share one random stream"), right
    other = hints_of(grade("ex09", SEED_MOVES, targets=["make_loader"]), "make_loader")
    assert not any_hint(other, r"share one random stream"), other


# -- a training run's updates: all scaled by one factor in every step (the learning rate), one
#    parameter's gradient scaled, or a factor that changes from step to step

def _fit_optim(sgd_lr="lr", after_backward=""):
    return f"""
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr={sgd_lr})
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    else:
        raise ValueError(f"unknown optimizer {{optimizer!r}}: use 'sgd' or 'rmsprop'")
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        {after_backward or 'pass'}
        opt.step()
    return losses
"""


SGD_LR_TIMES_3 = _fit_optim(sgd_lr="3 * lr")
ONE_GRADIENT_SCALED = _fit_optim(after_backward="model.b.grad *= 3")
LR_GROWS = _fit_optim(after_backward="opt.param_groups[0]['lr'] = lr * (t + 1)")

FIT_LR_TIMES_3 = """
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    losses = []
    for _ in range(iters):
        loss = mse_loss(y, x * w + b)
        for p in (w, b):
            if p.grad is not None:
                p.grad.zero_()
        loss.backward()
        sgd_update_((w, b), 3 * lr)
        losses.append(loss.item())
    return w, b, losses
"""


def test_lr_only_where_every_update_has_one_factor(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_optim_rmsprop_default_lr"),
                           targets=["fit_optim"]), "fit_optim", visible=True)
    assert any_hint(right, r"first update is 10 times the expected one"), right
    sgd = hints_of(grade("ex12", SGD_LR_TIMES_3, targets=["fit_optim"]), "fit_optim")
    assert sgd and all(re.search(r"first update is 3 times", h) for h in sgd), sgd
    fit = hints_of(grade("ex05", FIT_LR_TIMES_3, targets=["fit"]), "fit")
    assert any_hint(fit, r"first update is 3 times the expected one"), fit
    for other in (ONE_GRADIENT_SCALED, LR_GROWS):
        hints = hints_of(grade("ex12", other, targets=["fit_optim"]), "fit_optim")
        assert not any_hint(hints, r"first update is|is lr passed"), hints


# -- one diagnosis per function: where one check of a function names a cause, no other check
#    of it says that no known mistake gives its values (blind round 9: w070, w072, w076), and
#    the course's run and the long runs name the same cause

def _fit_numpy(record_at="99", after=False):
    before = "" if after else f"""
        if t % 100 == {record_at}:
            losses.append(poly_loss(y_pred, y))"""
    late = f"""
        if t % 100 == {record_at}:
            losses.append(poly_loss(poly_forward(x, a, b, c, d), y))""" if after else ""
    return f"""
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d){before}
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d{late}
    return (a, b, c, d), losses
"""


FIT_AUTOGRAD_MEAN = """
def fit_autograd(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn((), generator=g).to(x.device, x.dtype).requires_grad_()
              for _ in range(4)]
    a, b, c, d = params
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).mean()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    return tuple(p.detach() for p in params), losses
"""

ONE_DIAGNOSIS = [("ex11", "fit_numpy", _fit_numpy(record_at="0"),
                  r"steps 0, 100, 200|step 0 is recorded"),
                 ("ex11", "fit_numpy", _fit_numpy(after=True), r"after the update"),
                 ("ex12", "fit_autograd", FIT_AUTOGRAD_MEAN, r"divided by N = \d+")]


@pytest.mark.parametrize("ex,target,code,cause", ONE_DIAGNOSIS,
                         ids=["record_step_0", "record_after_update", "mean_loss"])
def test_no_check_denies_a_cause_another_names(grade, ex, target, code, cause):
    result = grade(ex, code, targets=[target])
    checks = failing(result, target)
    assert any(c.hints for c in checks), [c.message for c in checks]
    denying = [c.message for c in checks if "no known mistake" in c.message]
    assert not denying, denying
    visible = [c for c in checks if c.visible]
    assert visible and all(any(re.search(cause, h) for h in c.hints) for c in visible), \
        [c.message for c in visible]


# -- what an overflow gives, said from the values: inf from the log of a softmax's 0 (w061), NaN
#    from a softmax's inf / inf

LOG_OF_SOFTMAX = """
def cross_entropy(logits, targets):
    p = softmax(logits, dim=1)
    return -p.gather(1, targets.unsqueeze(1)).squeeze(1).log().mean()
"""

SOFTMAX_NO_MAX = """
def softmax(z, dim=-1):
    e = z.exp()
    return e / e.sum(dim=dim, keepdim=True)
"""


def test_an_overflow_is_said_as_its_values_are(grade):
    inf = hints_of(grade("ex10", LOG_OF_SOFTMAX, targets=["cross_entropy"]), "cross_entropy")
    # a softmax of its own that subtracts the max, then log: the inf is log(0), an underflow
    assert any_hint(inf, r"log\(softmax\) underflows") and not any_hint(inf, r"NaN"), inf
    nan = hints_of(grade("ex10", SOFTMAX_NO_MAX, targets=["softmax"]), "softmax")
    assert any_hint(nan, r"so the result is NaN"), nan
