"""Wrong variants of ex01 fail the right checks, and the messages name the mistake."""
import pytest
import torch

from tests.conftest import failing, messages

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("forward_plus", "def forward(x, w):\n    return x + w\n", "forward", "wrong value"),
    ("loss_not_squared", "def loss(x, y, w):\n    return forward(x, w) - y\n", "loss",
     "not its square"),
    ("mse_sum", """
     def mse_for_weights(x_data, y_data, weights):
         x, y = _as_array(x_data), _as_array(y_data)
         return np.array([np.sum(loss(x, y, float(w))) for w in _as_array(weights)])
     """, "mse_for_weights", "sum where the mean"),
    ("wb_minus", "def forward_wb(x, w, b):\n    return x * w - b\n", "forward_wb",
     "subtracted instead of added"),
    ("surface_transposed", """
     _orig_surface = mse_surface
     def mse_surface(x_data, y_data, ws, bs):
         return _orig_surface(x_data, y_data, ws, bs).T
     """, "mse_surface", "swapped"),
    ("best_last_on_tie", """
     def best_weight(x_data, y_data, weights):
         mse = mse_for_weights(x_data, y_data, weights)
         w = _as_array(weights)
         return float(w[len(mse) - 1 - int(np.argmin(mse[::-1]))])
     """, "best_weight", "first"),
    ("forward_cpu", """
     def forward(x, w):
         if isinstance(x, torch.Tensor):
             return (x * w).cpu()
         return x * w
     """, "forward", "left on the CPU"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    if name == "forward_cpu" and not torch.cuda.is_available():
        pytest.skip("a result left on the CPU can only be seen on a CUDA machine")
    result = grade("ex01", code)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target)
