"""A function whose contract is autograd (USES_AUTOGRAD) takes its answer from the gradients
autograd computed: a closed form beside a backward pass of no use passes the evidence that the
engine ran on the call's own data (grader.sandbox.inside.probes.evidence), so the call is run a
second time with every gradient turned round (probes.depends): an answer that comes back the same
did not use them. Laundering three ways loses what no autograd at all loses; honest loops (SGD,
momentum, Adam for one step, clipping, torch.autograd.grad, a leaf per step) keep their points."""
from __future__ import annotations

import itertools

import pytest
import torch

from grader.sandbox.inside.probes import depends, guard
from grader.sandbox.inside.probes.autograd_watch import _WATCHING
from tests.conftest import failing, messages

UNUSED = "does not come from the gradients it computed"

# closed forms beside a backward pass that reaches the parameters or the returned numbers
LAUNDERED = {
    "ex06": ("train", '''
def train(model, X, Y, lr, n_iter):
    sum(p.sum() * 0.0 for p in model.parameters()).backward()
    for p in model.parameters():
        p.grad = None
    W, b = model.linear.weight, model.linear.bias
    losses = []
    with torch.no_grad():
        for _ in range(n_iter):
            r = X @ W.T + b - Y
            losses.append(float((r * r).mean()))
            gW = 2 * r.T @ X / r.numel()
            gb = 2 * r.sum(0) / r.numel()
            W -= lr * gW
            b -= lr * gb
    return losses
'''),
    "ex05": ("fit", '''
def fit(x, y, lr, iters, seed):
    w, b = init_params(seed, x.device)
    (w * 0 + b * 0).sum().backward()
    losses = []
    with torch.no_grad():
        for _ in range(iters):
            r = x * w + b - y
            losses.append((r ** 2).mean().item())
            w.copy_(w - lr * (2 * r * x).mean())
            b.copy_(b - lr * (2 * r).mean())
        w.grad, b.grad = None, None
    return w, b, losses
'''),
    "ex04": ("train_autograd", '''
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w, losses = float(w0), []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x.tolist(), y.tolist()):
            r = xi * w - yi
            last = float(torch.tensor(r * r, dtype=x.dtype))
            w = float(torch.tensor(w - lr * 2 * r * xi, dtype=x.dtype))
        losses.append(last)
    for v in [w] + losses:           # the engine run on each returned number, in turn
        held = torch.tensor(v, requires_grad=True)
        (held * 1.0).backward()
    return w, losses
'''),
}


@pytest.mark.parametrize("ex", sorted(LAUNDERED))
def test_an_answer_made_beside_autograd_loses_its_points(grade, ex):
    func, code = LAUNDERED[ex]
    result = grade(ex, code, targets=[func], device="cpu")
    lost = failing(result, func)
    assert lost, f"{ex}.{func}: a closed form beside a backward pass of no use passes"
    assert UNUSED in messages(result, func)
    assert not any(c.target == func and c.status == "passed" and c.visible for c in
                   result.checks[len(result.checks) // 2:]), "later checks of it still pass"


def _watched(fn, *args):
    guard.expect(None, [fn.__name__], ["steps"])
    depends._TRIED.discard(fn.__name__)
    depends._FOUND.pop(fn.__name__, None)
    assert not _WATCHING
    return guard.watched(fn, fn.__name__, *args)[1]


def _model():
    torch.manual_seed(0)
    return torch.nn.Linear(3, 1)


X, Y = torch.randn(8, 3, generator=torch.Generator().manual_seed(1)), torch.ones(8, 1)


def sgd_momentum(model, steps):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
    return float(((model(X) - Y) ** 2).mean())


def adam_one_step(model, steps):
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def clipped(model, steps):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - Y) ** 2).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.01)
        opt.step()
    return losses


def by_autograd_grad(model, steps):
    params = list(model.parameters())
    for _ in range(steps):
        grads = torch.autograd.grad(((model(X) - Y) ** 2).mean(), params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= 0.1 * g
    return None


def new_leaf_per_step(w, steps):
    w = w.detach().clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w - Y[:, 0]) ** 2).mean().backward()
        w = (w - 0.1 * w.grad).detach().requires_grad_(True)
    return w


def zero_output_returned_loss(model, steps):
    """train_step's shape: the loss before the update is returned, the model trained in place."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = ((model(X) - Y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


@pytest.fixture(params=["copied"])
def order(request):
    """The way the runs beside the call are made: on copies, the call on a copy of its own."""
    return request.param


@pytest.mark.parametrize("fn", [sgd_momentum, adam_one_step, clipped, by_autograd_grad,
                                zero_output_returned_loss])
@pytest.mark.parametrize("steps", [1, 3])
def test_honest_training_is_not_told_it_ignores_its_gradients(fn, steps, order):
    found = _watched(fn, _model(), steps)
    assert not (found or {}).get("no_autograd"), found


def asserts_the_loss_fell(model, steps):
    """Honest, with a check of her own: the loss must have gone down (it goes up when the
    gradients are turned round: that run tells nothing, and nothing is said)."""
    losses = [sgd_momentum(model, 1) for _ in range(steps + 1)]
    assert losses[-1] <= losses[0], "diverged"
    return losses


def test_a_check_of_her_own_that_stops_a_turned_run_is_told_so(order):
    """A run turned round that raises where the run as it is did not decides nothing by
    itself, and a closed form beside a sanity step that raises there would pass: the call
    fails, told that a check of its own hides where its answer comes from."""
    found = _watched(asserts_the_loss_fell, _model(), 2)
    assert (found or {}).get("no_autograd") == "raised", found


def _closed_form(model, steps, tell=None):
    sum(p.sum() * 0 for p in model.parameters()).backward()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.5)
    return tell() if tell else 1.0


_CALLS = [0]


def _jitter():
    _CALLS[0] += 1
    return 1.0 + 1e-9 * _CALLS[0]            # never quite the same number twice


def _np_scalar():
    import numpy as np
    return [np.float32(1.0), np.float64(2.0)]


def _prints():
    import io
    import sys
    print("step done")
    return 2.0 if isinstance(sys.stdout, io.StringIO) else 1.0   # the same stream in both runs


@pytest.mark.parametrize("tell", [_jitter, _np_scalar, _prints], ids=["jitter", "np-scalars",
                                                                       "prints"])
def test_what_tells_the_runs_apart_without_the_gradients_does_not_help(tell, order):
    def closed_form(model, steps):
        return _closed_form(model, steps, tell)
    found = _watched(closed_form, _model(), 2)
    assert (found or {}).get("no_autograd") == "unused", found


def test_counts_are_read_by_the_contracts_names():
    """A parameter of hers called `steps` that is not the contract's count does not decide
    which call is tried, and the contract's count of 0 asks for no backward pass whatever she
    named it."""
    def renamed(steps, model, n_iter):      # the contract's (model, n_epochs)
        return _closed_form(model, n_iter)
    guard.expect(None, ["renamed"], ["steps", "n_epochs"], {"renamed": ["x", "model",
                                                                         "n_epochs"]})
    depends._TRIED.discard("renamed")
    depends._FOUND.pop("renamed", None)
    found = guard.watched(renamed, "renamed", torch.ones(2), _model(), 2)[1]
    assert (found or {}).get("no_autograd") == "unused", found
    depends._TRIED.discard("renamed")
    depends._FOUND.pop("renamed", None)

    def no_pass(x, model, n_iter):
        return [p.detach().clone() for p in model.parameters()]
    guard.expect(None, ["no_pass"], ["steps", "n_epochs"], {"no_pass": ["x", "model",
                                                                         "n_epochs"]})
    assert guard.watched(no_pass, "no_pass", torch.ones(2), _model(), 0)[1] is None


def test_a_closed_form_beside_a_backward_pass_fails_in_either_order(order):
    def beside(model, steps):
        return _closed_form(model, steps)
    found = _watched(beside, _model(), 2)
    assert (found or {}).get("no_autograd") == "unused", found


def test_the_turned_run_leaves_the_global_generators_as_they_were(order):
    def draws(model, steps):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
        return float(torch.rand(())), float(model.bias)
    torch.manual_seed(5)
    expected = draws(_model(), 1)[0]
    torch.manual_seed(5)
    guard.expect(None, ["draws"], ["steps"])
    depends._TRIED.discard("draws")
    depends._FOUND.pop("draws", None)
    value, found = guard.watched(draws, "draws", _model(), 1)
    assert value[0] == expected and not (found or {}).get("no_autograd"), (value, found)


def test_a_leaf_made_each_step_is_honest_too():
    found = _watched(new_leaf_per_step, torch.zeros(3), 2)
    assert not (found or {}).get("no_autograd"), found


class _Refuses(torch.nn.Linear):
    def __deepcopy__(self, memo):
        raise TypeError("not copied")


def test_arguments_that_refuse_to_be_copied_fail_the_call():
    """Arguments that refuse copy.deepcopy fail the call, told why: a model of hers that
    refuses to be copied would spare it its runs (run in a process of its own instead, the
    call was told from them by its process id)."""
    torch.manual_seed(0)
    found = _watched(sgd_momentum, _Refuses(3, 1), 2)
    assert (found or {}).get("no_autograd") == "uncopied", found
    again = guard.watched(sgd_momentum, "sgd_momentum", _Refuses(3, 1), 2)[1]
    assert (again or {}).get("no_autograd") == "uncopied", "a later call passes"


def test_a_long_call_is_left_to_a_shorter_one(monkeypatch):
    """A call whose counts are past MAX_COUNT runs once; the next short call is the one tried,
    and a later short one only where the coin says so."""
    depends._TRIED.discard("adam_one_step")
    assert not depends.wanted("adam_one_step", {"steps": depends.MAX_COUNT + 1})
    assert depends.wanted("adam_one_step", {"steps": 3})
    monkeypatch.setattr(depends, "_urandom", lambda n: bytes([1]))
    assert not depends.wanted("adam_one_step", {"steps": 3})
    monkeypatch.setattr(depends, "_urandom", lambda n: bytes([depends.LATER_ODDS]))
    assert depends.wanted("adam_one_step", {"steps": 3})


# -- what tells the runs beside the call from the call itself, and honest state kept between
#    calls: each by-hand answer below gets points only where its runs cannot be told apart

def _by_hand(model, steps):
    """A closed form beside a backward pass of no use: what the tellers below dress up (its
    parameters left at 0.5 everywhere)."""
    sum(p.sum() * 0 for p in model.parameters()).backward()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.5)
    return 1.0


def _right_by_hand(model, steps):
    """sgd_momentum's very answer, its gradients worked out by hand beside a backward pass of
    no use (it marks the model it ran on)."""
    model.by_hand = True
    sum(p.sum() * 0 for p in model.parameters()).backward()
    W, b = model.weight, model.bias
    bufs = [None, None]
    with torch.no_grad():
        for _ in range(steps):
            r = X @ W.T + b - Y
            grads = (2 * r.T @ X / r.numel(), 2 * r.sum(0) / r.numel())
            for i, (p, g) in enumerate(zip((W, b), grads)):
                bufs[i] = g.clone() if bufs[i] is None else bufs[i] * 0.9 + g
                p -= 0.1 * bufs[i]
        return float(((X @ W.T + b - Y) ** 2).mean())


def _honest_unless(told):
    """A teller: by hand where `told(model)` says this is the object the caller made, honest
    autograd elsewhere (in what it takes for the grader's copies)."""
    def teller(model, steps):
        return _right_by_hand(model, steps) if told(model) else sgd_momentum(model, steps)
    teller.__name__ = told.__name__
    return teller


def refcount(model):
    import sys
    return sys.getrefcount(model) >= _REFS[0]     # fewer references: a copy


def version(model):
    return [p._version for p in model.parameters()] == _VERSIONS   # a copy's tensors are new


def setstate(model):
    return not getattr(model, "copied", False)    # deepcopy runs __setstate__


def registry(model):
    return model in _MADE                          # deepcopy does not run __init__


def storage(model):
    return not model.weight.untyped_storage().resizable()   # made from a buffer, as decoded


def step_hook(model):
    _HOOKED.clear()
    p = torch.zeros(1, requires_grad=True)
    torch.optim.SGD([p], lr=0.0).step()           # does her hook, set at import, fire here?
    return bool(_HOOKED)


def process_id(model):
    import os
    return os.getpid() == _PID[0]


_REFS, _VERSIONS, _PID, _HOOKED = [0], [], [0], []
_MADE: "weakref.WeakSet" = None


class _Marked(torch.nn.Linear):
    def __init__(self, *a):
        super().__init__(*a)
        _MADE.add(self)
        with torch.no_grad():    # its weight held in a storage that cannot grow, as decoded
            data = bytearray(self.weight.detach().numpy().tobytes())
            self.weight.data = torch.frombuffer(data, dtype=torch.float32).view_as(self.weight)

    def __setstate__(self, state):              # run by copy.deepcopy
        super().__setstate__(state)
        self.copied = True


ORDERS = [list(o) for o in itertools.permutations(("call", "plain", "turned"))]
TELLERS = [refcount, version, setstate, registry, storage, step_hook, process_id]


@pytest.mark.parametrize("told", TELLERS)
@pytest.mark.parametrize("runs", ORDERS, ids="-".join)
def test_what_tells_the_callers_objects_from_copies_does_not_help(told, runs, monkeypatch):
    """The call runs on a copy of its arguments made as the runs' copies are, so whatever tells
    the objects the caller made from copies (their references, version counters, a registry
    filled by __init__, a storage as the grader decoded it, a hook of hers the runs would
    lack, the process) tells the call nothing: a submission that answers by hand where it
    thinks it sees the caller's objects never does so in the call, or is caught."""
    import os
    import sys
    import weakref
    global _MADE
    monkeypatch.setattr(depends, "_order", lambda: list(runs))
    _MADE = weakref.WeakSet()
    from torch.optim.optimizer import register_optimizer_step_post_hook
    handle = register_optimizer_step_post_hook(
        lambda *a: _HOOKED.append(1))
    try:
        torch.manual_seed(0)
        model = _Marked(3, 1)
        _REFS[0] = sys.getrefcount(model)
        _VERSIONS[:] = [p._version for p in model.parameters()]
        _PID[0] = os.getpid()
        found = _watched(_honest_unless(told), model, 2)
    finally:
        handle.remove()
    caught = (found or {}).get("no_autograd") in ("apart", "unused")
    assert caught or not getattr(model, "by_hand", False), found     # the call ran by hand


def _sightings(model, steps):
    """By hand, but honest autograd at one sighting of the same values out of three: it counts
    what it has seen, and cannot know which run is turned."""
    key = tuple(float(v) for p in model.parameters() for v in p.detach().flatten())
    _SEEN[key] = _SEEN.get(key, 0) + 1
    if _SEEN[key] == _HONEST_AT[0]:
        return sgd_momentum(model, steps)
    return _by_hand(model, steps)


_SEEN: dict = {}
_HONEST_AT = [1]


@pytest.mark.parametrize("honest_at", [1, 2, 3])
def test_counting_sightings_is_caught_unless_the_call_itself_is_honest(honest_at, monkeypatch):
    """Over the six orders the runs may come in, a submission honest at its k-th sighting of
    the same values answers by hand in the call itself in four; in two of those at least its
    honest sighting is the run as it is, which then differs from the call, and it fails (where
    its honest sighting is the turned run, it takes its chance: a worker tries
    the first call of each function and one in four later ones, so it takes it again and
    again)."""
    _HONEST_AT[0] = honest_at
    caught = by_hand_calls = 0
    for runs in ORDERS:
        monkeypatch.setattr(depends, "_order", lambda: list(runs))
        _SEEN.clear()
        verdict = (_watched(_sightings, _model(), 2) or {}).get("no_autograd")
        call_honest = runs.index("call") + 1 == honest_at
        by_hand_calls += not call_honest
        caught += bool(verdict) and not call_honest
    assert by_hand_calls == 4 and caught >= 2, caught


_MEMO: dict = {}


def memoized(model, steps):
    """Honest: autograd, its answers kept by the values of its inputs (a notebook calls it for
    several plots)."""
    key = tuple(float(v) for p in model.parameters() for v in p.detach().flatten()) + (steps,)
    if key not in _MEMO:
        _MEMO[key] = (sgd_momentum(model, steps),
                      [p.detach().clone() for p in model.parameters()])
    loss, state = _MEMO[key]
    with torch.no_grad():
        for p, v in zip(model.parameters(), state):
            p.copy_(v)
    return loss


class _Stacked(torch.nn.Linear):
    """Honest: keeps a tensor made from its parameters (not a leaf), which deepcopy refuses."""

    def __init__(self, *a):
        super().__init__(*a)
        self.both = torch.cat([self.weight.flatten(), self.bias])


@pytest.mark.parametrize("make", [lambda: _model(), lambda: _Stacked(3, 1)],
                         ids=["linear", "non-leaf-attribute"])
def test_state_kept_between_calls(make, order):
    """A memo of her own, by the values of the inputs: where the runs beside the call are made
    on copies, in an order drawn at random, it cannot be told from a submission that makes its
    one backward pass the first time it sees an input (a copy then answers without one): it
    fails, told of the state it keeps (a model holding a tensor that is not a leaf is copied
    too). Forked from the call's own state (its arguments cannot be copied), its memo is the
    call's, empty: judged, and honest."""
    _MEMO.clear()
    torch.manual_seed(0)
    model = make()
    found = _watched(memoized, model, 2)
    if order == "copied":
        assert (found or {}).get("no_autograd") in ("apart", "none"), found
        return
    assert not (found or {}).get("no_autograd"), found
    torch.manual_seed(0)
    again = make()
    want = sgd_momentum(again, 2)
    _MEMO.clear()
    torch.manual_seed(0)
    model = make()
    got = guard.watched(memoized, "memoized", model, 2)[0]
    assert got == pytest.approx(want), "the run beside the call changed what it answers"


def never_zeroes(model, steps):
    """Wrong, not dishonest: the stale gradients the model came with are added to."""
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
    return float(((model(X) - Y) ** 2).mean())


def test_stale_gradients_go_with_the_copies(order):
    """A model handed in with gradients already in .grad: the runs beside the call start from
    them too (deepcopy leaves a parameter's .grad out), so a step that adds to them is judged
    as it is, not told apart."""
    model = _model()
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    found = _watched(never_zeroes, model, 2)
    assert not (found or {}).get("no_autograd"), found


def guarded(model, steps):
    """Honest, with the ordinary guard of a training loop: stop when the loss is not finite.
    Run with its gradients turned round it climbs and blows up, and the guard stops it: that
    run tells nothing (a guard that stops a run whose loss merely went up is 'raised')."""
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(X) - Y) ** 2).mean()
        if not torch.isfinite(loss) or loss.item() > 1e6:
            raise FloatingPointError("the loss is not finite: lower the learning rate")
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_an_honest_guard_that_stops_a_blown_up_run_is_not_accused(order):
    found = _watched(guarded, _model(), 80)
    assert guarded(_model(), 80)[-1] < 1.0        # the run as it is converges
    assert not (found or {}).get("no_autograd"), found


_PID = [0]


def _pid_teller(model, steps):
    """By hand in the process the model was made in, honest in any other (a run in a process
    of its own would have another id)."""
    import os
    if os.getpid() == _PID[0]:
        return _by_hand(model, steps)
    return sgd_momentum(model, steps)


class _Shifted(torch.nn.Linear):
    """Keeps tensors made from its parameters (neither is a leaf)."""

    def __init__(self, *a):
        super().__init__(*a)
        self.start = self.weight * 1.0
        self.holder = {"bias0": [self.bias + 0.0]}


@pytest.mark.parametrize("runs", ORDERS, ids="-".join)
def test_tensors_that_are_not_leaves_are_copied_so_no_process_id_tells(runs, monkeypatch):
    """A model that keeps tensors made from its parameters (not leaves, which deepcopy refuses)
    is copied with each one as a leaf of the same values, so the runs beside the call are made
    in the call's own process: a submission that tells the call by its process id is caught in
    every order, and honest code keeps its points."""
    import os
    monkeypatch.setattr(depends, "_order", lambda: list(runs))
    _PID[0] = os.getpid()
    torch.manual_seed(0)
    model = _Shifted(3, 1)
    twins = depends.copies([model, 2], {})
    assert twins is not depends.UNCOPIED
    copy = twins["call"][0][0]
    assert copy.start.is_leaf and torch.equal(copy.start, model.start)
    assert copy.holder["bias0"][0] is not model.holder["bias0"][0]
    found = _watched(_pid_teller, model, 2)
    assert (found or {}).get("no_autograd") == "unused", found
    torch.manual_seed(0)
    found = _watched(sgd_momentum, _Shifted(3, 1), 2)
    assert not (found or {}).get("no_autograd"), found


HOLDS_A_LOCK = '''
import threading

_Polynomial3 = Polynomial3


class Polynomial3(_Polynomial3):
    """Honest, with a lock kept on the model (copy.deepcopy refuses it)."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
'''


def test_a_model_that_cannot_be_copied_is_told_why_not_accused(grade):
    """The call runs on a copy of its arguments, so a model deepcopy refuses (a lock kept on
    it) cannot be run: the check fails telling why and what to change, on every machine alike,
    never saying that the answer was computed without autograd."""
    result = grade("ex12", HOLDS_A_LOCK, targets=["fit_optim"], device="cpu")
    said = messages(result, "fit_optim")
    assert "fit_optim(...) could not be checked" in said, said
    assert "threading.Lock()" in said
    assert "without autograd" not in said


def _tried(fn, *args):
    """guard.watched as a check's first call of fn in a worker (tried: three runs)."""
    return _watched(fn, *args)


@pytest.mark.parametrize("runs", ORDERS, ids="-".join)
def test_no_run_sees_what_another_printed(runs, monkeypatch):
    """Each of the three runs prints into the streams as they were before any of them, and
    only the call's prints stay: a run cannot learn which one it is from what the others left
    there (the runs' prints were taken back out, the call's kept)."""
    from grader.sandbox.inside.worker import CappedStream
    monkeypatch.setattr(depends, "_order", lambda: list(runs))
    out = CappedStream()
    monkeypatch.setattr("sys.stdout", out)
    seen = []

    def marks(model, steps):
        import sys
        seen.append("".join(sys.stdout.kept).count("MARK"))
        print("MARK")
        return sgd_momentum(model, steps)
    found = _tried(marks, _model(), 2)
    assert not (found or {}).get("no_autograd"), found
    assert seen == [0, 0, 0], seen
    assert "".join(out.kept).count("MARK") == 1


class _Lazy(list):
    """An answer that notes how it is first read (sliced, or iterated)."""

    def __getitem__(self, i):
        _READ.append("sliced" if isinstance(i, slice) else "indexed")
        return list.__getitem__(self, i)

    def __iter__(self):
        _READ.append("iterated")
        return list.__iter__(self)


_READ: list = []


@pytest.mark.parametrize("runs", ORDERS, ids="-".join)
def test_every_run_reads_its_answer_the_same_way(runs, monkeypatch):
    """The call's answer and the runs' are read alike (the evidence's verdict, then plain
    data): an answer that notes how it is read cannot tell the call from the runs."""
    monkeypatch.setattr(depends, "_order", lambda: list(runs))
    _READ.clear()

    def lazy(model, steps):
        return _Lazy([sgd_momentum(model, steps)])
    _tried(lazy, _model(), 2)
    per_run = len(_READ) // 3
    assert per_run and _READ == _READ[:per_run] * 3, _READ


class _Counts(torch.nn.Linear):
    """Counts the calls of its own named_parameters."""

    def named_parameters(self, *a, **k):
        self.asked = getattr(self, "asked", 0) + 1
        return super().named_parameters(*a, **k)


@pytest.mark.parametrize("runs", ORDERS, ids="-".join)
def test_the_step_recorder_reads_every_run_alike(runs, monkeypatch):
    """A probe's record of the optimizer's steps reads the model the same way in the call and
    in the runs beside it (torch's own named_parameters, nothing of hers), so a model of hers
    that counts how it is read learns nothing."""
    from grader.sandbox.inside.steps import record_steps
    monkeypatch.setattr(depends, "_order", lambda: list(runs))
    asked = []

    def counted(model, steps):
        before = getattr(model, "asked", 0)
        out = sgd_momentum(model, steps)
        asked.append(getattr(model, "asked", 0) - before)
        return out
    torch.manual_seed(0)
    model = _Counts(3, 1)
    with record_steps(model) as rec:
        found = _tried(counted, model, 2)
    assert not (found or {}).get("no_autograd"), found
    assert len(set(asked)) == 1, asked
    assert len(rec.records) == 2 and not torch.equal(rec.records[-1]["weight"],
                                                     rec.records[0]["weight"])


def cached_parameters(model, steps):
    """Honest: keeps the list of its parameters on the model from its first call, and clears
    their gradients through it."""
    if not hasattr(model, "plist"):
        model.plist = list(model.parameters())
    opt = torch.optim.SGD(model.plist, lr=0.1)
    for _ in range(steps):
        for p in model.plist:
            p.grad = None
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
    return float(((model(X) - Y) ** 2).mean())


def test_what_a_call_keeps_holds_the_callers_objects():
    """What a call makes and keeps on its arguments (a list of the model's parameters, an
    optimizer of its own) holds the caller's objects after it, not the copy's: a second call
    goes on from the first one's state exactly as without the copies."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    torch.manual_seed(0)
    plain = torch.nn.Linear(3, 1)
    for _ in range(2):
        found = guard.watched(cached_parameters, "cached_parameters", model, 2)[1] \
            if model is None else _tried(cached_parameters, model, 2)
        want = cached_parameters(plain, 2)
        assert not (found or {}).get("no_autograd"), found
        assert all(a is b for a, b in zip(model.plist, model.parameters()))
        assert torch.equal(model.weight, plain.weight), (model.weight, plain.weight)
    assert want > 0


class _Unreadable:
    """An object of hers whose attributes raise once read."""

    @property
    def __dict__(self):
        raise RuntimeError("not now")


def test_an_object_whose_attributes_raise_is_told_not_a_crash():
    """Arguments the copies cannot read are 'uncopied' (a clear failure of the call), and the
    write-back leaves what it cannot read as it is."""
    model = _model()
    model.odd = _Unreadable()
    found = _tried(sgd_momentum, model, 2)
    assert (found or {}).get("no_autograd") in ("uncopied", None, "")


def _stack_above():
    """What a function of hers can read of its callers without frames: each entry's file,
    function and line, as traceback, warnings (stacklevel) and logging (findCaller) give them."""
    import logging
    import traceback
    import warnings
    stack = [(f.filename, f.name, f.lineno) for f in traceback.extract_stack()[:-2]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("where", stacklevel=3)
    return stack, (caught[0].filename, caught[0].lineno), \
        logging.getLogger().findCaller(False, 2)[:3]


@pytest.mark.parametrize("runs", ORDERS, ids="-".join)
def test_every_run_has_the_same_callers(runs, monkeypatch):
    """The call and the runs beside it are made from the same line of the same code, so the
    stack above her function (what traceback, warnings and logging report of its callers) is
    the same in all three: it cannot tell the call from the runs."""
    monkeypatch.setattr(depends, "_order", lambda: list(runs))
    seen = []

    def looks_up(model, steps):
        seen.append(_stack_above())
        return sgd_momentum(model, steps)
    found = _tried(looks_up, _model(), 2)
    assert not (found or {}).get("no_autograd"), found
    assert len(seen) == 3 and seen[0] == seen[1] == seen[2], seen
