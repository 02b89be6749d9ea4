"""Hidden checks of ex08: the whole diabetes.csv and a random CSV of another size, random layer
sizes, states, data and learning rates drawn from the run's seed, compared live with the
reference; training step by step with the known wrong loops named."""
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.checks.api import (Mistakes, as_run, assert_close, assert_forward_pure,
                               assert_state, assert_structure, assert_trajectory, check,
                               data_path, devices, fail, gen, located, np_rng, probe_reruns,
                               randn, random_state, reference, reference_probe, naming_float64_weights,
                               naming_bce_target,
                               sigmoid_inputs,
                               uniform)
from grader.checks.ex06_nn_linear.private.variants import sigmoid_inputs as variant_sigmoid
from grader.checks.ex06_nn_linear.private.variants import train_variant
from grader.checks.ex08_multiple_features.private.variants import deep_forward_mistakes
from grader.checks.ex08_multiple_features.ships import mistakes as hints
from grader.checks.ex08_multiple_features.ships.mistakes import TRAIN_VARIANTS as VARIANTS
from grader.checks.ex08_multiple_features.ships.shared import (deep_spec, layer_shapes,
                                                              naming_ignored_sizes)

pytestmark = pytest.mark.ex08

def _check_loaded(got, want, call):
    if isinstance(got, (tuple, list)) and len(got) == 2:
        for t, w, name in zip(got, want, "xy"):
            if isinstance(t, torch.Tensor) and t.dim() != w.dim() and t.numel() == w.numel():
                fail(f"{call} gave {name} of shape {tuple(t.shape)}, expected {tuple(w.shape)}.",
                     hints.Y_FLAT if name == "y" else None)
            if isinstance(t, torch.Tensor) and t.dim() == w.dim() == 2 \
                    and t.shape[0] == w.shape[0] - 1:
                fail(f"{call} gave {name} of shape {tuple(t.shape)}, expected {tuple(w.shape)}.",
                     hints.HEADER_SKIPPED)
    if isinstance(got, (tuple, list)) and len(got) == 2:
        shifted = torch.cat([want[0][:, 1:], want[1]], dim=1)
        assert_close(got[0], want[0], call=call, context="x",
                     mistakes={hints.X_FROM_SECOND_COLUMN: shifted})
    assert_close(got, want, call=call)


@check("load_csv", points=2)
def test_load_diabetes_whole(sub):
    """load_csv("diabetes.csv") equals the reference on every row"""
    got = sub.call("ex08.load_csv", "diabetes.csv")
    want = reference("ex08.load_csv", str(data_path("diabetes.csv")))
    _check_loaded(got, want, 'load_csv("diabetes.csv")')


@check("load_csv", points=2)
def test_load_random_csv(sub, seed):
    """load_csv reads a random CSV of another size (N rows, D features, a 0/1 label)"""
    rng = np_rng(seed, "csv")
    n, d = int(rng.integers(3, 40)), int(rng.integers(1, 7))
    data = np.column_stack([np.round(rng.uniform(-5, 5, (n, d)), 4),
                            rng.integers(0, 2, n)])
    name = f"random_{seed % 100000}_{n}x{d}.csv"
    text = io.StringIO()
    np.savetxt(text, data, delimiter=",", fmt=["%.4f"] * d + ["%d"])
    sub.put_file(name, text.getvalue())
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / name
        file.write_text(text.getvalue())
        got = sub.call("ex08.load_csv", name)
        want = reference("ex08.load_csv", str(file))
    _check_loaded(got, want, f'load_csv("{name}") with {n} rows of {d} features and a label')


def _sizes(seed, key):
    """Random layer sizes, never the default (8, 6, 4, 1): a model that ignores its `sizes`
    would pass with those."""
    rng = np_rng(seed, key)
    depth = int(rng.integers(1, 4))
    sizes = tuple([int(rng.integers(2, 9))] + [int(rng.integers(2, 7)) for _ in range(depth)]
                  + [1])
    return sizes if sizes != (8, 6, 4, 1) else (7, 6, 4, 1)


@check("DeepBinaryClassifier", points=2)
def test_structure_random(sub, seed):
    """DeepBinaryClassifier(sizes) for random sizes: one nn.Linear per pair, in `layers`"""
    sizes = _sizes(seed, "structure")
    call = f"DeepBinaryClassifier({sizes})"
    got = sub.probe("common.model_structure", "ex08", "DeepBinaryClassifier", (sizes,))
    if isinstance(got, dict) and not got.get("parameters"):
        fail(f"{call}: the model has no parameters.", hints.PLAIN_LIST)
    want = reference_probe("common.model_structure", "ex08", "DeepBinaryClassifier", (sizes,))
    assert_structure(got, want, call=call)


@check("DeepBinaryClassifier", points=2)
@devices()
def test_forward_random(sub, seed, device):
    """forward matches the reference for random sizes, state and input, on the model's device,
    with no side effects"""
    sizes = _sizes(seed, "forward")
    g = gen(seed, "forward")
    state = random_state(g, layer_shapes(sizes), scale=2.0)
    x = randn(g, int(np_rng(seed, "forward_n").integers(2, 12)), sizes[0],
              dtype=torch.float32, device=device)
    call = f"DeepBinaryClassifier({sizes}).to({device!r})(x) with x of shape {tuple(x.shape)}"
    with naming_ignored_sizes(sub, sizes, call), naming_float64_weights(call, x):
        got = sub.probe("ex08.forward_twice", "ex08", "DeepBinaryClassifier", (sizes,), state,
                        x, device=device)
    want = reference_probe("ex08.forward_twice", "ex08", "DeepBinaryClassifier", (sizes,),
                           state, x, device=device)["outputs"][0]
    assert_close(got["outputs"][0], want, call=call, mistakes=lambda: {
        **hints.forward_mistakes(deep_forward_mistakes(state, x)),
        **sigmoid_inputs(variant_sigmoid("ex08", "DeepBinaryClassifier", (sizes,), state, x,
                                         device=device), state)})
    assert_forward_pure(got, call=call)


@check("train_full_batch", points=3)
@devices()
def test_train_random(sub, seed, device):
    """train_full_batch for random sizes, state, data and lr, 20 epochs: the reference's loss at
    every epoch and the same parameters"""
    sizes = _sizes(seed, "train")
    g = gen(seed, "train")
    state = random_state(g, layer_shapes(sizes))
    n = int(np_rng(seed, "train_n").integers(20, 80))
    x = uniform(g, n, sizes[0], dtype=torch.float32)
    w = randn(g, sizes[0], 1, dtype=torch.float32)
    y = (torch.rand(n, 1, generator=g) < torch.sigmoid(2 * x @ w)).to(torch.float32)
    x, y = x.to(device), y.to(device)
    lr, epochs = float(uniform(g, low=0.5, high=2.0)), 20
    call = (f"train_full_batch(DeepBinaryClassifier({sizes}), x {tuple(x.shape)}, y, "
            f"lr={lr:.3f}, epochs={epochs}) on {device}")
    spec = deep_spec(sizes)
    args = ("train_full_batch", spec, state, (x, y, lr, epochs))
    with naming_bce_target(call, y):
        got = sub.probe("ex08.call_on_network", "ex08", *args, device=device)
    want = reference_probe("ex08.call_on_network", "ex08", *args, device=device)
    wrong = Mistakes(lambda: {hint: train_variant(spec, state, x, y, lr, epochs, v, loss="bce",
                                                  device=device)
                              for v, hint in VARIANTS.items()})
    keys = sorted(want["state"])
    with located(as_run(got, keys), as_run(want, keys), (*keys, "losses"),
                 probe_reruns(sub, reference_probe, "ex08.call_on_network", "ex08",
                              lambda j: ("train_full_batch", spec, state, (x, y, lr, j)), keys,
                              device=device)):
        assert_trajectory(got["result"], want["result"], call=call,
                          mistakes=wrong.map(lambda r: r["losses"]))
        assert_state(got["state"], want["state"], call=call,
                     mistakes=wrong.map(lambda r: r["state"]))
