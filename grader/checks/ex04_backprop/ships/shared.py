"""What the visible and the hidden checks of ex04 share."""
import numpy as np
import torch

from grader.checks.api import TRAJECTORY_TOL, fail, tolerance


def trajectory_tol(xs):
    """Lists and float32 tensors train in float32."""
    dtype = xs.dtype if isinstance(xs, torch.Tensor) else torch.float32
    return tolerance(dtype, TRAJECTORY_TOL)


W_IN_FLOAT64 = ("the run was computed in float64 where xs are float32: w has xs's dtype "
                "(float32 for lists, as in the course). Make w with torch.tensor(w0, "
                "dtype=x.dtype, device=x.device, requires_grad=True), and tensors from lists "
                "with torch.tensor(xs) (float32), not with dtype=torch.float64 or from a "
                "float64 NumPy array")


def assert_w_of_xs_dtype(got, xs, call: str):
    """train_autograd's w has xs's dtype: where xs are float32 (lists or float32 tensors), the
    w it returns (w.item() of a float32 tensor) is a number float32 holds exactly. A w made
    float64 gives a run within float32's tolerance of the reference, so only this tells it:
    train_autograd([1, 2, 3], ...) returned w = 1.9512345678901 (float32 holds 1.95123457908630)."""
    if isinstance(xs, torch.Tensor) and xs.dtype != torch.float32:
        return
    w = got[0] if isinstance(got, (tuple, list)) and got else None
    if type(w) is not float or not np.isfinite(w) or float(np.float32(w)) == w:
        return
    fail(f"{call} returned w = {w!r}, a number float32 cannot hold (its nearest float32 is "
         f"{float(np.float32(w))!r}), though xs are float32: w was computed in float64.",
         W_IN_FLOAT64)
