"""Exercise 11 with np.sum/np.dot, the coefficients in a dict updated in a loop, and the loss
recorded with .item()."""
import numpy as np


def make_sine_data(n=2000):
    x = np.linspace(-np.pi, np.pi, n)
    y = np.sin(x)
    return x.astype(np.float64), y.astype(np.float64)


def poly_forward(x, a, b, c, d):
    x2 = x * x
    x3 = x2 * x
    return a + b * x + c * x2 + d * x3


def poly_loss(y_pred, y):
    return np.sum((y_pred - y) ** 2).item()


def poly_grads(x, y, y_pred):
    dL_dy = 2 * (y_pred - y)
    x2 = x * x
    return (float(np.sum(dL_dy)), float(np.dot(dL_dy, x)), float(np.dot(dL_dy, x2)),
            float(np.dot(dL_dy, x2 * x)))


def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    params = {name: float(rng.standard_normal()) for name in ("a", "b", "c", "d")}
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, **params)
        loss = poly_loss(y_pred, y)
        grads = dict(zip("abcd", poly_grads(x, y, y_pred)))
        for name in params:
            params[name] -= lr * grads[name]
        if (t + 1) % 100 == 0:
            losses.append(loss)
    return (params["a"], params["b"], params["c"], params["d"]), losses
