"""Exercise 02 as the course notes write it: Python loops over zip(xs, ys), `w = w - 0.01 * grad`,
and the loss printed (here: recorded) after the last sample of each epoch."""


def _floats(values):
    return [float(v) for v in values]


def forward(x, w):
    return x * w


def cost(xs, ys, w):
    cost = 0
    for x, y in zip(_floats(xs), _floats(ys)):
        y_pred = forward(x, w)
        cost += (y_pred - y) ** 2
    return cost / len(xs)


def gradient(xs, ys, w):
    grad = 0
    for x, y in zip(_floats(xs), _floats(ys)):
        grad += 2 * x * (x * w - y)
    return grad / len(xs)


def gradient_descent(xs, ys, w0, lr, epochs):
    w = w0
    costs = []
    for epoch in range(epochs):
        cost_val = cost(xs, ys, w)
        grad_val = gradient(xs, ys, w)
        w = w - lr * grad_val
        costs.append(cost_val)
    return float(w), costs


def sample_gradient(x, y, w):
    # d/dw (x * w - y) ** 2
    return 2 * x * (x * w - y)


def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x_data, y_data = _floats(xs), _floats(ys)
    w = w0
    losses = []
    for epoch in range(epochs):
        for x_val, y_val in zip(x_data, y_data):
            grad = sample_gradient(x_val, y_val, w)
            w = w - lr * grad
            l = (forward(x_val, w) - y_val) ** 2
        losses.append(l)
    return float(w), losses
