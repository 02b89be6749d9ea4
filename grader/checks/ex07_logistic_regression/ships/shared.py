"""What the visible and the hidden checks of ex07 share."""
import contextlib

from grader.checks.api import (CheckFailure, default_differs, defaults_that_differ, fail,
                               same_values)
from grader.checks.ex07_logistic_regression.ships.mistakes import NO_MOMENTUM

DEFAULT_MOMENTUM = {"momentum": 0.9}   # train_logistic's default, as the docstring gives it


def logistic_spec(d):
    """LogisticRegression(d)'s layout as plain data: the model train_logistic and accuracy are
    run on (grader.sandbox.inside.probes.common.network)."""
    return [["linear", "linear", d, 1], ["sigmoid"]]


@contextlib.contextmanager
def default_momentum_told(sub, args, want, device, *, state, asked=True):
    """Around the comparison of a train_logistic run made with the default momentum (`asked`)
    with the reference's run `want`: where it fails naming no mistake, and the same call with
    momentum=0.9 passed gives the reference's run, the failure says that the signature's
    default is not 0.9, and where the failure named no momentum used (plain SGD's run), that
    the default behaves as momentum=0: the optimizer hints hold only where a run with momentum
    passed shows them too. `args`: (x, y, lr, epochs); `state`: the model's state before."""
    try:
        yield
    except CheckFailure as failure:
        if not asked or (failure.hints and NO_MOMENTUM not in failure.hints):
            raise

        def run(**kw):
            return sub.probe("ex07.call_on_network", "ex07", "train_logistic",
                             logistic_spec(2), state, args, kw, device=device)

        def right(r):
            return same_values(r["result"], want["result"]) and all(
                same_values(r["state"][k], v) for k, v in want["state"].items())
        names = defaults_that_differ(run, DEFAULT_MOMENTUM, right)
        if not names:
            raise
        plain = "momentum=0" if NO_MOMENTUM in failure.hints else None
        message = str(failure).split("\n  hint: ")[0] if plain else str(failure)
        fail(message, default_differs(names, DEFAULT_MOMENTUM, plain))
