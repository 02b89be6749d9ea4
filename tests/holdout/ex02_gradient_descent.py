"""Hold-out mistakes of ex02 (gradient descent by hand)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("cost_square_of_mean", "cost", '''
def cost(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(x * w - y) ** 2)
''', "the square of the mean error, not the mean of the squares"),
    Wrong("gradient_forgets_x", "gradient", '''
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(np.mean(2 * (x * w - y)))
''', "the inner derivative x forgotten"),
    Wrong("gd_one_epoch_short", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w, costs = float(w0), []
    for epoch in range(1, epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    return w, costs
''', "range(1, epochs): one epoch too few"),
    Wrong("gd_final_cost_too", "gradient_descent", '''
def gradient_descent(xs, ys, w0, lr, epochs):
    w, costs = float(w0), []
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    costs.append(cost(xs, ys, w))
    return w, costs
''', "the final cost appended too: epochs + 1 costs"),
    Wrong("sgd_epoch_mean_loss", "stochastic_gradient_descent", '''
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w, losses = float(w0), []
    for _ in range(epochs):
        epoch_losses = []
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * sample_gradient(xi, yi, w)
            epoch_losses.append((xi * w - yi) ** 2)
        losses.append(float(np.mean(epoch_losses)))
    return w, losses
''', "the epoch's mean loss recorded, not the last sample's"),
    Wrong("sample_gradient_in_x", "sample_gradient", '''
def sample_gradient(x, y, w):
    return float(2 * w * (x * w - y))
''', "the derivative in x, not in w (w where x belongs)"),
]
