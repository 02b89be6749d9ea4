"""The known wrong runs of ex11's fit_numpy, computed in the grading process from trusted code:
what a student's fit is compared with to name its mistake."""
import numpy as np


def fit_variant(x, y, lr, steps, seed, *, after=False, sign=1.0, scale=1.0, init="rng",
                when=99, used=(0, 1, 2, 3), regrad=()):
    """A fit with one known mistake (trusted code, used to name what a wrong answer did).
    used[i]: the gradient that updates coefficient i (a copy-paste, d -= lr * grad_c);
    regrad: the coefficients after whose update the gradients are taken anew from the
    coefficients as they are then (not one forward pass per step)."""
    if init == "rng":
        rng = np.random.default_rng(seed)
        p = [float(rng.standard_normal()) for _ in range(4)]
    else:  # the global state
        state = np.random.get_state()
        np.random.seed(seed)
        p = [float(v) for v in np.random.randn(4)]
        np.random.set_state(state)
    losses = []
    for t in range(steps):
        yp = p[0] + p[1] * x + p[2] * x * x + p[3] * x * x * x
        g = 2.0 * (yp - y)
        grads = [float((g * x ** k).sum()) * scale for k in range(4)]
        if regrad:
            for i in range(4):
                p[i] = p[i] - sign * lr * grads[used[i]]
                if i in regrad:
                    gi = 2.0 * (p[0] + p[1] * x + p[2] * x * x + p[3] * x * x * x - y)
                    grads = [float((gi * x ** k).sum()) * scale for k in range(4)]
        else:
            p = [v - sign * lr * grads[u] for v, u in zip(p, used)]
        if t % 100 == when:
            if after:
                yp = p[0] + p[1] * x + p[2] * x * x + p[3] * x * x * x
            losses.append(float(((yp - y) ** 2).sum()))
    return tuple(p), losses


def crossed_updates(x, y, lr, steps, seed, hint) -> dict:
    """{hint(i, j): the fit where coefficient i is updated with coefficient j's gradient}, for
    every i != j."""
    out = {}
    for i in range(4):
        for j in range(4):
            if i != j:
                used = tuple(j if k == i else k for k in range(4))
                out[hint(i, j)] = fit_variant(x, y, lr, steps, seed, used=used)
    return out
