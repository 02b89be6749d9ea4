"""The wrong programs of ex01: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"forward_cpu"}

MUTANTS = [
    Mutant("forward_plus", "def forward(x, w):\n    return x + w\n", "forward", "wrong value"),
    Mutant("loss_not_squared", "def loss(x, y, w):\n    return forward(x, w) - y\n", "loss",
     "not its square"),
    Mutant("mse_sum", """
     def mse_for_weights(x_data, y_data, weights):
         x, y = _as_array(x_data), _as_array(y_data)
         return np.array([np.sum(loss(x, y, float(w))) for w in _as_array(weights)])
     """, "mse_for_weights", "sum where the mean"),
    Mutant("wb_minus", "def forward_wb(x, w, b):\n    return x * w - b\n", "forward_wb",
     "subtracted instead of added"),
    Mutant("surface_transposed", """
     _orig_surface = mse_surface
     def mse_surface(x_data, y_data, ws, bs):
         return _orig_surface(x_data, y_data, ws, bs).T
     """, "mse_surface", "swapped"),
    Mutant("best_last_on_tie", """
     def best_weight(x_data, y_data, weights):
         mse = mse_for_weights(x_data, y_data, weights)
         w = _as_array(weights)
         return float(w[len(mse) - 1 - int(np.argmin(mse[::-1]))])
     """, "best_weight", "first"),
    Mutant("forward_cpu", """
     def forward(x, w):
         if isinstance(x, torch.Tensor):
             return (x * w).cpu()
         return x * w
     """, "forward", "left on the CPU"),
    Mutant("forward_adds", """
     def forward(x, w):
         return x + w
     """, "forward", "wrong value",
           what="forward adds x + w instead of multiplying"),
    Mutant("mse_sums", """
     _ref_mse_for_weights = mse_for_weights
     def mse_for_weights(x_data, y_data, weights):
         return _ref_mse_for_weights(x_data, y_data, weights) * len(x_data)
     """, "mse_for_weights", "sum where the mean",
           what="mse_for_weights sums where the mean is asked for"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("forward_adds", "mse_sums")
