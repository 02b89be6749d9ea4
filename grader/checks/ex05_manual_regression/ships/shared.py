"""What the visible and the hidden checks of ex05 share."""
from contextlib import contextmanager

import torch

from grader.checks.ex05_manual_regression.ships import mistakes as hints
from grader.checks.api import ZERO_AFTER_BACKWARD, CheckFailure, StudentError, fail


def loss_grads(sub, y, pred):
    """The probe loss_grads on mse_loss: backward() through the student's loss, whose failure
    for want of a graph is named."""
    try:
        return sub.probe("ex05.loss_grads", "ex05", "mse_loss", y, pred)
    except StudentError as err:
        if err.kind == "exception" and "does not require grad" in str(err):
            fail("mse_loss(y, y_pred).backward() failed:\n  " + err.describe("mse_loss"),
                 hints.NO_GRAPH)
        raise


def check_fit_result(got, call):
    """fit returns (w, b, losses)."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        fail(f"{call} should return (w, b, losses), got {got!r:.200}")


@contextmanager
def fit_cause(sub):
    """Around fit's comparisons: where a failure names the gradients zeroed after backward
    (the parameters never move), the student's own sgd_update_ is asked first, with a
    parameter and its gradient: if it leaves the parameter as it was, the update is the likelier
    cause, and the hint says so instead."""
    try:
        yield
    except CheckFailure as exc:
        if ZERO_AFTER_BACKWARD not in exc.hints or _update_moves(sub):
            raise
        raise CheckFailure(str(exc).replace(ZERO_AFTER_BACKWARD, hints.FIT_UPDATE_STILL),
                           [hints.FIT_UPDATE_STILL]) from None


def _update_moves(sub) -> bool:
    """Whether the student's sgd_update_ moves a parameter that has a gradient (True where it
    cannot be asked: the zeroing hint then stands)."""
    one = torch.tensor([0.5])
    try:
        out = sub.probe("ex05.update", "ex05", [one], [torch.tensor([2.0])], 0.1)
        after = out["params"][0]
        return not bool(torch.equal(torch.as_tensor(after).detach().cpu().reshape(-1), one))
    except Exception:  # noqa: BLE001 - no answer from it: nothing to tell
        return True


def assert_grads_kept(out, grads, call):
    """sgd_update_ leaves each parameter's .grad as it was given (`grads`): the probe's "grads"
    are the .grad after the call (None where it was removed)."""
    after = out.get("grads") if isinstance(out, dict) else None
    if not isinstance(after, (list, tuple)) or len(after) != len(grads):
        return
    for i, (now, given) in enumerate(zip(after, grads)):
        if now is None:
            fail(f"{call} removed params[{i}].grad (it is None after the call).",
                 hints.UPDATE_ZEROES_GRAD)
        if not isinstance(now, torch.Tensor) or now.shape != given.shape or \
                not torch.equal(now.detach().cpu().to(given.dtype), given.detach().cpu()):
            zero = isinstance(now, torch.Tensor) and not bool(now.detach().cpu().any())
            fail(f"{call} changed params[{i}].grad"
                 f"{' to zeros' if zero else ''}: it is no longer the gradient it was given.",
                 hints.UPDATE_ZEROES_GRAD if zero else hints.UPDATE_TOUCHES_GRAD)
