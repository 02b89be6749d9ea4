"""Probes of ex07 (logistic regression): the shared ones of ex05 (a loss's gradients by
backward()) and ex06 (modules, training on a trusted mirror model, the known wrong loops)."""
from grader.probes.ex05 import loss_grads  # noqa: F401
from grader.probes.ex06 import call_on_mirror, forward_twice, train_variant  # noqa: F401
