"""Fresh mistakes of ex09 (Dataset and DataLoader, mini-batches)."""
from tests.fresh import SCALE, SEED, SHAPE, SUM, ZERO, Fresh

FRESH = [
    Fresh("dataset_scalar_label", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''', "keeps the labels as (N,): each label is a 0-dim tensor instead of shape (1,)",
        (SHAPE, r"0-dim|\(1,\)|\(\)|scalar|-1:")),
    Fresh("dataset_skips_first_row", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2, skiprows=1)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''', "skiprows=1 as if there were a header: the first row is lost",
        (r"header|skip|first row|one (fewer|less|missing) row|one row (short|missing|fewer)"
         r"|off by one|shifted|\b758\b",)),
    Fresh("dataset_len_is_columns", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[1]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''', "__len__ returns the number of features (columns) instead of rows",
        (r"__len__|len\(|length|\brows|column|shape\[1\]|features|number of samples",)),
    Fresh("make_loader_always_shuffles", "make_loader", '''
def make_loader(dataset, batch_size, shuffle, seed):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))
''', "shuffle=True whatever the shuffle argument says",
        (r"shuffl|\border|sequential|in order",)),
    Fresh("make_loader_shared_generator", "make_loader", '''
_SHARED = torch.Generator()


def make_loader(dataset, batch_size, shuffle, seed):
    _SHARED.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=_SHARED)
''', "one module-level generator, reseeded by every make_loader, shared by all loaders",
        (r"share|one random stream|generator of its own|draws where the first left off",)),
    Fresh("make_loader_drop_last", "make_loader", '''
def make_loader(dataset, batch_size, shuffle, seed):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=True,
                      generator=torch.Generator().manual_seed(seed))
''', "drop_last=True: the last, smaller batch is dropped",
        (r"drop|last batch|smaller|incomplete|missing|every (row|sample)|once"
         r"|number of batches|len\(",)),
    Fresh("make_loader_unseeded", "make_loader", '''
def make_loader(dataset, batch_size, shuffle, seed):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
''', "no generator: shuffling uses the global random state and ignores the seed",
        (SEED,)),
    Fresh("train_minibatch_sum_of_batches", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total)
    return losses
''', "records the sum of the batch losses, never divided by the number of batches",
        (SUM, SCALE, r"number of batches|\bmean\b|average|divide")),
    Fresh("train_minibatch_sample_weighted", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x_batch)
            count += len(x_batch)
        losses.append(total / count)
    return losses
''', "weights each batch by its size (a per-sample mean) where the plain mean of batches is asked",
        (r"weight|batch size|size of|per.sample|plain mean|counted once|last batch|smaller",)),
    Fresh("train_minibatch_last_batch_loss", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
    return losses
''', "records the last batch's loss instead of the mean over the epoch's batches",
        (r"last batch|final batch|only one batch|\bmean\b|average|every batch|all (the )?batches",)),
    Fresh("train_minibatch_never_zeroes", "train_minibatch", '''
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
''', "never calls zero_grad(): gradients pile up over the batches",
        (ZERO,)),
    # from a blind round of student programs (issue 20)
    Fresh("train_minibatch_zero_grad_before_step", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "calls zero_grad() between backward() and step(): every step finds no gradient",
        (r"found no gradients when it ran",)),
    Fresh("train_minibatch_divided_by_rows", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(loader.dataset))
    return losses
''', "divides the sum of the batch losses by the number of rows, not of batches",
        (r"divided by the number of rows",)),
    # fresh round 4 (issue 20): rows counted from 1
    Fresh("dataset_one_based_index", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i - 1], self.y[i - 1]
''', "indexes rows from 1: dataset[i] returns row i - 1",
        (r"shifted|row i - 1",)),
    # issue 20, a generic message once: `//` in a count
    Fresh("train_minibatch_floor_batches", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / (len(loader.dataset) // loader.batch_size))
    return losses
''', "divides each epoch's summed batch losses by N // B, which leaves out the last batch",
        (r"N // B|rounds down|one fewer",)),
    Fresh("train_minibatch_step_before_backward", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            optimizer.step()
            loss.backward()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "optimizer.step() before loss.backward(): each step finds the gradients just zeroed",
        (r"found no gradients when it ran",)),
    # blind round 8 (w155): the pair in the other order
    Fresh("dataset_label_first", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.y[i], self.x[i]
''', "__getitem__ returns (label, features)",
        (r"the pair is \(label, features\)",)),
    # blind round 9 (w201): named by a visible check, not only by the hidden one
    Fresh("loader_shared_generator", "make_loader", '''
_SHARED_GEN = torch.Generator()


def make_loader(dataset, batch_size, shuffle, seed):
    _SHARED_GEN.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=_SHARED_GEN)
''', "one module-level generator reseeded by every call: two loaders share one stream",
        (r"share one random stream",), visible=True),
    Fresh("csv_dataset_loadtxt_without_ndmin", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32)
        if data.ndim == 1:
            data = data[:, None]
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''', "np.loadtxt without ndmin=2: a file of one row gives a 1-D array, read as a column",
        (r"file of one row",), visible=True),
    Fresh("train_minibatch_zero_once_per_epoch", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        optimizer.zero_grad()
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "zero_grad once per epoch, not per batch: the gradients accumulate over an epoch's batches",
        (r"once per epoch",), visible=True),
    # blind round 11 (w057): len() counts the numbers, not the rows
    Fresh("dataset_len_numel", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.numel()

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''', "__len__ returns self.x.numel() (N * D) instead of the number of rows",
        (r"len\(dataset\) counts the features' numbers",), visible=True),
    # blind round 11 (w098): the running total overwritten
    Fresh("train_minibatch_total_overwritten", "train_minibatch", '''
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
            total = loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "total = loss.item() overwrites instead of adding: the last batch's loss / batches",
        (r"last batch's loss divided by the number of batches",), visible=True),
    # blind round 12 (w906): the totals set to 0 once, before the epochs
    Fresh("train_minibatch_totals_never_reset", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    total, batches = 0.0, 0
    for _ in range(epochs):
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "total and batches set to 0 once, before the epochs: a running mean over every epoch",
        (r"mean over every batch since the first epoch",), visible=True),
]
