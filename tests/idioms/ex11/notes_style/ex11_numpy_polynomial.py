"""Exercise 11 as "Learning PyTorch with Examples" writes it (warm-up: numpy), with the global
np.random.randn replaced by the seeded generator the exercise asks for."""
import math

import numpy as np


def make_sine_data(n=2000):
    # Create random input and output data
    x = np.linspace(-math.pi, math.pi, n)
    y = np.sin(x)
    return x, y


def poly_forward(x, a, b, c, d):
    # y = a + b x + c x^2 + d x^3
    return a + b * x + c * x ** 2 + d * x ** 3


def poly_loss(y_pred, y):
    return np.square(y_pred - y).sum()


def poly_grads(x, y, y_pred):
    # Backprop to compute gradients of a, b, c, d with respect to loss
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()
    return grad_a, grad_b, grad_c, grad_d


def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    # Randomly initialize weights
    rng = np.random.default_rng(seed)
    a = rng.standard_normal()
    b = rng.standard_normal()
    c = rng.standard_normal()
    d = rng.standard_normal()

    learning_rate = lr
    losses = []
    for t in range(steps):
        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute and print loss
        loss = np.square(y_pred - y).sum()
        if t % 100 == 99:
            losses.append(loss)

        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)

        # Update weights
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d

    return (a, b, c, d), losses
