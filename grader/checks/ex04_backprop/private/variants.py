"""The known wrong runs of ex04's training loops (train_autograd, train_quadratic), computed in
the grading process. They live here, with the instructor: a training loop written out in the
student kit would hand students the answer."""
import torch

from grader.checks.ex04_backprop.ships import mistakes as hints


def as_tensors(xs, ys):
    """The contract's conversion: tensors keep dtype and device; lists become float32."""
    x = xs.detach() if isinstance(xs, torch.Tensor) else torch.tensor(xs, dtype=torch.float32)
    y = ys.detach() if isinstance(ys, torch.Tensor) else torch.tensor(ys)
    return x, y.to(x.device, x.dtype)


def sgd_run(xs, ys, init, lr, epochs, *, quadratic, zero=True, loss_after=False, kept=(),
            frozen=(), record="last", over_n=False, skip_last=False):
    """The per-sample autograd loop of train_autograd (quadratic=False, init=(w0,)) or
    train_quadratic (init=(w1, w2, b)), rerun here with a known mistake switched on: zero=False
    never zeroes the gradients, zero="epoch" zeroes them once per epoch (after its last sample),
    zero="before" zeroes them between backward() and the update (which then subtracts zero),
    kept=(i, ...) never zeroes those of the parameters numbered i, frozen=(i, ...) never updates
    them, loss_after=True records each loss after the update, record="sum", "mean" or "first"
    records the sum or the mean of the epoch's sample losses, or its first one, instead of its
    last, over_n=True divides
    each sample's gradient by the number of samples N in its update, skip_last=True makes
    every update but the very last (that of the last epoch's last sample). Returns what the
    function would: the final parameters as floats, then the losses."""
    x, y = as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in init]

    def f(xi):
        return params[0] * xi ** 2 + params[1] * xi + params[2] if quadratic else xi * params[0]

    losses = []
    for epoch in range(epochs):
        last, seen = 0.0, []
        for k, (xi, yi) in enumerate(zip(x, y)):
            final = skip_last and epoch == epochs - 1 and k == len(x) - 1
            loss = (f(xi) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for i, p in enumerate(params):
                    if zero == "before":
                        p.grad.zero_()
                    if i not in frozen and not final:
                        p -= lr * p.grad / (len(x) if over_n else 1)
                    if zero is True and i not in kept:
                        p.grad.zero_()
                last = ((f(xi) - yi) ** 2).item() if loss_after else loss.item()
                seen.append(last)
        if record != "last" and seen:
            last = {"sum": sum(seen), "mean": sum(seen) / len(seen), "first": seen[0]}[record]
        if zero == "epoch":
            for p in params:
                p.grad.zero_()
        losses.append(last)
    return (*[p.item() for p in params], losses)


# the known mistakes of the two loops: {name: sgd_run's keywords}, named as in
# ships/mistakes.variant_hints; a visible check reads the runs `build` recorded (train_variant)
VARIANTS = {"no_zero": dict(zero=False), "loss_after": dict(loss_after=True),
            "zero_epoch": dict(zero="epoch"), "zero_before": dict(zero="before"),
            "loss_sum": dict(record="sum"), "loss_mean": dict(record="mean"),
            "loss_first": dict(record="first"),
            "over_n": dict(over_n=True), "last_skipped": dict(skip_last=True),
            **{f"kept_{i}": dict(kept=(i,)) for i in range(3)},
            **{f"only_{i}": dict(kept=tuple(j for j in range(3) if j != i)) for i in range(3)},
            **{f"frozen_{i}": dict(frozen=(i,)) for i in range(3)}}


def train_variant(xs, ys, *rest, quadratic, name):
    """The run of train_autograd (rest = w0, lr, epochs) or train_quadratic (rest = w1, w2, b,
    lr, epochs) with the known mistake `name` of VARIANTS (what `build` records)."""
    *init, lr, epochs = rest
    return sgd_run(xs, ys, tuple(init), lr, epochs, quadratic=quadratic, **VARIANTS[name])


def train_mistakes(xs, ys, init, lr, epochs, *, quadratic):
    right = sgd_run(xs, ys, init, lr, epochs, quadratic=quadratic)
    return {hints.UPHILL: sgd_run(xs, ys, init, -lr, epochs, quadratic=quadratic),
            **hints.start_returned(right, init),
            **{hint: sgd_run(xs, ys, init, lr, epochs, quadratic=quadratic, **VARIANTS[name])
               for name, hint in hints.variant_hints(quadratic).items()}}
