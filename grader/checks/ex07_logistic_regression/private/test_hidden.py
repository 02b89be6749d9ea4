"""Hidden checks of ex07: random logits (with some of ±1000), probabilities (with some of exactly
0 and 1), sizes, seeds, states and learning rates drawn from the run's seed, compared live with
the reference; the gradient also with the closed form, with autograd of the reference's
bce_loss(sigmoid(z), y) and with a float64 central difference."""
import pytest
import torch

from grader.checks.api import (GRADCHECK_TOL, Mistakes, TOL, assert_close, assert_forward_pure,
                               assert_no_graph, assert_state, assert_structure, assert_trajectory,
                               autograd_grad, central_difference, check, devices, dtypes, fail,
                               gen, np_rng, randn, random_state, reference, reference_probe,
                               naming_float64_weights, scale_mistakes, sigmoid_inputs,
                               solution_module, uniform)
from grader.checks.ex06_nn_linear.private.variants import sigmoid_inputs as variant_sigmoid
from grader.checks.ex06_nn_linear.private.variants import train_variant
from grader.checks.ex07_logistic_regression.ships import mistakes as hints
from grader.checks.ex07_logistic_regression.ships.mistakes import TRAIN_VARIANTS as VARIANTS
from grader.checks.ex07_logistic_regression.ships.shared import (default_momentum_told,
                                                                  logistic_spec)

pytestmark = pytest.mark.ex07

def _logits(g, n, dtype, device, huge=True):
    z = randn(g, n, 1, scale=3.0)
    if huge:
        z[0, 0], z[-1, 0] = 1000.0, -1000.0
    return z.to(dtype).to(device)


def _labels(g, n, dtype, device):
    return (torch.rand(n, 1, generator=g) < 0.5).to(dtype).to(device)


@check("sigmoid", points=2)
@devices()
@dtypes()
def test_sigmoid_random(sub, seed, device, dtype):
    """sigmoid matches the reference on random logits, ±1000 included, with autograd off"""
    g = gen(seed, "sigmoid", str(dtype))
    z = randn(g, 3, 7, dtype=torch.float64, scale=5.0)
    z[0, 0], z[1, 1], z[2, 2] = 1000.0, -1000.0, 88.0
    z = z.to(dtype).to(device)
    want = reference("ex07.sigmoid", z, grad=False)
    assert_close(sub.call("ex07.sigmoid", z, grad=False), want,
                 call=f"sigmoid(z) on random logits (3, 7), ±1000 included ({device})",
                 mistakes={hints.OVERFLOW: z.exp() / (1 + z.exp()),
                           hints.ONE_MINUS_SIGMOID: 1 - want,
                           hints.TANH_WITHOUT_HALF: 0.5 * (1 + torch.tanh(z))})


@check("bce_loss", points=2)
@devices()
@dtypes()
def test_bce_loss_random(sub, seed, device, dtype):
    """bce_loss matches the reference and nn.BCELoss on random probabilities, some exactly 0
    or 1, one so small that its log is finite and below -100"""
    g = gen(seed, "bce", str(dtype))
    n = int(np_rng(seed, "bce_n").integers(6, 30))
    p = uniform(g, n, 1, low=0.01, high=0.99)
    p[0, 0], p[1, 0] = 0.0, 1.0
    p = p.to(dtype)
    p[2, 0] = 1e-45 if dtype == torch.float32 else 1e-50     # log p = -103.3, -115.1
    p = p.to(device)
    y = _labels(g, n, dtype, device)
    y[0, 0], y[1, 0], y[2, 0] = 1.0, 0.0, 1.0
    want = reference("ex07.bce_loss", p, y, grad=False)
    call = (f"bce_loss(p, y) on {n} random probabilities, p = 0, 1 and {float(p[2, 0]):.3g} "
            f"included ({device})")
    unclamped = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    got = sub.call("ex07.bce_loss", p, y, grad=False)
    assert_close(got, want, call=call,
                 mistakes={hints.UNCLAMPED: unclamped, hints.BCE_SIGN: -want,
                           hints.bce_sum(n): n * want, hints.BCE_MEAN_DIM0: want.reshape(1),
                           **hints.clamped_p(p, y), **hints.only_infinite_logs(p, y)})
    assert_close(got, torch.nn.functional.binary_cross_entropy(p, y), call=call,
                 context="nn.BCELoss()(p, y)")


@check("bce_grad_logits", points=3)
@devices()
@dtypes()
def test_bce_grad_logits_random(sub, seed, device, dtype):
    """bce_grad_logits matches the reference, (sigmoid(z) - y) / N, autograd of the reference's
    bce_loss(sigmoid(z), y) and a float64 central difference"""
    g = gen(seed, "bce_grad", str(dtype))
    n = int(np_rng(seed, "bce_grad_n").integers(4, 12))
    z, y = _logits(g, n, dtype, device, huge=False), _labels(g, n, dtype, device)
    call = f"bce_grad_logits(z, y) on {n} random logits ({device})"
    got = sub.call("ex07.bce_grad_logits", z, y, grad=False)
    want = reference("ex07.bce_grad_logits", z, y, grad=False)
    p = torch.sigmoid(z)
    assert_close(got, want, call=call, mistakes=hints.grad_mistakes(want, p, y, n))
    assert_close(got, (p - y) / n, call=call, context="closed form (sigmoid(z) - y) / N")
    ref = solution_module("ex07")
    y64 = y.double().cpu()

    def loss(t):
        return ref.bce_loss(ref.sigmoid(t), y64)
    z64 = z.double().cpu()
    rtol, atol = GRADCHECK_TOL
    by_autograd = autograd_grad(loss, z64)
    if dtype == torch.float64:
        assert_close(got.cpu(), by_autograd, call=call, rtol=rtol, atol=atol,
                     context="autograd of bce_loss(sigmoid(z), y)")
        assert_close(got.cpu(), central_difference(loss, z64), call=call, rtol=rtol, atol=atol,
                     context="central difference (float64)")
    else:
        assert_close(got.cpu(), by_autograd.to(dtype), call=call,
                     context="autograd of bce_loss(sigmoid(z), y)")


@check("bce_grad_logits")
@devices()
def test_bce_grad_logits_columns(sub, seed, device):
    """bce_grad_logits of an (N, 3) z divides by z.numel(), every entry of the mean"""
    g = gen(seed, "bce_grad_columns")
    n = int(np_rng(seed, "bce_grad_columns_n").integers(3, 8))
    z = randn(g, n, 3, device=device, scale=2.0)
    y = (torch.rand(n, 3, generator=g) < 0.5).to(torch.float64).to(device)
    want = reference("ex07.bce_grad_logits", z, y, grad=False)
    assert_close(sub.call("ex07.bce_grad_logits", z, y, grad=False), want,
                 call=f"bce_grad_logits(z, y) with z of shape ({n}, 3) on {device}",
                 mistakes={**scale_mistakes(want, 3 * n, factor2=False, sign=hints.GRAD_SIGN),
                           hints.rows_not_entries(n, 3 * n): want * 3})


@check("bce_grad_logits")
@devices()
def test_bce_grad_logits_saturated(sub, seed, device):
    """bce_grad_logits is finite and right at logits of ±1000"""
    g = gen(seed, "bce_grad_huge")
    n = int(np_rng(seed, "bce_grad_huge_n").integers(4, 10))
    z = (torch.sign(randn(g, n, 1)) * 1000.0).to(torch.float32).to(device)
    z[0, 0], z[1, 0] = 1000.0, -1000.0   # both signs: exp(z) overflows at +1000 only
    y = _labels(g, n, torch.float32, device)
    y[0, 0] = float(z[0, 0] < 0)   # one row on the wrong side: the gradient is never all zeros
    want = reference("ex07.bce_grad_logits", z, y, grad=False)
    p_overflow = z.exp() / (1 + z.exp())
    assert_close(sub.call("ex07.bce_grad_logits", z, y, grad=False), want,
                 call=f"bce_grad_logits(z, y) with every |z| = 1000 ({device})",
                 mistakes={**scale_mistakes(want, n, factor2=False, sign=hints.GRAD_SIGN),
                           hints.OVERFLOW: (p_overflow - y) / n})


@check("make_clusters", points=2)
def test_make_clusters_random(sub, seed):
    """make_clusters matches the reference for a random size and seed"""
    rng = np_rng(seed, "clusters")
    n, s = int(rng.choice(CLUSTER_SIZES)), int(rng.integers(1, 10**6))
    want = reference("ex07.make_clusters", n, s)
    assert_close(sub.call("ex07.make_clusters", n, s), want, call=f"make_clusters({n}, seed={s})",
                 mistakes=hints.clusters_mistakes(*want, seed=s))


# sizes n where one draw of (2n, 2) and two draws of (n, 2) give other numbers: not where all
# are under 16 numbers (n < 4: drawn one by one, alike) nor where 2n is a multiple of 16 (the
# draws of 16 or more pair their numbers in blocks of 16, which then line up)
CLUSTER_SIZES = [n for n in range(4, 30) if (2 * n) % 16]


def _state(seed, key, d):
    return random_state(gen(seed, key, "state"), [("linear.weight", (1, d)),
                                                   ("linear.bias", (1,))])


@check("LogisticRegression")
def test_structure_random(sub, seed):
    """LogisticRegression(D) has the reference's submodules and parameter shapes"""
    d = int(np_rng(seed, "structure").integers(2, 10))
    got = sub.probe("common.model_structure", "ex07", "LogisticRegression", (d,))
    want = reference_probe("common.model_structure", "ex07", "LogisticRegression", (d,))
    assert_structure(got, want, call=f"LogisticRegression({d})")


@check("LogisticRegression", points=2)
@devices()
def test_forward_random(sub, seed, device):
    """forward matches the reference from a random state: probabilities (N, 1) on the model's
    device, no side effects"""
    rng = np_rng(seed, "forward")
    d, n = int(rng.integers(1, 6)), int(rng.integers(2, 12))
    state = _state(seed, "forward", d)
    x = randn(gen(seed, "forward_x"), n, d, dtype=torch.float32, device=device)
    call = f"LogisticRegression({d}).to({device!r})(x) with x of shape {(n, d)}"
    with naming_float64_weights(call, x):
        got = sub.probe("ex07.forward_twice", "ex07", "LogisticRegression", (d,), state, x,
                        device=device)
    want = reference_probe("ex07.forward_twice", "ex07", "LogisticRegression", (d,), state, x,
                           device=device)["outputs"][0]
    w, b = state["linear.weight"].to(device), state["linear.bias"].to(device)
    assert_close(got["outputs"][0], want, call=call, mistakes=lambda: {
        hints.LOGITS_NOT_PROBABILITIES: x @ w.T + b,
        **sigmoid_inputs(variant_sigmoid("ex07", "LogisticRegression", (d,), state, x,
                                         device=device), state)})
    assert_forward_pure(got, call=call)


def _training_problem(seed, key, device):
    rng = np_rng(seed, key)
    n, s = int(rng.integers(6, 25)), int(rng.integers(1, 10**6))
    x, y = reference("ex07.make_clusters", n, s)
    g = gen(seed, key)
    lr = float(uniform(g, low=0.02, high=0.2))
    momentum = float(uniform(g, low=0.3, high=0.9))
    return x.to(device), y.to(device), _state(seed, key, 2), lr, momentum


@check("train_logistic", points=3)
@devices()
@pytest.mark.parametrize("momentum_arg", ["default", "given"])
def test_train_logistic_random(sub, seed, device, momentum_arg):
    """train_logistic on random clusters from a random state, with the default momentum and
    with a given one: the reference's loss at every epoch and the same parameters"""
    x, y, state, lr, momentum = _training_problem(seed, f"train_{momentum_arg}", device)
    epochs = 20
    kwargs = {"momentum": momentum} if momentum_arg == "given" else {}
    used = momentum if kwargs else 0.9
    call = (f"train_logistic(model, x {tuple(x.shape)}, y, lr={lr:.4f}, epochs={epochs}"
            + (f", momentum={momentum:.3f}" if kwargs else "") + f") on {device}")
    spec = logistic_spec(2)
    args = ("train_logistic", spec, state, (x, y, lr, epochs), kwargs)
    got = sub.probe("ex07.call_on_network", "ex07", *args, device=device)
    want = reference_probe("ex07.call_on_network", "ex07", *args, device=device)

    def variants():
        out = {hint: train_variant(spec, state, x, y, lr, epochs, v, loss="bce", momentum=used,
                                   device=device)
               for v, hint in VARIANTS.items()}
        if kwargs:
            out[hints.MOMENTUM_IGNORED] = \
                train_variant(spec, state, x, y, lr, epochs, "default_momentum", loss="bce",
                              device=device)
        return out
    wrong = Mistakes(variants)
    with default_momentum_told(sub, (x, y, lr, epochs), want, device, state=state,
                               asked=not kwargs):
        assert_trajectory(got["result"], want["result"], call=call,
                          mistakes=wrong.map(lambda r: r["losses"]))
        assert_state(got["state"], want["state"], call=call,
                     mistakes=wrong.map(lambda r: r["state"]))


def _classes_of(state, x):
    """The classes sigmoid(x @ W.T + b) >= 0.5 (float64, on the CPU)."""
    w, b = state["linear.weight"].double(), state["linear.bias"].double()
    return (torch.sigmoid(x.cpu().double() @ w.T + b) >= 0.5).double()


def _accuracy_of(state, x, y):
    """The accuracy of sigmoid(x @ W.T + b) >= 0.5 against y (float64, on the CPU)."""
    w, b = state["linear.weight"].double(), state["linear.bias"].double()
    p = torch.sigmoid(x.cpu().double() @ w.T + b)
    return float(((p >= 0.5).double() == y.cpu().double()).double().mean())


@check("accuracy", points=2)
@devices()
def test_accuracy_random(sub, seed, device):
    """accuracy matches the reference for a random state on random clusters, without a graph"""
    # a problem whose accuracy is not 1/2: the model negated has accuracy 1 - a, and no
    # constant answer matches both
    for k in range(20):
        x, y, state, _, _ = _training_problem(seed, f"accuracy-{k}" if k else "accuracy",
                                              device)
        if _accuracy_of(state, x, y) != 0.5:
            break
    negated = {name: -v for name, v in state.items()}
    for state, which in ((state, "a random state"), (negated, "that state negated")):
        call = f"accuracy(model, x {tuple(x.shape)}, y) with {which} on {device}"
        args = ("accuracy", logistic_spec(2), state, (x, y))
        got = sub.probe("ex07.call_on_network", "ex07", *args, device=device)
        want = reference_probe("ex07.call_on_network", "ex07", *args, device=device)["result"]
        value = got["result"]
        if isinstance(value, torch.Tensor):
            assert_no_graph(value, call=call)
            fail(f"{call} returned a tensor ({value!r:.80}).", hints.ACCURACY_TENSOR)
        assert_close(value, want, call=call,
                     rtol=TOL[torch.float32][0], atol=TOL[torch.float32][1],
                     mistakes={hints.ACCURACY_COUNT: want * x.shape[0],
                               hints.ACCURACY_ERROR_RATE: 1 - want,
                               hints.ACCURACY_BROADCAST: hints.accuracy_broadcast(
                                   _classes_of(state, x), y)})
        if any(g is not None for g in got["grads"].values()):
            fail(f"{call} filled the parameters' .grad: accuracy must not call backward().")
