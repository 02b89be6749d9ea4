"""Wrong variants of ex11 fail the right checks, and the messages name the mistake."""
import numpy as np
import pytest

from tests.conftest import failing, messages

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("sine_no_endpoint", """
     def make_sine_data(n=2000):
         x = np.linspace(-np.pi, np.pi, n, endpoint=False)
         return x, np.sin(x)
     """, "make_sine_data", "last point is missing"),
    ("sine_float32", """
     def make_sine_data(n=2000):
         x = np.linspace(-np.pi, np.pi, n, dtype=np.float32)
         return x, np.sin(x)
     """, "make_sine_data", "dtype float32"),
    ("forward_reversed", """
     def poly_forward(x, a, b, c, d):
         return d + c * x + b * x ** 2 + a * x ** 3
     """, "poly_forward", "wrong order"),
    ("forward_no_cube", """
     def poly_forward(x, a, b, c, d):
         return a + b * x + c * x ** 2 + d * x ** 2
     """, "poly_forward", "wrong value"),
    ("loss_mean", """
     def poly_loss(y_pred, y):
         return float(np.mean((y_pred - y) ** 2))
     """, "poly_loss", "mean of the squared errors"),
    ("loss_not_squared", """
     def poly_loss(y_pred, y):
         return float(np.sum(y_pred - y))
     """, "poly_loss", "not of their squares"),
    ("grads_no_factor2", """
     def poly_grads(x, y, y_pred):
         r = y_pred - y
         return tuple(float((r * x ** k).sum()) for k in range(4))
     """, "poly_grads", "factor 2"),
    ("grads_mean", """
     def poly_grads(x, y, y_pred):
         g = 2.0 * (y_pred - y)
         return tuple(float((g * x ** k).mean()) for k in range(4))
     """, "poly_grads", "do not divide by N"),
    ("grads_sign", """
     def poly_grads(x, y, y_pred):
         g = 2.0 * (y - y_pred)
         return tuple(float((g * x ** k).sum()) for k in range(4))
     """, "poly_grads", "sign is flipped"),
    ("grads_power_off_by_one", """
     def poly_grads(x, y, y_pred):
         g = 2.0 * (y_pred - y)
         return tuple(float((g * x ** (k + 1)).sum()) for k in range(4))
     """, "poly_grads", "wrong value"),
    ("fit_global_rng", """
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
     """, "fit_numpy", "global np.random state"),
    ("fit_adds_gradient", """
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
    ("fit_loss_after_update", """
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
    ("fit_every_loss", """
     _orig_fit = fit_numpy
     def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
         params, _ = _orig_fit(x, y, lr, steps, seed)
         return params, [0.0] * steps
     """, "fit_numpy", "every step's loss"),
    ("fit_mean_gradients", """
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
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    result = grade("ex11", code, targets=[target])
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_alternative_implementations_pass(grade):
    """Other correct ways to write it (x ** 3, dot products, np.sum of a difference the other way
    round) score full marks."""
    code = """
    def poly_forward(x, a, b, c, d):
        return a + b * x + c * x ** 2 + d * x ** 3

    def poly_grads(x, y, y_pred):
        g = 2.0 * (y_pred - y)
        return g.sum(), g @ x, g @ (x * x), g @ (x * x * x)

    def poly_loss(y_pred, y):
        return np.sum((y - y_pred) ** 2)
    """
    result = grade("ex11", code)
    assert result.score == result.max_score, messages(result)


def test_course_fit_is_recorded():
    """The recorded course result is the tutorial's: about 0.84 x - 0.09 x^3 after 2000 steps."""
    from grader.checking import expected
    from grader.checks.ex11_numpy_polynomial.ships.test_visible import CASES
    (a, b, c, d), losses = expected(CASES["fit_course"])
    assert abs(a) < 0.01 and abs(c) < 0.01
    assert abs(b - 0.84) < 0.01 and abs(d + 0.091) < 0.002
    assert len(losses) == 20 and 8.0 < losses[-1] < 10.0
    x = np.linspace(-np.pi, np.pi, 2000)
    assert np.max(np.abs(a + b * x + c * x ** 2 + d * x ** 3 - np.sin(x))) < 0.2
