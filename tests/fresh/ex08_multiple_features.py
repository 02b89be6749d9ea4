"""Fresh mistakes of ex08 (eight features, 8 -> 6 -> 4 -> 1 with sigmoids)."""
from tests.fresh import RECORD, SHAPE, ZERO, Fresh

FRESH = [
    Fresh("train_full_batch_mean_twice", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss = loss / len(x)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''', "the mean loss divided by N once more",
        (r"divided by N|once more|twice|1/N",)),
    Fresh("load_csv_flat_labels", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1].copy())
''', "y = data[:, -1]: the labels come back (N,) instead of (N, 1)",
        (SHAPE, r"2-?D|1-?D|-1:|keep")),
    Fresh("load_csv_float64", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
''', "np.loadtxt's default dtype: float64 tensors instead of float32",
        (r"float64", r"loadtxt", r"float32 (is|was|where) (asked|expected|wanted)")),
    Fresh("load_csv_label_in_features", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
    return torch.from_numpy(data.copy()), torch.from_numpy(data[:, -1:].copy())
''', "x keeps every column, the label's included: (N, D + 1)",
        (SHAPE, r"column|label|\blast\b|features|\b9\b")),
    Fresh("classifier_no_final_sigmoid", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.sigmoid(layer(x))
        return self.layers[-1](x)
''', "no sigmoid after the last layer: returns logits, not probabilities",
        (r"sigmoid|\blast\b|probabilit|logit|\[0, ?1\]|outside|negative|greater than 1",)),
    Fresh("classifier_relu_hidden", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return torch.sigmoid(self.layers[-1](x))
''', "ReLU after the hidden layers where a sigmoid is asked",
        (r"relu|sigmoid|activation|hidden",)),
    Fresh("classifier_plain_list", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return x
''', "a plain Python list: the layers are not registered, the model has no parameters",
        (r"modulelist|regist|parameters\(\)|no parameters|state_dict|plain list|python list"
         r"|missing key|unexpected key|layers\.0",)),
    Fresh("train_full_batch_never_zeroes", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "never calls zero_grad(): the gradients pile up over the epochs",
        (ZERO,)),
    Fresh("train_full_batch_loss_after_step", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(model(x), y).item())
    return losses
''', "records the loss recomputed after the step instead of the one before it",
        (RECORD,)),
    # a blind round's generic message: backward() twice a step
    Fresh("train_full_batch_backward_twice", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward(retain_graph=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "calls backward() twice per step: every gradient doubled",
        (r"backward\(\) (is )?called twice|gradients are doubled",)),
    # a blind round's generic message: the sigmoid before each layer
    Fresh("forward_sigmoid_before_layers", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = layer(torch.sigmoid(x))
        return torch.sigmoid(x)
''', "applies the sigmoid before each layer (x itself goes through one first)",
        (r"sigmoid applied (to x itself|to the input)",)),
    # blind round 8: the optimizer's kind or momentum
    Fresh("train_full_batch_adam", "train_full_batch", '''
def train_full_batch(model, x, y, lr, epochs):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "Adam instead of SGD",
        (r"torch\.optim\.Adam at this lr",)),
    # blind round 11 (w118): a file of one row read as a 1-D array
    Fresh("load_csv_without_ndmin", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32)
    return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
''', "np.loadtxt without ndmin=2: a file of one row gives a 1-D array",
        (r"file of one row is not read as one sample",), visible=True),
    # blind round 12 (w807): diabetes.csv's 8 features written in
    Fresh("load_csv_eight_columns", "load_csv", '''
def load_csv(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
    return torch.from_numpy(data[:, :8].copy()), torch.from_numpy(data[:, -1:].copy())
''', "x = data[:, :8]: the count of diabetes.csv's features written in, wrong for other files",
        (r"first 8 columns whatever its width",), visible=True),
    # blind round 13 (w030): the sizes argument ignored, the default sizes hard-coded
    Fresh("classifier_ignores_sizes", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        sizes = (8, 6, 4, 1)
        self.layers = nn.ModuleList(
            [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return x
''', "ignores the sizes argument (hard-codes (8, 6, 4, 1)): right only for the default sizes",
        (r"sizes argument is not used",), visible=True),
    # blind round 15 (w096): one sigmoid too many, after the loop
    Fresh("forward_extra_final_sigmoid", "DeepBinaryClassifier", '''
class DeepBinaryClassifier(nn.Module):
    def __init__(self, sizes=(8, 6, 4, 1)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return torch.sigmoid(x)
''', "applies one sigmoid too many, after the loop (the probabilities squashed again)",
        (r"sigmoid of the expected",), visible=True),
]
