"""What the visible and the hidden checks of ex04 share."""
import torch

from grader.checks.api import TRAJECTORY_TOL, tolerance


def trajectory_tol(xs):
    """Lists and float32 tensors train in float32."""
    dtype = xs.dtype if isinstance(xs, torch.Tensor) else torch.float32
    return tolerance(dtype, TRAJECTORY_TOL)
