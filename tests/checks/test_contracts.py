"""The contracts of CURRICULUM.md's "Decisions on contracts" that no value shows, enforced for
every exercise by the one place every check's calls go through (grader/checks/calls.py and the
probe grader/sandbox/inside/probes/guard.py): a function that changes the caller's inputs in
place, or reseeds / draws from the global random state where it takes a seed, loses points
with a message that says so, though every value it returns is right."""
import pytest

from tests.conftest import failing, messages

# per exercise, a function its checks call with a tensor, an array or a list of the check's
# data (ex09's functions get a dataset, a loader or a model only)
TAKES_DATA = {"ex01": "forward", "ex02": "cost", "ex03": "analytic_grad_of_mean",
              "ex04": "quadratic_grads", "ex05": "mse_loss", "ex06": "train",
              "ex07": "sigmoid", "ex08": "train_full_batch", "ex10": "softmax",
              "ex11": "poly_forward", "ex12": "poly_grads_tensor"}

# the reference's function, which then changes its first tensor, array or list argument
CHANGES_FIRST_INPUT = '''
import functools as _functools
import numpy as np
import torch

def _changes_first_input(_right):
    @_functools.wraps(_right)
    def wrapper(*args, **kwargs):
        out = _right(*args, **kwargs)
        for a in args:
            if isinstance(a, torch.Tensor) and a.is_floating_point():
                with torch.no_grad():
                    a.mul_(2.0)
                break
            if type(a).__name__ == "ndarray" and a.dtype.kind == "f":
                a *= 2.0
                break
            if isinstance(a, list) and a:
                a.reverse()
                break
        return out
    return wrapper

{func} = _changes_first_input({func})
'''


@pytest.mark.parametrize("ex", sorted(TAKES_DATA))
def test_a_changed_input_loses_points(grade, ex):
    func = TAKES_DATA[ex]
    result = grade(ex, CHANGES_FIRST_INPUT.format(func=func), targets=[func], device="cpu")
    assert failing(result, func), f"{ex}.{func} changes its input in place and passes"
    text = messages(result, func)
    assert "in place" in text and "the caller's data must come back" in text, text


def test_the_in_place_operation_is_named(grade):
    """issue 20: `1 / (1 + torch.exp(z.neg_()))` changed the caller's z and got 47/47."""
    code = "def sigmoid(z):\n    return 1 / (1 + torch.exp(z.neg_()))\n"
    result = grade("ex07", code, targets=["sigmoid"], device="cpu")
    text = messages(result, "sigmoid")
    assert "sigmoid changed its argument z in place (its values)" in text, text
    assert "`z.neg()`" in text, text


def test_an_augmented_assignment_is_named_as_written(grade):
    """`z -= m` reaches torch as z.sub_(m): the hint says both, and the out-of-place form."""
    code = ("def softmax(z, dim=-1):\n    z -= z.amax(dim=dim, keepdim=True)\n"
            "    e = z.exp()\n    return e / e.sum(dim=dim, keepdim=True)\n")
    result = grade("ex10", code, targets=["softmax"], device="cpu")
    text = messages(result, "softmax")
    assert "(which `z -= ...` calls)" in text and "use `z = z - ...`" in text, text


def test_an_update_in_place_is_no_change_of_input(grade):
    """A function whose contract updates in place (its name ends in "_") is exempt: the
    references of zero_grads_ and sgd_update_ keep full marks (test_mutants grades every
    reference), and a sigmoid written out of place keeps its points."""
    code = "def sigmoid(z):\n    z = z.clone()\n    z.neg_()\n    return 1 / (1 + torch.exp(z))\n"
    result = grade("ex07", code, targets=["sigmoid"], device="cpu")
    assert not failing(result), messages(result)


# every function whose contract draws from a seed, as CURRICULUM.md lists them (ex09's
# make_loader has its own check of the same rule)
SEEDED = [("ex05", "make_data"), ("ex05", "init_params"), ("ex05", "fit"),
          ("ex07", "make_clusters"), ("ex10", "train_classifier"), ("ex11", "fit_numpy"),
          ("ex12", "fit_tensor"), ("ex12", "fit_autograd")]

# the reference's function with torch.manual_seed(seed) (or NumPy's) called first: the same
# numbers come back, and the global state is reseeded
RESEEDS = '''
import functools as _functools
import numpy as np
import torch

def _reseeds(_right):
    @_functools.wraps(_right)
    def wrapper(*args, **kwargs):
        {seeding}
        return _right(*args, **kwargs)
    return wrapper

{func} = _reseeds({func})
'''


@pytest.mark.parametrize("ex,func", SEEDED, ids=[f"{e}-{f}" for e, f in SEEDED])
def test_a_reseeded_global_state_loses_points(grade, ex, func):
    seeding = "np.random.seed(0)" if ex == "ex11" else "torch.manual_seed(0)"
    result = grade(ex, RESEEDS.format(func=func, seeding=seeding), targets=[func],
                   device="cpu")
    assert failing(result, func), f"{ex}.{func} reseeds the global state and passes"
    assert "changed the global random state" in messages(result, func), messages(result, func)


def test_a_function_that_fails_only_while_watched_earns_nothing(grade):
    """A fresh attack: make_data raised whenever the guard had set the global state (it read
    torch.initial_seed()), and the check took the value of the plain call made afterwards for
    the worker's account of the error, with no guard: a reseeding make_data earned points."""
    from grader.sandbox.inside.probes.guard import PERTURB_SEED
    code = ("_right = make_data\n"
            "def make_data(n, seed, device='cpu'):\n"
            f"    if torch.initial_seed() == {PERTURB_SEED}:\n"
            "        raise RuntimeError('watched')\n"
            "    torch.manual_seed(seed)\n"
            "    return _right(n, seed, device)\n")
    result = grade("ex05", code, targets=["make_data"], device="cpu")
    passed = [c.title for c in result.checks if c.target == "make_data" and c.counted
              and c.status == "passed"]
    assert not passed, passed


def test_a_signature_of_its_own_does_not_hide_the_seed(grade):
    """A fresh attack: the guard read "seeded" from the student's function, so a
    __signature__ that renamed `seed` switched the random-state check off. The contract's
    word comes from the reference, on the trusted side."""
    code = ("import inspect\n"
            "_right = make_data\n"
            "def _make_data(n, seed, device='cpu'):\n"
            "    torch.manual_seed(seed)\n"
            "    return _right(n, seed, device)\n"
            "_make_data.__signature__ = inspect.Signature([inspect.Parameter(\n"
            "    p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in ('n', 's', 'device')])\n"
            "make_data = _make_data\n")
    result = grade("ex05", code, targets=["make_data"], device="cpu")
    text = messages(result, "make_data")
    assert "changed the global random state" in text, text


def test_make_data_with_manual_seed_loses_points(grade):
    """issue 20: `torch.manual_seed(seed); torch.rand(n)` draws the numbers of a seeded
    Generator, so no value shows it."""
    code = ("def make_data(n, seed, device='cpu'):\n    torch.manual_seed(seed)\n"
            "    x = torch.rand(n)\n    return x.to(device), (3 * x + 0.8).to(device)\n")
    result = grade("ex05", code, targets=["make_data"], device="cpu")
    text = messages(result, "make_data")
    assert "torch's (torch.manual_seed" in text, text


# every input kind a contract names (CURRICULUM.md), by function: the checks pass each one
KINDS = {("ex01", "forward"): ("ndarray", "Tensor"), ("ex01", "loss"): ("ndarray", "Tensor"),
         ("ex01", "mse_for_weights"): ("list", "ndarray", "Tensor"),
         ("ex01", "mse_surface"): ("list", "ndarray", "Tensor"),
         ("ex01", "best_weight"): ("list", "ndarray", "Tensor"),
         ("ex02", "cost"): ("list", "ndarray", "Tensor"),
         ("ex02", "gradient"): ("list", "ndarray", "Tensor"),
         ("ex02", "gradient_descent"): ("list", "ndarray", "Tensor"),
         ("ex02", "stochastic_gradient_descent"): ("list", "ndarray", "Tensor"),
         ("ex04", "train_autograd"): ("list", "Tensor"),
         ("ex04", "quadratic_grads"): ("float", "Tensor")}

# the reference's function, refusing one kind of input
REFUSES = '''
import functools as _functools

def _refuses(_right):
    @_functools.wraps(_right)
    def wrapper(*args, **kwargs):
        if any(type(a).__name__ == "{kind}" or "{kind}" == "Tensor" and
               type(a).__name__ == "Parameter" for a in args):
            raise TypeError("this version handles no {kind}")
        return _right(*args, **kwargs)
    return wrapper

{func} = _refuses({func})
'''

REFUSALS = [pytest.param(ex, func, kind, id=f"{ex}-{func}-{kind}")
            for (ex, func), kinds in KINDS.items() for kind in kinds]


@pytest.mark.parametrize("ex,func,kind", REFUSALS)
def test_every_input_kind_of_a_contract_is_tested(grade, ex, func, kind):
    result = grade(ex, REFUSES.format(func=func, kind=kind), targets=[func], device="cpu")
    assert failing(result, func), f"{ex}.{func} handles no {kind} and passes"


def test_best_weight_of_tensor_weights_is_a_float(grade):
    """issue 20: `weights[int(np.argmin(m))]` returns a 0-dim tensor for tensor weights."""
    code = ("def best_weight(x_data, y_data, weights):\n"
            "    return weights[int(np.argmin(mse_for_weights(x_data, y_data, weights)))]\n")
    result = grade("ex01", code, targets=["best_weight"], device="cpu")
    assert failing(result, "best_weight")
    assert "a Python number is asked: use .item()" in messages(result, "best_weight")


def test_softmax_by_logsumexp_keeps_full_marks(grade):
    """issue 20: `torch.exp(z - torch.logsumexp(z, dim, keepdim=True))`, what the module's
    docstring calls the same trick, failed "finite and exact at +-1000" in float32 (an error of
    2.1e-5 against rtol 1e-5), though float32 cannot do better at 1000: precision is judged
    against the dtype's rounding at the logits' size."""
    code = ("def softmax(z, dim=-1):\n"
            "    return torch.exp(z - torch.logsumexp(z, dim, keepdim=True))\n")
    result = grade("ex10", code, targets=["softmax"], device="cpu")
    assert not failing(result, "softmax"), messages(result, "softmax")


def test_a_result_off_by_precision_only_is_told_so(grade):
    """A softmax whose values are off by a few times float32's rounding at logits of 1000 (and
    no more) is told that precision, not the formula, is wrong."""
    code = ("_right = softmax\n\n"
            "def softmax(z, dim=-1):\n"
            "    p = _right(z, dim)\n"
            "    return p * (1 + 1e-3) if z.dtype == torch.float32 else p\n")
    result = grade("ex10", code, targets=["softmax"], device="cpu")
    text = messages(result, "softmax")
    assert "the formula is right, precision is lost" in text, text


@pytest.mark.parametrize("ex,target,code", [
    ("ex03", "to_numpy", "def to_numpy(t):\n    if t.is_leaf:\n        t.requires_grad_(False)\n"
     "    return t.detach().cpu().numpy().copy()\n"),
    ("ex10", "predict_classes", "def predict_classes(model, x):\n    with torch.no_grad():\n"
     "        out = model(x).argmax(dim=1)\n    x.zero_()\n    return out\n")],
    ids=["ex03-to_numpy-requires_grad_", "ex10-predict_classes-zero_"])
def test_a_probe_watches_the_inputs_too(grade, ex, target, code):
    """The probes that call a student's function with a check's data watch it as sub.call
    does (guard.watched): a tensor whose requires_grad is switched off, or zeroed, is named."""
    result = grade(ex, code, targets=[target], device="cpu")
    text = messages(result, target)
    assert f"{target} changed its argument" in text, text


# the reference's function, which then leaves something of its own on its first tensor or
# array argument, its values untouched: an attribute, a gradient hook, a read-only flag
LEAVES_ON_FIRST_INPUT = '''
import functools as _functools
import torch

def _leaves_on_first_input(_right):
    @_functools.wraps(_right)
    def wrapper(*args, **kwargs):
        out = _right(*args, **kwargs)
        for a in args:
            if isinstance(a, torch.Tensor):
                if a.requires_grad and {hook}:
                    a.register_hook(lambda g: g)
                else:
                    a.seen_by_me = True
                break
            if type(a).__name__ == "ndarray":
                a.flags.writeable = False
                break
        return out
    return wrapper

{func} = _leaves_on_first_input({func})
'''


@pytest.mark.parametrize("ex", sorted(TAKES_DATA))
def test_what_a_function_leaves_on_its_input_loses_points(grade, ex):
    """The guard compares more than values: an attribute set on the caller's tensor, a
    gradient hook registered on it, or an array made read-only is a changed input."""
    func = TAKES_DATA[ex]
    result = grade(ex, LEAVES_ON_FIRST_INPUT.format(func=func, hook=False), targets=[func],
                   device="cpu")
    text = messages(result, func)
    assert failing(result, func), f"{ex}.{func} leaves something on its input and passes"
    assert any(w in text for w in ("its attributes (it was given seen_by_me)",
                                   "its flags.writeable, from True to False",
                                   "its item")), text


def test_a_gradient_hook_on_the_callers_tensor_is_named():
    """Probe-level (the review flags register_hook as well): a hook left on an input that
    requires grad is a change the guard names."""
    import torch
    from grader.sandbox.inside.probes.guard import watched

    def grad_of_mean(x):
        x.register_hook(lambda g: g * 0)
        return 6 * (x.detach() + 2) / x.numel()

    _, found = watched(grad_of_mean, "grad_of_mean", torch.ones(2, requires_grad=True))
    assert found["changed"][0][:2] == ["x", "its gradient hooks (a hook was registered on it)"]


def test_cuda_generators_are_watched_where_cuda_is_in_use(monkeypatch):
    """Where CUDA is in use, a seeded function that draws from CUDA's global generators
    changes the random state as surely as one that draws from the CPU's (faked here: the guard
    reads CUDA's states through the two functions it bound, never starting CUDA itself)."""
    import torch
    from grader.sandbox.inside.probes import guard
    state = [torch.zeros(8, dtype=torch.uint8)]
    monkeypatch.setattr(guard, "_cuda_initialized", lambda: True)
    monkeypatch.setattr(guard, "_cuda_get_all", lambda: [s.clone() for s in state])

    def make_data(n, seed):
        state[0] += 1          # as torch.randn(n, device="cuda") would
        return torch.arange(n)

    _, found = guard.watched(make_data, "make_data", 3, 0)
    assert found["rng"] == ["torch.cuda"]
    monkeypatch.setattr(guard, "_cuda_initialized", lambda: False)
    _, found = guard.watched(make_data, "make_data", 3, 0)
    assert found is None


# "manual" functions (CURRICULUM.md: no autograd, the same answer with it off), each written
# with autograd turned back on inside: right values, and the contract broken
AUTOGRAD_INSIDE = [
    ("ex02", "sample_gradient", "enable_grad", '''
def sample_gradient(x, y, w):
    with torch.enable_grad():
        v = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
        ((float(x) * v - float(y)) ** 2).backward()
    return float(v.grad)
'''),
    ("ex02", "sample_gradient", "torch.func.grad", '''
def sample_gradient(x, y, w):
    f = lambda v: (float(x) * v - float(y)) ** 2
    return float(torch.func.grad(f)(torch.tensor(float(w), dtype=torch.float64)))
'''),
    ("ex03", "analytic_grad_of_mean", "set_grad_enabled", '''
def analytic_grad_of_mean(x):
    torch.set_grad_enabled(True)
    leaf = x.detach().clone().requires_grad_(True)
    (3 * (leaf + 2) ** 2).mean().backward()
    return leaf.grad
'''),
    ("ex12", "poly_grads_tensor", "autograd.grad", '''
def poly_grads_tensor(x, y, y_pred):
    with torch.enable_grad():
        p = y_pred.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(((p - y) ** 2).sum(), p)
    g = g.detach()
    return (g.sum(), (g * x).sum(), (g * x ** 2).sum(), (g * x ** 3).sum())
'''),
    # the attack round's: forward mode (grad mode stays off), and autograd out of the watch's
    # sight in another thread or process
    ("ex02", "sample_gradient", "forward_ad", '''
import torch.autograd.forward_ad as fwAD

def sample_gradient(x, y, w):
    with fwAD.dual_level():
        v = fwAD.make_dual(torch.tensor(float(w), dtype=torch.float64),
                           torch.tensor(1.0, dtype=torch.float64))
        return float(fwAD.unpack_dual((float(x) * v - float(y)) ** 2).tangent)
'''),
    ("ex02", "sample_gradient", "torch.func.jvp", '''
def sample_gradient(x, y, w):
    f = lambda v: (float(x) * v - float(y)) ** 2
    w = torch.tensor(float(w), dtype=torch.float64)
    return float(torch.func.jvp(f, (w,), (torch.ones_like(w),))[1])
'''),
    ("ex02", "sample_gradient", "a thread", '''
import threading

def sample_gradient(x, y, w):
    out = []
    def work():
        v = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
        ((float(x) * v - float(y)) ** 2).backward()
        out.append(float(v.grad))
    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out[0]
'''),
    ("ex02", "sample_gradient", "a pool started at import", '''
from concurrent.futures import ThreadPoolExecutor
_POOL = ThreadPoolExecutor(1)
_POOL.submit(lambda: None).result()

def _grad(x, y, w):
    v = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    ((float(x) * v - float(y)) ** 2).backward()
    return float(v.grad)

def sample_gradient(x, y, w):
    return _POOL.submit(_grad, x, y, w).result()
'''),
    ("ex02", "sample_gradient", "a child interpreter", '''
import subprocess, sys

def sample_gradient(x, y, w):
    code = ("import torch; v = torch.tensor(%r, dtype=torch.float64, requires_grad=True); "
            "((%r * v - %r) ** 2).backward(); print(float(v.grad))") % (float(w), float(x),
                                                                       float(y))
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True).stdout)
'''),
]


@pytest.mark.parametrize("ex,func,how,code", AUTOGRAD_INSIDE,
                         ids=[f"{e}-{f}-{h}" for e, f, h, _ in AUTOGRAD_INSIDE])
def test_a_manual_function_that_turns_autograd_on_loses_points(grade, ex, func, how, code):
    result = grade(ex, code, targets=[func], device="cpu")
    assert failing(result, func), f"{ex}.{func} uses autograd ({how}) and passes"
    assert "autograd off" in messages(result, func)


def test_a_manual_function_may_print_tensors_and_live_beside_threads(grade):
    """What the autograd watch must not take for autograd: printing a tensor (torch unpacks it
    to show a forward-mode tangent, dual or not), a background thread the module started (a
    progress bar's monitor) that runs no autograd, and a thread that does arithmetic."""
    code = '''
import threading, time

def _idle():
    while True:
        time.sleep(0.05)

threading.Thread(target=_idle, daemon=True).start()
_reference_sample_gradient = sample_gradient

def sample_gradient(x, y, w):
    print(torch.tensor([float(x), float(y)]))
    out = []
    t = threading.Thread(target=lambda: out.append(2 * float(x) * (float(x) * float(w) - float(y))))
    t.start()
    t.join()
    return out[0]
'''
    result = grade("ex02", code, targets=["sample_gradient"], device="cpu")
    assert not failing(result, "sample_gradient"), messages(result, "sample_gradient")
