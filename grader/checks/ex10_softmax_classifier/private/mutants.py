"""The wrong programs of ex10: each is the reference with one known mistake (the code is
appended to the reference, so a `def` replaces the reference's function of that name), and it
must fail a check of its target with a message that holds its words (tests/checks/test_mutants.py)."""
from grader.checks.api import Mutant

# a result left on the CPU: only a CUDA machine can show these mistakes
CUDA_ONLY = {"grad_cpu_one_hot"}

_TRAIN = """
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed), drop_last=DROP)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    losses = []
    for _ in range(epochs):
        LOADER_AGAIN
        values, sizes = [], []
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            ZERO
            loss.backward()
            optimizer.step()
            values.append(loss.item())
            sizes.append(len(xb))
        losses.append(EPOCH_LOSS)
    return losses
"""


def train(drop="False", momentum="0.5", zero="optimizer.zero_grad()", loader_again="pass",
          epoch_loss="sum(values) / len(values)"):
    return (_TRAIN.replace("DROP", drop).replace("MOMENTUM", momentum).replace("ZERO", zero)
            .replace("LOADER_AGAIN", loader_again).replace("EPOCH_LOSS", epoch_loss))


MUTANTS = [
    Mutant("classifier_is_sequential", """
     class SoftmaxClassifier(nn.Module):
         def __init__(self, in_features, hidden, n_classes):
             super().__init__()
             self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(),
                                      nn.Linear(hidden, n_classes))
         def forward(self, x):
             return self.net(x)
     """, "SoftmaxClassifier", "load their parameters into your model by name"),
    Mutant("softmax_no_max", """
     def softmax(z, dim=-1):
         e = z.exp()
         return e / e.sum(dim=dim, keepdim=True)
     """, "softmax", "subtract each row's maximum"),
    Mutant("softmax_fixed_dim", """
     def softmax(z, dim=-1):
         e = (z - z.amax(dim=-1, keepdim=True)).exp()
         return e / e.sum(dim=-1, keepdim=True)
     """, "softmax", "along the `dim` argument"),
    Mutant("softmax_no_keepdim", """
     def softmax(z, dim=-1):
         e = torch.exp(z - z.max(dim=dim).values)
         return e / e.sum(dim=dim)
     """, "softmax", "softmax without keepdim"),
    Mutant("softmax_sum_no_keepdim", """
     def softmax(z, dim=-1):
         e = torch.exp(z - z.amax(dim=dim, keepdim=True))
         return e / e.sum(dim)
     """, "softmax", "softmax without keepdim"),
    Mutant("softmax_global_max", """
     def softmax(z, dim=-1):
         e = (z - z.max()).exp()
         return e / e.sum(dim=dim, keepdim=True)
     """, "softmax", "z.max()"),
    Mutant("ce_naive", """
     def cross_entropy(logits, targets):
         p = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
         return -p.gather(1, targets.unsqueeze(1)).log().mean()
     """, "cross_entropy", "overflow"),
    Mutant("ce_log_of_softmax", """
     def cross_entropy(logits, targets):
         return -softmax(logits, 1).gather(1, targets.unsqueeze(1)).log().mean()
     """, "cross_entropy", "log-sum-exp"),
    Mutant("ce_sum", """
     _orig_ce = cross_entropy
     def cross_entropy(logits, targets):
         return _orig_ce(logits, targets) * logits.shape[0]
     """, "cross_entropy", "sum over the rows"),
    Mutant("grad_no_one_hot", """
     def cross_entropy_grad(logits, targets):
         return softmax(logits, 1) / logits.shape[0]
     """, "cross_entropy_grad", "subtract the one-hot"),
    Mutant("grad_sign", """
     def cross_entropy_grad(logits, targets):
         one_hot = torch.nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype)
         return (one_hot - softmax(logits, 1)) / logits.shape[0]
     """, "cross_entropy_grad", "sign is flipped"),
    Mutant("grad_no_mean", """
     def cross_entropy_grad(logits, targets):
         one_hot = torch.nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype)
         return softmax(logits, 1) - one_hot
     """, "cross_entropy_grad", "divide by N"),
    Mutant("grad_autograd", """
     def cross_entropy_grad(logits, targets):
         z = logits.detach().requires_grad_(True)
         cross_entropy(z, targets).backward()
         return z.grad
     """, "cross_entropy_grad", "by hand"),
    Mutant("grad_cpu_one_hot", """
     def cross_entropy_grad(logits, targets):
         one_hot = torch.zeros(logits.shape, dtype=logits.dtype)
         one_hot[torch.arange(len(targets)), targets.cpu()] = 1.0
         return (softmax(logits, 1) - one_hot.to(logits.device)).cpu() / logits.shape[0]
     """, "cross_entropy_grad", "left on the CPU"),
    Mutant("classifier_probabilities", """
     class SoftmaxClassifier(SoftmaxClassifier):
         def forward(self, x):
             return torch.softmax(super().forward(x), dim=1)
     """, "SoftmaxClassifier", "probabilities"),
    Mutant("classifier_no_relu", """
     class SoftmaxClassifier(SoftmaxClassifier):
         def forward(self, x):
             return self.output(self.hidden(x))
     """, "SoftmaxClassifier", "ReLU"),
    Mutant("classifier_names", """
     class SoftmaxClassifier(nn.Module):
         def __init__(self, in_features, hidden, n_classes):
             super().__init__()
             self.fc1 = nn.Linear(in_features, hidden)
             self.fc2 = nn.Linear(hidden, n_classes)
         def forward(self, x):
             return self.fc2(torch.relu(self.fc1(x)))
     """, "SoftmaxClassifier", "self.hidden = nn.Linear"),
    Mutant("classifier_forward_trains", """
     class SoftmaxClassifier(SoftmaxClassifier):
         def forward(self, x):
             out = super().forward(x)
             with torch.no_grad():
                 self.output.bias.add_(0.01)
             return out
     """, "SoftmaxClassifier", "unchanged"),
    Mutant("train_no_zero_grad", train(zero="pass"), "train_classifier", "not zeroed"),
    Mutant("train_no_momentum", train(momentum="0.0"), "train_classifier", "momentum"),
    Mutant("train_drop_last", train(drop="True"), "train_classifier", "drop_last"),
    Mutant("train_loader_per_epoch", train(loader_again=(
        "loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, "
        "generator=torch.Generator().manual_seed(seed))")), "train_classifier",
     "repeats the first epoch's order"),
    Mutant("train_weighted_mean", train(epoch_loss="sum(v * s for v, s in zip(values, sizes)) / "
                                             "sum(sizes)"), "train_classifier",
     "weighted by the batch sizes"),
    Mutant("train_last_batch_loss", train(epoch_loss="values[-1]"), "train_classifier",
     "last batch's loss"),
    Mutant("train_randperm", """
     def train_classifier(model, x, y, lr, epochs, batch_size, seed):
         g = torch.Generator().manual_seed(seed)
         loss_fn = nn.CrossEntropyLoss()
         optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
         losses = []
         for _ in range(epochs):
             perm = torch.randperm(len(x), generator=g).to(x.device)
             values = []
             for i in range(0, len(x), batch_size):
                 idx = perm[i:i + batch_size]
                 loss = loss_fn(model(x[idx]), y[idx])
                 optimizer.zero_grad()
                 loss.backward()
                 optimizer.step()
                 values.append(loss.item())
             losses.append(sum(values) / len(values))
         return losses
     """, "train_classifier", "torch.randperm"),
    Mutant("predict_probabilities", """
     def predict_classes(model, x):
         with torch.no_grad():
             return torch.softmax(model(x), dim=1)
     """, "predict_classes", "probabilities"),
    Mutant("predict_with_graph", """
     def predict_classes(model, x):
         return model(x).argmax(dim=1)
     """, "predict_classes", "torch.no_grad()"),
    Mutant("predict_float", """
     def predict_classes(model, x):
         with torch.no_grad():
             return model(x).argmax(dim=1).float()
     """, "predict_classes", "int64"),
    Mutant("predict_max_values", """
     def predict_classes(model, x):
         return model(x).max(dim=1).values
     """, "predict_classes", "requires grad"),
    Mutant("softmax_overflows", """
     import torch as _torch
     def softmax(z, dim=-1):
         e = _torch.exp(z)
         return e / e.sum(dim=dim, keepdim=True)
     """, "softmax", "subtract each row's maximum",
           what="softmax does not subtract the max: nan at logits of 1000"),
    Mutant("grad_times_n", """
     _ref_ce_grad = cross_entropy_grad
     def cross_entropy_grad(logits, targets):
         return _ref_ce_grad(logits, targets) * logits.shape[0]
     """, "cross_entropy_grad", "divide by N",
           what="cross_entropy_grad forgets to divide by N"),
]

# planted in the demo class (grader/instructor/demo.py), in this order
DEMO = ("softmax_overflows", "grad_times_n")

# Other correct ways: torch.logsumexp, an nn.ReLU module, a scatter one-hot, inference_mode, a
# loop that counts the batches itself.
ALTERNATIVES = {"other_ways": """def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    return (lse - logits[torch.arange(len(targets), device=logits.device), targets]).mean()

def cross_entropy_grad(logits, targets):
    one_hot = torch.zeros_like(logits).scatter_(1, targets.unsqueeze(1), 1.0)
    return (softmax(logits, dim=1) - one_hot) / logits.shape[0]

class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.output(self.relu(self.hidden(x)))

def predict_classes(model, x):
    with torch.inference_mode():
        return torch.argmax(model(x), 1)

def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    out = []
    for epoch in range(epochs):
        batch_losses = []
        for xb, yb in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            batch_losses.append(float(loss))
        out.append(sum(batch_losses) / len(loader))
    return out
"""}

# issue 11: cross-entropy's row maximum reduced without keepdim (a (N,) against the (N, C)
# logits: an error, or on a square batch a subtraction along the wrong dimension)
MUTANTS.append(Mutant("ce_no_keepdim", """
 def cross_entropy(logits, targets):
     m = logits.amax(dim=1)
     lse = m + (logits - m).exp().sum(dim=1).log()
     picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
     return (lse - picked).mean()
 """, "cross_entropy", "reduced without keepdim"))
