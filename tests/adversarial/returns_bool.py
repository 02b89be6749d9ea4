"""Every number is a bool: True where a float is expected, an all-True bool array where an
array of floats is expected (True == 1.0, so a loose comparison would pass some checks)."""
import numpy as np


def forward(x, w):
    return True


def loss(x, y, w):
    return True


def mse_for_weights(x_data, y_data, weights):
    return np.ones(len(weights), dtype=bool)


def forward_wb(x, w, b):
    return True


def mse_surface(x_data, y_data, ws, bs):
    return np.ones((len(bs), len(ws)), dtype=bool)


def best_weight(x_data, y_data, weights):
    return True
