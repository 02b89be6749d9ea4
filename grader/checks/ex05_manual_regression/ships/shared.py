"""What the visible and the hidden checks of ex05 share."""
from grader.checks.ex05_manual_regression.ships import mistakes as hints
from grader.checks.api import StudentError, fail


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
