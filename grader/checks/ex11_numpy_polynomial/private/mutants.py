"""The wrong programs of ex11: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

MUTANTS = [
    Mutant("sine_no_endpoint", """
     def make_sine_data(n=2000):
         x = np.linspace(-np.pi, np.pi, n, endpoint=False)
         return x, np.sin(x)
     """, "make_sine_data", "last point is missing"),
    Mutant("sine_float32", """
     def make_sine_data(n=2000):
         x = np.linspace(-np.pi, np.pi, n, dtype=np.float32)
         return x, np.sin(x)
     """, "make_sine_data", "dtype float32"),
    Mutant("forward_reversed", """
     def poly_forward(x, a, b, c, d):
         return d + c * x + b * x ** 2 + a * x ** 3
     """, "poly_forward", "wrong order"),
    Mutant("forward_no_cube", """
     def poly_forward(x, a, b, c, d):
         return a + b * x + c * x ** 2 + d * x ** 2
     """, "poly_forward", "wrong value"),
    Mutant("loss_mean", """
     def poly_loss(y_pred, y):
         return float(np.mean((y_pred - y) ** 2))
     """, "poly_loss", "mean of the squared errors"),
    Mutant("loss_not_squared", """
     def poly_loss(y_pred, y):
         return float(np.sum(y_pred - y))
     """, "poly_loss", "not of their squares"),
    Mutant("grads_no_factor2", """
     def poly_grads(x, y, y_pred):
         r = y_pred - y
         return tuple(float((r * x ** k).sum()) for k in range(4))
     """, "poly_grads", "factor 2"),
    Mutant("grads_mean", """
     def poly_grads(x, y, y_pred):
         g = 2.0 * (y_pred - y)
         return tuple(float((g * x ** k).mean()) for k in range(4))
     """, "poly_grads", "do not divide by N"),
    Mutant("grads_sign", """
     def poly_grads(x, y, y_pred):
         g = 2.0 * (y - y_pred)
         return tuple(float((g * x ** k).sum()) for k in range(4))
     """, "poly_grads", "sign is flipped"),
    Mutant("grads_power_off_by_one", """
     def poly_grads(x, y, y_pred):
         g = 2.0 * (y_pred - y)
         return tuple(float((g * x ** (k + 1)).sum()) for k in range(4))
     """, "poly_grads", "wrong value"),
    Mutant("fit_global_rng", """
     def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
         np.random.seed(seed)
         a, b, c, d = (float(v) for v in np.random.randn(4))
         losses = []
         for t in range(steps):
             y_pred = poly_forward(x, a, b, c, d)
             if t % 100 == 99:
                 losses.append(poly_loss(y_pred, y))
             ga, gb, gc, gd = poly_grads(x, y, y_pred)
             a, b, c, d = a - lr * ga, b - lr * gb, c - lr * gc, d - lr * gd
         return (a, b, c, d), losses
     """, "fit_numpy", "changed the global random state"),
    Mutant("fit_adds_gradient", """
     def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
         rng = np.random.default_rng(seed)
         a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
         losses = []
         for t in range(steps):
             y_pred = poly_forward(x, a, b, c, d)
             if t % 100 == 99:
                 losses.append(poly_loss(y_pred, y))
             ga, gb, gc, gd = poly_grads(x, y, y_pred)
             a, b, c, d = a + lr * ga, b + lr * gb, c + lr * gc, d + lr * gd
         return (a, b, c, d), losses
     """, "fit_numpy", "adds the gradient"),
    Mutant("fit_loss_after_update", """
     def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
         rng = np.random.default_rng(seed)
         a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
         losses = []
         for t in range(steps):
             y_pred = poly_forward(x, a, b, c, d)
             ga, gb, gc, gd = poly_grads(x, y, y_pred)
             a, b, c, d = a - lr * ga, b - lr * gb, c - lr * gc, d - lr * gd
             if t % 100 == 99:
                 losses.append(poly_loss(poly_forward(x, a, b, c, d), y))
         return (a, b, c, d), losses
     """, "fit_numpy", "recorded after the update"),
    Mutant("fit_every_loss", """
     _orig_fit = fit_numpy
     def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
         params, _ = _orig_fit(x, y, lr, steps, seed)
         return params, [0.0] * steps
     """, "fit_numpy", "every step's loss"),
    Mutant("fit_mean_gradients", """
     def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
         rng = np.random.default_rng(seed)
         a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
         losses = []
         for t in range(steps):
             y_pred = poly_forward(x, a, b, c, d)
             if t % 100 == 99:
                 losses.append(poly_loss(y_pred, y))
             ga, gb, gc, gd = (g / len(x) for g in poly_grads(x, y, y_pred))
             a, b, c, d = a - lr * ga, b - lr * gb, c - lr * gc, d - lr * gd
         return (a, b, c, d), losses
     """, "fit_numpy", "divided by N"),
    Mutant("grads_half", """
     _ref_poly_grads = poly_grads
     def poly_grads(x, y, y_pred):
         return tuple(g / 2 for g in _ref_poly_grads(x, y, y_pred))
     """, "poly_grads", "factor 2",
           what="poly_grads misses the factor 2"),
    Mutant("loss_averaged", """
     _ref_poly_loss = poly_loss
     def poly_loss(y_pred, y):
         return _ref_poly_loss(y_pred, y) / len(y)
     """, "poly_loss", "mean of the squared errors",
           what="poly_loss takes the mean where the sum is asked for"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("grads_half", "loss_averaged")

# Other correct ways to write it (x ** 3, dot products, np.sum of a difference the other way
# round) score full marks.
ALTERNATIVES = {"other_ways": """def poly_forward(x, a, b, c, d):
    return a + b * x + c * x ** 2 + d * x ** 3

def poly_grads(x, y, y_pred):
    g = 2.0 * (y_pred - y)
    return g.sum(), g @ x, g @ (x * x), g @ (x * x * x)

def poly_loss(y_pred, y):
    return np.sum((y - y_pred) ** 2)
"""}
