"""Wrong variants of ex08 fail the right checks, and the messages name the mistake."""
import pytest
import torch

from tests.conftest import failing, messages

CUDA_ONLY = {"forward_cpu"}

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("csv_y_flat", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1].copy())
     """, "load_csv", "Keep y two-dimensional"),
    ("csv_float64", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", ndmin=2)
         return torch.from_numpy(data[:, :-1].copy()), torch.from_numpy(data[:, -1:].copy())
     """, "load_csv", "dtype float64"),
    ("csv_label_in_x", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return torch.from_numpy(data.copy()), torch.from_numpy(data[:, -1:].copy())
     """, "load_csv", "every column but the last"),
    ("csv_eight_columns", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return torch.from_numpy(data[:, :8].copy()), torch.from_numpy(data[:, -1:].copy())
     """, "load_csv", "shape"),
    ("csv_numpy", """
     def load_csv(path):
         data = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
         return data[:, :-1], data[:, -1:]
     """, "load_csv", "NumPy array"),
    ("model_plain_list", """
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
    ("model_fixed_sizes", """
     class DeepBinaryClassifier(nn.Module):
         def __init__(self, sizes=(8, 6, 4, 1)):
             super().__init__()
             self.layers = nn.ModuleList([nn.Linear(8, 6), nn.Linear(6, 4), nn.Linear(4, 1)])
         def forward(self, x):
             for layer in self.layers:
                 x = torch.sigmoid(layer(x))
             return x
     """, "DeepBinaryClassifier", "should hold the submodules"),
    ("forward_no_last_sigmoid", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(_Orig):
         def forward(self, x):
             for layer in self.layers[:-1]:
                 x = torch.sigmoid(layer(x))
             return self.layers[-1](x)
     """, "DeepBinaryClassifier", "the last layer has no sigmoid"),
    ("forward_relu", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(_Orig):
         def forward(self, x):
             for layer in self.layers[:-1]:
                 x = torch.relu(layer(x))
             return torch.sigmoid(self.layers[-1](x))
     """, "DeepBinaryClassifier", "use ReLU"),
    ("forward_cpu", """
     _Orig = DeepBinaryClassifier
     class DeepBinaryClassifier(_Orig):
         def forward(self, x):
             return super().forward(x).cpu()
     """, "DeepBinaryClassifier", "left on the CPU"),
    ("train_no_zero_grad", """
     def train_full_batch(model, x, y, lr, epochs):
         loss_fn, optimizer, losses = nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr), []
         for _ in range(epochs):
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_full_batch", "never zeroed"),
    ("train_zero_after_backward", """
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
    ("train_sum_loss", """
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
    ("train_loss_after_step", """
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
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    if name in CUDA_ONLY and not torch.cuda.is_available():
        pytest.skip("a result left on the CPU can only be seen on a CUDA machine")
    keyword = {"DeepBinaryClassifier": "structure or forward", "load_csv": "load",
               "train_full_batch": "train"}[target]
    result = grade("ex08", code, keyword=keyword)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_reference_passes_every_check(grade):
    result = grade("ex08")
    assert not failing(result), messages(result)
    assert result.score == result.max_score > 0
