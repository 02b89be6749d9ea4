"""What the visible and the hidden checks of ex07 share."""


def logistic_spec(d):
    """LogisticRegression(d)'s layout as plain data: the model train_logistic and accuracy are
    run on (grader.sandbox.inside.probes.common.network)."""
    return [["linear", "linear", d, 1], ["sigmoid"]]
