"""Exercise 02 with NumPy arrays: one vectorised expression per formula."""
import numpy as np
import torch


def _arr(v):
    if isinstance(v, torch.Tensor):
        v = v.tolist()
    return np.array(v, dtype=np.float64)


def cost(xs, ys, w):
    x, y = _arr(xs), _arr(ys)
    residual = x * w - y
    return float(np.dot(residual, residual) / residual.size)


def gradient(xs, ys, w):
    x, y = _arr(xs), _arr(ys)
    return (2.0 * x * (x * w - y)).mean().item()


def gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _arr(xs), _arr(ys)
    w, costs = float(w0), []
    for _ in range(epochs):
        costs += [cost(x, y, w)]
        w -= lr * gradient(x, y, w)
    return w, costs


def sample_gradient(x, y, w):
    return float(2.0 * x * (w * x - y))


def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _arr(xs), _arr(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        for i in range(len(x)):
            w -= lr * sample_gradient(x[i], y[i], w)
        losses.append(float((x[-1] * w - y[-1]) ** 2))
    return w, losses
