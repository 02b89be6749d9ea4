"""The mistakes of ex06 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a training loop that ex05-ex08 share come from
grader.checks.training."""
from grader.checks.api import (LOSS_AFTER_STEP, NO_ZERO_GRAD, STALE_GRADS, SUM_LOSS,
                               ZERO_AFTER_BACKWARD)

NO_BIAS = "the bias is missing"
STEP_RETURNS_TENSOR = ("train_step returned a tensor: return loss.item(), a Python float (a "
                       "tensor keeps the step's whole graph alive).")
# the known wrong loops of train_step and train, by the name under which
# ex06's private/variants.py runs them
STEP_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                 "zero_after_step": STALE_GRADS, "loss_after_step": LOSS_AFTER_STEP}
TRAIN_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                  "loss_after_step": LOSS_AFTER_STEP, "sum_loss": SUM_LOSS}
