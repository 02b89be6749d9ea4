"""Exercise 01, written the way the course notes do it: loops over zip(x_data, y_data), a running
l_sum, and one MSE per weight appended to a list."""
import numpy as np
import torch


def forward(x, w):
    return x * w


def loss(x, y, w):
    y_pred = forward(x, w)
    return (y_pred - y) * (y_pred - y)


def _floats(values):
    # lists, arrays and tensors (even on the GPU) all give plain Python floats this way
    return [float(v) for v in values]


def mse_for_weights(x_data, y_data, weights):
    x_data, y_data = _floats(x_data), _floats(y_data)
    mse_list = []
    for w in _floats(weights):
        l_sum = 0
        for x_val, y_val in zip(x_data, y_data):
            l = loss(x_val, y_val, w)
            l_sum += l
        mse_list.append(l_sum / len(x_data))
    return np.array(mse_list, dtype=np.float64)


def forward_wb(x, w, b):
    return x * w + b


def mse_surface(x_data, y_data, ws, bs):
    x_data, y_data = _floats(x_data), _floats(y_data)
    ws, bs = _floats(ws), _floats(bs)
    surface = np.zeros((len(bs), len(ws)))
    for i, b in enumerate(bs):          # rows: the bias
        for j, w in enumerate(ws):      # columns: the weight
            l_sum = 0
            for x_val, y_val in zip(x_data, y_data):
                y_pred_val = forward_wb(x_val, w, b)
                l_sum += (y_pred_val - y_val) ** 2
            surface[i, j] = l_sum / len(x_data)
    return surface


def best_weight(x_data, y_data, weights):
    best_w, best_mse = None, None
    for w, mse in zip(_floats(weights), mse_for_weights(x_data, y_data, weights)):
        if best_mse is None or mse < best_mse:
            best_w, best_mse = w, mse
    return best_w
