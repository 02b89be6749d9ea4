"""The wrong programs of ex08: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"forward_cpu"}

MUTANTS = [
    Mutant("deep_is_sequential", """
     class DeepBinaryClassifier(nn.Module):
         def __init__(self, sizes=(8, 6, 4, 1)):
             super().__init__()
             parts = []
             for a, b in zip(sizes[:-1], sizes[1:]):
                 parts += [nn.Linear(a, b), nn.Sigmoid()]
             self.layers = nn.Sequential(*parts)
         def forward(self, x):
             return self.layers(x)
     """, "DeepBinaryClassifier", "load their parameters into your model by name"),
    Mutant("csv_y_flat", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1].copy())
     """, "load_csv", "Keep y two-dimensional"),
    Mutant("csv_float64", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", ndmin=2)
         return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
     """, "load_csv", "dtype float64"),
    Mutant("csv_label_in_x", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return torch.from_numpy(data.copy()), torch.from_numpy(data[:, -1:].copy())
     """, "load_csv", "every column but the last"),
    Mutant("csv_eight_columns", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return torch.from_numpy(data[:, :8].copy()), torch.from_numpy(data[:, -1:].copy())
     """, "load_csv", "shape"),
    Mutant("csv_numpy", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return data[:, :-1], data[:, -1:]
     """, "load_csv", "NumPy array"),
    Mutant("model_plain_list", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(nn.Module):
         def __init__(self, sizes=(8, 6, 4, 1)):
             super().__init__()
             self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
         def forward(self, x):
             for layer in self.layers:
                 x = torch.sigmoid(layer(x))
             return x
     """, "DeepBinaryClassifier", "nn.ModuleList"),
    Mutant("model_fixed_sizes", """
     class DeepBinaryClassifier(nn.Module):
         def __init__(self, sizes=(8, 6, 4, 1)):
             super().__init__()
             self.layers = nn.ModuleList([nn.Linear(8, 6), nn.Linear(6, 4), nn.Linear(4, 1)])
         def forward(self, x):
             for layer in self.layers:
                 x = torch.sigmoid(layer(x))
             return x
     """, "DeepBinaryClassifier", "should hold the submodules"),
    Mutant("forward_no_last_sigmoid", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(_Orig):
         def forward(self, x):
             for layer in self.layers[:-1]:
                 x = torch.sigmoid(layer(x))
             return self.layers[-1](x)
     """, "DeepBinaryClassifier", "the last layer has no sigmoid"),
    Mutant("forward_relu", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(_Orig):
         def forward(self, x):
             for layer in self.layers[:-1]:
                 x = torch.relu(layer(x))
             return torch.sigmoid(self.layers[-1](x))
     """, "DeepBinaryClassifier", "use ReLU"),
    Mutant("forward_cpu", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(_Orig):
         def forward(self, x):
             return super().forward(x).cpu()
     """, "DeepBinaryClassifier", "left on the CPU"),
    Mutant("train_sigmoid_twice", """
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn = nn.BCEWithLogitsLoss()
         optimizer, losses = torch.optim.SGD(model.parameters(), lr=lr), []
         for _ in range(epochs):
             optimizer.zero_grad()
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_full_batch", "nn.BCEWithLogitsLoss applies a second sigmoid"),
    Mutant("train_no_zero_grad", """
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn, optimizer, losses = nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr), []
         for _ in range(epochs):
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_full_batch", "never zeroed"),
    Mutant("train_zero_after_backward", """
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn, optimizer, losses = nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr), []
         for _ in range(epochs):
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.zero_grad()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_full_batch", "never move"),
    Mutant("train_sum_loss", """
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn = nn.BCELoss(reduction="sum")
         optimizer, losses = torch.optim.SGD(model.parameters(), lr=lr), []
         for _ in range(epochs):
             optimizer.zero_grad()
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_full_batch", "sum over the samples"),
    Mutant("train_loss_after_step", """
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn, optimizer, losses = nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr), []
         for _ in range(epochs):
             optimizer.zero_grad()
             loss_fn(model(x), y).backward()
             optimizer.step()
             with torch.no_grad():
                 losses.append(loss_fn(model(x), y).item())
         return losses
     """, "train_full_batch", "after each update"),
    Mutant("train_never_zeroes", """
     import torch as _torch
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn = _torch.nn.BCELoss()
         opt = _torch.optim.SGD(model.parameters(), lr=lr)
         losses = []
         for _ in range(epochs):
             loss = loss_fn(model(x), y)
             loss.backward()
             opt.step()
             losses.append(float(loss.item()))
         return losses
     """, "train_full_batch", "never zeroed",
           what="train_full_batch never zeroes the gradients"),
    Mutant("csv_flat_labels", """
     _ref_load_csv = load_csv
     def load_csv(path):
         x, y = _ref_load_csv(path)
         return x, y.reshape(-1)
     """, "load_csv", "Keep y two-dimensional",
           what="load_csv returns the labels with shape (N,), not (N, 1)"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("train_never_zeroes", "csv_flat_labels")
