"""Hold-out mistakes of ex09 (Dataset and DataLoader)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("len_columns", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        self.x = torch.from_numpy(data[:, :-1].copy())
        self.y = torch.from_numpy(data[:, -1:].copy())

    def __len__(self):
        return self.x.shape[1]

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''', "__len__ gives the number of features, not of rows"),
    Wrong("getitem_float64_numpy", "CsvDataset", '''
class CsvDataset(Dataset):
    def __init__(self, path):
        self.data = np.loadtxt(path, delimiter=",", ndmin=2)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i, :-1], self.data[i, -1:]
''', "rows handed out as float64 NumPy arrays"),
    Wrong("train_mean_over_rows", "train_minibatch", '''
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
''', "the sum of batch losses divided by the number of rows, not of batches"),
    Wrong("zero_grad_per_epoch", "train_minibatch", '''
def train_minibatch(model, loader, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        total, batches = 0.0, 0
        for x_batch, y_batch in loader:
            loss = loss_fn(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "zero_grad once per epoch, not once per batch"),
    Wrong("loader_seeds_global", "make_loader", '''
def make_loader(dataset, batch_size, shuffle, seed):
    torch.manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
''', "torch.manual_seed(seed) and no generator: the global generator's order"),
]
