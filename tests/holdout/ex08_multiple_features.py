"""Hold-out mistakes of ex08 (eight features, 8 -> 6 -> 4 -> 1)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("csv_skips_first_row", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32, skiprows=1, ndmin=2)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
''', "skiprows=1 for a header the file does not have: the first row lost"),
    Wrong("csv_slice_off_by_one", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
    return torch.from_numpy(data[:, 1:].copy()), torch.from_numpy(data[:, -1:].copy())
''', "x = data[:, 1:]: the first feature dropped, the label kept as a feature"),
    Wrong("hidden_layers_linear", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = layer(x)
        return torch.sigmoid(self.layers[-1](x))
''', "no sigmoid between the hidden layers, only at the end"),
    Wrong("train_momentum", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "momentum=0.9 copied from ex07: plain SGD is asked for"),
    Wrong("train_mse", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "nn.MSELoss instead of nn.BCELoss"),
]
