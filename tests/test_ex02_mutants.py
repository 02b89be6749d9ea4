"""Wrong variants of ex02 fail the right checks, and the messages name the mistake."""
import pytest

from tests.conftest import failing, messages

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("cost_sum", """
     def cost(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.sum((x * w - y) ** 2))
     """, "cost", "sum where the mean"),
    ("cost_not_squared", """
     def cost(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean(x * w - y))
     """, "cost", "not the mean squared error"),
    ("cost_tensor_result", """
     def cost(xs, ys, w):
         if isinstance(xs, torch.Tensor):
             return ((xs * w - ys) ** 2).mean()
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean((x * w - y) ** 2))
     """, "cost", "use .item()"),
    ("gradient_factor2", """
     def gradient(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean(x * (x * w - y)))
     """, "gradient", "factor 2"),
    ("gradient_sum", """
     def gradient(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.sum(2 * x * (x * w - y)))
     """, "gradient", "a sum where a mean is wanted"),
    ("gradient_sign", """
     def gradient(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean(2 * x * (y - x * w)))
     """, "gradient", "sign is flipped"),
    ("gradient_uses_autograd", """
     def gradient(xs, ys, w):
         x, y = torch.as_tensor(_as_array(xs)), torch.as_tensor(_as_array(ys))
         wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
         ((x * wt - y) ** 2).mean().backward()
         return float(wt.grad)
     """, "gradient", "computes its derivative by hand"),
    ("gd_factor2", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             costs.append(cost(xs, ys, w))
             w = w - lr * gradient(xs, ys, w) / 2
         return w, costs
     """, "gradient_descent", "factor 2"),
    ("gd_sum", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             costs.append(cost(xs, ys, w))
             w = w - lr * gradient(xs, ys, w) * len(xs)
         return w, costs
     """, "gradient_descent", "a sum over the samples"),
    ("gd_sign", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             costs.append(cost(xs, ys, w))
             w = w + lr * gradient(xs, ys, w)
         return w, costs
     """, "gradient_descent", "uphill"),
    ("gd_cost_after_update", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             w = w - lr * gradient(xs, ys, w)
             costs.append(cost(xs, ys, w))
         return w, costs
     """, "gradient_descent", "recorded after the update"),
    ("sample_gradient_factor2", """
     def sample_gradient(x, y, w):
         return float(x * (x * w - y))
     """, "sample_gradient", "factor 2"),
    ("sample_gradient_sign", """
     def sample_gradient(x, y, w):
         return float(2 * x * (y - x * w))
     """, "sample_gradient", "sign is flipped"),
    ("sample_gradient_no_x", """
     def sample_gradient(x, y, w):
         return float(2 * (x * w - y))
     """, "sample_gradient", "wrong value"),
    ("sample_gradient_uses_autograd", """
     def sample_gradient(x, y, w):
         wt = torch.tensor(float(w), requires_grad=True)
         ((x * wt - y) ** 2).backward()
         return float(wt.grad)
     """, "sample_gradient", "computes its derivative by hand"),
    ("sgd_factor2", """
     _orig_sgd = stochastic_gradient_descent
     def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
         return _orig_sgd(xs, ys, w0, lr / 2, epochs)
     """, "stochastic_gradient_descent", "factor 2"),
    ("sgd_sign", """
     def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
         x, y = _as_array(xs), _as_array(ys)
         w, losses = float(w0), []
         for _ in range(epochs):
             for xi, yi in zip(x.tolist(), y.tolist()):
                 w = w + lr * sample_gradient(xi, yi, w)
                 loss = (xi * w - yi) ** 2
             losses.append(loss)
         return w, losses
     """, "stochastic_gradient_descent", "uphill"),
    ("sgd_batch_gradient", """
     def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
         x, y = _as_array(xs), _as_array(ys)
         w, losses = float(w0), []
         for _ in range(epochs):
             for xi, yi in zip(x.tolist(), y.tolist()):
                 w = w - lr * gradient(x, y, w)
                 loss = (xi * w - yi) ** 2
             losses.append(loss)
         return w, losses
     """, "stochastic_gradient_descent", "mean gradient over all samples"),
    ("sgd_loss_before_update", """
     def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
         x, y = _as_array(xs), _as_array(ys)
         w, losses = float(w0), []
         for _ in range(epochs):
             for xi, yi in zip(x.tolist(), y.tolist()):
                 loss = (xi * w - yi) ** 2
                 w = w - lr * sample_gradient(xi, yi, w)
             losses.append(loss)
         return w, losses
     """, "stochastic_gradient_descent", "computed before the update"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    result = grade("ex02", code)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_reference_passes_and_stub_is_not_started(grade):
    """The reference gets every point; the stub gets none, every check "not started"."""
    from tests.conftest import ROOT
    result = grade("ex02")
    assert result.score == result.max_score > 0
    stub = (ROOT / "exercises" / "ex02_gradient_descent.py").read_text()
    result = grade("ex02", files={"ex02_gradient_descent.py": stub})
    assert result.score == 0
    assert {c.status for c in result.checks if c.counted} == {"not started"}
