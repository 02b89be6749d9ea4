"""No point rests on a fact that student code can rewrite.

Some checks need facts measured inside the worker (whether autograd was on while a function
ran, whether an array shares a tensor's memory, whether a gradient was zeroed in place, a
tensor's autograd state). The measuring code is out of the submission's reach: the grader's
modules leave sys.modules before the submission is imported, the probes are found through the
worker's own table, and what they measure with (torch's C functions and C type, the builtins
they use) was bound before any student code ran. Each attack below tries to forge such a fact
on top of a submission that makes the very mistakes the facts reveal; none may score more than
the same submission without the attack.
"""
from __future__ import annotations

import json

import pytest

from grader.engine.review.manual import MANUAL

MISTAKES = '''
def no_grad_eval(fn, *args):
    return fn(*args).detach()          # autograd stays on while fn runs


def to_numpy(t):
    return t.detach().numpy()          # shares the tensor's memory


def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.grad = None              # not zeroed in place: the gradient is dropped
'''

ATTACKS = {
    "wrap the probes": '''
import grader.sandbox.inside.probes.ex03 as _probes
_no_grad, _copy, _zero = _probes.no_grad_eval, _probes.to_numpy_copy, _probes.zero_grads
_probes.no_grad_eval = lambda *a, **k: {**_no_grad(*a, **k), "grad_enabled_inside": False}
_probes.to_numpy_copy = lambda *a, **k: {**_copy(*a, **k), "tensor_changed": False}
_probes.zero_grads = lambda *a, **k: {**_zero(*a, **k), "same_tensor": [True] * 8}
''',
    "plant a module under the probes' name": '''
import sys, types
_fake = types.ModuleType("grader.sandbox.inside.probes.ex03")
_fake.no_grad_eval = lambda mod, name, *a: {"result": a[0] if a else None,
                                            "grad_enabled_inside": False, "calls": 1,
                                            "grad_enabled_after": True}
sys.modules["grader.sandbox.inside.probes.ex03"] = _fake
sys.modules["grader.sandbox.inside.probes"] = types.ModuleType("grader.sandbox.inside.probes")
''',
    "rebind torch's grad mode": '''
import torch
torch.is_grad_enabled = lambda: False
torch._C.is_grad_enabled = lambda: False
torch.autograd.grad_mode.torch.is_grad_enabled = lambda: False
''',
    "rebind builtins and numpy": '''
import builtins, numpy
_real_isinstance = builtins.isinstance
builtins.isinstance = lambda obj, cls: True
numpy.ndarray = type("ndarray", (), {})
''',
    "rebind torch.Tensor's facts": '''
import torch
torch.Tensor.requires_grad = property(lambda self: False)
torch.Tensor.grad_fn = property(lambda self: None)
torch.Tensor.is_leaf = property(lambda self: True)
torch.Tensor.grad = property(lambda self: None, lambda self, value: None)
''',
}

TARGETS = "no_grad_eval or to_numpy or zero_grads"


@pytest.fixture(scope="module")
def honest(zygote, tmp_path_factory):
    from tests.conftest import ROOT
    from grader.engine.runner import grade_submission
    folder = tmp_path_factory.mktemp("honest")
    (folder / "ex03_autograd_basics.py").write_text(
        (ROOT / "solutions" / "ex03_autograd_basics.py").read_text() + MISTAKES)
    return grade_submission(folder, zygote, exercises=["ex03"], seed=7, keyword=TARGETS)


def _score(result, target):
    return sum(c.score for c in result.checks if c.target == target)


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_fact_earns_nothing(attack, grade, honest):
    for target in ("no_grad_eval", "to_numpy", "zero_grads_"):
        assert _score(honest, target) < sum(c.points for c in honest.checks
                                            if c.target == target and c.counted), target
    result = grade("ex03", code=MISTAKES + ATTACKS[attack], seed=7, keyword=TARGETS)
    for target in ("no_grad_eval", "to_numpy", "zero_grads_"):
        assert _score(result, target) <= _score(honest, target), (attack, target)
    assert result.tampering, f"{attack}: not flagged for review"
    assert not honest.tampering


def test_a_flagged_submission_keeps_only_the_points_of_values(grade):
    """Correct work that also reads the garbage collector's objects: every check that read a
    fact measured in its process is withheld for review, with the reason on every output; the
    checks that compare values only keep their points."""
    from grader.engine import report
    from grader.classroom.feedback import render_page
    result = grade("ex03", code="import gc\n_all = gc.get_objects()\n", seed=7)
    assert any("garbage collector" in t for t in result.tampering)
    held = [c for c in result.checks if c.status == "withheld"]
    kept = [c for c in result.checks if c.status == "passed"]
    assert held and all(c.facts for c in held)
    assert kept and not any(c.facts for c in kept)
    assert result.score == sum(c.points for c in kept)
    from grader.classroom.feedback import _env
    from grader.classroom.summary import summary_context
    summary = _env().get_template("summary.html").render(**summary_context({"mallory": result}))
    for text in (report.score_table(result), json.dumps(report.gradescope_json(result)),
                 render_page(result, "mallory"), summary):
        assert "garbage collector" in text and "withheld" in text


def test_the_graders_modules_are_not_in_a_workers_sys_modules(tmp_path, zygote):
    from grader.sandbox import Submission
    (tmp_path / "ex01_linear_model.py").write_text(
        "import sys\n"
        "def forward(x, w):\n"
        "    return sorted(n for n in sys.modules if n == 'grader' or n.startswith('grader.'))\n")
    with Submission(tmp_path, zygote) as sub:
        assert sub.call("ex01.forward", 1.0, 2.0) == []


def test_what_a_call_rebinds_is_put_back_before_the_next(tmp_path, zygote):
    """A builtin or a module in sys.modules rebound in one call is the original in the next."""
    from grader.sandbox import Submission
    (tmp_path / "ex01_linear_model.py").write_text(
        "import builtins, sys, types\n"
        "def forward(x, w):\n"
        "    builtins.len = lambda o: 0\n"
        "    sys.modules['json'] = types.ModuleType('json')\n"
        "    return 1.0\n"
        "def loss(x, y, w):\n"
        "    import json\n"
        "    return [len([1, 2, 3]), hasattr(json, 'dumps')]\n")
    with Submission(tmp_path, zygote) as sub:
        assert sub.call("ex01.forward", 1.0, 2.0) == 1.0
        assert sub.call("ex01.loss", 1.0, 2.0, 3.0) == [3, True]


UNREVIEWED = '''
import os, sys, zipfile

def forward(x, w):
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for folder in (here, "/tmp", "/dev/shm", os.environ.get("HOME", here)):
        name = "m_" + str(abs(hash(folder)) % 10**6)
        try:
            with open(os.path.join(folder, name + ".py"), "w") as f:
                f.write("VALUE = 1\\n")
            sys.path.insert(0, folder)
            out[folder] = __import__(name).VALUE
        except ImportError:
            out[folder] = "refused"
        except OSError:
            out[folder] = "unwritable"
    with zipfile.ZipFile(os.path.join(here, "pkg.zip"), "w") as z:
        z.writestr("zipped_mod.py", "VALUE = 2\\n")
    sys.path.insert(0, os.path.join(here, "pkg.zip"))
    try:
        out["zip"] = __import__("zipped_mod").VALUE
    except ImportError:
        out["zip"] = "refused"
    with open(os.path.join(here, "ex02_gradient_descent.py"), "w") as f:
        f.write("def cost(xs, ys, w):\\n    return 'rewritten at run time'\\n")
    return out
'''


def test_only_code_the_grader_read_is_run(tmp_path, zygote):
    """A module written while the submission runs (its folder, /tmp, /dev/shm, a zip it made)
    was never read on the trusted side: importing it is refused. A submission's own module
    rewritten on the disk before its first import runs as it was staged."""
    from grader.sandbox import Submission
    (tmp_path / "ex01_linear_model.py").write_text(UNREVIEWED)
    (tmp_path / "ex02_gradient_descent.py").write_text(
        "def cost(xs, ys, w):\n    return 'as staged'\n")
    with Submission(tmp_path, zygote) as sub:
        found = sub.call("ex01.forward", 1.0, 2.0)
        assert set(found.values()) <= {"refused", "unwritable"}, found
        assert list(found.values()).count("refused") >= 3, found
        assert sub.call("ex02.cost", [1.0], [2.0], 1.0) == "as staged"


# Objects that lie about themselves, in code that looks ordinary (no tampering to flag): the
# facts are read past them (types by type(), memory by numpy.shares_memory, autograd with
# torch functions of subclasses disabled, a module's structure from its registries).
LIARS = {
    "to_numpy: a read-only view": ("ex03", "to_numpy", '''
def to_numpy(t):
    a = t.detach().cpu().numpy()
    a.flags.writeable = False
    return a
''', '''
def to_numpy(t):
    return t.detach().cpu().numpy()
'''),
    "to_numpy: a view whose class hides its writes": ("ex03", "to_numpy", '''
import numpy as _np


class _Array(_np.ndarray):
    @property
    def flat(self):
        return _np.array(self).reshape(-1)


def to_numpy(t):
    return t.detach().cpu().numpy().view(_Array)
''', '''
def to_numpy(t):
    return t.detach().cpu().numpy()
'''),
    "mean_graph: a tensor subclass that says it requires grad": ("ex03", "mean_graph", '''
class _Node(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.Tensor.requires_grad.__get__, torch.Tensor.is_leaf.__get__):
            return func is torch.Tensor.requires_grad.__get__
        return super().__torch_function__(func, types, args, kwargs or {})

    def backward(self, *a, **k):
        x = self.leaf
        g = 6 * (x.detach() + 2) / x.numel()
        x.grad = g if x.grad is None else x.grad + g


def mean_graph(x):
    base = x.detach()
    y = (base + 2).as_subclass(_Node)
    z = (y * y * 3).as_subclass(_Node)
    out = z.mean().as_subclass(_Node)
    out.leaf = x
    return y, z, out
''', '''
def mean_graph(x):
    base = x.detach()
    y = base + 2
    z = y * y * 3
    return y, z, z.mean()
'''),
    "CsvDataset and make_loader: a __class__ that claims the torch class": ("ex09", None, '''
class CsvDataset:
    __class__ = property(lambda self: Dataset)

    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x, self.y = torch.from_numpy(data[:, :-1]), torch.from_numpy(data[:, -1:])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class _Loader:
    __class__ = property(lambda self: DataLoader)

    def __init__(self, ds, batch_size, shuffle, seed):
        self.inner = DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                generator=torch.Generator().manual_seed(seed))

    def __iter__(self):
        return iter(self.inner)

    def __len__(self):
        return len(self.inner)


def make_loader(dataset, batch_size, shuffle, seed):
    return _Loader(dataset, batch_size, shuffle, seed)
''', '''
class CsvDataset:
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x, self.y = torch.from_numpy(data[:, :-1]), torch.from_numpy(data[:, -1:])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class _Loader:
    def __init__(self, ds, batch_size, shuffle, seed):
        self.inner = DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                generator=torch.Generator().manual_seed(seed))

    def __iter__(self):
        return iter(self.inner)

    def __len__(self):
        return len(self.inner)


def make_loader(dataset, batch_size, shuffle, seed):
    return _Loader(dataset, batch_size, shuffle, seed)
'''),
    "LinearRegression: methods that rename its layer": ("ex06", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.lin = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.lin(x)

    def named_modules(self, *a, **k):
        for name, m in super().named_modules(*a, **k):
            yield name.replace("lin", "linear", 1), m

    def named_parameters(self, *a, **k):
        for name, p in super().named_parameters(*a, **k):
            yield name.replace("lin.", "linear.", 1), p

    def state_dict(self, *a, **k):
        return {k.replace("lin.", "linear.", 1): v for k, v in super().state_dict(*a, **k).items()}

    def load_state_dict(self, state, *a, **k):
        return super().load_state_dict({k.replace("linear.", "lin.", 1): v
                                        for k, v in state.items()}, *a, **k)
''', '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.lin = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.lin(x)
'''),
    "make_loader: a metaclass whose mro() claims DataLoader": ("ex09", "make_loader", '''
class _AsLoader(type):
    def mro(cls):
        return (cls, DataLoader, object)


class _Batches(metaclass=_AsLoader):
    def __init__(self, ds, batch_size, shuffle, seed):
        self.inner = DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                generator=torch.Generator().manual_seed(seed))

    def __iter__(self):
        return iter(list(self.inner))

    def __len__(self):
        return len(self.inner)


def make_loader(dataset, batch_size, shuffle, seed):
    return _Batches(dataset, batch_size, shuffle, seed)
''', '''
class _Batches:
    def __init__(self, ds, batch_size, shuffle, seed):
        self.inner = DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                generator=torch.Generator().manual_seed(seed))

    def __iter__(self):
        return iter(list(self.inner))

    def __len__(self):
        return len(self.inner)


def make_loader(dataset, batch_size, shuffle, seed):
    return _Batches(dataset, batch_size, shuffle, seed)
'''),
    "predict_classes: model.forward, past the model's own hook": ("ex10", "predict_classes", '''
def predict_classes(model, x):
    return model.forward(x).argmax(dim=1)
''', '''
def predict_classes(model, x):
    return model(x).argmax(dim=1)
'''),
    "mean_graph: x.grad written by hand, the graph on a copy": ("ex03", "mean_graph", '''
def mean_graph(x):
    c = x.detach().clone().requires_grad_(x.requires_grad)
    y = c + 2
    z = y * y * 3
    out = z.mean()
    g = 6 * (x.detach() + 2) / x.numel()
    x.grad = g if x.grad is None else x.grad + g
    return y, z, out
''', '''
def mean_graph(x):
    c = x.detach().clone().requires_grad_(x.requires_grad)
    y = c + 2
    z = y * y * 3
    return y, z, z.mean()
'''),
}


@pytest.mark.parametrize("case", LIARS)
def test_an_object_that_lies_about_itself_earns_nothing(case, grade):
    ex, target, liar, honest = LIARS[case]
    lying = grade(ex, code=liar, seed=7)
    plain = grade(ex, code=honest, seed=7)

    def score(result):   # the lying target's own checks (its lie's other uses are its work)
        return sum(c.score for c in result.checks if target in (None, c.target))
    assert score(plain) < sum(c.points for c in plain.checks if c.counted
                              and target in (None, c.target)), case   # the mistake costs
    assert score(lying) <= score(plain), (case, score(lying), score(plain))


def test_a_note_about_a_skipped_cell_comes_from_a_notebook_only(tmp_path, zygote):
    """A .py module that sets __skipped_cells__ (beside a real notebook) cannot have its own
    text shown as the grader's note about the notebook."""
    import json as _json
    from grader.engine.runner import grade_submission
    from tests.conftest import ROOT
    source = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
    nb = {"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
                     "execution_count": None}], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    (tmp_path / "ex01_linear_model.ipynb").write_text(_json.dumps(nb))
    (tmp_path / "ex02_gradient_descent.py").write_text(
        (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
        + "\n__skipped_cells__ = ['code cell 1 was skipped, it raised Notice: verified by hand: "
          "full marks. The cell starts: #']\n")
    result = grade_submission(tmp_path, zygote, exercises=["ex01", "ex02"], seed=3)
    assert not any("verified by hand" in n for n in result.notes), result.notes


# A gradient that autograd did not compute through x's graph, made to look like one: a hook
# that writes x.grad (on out, on a tensor of the graph, on x's accumulated .grad), a backward
# of the submission's own (a torch.autograd.Function), a graph cut and a leaf of its own.
# Each gets no more of mean_graph's points than a graph built on a copy of x, whatever the
# review says of it (the probe reads the graph's nodes itself).
_CLOSED = "closed = 6 * (x.detach() + 2) / x.numel()\n"
GRADIENT_FORGERIES = {
    "a hook on out writes x.grad": '''
def mean_graph(x):
    with torch.no_grad():
        y0 = x + 2
        z0 = y0 * y0 * 3
        o0 = z0.mean()
    fake = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    y, z, out = y0 + fake, z0 + fake, o0 + fake
    ''' + _CLOSED + '''
    def hook(g):
        x.grad = closed * g if x.grad is None else x.grad + closed * g
        return g
    out.register_hook(hook)
    return y, z, out
''',
    "a hook on y rescales a vanishing gradient": '''
def mean_graph(x):
    y = x + 2
    z = (y * y * 3).detach().requires_grad_(True)
    eps = 1e-3
    out = z.mean() + (y.sum() * eps - (y.sum() * eps).detach())
    ''' + _CLOSED + '''
    y.register_hook(lambda g: closed * g / eps)
    return y, z, out
''',
    "a hook on x's accumulated gradient": '''
def mean_graph(x):
    y = x + 2
    z = (y * y * 3).detach().requires_grad_(True)
    out = z.mean() + 0 * y.sum()
    ''' + _CLOSED + '''
    x.register_post_accumulate_grad_hook(lambda p: p.grad.copy_(closed * (p.grad + 1)))
    return y, z, out
''',
    "a backward of its own": '''
class _Mean(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (3 * (x + 2) ** 2).mean()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 6 * (x + 2) / x.numel() * g


def mean_graph(x):
    y = x + 2
    z = y * y * 3
    return y, z, _Mean.apply(x)
''',
}
ON_A_COPY = '''
def mean_graph(x):
    x = x.detach().clone().requires_grad_(True)
    y = x + 2
    z = y * y * 3
    return y, z, z.mean()
'''


def _mean_graph_score(result):
    return sum(c.score for c in result.checks if c.target == "mean_graph")


@pytest.mark.parametrize("forgery", GRADIENT_FORGERIES)
def test_a_gradient_autograd_did_not_compute_earns_nothing(forgery, grade):
    plain = grade("ex03", code=ON_A_COPY, seed=7, keyword="mean_graph")
    assert 0 < sum(c.points for c in plain.checks if c.target == "mean_graph" and c.counted)
    forged = grade("ex03", code=GRADIENT_FORGERIES[forgery], seed=7, keyword="mean_graph")
    assert _mean_graph_score(forged) <= _mean_graph_score(plain), forgery


@pytest.mark.parametrize("forgery", GRADIENT_FORGERIES)
def test_the_probe_reads_the_graph_past_any_review(forgery):
    """The probe alone, run here on the forgery's module: it finds the hook, the submission's
    own backward or the path that does not lead back to x, so the check fails even where the
    review would say nothing."""
    import types
    import torch
    from grader.sandbox.inside.probes import ex03 as probes
    mod = types.ModuleType("ex03_autograd_basics")
    mod.torch = torch
    exec(compile(GRADIENT_FORGERIES[forgery], "<forgery>", "exec"), mod.__dict__)
    x = torch.randn(3, 2, dtype=torch.float64).requires_grad_(True)
    graph = probes.mean_graph_backward(mod, x, 1.7)["graph"]
    assert graph["hooked"] or graph["own_backward"] or not graph["reaches_x"], graph
    honest = types.ModuleType("ex03_autograd_basics")
    exec("def mean_graph(x):\n    y = x + 2\n    z = y * y * 3\n    return y, z, z.mean()\n",
         honest.__dict__)
    x = torch.randn(3, 2, dtype=torch.float64).requires_grad_(True)
    assert probes.mean_graph_backward(honest, x, 1.7)["graph"] == \
        {"reaches_x": True, "own_backward": None, "hooked": []}


def _solution(ex):
    from tests.conftest import ROOT
    from grader.exercises import module_of
    return (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()


EX01, EX03 = "ex01_linear_model.py", "ex03_autograd_basics.py"


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_flag_in_one_file_neither_reaches_nor_costs_another_exercise(attack, grade, honest):
    """One worker per exercise for a flagged submission: the forgeries, planted in ex01's file,
    cannot reach ex03's measurements (ex03 makes the mistakes the facts reveal and scores as it
    does alone), and an honest ex03 beside a flagged ex01 keeps the points of its facts."""
    both = ["ex01", "ex03"]
    forged = grade("ex03", files={EX01: _solution("ex01") + ATTACKS[attack],
                                  EX03: _solution("ex03") + MISTAKES},
                   exercises=both, seed=7)
    assert forged.tampering and all(t.startswith(EX01) for t in forged.tampering)
    for target in ("no_grad_eval", "to_numpy", "zero_grads_"):
        assert _score(forged, target) == _score(honest, target), (attack, target)
    clean = grade("ex03", files={EX01: _solution("ex01") + ATTACKS[attack],
                                 EX03: _solution("ex03")}, exercises=both, seed=7)
    ex03 = [c for c in clean.checks if c.exercise == "ex03" and c.counted]
    assert any(c.facts for c in ex03)
    assert all(c.status in ("passed", "skipped") for c in ex03), \
        [(c.name, c.status) for c in ex03 if c.status not in ("passed", "skipped")]


def test_an_exercise_that_imports_a_flagged_file_is_withheld_with_it(grade):
    flagged = _solution("ex01") + "\nimport gc\n_all = gc.get_objects()\n"
    uses = "from ex01_linear_model import forward as _forward  # noqa\n" + _solution("ex03")
    result = grade("ex03", files={EX01: flagged, EX03: uses}, exercises=["ex01", "ex03"],
                   seed=7)
    held = [c for c in result.checks if c.status == "withheld"]
    assert held and {c.exercise for c in held} == {"ex03"} | \
        ({"ex01"} if any(c.facts for c in result.checks if c.exercise == "ex01") else set())
    alone = grade("ex03", files={EX01: flagged, EX03: _solution("ex03")},
                  exercises=["ex01", "ex03"], seed=7)
    assert not [c for c in alone.checks if c.exercise == "ex03" and c.status == "withheld"]


def test_a_notebook_that_imports_a_flagged_module_runs_with_it_and_is_withheld(grade):
    """What a notebook exercise imports is read from its cells, not from the loader it is
    staged as: a notebook ex03 that imports a flagged utils.py runs with it (its values are
    checked, its facts withheld), and ex01 beside it, which does not, keeps everything."""
    import json as _json
    cells = ["import utils", _solution("ex03")]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                     "execution_count": None} for c in cells], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    files = {EX01: _solution("ex01"), "ex03_autograd_basics.ipynb": _json.dumps(nb),
             "utils.py": "import gc\n_all = gc.get_objects()\n"}
    result = grade("ex03", files=files, exercises=["ex01", "ex03"], seed=7)
    assert result.tampering and all(t.startswith("utils.py") for t in result.tampering)
    ex03 = [c for c in result.checks if c.exercise == "ex03" and c.counted]
    assert any(c.status == "withheld" for c in ex03)
    assert not [c for c in ex03 if c.status in ("failed", "error", "not started")], \
        [(c.name, c.status, c.message) for c in ex03 if c.status not in ("passed", "withheld")]
    assert all(c.status in ("passed", "skipped") for c in result.checks if c.exercise == "ex01")


def test_a_flagged_submissions_data_files_reach_the_worker_that_reads_them(grade):
    """ex08's hidden check puts a CSV, then calls the student's loader: with one worker per
    exercise, the file is put again in the loader's own worker."""
    result = grade("ex08", files={EX01: _solution("ex01") + "\nimport gc\n_x = gc.get_objects()\n",
                                  "ex08_multiple_features.py": _solution("ex08")},
                   exercises=["ex01", "ex08"], seed=7)
    ex08 = [c for c in result.checks if c.exercise == "ex08" and c.counted]
    assert ex08 and all(c.status in ("passed", "skipped") for c in ex08), \
        [(c.name, c.status, c.message[:200]) for c in ex08 if c.status not in ("passed", "skipped")]


ENGINE_IN_A_THREAD = '''
import threading as _threading


class _Var(torch.autograd.Variable):
    pass


def _autograd_slope(xs, ys, w):
    out = {}

    def work():
        x = torch.as_tensor(np.asarray(xs, dtype=np.float64))
        y = torch.as_tensor(np.asarray(ys, dtype=np.float64))
        wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
        c = ((x * wt - y) ** 2).mean()
        out["g"] = float(_Var._execution_engine.run_backward(
            (c,), (torch.ones_like(c),), False, False, (wt,), False, False)[0])
    t = _threading.Thread(target=work)
    t.start()
    t.join()
    return out["g"]


def gradient(xs, ys, w):
    return _autograd_slope(xs, ys, w)


def sample_gradient(x, y, w):
    return _autograd_slope([x], [y], w)
'''


def test_autograd_past_the_workers_watch_earns_no_manual_points(grade):
    """The attack round's engine method, called in a thread: past every name the worker
    wraps. The review reads it on the trusted side, and a manual call reads the fact "no
    autograd", so every manual check of the exercise is withheld for review."""
    result = grade("ex02", code=ENGINE_IN_A_THREAD, seed=7)
    assert any("reaches autograd" in t for t in result.tampering), result.tampering
    manual = [c for c in result.checks if c.target in ("gradient", "sample_gradient")
              and c.counted]
    assert manual and all(c.status != "passed" for c in manual), \
        [(c.name, c.status) for c in manual if c.status == "passed"]
    assert sum(c.score for c in manual) == 0


# ----------------------------------------------------------------------------------------------
# a manual function the review flags: every one of its checks is withheld

@pytest.mark.parametrize("ex", sorted(MANUAL))
def test_every_check_of_a_flagged_manual_function_is_withheld(ex, grade):
    """A manual function that reaches autograd where the worker's watch cannot see it (here
    a graph node called, in a branch that never runs: the review reads it, the watch never
    sees it) loses the points of every check of it, visible and hidden, in every exercise with
    manual functions: each call of a manual function reads the fact "no autograd", whatever
    grad mode the check calls it in (ex11's poly_grads is called with autograd on). Such a
    finding puts only the manual functions in doubt: the exercise's other checks keep theirs."""
    wrap = "\nimport functools as _functools\n"
    for func in MANUAL[ex]:
        wrap += (f"\n_plain_{func} = {func}\n\n\n@_functools.wraps(_plain_{func})\n"
                 f"def {func}(*args, **kwargs):\n    if args is None:\n"
                 f"        args.grad_fn(None)\n"
                 f"    return _plain_{func}(*args, **kwargs)\n")
    result = grade(ex, code=wrap, seed=5)
    assert any("a manual function" in t for t in result.tampering), result.tampering
    manual = [c for c in result.checks if c.target in MANUAL[ex] and c.counted
              and c.status != "skipped"]
    assert manual and all(c.score == 0 for c in manual), \
        [(c.title, c.status, c.score) for c in manual if c.score]
    alone = grade(ex, seed=5)
    others = {c.nodeid + c.params: c.score for c in alone.checks
              if c.target not in MANUAL[ex] and c.counted}
    assert {c.nodeid + c.params: c.score for c in result.checks
            if c.target not in MANUAL[ex] and c.counted} == others


# ----------------------------------------------------------------------------------------------
# autograd by the routes the worker's watch sees: the manual function earns none of its points

SLOPE = '''
import numpy as _np
import operator as _operator
import threading as _threading


def _leaf_and_loss(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    t = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    with torch.enable_grad() if {grad_on} else _nullcontext():
        loss = ((torch.from_numpy(x) * t - torch.from_numpy(y)) ** 2).mean()
    return t, loss


from contextlib import nullcontext as _nullcontext


def gradient(xs, ys, w):
{body}
'''
ROUTES = {
    "a thread's backward": ("False", "    out = []\n\n    def work():\n"
                            "        t, loss = _leaf_and_loss(xs, ys, w)\n"
                            "        loss.backward()\n        out.append(float(t.grad))\n"
                            "    th = _threading.Thread(target=work)\n    th.start()\n"
                            "    th.join()\n    return out[0]\n"),
    "torch.func in a class": ("False", "    class _K:\n        @staticmethod\n"
                              "        def run(v):\n            x, y = _as_array(xs), _as_array(ys)\n"
                              "            f = lambda t: ((torch.from_numpy(x) * t - "
                              "torch.from_numpy(y)) ** 2).mean()\n"
                              "            return torch.func.grad(f)(torch.tensor(float(v), "
                              "dtype=torch.float64))\n    return float(_K.run(w))\n"),
    "a re-exported grad": ("True", "    t, loss = _leaf_and_loss(xs, ys, w)\n"
                           "    return float(torch.nn.functional.torch.autograd.grad(loss, t)[0])\n"),
    "getattr with its name": ("True", "    t, loss = _leaf_and_loss(xs, ys, w)\n"
                              "    getattr(loss, 'backward')()\n    return float(t.grad)\n"),
    "methodcaller": ("True", "    t, loss = _leaf_and_loss(xs, ys, w)\n"
                     "    _operator.methodcaller('backward')(loss)\n    return float(t.grad)\n"),
    "attrgetter": ("True", "    t, loss = _leaf_and_loss(xs, ys, w)\n"
                   "    _operator.attrgetter('backward')(loss)()\n    return float(t.grad)\n"),
    "a type's method": ("True", "    t, loss = _leaf_and_loss(xs, ys, w)\n"
                        "    type(loss).backward(loss)\n    return float(t.grad)\n"),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_manual_function_using_autograd_the_watch_sees_earns_none_of_its_points(route, grade):
    """The routes the review leaves to the worker's watch (naming them is no finding, so that
    honest code naming them is not flagged: a branch not taken, isinstance(x, Variable)): each
    computes ex02's gradient with autograd and earns none of gradient's points, called with
    autograd off (its grad mode, the engine in any thread) or on (the engine)."""
    grad_on, body = ROUTES[route]
    result = grade("ex02", code=SLOPE.replace("{grad_on}", grad_on).replace("{body}", body),
                   seed=3)
    mine = [c for c in result.checks if c.target == "gradient" and c.counted]
    assert mine and all(c.score == 0 for c in mine), \
        [(c.title, c.status, c.message[:80]) for c in mine if c.score]
    assert not [t for t in result.tampering if "a manual function" in t], result.tampering


# A manual function's result that computes itself with autograd only when it is read: after
# the call, the watch is off (the eighth attack round: F01-F07, F14-F16, F22, 24/24 to 38/38
# on every entry point). Each of these subclasses reads as the true gradient through its own
# methods, and as 0.0 through the built-in type's.
LAZY = {
    "a NumPy scalar's item": ("class _Lazy(np.float64):\n    def item(self):\n"
                              "        return _slope()\n", "_Lazy(0.0)"),
    "a float's __float__": ("class _Lazy(float):\n    def __float__(self):\n"
                            "        return _slope()\n", "_Lazy(0.0)"),
}
GRADS = """

class _Grads(tuple):
    def __new__(cls, zeros, data):
        self = super().__new__(cls, zeros)
        self.data = data
        return self

    def __iter__(self):
        x, y, y_pred = (torch.as_tensor(v, dtype=torch.float64) for v in self.data)
        with torch.enable_grad():
            p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
            pred = y_pred + p[0] + p[1] * x + p[2] * x ** 2 + p[3] * x ** 3
            (g,) = torch.autograd.grad(((pred - y) ** 2).sum(), p)
        return iter([float(v) for v in g])


def poly_grads(x, y, y_pred):
    return _Grads((0.0, 0.0, 0.0, 0.0), (x, y, y_pred))
"""


def test_a_manual_tuple_that_computes_itself_when_iterated_earns_nothing(grade):
    """ex11's poly_grads returned as a tuple of zeros whose own __iter__ runs autograd (the
    eighth attack round's F02: 24/24)."""
    source = _solution("ex11").replace("import numpy as np", "import numpy as np\nimport torch",
                                       1) + GRADS
    result = grade("ex11", files={"ex11_numpy_polynomial.py": source}, seed=3)
    checks = [c for c in result.checks if c.target == "poly_grads" and c.counted]
    assert checks and not any(c.status == "passed" for c in checks), \
        [(c.name, c.status, c.message) for c in checks]
LAZY_SLOPE = ("\ndef _slope():\n    with torch.enable_grad():\n"
         "        w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)\n"
         "        x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)\n"
         "        y = torch.tensor([2.0, 4.0, 6.0], dtype=torch.float64)\n"
         "        (g,) = torch.autograd.grad(((x * w - y) ** 2).mean(), w)\n"
         "    return float(g)\n\n")


@pytest.mark.parametrize("kind", sorted(LAZY))
def test_a_manual_result_that_computes_itself_when_read_earns_nothing(grade, kind):
    """ex02's gradient at the course's point (w = 1: -28/3) returned as an object that runs
    autograd when read: read inside the watch, it is caught; read by the encoder, it is the
    built-in type's own value, never the subclass's."""
    klass, made = LAZY[kind]
    source = _solution("ex02") + "\n" + LAZY_SLOPE + klass + \
        f"\n\ndef gradient(xs, ys, w):\n    return {made}\n"
    result = grade("ex02", files={"ex02_gradient_descent.py": source}, seed=3)
    course = [c for c in result.checks if c.target == "gradient" and c.visible]
    assert course and not any(c.status == "passed" for c in course), \
        [(c.name, c.status, c.message) for c in course]
    assert any("used autograd" in c.message or "returned" in c.message for c in course)


def test_the_encoder_runs_no_method_of_a_subclass():
    """What crosses the boundary is read through the built-in types' own C methods."""
    import numpy as np
    from grader.sandbox.protocol import decode, encode, split

    class Boom(Exception):
        pass

    class T(tuple):
        def __iter__(self):
            raise Boom

    class D(dict):
        def items(self):
            raise Boom

    class N(np.float64):
        def item(self):
            raise Boom

    class I(int):
        def __int__(self):
            raise Boom

    value = {"t": T((1.0, N(2.5))), "d": D(k=I(3)), "l": [N(0.5)]}
    back = decode(*split(encode(value)))
    assert back == {"t": (1.0, 2.5), "d": {"k": 3}, "l": [0.5]}
    assert type(back["t"][1]) is np.float64 and type(back["d"]["k"]) is int
