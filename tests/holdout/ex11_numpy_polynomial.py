"""Hold-out mistakes of ex11 (the cubic fit of sin(x) in NumPy)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("sine_default_n", "make_sine_data", '''
def make_sine_data(n=2000):
    x = np.linspace(-np.pi, np.pi)
    return x, np.sin(x)
''', "np.linspace without n: always 50 points"),
    Wrong("forward_cube_typo", "poly_forward", '''
def poly_forward(x, a, b, c, d):
    return a + b * x + c * x ** 2 + d * x ** 2
''', "a typo: d * x ** 2 for the cubic term"),
    Wrong("grads_not_summed", "poly_grads", '''
def poly_grads(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return g, g * x, g * x ** 2, g * x ** 3
''', "per-sample gradients returned, never summed"),
    Wrong("fit_uniform_init", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.random()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
''', "rng.random() (uniform) instead of rng.standard_normal()"),
    Wrong("fit_fixed_lr", "fit_numpy", '''
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return (a, b, c, d), losses
''', "the tutorial's learning_rate = 1e-6 hard-coded, lr ignored"),
]
