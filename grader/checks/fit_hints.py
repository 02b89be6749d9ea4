"""The hints of a cubic fit of sin(x) by gradient descent on the sum of squared errors that ex11
(NumPy) and ex12 (tensors) share; each names them in its table of mistakes (grader.checks.training
compares the fits)."""

COEFFICIENTS_ORDER = ("the coefficients are in the wrong order: a is the constant, d multiplies "
                      "x^3")
UPDATE_ADDS_GRADIENT = "the update adds the gradient: subtract lr * grad"
HALF_GRADIENT = "the gradients are half too small: the factor 2 of the square is missing"
LOSS_AFTER_UPDATE = ("the losses are recorded after the update of their step: record the loss "
                     "computed before updating")
LOSSES_OF_STEPS_0_100 = ("the losses of steps 0, 100, 200 are recorded: record those with "
                         "t % 100 == 99")


def grads_of_mean(n: int) -> str:
    """The gradients of the n points' mean squared error where the loss is their sum."""
    return (f"this is 1/{n} of the expected value: the loss is a sum, not a mean, so its "
            f"gradients are sums too (do not divide by N)")


def fit_grads_of_mean(n: int) -> str:
    """A fit whose gradients were divided by the number n of points."""
    return f"the gradients are divided by N = {n}: the loss is a sum, so are its gradients"


def crossed_update(i: int, j: int) -> str:
    """A cubic fit's coefficient i updated with coefficient j's gradient (a copy-paste, or
    two gradients unpacked in the wrong order: ex11, ex12)."""
    a, b = "abcd"[i], "abcd"[j]
    return (f"{a} is updated with grad_{b}: the run is the one where {a} -= lr * grad_{b} (a "
            f"copy-paste in the update, or a grad_{a} computed as grad_{b}, e.g. in poly_grads); each coefficient "
            f"moves by its own gradient, {a} -= lr * grad_{a}")


def loss_is_mean(n: int) -> str:
    """The hint for a fit whose loss is the mean over its n points: the gradients and the
    recorded losses both 1/n of the sum's."""
    # worded as fit_grads_of_mean is, so that a factor N is confirmed across inputs alike
    return (f"the gradients are divided by N = {n}: the loss is the mean over the points, so "
            f"its gradients and the losses recorded are 1/N of the sum's. The loss is the sum "
            f"of squared errors, ((y_pred - y) ** 2).sum()")


def loss_per_point(n: int) -> str:
    """The hint for recorded losses that are the reference's divided by the number of points."""
    return (f"each recorded loss is the reference's divided by N = {n}, the number of points: "
            f"the mean squared error per point. Record the loss itself, the sum of squared "
            f"errors ((y_pred - y) ** 2).sum(), not its mean")
