"""The mistakes of ex05 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a training loop that ex06-ex08 share come from
grader.checks.training."""
from grader.checks.api import (GRADS_DOUBLED_OR_LR, NO_ZERO_GRAD, SIGN_FLIPPED, SUM_LOSS,
                               ZERO_AFTER_BACKWARD, broadcast_square, last_update_missing,
                               rebound_parameter)

GLOBAL_GENERATOR = ("these are the numbers of the global generator: draw with "
                    "torch.rand(n, generator=torch.Generator().manual_seed(seed))")
NUMPY_GENERATOR = ("x holds NumPy's numbers for this seed ({how}): make_data draws with torch's "
                   "generator, torch.rand(n, generator=torch.Generator().manual_seed(seed)); "
                   "NumPy's generators give other numbers for the same seed")
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
            SLOPE_INTERCEPT_SWAPPED: (want[0], 0.8 * want[0] + 3),
            **numpy_generators(n, seed, pair)}


def numpy_generators(n: int, seed: int, pair) -> dict:
    """{NUMPY_GENERATOR: (x, y) with x drawn by NumPy for this seed}, for default_rng and the
    legacy np.random.seed. Named where n >= 3: a stream of 3 or more draws is not met by chance."""
    import numpy as np
    import torch
    if n < 3:
        return {}
    draws = {"np.random.default_rng(seed)": np.random.default_rng(seed).random(n),
             "np.random.seed(seed), np.random.rand(n)": np.random.RandomState(seed).rand(n)}
    return {NUMPY_GENERATOR.format(how=how): pair(torch.from_numpy(x.astype(np.float32)))
            for how, x in draws.items()}


INIT_SEED_ZERO_SKIPPED = ("init_params(0) gives the draws of a torch.Generator() never seeded: "
                          "seed 0 is not applied (`if seed:` is false for 0), and fit, seeded "
                          "0 here, starts elsewhere. Seed the generator whatever the seed is")


def seed_zero_skipped(n: int) -> dict:
    """{hint: make_data(n, seed=0) from a torch.Generator() never seeded (its own fixed default
    seed)}: what a make_data that does not apply seed 0 draws."""
    import torch
    x = torch.rand(n, generator=torch.Generator())
    return {("seed 0 is not applied: these are the draws of a torch.Generator() never seeded. "
             "`if seed:` is false for 0; seed the generator whatever the seed is, "
             "torch.Generator().manual_seed(seed)"): (x, 3 * x + 0.8)}


def data_mistakes_of(got, n: int, seed: int, want, device) -> dict:
    """data_mistakes, and how y relates to x where none of them gives `got`."""
    table = data_mistakes(n, seed, want, device)
    return {**table, **y_line_mistakes(got, want, table)}


def y_line_mistakes(got, want, table: dict) -> dict:
    """{hint: got} where x is right and y is not 3x + 0.8, saying how y relates to x: a line
    with only its slope or only its intercept off (and by how much), or y - 3x varying from
    point to point where the intercept is one number. {} where got matches a mistake of
    `table` (it is named), or x is wrong, or there are fewer than 3 points."""
    import numpy as np
    import torch
    if not (isinstance(got, (tuple, list)) and len(got) == 2
            and all(isinstance(t, torch.Tensor) for t in got)) \
            or tuple(got[0].shape) != tuple(want[0].shape) \
            or tuple(got[1].shape) != tuple(want[1].shape) or got[0].numel() < 3:
        return {}
    x, y = (t.detach().cpu().double().numpy().reshape(-1) for t in got)
    x0 = want[0].detach().cpu().double().numpy().reshape(-1)
    if not np.allclose(x, x0, rtol=1e-5, atol=1e-6) or np.ptp(x) == 0:
        return {}
    for v in table.values():
        if torch.is_tensor(v[1]) and tuple(v[1].shape) == tuple(got[1].shape) and torch.allclose(
                got[1].detach().cpu().double(), v[1].detach().cpu().double(), 1e-4, 1e-6):
            return {}
    slope, intercept = np.polyfit(x, y, 1)
    if np.allclose(slope * x + intercept, y, rtol=1e-4, atol=1e-5):
        if abs(slope - 3) <= 1e-4 and abs(intercept - 0.8) <= 1e-4:
            return {}
        if abs(slope - 3) <= 1e-4:
            hint = (f"only the intercept is off: y = 3 x + {intercept:.4g} "
                    f"({intercept - 0.8:+.4g}), where y = 3 * x + 0.8")
        elif abs(intercept - 0.8) <= 1e-4:
            hint = (f"only the slope is off: y = {slope:.4g} x + 0.8 ({slope - 3:+.4g}), where "
                    f"y = 3 * x + 0.8")
        else:
            hint = f"y = {slope:.4g} x + {intercept:.4g}, where y = 3 * x + 0.8"
    else:
        r = y - 3 * x
        within = " (each between 0 and 0.8)" if (r >= -1e-6).all() and (r <= 0.8 + 1e-6).all() \
            else ""
        hint = (f"x is right, but y - 3x is not the same number for every point: it runs from "
                f"{r.min():.4g} to {r.max():.4g}{within}, and no line through the points gives "
                f"y; the intercept is one number, y = 3 * x + 0.8")
    return {hint: tuple(got)}


WB_SWAPPED = "w and b are swapped: draw w first"
B_DRAWN_LIKE_W = ("b is the same number as w: each was drawn from its own generator seeded with "
                  "`seed`. Make one generator and draw w, then b, from it")
RANDN = ("these are torch.randn's draws from the seeded generator: the standard normal "
         "distribution, where torch.rand (uniform on [0, 1)) is asked")


def outside_unit(got) -> str | None:
    """The values of (w, b) outside [0, 1), the range torch.rand draws from, said; None where
    there are none or they cannot be read."""
    try:
        out = [(n, float(t.detach().reshape(-1)[0])) for n, t in zip("wb", got)]
    except (AttributeError, IndexError, TypeError, ValueError, RuntimeError):
        return None
    out = [f"{n} = {v:g}" for n, v in out if not 0.0 <= v < 1.0]
    if not out:
        return None
    return (f"{' and '.join(out)} outside [0, 1), the range of torch.rand: drawn from another "
            f"distribution or scaled after the draw?")


NOT_SQUARED = "the errors are not squared"
MEAN_ABSOLUTE = "this is the mean absolute error: square the errors"
MEAN_ONE_DIM = "this is a mean over one dimension only: average every entry"
SQUARE_OF_MEAN = ("this is the square of the mean error, ((y_pred - y).mean()) ** 2: square each "
                  "error first, then take the mean, ((y_pred - y) ** 2).mean()")


def loss_mistakes(y, y_pred) -> dict:
    """{hint: what mse_loss returns with that mistake}: the mean error, the mean absolute error,
    the square of the mean error. One input can give one of them by chance: a check names one
    only where a second input shows it too (grader.checks.api.also_on)."""
    d = y_pred - y
    return {NOT_SQUARED: d.mean(), MEAN_ABSOLUTE: d.abs().mean(), SQUARE_OF_MEAN: d.mean() ** 2}


def divided_by_rows(rows: int, cols: int) -> str:
    """mse_loss of a (rows, cols) input as the sum of squared errors over len(y)."""
    return (f"this is the sum of the squared errors divided by len(y) = {rows}, the rows of a "
            f"({rows}, {cols}) input, where the mean divides by all {rows * cols} entries "
            f"(y.numel()): use .mean(), or divide by y.numel()")
NO_GRAPH = ("the loss has no graph. Compute it with tensor operations (no .item(), no NumPy, no "
            ".detach()).")
UPDATE_REBINDS = ("the parameters did not change: `p = p - lr * p.grad` only rebinds the loop "
                  "variable; change the tensor in place (p -= lr * p.grad)")
UPDATE_SIGN = SIGN_FLIPPED
UPDATE_MEAN = ("every entry of w moved by the same amount, lr times the mean of its gradient: "
               "p.grad.mean() (one number, broadcast) where each entry's own gradient is "
               "meant; subtract lr * p.grad, entry by entry")


def update_uniform(before, grad, after, lr) -> str | None:
    """The message where a parameter of several entries, whose gradient differs between them,
    moved by one same amount in every entry, and not by lr times its mean gradient (that one
    is UPDATE_MEAN, named by its values): the update used one number for the whole tensor.
    None where the change is not that."""
    import torch
    if not isinstance(after, torch.Tensor) or after.shape != before.shape \
            or before.numel() < 2 or bool((grad == grad.reshape(-1)[0]).all()):
        return None
    d = (after.detach().cpu().double() - before.double()).reshape(-1)
    if not bool(torch.isfinite(d).all()) or not torch.allclose(d, d[:1].expand_as(d),
                                                               rtol=1e-5, atol=1e-9):
        return None
    if torch.allclose(d, -lr * grad.double().mean().expand_as(d), rtol=1e-5, atol=1e-9):
        return None
    return (f"every entry of w moved by the same amount, {float(d[0]):+.6g}, though its "
            f"gradient differs between entries ({', '.join(f'{float(g):g}' for g in grad)}): "
            f"the update used one number for the whole tensor, where each entry moves by "
            f"lr times its own gradient")
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


def kept_grad(name: str) -> str:
    """One parameter's .grad never zeroed while the other's is (fit's kept_w, kept_b)."""
    other = "b" if name == "w" else "w"
    return (f"{name}.grad is never zeroed, while {other}.grad is: each backward() adds to it, "
            f"so {name} moves by the sum of all its gradients so far. Zero both before each "
            f"backward() ({name}.grad.zero_() too, or zero every parameter in one loop).")


FIT_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                "sign": SIGN_FLIPPED, "sum": SUM_LOSS, "backward_twice": GRADS_DOUBLED_OR_LR,
                "kept_w": kept_grad("w"), "kept_b": kept_grad("b")}


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

UPDATE_TOUCHES_GRAD = ("sgd_update_ changes the parameters only: leave each p.grad as it was "
                       "given. An in-place operation on p.grad (p.grad.mul_(lr), "
                       "p.grad *= lr) writes into it: compute p -= lr * p.grad instead")
UPDATE_ZEROES_GRAD = ("sgd_update_ changes the parameters only: leave each p.grad as it was "
                      "given. Zeroing belongs to the loop that calls it (fit zeroes before the "
                      "next backward()): an update that zeroes too does the loop's job out of "
                      "its sight")

