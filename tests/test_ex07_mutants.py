"""Wrong variants of ex07 fail the right checks, and the messages name the mistake."""
import pytest
import torch

from tests.conftest import failing, messages

CUDA_ONLY = {"grad_count_on_cpu"}

MUTANTS = [
    # (name, code, target that must fail, words the message must contain)
    ("sigmoid_overflows", """
     def sigmoid(z):
         return torch.exp(z) / (1 + torch.exp(z))
     """, "sigmoid", "inf / inf"),
    ("sigmoid_sign", """
     def sigmoid(z):
         return 1 / (1 + torch.exp(z))
     """, "sigmoid", "sign in exp(-z)"),
    ("sigmoid_float32_always", """
     def sigmoid(z):
         return 1 / (1 + torch.exp(-z.float()))
     """, "sigmoid", "dtype"),
    ("bce_unclamped", """
     def bce_loss(p, y):
         return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
     """, "bce_loss", "Clamp each log at -100"),
    ("bce_sign", """
     def bce_loss(p, y):
         log_p = torch.clamp(torch.log(p), min=-100)
         log_q = torch.clamp(torch.log(1 - p), min=-100)
         return (y * log_p + (1 - y) * log_q).mean()
     """, "bce_loss", "sign is flipped"),
    ("bce_sum", """
     def bce_loss(p, y):
         log_p = torch.clamp(torch.log(p), min=-100)
         log_q = torch.clamp(torch.log(1 - p), min=-100)
         return -(y * log_p + (1 - y) * log_q).sum()
     """, "bce_loss", "a sum where the mean"),
    ("grad_no_mean", """
     def bce_grad_logits(z, y):
         return sigmoid(z) - y
     """, "bce_grad_logits", "a sum where a mean is wanted"),
    ("grad_sign", """
     def bce_grad_logits(z, y):
         return (y - sigmoid(z)) / z.numel()
     """, "bce_grad_logits", "sign is flipped"),
    ("grad_wrt_p", """
     def bce_grad_logits(z, y):
         p = sigmoid(z)
         return (p - y) / (p * (1 - p)) / z.numel()
     """, "bce_grad_logits", "with respect to p, not z"),
    ("grad_extra_factor", """
     def bce_grad_logits(z, y):
         p = sigmoid(z)
         return (p - y) * p * (1 - p) / z.numel()
     """, "bce_grad_logits", "counted twice"),
    ("grad_overflows", """
     def bce_grad_logits(z, y):
         return (torch.exp(z) / (1 + torch.exp(z)) - y) / z.numel()
     """, "bce_grad_logits", "inf / inf"),
    ("grad_count_on_cpu", """
     def bce_grad_logits(z, y):
         grad = torch.empty(z.shape, dtype=z.dtype)
         grad[:] = (sigmoid(z) - y) / z.numel()
         return grad
     """, "bce_grad_logits", "left on the CPU"),
    ("clusters_global_rng", """
     def make_clusters(n, seed):
         x0 = torch.normal(1.7, 1.0, (n, 2)) + 1
         x1 = torch.normal(-1.7, 1.0, (n, 2)) + 1
         return torch.cat([x0, x1]), torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
     """, "make_clusters", "global generator"),
    ("clusters_labels_swapped", """
     _orig_clusters = make_clusters
     def make_clusters(n, seed):
         x, y = _orig_clusters(n, seed)
         return x, 1 - y
     """, "make_clusters", "labels are swapped"),
    ("clusters_no_shift", """
     _orig_clusters = make_clusters
     def make_clusters(n, seed):
         x, y = _orig_clusters(n, seed)
         return x - 1, y
     """, "make_clusters", "+1 shift is missing"),
    ("module_returns_logits", """
     _Orig = LogisticRegression
     class LogisticRegression(_Orig):
         def forward(self, x):
             return self.linear(x)
     """, "LogisticRegression", "logits, not probabilities"),
    ("module_two_outputs", """
     class LogisticRegression(nn.Module):
         def __init__(self, in_features):
             super().__init__()
             self.linear = nn.Linear(in_features, 2)
         def forward(self, x):
             return torch.sigmoid(self.linear(x))[:, :1]
     """, "LogisticRegression", "should have the parameters"),
    ("train_no_zero_grad", """
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         loss_fn = nn.BCELoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
         losses = []
         for _ in range(epochs):
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_logistic", "never zeroed"),
    ("train_zero_after_backward", """
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         loss_fn = nn.BCELoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
         losses = []
         for _ in range(epochs):
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.zero_grad()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_logistic", "never move"),
    ("train_no_momentum", """
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         loss_fn = nn.BCELoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr)
         losses = []
         for _ in range(epochs):
             optimizer.zero_grad()
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_logistic", "momentum is missing"),
    ("train_momentum_ignored", """
     _orig_train = train_logistic
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         return _orig_train(model, x, y, lr, epochs)
     """, "train_logistic", "momentum given was not used"),
    ("train_loss_after_step", """
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         loss_fn = nn.BCELoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
         losses = []
         for _ in range(epochs):
             optimizer.zero_grad()
             loss_fn(model(x), y).backward()
             optimizer.step()
             losses.append(loss_fn(model(x), y).item())
         return losses
     """, "train_logistic", "after each update"),
    ("accuracy_strict", """
     def accuracy(model, x, y):
         with torch.no_grad():
             return ((model(x) > 0.5).to(y.dtype) == y).to(torch.float64).mean().item()
     """, "accuracy", "p >= 0.5"),
    ("accuracy_count", """
     def accuracy(model, x, y):
         with torch.no_grad():
             return float(((model(x) >= 0.5).to(y.dtype) == y).sum().item())
     """, "accuracy", "divide by N"),
    ("accuracy_error_rate", """
     def accuracy(model, x, y):
         with torch.no_grad():
             return ((model(x) >= 0.5).to(y.dtype) != y).to(torch.float64).mean().item()
     """, "accuracy", "error rate"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    if name in CUDA_ONLY and not torch.cuda.is_available():
        pytest.skip("a result left on the CPU can only be seen on a CUDA machine")
    keyword = {"LogisticRegression": "structure or forward"}.get(target, target)
    result = grade("ex07", code, keyword=keyword)
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_reference_passes_every_check(grade):
    result = grade("ex07")
    assert not failing(result), messages(result)
    assert result.score == result.max_score > 0
