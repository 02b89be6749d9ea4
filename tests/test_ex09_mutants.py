"""Wrong variants of ex09 fail the right checks, and the messages name the mistake."""
import pytest

from tests.conftest import failing, messages

_TRAIN = """
def train_minibatch(model, loader, lr, epochs):
    loss_fn = LOSS_FN
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        values, sizes = [], []
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            ZERO
            loss.backward()
            optimizer.step()
            values.append(loss.item())
            sizes.append(len(x_batch))
        losses.append(EPOCH_LOSS)
    return losses
"""


def train(loss="nn.BCELoss()", zero="optimizer.zero_grad()",
          epoch_loss="sum(values) / len(values)"):
    return _TRAIN.replace("LOSS_FN", loss).replace("ZERO", zero).replace("EPOCH_LOSS", epoch_loss)


def dataset(init):
    return f"""
class CsvDataset(Dataset):
    def __init__(self, path):
{init}
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return self.x[i], self.y[i]
"""


MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("dataset_skips_header", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, skiprows=1)
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1:])
     """), "CsvDataset", "no header"),
    ("dataset_flat_label", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1])
     """), "CsvDataset", "shape (1,)"),
    ("dataset_label_in_features", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x = torch.from_numpy(data)
        self.y = torch.from_numpy(data[:, -1:])
     """), "CsvDataset", "label column is among them"),
    ("dataset_float64", dataset("""
        data = np.loadtxt(path, delimiter=",")
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1:])
     """), "CsvDataset", "float32"),
    ("dataset_not_a_dataset", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1:])
     """).replace("class CsvDataset(Dataset):", "class CsvDataset:"), "CsvDataset",
     "not a torch.utils.data.Dataset"),
    ("loader_drop_last", """
     def make_loader(dataset, batch_size, shuffle, seed):
         return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=True,
                           generator=torch.Generator().manual_seed(seed))
     """, "make_loader", "drop_last"),
    ("loader_global_rng", """
     def make_loader(dataset, batch_size, shuffle, seed):
         torch.manual_seed(seed)
         return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
     """, "make_loader", "global random state"),
    ("loader_ignores_shuffle", """
     def make_loader(dataset, batch_size, shuffle, seed):
         return DataLoader(dataset, batch_size=batch_size, shuffle=True,
                           generator=torch.Generator().manual_seed(seed))
     """, "make_loader", "shuffle=False"),
    ("loader_ignores_seed", """
     def make_loader(dataset, batch_size, shuffle, seed):
         return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                           generator=torch.Generator().manual_seed(0))
     """, "make_loader", "seed"),
    ("loader_with_replacement", """
     def make_loader(dataset, batch_size, shuffle, seed):
         g = torch.Generator().manual_seed(seed)
         sampler = torch.utils.data.RandomSampler(dataset, replacement=True, generator=g)
         return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
     """, "make_loader", "exactly once"),
    ("train_no_zero_grad", train(zero="pass"), "train_minibatch", "not zeroed"),
    ("train_weighted_mean", train(epoch_loss="sum(v * s for v, s in zip(values, sizes)) / "
                                             "sum(sizes)"), "train_minibatch",
     "weighted by the batch sizes"),
    ("train_sum_of_losses", train(epoch_loss="sum(values)"), "train_minibatch",
     "sum of its batch losses"),
    ("train_last_batch", train(epoch_loss="values[-1]"), "train_minibatch", "last batch's loss"),
    ("train_bce_with_logits", train(loss="nn.BCEWithLogitsLoss()"), "train_minibatch",
     "BCEWithLogitsLoss"),
    ("train_step_per_epoch", """
     def train_minibatch(model, loader, lr, epochs):
         loss_fn = nn.BCELoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr)
         losses = []
         for _ in range(epochs):
             optimizer.zero_grad()
             values = []
             for x_batch, y_batch in loader:
                 loss = loss_fn(model(x_batch), y_batch)
                 loss.backward()
                 values.append(loss.item())
             optimizer.step()
             losses.append(sum(values) / len(values))
         return losses
     """, "train_minibatch", "one optimizer step per epoch"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    result = grade("ex09", code, targets=[target])
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_alternative_implementations_pass(grade):
    """Other correct ways: the csv module, tensors built row by row, a loader made with an explicit
    RandomSampler, a running mean of the batch losses."""
    code = """
    import csv

    class CsvDataset(Dataset):
        def __init__(self, path):
            with open(path) as f:
                rows = [[float(v) for v in row] for row in csv.reader(f) if row]
            self.rows = torch.tensor(rows, dtype=torch.float32)

        def __len__(self):
            return self.rows.shape[0]

        def __getitem__(self, i):
            row = self.rows[i]
            return row[:-1], row[-1:]

    def make_loader(dataset, batch_size, shuffle, seed):
        g = torch.Generator()
        g.manual_seed(seed)
        return DataLoader(dataset, batch_size, shuffle=shuffle, generator=g, drop_last=False)

    def train_minibatch(model, loader, lr, epochs):
        opt = torch.optim.SGD(model.parameters(), lr)
        out = []
        for _ in range(epochs):
            mean = 0.0
            for k, (xb, yb) in enumerate(loader, start=1):
                opt.zero_grad()
                loss = nn.functional.binary_cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                mean += (loss.item() - mean) / k
            out.append(mean)
        return out
    """
    result = grade("ex09", code)
    assert result.score == result.max_score, messages(result)
