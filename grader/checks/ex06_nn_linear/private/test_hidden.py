"""Hidden checks of ex06: random sizes, data, starting parameters and learning rates drawn from
the run's seed, compared live with the reference; training step by step, with the known wrong
loops named."""
import pytest
import torch

from grader.checks.api import (Mistakes, as_run, assert_close, assert_forward_pure,
                               assert_no_graph, assert_sgd_optimizer, assert_state,
                               assert_structure, assert_trajectory, check, devices, fail, gen,
                               located, naming_float64_weights, np_rng, probe_reruns, property_of, randn, random_state,
                               reference_probe, sigmoid_inputs, uniform)
from grader.checks.ex06_nn_linear.private.variants import sigmoid_inputs as variant_sigmoid
from grader.checks.ex06_nn_linear.private.variants import train_variant
from grader.checks.ex06_nn_linear.ships import mistakes as hints
from grader.checks.ex06_nn_linear.ships.mistakes import STEP_VARIANTS, TRAIN_VARIANTS
from grader.checks.ex06_nn_linear.ships.shared import (assert_fresh_optimizer, assert_mode_kept,
                                                       linear_spec,
                                                       naming_fixed_lr)

pytestmark = pytest.mark.ex06

def _problem(seed, key, device="cpu"):
    """Random sizes D != O, N, a starting state, data from a noisy linear map, and an lr (with
    D = O = 1, a layer built as nn.Linear(O, D) and used as x @ W + b.mean() is right)."""
    rng = np_rng(seed, key)
    d, o, n = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(5, 20))
    o += o == d
    g = gen(seed, key)
    state = random_state(g, [("linear.weight", (o, d)), ("linear.bias", (o,))])
    x = randn(g, n, d, dtype=torch.float32)
    true_w, true_b = randn(g, o, d, dtype=torch.float32), randn(g, o, dtype=torch.float32)
    y = x @ true_w.T + true_b + 0.1 * randn(g, n, o, dtype=torch.float32)
    lr = float(uniform(g, low=0.01, high=0.06))
    stale = random_state(g, [("linear.weight", (o, d)), ("linear.bias", (o,))], scale=3.0)
    return d, o, state, x.to(device), y.to(device), lr, stale


@check("LinearRegression")
def test_structure_random(sub, seed):
    """LinearRegression(D, O) has the reference's submodules and parameter shapes"""
    rng = np_rng(seed, "structure")
    d, o = int(rng.integers(2, 9)), int(rng.integers(2, 6))
    o += o == d                 # a square layer would not show swapped dimensions
    got = sub.probe("common.model_structure", "ex06", "LinearRegression", (d, o))
    want = reference_probe("common.model_structure", "ex06", "LinearRegression", (d, o))
    assert_structure(got, want, call=f"LinearRegression({d}, {o})")


@check("LinearRegression", points=2)
@devices()
def test_forward_random(sub, seed, device):
    """forward matches the reference and x @ W.T + b from a random state, on the model's device;
    no side effects"""
    d, o, drawn, x, _, _, _ = _problem(seed, "forward", device)
    # the drawn output size, and always one output (the course's model): an (N, 1) result
    # squeezed to (N,) shows only there
    for out in dict.fromkeys((o, 1)):
        state = {k: v[:out] for k, v in drawn.items()}
        call = f"LinearRegression({d}, {out}).to({device!r})(x) with x of shape {tuple(x.shape)}"
        with naming_float64_weights(call, x):
            got = sub.probe("ex06.forward_twice", "ex06", "LinearRegression", (d, out), state,
                            x, device=device)
        want = reference_probe("ex06.forward_twice", "ex06", "LinearRegression", (d, out),
                               state, x, device=device)["outputs"][0]
        w, b = state["linear.weight"].to(device), state["linear.bias"].to(device)
        assert_close(got["outputs"][0], want, call=call, mistakes=lambda state=state, out=out: {
            hints.NO_BIAS: x @ w.T, **sigmoid_inputs(variant_sigmoid(
                "ex06", "LinearRegression", (d, out), state, x, device=device), state)})
        assert_close(got["outputs"][0], x @ w.T + b, call=call, context="x @ W.T + b")
        assert_forward_pure(got, call=call)


@check("make_optimizer")
def test_make_optimizer_random(sub, seed):
    """make_optimizer(model, lr) for a random lr: SGD over every parameter, two steps as the
    reference's"""
    d, o, state, _, _, _, _ = _problem(seed, "optimizer")
    lr = float(uniform(gen(seed, "optimizer_lr"), low=0.001, high=0.5))
    call = f"make_optimizer(model, lr={lr:.4f})"
    got = sub.probe("ex06.optimizer_info", "ex06", linear_spec(d, o), state, lr)
    want = reference_probe("ex06.optimizer_info", "ex06", linear_spec(d, o), state, lr)
    with naming_fixed_lr(sub, linear_spec(d, o), state, lr, got=got, want=want):
        assert_sgd_optimizer(got, want, call=call)
    assert_fresh_optimizer(got, want, call)


@check("train_step", points=3)
@devices()
def test_train_step_random(sub, seed, device):
    """eight train_steps from a random state, with stale gradients in .grad at first: the
    reference's loss at every step and the same parameters"""
    d, o, state, x, y, lr, stale = _problem(seed, "train_step", device)
    steps = 8
    call = (f"{steps} x train_step(model, nn.MSELoss(), SGD(lr={lr:.4f}), X {tuple(x.shape)}, "
            f"Y {tuple(y.shape)}) on {device}, .grad not zero at first")
    args = (linear_spec(d, o), state, x, y, lr, steps)
    got = sub.probe("ex06.train_steps", "ex06", *args, stale=stale, device=device)
    want = reference_probe("ex06.train_steps", "ex06", *args, stale=stale, device=device)
    wrong = Mistakes(lambda: {hint: train_variant(*args, v, stale=stale, device=device)
                              for v, hint in STEP_VARIANTS.items()})
    assert_trajectory(got["losses"], want["losses"], call=call,
                      mistakes=wrong.map(lambda r: r["losses"]))
    assert_state(got["state"], want["state"], call=call,
                 mistakes=wrong.map(lambda r: r["state"]))


@check("train_step")
@property_of()
def test_train_step_returns_float(sub, seed):
    """train_step returns the loss as a Python float (loss.item())"""
    d, o, state, x, y, lr, _ = _problem(seed, "train_step_float")
    got = sub.probe("ex06.train_steps", "ex06", linear_spec(d, o), state, x, y, lr, 1)
    value = got["losses"][0]
    if isinstance(value, torch.Tensor):
        fail(hints.STEP_RETURNS_TENSOR)
    if not isinstance(value, float):
        fail(f"train_step returned {type(value).__name__}, expected a Python float.")


@check("train", points=3)
@devices()
def test_train_random(sub, seed, device):
    """train for 25 steps from a random state on random data: the reference's losses at every
    step and the same parameters"""
    d, o, state, x, y, lr, _ = _problem(seed, "train", device)
    n_iter = 25
    call = (f"train(model, X {tuple(x.shape)}, Y {tuple(y.shape)}, lr={lr:.4f}, "
            f"n_iter={n_iter}) on {device}")
    spec = linear_spec(d, o)
    got = sub.probe("ex06.call_on_network", "ex06", "train", spec, state, (x, y, lr, n_iter),
                    device=device)
    want = reference_probe("ex06.call_on_network", "ex06", "train", spec, state,
                           (x, y, lr, n_iter), device=device)
    def at(fixed):   # the reference's run at a learning rate written in
        r = reference_probe("ex06.call_on_network", "ex06", "train", spec, state,
                            (x, y, fixed, n_iter), device=device)
        return {"losses": r["result"], "state": r["state"]}
    wrong = Mistakes(lambda: {**{hint: train_variant(spec, state, x, y, lr, n_iter, v,
                                                     device=device)
                                 for v, hint in TRAIN_VARIANTS.items()},
                              **{hints.lr_written_in(f, lr): at(f) for f in hints.FIXED_LRS
                                 if abs(f - lr) > 1e-9}})
    keys = sorted(want["state"])
    with located(as_run(got, keys), as_run(want, keys), (*keys, "losses"),
                 probe_reruns(sub, reference_probe, "ex06.call_on_network", "ex06",
                              lambda j: ("train", spec, state, (x, y, lr, j)), keys,
                              device=device), "step"):
        with naming_fixed_lr(sub, spec, state, lr, train=True):
            assert_trajectory(got["result"], want["result"], call=call,
                              mistakes=wrong.map(lambda r: r["losses"]))
        assert_state(got["state"], want["state"], call=call,
                     mistakes=wrong.map(lambda r: r["state"]))


@check("predict", points=2)
@devices()
def test_predict_random(sub, seed, device):
    """predict matches the reference from a random state, on the model's device, without a
    graph, and leaves the parameters and their gradients alone"""
    d, o, state, x, _, _, _ = _problem(seed, "predict", device)
    call = f"predict(model, x {tuple(x.shape)}) on {device}"
    got = sub.probe("ex06.call_on_network", "ex06", "predict", linear_spec(d, o), state, (x,),
                    device=device)
    want = reference_probe("ex06.call_on_network", "ex06", "predict", linear_spec(d, o), state,
                           (x,), device=device)
    assert_close(got["result"], want["result"], call=call)
    assert_no_graph(got["result"], call=call)
    for name, g in got["grads"].items():
        if g is not None:
            fail(f"{call} filled the .grad of {name!r}: a prediction must not call backward().")
    assert_close(got["state"], want["state"], call=call,
                 context="the parameters after predict (they must not change)")
    assert_mode_kept(got, want, call)
