"""The wrong programs of ex02: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

MUTANTS = [
    Mutant("cost_sum", """
     def cost(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.sum((x * w - y) ** 2))
     """, "cost", "sum where the mean"),
    Mutant("cost_not_squared", """
     def cost(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean(x * w - y))
     """, "cost", "not the mean squared error"),
    Mutant("cost_tensor_result", """
     def cost(xs, ys, w):
         if isinstance(xs, torch.Tensor):
             return ((xs * w - ys) ** 2).mean()
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean((x * w - y) ** 2))
     """, "cost", "use .item()"),
    Mutant("gradient_factor2", """
     def gradient(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean(x * (x * w - y)))
     """, "gradient", "factor 2"),
    Mutant("gradient_sum", """
     def gradient(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.sum(2 * x * (x * w - y)))
     """, "gradient", "a sum where a mean is wanted"),
    Mutant("gradient_sign", """
     def gradient(xs, ys, w):
         x, y = _as_array(xs), _as_array(ys)
         return float(np.mean(2 * x * (y - x * w)))
     """, "gradient", "sign is flipped"),
    Mutant("gradient_uses_autograd", """
     def gradient(xs, ys, w):
         x, y = torch.as_tensor(_as_array(xs)), torch.as_tensor(_as_array(ys))
         wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
         ((x * wt - y) ** 2).mean().backward()
         return float(wt.grad)
     """, "gradient", "computes its derivative by hand"),
    Mutant("gd_factor2", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             costs.append(cost(xs, ys, w))
             w = w - lr * gradient(xs, ys, w) / 2
         return w, costs
     """, "gradient_descent", "factor 2"),
    Mutant("gd_sum", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             costs.append(cost(xs, ys, w))
             w = w - lr * gradient(xs, ys, w) * len(xs)
         return w, costs
     """, "gradient_descent", "a sum over the samples"),
    Mutant("gd_sign", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             costs.append(cost(xs, ys, w))
             w = w + lr * gradient(xs, ys, w)
         return w, costs
     """, "gradient_descent", "uphill"),
    Mutant("gd_cost_after_update", """
     def gradient_descent(xs, ys, w0, lr, epochs):
         w, costs = float(w0), []
         for _ in range(epochs):
             w = w - lr * gradient(xs, ys, w)
             costs.append(cost(xs, ys, w))
         return w, costs
     """, "gradient_descent", "recorded after the update"),
    Mutant("sample_gradient_factor2", """
     def sample_gradient(x, y, w):
         return float(x * (x * w - y))
     """, "sample_gradient", "factor 2"),
    Mutant("sample_gradient_sign", """
     def sample_gradient(x, y, w):
         return float(2 * x * (y - x * w))
     """, "sample_gradient", "sign is flipped"),
    Mutant("sample_gradient_no_x", """
     def sample_gradient(x, y, w):
         return float(2 * (x * w - y))
     """, "sample_gradient", "wrong value"),
    Mutant("sample_gradient_uses_autograd", """
     def sample_gradient(x, y, w):
         wt = torch.tensor(float(w), requires_grad=True)
         ((x * wt - y) ** 2).backward()
         return float(wt.grad)
     """, "sample_gradient", "computes its derivative by hand"),
    Mutant("sgd_factor2", """
     _orig_sgd = stochastic_gradient_descent
     def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
         return _orig_sgd(xs, ys, w0, lr / 2, epochs)
     """, "stochastic_gradient_descent", "factor 2"),
    Mutant("sgd_sign", """
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
    Mutant("sgd_batch_gradient", """
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
    Mutant("sgd_loss_before_update", """
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
    Mutant("gradient_half", """
     _ref_gradient = gradient
     def gradient(xs, ys, w):
         return _ref_gradient(xs, ys, w) / 2
     """, "gradient", "factor 2",
           what="gradient misses the factor 2 of the derivative of a square"),
    Mutant("cost_sums", """
     _ref_cost = cost
     def cost(xs, ys, w):
         return _ref_cost(xs, ys, w) * len(xs)
     """, "cost", "sum where the mean",
           what="cost sums where the mean is asked for"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("gradient_half", "cost_sums")
