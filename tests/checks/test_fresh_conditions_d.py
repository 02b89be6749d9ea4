"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions_c.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex05 init_params' w, b made by split() of a leaf: made by another operation (a product) of a
       tensor that requires grad, it is not named split()
  ex07 train_logistic without momentum, or with an optimizer built each epoch (the same losses
       with one step per epoch): Nesterov momentum, other losses from the second step, is not
  ex03 zero_grads_ zeroing by arithmetic (NaN where the gradient was NaN or inf): a zeroing
       that skips the non-finite entries is not named so
  ex10 cross_entropy_grad taking the number of classes from the targets (right only when one
       target is the last class): a gradient divided by C, wrong whatever the targets, is not
  ex03 intermediate_grads reduced with y.mean(), now named by visible checks on 3 and 2 entries:
       a gradient halved whatever N is not
  ex02 gradient_descent's costs kept from an earlier call (costs=[]): a w kept from an earlier
       call (a global) is not named so
  ex07 sigmoid as 0.5 * (1 + tanh(z)), sigmoid(2z): sigmoid(z / 2) is not named so
  ex01 mse_surface as the variance of the errors: the square of their mean is not named so
  ex02 gradient divided by N - 1 (N / (N - 1) on inputs of N = 3 and 4): a gradient 1.5 times
       the expected on both is not named so
  ex01 mse_for_weights averaged over the weights (shape (N,)): the squared errors of the first
       weight alone, also (N,), are not named so
  ex09 train_minibatch zeroing once per epoch: never zeroing is not named so
  ex10 cross_entropy_grad divided by C (N / C on inputs (3, 4) and (2, 3)): a gradient 0.75
       times the expected on both is not named so
  ex10 a float32 softmax under cross_entropy_grad: its precision-only difference is said as
       one (not as a wrong value), where softmax's own checks fail too; a sign flipped in
       cross_entropy_grad over that softmax is still a wrong value
  ex02 stochastic_gradient_descent with every sample's gradient taken at the epoch's starting
       w: each update with the full-batch gradient at the current w is not named so
  ex06 train_step with the target flattened to (N,) (the loss over N * N pairs): a target
       shifted by 0.1, whose first loss differs too, is not named so
  ex06 forward right for one input feature only (an error for D = 3): a forward that fails for
       one feature too is not named so
  ex09 CsvDataset losing the row dimension of a file of one row (two rows read right): one that
       skips the first row of every file is not
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex05 init_params: views made by split(), or a product of a leaf

TIMES_ONE = """
def init_params(seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(1, generator=g).to(device).requires_grad_() * 1.0
    b = torch.rand(1, generator=g).to(device).requires_grad_() * 1.0
    return w, b
"""


def test_split_named_only_where_the_node_is_a_split(grade):
    right = hints_of(grade("ex05", fresh_code("ex05", "init_params_split_of_a_leaf"),
                           targets=["init_params"]), "init_params", visible=True)
    assert any_hint(right, r"made by split\(\)"), right
    other = hints_of(grade("ex05", TIMES_ONE, targets=["init_params"]), "init_params",
                     visible=True)
    assert other and not any_hint(other, r"made by split"), other
    assert any_hint(other, r"made by a product \(\*\) from a tensor that already required"), other


# -- ex07 train_logistic: plain SGD's losses, or Nesterov's

NESTEROV = """
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, nesterov=True)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""


def test_optimizer_per_epoch_only_where_no_step_has_momentum(grade):
    right = hints_of(grade("ex07", fresh_code("ex07", "train_logistic_optimizer_per_epoch"),
                           targets=["train_logistic"]), "train_logistic", visible=True)
    assert any_hint(right, r"new optimizer is built in each epoch"), right
    other = hints_of(grade("ex07", NESTEROV, targets=["train_logistic"]), "train_logistic")
    assert not any_hint(other, r"no step uses momentum|new optimizer is built"), other


# -- ex03 zero_grads_: NaN where the gradient was not finite, or those entries left alone

SKIPS_NON_FINITE = """
def zero_grads_(params):
    for p in params:
        if p.grad is not None:
            p.grad[torch.isfinite(p.grad)] = 0
"""


def test_arithmetic_zeroing_only_where_non_finite_became_nan(grade):
    right = hints_of(grade("ex03", fresh_code("ex03", "zero_grads_times_zero"),
                           targets=["zero_grads_"]), "zero_grads_", visible=True)
    assert any_hint(right, r"zeroed by arithmetic"), right
    result = grade("ex03", SKIPS_NON_FINITE, targets=["zero_grads_"])
    assert result.score < result.max_score
    other = hints_of(result, "zero_grads_")
    assert not any_hint(other, r"zeroed by arithmetic"), other


# -- ex10 cross_entropy_grad: C from the targets, or a gradient wrong on any targets

OVER_C = """
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return (softmax(logits, dim=1) - one_hot) / c
"""


def test_classes_from_targets_only_where_the_last_class_makes_it_right(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "cross_entropy_grad_one_hot_no_classes"),
                           targets=["cross_entropy_grad"]), "cross_entropy_grad", visible=True)
    assert any_hint(right, r"number of classes is read from the targets"), right
    other = hints_of(grade("ex10", OVER_C, targets=["cross_entropy_grad"]),
                     "cross_entropy_grad")
    assert not any_hint(other, r"read from the targets"), other


# -- ex09 CsvDataset: a file of one row read as a column, or the first row of any file skipped

SKIPS_FIRST_ROW = """
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2, skiprows=1)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
"""


def test_one_row_only_where_two_rows_are_read_right(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "csv_dataset_loadtxt_without_ndmin"),
                           targets=["CsvDataset"]), "CsvDataset", visible=True)
    assert any_hint(right, r"file of one row"), right
    other = hints_of(grade("ex09", SKIPS_FIRST_ROW, targets=["CsvDataset"]), "CsvDataset")
    assert not any_hint(other, r"file of one row"), other


# -- ex03 intermediate_grads: 1/N on the visible inputs of N = 3 and 2, or halved on both

HALVED = """
def intermediate_grads(w, x):
    leaf = w.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        a = leaf + x
        a.retain_grad()
        b = leaf + 1
        y = a * b
        y.sum().backward()
    return leaf.grad / 2, a.grad / 2
"""


def test_mean_on_two_visible_inputs_only_where_each_shows_its_n(grade):
    right = hints_of(grade("ex03", fresh_code("ex03", "intermediate_grads_mean"),
                           targets=["intermediate_grads"]), "intermediate_grads", visible=True)
    assert any_hint(right, r"on two inputs of different sizes \(1/3 with N = 3"), right
    other = hints_of(grade("ex03", HALVED, targets=["intermediate_grads"]),
                     "intermediate_grads")
    assert not any_hint(other, r"y\.mean\(\)"), other


# -- ex02 gradient_descent: the costs of an earlier call kept, or its w

W_KEPT = """
_last = {}


def gradient_descent(xs, ys, w0, lr, epochs):
    w = _last.get("w", w0)
    costs = []
    for _ in range(epochs):
        costs.append(cost(xs, ys, w))
        w = w - lr * gradient(xs, ys, w)
    _last["w"] = w
    return w, costs
"""


def test_costs_kept_only_where_the_second_call_begins_with_the_first(grade):
    right = hints_of(grade("ex02", fresh_code("ex02", "gradient_descent_mutable_default"),
                           targets=["gradient_descent"]), "gradient_descent", visible=True)
    assert any_hint(right, r"outlives the call"), right
    other = hints_of(grade("ex02", W_KEPT, targets=["gradient_descent"]), "gradient_descent")
    assert not any_hint(other, r"outlives the call"), other


# -- ex07 sigmoid: sigmoid(2z) from the tanh form, or sigmoid(z / 2)

HALF_Z = """
def sigmoid(z):
    return 1 / (1 + torch.exp(-z / 2))
"""


def test_tanh_form_only_where_the_values_are_sigmoid_of_2z(grade):
    right = hints_of(grade("ex07", fresh_code("ex07", "sigmoid_tanh_without_half"),
                           targets=["sigmoid"]), "sigmoid", visible=True)
    assert any_hint(right, r"tanh\(z / 2\)"), right
    other = hints_of(grade("ex07", HALF_Z, targets=["sigmoid"]), "sigmoid")
    assert not any_hint(other, r"tanh"), other


# -- ex01 mse_surface: the variance of the errors, or the square of their mean

SQUARE_OF_MEAN = """
def mse_surface(x_data, y_data, ws, bs):
    x, y = _as_array(x_data), _as_array(y_data)
    W, B = np.meshgrid(_as_array(ws), _as_array(bs))
    pred = forward_wb(x[None, None, :], W[..., None], B[..., None])
    return ((pred - y).mean(axis=-1) ** 2).astype(np.float64)
"""


def test_variance_only_where_the_values_are_the_errors_variance(grade):
    right = hints_of(grade("ex01", fresh_code("ex01", "mse_surface_variance"),
                           targets=["mse_surface"]), "mse_surface", visible=True)
    assert any_hint(right, r"variance of the errors"), right
    other = hints_of(grade("ex01", SQUARE_OF_MEAN, targets=["mse_surface"]), "mse_surface")
    assert other and not any_hint(other, r"variance"), other


# -- ex02 gradient: N / (N - 1) on two sizes, or 1.5 times on both

TIMES_1_5 = """
def gradient(xs, ys, w):
    x, y = _as_array(xs), _as_array(ys)
    return float(1.5 * np.mean(2 * x * (x * w - y)))
"""


def test_n_minus_1_only_where_each_input_shows_its_own_n(grade):
    right = hints_of(grade("ex02", fresh_code("ex02", "gradient_over_n_minus_1"),
                           targets=["gradient"]), "gradient", visible=True)
    assert any_hint(right, r"divided by N - 1"), right
    other = hints_of(grade("ex02", TIMES_1_5, targets=["gradient"]), "gradient")
    assert not any_hint(other, r"N - 1"), other


# -- ex01 mse_for_weights: shape (N,) from the mean over the weights, or from one weight

FIRST_WEIGHT_ONLY = """
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data), _as_array(y_data)
    return loss(x, y, float(_as_array(weights)[0]))
"""


def test_mean_over_weights_only_where_the_values_are_that_mean(grade):
    right = hints_of(grade("ex01", fresh_code("ex01", "mse_for_weights_mean_over_weights"),
                           targets=["mse_for_weights"]), "mse_for_weights", visible=True)
    assert any_hint(right, r"over the weights' axis"), right
    other = hints_of(grade("ex01", FIRST_WEIGHT_ONLY, targets=["mse_for_weights"]),
                     "mse_for_weights")
    assert not any_hint(other, r"weights' axis"), other


# -- ex09 train_minibatch: zeroed once per epoch, or never

NEVER_ZEROED = """
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
"""


def test_once_per_epoch_only_where_each_epoch_starts_from_zero(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "train_minibatch_zero_once_per_epoch"),
                           targets=["train_minibatch"]), "train_minibatch", visible=True)
    assert any_hint(right, r"once per epoch"), right
    other = hints_of(grade("ex09", NEVER_ZEROED, targets=["train_minibatch"]),
                     "train_minibatch")
    assert other and not any_hint(other, r"once per epoch"), other


# -- ex10 cross_entropy_grad: N / C on two inputs, or 0.75 on both

TIMES_0_75 = """
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return 0.75 * (softmax(logits, dim=1) - one_hot) / n
"""


def test_over_classes_only_where_each_input_shows_its_n_over_c(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "cross_entropy_grad_over_classes"),
                           targets=["cross_entropy_grad"]), "cross_entropy_grad", visible=True)
    assert any_hint(right, r"divided by C"), right
    other = hints_of(grade("ex10", TIMES_0_75, targets=["cross_entropy_grad"]),
                     "cross_entropy_grad")
    assert other and not any_hint(other, r"divided by C"), other


# -- ex10 cross_entropy_grad over a softmax computed in float32: precision, or a wrong value

SOFTMAX_FLOAT32 = """
def softmax(z, dim=-1):
    z = z.float()
    e = (z - z.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)
"""
GRAD_SIGN_FLIPPED = SOFTMAX_FLOAT32 + """

def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return (one_hot - softmax(logits, dim=1)) / n
"""


def test_precision_said_as_precision_under_a_failing_callee(grade):
    result = grade("ex10", SOFTMAX_FLOAT32, targets=["softmax", "cross_entropy_grad"])
    grad = [c for c in failing(result, "cross_entropy_grad") if c.visible]
    assert grad, messages_of(result)
    firsts = [c.message.split("\n")[0] for c in grad]
    assert any("a difference of precision" in f for f in firsts), firsts
    assert not any("returned the wrong value" in f for f in firsts), firsts
    other = grade("ex10", GRAD_SIGN_FLIPPED, targets=["softmax", "cross_entropy_grad"])
    texts = messages_of(other)
    assert not any("a difference of precision" in t for t in texts), texts
    assert any("returned the wrong value" in c.message
               for c in failing(other, "cross_entropy_grad")), texts


def messages_of(result):
    return [c.message for c in failing(result)]


# -- ex02 stochastic_gradient_descent: gradients at the epoch's start, or the full batch's

FULL_BATCH_GRADIENT = """
def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    x, y = _as_array(xs), _as_array(ys)
    w = float(w0)
    losses = []
    for _ in range(epochs):
        loss = 0.0
        for xi, yi in zip(x.tolist(), y.tolist()):
            w = w - lr * gradient(xs, ys, w)
            loss = (xi * w - yi) ** 2
        losses.append(float(loss))
    return w, losses
"""


def test_stale_w_only_where_each_gradient_is_the_samples_at_the_start(grade):
    right = hints_of(grade("ex02", fresh_code("ex02", "sgd_gradients_at_epoch_start"),
                           targets=["stochastic_gradient_descent"]),
                     "stochastic_gradient_descent", visible=True)
    assert any_hint(right, r"the w the epoch started from"), right
    other = hints_of(grade("ex02", FULL_BATCH_GRADIENT, targets=["stochastic_gradient_descent"]),
                     "stochastic_gradient_descent")
    assert other and not any_hint(other, r"epoch started from"), other


# -- ex06 train_step: the target flattened, or shifted

TARGET_SHIFTED = """
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y + 0.1)
    loss.backward()
    optimizer.step()
    return loss.item()
"""


def test_flat_target_only_where_the_losses_are_the_broadcast_ones(grade):
    right = hints_of(grade("ex06", fresh_code("ex06", "train_step_target_squeezed"),
                           targets=["train_step"]), "train_step", visible=True)
    assert any_hint(right, r"broadcast to \(N, N\)"), right
    other = hints_of(grade("ex06", TARGET_SHIFTED, targets=["train_step"]), "train_step")
    assert not any_hint(other, r"target of shape \(N,\)"), other


# -- ex06 forward: one column for any D, or an error for every D

TRANSPOSED = """
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.linear(x.T)
"""


def test_one_feature_only_where_d_1_is_right(grade):
    right = hints_of(grade("ex06", fresh_code("ex06", "forward_one_column"),
                           targets=["LinearRegression"]), "LinearRegression", visible=True)
    assert any_hint(right, r"works for one input feature"), right
    other = grade("ex06", TRANSPOSED, targets=["LinearRegression"])
    assert other.score < other.max_score
    assert not any_hint(hints_of(other, "LinearRegression"), r"one input feature")
