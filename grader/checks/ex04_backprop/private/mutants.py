"""The wrong programs of ex04: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

_STEPS = """
def backward_steps(x, y, w):
    y_hat = x * w
    r = {r}
    dloss_dr = {dloss_dr}
    dyhat_dw = {dyhat_dw}
    return {{"y_hat": float(y_hat), "r": float(r), "loss": float(r ** 2),
            "dloss_dr": float(dloss_dr), "dr_dyhat": 1.0, "dyhat_dw": float(dyhat_dw),
            "dloss_dw": float(dloss_dr * 1.0 * dyhat_dw)}}
"""

_AFFINE = """
def affine_backward_steps(x, y, w, b):
    y_hat = x * w + b
    r = {r}
    dloss_dr = {dloss_dr}
    dyhat_db = {dyhat_db}
    return {{"y_hat": float(y_hat), "r": float(r), "loss": float(r ** 2),
            "dloss_dr": float(dloss_dr), "dr_dyhat": 1.0, "dyhat_dw": float(x),
            "dloss_dw": float(dloss_dr * 1.0 * x), "dyhat_db": float(dyhat_db),
            "dloss_db": float(dloss_dr * 1.0 * dyhat_db)}}
"""


def affine(r="y_hat - y", dloss_dr="2 * r", dyhat_db="1.0"):
    return _AFFINE.format(r=r, dloss_dr=dloss_dr, dyhat_db=dyhat_db)


_TRAIN = """
def train_autograd(xs, ys, w0, lr, epochs):
    x, y = _as_tensors(xs, ys)
    w = torch.tensor(float(w0), dtype=x.dtype, device=x.device, requires_grad=True)
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (xi * w - yi) ** 2
            loss.backward()
            with torch.no_grad():
                {update}
            {record}
        losses.append(last)
    return {result}, losses
"""


def train(update="w -= lr * w.grad\n                w.grad.zero_()", record="last = loss.item()",
          result="w.item()"):
    return _TRAIN.format(update=update, record=record, result=result)


_QUAD = """
def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
    x, y = _as_tensors(xs, ys)
    params = [torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
              for v in (w1, w2, b)]
    losses = []
    for _ in range(epochs):
        last = 0.0
        for xi, yi in zip(x, y):
            loss = (quadratic_forward(xi, *params) - yi) ** 2
            loss.backward()
            with torch.no_grad():
                for p in params:
                    {update}
            {record}
        losses.append(last)
    return params[0].item(), params[1].item(), params[2].item(), losses
"""


def quad(update="p -= lr * p.grad\n                    p.grad.zero_()",
         record="last = loss.item()"):
    return _QUAD.format(update=update, record=record)


MUTANTS = [
    Mutant("steps_sign", _STEPS.format(r="y - y_hat", dloss_dr="2 * r", dyhat_dw="x"),
     "backward_steps", "r is y - y_hat"),
    Mutant("steps_factor2", _STEPS.format(r="y_hat - y", dloss_dr="r", dyhat_dw="x"),
     "backward_steps", "factor 2"),
    Mutant("steps_dyhat_dw_w", _STEPS.format(r="y_hat - y", dloss_dr="2 * r", dyhat_dw="w"),
     "backward_steps", "which is x (not w)"),
    Mutant("steps_dloss_dw_sign", """
     _orig_steps = backward_steps
     def backward_steps(x, y, w):
         d = _orig_steps(x, y, w)
         d["dloss_dw"] = -d["dloss_dw"]
         return d
     """, "backward_steps", "sign is flipped"),
    Mutant("steps_uses_autograd", """
     _orig_steps = backward_steps
     def backward_steps(x, y, w):
         d = _orig_steps(x, y, w)
         wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
         ((x * wt - y) ** 2).backward()
         d["dloss_dw"] = wt.grad.item()
         return d
     """, "backward_steps", "computes its derivative by hand"),
    Mutant("steps_tensor_values", """
     _orig_steps = backward_steps
     def backward_steps(x, y, w):
         return {k: torch.tensor(v) for k, v in _orig_steps(x, y, w).items()}
     """, "backward_steps", "use .item()"),
    Mutant("affine_bias_grad_x", affine(dyhat_db="x"), "affine_backward_steps",
           "which is 1 (not x)"),
    Mutant("affine_sign", affine(r="y - y_hat"), "affine_backward_steps", "r is y - y_hat"),
    Mutant("affine_factor2", affine(dloss_dr="r"), "affine_backward_steps", "factor 2"),
    Mutant("affine_dloss_db_sign", """
     _orig_affine = affine_backward_steps
     def affine_backward_steps(x, y, w, b):
         d = _orig_affine(x, y, w, b)
         d["dloss_db"] = -d["dloss_db"]
         return d
     """, "affine_backward_steps", "sign is flipped"),
    Mutant("affine_uses_autograd", """
     _orig_affine = affine_backward_steps
     def affine_backward_steps(x, y, w, b):
         d = _orig_affine(x, y, w, b)
         bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
         ((x * w + bt - y) ** 2).backward()
         d["dloss_db"] = bt.grad.item()
         return d
     """, "affine_backward_steps", "computes its derivative by hand"),
    Mutant("train_never_zeroed", train(update="w -= lr * w.grad"), "train_autograd",
           "never zeroed"),
    Mutant("train_uphill", train(update="w += lr * w.grad\n                w.grad.zero_()"),
     "train_autograd", "uphill"),
    Mutant("train_half_step", train(update="w -= lr / 2 * w.grad\n                w.grad.zero_()"),
     "train_autograd", "wrong value"),
    Mutant("train_loss_after_update", train(record="last = ((xi * w - yi) ** 2).item()"),
     "train_autograd", "recorded after the update"),
    Mutant("train_loss_tensors", train(record="last = loss"), "train_autograd", "loss.item()"),
    Mutant("train_w_tensor", train(result="w"), "train_autograd", "use .item()"),
    Mutant("forward_swapped", """
     def quadratic_forward(x, w1, w2, b):
         return w2 * x ** 2 + w1 * x + b
     """, "quadratic_forward", "swapped"),
    Mutant("forward_no_bias", """
     def quadratic_forward(x, w1, w2, b):
         return w1 * x ** 2 + w2 * x
     """, "quadratic_forward", "wrong value"),
    Mutant("grads_factor2", """
     def quadratic_grads(x, y, w1, w2, b):
         r = quadratic_forward(x, w1, w2, b) - y
         return r * x ** 2, r * x, r
     """, "quadratic_grads", "factor 2"),
    Mutant("grads_sign", """
     def quadratic_grads(x, y, w1, w2, b):
         r = y - quadratic_forward(x, w1, w2, b)
         return 2 * r * x ** 2, 2 * r * x, 2 * r
     """, "quadratic_grads", "sign is flipped"),
    Mutant("grads_mean", """
     _orig_grads = quadratic_grads
     def quadratic_grads(x, y, w1, w2, b):
         g = _orig_grads(x, y, w1, w2, b)
         return tuple(v.mean() if isinstance(v, torch.Tensor) else v for v in g)
     """, "quadratic_grads", "the gradients are averaged over the samples"),
    Mutant("grads_swapped", """
     def quadratic_grads(x, y, w1, w2, b):
         r = quadratic_forward(x, w1, w2, b) - y
         return 2 * r * x, 2 * r * x ** 2, 2 * r
     """, "quadratic_grads", "swapped"),
    Mutant("grads_uses_autograd", """
     def quadratic_grads(x, y, w1, w2, b):
         p = [torch.tensor(float(v), requires_grad=True) for v in (w1, w2, b)]
         ((quadratic_forward(x, *p) - y) ** 2).sum().backward()
         return tuple(v.grad.item() for v in p)
     """, "quadratic_grads", "computes its derivative by hand"),
    Mutant("quad_never_zeroed", quad(update="p -= lr * p.grad"), "train_quadratic",
           "never zeroed"),
    # issue 11: a parameter rebound by its update, under no_grad (the new tensor does not
    # require grad) and without it (the new tensor is no leaf, its .grad stays None)
    Mutant("train_rebinds", train(update="w = w - lr * w.grad"), "train_autograd",
           "rebinds the name w"),
    Mutant("quad_rebinds", """
     def train_quadratic(xs, ys, w1, w2, b, lr, epochs):
         x, y = _as_tensors(xs, ys)
         w1, w2, b = (torch.tensor(float(v), dtype=x.dtype, device=x.device, requires_grad=True)
                      for v in (w1, w2, b))
         losses = []
         for _ in range(epochs):
             last = 0.0
             for xi, yi in zip(x, y):
                 loss = (quadratic_forward(xi, w1, w2, b) - yi) ** 2
                 loss.backward()
                 w1 = w1 - lr * w1.grad
                 w2 = w2 - lr * w2.grad
                 b = b - lr * b.grad
                 last = loss.item()
             losses.append(last)
         return w1.item(), w2.item(), b.item(), losses
     """, "train_quadratic", "rebinds the name w1"),
    Mutant("steps_dr_dyhat_negative", _STEPS.format(r="y_hat - y", dloss_dr="2 * r",
                                                    dyhat_dw="x").replace(
        '"dr_dyhat": 1.0', '"dr_dyhat": -1.0').replace("dloss_dr * 1.0", "dloss_dr * -1.0"),
        "backward_steps", "dr_dyhat is +1"),
    Mutant("grads_db_times_x", """
     def quadratic_grads(x, y, w1, w2, b):
         r = quadratic_forward(x, w1, w2, b) - y
         return 2 * r * x ** 2, 2 * r * x, 2 * r * x
     """, "quadratic_grads", "the bias's gradient has no factor x"),
    Mutant("quad_uphill", quad(update="p += lr * p.grad\n                    p.grad.zero_()"),
     "train_quadratic", "uphill"),
    Mutant("quad_loss_after_update",
     quad(record="last = ((quadratic_forward(xi, *params) - yi) ** 2).item()"),
     "train_quadratic", "recorded after the update"),
    Mutant("steps_sign_flipped", """
     _ref_backward_steps = backward_steps
     def backward_steps(x, y, w):
         steps = dict(_ref_backward_steps(x, y, w))
         steps["dloss_dw"] = -steps["dloss_dw"]
         return steps
     """, "backward_steps", "sign is flipped",
           what="backward_steps flips the sign of dloss/dw"),
    Mutant("quadratic_grads_half", """
     _ref_quadratic_grads = quadratic_grads
     def quadratic_grads(x, y, w1, w2, b):
         return tuple(g / 2 for g in _ref_quadratic_grads(x, y, w1, w2, b))
     """, "quadratic_grads", "factor 2",
           what="quadratic_grads misses the factor 2"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("steps_sign_flipped", "quadratic_grads_half")
