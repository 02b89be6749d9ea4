"""The mistakes of ex12 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a cubic fit that ex11 and ex12 share are written in
grader.checks.training; the known wrong runs themselves come from trusted code
(private/variants.py), computed live in the hidden checks and recorded by `build` for the visible
ones. (A gradient off by a factor 2 or in sign is named by grader.engine.compare.mistakes.scale_mistakes.)"""
from grader.checks.api import (COEFFICIENTS_ORDER, GRADS_DOUBLED_OR_LR, HALF_GRADIENT,
                               LOSSES_OF_STEPS_0_100, LOSS_AFTER_UPDATE, UPDATE_ADDS_GRADIENT,
                               crossed_update, fit_grads_of_mean, grads_of_mean,
                               never_moved_hint,
                               rebound_parameter)

AUTOGRAD_REBOUND = rebound_parameter("a")   # fit_autograd's update rebinding a, b, c, d
PARAMETER_FORMATTED = "a Parameter was formatted, not its number: use self.a.item()"


GRAD_SIGN = ("the sign is flipped: the gradients of sum((y_pred - y)**2) are "
             "built on 2 * (y_pred - y), not 2 * (y - y_pred)")


def string_rounded(places: int) -> str:
    """The hint for numbers written rounded to `places` decimals."""
    return (f"the numbers are rounded to {places} decimal place{'s' * (places != 1)}: write "
            f"each value whole, f\"{{self.a.item()}}\" (no :.{places}f)")
STATE_BETWEEN_CALLS = ("the initial values depend on earlier calls: the same seed must give the "
                       "same draws on every call. Make the generator inside the function on each "
                       "call, g = torch.Generator().manual_seed(seed), not once for all calls")
STRING_ROUNDED = ("write each value in full, as Python writes the float .item() gives, "
                  "f\"{self.a.item()}\": a format such as :g or :.4f rounds it")
DRAWN_IN_FLOAT64 = ("the initial values are drawn in float64 (randn with dtype=torch.float64, "
                    "or x's dtype): they differ from the contract's float32 draws by float32's "
                    "rounding. Draw each in float32, torch.randn((), generator=g), then "
                    ".to(x.device, x.dtype)")
# the same steps right on float32 x, a .grad of None met on float64 x: .to(x.device, x.dtype)
# returns the tensor itself where nothing changes, a new tensor (no leaf) where the dtype does
NOT_A_LEAF_AFTER_TO = ("the same steps on float32 x follow the reference, and on float64 x the "
                       "update finds a parameter's .grad None: a parameter made to require grad "
                       "before .to(x.device, x.dtype) (or .double(), or any operation) is not a "
                       "leaf where that call makes a new tensor (a dtype or device change; on "
                       "float32 CPU x .to() returns the tensor itself), and backward() gives a "
                       "non-leaf no .grad. Call .requires_grad_() last, after .to(x.device, "
                       "x.dtype), or make the leaf at its final dtype and device")
UNKNOWN_OPTIMIZER = 'raise ValueError for a name other than "sgd" or "rmsprop".'
OPTIM_LOSS_AFTER_STEP = ("the loss is recorded after the optimizer step: record the loss "
                         "computed before it")
# fit_optim's known wrong runs: {hint: the keywords of private/variants.py's optim_variant}
OPTIM_MISTAKES = {
    "the gradients are not zeroed between steps (call optimizer.zero_grad() before "
    "loss.backward())": dict(zero=False),
    'the loss is a mean: use nn.MSELoss(reduction="sum")': dict(reduction="mean"),
    'these are the steps of nn.L1Loss, the absolute errors summed: the loss asked is '
    'nn.MSELoss(reduction="sum"), the squared errors summed': dict(loss="l1"),
    "each update uses the previous step's gradient (none at the first step, which did not "
    "move): optimizer.step() runs before loss.backward(). In each step: zero_grad(), the "
    "loss, loss.backward(), then optimizer.step()": dict(lagged=True),
    'SGD was used for optimizer="rmsprop": use torch.optim.RMSprop': dict(used="sgd"),
    # another adaptive optimizer's steps, told by the whole run (its first step alone moves
    # every parameter by lr for Adam, by 10 lr for RMSprop)
    'these are torch.optim.Adam\'s steps, for optimizer="rmsprop": build '
    'torch.optim.RMSprop(model.parameters(), lr=lr)': dict(used="adam"),
    'these are torch.optim.Adagrad\'s steps, for optimizer="rmsprop": build '
    'torch.optim.RMSprop(model.parameters(), lr=lr)': dict(used="adagrad"),
    # RMSprop with a momentum, told by the whole run at that momentum
    **{f"these are torch.optim.RMSprop's steps with momentum={m}, where none is asked: build "
       f"torch.optim.RMSprop(model.parameters(), lr=lr) (its default momentum is 0)":
       dict(used="rmsprop", momentum=m) for m in (0.5, 0.9, 0.99)},
    # RMSprop with another decay of its running average of squared gradients, told by the whole
    # run (its first step alone is lr / sqrt(1 - alpha) per parameter: 3.16 lr, not 10 lr)
    **{f"these are torch.optim.RMSprop's steps with alpha={a} (the decay of its running "
       f"average of squared gradients), where its default 0.99 is asked: build "
       f"torch.optim.RMSprop(model.parameters(), lr=lr)": dict(used="rmsprop", alpha=a)
       for a in (0.9, 0.95, 0.999)},
    # RMSprop's state dropped at every step, told by the whole run (each step is a first step,
    # lr / sqrt(1 - alpha) = 10 lr per parameter); SGD without momentum has no state to lose
    "a new optimizer is built in every step: RMSprop's running average of squared gradients "
    "starts empty each time, so every step moves as a first step does. Build "
    "torch.optim.RMSprop(model.parameters(), lr=lr) once, before the loop":
    dict(used="rmsprop", fresh=True),
}
LOSS_AFTER_STEP = dict(after=True)   # the keywords of the run that records the loss too late


def fit_mistakes(wrong, n):
    """{key: ((a, b, c, d), losses)} of the usual wrong fits on n points -> {hint: run}."""
    hints = {
        "no_zero": "the gradients are not zeroed between steps: .grad adds up over the steps, so "
                   "zero it after each update (p.grad.zero_() or p.grad = None)",
        "sign": UPDATE_ADDS_GRADIENT,
        "mean": fit_grads_of_mean(n),
        "half": HALF_GRADIENT,
        "double": GRADS_DOUBLED_OR_LR,
        "after": LOSS_AFTER_UPDATE,
        "when": LOSSES_OF_STEPS_0_100,
        "zero_before": never_moved_hint("coefficients", "p"),
        "in_turn": "each coefficient's gradient is taken after the coefficients before it "
                   "were updated (the gradients recomputed in the middle of the update): "
                   "compute all four gradients from one forward pass, then update a, b, c, d"}
    hints.update({f"cross_{i}{j}": crossed_update(i, j) for i in range(4) for j in range(4)
                  if i != j})
    hints.update({key: regrad_after(tuple(int(c) for c in key[7:]))
                  for key in wrong if key.startswith("regrad_")})
    named = {hint: wrong[key] for key, hint in hints.items() if key in wrong}
    mean = wrong.get("mean")
    if mean is not None and len(mean[1]):   # the loss a mean: the losses recorded 1/N too
        named[loss_is_mean(n)] = (mean[0], [v / n for v in mean[1]])
    return named


def regrad_after(regrad) -> str:
    """The gradients taken anew after the update of the coefficients numbered in `regrad`."""
    names = " and ".join("abcd"[i] for i in regrad)
    later = "abcd"[min(regrad) + 1:]
    return (f"the gradients are taken anew after {names} {'was' if len(regrad) == 1 else 'were'} "
            f"updated: {', '.join(later)} move by gradients taken after another parameter was "
            f"updated (y_pred computed again in the middle of the update). Compute all four "
            f"gradients from one forward pass, then update a, b, c, d")


def loss_is_mean(n: int) -> str:
    """A fit whose loss is the mean over its n points: its gradients and the recorded losses
    both 1/n of the sum's; worded as fit_grads_of_mean is, so that a factor N is confirmed
    across inputs alike (grader.engine.result.confirm_across_inputs)."""
    return (f"the gradients are divided by N = {n}: the loss is the mean over the points, so "
            f"its gradients and the losses recorded are 1/N of the sum's. The loss is the sum "
            f"of squared errors, ((y_pred - y) ** 2).sum()")


def optim_mistakes(optimizer):
    """The known mistakes of a fit_optim run with `optimizer`: {hint: keywords of the trusted
    optim_variant}."""
    return {k: v for k, v in OPTIM_MISTAKES.items() if optimizer == "rmsprop" or "used" not in v}


def grad_powers(want, x, y, y_pred) -> dict:
    """poly_grads_tensor with one gradient at another power of x (grad_c computed with x**3
    ...): grader.engine.compare.mistakes.grad_power_mistakes; or with the derivative in x of
    its power (grad_d with 3 x**2, the derivative of x**3)."""
    import torch

    from grader.checks.api import grad_power_mistakes
    r = 2 * (y_pred - y)
    out = grad_power_mistakes(want, x, r, (0, 1, 2, 3), ("grad_a", "grad_b", "grad_c", "grad_d"))

    def same(u, v):
        return torch.allclose(torch.as_tensor(u, dtype=torch.float64).cpu(),
                              torch.as_tensor(v, dtype=torch.float64).cpu(), rtol=1e-9, atol=0)
    for k, name in ((2, "grad_c"), (3, "grad_d")):
        value = (r * k * x ** (k - 1)).sum().to(want[k].dtype)
        if same(value, want[k]):
            continue
        dx = f"{k} x**{k - 1}" if k > 2 else f"{k} x"
        alike = [h for h, v in out.items() if same(v[k], value)]
        for h in alike:   # `x * 2` for `x ** 2` gives 2x too: both are said
            out[f"{h}; or {dx}, the derivative of x**{k} with respect to x, was taken"] = \
                out.pop(h)
        if not alike:
            out[f"{name} is the sum of 2 r · {dx}: {dx} is the derivative of x**{k} with "
                f"respect to x, where the gradient with respect to the coefficient is wanted; "
                f"that coefficient multiplies x**{k}, so {name} is the sum of 2 r x**{k}"] = \
                type(want)(value if i == k else v for i, v in enumerate(want))
    return out


def forward_mistakes(state: dict, x, reversed_value) -> dict:
    """Polynomial3.forward's wrong values at x from `state`: the coefficients in reverse order
    (COEFFICIENTS_ORDER, `reversed_value`), one term at another power and two coefficients
    swapped (grader.engine.compare.mistakes.term_power_mistakes), where their values differ."""
    from grader.checks.api import term_power_mistakes
    known = {COEFFICIENTS_ORDER: reversed_value}
    coefs = tuple(state[k].to(x.device, x.dtype) for k in "abcd")
    return {**known, **term_power_mistakes(x, coefs, (0, 1, 2, 3), "abcd", known=known)}


ONE_GENERATOR_EACH = ("a, b, c and d are the same number, the first draw of "
                      "torch.Generator().manual_seed(seed): each was drawn from a generator of its "
                      "own, made anew with the same seed. Make one g = "
                      "torch.Generator().manual_seed(seed) and draw a, b, c, d from it in turn")


def one_generator_each(want) -> dict:
    """{ONE_GENERATOR_EACH: the run of steps=0 whose four initial values are all the reference's
    a, the first draw of the seed}, from the reference's run `want` ((a, b, c, d), [])."""
    a = want[0][0]
    return {ONE_GENERATOR_EACH: ((a, a, a, a), list(want[1]))}
