"""Probes of ex07 (logistic regression): the module probes of ex06 (forward twice, training on
a trusted mirror model, the known wrong loops), under this exercise's name."""
from grader.probes.ex06 import call_on_mirror, forward_twice, train_variant

__all__ = ["call_on_mirror", "forward_twice", "train_variant"]
