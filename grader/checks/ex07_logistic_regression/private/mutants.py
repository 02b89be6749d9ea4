"""The wrong programs of ex07: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"grad_count_on_cpu"}

MUTANTS = [
    Mutant("module_is_sequential", """
     class LogisticRegression(nn.Module):
         def __init__(self, in_features):
             super().__init__()
             self.net = nn.Sequential(nn.Linear(in_features, 1), nn.Sigmoid())
         def forward(self, x):
             return self.net(x)
     """, "LogisticRegression", "load their parameters into your model by name"),
    Mutant("sigmoid_overflows", """
     def sigmoid(z):
         return torch.exp(z) / (1 + torch.exp(z))
     """, "sigmoid", "inf / inf"),
    Mutant("sigmoid_sign", """
     def sigmoid(z):
         return 1 / (1 + torch.exp(z))
     """, "sigmoid", "sign in exp(-z)"),
    Mutant("sigmoid_float32_always", """
     def sigmoid(z):
         return 1 / (1 + torch.exp(-z.float()))
     """, "sigmoid", "dtype"),
    Mutant("bce_unclamped", """
     def bce_loss(p, y):
         return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
     """, "bce_loss", "Clamp each log at -100"),
    Mutant("bce_sign", """
     def bce_loss(p, y):
         log_p = torch.clamp(torch.log(p), min=-100)
         log_q = torch.clamp(torch.log(1 - p), min=-100)
         return (y * log_p + (1 - y) * log_q).mean()
     """, "bce_loss", "sign is flipped"),
    Mutant("bce_sum", """
     def bce_loss(p, y):
         log_p = torch.clamp(torch.log(p), min=-100)
         log_q = torch.clamp(torch.log(1 - p), min=-100)
         return -(y * log_p + (1 - y) * log_q).sum()
     """, "bce_loss", "a sum where the mean"),
    Mutant("grad_no_mean", """
     def bce_grad_logits(z, y):
         return sigmoid(z) - y
     """, "bce_grad_logits", "a sum where a mean is wanted"),
    Mutant("grad_sign", """
     def bce_grad_logits(z, y):
         return (y - sigmoid(z)) / z.numel()
     """, "bce_grad_logits", "sign is flipped"),
    Mutant("grad_wrt_p", """
     def bce_grad_logits(z, y):
         p = sigmoid(z)
         return (p - y) / (p * (1 - p)) / z.numel()
     """, "bce_grad_logits", "with respect to p, not z"),
    Mutant("grad_extra_factor", """
     def bce_grad_logits(z, y):
         p = sigmoid(z)
         return (p - y) * p * (1 - p) / z.numel()
     """, "bce_grad_logits", "counted twice"),
    Mutant("grad_overflows", """
     def bce_grad_logits(z, y):
         return (torch.exp(z) / (1 + torch.exp(z)) - y) / z.numel()
     """, "bce_grad_logits", "inf / inf"),
    Mutant("grad_count_on_cpu", """
     def bce_grad_logits(z, y):
         grad = torch.empty(z.shape, dtype=z.dtype)
         grad[:] = (sigmoid(z) - y) / z.numel()
         return grad
     """, "bce_grad_logits", "left on the CPU"),
    Mutant("clusters_global_rng", """
     def make_clusters(n, seed):
         x0 = torch.normal(1.7, 1.0, (n, 2)) + 1
         x1 = torch.normal(-1.7, 1.0, (n, 2)) + 1
         return torch.cat([x0, x1]), torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
     """, "make_clusters", "changed the global random state"),
    Mutant("clusters_labels_swapped", """
     _orig_clusters = make_clusters
     def make_clusters(n, seed):
         x, y = _orig_clusters(n, seed)
         return x, 1 - y
     """, "make_clusters", "labels are swapped"),
    Mutant("clusters_no_shift", """
     _orig_clusters = make_clusters
     def make_clusters(n, seed):
         x, y = _orig_clusters(n, seed)
         return x - 1, y
     """, "make_clusters", "+1 shift is missing"),
    Mutant("module_returns_logits", """
     _Orig = LogisticRegression
     class LogisticRegression(_Orig):
         def forward(self, x):
             return self.linear(x)
     """, "LogisticRegression", "logits, not probabilities"),
    Mutant("module_two_outputs", """
     class LogisticRegression(nn.Module):
         def __init__(self, in_features):
             super().__init__()
             self.linear = nn.Linear(in_features, 2)
         def forward(self, x):
             return torch.sigmoid(self.linear(x))[:, :1]
     """, "LogisticRegression", "should have the parameters"),
    Mutant("train_sigmoid_twice", """
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         loss_fn = nn.BCEWithLogitsLoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
         losses = []
         for _ in range(epochs):
             optimizer.zero_grad()
             loss = loss_fn(model(x), y)
             loss.backward()
             optimizer.step()
             losses.append(loss.item())
         return losses
     """, "train_logistic", "nn.BCEWithLogitsLoss applies a second sigmoid"),
    Mutant("train_no_zero_grad", """
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
    Mutant("train_zero_after_backward", """
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
    Mutant("train_no_momentum", """
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
     """, "train_logistic", "no step uses momentum"),
    Mutant("train_momentum_ignored", """
     _orig_train = train_logistic
     def train_logistic(model, x, y, lr, epochs, momentum=0.9):
         return _orig_train(model, x, y, lr, epochs)
     """, "train_logistic", "momentum given was not used"),
    Mutant("train_loss_after_step", """
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
    Mutant("accuracy_strict", """
     def accuracy(model, x, y):
         with torch.no_grad():
             return ((model(x) > 0.5).to(y.dtype) == y).to(torch.float64).mean().item()
     """, "accuracy", "p >= 0.5"),
    Mutant("accuracy_count", """
     def accuracy(model, x, y):
         with torch.no_grad():
             return float(((model(x) >= 0.5).to(y.dtype) == y).sum().item())
     """, "accuracy", "divide by N"),
    Mutant("accuracy_error_rate", """
     def accuracy(model, x, y):
         with torch.no_grad():
             return ((model(x) >= 0.5).to(y.dtype) != y).to(torch.float64).mean().item()
     """, "accuracy", "error rate"),
    Mutant("accuracy_broadcast", """
     def accuracy(model, x, y):
         with torch.no_grad():
             predicted = (model(x) >= 0.5).to(y.dtype).squeeze(1)
             return (predicted == y).to(torch.float64).mean().item()
     """, "accuracy", "(N,) and (N, 1) broadcast into (N, N)"),
    Mutant("grad_broadcast", """
     def bce_grad_logits(z, y):
         return (sigmoid(z) - y.reshape(-1)) / z.numel()
     """, "bce_grad_logits", "(N,) and (N, 1) broadcast into (N, N)"),
    Mutant("bce_no_clamp", """
     import torch as _torch
     def bce_loss(p, y):
         return -(y * _torch.log(p) + (1 - y) * _torch.log(1 - p)).mean()
     """, "bce_loss", "Clamp each log",
           what="bce_loss does not clamp the logs: p = 0 or 1 gives inf"),
    Mutant("accuracy_half_is_zero", """
     import torch as _torch
     def accuracy(model, x, y):
         with _torch.no_grad():
             return float(((model(x) < 0.5).float() == y).float().mean())
     """, "accuracy", "error rate",
           what="accuracy counts p > 0.5 as 0"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("bce_no_clamp", "accuracy_half_is_zero")
