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


def params_in_float64(names) -> str:
    """W_IN_FLOAT64 for the parameters `names` (w alone: W_IN_FLOAT64 itself)."""
    if tuple(names) == ("w",):
        return W_IN_FLOAT64
    which = f"{', '.join(names[:-1])} and {names[-1]}"
    return (f"the run was computed in float64 where xs are float32: {which} have xs's dtype "
            f"(float32 for lists, as in the course). Make each with torch.tensor(float(v), "
            f"dtype=x.dtype, device=x.device, requires_grad=True), and tensors from lists "
            f"with torch.tensor(xs) (float32), not with dtype=torch.float64 or from a float64 "
            f"NumPy array")


def _short_decimal(v: float) -> bool:
    """Whether v has at most 8 decimals (round(v, 6) gives such a number, float64 arithmetic
    does not, but for a chance of about 1e-8)."""
    return any(abs(s - round(s)) <= max(1e-9, 1e-13 * abs(s))
               for s in (v * 10.0 ** k for k in range(1, 9)))


def assert_w_of_xs_dtype(got, xs, call: str, names=("w",)):
    """A training run's parameters (`names`, first in what it returns) have xs's dtype: where
    xs are float32 (lists or float32 tensors), each one it returns (.item() of a float32
    tensor) is a number float32 holds exactly. Parameters made float64 give a run within
    float32's tolerance of the reference, so only this tells it: train_autograd([1, 2, 3],
    ...) returned w = 1.9512345678901 (float32 holds 1.95123457908630)."""
    if isinstance(xs, torch.Tensor) and xs.dtype != torch.float32:
        return
    if not isinstance(got, (tuple, list)) or len(got) < len(names):
        return
    for name, w in zip(names, got):
        if type(w) is not float or not np.isfinite(w) or float(np.float32(w)) == w or \
                _short_decimal(w):     # a value rounded to decimals: not float64's work
            continue
        fail(f"{call} returned {name} = {w!r}, a number float32 cannot hold (its nearest "
             f"float32 is {float(np.float32(w))!r}), though xs are float32: {name} was "
             f"computed in float64.", params_in_float64(names))


def params_in_float32(names) -> str:
    """The hint for parameters (`names`) made float32 where xs are float64, in the words of the
    precision hint the same run gets where this is not known (float32 precision only)."""
    first = names[0]
    which = f"{first} is" if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]} are"
    return (f"the values agree only to float32 precision (about 7 digits), but the inputs are "
            f"float64: {which} float32 (torch.tensor({first}) makes a float32 tensor whatever "
            f"the data's dtype). Make {'it' if len(names) == 1 else 'each'} with "
            f"torch.tensor({first}, dtype=x.dtype, device=x.device, requires_grad=True)")


def assert_params_of_xs_dtype(got, want, xs, names, call: str):
    """Where xs are float64 tensors, the parameters a training run returns (Python floats,
    `names` in order) are float64 numbers: every one a number float32 holds exactly where the
    reference's are not, in a run that agrees with the reference's to float32's tolerance
    (its parameters and its losses), shows parameters made float32 (torch.tensor(w0)). A
    float64 run lands on float32 numbers by chance about once in 2**29 per value; a run that
    differs by more has another fault, which the trajectory's comparison names."""
    if not (isinstance(xs, torch.Tensor) and xs.dtype == torch.float64):
        return
    n = len(names)
    if not (isinstance(got, (tuple, list)) and isinstance(want, (tuple, list))
            and len(got) == len(want) == n + 1):
        return
    mine, ref = list(got[:n]), list(want[:n])

    def float32_number(v):
        return type(v) is float and bool(np.isfinite(v)) and float(np.float32(v)) == v
    if not (all(map(float32_number, mine)) and not any(map(float32_number, ref))):
        return
    tol = trajectory_tol([])
    try:
        near = np.allclose(np.asarray([*mine, *got[n]], dtype=np.float64),
                           np.asarray([*ref, *want[n]], dtype=np.float64), **tol)
    except (TypeError, ValueError):
        return
    if near:
        shown = ", ".join(f"{k} = {v!r}" for k, v in zip(names, mine))
        fail(f"{call} returned {shown}: number(s) float32 holds exactly, though xs are float64 "
             f"(a float64 run gives {', '.join(f'{k} = {v!r}' for k, v in zip(names, ref))}).",
             params_in_float32(names))
