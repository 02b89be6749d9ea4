"""Exercise 01 in NumPy: np.subtract.outer, np.meshgrid and np.argmin."""
import numpy as np
import torch


def forward(x, w):
    y_hat = x * w
    return y_hat


def loss(x, y, w):
    err = forward(x, w) - y
    return err ** 2


def to_np(a):
    if torch.is_tensor(a):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def mse_for_weights(x_data, y_data, weights):
    x, y, ws = to_np(x_data), to_np(y_data), to_np(weights)
    residuals = np.multiply.outer(ws, x) - y          # (K, N)
    return np.mean(np.square(residuals), axis=1)


def forward_wb(x, w, b):
    return forward(x, w) + b


def mse_surface(x_data, y_data, ws, bs):
    x, y = to_np(x_data), to_np(y_data)
    W, B = np.meshgrid(to_np(ws), to_np(bs))
    total = np.zeros(W.shape)
    for xi, yi in zip(x, y):
        total += (forward_wb(xi, W, B) - yi) ** 2
    return total / len(x)


def best_weight(x_data, y_data, weights):
    mse = mse_for_weights(x_data, y_data, weights)
    return float(to_np(weights)[np.argmin(mse)])
