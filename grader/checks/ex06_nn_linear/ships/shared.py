"""What the visible and the hidden checks of ex06 share."""
from contextlib import contextmanager

from grader.checks.api import CheckFailure, StudentError, fail
from grader.checks.ex06_nn_linear.ships import mistakes as hints


def linear_spec(d, o):
    """LinearRegression(d, o)'s layout as plain data: the model train_step, train, predict and
    make_optimizer are run on (grader.sandbox.inside.probes.common.network)."""
    return [["linear", "linear", d, o]]


def fixed_lr(sub, spec, state, lrs):
    """The learning rate make_optimizer gives whatever `lrs` (two or more different values) it
    is passed, or None: it uses its argument, or it fails, or it gives different ones (then it
    reads its lr somehow, and nothing more is claimed)."""
    seen = set()
    for lr in lrs:
        try:
            info = sub.probe("ex06.optimizer_info", "ex06", spec, state, lr)
            seen.add(round(float(info["groups"][0]["lr"]), 12))
        except (StudentError, CheckFailure, KeyError, IndexError, TypeError, ValueError):
            return None
    if len(seen) != 1:
        return None
    (got,) = seen
    return got if all(abs(got - lr) > 1e-12 for lr in lrs) else None


def assert_fresh_optimizer(got, want, call: str) -> None:
    """The probe optimizer_info's second call, on the same model at 3 * lr: its own lr (an
    optimizer kept between calls hands back the first one)."""
    again, wanted = got.get("again"), want.get("again")
    if not (isinstance(wanted, dict) and isinstance(again, dict)) or \
            abs(again["lr"] - wanted["lr"]) <= 1e-9 * abs(wanted["lr"]):
        return
    fail(f"{call}, then make_optimizer(model, lr={wanted['lr']:.6g}) on the same model: the "
         f"second optimizer has lr {again['lr']:.6g}, expected {wanted['lr']:.6g}"
         f"{' (it is the first call’s optimizer object)' if again['same'] else ''}.",
         hints.OPTIMIZER_KEPT if again["same"] else None)


@contextmanager
def naming_fixed_lr(sub, spec, state, lr, *, train=False, got=None, want=None):
    """Within it, a failure of make_optimizer without a hint is told that make_optimizer ignores
    its lr, where it does: it gives one lr for `lr` and for 2 * lr. A failure of train
    (train=True) is told so only where its run is the run at that very lr (the failure names
    hints.lr_written_in): train may build its optimizer another way, and fail for another
    reason. For make_optimizer, `got` and `want` (probe ex06.optimizer_info) tell first an
    optimizer of another kind, or with momentum, as the optimizer itself reports."""
    try:
        yield
    except CheckFailure as failure:
        if failure.hints and not train:
            raise
        if want is not None and not train:
            setting = hints.optimizer_setting(got, want) if isinstance(got, dict) else None
            if setting:
                fail(str(failure), setting)
        if train and not any(h.startswith("these are the losses of the run at lr=")
                             for h in failure.hints):
            raise
        fixed = fixed_lr(sub, spec, state, (lr, 2 * lr))
        if fixed is None or (train and failure.hints != [hints.lr_written_in(fixed, lr)]):
            raise
        text = str(failure).split("\n  hint: ")[0] if failure.hints else str(failure)
        fail(text, hints.lr_ignored(fixed, lr, train=train))


@contextmanager
def right_for_one_feature(d: int, call: str, forward_one, untransposed=None, column=""):
    """Around a forward pass of a model of d > 1 input features: where it fails with an error,
    `forward_one()` runs the same forward on a model of one feature, and returns whether that
    gave the right output. Right there and an error here: forward handles one feature only.
    Why is said only where the evidence shows it: `untransposed()` returns whether a model of
    as many outputs as inputs gives x @ W + b (the weight used as laid out, (out, in)); x made
    one column shows in the error as `column` ("6x1", the N * D values in one column), where
    the square model fails too. A model whose parameters are not laid out as the exercise asks
    (nn.Linear's arguments swapped) is told so by the error itself, nothing more."""
    try:
        yield
        return
    except StudentError as err:
        failure = err
    if d == 1 or failure.kind == "layout":
        raise failure
    try:
        one_right = forward_one()
    except (StudentError, CheckFailure):
        one_right = False
    if not one_right:
        raise failure
    text = (f"{failure.describe('forward')}\n  The same forward is right for a model of one "
            f"input feature.")
    try:
        as_laid_out = bool(untransposed and untransposed())
    except (StudentError, CheckFailure):
        as_laid_out = None   # the square model fails too
    if as_laid_out:
        fail(text, f"forward works for one input feature and fails for D = {d}; a model of 3 "
             f"inputs and 3 outputs gives x @ W + b, the weight used as it is laid out. "
             f"nn.Linear's weight is (out_features, in_features): forward is x @ W.T + b (or "
             f"self.linear(x))", measured=True)
    if as_laid_out is None and column and column in str(failure):
        fail(text, f"forward works for one input feature and fails for D = {d}: x is made "
             f"one column somewhere (x.view(-1, 1) or x.reshape(-1, 1)?). nn.Linear takes x "
             f"of shape (N, D) as it is", measured=True)
    fail(text)


def assert_mode_kept(got, want, call: str) -> None:
    """predict leaves the model's training mode as it was given (the probe's "training": the
    model's .training after the call, True as the model is built; the reference's the same)."""
    mode, wanted = got.get("training"), want.get("training")
    if isinstance(mode, bool) and isinstance(wanted, bool) and mode != wanted:
        fail(f"{call} left the caller's model in {'training' if mode else 'eval'} mode "
             f"(model.training was {wanted}, is {mode} after the call).", hints.MODE_KEPT)
