"""What the visible and the hidden checks of ex06 share."""


def linear_spec(d, o):
    """LinearRegression(d, o)'s layout as plain data: the model train_step, train, predict and
    make_optimizer are run on (grader.sandbox.inside.probes.common.network)."""
    return [["linear", "linear", d, o]]
