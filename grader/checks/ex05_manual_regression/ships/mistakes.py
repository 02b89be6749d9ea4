"""The mistakes of ex05 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a training loop that ex06-ex08 share come from
grader.checks.training."""
from grader.checks.api import (NO_ZERO_GRAD, SIGN_FLIPPED, SUM_LOSS, ZERO_AFTER_BACKWARD,
                               broadcast_square, rebound_parameter)

GLOBAL_GENERATOR = ("these are the numbers of the global generator: draw with "
                    "torch.rand(n, generator=torch.Generator().manual_seed(seed))")
NO_BIAS = "the bias 0.8 is missing from y"
SLOPE_INTERCEPT_SWAPPED = "y is 0.8 x + 3: the slope is 3 and the intercept 0.8, y = 3 * x + 0.8"
NORMAL_NOT_UNIFORM = ("x is drawn from the normal distribution (torch.randn): x ~ U(0, 1) is "
                      "torch.rand(n, generator=g)")


def data_mistakes(n: int, seed: int, want, device) -> dict:
    """{hint: make_data's (x, y) with that mistake}: x from the global generator (seeded 0, as
    the checks leave it), from torch.randn with the right generator, or y without its bias."""
    import torch

    def pair(x):
        x = x.to(device)
        return x, 3 * x + 0.8
    return {GLOBAL_GENERATOR: pair(torch.rand(n, generator=torch.Generator().manual_seed(0))),
            NORMAL_NOT_UNIFORM: pair(torch.randn(n, generator=torch.Generator().manual_seed(seed))),
            NO_BIAS: (want[0], 3 * want[0]),
            SLOPE_INTERCEPT_SWAPPED: (want[0], 0.8 * want[0] + 3)}
WB_SWAPPED = "w and b are swapped: draw w first"
B_DRAWN_LIKE_W = ("b is the same number as w: each was drawn from its own generator seeded with "
                  "`seed`. Make one generator and draw w, then b, from it")
NOT_SQUARED = "the errors are not squared"
MEAN_ABSOLUTE = "this is the mean absolute error: square the errors"
MEAN_ONE_DIM = "this is a mean over one dimension only: average every entry"
NO_GRAPH = ("the loss has no graph. Compute it with tensor operations (no .item(), no NumPy, no "
            ".detach()).")
UPDATE_REBINDS = ("the parameters did not change: `p = p - lr * p.grad` only rebinds the loop "
                  "variable; change the tensor in place (p -= lr * p.grad)")
UPDATE_SIGN = SIGN_FLIPPED
FIT_UPDATE_STILL = ("the parameters never move, and your sgd_update_ leaves a parameter with a "
                    "gradient as it was (see its own check): if fit updates through it, make it "
                    "change the tensors in place (p -= lr * p.grad) first")
FIT_REBOUND = rebound_parameter("w")   # fit's update written inline, w rebound
def mse_broadcast(n: int) -> str:
    """y and y_pred of shapes (N,) and (N, 1): their difference broadcasts into (N, N), and the
    mean runs over N * N pairs (the notes' broadcasting confusion)."""
    return broadcast_square(n)


UPDATE_NO_LR = "the learning rate is missing: p -= lr * p.grad"
# fit's known wrong loops, by the name under which private/variants.py runs them
FIT_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                "sign": SIGN_FLIPPED, "sum": SUM_LOSS}


def mse_sum(n: int) -> str:
    """The squared errors of n values summed instead of averaged."""
    return (f"this is {n} times the mean squared error: a sum where the mean is wanted "
            f"(.mean(), not .sum())")


# learning rates students write in where lr is passed (the notes' 0.01 first): a run is compared
# with the reference's runs at these
FIXED_LRS = (0.01, 0.001)


def lr_written_in(fixed: float, lr: float) -> str:
    """A fit whose every loss is the reference's run at lr=`fixed`, where `lr` was passed."""
    return (f"these are the losses of the run at lr={fixed:g}, where lr={lr:g} is passed: a "
            f"learning rate is written in; update with the argument, sgd_update_((w, b), lr)")

