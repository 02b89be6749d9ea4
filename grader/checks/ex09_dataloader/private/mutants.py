"""The wrong programs of ex09: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

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
    Mutant("dataset_skips_header", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, skiprows=1)
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1:])
     """), "CsvDataset", "no header"),
    Mutant("dataset_flat_label", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1])
     """), "CsvDataset", "shape (1,)"),
    Mutant("dataset_label_in_features", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x = torch.from_numpy(data)
        self.y = torch.from_numpy(data[:, -1:])
     """), "CsvDataset", "label column is among them"),
    Mutant("dataset_float64", dataset("""
        data = np.loadtxt(path, delimiter=",")
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1:])
     """), "CsvDataset", "float32"),
    Mutant("dataset_not_a_dataset", dataset("""
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        self.x = torch.from_numpy(data[:, :-1])
        self.y = torch.from_numpy(data[:, -1:])
     """).replace("class CsvDataset(Dataset):", "class CsvDataset:"), "CsvDataset",
     "not a torch.utils.data.Dataset"),
    Mutant("loader_drop_last", """
     def make_loader(dataset, batch_size, shuffle, seed):
         return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=True,
                           generator=torch.Generator().manual_seed(seed))
     """, "make_loader", "drop_last"),
    Mutant("loader_global_rng", """
     def make_loader(dataset, batch_size, shuffle, seed):
         torch.manual_seed(seed)
         return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
     """, "make_loader", "global random state"),
    Mutant("loader_ignores_shuffle", """
     def make_loader(dataset, batch_size, shuffle, seed):
         return DataLoader(dataset, batch_size=batch_size, shuffle=True,
                           generator=torch.Generator().manual_seed(seed))
     """, "make_loader", "shuffle=False"),
    Mutant("loader_ignores_seed", """
     def make_loader(dataset, batch_size, shuffle, seed):
         return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                           generator=torch.Generator().manual_seed(0))
     """, "make_loader", "seed"),
    Mutant("loader_with_replacement", """
     def make_loader(dataset, batch_size, shuffle, seed):
         g = torch.Generator().manual_seed(seed)
         sampler = torch.utils.data.RandomSampler(dataset, replacement=True, generator=g)
         return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
     """, "make_loader", "exactly once"),
    Mutant("train_no_zero_grad", train(zero="pass"), "train_minibatch", "not zeroed"),
    Mutant("train_weighted_mean", train(epoch_loss="sum(v * s for v, s in zip(values, sizes)) / "
                                             "sum(sizes)"), "train_minibatch",
     "weighted by the batch sizes"),
    Mutant("train_sum_of_losses", train(epoch_loss="sum(values)"), "train_minibatch",
     "sum of its batch losses"),
    Mutant("train_last_batch", train(epoch_loss="values[-1]"), "train_minibatch",
           "last batch's loss"),
    Mutant("train_bce_with_logits", train(loss="nn.BCEWithLogitsLoss()"), "train_minibatch",
     "BCEWithLogitsLoss"),
    Mutant("train_step_per_epoch", """
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
    Mutant("loader_drops_last", """
     import torch as _torch
     def make_loader(dataset, batch_size, shuffle, seed):
         return _torch.utils.data.DataLoader(
             dataset, batch_size=batch_size, shuffle=shuffle, drop_last=True,
             generator=_torch.Generator().manual_seed(seed))
     """, "make_loader", "drop_last=True",
           what="make_loader drops the last, incomplete batch"),
    Mutant("loader_unseeded", """
     import torch as _torch
     def make_loader(dataset, batch_size, shuffle, seed):
         return _torch.utils.data.DataLoader(dataset, batch_size=batch_size,
                                             shuffle=shuffle)
     """, "make_loader", "the order must come from DataLoader",
           what="make_loader ignores the seed: the order cannot be repeated"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("loader_drops_last", "loader_unseeded")

# Other correct ways: the csv module, tensors built row by row, a loader made with an explicit
# RandomSampler, a running mean of the batch losses.
ALTERNATIVES = {"other_ways": """import csv

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
"""}
