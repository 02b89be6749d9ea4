"""What the visible and the hidden checks of ex10 share: the data, and the comparisons of the
probes' results (each names the mistakes of mistakes.py it can tell)."""
import functools
from contextlib import contextmanager

import numpy as np
import torch

from grader.checks.ex10_softmax_classifier.ships import mistakes as hints
from grader.checks.api import (TOL, CheckFailure, StudentError, assert_close,
                               assert_minibatch_run, data_path as path, divided_by_rows, fail,
                               kind_of, manual_call, meta, momentum_of,
                               refuse_steps_that_never_move, same_values, sigmoid_inputs)

_DATA = np.loadtxt(path("three_class.csv"), delimiter=",")
X_DATA = torch.tensor(_DATA[:, :4], dtype=torch.float32)
Y_DATA = torch.tensor(_DATA[:, 4], dtype=torch.int64)


# Rounding of a softmax or a cross-entropy at large logits: z - logsumexp(z) (or z - max) is
# computed to about |z| * eps, and exp turns that error of its argument into a relative one, so
# float32 at logits of 1000 is good to about 1e-4 relative, whatever the (right) formula.
ROUNDING_STEPS = 2     # the roundings of the largest terms: z itself, then the subtraction
PRECISION_BAND = 10    # within 10 times that (and 1 %), a result differs by precision only


def tol_at(z):
    """(rtol, atol) for a result computed from logits z in z's dtype: TOL's row for the dtype,
    or what the dtype's rounding at the logits' magnitude allows, whichever is looser."""
    rtol, atol = TOL[z.dtype]
    rounding = ROUNDING_STEPS * float(z.detach().abs().max()) * torch.finfo(z.dtype).eps
    return max(rtol, rounding), max(atol, rounding)


def assert_close_at(got, want, z, *, call, mistakes=None):
    """assert_close with the tolerance of z's dtype at z's magnitude (tol_at). A result of
    the right kind, shape, dtype and device that misses it by precision only (within
    PRECISION_BAND times the tolerance, and 1 %) is told so, not that its value is wrong."""
    rtol, atol = tol_at(z)
    try:
        assert_close(got, want, call=call, rtol=rtol, atol=atol, mistakes=mistakes)
    except CheckFailure:
        if not (isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor)
                and got.shape == want.shape and got.dtype == want.dtype
                and got.device.type == want.device.type):
            raise
        a, b = got.detach().cpu().double(), want.detach().cpu().double()
        if not (a.isfinite().all() and torch.allclose(
                a, b, rtol=min(PRECISION_BAND * rtol, 1e-2),
                atol=min(PRECISION_BAND * atol, 1e-2))):
            raise
        err = float((a - b).abs().max())
        fail(f"{call} differs from the expected value by {err:.3g} at most, more than "
             f"{str(z.dtype).replace('torch.', '')} rounding at logits of size "
             f"{float(z.detach().abs().max()):.0f} allows (rtol={rtol:.2g}, atol={atol:.2g}), "
             f"though by less than {PRECISION_BAND} times that: the formula is right, "
             f"precision is lost. Subtract each row's max (or its logsumexp) from the logits "
             f"once, before exp, and keep the input's dtype throughout.")


def call_softmax(sub, z, **kwargs):
    """softmax(z, **kwargs) with autograd off; a failure to broadcast a reduced (N,) against the
    (N, C) logits is named: keepdim is missing."""
    try:
        return manual_call(sub, "ex10.softmax", z, **kwargs)
    except StudentError as err:
        if err.kind == "exception" and hints.BROADCAST_ERROR in str(err):
            shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
            fail(err.describe(f"softmax(z {tuple(z.shape)}{', ' * bool(shown)}{shown})"),
                 hint=hints.NO_KEEPDIM)
        raise


def call_cross_entropy(sub, logits, targets):
    """cross_entropy(logits, targets) with autograd off; a failure to broadcast a reduced (N,)
    against the (N, C) logits is named: keepdim is missing."""
    try:
        return manual_call(sub, "ex10.cross_entropy", logits, targets)
    except StudentError as err:
        if err.kind == "exception" and hints.BROADCAST_ERROR in str(err):
            fail(err.describe(f"cross_entropy(logits {tuple(logits.shape)}, targets)"),
                 hint=hints.CE_NO_KEEPDIM)
        raise


def right_on_two_rows(sub, logits, targets, want) -> bool:
    """Whether cross_entropy, which failed on a batch of one, gives `want` (the right loss of
    that one row) on the same row given twice (N = 2, the same mean): a call that fails only
    where N = 1 (one call more, made only after that failure)."""
    try:
        got = manual_call(sub, "ex10.cross_entropy", logits.repeat(2, 1), targets.repeat(2))
    except StudentError:
        return False
    return same_values(got, want)


# logits where exp overflows (exp(800) is inf in float32 and float64) and a stable softmax does
# not underflow (the target's probability is e^-50): the loss is 50 (log-sum-exp) whether or
# not the log of that softmax is taken, and inf or NaN where exp ran on the raw logits
CE_OVERFLOW = (torch.tensor([[800.0, 750.0]]), torch.tensor([1]))


def overflows(sub, device="cpu"):
    """Whether the student's cross_entropy overflows, as its answer at CE_OVERFLOW shows: True
    for a loss that is not finite there (exp of a large logit), False for the right loss (50),
    None where the call fails or gives anything else. Asked only to tell apart two mistakes
    that give one wrong value (an overflow of exp, log(softmax) underflowing to log(0))."""
    z, t = (v.to(device) for v in CE_OVERFLOW)
    try:
        got = call_cross_entropy(sub, z, t)
    except Exception:  # noqa: BLE001 - a failure to answer shows nothing
        return None
    if not (isinstance(got, torch.Tensor) and got.numel() == 1):
        return None
    value = float(got)
    right = float(torch.logsumexp(z.double(), 1)[0] - z.double()[0, 1])
    return True if not np.isfinite(value) else False if abs(value - right) <= 1e-4 * right \
        else None


# the course's two rows, for the evidence of a log-sum-exp over the rows (dim 0)
CE_ROWS = (torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.0, 0.3]]), torch.tensor([0, 2]))


def normalises_over_rows(sub) -> bool:
    """Whether the student's cross_entropy normalises over dim 0 (the rows), as its answers
    show: 0 for one row (the row is its own normaliser), and on two rows the loss with the
    log-sum-exp taken over dim 0. Asked only to name a wrong loss: a single wrong number may
    equal that loss by chance."""
    z, t = CE_ROWS
    try:
        one = call_cross_entropy(sub, z[:1], t[:1])
        two = call_cross_entropy(sub, z, t)
    except Exception:  # noqa: BLE001 - a failure to answer shows nothing
        return False
    if not (isinstance(one, torch.Tensor) and isinstance(two, torch.Tensor)
            and one.numel() == 1 and two.numel() == 1):
        return False
    zd = z.double()
    dim0 = float((torch.logsumexp(zd, 0)[t] - zd[torch.arange(len(t)), t]).mean())
    return abs(float(one)) < 1e-6 and abs(float(two) - dim0) <= 1e-5 * abs(dim0)


def check_training(got, want, args, call, variant, dtype=torch.float32, any_momentum=False):
    """The run of train_classifier (probe ex10.train) against the reference's, step by step;
    `variant(**kw)` gives the run with the known mistake kw (recorded, or trusted code; with
    `any_momentum`, it also reruns the momentum the second step shows, named where the whole
    run is that momentum's)."""
    sizes, state, x, y, lr, epochs, batch_size, seed = args

    @functools.cache
    def momentum_seen():
        """({hint: keywords} for the momentum the second step shows, the momentum said only as
        what the first two steps show, or None): read only where the run already differs."""
        m = momentum_of(got.get("steps") if isinstance(got, dict) else None, want["steps"],
                        state, 0.5)
        if any_momentum and m is not None and m != 0:
            return {hints.momentum_used(m): dict(momentum=m)}, None
        if m is not None and 0 < m < 1 and dict(momentum=m) not in hints.TRACE_MISTAKES.values():
            # no run with m to compare (the visible check has the recorded runs only): the
            # first two steps are the evidence, and the hint says so
            return {hints.momentum_seen(m): dict(momentum=m)}, m
        return {}, None

    class TraceMistakes(dict):
        def items(self):
            return {**momentum_seen()[0], **self}.items()
    trace_mistakes = TraceMistakes(hints.TRACE_MISTAKES)
    recorded = variant

    def variant(**kw):
        seen = momentum_seen()[1]
        return got if seen is not None and kw == dict(momentum=seen) else recorded(**kw)
    count_hints = {epochs * (len(x) // batch_size): "one step fewer per epoch: the last, "
                   "smaller batch is dropped (drop_last=True?); keep every row",
                   epochs: "one optimizer step per epoch: step once per mini-batch, not once "
                   "per epoch"}
    n, per_epoch = len(x), -(-len(x) // batch_size)
    refuse_steps_that_never_move(got, want, state, call)
    assert_minibatch_run(got, want, call=call, variant=variant,
                         trace_mistakes=trace_mistakes, per_epoch=per_epoch,
                         count_hints=count_hints, dtype=dtype,
                         loss_mistakes=lambda: divided_by_rows(want["losses"], n, per_epoch),
                         start=state)


def check_predict(got, want, logits, call):
    """The probe ex10.predict's answer: int64 class indices `want` (the argmax of the reference's
    `logits`), computed without a graph."""
    result = got["result"]
    if isinstance(result, torch.Tensor):
        m = meta(result)
        if m is not None and m.requires_grad:
            fail(f"{call} returned a tensor that requires grad: it was computed with a graph "
                 f"(and is not class indices). Compute under torch.no_grad() and return "
                 f"logits.argmax(dim=1).")
        if result.dim() == 1 and result.shape[0] == logits.shape[1] != logits.shape[0]:
            fail(f"{call} returned {kind_of(result)}, expected shape ({logits.shape[0]},).",
                 hints.PREDICT_DIM0)
        if result.shape == logits.shape:
            fail(f"{call} returned {kind_of(result)}: probabilities or logits, one per class. "
                 f"Return the class of each row, logits.argmax(dim=1), shape "
                 f"({logits.shape[0]},).")
        if result.is_floating_point():
            # the condition: the floats are the right classes, each a whole number
            same = result.shape == want.shape and bool(
                (result.detach().cpu().double() == want.cpu().double()).all())
            fail(f"{call} returned floats ({kind_of(result)}): return class indices, int64, "
                 f"as argmax(dim=1) gives them" +
                 ("." if same else " (not max values, not probabilities)."),
                 hints.CLASSES_AS_FLOATS if same else None)
    if not got["grad_modes"]:
        fail(f"{call} never ran the model's layers: call the model on x (model(x)) and take "
             f"the argmax of its logits.")
    if any(got["grad_modes"]):
        fail(f"{call}: the model's forward pass ran with autograd on, building a graph nobody "
             f"needs. Wrap it in `with torch.no_grad():`.")
    # the condition of ARGMAX_FLAT: the answer is the flattened logits' argmax (one index for
    # the whole tensor), named only where that index is not also a row's class
    flat = logits.reshape(-1).argmax()
    assert_close(result, want, call=call,
                 mistakes={"these are the classes of the smallest logits: argmax, not argmin":
                           logits.argmin(dim=1),
                           **({hints.ARGMAX_FLAT: flat} if int(flat) >= logits.shape[1]
                              else {})})


def check_structure(got, sizes, call):
    d, h, c = sizes
    want = [("hidden.weight", (h, d)), ("hidden.bias", (h,)), ("output.weight", (c, h)),
            ("output.bias", (c,))]
    params = [(n, tuple(s)) for n, s in got.get("parameters", [])]
    if params != want:
        fail(f"{call} should have exactly the parameters {want} (name, shape), found "
             f"{params}: self.hidden = nn.Linear(in_features, hidden) and self.output = "
             f"nn.Linear(hidden, n_classes), in that order.")
    linear = {n: t for n, t in got.get("modules", [])}
    for name in ("hidden", "output"):
        if linear.get(name) != "Linear":
            fail(f"{call}: self.{name} should be an nn.Linear, found {linear.get(name)}.")


def check_forward(got, want, call, wrong):
    """The probe ex10.forward's answer against the reference's logits; `wrong` (or a callable
    returning it, asked only when the logits are wrong) holds the logits with no ReLU
    ("no_relu"), with a sigmoid in its place ("sigmoid") and with a sigmoid on the input of
    some layers ("sigmoid_inputs")."""
    logits = want["result"]

    def mistakes():
        w = wrong() if callable(wrong) else wrong
        return {
            "these are probabilities (softmax of the logits): forward must return the logits; "
            "nn.CrossEntropyLoss applies log-softmax itself": torch.softmax(logits, dim=1),
            "the ReLU between the layers is missing": w["no_relu"],
            "a sigmoid is used between the layers: the model uses ReLU": w["sigmoid"],
            **hints.relu_on_logits(logits),
            **sigmoid_inputs(w.get("sigmoid_inputs") or {}, want["state"])}
    assert_close(got["result"], logits, call=call, mistakes=mistakes)
    assert_close(got["state"], want["state"], call=call,
                 context="the parameters after a forward pass must be unchanged")
    filled = [k for k, g in got["grads"].items() if g is not None]
    if filled:
        fail(f"{call} filled the .grad of {filled}: forward must not call backward().")
    if got["training"] != got["training_before"]:
        fail(f"{call} changed the model's training mode: forward must not call .train() or "
             f".eval().")


@contextmanager
def classes_from_targets(sub, logits, targets, call: str):
    """Around a check of cross_entropy_grad on targets that miss the last class: where it fails,
    the same logits with the last row's target made the last class are tried. Right there and
    wrong here, the gradient takes the number of classes from the targets (max + 1, as
    F.one_hot(targets) without num_classes does), not from the logits' C columns."""
    try:
        yield
        return
    except (CheckFailure, StudentError) as err:
        failure = err
    n, c = logits.shape
    t2 = targets.clone()
    t2[-1] = c - 1
    want2 = (torch.softmax(logits.double(), 1)
             - torch.nn.functional.one_hot(t2, c).double()) / n
    try:
        got2 = manual_call(sub, "ex10.cross_entropy_grad", logits, t2)
        assert_close(got2, want2.to(logits.dtype), call=call)
    except (CheckFailure, StudentError):
        raise failure from None
    said = (failure.describe("cross_entropy_grad") if isinstance(failure, StudentError)
            else str(failure).split("\n  hint:")[0])
    fail(f"{said}\n  With the last row's target set to class {c - 1} the same logits "
         f"give the right gradient.", classes_hint(int(targets.max()) + 1, c),
         measured=True)


def classes_hint(k: int, c: int) -> str:
    """The number of classes read from the targets: right when they hold the last class, not
    when they miss it (targets whose largest class is k - 1, of c)."""
    return (f"the number of classes is read from the targets: no target here is class {c - 1}, "
            f"and the gradient is right only when one is (F.one_hot(targets) without "
            f"num_classes makes max(targets) + 1 = {k} columns, not C = {c}). Take C from "
            f"the logits: F.one_hot(targets, num_classes=logits.shape[1])")
