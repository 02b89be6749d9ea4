"""The hints added for blind round 14's fresh mistakes in ex01, ex02, ex03, ex05, ex07, ex10,
ex11 and ex12, each tried against a program with the same symptom for another reason, which
must not get it:

  ex01 mse_for_weights cached by the weights (the second call, same weights, new data, gets
       the first call's answer): a program that uses only the first three samples is right on
       the course data and wrong on the second call too, with another answer
  ex01 forward_wb with abs(b) (x * w + 0.5 at b = -0.5, right at b = 1): x * w - b gives
       x * w + 0.5 at b = -0.5 too, and x * w - 1 at b = 1; each is told its own cause only
  ex02 cost divided by N - 1 (3/2 times the cost with N = 3, 4/3 with N = 4): 1.5 times the
       mean is 3/2 times with N = 3 too, and 3/2 with N = 4; ex01 mse_for_weights divided by
       N + 1 is named N + 1
  ex03 mean_graph with out = z.sum() / z.shape[0] (out 2 times on ones(2, 2), 3 times on x
       of shape (2, 3)): divided by x.shape[-1], out is 2 times on both
  ex10 cross_entropy with logits.squeeze() (fails at N = 1, right on the same row twice):
       targets not unsqueezed for gather fails at N = 1 and at N = 2 alike
  ex05 mse_loss with y_pred flattened (wrong on the (4, 1) column only, (N, N) broadcast):
       a mean along the last dim is wrong there only too, and is not told a broadcast
  ex10 cross_entropy with the whole tensor's maximum (-inf on rows of far apart maxima): no
       maximum at all overflows there, and is not told the whole tensor's maximum
  ex12 fit_optim with a new optimizer in every step (RMSprop's run parts after step 2): RMSprop
       kept, with alpha=0.5, parts from the run too, and is not told a new optimizer
  ex11 fit_numpy with a module-level rng (the start of steps=0 right, steps=1 wrong, steps=0
       made again another start): a's update 1.5 times too big is wrong at steps=1 too, and
       steps=0 made again gives the same start
  ex07 train_logistic with the default momentum=0.0 (plain SGD's run where the default is
       asked, the reference's with momentum=0.9 passed): the optimizer built without
       momentum=momentum gives plain SGD's run with momentum passed too, and is told that
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing


# -- ex01 mse_for_weights: an earlier call's answer, or another wrong answer

FIRST_THREE = """
def mse_for_weights(x_data, y_data, weights):
    x, y = _as_array(x_data)[:3], _as_array(y_data)[:3]
    return np.array([np.mean(loss(x, y, float(w))) for w in _as_array(weights)],
                    dtype=np.float64)
"""
EARLIER = r"answer of an earlier call"


def test_earlier_answer_named_only_where_the_answer_is_the_earlier_calls(grade):
    target = "mse_for_weights"
    right = hints_of(grade("ex01", fresh_code("ex01", "mse_for_weights_cached_by_weights"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, EARLIER), right
    result = grade("ex01", FIRST_THREE, targets=[target])
    assert failing(result, target)     # the same symptom: right on the course data only
    other = hints_of(result, target)
    assert not any_hint(other, EARLIER), other


# -- ex07 train_logistic: the default momentum 0, or no momentum at all

NO_MOMENTUM_AT_ALL = """
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""
DEFAULT = r"default for momentum differs"
PLAIN_SGD = r"no step uses momentum"


def test_default_named_only_where_momentum_passed_gives_the_reference_run(grade):
    target = "train_logistic"
    right = hints_of(grade("ex07", fresh_code("ex07", "train_logistic_default_momentum_zero"),
                           targets=[target], device="cpu"), target, visible=True)
    assert any_hint(right, DEFAULT), right
    assert not any_hint(right, PLAIN_SGD), right
    result = grade("ex07", NO_MOMENTUM_AT_ALL, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: plain SGD's run by default
    other = hints_of(result, target, visible=True)
    assert any_hint(other, PLAIN_SGD), other
    assert not any_hint(other, DEFAULT), other


# -- ex01 forward_wb: abs(b), or the bias subtracted

SUBTRACTED = """
def forward_wb(x, w, b):
    return x * w - b
"""
ABS = r"\|b\|"
MINUS = r"bias is subtracted"


def test_abs_and_subtracted_bias_told_apart_by_a_positive_bias(grade):
    target = "forward_wb"
    right = hints_of(grade("ex01", fresh_code("ex01", "forward_wb_abs_bias"), targets=[target]),
                     target, visible=True)
    assert any_hint(right, ABS) and not any_hint(right, MINUS), right
    result = grade("ex01", SUBTRACTED, targets=[target])
    assert failing(result, target)     # the same symptom: x * w + 0.5 at b = -0.5
    other = hints_of(result, target, visible=True)
    assert any_hint(other, MINUS) and not any_hint(other, ABS), other


# -- ex03 mean_graph: out divided by len(x), or by another dimension

OUT_LAST_DIM = """
def mean_graph(x):
    y = x + 2
    z = y * y * 3
    out = z.sum() / z.shape[-1]
    return y, z, out
"""
OUT_LEN = r"out divided by len\(x\)"


def test_out_len_for_numel_named_only_where_both_shapes_show_numel_over_len(grade):
    target = "mean_graph"
    right = hints_of(grade("ex03", fresh_code("ex03", "mean_graph_len_for_numel"),
                           targets=[target], device="cpu"), target, visible=True)
    assert any_hint(right, OUT_LEN), right
    result = grade("ex03", OUT_LAST_DIM, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: out 2 times on ones(2, 2)
    other = hints_of(result, target)
    assert not any_hint(other, OUT_LEN), other


# -- ex02 cost: a mean over N - 1, or a constant factor

ONE_AND_A_HALF = """
def cost(xs, ys, w):
    x = np.asarray(xs.detach().cpu() if isinstance(xs, torch.Tensor) else xs, dtype=np.float64)
    y = np.asarray(ys.detach().cpu() if isinstance(ys, torch.Tensor) else ys, dtype=np.float64)
    return float(1.5 * np.mean((x * w - y) ** 2))
"""
OVER_COUNT = r"divided by N [-+] 1"


def test_other_count_named_only_where_each_n_shows_its_own_factor(grade):
    target = "cost"
    right = hints_of(grade("ex02", fresh_code("ex02", "cost_over_n_minus_1"), targets=[target],
                           device="cpu"), target, visible=True)
    assert any_hint(right, OVER_COUNT), right
    result = grade("ex02", ONE_AND_A_HALF, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: 3/2 times the cost with N = 3
    other = hints_of(result, target)
    assert not any_hint(other, OVER_COUNT), other


def test_other_count_named_for_the_mse_of_each_weight(grade):
    target = "mse_for_weights"
    right = hints_of(grade("ex01", fresh_code("ex01", "mse_for_weights_over_n_plus_1"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, r"divided by N \+ 1"), right


# -- ex10 cross_entropy: fails at N = 1 only, or fails whatever N

GATHER_1D = """
def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    return (lse - logits.gather(1, targets)).mean()
"""
ONE_ROW = r"batch of one"


def test_batch_of_one_named_only_where_two_rows_come_out_right(grade):
    target = "cross_entropy"
    right = hints_of(grade("ex10", fresh_code("ex10", "cross_entropy_squeezed_logits"),
                           targets=[target], device="cpu"), target, visible=True)
    assert any_hint(right, ONE_ROW), right
    result = grade("ex10", GATHER_1D, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: an error on a batch of one
    other = hints_of(result, target)
    assert not any_hint(other, ONE_ROW), other


# -- ex05 mse_loss: (N,) against (N, 1), or a mean along the last dim

MEAN_LAST_DIM = """
def mse_loss(y, y_pred):
    return ((y_pred - y) ** 2).mean(dim=-1)
"""
BROADCAST = r"broadcast into \(N, N\)"


def test_column_broadcast_named_only_where_the_values_are_the_n_by_n_mean(grade):
    target = "mse_loss"
    right = hints_of(grade("ex05", fresh_code("ex05", "mse_loss_flatten_pred_only"),
                           targets=[target], device="cpu"), target, visible=True)
    assert any_hint(right, BROADCAST), right
    result = grade("ex05", MEAN_LAST_DIM, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: wrong on the (4, 1) column only
    other = hints_of(result, target, visible=True)
    assert not any_hint(other, BROADCAST), other


# -- ex10 cross_entropy: the whole tensor's maximum, or none

NO_SHIFT = """
def cross_entropy(logits, targets):
    lse = logits.exp().sum(dim=1).log()
    return (lse - logits.gather(1, targets.unsqueeze(1)).squeeze(1)).mean()
"""
WHOLE_MAX = r"maximum of the whole tensor"


def test_whole_tensor_max_named_only_where_a_row_underflows(grade):
    target = "cross_entropy"
    right = hints_of(grade("ex10", fresh_code("ex10", "cross_entropy_global_max"),
                           targets=[target], device="cpu"), target, visible=True)
    assert any_hint(right, WHOLE_MAX), right
    result = grade("ex10", NO_SHIFT, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: not finite at logits of size 1000
    other = hints_of(result, target)
    assert not any_hint(other, WHOLE_MAX), other


# -- ex12 fit_optim: a new optimizer in every step, or another RMSprop kept

ALPHA_HALF = """
def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    loss_fn = nn.MSELoss(reduction="sum")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=0.5)
    else:
        raise ValueError(optimizer)
    losses = []
    for t in range(steps):
        loss = loss_fn(model(x), y)
        if t % 100 == 99:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses
"""
NEW_EACH_STEP = r"new optimizer is built in every step"


def test_new_optimizer_named_only_where_the_run_is_a_fresh_optimizers(grade):
    target = "fit_optim"
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_optim_new_optimizer_each_step"),
                           targets=[target], device="cpu"), target, visible=True)
    assert any_hint(right, NEW_EACH_STEP), right
    result = grade("ex12", ALPHA_HALF, targets=[target], device="cpu")
    assert failing(result, target)     # the same symptom: RMSprop's run parts early
    other = hints_of(result, target)
    assert not any_hint(other, NEW_EACH_STEP), other


# -- ex11 fit_numpy: the draws carried over between calls, or a wrong update

A_STEP_TOO_BIG = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= 1.5 * lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""
DRAWS_CHANGE = r"initial values change from call to call"


def test_draws_change_named_only_where_steps_0_made_again_differs(grade):
    target = "fit_numpy"
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_module_level_rng"),
                           targets=[target]), target, visible=True)
    assert any_hint(right, DRAWS_CHANGE), right
    result = grade("ex11", A_STEP_TOO_BIG, targets=[target])
    assert failing(result, target)     # the same symptom: right at steps=0, wrong at steps=1
    other = hints_of(result, target)
    assert not any_hint(other, DRAWS_CHANGE), other
