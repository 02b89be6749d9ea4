"""Wrong variants of ex04 fail the right checks, and the messages name the mistake."""
import pytest

from tests.conftest import ROOT, failing, messages

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
    # (name, code, target that must fail, words the message must contain)
    ("steps_sign", _STEPS.format(r="y - y_hat", dloss_dr="2 * r", dyhat_dw="x"),
     "backward_steps", "r is y - y_hat"),
    ("steps_factor2", _STEPS.format(r="y_hat - y", dloss_dr="r", dyhat_dw="x"),
     "backward_steps", "factor 2"),
    ("steps_dyhat_dw_w", _STEPS.format(r="y_hat - y", dloss_dr="2 * r", dyhat_dw="w"),
     "backward_steps", "which is x (not w)"),
    ("steps_dloss_dw_sign", """
     _orig_steps = backward_steps
     def backward_steps(x, y, w):
         d = _orig_steps(x, y, w)
         d["dloss_dw"] = -d["dloss_dw"]
         return d
     """, "backward_steps", "sign is flipped"),
    ("steps_uses_autograd", """
     _orig_steps = backward_steps
     def backward_steps(x, y, w):
         d = _orig_steps(x, y, w)
         wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
         ((x * wt - y) ** 2).backward()
         d["dloss_dw"] = wt.grad.item()
         return d
     """, "backward_steps", "computes its derivative by hand"),
    ("steps_tensor_values", """
     _orig_steps = backward_steps
     def backward_steps(x, y, w):
         return {k: torch.tensor(v) for k, v in _orig_steps(x, y, w).items()}
     """, "backward_steps", "use .item()"),
    ("train_never_zeroed", train(update="w -= lr * w.grad"), "train_autograd", "never zeroed"),
    ("train_uphill", train(update="w += lr * w.grad\n                w.grad.zero_()"),
     "train_autograd", "uphill"),
    ("train_half_step", train(update="w -= lr / 2 * w.grad\n                w.grad.zero_()"),
     "train_autograd", "wrong value"),
    ("train_loss_after_update", train(record="last = ((xi * w - yi) ** 2).item()"),
     "train_autograd", "recorded after the update"),
    ("train_loss_tensors", train(record="last = loss"), "train_autograd", "loss.item()"),
    ("train_w_tensor", train(result="w"), "train_autograd", "use .item()"),
    ("forward_swapped", """
     def quadratic_forward(x, w1, w2, b):
         return w2 * x ** 2 + w1 * x + b
     """, "quadratic_forward", "swapped"),
    ("forward_no_bias", """
     def quadratic_forward(x, w1, w2, b):
         return w1 * x ** 2 + w2 * x
     """, "quadratic_forward", "wrong value"),
    ("grads_factor2", """
     def quadratic_grads(x, y, w1, w2, b):
         r = quadratic_forward(x, w1, w2, b) - y
         return r * x ** 2, r * x, r
     """, "quadratic_grads", "factor 2"),
    ("grads_sign", """
     def quadratic_grads(x, y, w1, w2, b):
         r = y - quadratic_forward(x, w1, w2, b)
         return 2 * r * x ** 2, 2 * r * x, 2 * r
     """, "quadratic_grads", "sign is flipped"),
    ("grads_mean", """
     _orig_grads = quadratic_grads
     def quadratic_grads(x, y, w1, w2, b):
         g = _orig_grads(x, y, w1, w2, b)
         return tuple(v.mean() if isinstance(v, torch.Tensor) else v for v in g)
     """, "quadratic_grads", "a sum or mean reduce"),
    ("grads_swapped", """
     def quadratic_grads(x, y, w1, w2, b):
         r = quadratic_forward(x, w1, w2, b) - y
         return 2 * r * x, 2 * r * x ** 2, 2 * r
     """, "quadratic_grads", "swapped"),
    ("grads_uses_autograd", """
     def quadratic_grads(x, y, w1, w2, b):
         p = [torch.tensor(float(v), requires_grad=True) for v in (w1, w2, b)]
         ((quadratic_forward(x, *p) - y) ** 2).sum().backward()
         return tuple(v.grad.item() for v in p)
     """, "quadratic_grads", "computes its derivative by hand"),
    ("quad_never_zeroed", quad(update="p -= lr * p.grad"), "train_quadratic", "never zeroed"),
    ("quad_uphill", quad(update="p += lr * p.grad\n                    p.grad.zero_()"),
     "train_quadratic", "uphill"),
    ("quad_loss_after_update",
     quad(record="last = ((quadratic_forward(xi, *params) - yi) ** 2).item()"),
     "train_quadratic", "recorded after the update"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    result = grade("ex04", code)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_reference_passes_and_stub_is_not_started(grade):
    """The reference gets every point; the stub gets none, every check "not started"."""
    result = grade("ex04")
    assert result.score == result.max_score > 0
    stub = (ROOT / "exercises" / "ex04_backprop.py").read_text()
    result = grade("ex04", files={"ex04_backprop.py": stub})
    assert result.score == 0
    assert {c.status for c in result.checks if c.counted} == {"not started"}
