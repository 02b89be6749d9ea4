"""The hints added for the fresh mistakes of tests/fresh, continued from
tests/checks/test_fresh_conditions.py (same rule: each tried against a program with the same
symptom for another reason, which must not get it):

  ex08 a file of one row that loses its row dimension: a loader that fixes the number of columns
       (it fails the file of two rows as well) is not told so
  ex10 a batch of one that loses its rows' dimension: an argmax over the whole tensor (one
       0-dim class for 20 rows too) is not told so
  ex10 the one-hot's 1 in whole columns: 1 subtracted from every entry (the whole one-hot 1) is
       not told so
  ex11 one coefficient's update of the opposite sign: d's update doubled (d alone wrong after
       one step too) is not told so
  ex11 a list of losses kept between calls: one that records one loss more (step 0's too, the
       same count on every call) is not told so
  ex11 initial values that change from call to call: an rng seeded with seed + 1 (wrong draws,
       the same on every call) is not told so
  ex12 a generator per coefficient (four equal initial values, the seed's first draw): four
       equal values that are not that draw (all zero) are not told so
  ex09 an epoch's loss the last batch's over the number of batches: the first batch's loss over
       it is not told so
  ex09 len() counting the features' numbers (N x D): a __getitem__ that reads row i + 1 (past
       the last row too, but also for a file of one feature) is not told so, nor one that
       indexes the columns (an IndexError of another dimension) that it reads past the rows
"""
from __future__ import annotations

from tests.checks.test_fresh_conditions import any_hint, fresh_code, hints_of
from tests.conftest import failing, messages


# -- ex08 load_csv: a file of one row fails; read right with one row more, or not

NINE_COLUMNS = """
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32).reshape(-1, 9)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
"""


def test_one_row_only_where_two_rows_are_read_right(grade):
    right = hints_of(grade("ex08", fresh_code("ex08", "load_csv_without_ndmin"),
                           targets=["load_csv"]), "load_csv", visible=True)
    assert any_hint(right, r"file of one row is not read"), right
    result = grade("ex08", NINE_COLUMNS, targets=["load_csv"])
    assert failing(result, "load_csv")
    other = hints_of(result, "load_csv")
    assert not any_hint(other, r"one row"), other


# -- ex10 predict_classes: a 0-dim class for a batch of one; for 20 rows as well, or not

ARGMAX_OF_ALL = """
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmax()
"""


def test_batch_of_one_only_where_20_rows_keep_theirs(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "predict_classes_squeezed"),
                           targets=["predict_classes"]), "predict_classes", visible=True)
    assert any_hint(right, r"batch of one"), right
    result = grade("ex10", ARGMAX_OF_ALL, targets=["predict_classes"])
    assert failing(result, "predict_classes")
    other = hints_of(result, "predict_classes")
    assert not any_hint(other, r"batch of one"), other


# -- ex09 CsvDataset: an IndexError while the items are read; of row N, or of a column

COLUMNS_INDEXED = """
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[:, i], self.y[:, 0]
"""

NEXT_ROW = """
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i + 1], self.y[i + 1]
"""


def test_len_counting_numbers_only_where_one_feature_is_read_right(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "dataset_len_numel"),
                           targets=["CsvDataset"]), "CsvDataset", visible=True)
    assert any_hint(right, r"counts the features' numbers"), right
    result = grade("ex09", NEXT_ROW, targets=["CsvDataset"])
    assert "reads past the last row" in messages(result, "CsvDataset")
    assert not any_hint(hints_of(result, "CsvDataset"), r"numbers|numel"), result
    result = grade("ex09", COLUMNS_INDEXED, targets=["CsvDataset"])
    assert failing(result, "CsvDataset")
    assert "past the last row" not in messages(result, "CsvDataset")


# -- ex10 cross_entropy_grad: 1 subtracted in the targets' columns, or everywhere

ONE_EVERYWHERE = """
def cross_entropy_grad(logits, targets):
    return (softmax(logits, dim=1) - 1) / logits.shape[0]
"""


def test_one_hot_columns_only_where_untargeted_columns_keep_theirs(grade):
    right = hints_of(grade("ex10", fresh_code("ex10", "cross_entropy_grad_one_hot_columns"),
                           targets=["cross_entropy_grad"]), "cross_entropy_grad", visible=True)
    assert any_hint(right, r"in each column that some row targets"), right
    result = grade("ex10", ONE_EVERYWHERE, targets=["cross_entropy_grad"])
    assert failing(result, "cross_entropy_grad")
    other = hints_of(result, "cross_entropy_grad")
    assert not any_hint(other, r"column"), other


# -- ex11 fit_numpy: d alone wrong after one step; its update of the opposite sign, or doubled

D_STEP_DOUBLED = """
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
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= 2 * lr * grad_d
    return (a, b, c, d), losses
"""


def test_update_flipped_only_where_it_is_minus_the_reference(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_d_step_sign"),
                           targets=["fit_numpy"]), "fit_numpy", visible=True)
    assert any_hint(right, r"d's update in step 1 .*opposite sign"), right
    result = grade("ex11", D_STEP_DOUBLED, targets=["fit_numpy"])
    assert failing(result, "fit_numpy")
    other = hints_of(result, "fit_numpy")
    assert not any_hint(other, r"opposite sign"), other


# -- ex11 fit_numpy: more losses than asked; kept from an earlier call, or one recorded more

ONE_LOSS_MORE = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99 or t == 0:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_losses_kept_only_where_a_second_call_has_the_first_calls(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_mutable_default_losses"),
                           targets=["fit_numpy"]), "fit_numpy", visible=True)
    assert any_hint(right, r"earlier call are still in the list"), right
    result = grade("ex11", ONE_LOSS_MORE, targets=["fit_numpy"])
    assert failing(result, "fit_numpy")
    other = hints_of(result, "fit_numpy")
    assert not any_hint(other, r"earlier call|outlives"), other


# -- ex12 fit_tensor: four equal initial values; the seed's first draw, or zeros

ALL_ZERO = """
def fit_tensor(x, y, lr=1e-6, steps=2000, seed=0):
    a, b, c, d = (torch.zeros((), device=x.device, dtype=x.dtype) for _ in range(4))
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


def test_generator_each_only_where_all_four_are_the_first_draw(grade):
    right = hints_of(grade("ex12", fresh_code("ex12", "fit_tensor_generator_per_coefficient"),
                           targets=["fit_tensor"]), "fit_tensor", visible=True)
    assert any_hint(right, r"generator of its own"), right
    result = grade("ex12", ALL_ZERO, targets=["fit_tensor"])
    assert failing(result, "fit_tensor")
    other = hints_of(result, "fit_tensor")
    assert not any_hint(other, r"generator of its own|same number"), other


# -- ex11 fit_numpy: wrong initial values; other ones on every call, or the same wrong ones

OTHER_SEED = """
def fit_numpy(x, y, lr=1e-6, steps=2000, seed=0):
    rng = np.random.default_rng(seed + 1)
    a, b, c, d = (float(rng.standard_normal()) for _ in range(4))
    losses = []
    for t in range(steps):
        y_pred = poly_forward(x, a, b, c, d)
        loss = poly_loss(y_pred, y)
        if t % 100 == 99:
            losses.append(loss)
        grad_a, grad_b, grad_c, grad_d = poly_grads(x, y, y_pred)
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return (a, b, c, d), losses
"""


def test_draws_change_only_where_a_second_call_draws_others(grade):
    right = hints_of(grade("ex11", fresh_code("ex11", "fit_numpy_rng_without_seed"),
                           targets=["fit_numpy"]), "fit_numpy", visible=True)
    assert any_hint(right, r"change from call to call"), right
    result = grade("ex11", OTHER_SEED, targets=["fit_numpy"])
    assert failing(result, "fit_numpy")
    other = hints_of(result, "fit_numpy")
    assert not any_hint(other, r"call to call|seed alone"), other


# -- ex09 train_minibatch: one batch's loss over the number of batches; the last, or the first

FIRST_OVER_BATCHES = """
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total = total if batches else loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
"""


def test_last_over_batches_only_for_the_last_batch(grade):
    right = hints_of(grade("ex09", fresh_code("ex09", "train_minibatch_total_overwritten"),
                           targets=["train_minibatch"]), "train_minibatch", visible=True)
    assert any_hint(right, r"last batch's loss divided by the number of batches"), right
    result = grade("ex09", FIRST_OVER_BATCHES, targets=["train_minibatch"])
    assert failing(result, "train_minibatch")
    other = hints_of(result, "train_minibatch")
    assert not any_hint(other, r"last batch"), other
