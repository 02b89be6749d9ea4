"""Hidden checks of ex10: random logits, targets, sizes, states and data drawn from the run's
seed, compared with the reference on every device and dtype; the gradient also with the closed
form, autograd and a float64 central difference; training compared optimizer step by step."""
import pytest
import torch

from grader.checks.api import (GRADCHECK_TOL, assert_close, autograd_grad, central_difference,
                               check, devices, dtypes, fail, gen, manual_call, randn, reference,
                               reference_probe)
from grader.checks.ex10_softmax_classifier.private import variants as wrong
from grader.checks.ex10_softmax_classifier.ships import mistakes as hints
from grader.checks.ex10_softmax_classifier.ships.mistakes import (ce_mistakes, grad_mistakes,
                                                                  softmax_mistakes)
from grader.checks.ex10_softmax_classifier.ships.shared import (X_DATA, Y_DATA,
                                                                assert_close_at,
                                                                call_cross_entropy, call_softmax,
                                                                check_forward,
                                                                normalises_over_rows,
                                                                overflows,
                                                                check_predict, check_structure,
                                                                check_training,
                                                                classes_from_targets)

pytestmark = pytest.mark.ex10

F = torch.nn.functional


def _logits(seed, name, dtype, device, scale=2.0):
    """Random logits (n, c) and targets, n != c: a sum over the classes that loses its
    dimension, (n,), would broadcast against a square (n, n) and pass unnoticed."""
    g = gen(seed, name)
    n, c = int(torch.randint(3, 12, (), generator=g)), int(torch.randint(2, 7, (), generator=g))
    n += n == c
    z = randn(g, n, c, dtype=dtype, device=device, scale=scale)
    t = torch.randint(0, c, (n,), generator=g).to(device)
    return z, t


def _large_logits(seed, name, dtype, device, scale=1000.0):
    """Random logits of size ~`scale`, with row 0's largest 2 * scale below the largest of all
    (a softmax that subtracts the largest of all, not of each row, underflows the whole row)
    and row 1's target 2 * scale below the rest of its row (the log of a softmax underflows to
    -inf there, where log-sum-exp stays finite)."""
    z, t = _logits(seed, name, dtype, device, scale)
    z[0] -= z[0].max() - z.max() + 2 * scale
    z[1, t[1]] = z[1].min() - 2 * scale
    return z, t


def _sizes(g):
    return (4, int(torch.randint(3, 10, (), generator=g)), 3)


def _state(g, sizes):
    d, h, c = sizes
    shapes = {"hidden.weight": (h, d), "hidden.bias": (h,), "output.weight": (c, h),
              "output.bias": (c,)}
    return {k: (torch.rand(s, generator=g) * 2 - 1) / (s[-1] ** 0.5) for k, s in shapes.items()}


def _rows(g, n):
    idx = torch.randperm(len(X_DATA), generator=g)[:n]
    return X_DATA[idx], Y_DATA[idx]


def _mixed_state(g, sizes, x):
    """A random state under which the rows of x do not all fall in one class (a constant answer
    would match that), and some row's class changes without the ReLU (a classifier that forgets
    it would match otherwise): drawn again until both hold."""
    for _ in range(50):
        state = _state(g, sizes)
        pre = x.double() @ state["hidden.weight"].double().T + state["hidden.bias"]
        classes = [(h @ state["output.weight"].double().T + state["output.bias"]).argmax(dim=1)
                   for h in (torch.relu(pre), pre)]
        if len(torch.unique(classes[0])) > 1 and not torch.equal(*classes):
            return state
    return state


# ----------------------------------------------------------------------------------------------
# softmax, cross_entropy, cross_entropy_grad

@check("softmax")
@devices()
@dtypes()
def test_softmax_random(sub, seed, device, dtype):
    """softmax matches the reference on random logits, along dim 0, 1 and -1 of a 3-D tensor"""
    g = gen(seed, "softmax")
    z = randn(g, 3, 5, 4, dtype=dtype, device=device, scale=3.0)
    for dim in (-1, 1, 0):
        want = reference("ex10.softmax", z, dim=dim, grad=False)
        others = {hints.wrong_dim(d): torch.softmax(z, d) for d in (0, 1, 2)
                  if d % 3 != dim % 3}
        assert_close(call_softmax(sub, z, dim=dim), want,
                     call=f"softmax(z (3, 5, 4), dim={dim}) on {device}", mistakes=others)


@check("softmax", points=2)
@devices()
@dtypes()
def test_softmax_large_random(sub, seed, device, dtype):
    """softmax of random logits of size ~1000 stays finite and exact to the dtype's rounding"""
    z, _ = _large_logits(seed, "softmax_large", dtype, device)
    want = reference("ex10.softmax", z, grad=False)
    got = call_softmax(sub, z)
    assert_close_at(got, want, z, call=f"softmax(z {tuple(z.shape)} with logits of size ~1000)",
                    mistakes=lambda: {**softmax_mistakes(wrong.softmax_mistakes(z)),
                                      **hints.normalised_elsewhere(got)})


@check("cross_entropy", points=2)
@devices()
@dtypes()
def test_cross_entropy_random(sub, seed, device, dtype):
    """cross_entropy matches the reference and F.cross_entropy on random logits"""
    z, t = _logits(seed, "ce", dtype, device)
    want = reference("ex10.cross_entropy", z, t, grad=False)
    got = call_cross_entropy(sub, z, t)
    call = f"cross_entropy(logits {tuple(z.shape)}, targets) on {device}"
    assert_close(got, want, call=call, mistakes=lambda: ce_mistakes(
        wrong.ce_mistakes(z, t), want, len(z), dim0=normalises_over_rows(sub), logits=z))
    assert_close(got, F.cross_entropy(z, t), call=call, context="against F.cross_entropy")


@check("cross_entropy", points=2)
@devices()
@dtypes()
def test_cross_entropy_large_random(sub, seed, device, dtype):
    """cross_entropy of random logits of size ~1000 is finite (log-sum-exp)"""
    z, t = _large_logits(seed, "ce_large", dtype, device)
    want = reference("ex10.cross_entropy", z, t, grad=False)
    assert_close_at(call_cross_entropy(sub, z, t), want, z,
                    call=f"cross_entropy(logits {tuple(z.shape)} of size ~1000, targets)",
                    mistakes=lambda: ce_mistakes(wrong.ce_mistakes(z, t), want, len(z),
                                                 dim0=normalises_over_rows(sub),
                                                 overflows=overflows(sub, device)))


@check("cross_entropy_grad", points=2)
@devices()
@dtypes()
def test_grad_random(sub, seed, device, dtype):
    """cross_entropy_grad matches the reference on random logits (autograd off), where no
    target is the last class"""
    z, t = _logits(seed, "grad", dtype, device)
    t = t % (z.shape[1] - 1)   # the classes come from the logits, not from the targets
    want = reference("ex10.cross_entropy_grad", z, t, grad=False)
    call = f"cross_entropy_grad(logits {tuple(z.shape)}, targets) on {device}"
    with classes_from_targets(sub, z, t, call=call):
        assert_close(manual_call(sub, "ex10.cross_entropy_grad", z, t), want, call=call,
                     mistakes=grad_mistakes(wrong.grad_mistakes(z, t), want, len(z)))


@check("cross_entropy_grad", points=2)
@devices()
def test_grad_closed_form_autograd_fd(sub, seed, device):
    """cross_entropy_grad equals the closed form, autograd and a float64 central difference"""
    z, t = _logits(seed, "grad_oracles", torch.float64, device)
    got = manual_call(sub, "ex10.cross_entropy_grad", z, t)
    n, c = z.shape
    closed = (torch.softmax(z, 1) - F.one_hot(t, c).to(z.dtype)) / n
    zc, tc = z.cpu(), t.cpu()

    def loss(v):
        return F.cross_entropy(v, tc)
    rtol, atol = GRADCHECK_TOL
    for name, want in (("the closed form (softmax - one_hot) / N", closed),
                       ("autograd", autograd_grad(loss, zc).to(device)),
                       ("a float64 central difference", central_difference(loss, zc).to(device))):
        assert_close(got, want, call="cross_entropy_grad(logits, targets)", rtol=rtol,
                     atol=atol, context=f"against {name}",
                     mistakes=grad_mistakes(wrong.grad_mistakes(z, t), want, n))


# ----------------------------------------------------------------------------------------------
# SoftmaxClassifier, predict_classes

@check("SoftmaxClassifier")
def test_classifier_structure_random(sub, seed):
    """SoftmaxClassifier(D, H, C) for random sizes has the layers and parameter shapes asked for"""
    g = gen(seed, "structure")
    sizes = tuple(int(v) for v in torch.randint(2, 12, (3,), generator=g))
    got = sub.probe("common.model_structure", "ex10", "SoftmaxClassifier", sizes)
    check_structure(got, sizes, f"SoftmaxClassifier{sizes}")


@check("SoftmaxClassifier", points=2)
@devices()
@dtypes()
def test_classifier_forward_random(sub, seed, device, dtype):
    """SoftmaxClassifier with a random state returns the reference's logits, no side effects"""
    g = gen(seed, "forward")
    sizes = _sizes(g)
    state = _state(g, sizes)
    x = _rows(g, 13)[0].to(device, dtype)
    got = sub.probe("ex10.forward", "ex10", sizes, state, x)
    want = reference_probe("ex10.forward", "ex10", sizes, state, x)
    check_forward(got, want, f"model(x) with a random state, hidden={sizes[1]}, on {device}",
                  lambda: wrong.forward_mistakes(state, x))


@check("predict_classes", uses=("SoftmaxClassifier",))
@devices()
def test_predict_random(sub, seed, device):
    """predict_classes with a random state: int64 argmax of the logits, without a graph"""
    g = gen(seed, "predict")
    sizes = _sizes(g)
    x = _rows(g, 25)[0]
    state = _mixed_state(g, sizes, x)
    x = x.to(device)
    want = reference_probe("ex10.predict", "ex10", sizes, state, x)
    logits = reference_probe("ex10.forward", "ex10", sizes, state, x)["result"]
    got = sub.probe("ex10.predict", "ex10", sizes, state, x)
    check_predict(got, want["result"], logits, f"predict_classes(model, x (25, 4)) on {device}")
    assert_close(got["state"], want["state"], call="predict_classes(model, x)",
                 context="the parameters must be unchanged")


# ----------------------------------------------------------------------------------------------
# train_classifier

@check("train_classifier", points=3, uses=("SoftmaxClassifier",))
@devices()
@dtypes()
def test_train_random(sub, seed, device, dtype):
    """train_classifier from a random state on random rows follows the reference step by step"""
    g = gen(seed, "train")
    sizes = _sizes(g)
    state = _state(g, sizes)
    batch_size = int(torch.randint(7, 17, (), generator=g))
    n = int(torch.randint(3, 6, (), generator=g)) * batch_size + \
        int(torch.randint(1, batch_size, (), generator=g))   # a smaller last batch
    x, y = _rows(g, n)
    epochs = 2
    lr = float(torch.empty(()).uniform_(0.05, 0.2, generator=g))
    train_seed = int(torch.randint(0, 10_000, (), generator=g))
    args = (sizes, state, x.to(device, dtype), y.to(device), lr, epochs, batch_size, train_seed)
    got = sub.probe("ex10.train", "ex10", *args)
    want = reference_probe("ex10.train", "ex10", *args)
    check_training(got, want, args, f"train_classifier(model, x ({n}, 4), y, lr={lr:.3g}, "
                   f"epochs={epochs}, batch_size={batch_size}, seed={train_seed}) on {device}",
                   lambda **kw: wrong.train_variant(*args, **kw), dtype, any_momentum=True)


@check("train_classifier", uses=("SoftmaxClassifier",))
def test_train_seed_matters(sub, seed):
    """train_classifier with two seeds shuffles differently, with the same seed identically"""
    g = gen(seed, "train_seeds")
    sizes = _sizes(g)
    state = _state(g, sizes)
    x, y = _rows(g, 30)
    runs = [sub.probe("ex10.train", "ex10", sizes, state, x, y, 0.1, 1, 8, s)["losses"]
            for s in (1, 1, 2)]
    if runs[0] != runs[1]:
        fail("train_classifier gave different losses for the same seed: the shuffle must come "
             "from torch.Generator().manual_seed(seed) only, not from the global random state.")
    if runs[0] == runs[2]:
        fail("train_classifier gave the same losses for seeds 1 and 2: shuffle with "
             "DataLoader(..., shuffle=True, generator=torch.Generator().manual_seed(seed)).")
