"""The hints of blind round 12's programs (ex08-ex12), each tried against a program with the
same symptom for another reason, which must not get it (the rule of
tests/checks/test_fresh_conditions.py):

  ex12 fit_tensor one step on float64 x at float64's resolution: the initial values drawn in
       float64 are named so; a forward pass in float32 (the draws right) is told its precision,
       not its draws
  ex08 load_csv's x as a file's first 8 columns: a 1-D row made (1, D + 1) whole (x (1, 4) on
       the file of one row too) is told that the one row is not read as one sample
  ex09 train_minibatch's totals not reset each epoch: a last epoch that differs for another
       reason (the learning rate halved after the first epoch) is not told so
  ex10 cross_entropy inf at logits of +-1000, where an overflow of exp and log(softmax)'s
       underflow give the same value: each named only where the loss at [[800, 750]] shows it
       (not finite: the overflow; right: log(softmax)), never both
  ex11 poly_grads with one gradient alone 1/N of the right one: grad_a alone halved (one
       value wrong too) is not told its factor as 1/N
  ex12 fit_optim's update with the previous step's gradient (step() before backward()): a
       step() that finds the gradients just zeroed (the first step does not move either) is not
       told so
  ex10 train_classifier's loss of softmax(logits): a loss of sigmoid(logits) (the first step
       differs too) is not named so
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of


# -- ex12 fit_tensor on float64 x: float32 arithmetic, or float64 draws (both float32's rounding)

DRAWN_IN_FLOAT64 = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b, c, d = (torch.randn((), generator=g, dtype=x.dtype).to(x.device) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        grad_a, grad_b, grad_c, grad_d = poly_grads_tensor(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_float32_arithmetic_is_not_named_as_float64_draws(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_forward_in_float32"),
                           targets=["fit_tensor"]), "fit_tensor", visible=True)
    assert any_hint(right, r"float32 precision"), right
    assert not any_hint(right, r"drawn in float64"), right
    other = hints_of(grade("ex12", DRAWN_IN_FLOAT64, targets=["fit_tensor"]), "fit_tensor",
                     visible=True)
    assert any_hint(other, r"drawn in float64"), other
    assert not any_hint(other, r"float32 precision"), other


# -- ex10 cross_entropy: inf at +-1000 from log(0) of a stable softmax, or from exp overflowing

CE_UNSHIFTED = """
def cross_entropy(logits, targets):
    e = torch.exp(logits)
    p = e / e.sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(targets)), targets]).mean()
"""


def test_an_overflow_and_log_softmax_told_apart(grade):
    under = hints_of(grade("ex10", fresh_code("ex10", "cross_entropy_log_of_softmax"),
                           targets=["cross_entropy"]), "cross_entropy")
    assert any_hint(under, r"^log\(softmax\) underflows"), under
    assert not any_hint(under, r"overflow"), under
    over = hints_of(grade("ex10", CE_UNSHIFTED, targets=["cross_entropy"]), "cross_entropy")
    assert any_hint(over, r"^softmax overflow"), over
    assert not any_hint(over, r"log\(softmax\) underflows"), over


# -- ex10 train_classifier: CrossEntropyLoss of softmax(logits), or of sigmoid(logits)

SIGMOID_BEFORE_LOSS = """
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(torch.sigmoid(model(xb)), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
"""


def test_softmax_before_the_loss_only_where_the_run_is_that(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "train_classifier_softmax_before_loss"),
                           targets=["train_classifier"]), "train_classifier", visible=True)
    assert any_hint(right, r"CrossEntropyLoss of softmax"), right
    other = hints_of(grade("ex10", SIGMOID_BEFORE_LOSS, targets=["train_classifier"]),
                     "train_classifier")
    assert not any_hint(other, r"softmax"), other


# -- ex12 fit_optim: the first step does not move, from a lagged gradient or from none at all

def test_previous_gradient_only_where_every_update_lags_one_step(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_optim_step_then_backward"),
                           targets=["fit_optim"]), "fit_optim", visible=True)
    assert any_hint(right, r"previous step's gradient"), right
    other = hints_of(grade("ex12", fresh_code("ex12", "fit_optim_step_before_backward"),
                           targets=["fit_optim"]), "fit_optim")
    assert not any_hint(other, r"previous step's gradient"), other


# -- ex08 load_csv: x (1, 4) on a file of one row, from 8 columns written in or a 1-D row kept

ROW_KEPT_WHOLE = """
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32)
    if data.ndim == 1:
        return torch.from_numpy(data.copy()).unsqueeze(0), torch.from_numpy(data[-1:].copy())[None]
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
"""


def test_eight_columns_only_where_every_file_gives_its_first_eight(grade):
    right = hints_of(grade("ex08", fresh_code("ex08", "load_csv_eight_columns"),
                           targets=["load_csv"]), "load_csv", visible=True)
    assert any_hint(right, r"first 8 columns whatever its width"), right
    other = hints_of(grade("ex08", ROW_KEPT_WHOLE, targets=["load_csv"]), "load_csv",
                     visible=True)
    assert not any_hint(other, r"first 8 columns"), other
    assert any_hint(other, r"file of one row is not read as one sample"), other


# -- ex09 train_minibatch: the second epoch's value wrong, from totals kept or a halved lr

LR_HALVED = """
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
        for group in optimizer.param_groups:
            group["lr"] = lr / 2
    return losses
"""


def test_totals_kept_only_where_each_epoch_is_their_running_value(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "train_minibatch_totals_never_reset"),
                           targets=["train_minibatch"]), "train_minibatch", visible=True)
    assert any_hint(right, r"mean over every batch since the first epoch"), right
    other = hints_of(grade("ex09", LR_HALVED, targets=["train_minibatch"]), "train_minibatch")
    assert not any_hint(other, r"set to 0 once"), other


# -- ex11 poly_grads: grad_a alone wrong, 1/N of the right one or half of it

GRAD_A_HALVED = """
def poly_grads(x, y, y_pred):
    r = 2.0 * (y_pred - y)
    return (float(r.sum() / 2), float((r * x).sum()), float((r * x ** 2).sum()),
            float((r * x ** 3).sum()))
"""


def test_one_gradient_over_n_only_where_its_factor_is_n(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "poly_grads_a_mean"),
                           targets=["poly_grads"]), "poly_grads", visible=True)
    assert any_hint(right, r"grad_a, is wrong: it is 1/7 of the expected one"), right
    other = hints_of(grade("ex11", GRAD_A_HALVED, targets=["poly_grads"]), "poly_grads")
    assert any_hint(other, r"index 0") and not any_hint(other, r"N = \d+ points"), other
