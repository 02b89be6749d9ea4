"""Wrong variants of ex10 fail the right checks, and the messages name the mistake."""
import pytest
import torch

from tests.conftest import failing, messages

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
    # (name, code, target that must fail, words the message must contain)
    ("softmax_no_max", """
     def softmax(z, dim=-1):
         e = z.exp()
         return e / e.sum(dim=dim, keepdim=True)
     """, "softmax", "subtract each row's maximum"),
    ("softmax_fixed_dim", """
     def softmax(z, dim=-1):
         e = (z - z.amax(dim=-1, keepdim=True)).exp()
         return e / e.sum(dim=-1, keepdim=True)
     """, "softmax", "along the `dim` argument"),
    ("softmax_global_max", """
     def softmax(z, dim=-1):
         e = (z - z.max()).exp()
         return e / e.sum(dim=dim, keepdim=True)
     """, "softmax", "z.max()"),
    ("ce_naive", """
     def cross_entropy(logits, targets):
         p = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
         return -p.gather(1, targets.unsqueeze(1)).log().mean()
     """, "cross_entropy", "overflow"),
    ("ce_log_of_softmax", """
     def cross_entropy(logits, targets):
         return -softmax(logits, 1).gather(1, targets.unsqueeze(1)).log().mean()
     """, "cross_entropy", "log-sum-exp"),
    ("ce_sum", """
     _orig_ce = cross_entropy
     def cross_entropy(logits, targets):
         return _orig_ce(logits, targets) * logits.shape[0]
     """, "cross_entropy", "sum over the rows"),
    ("grad_no_one_hot", """
     def cross_entropy_grad(logits, targets):
         return softmax(logits, 1) / logits.shape[0]
     """, "cross_entropy_grad", "subtract the one-hot"),
    ("grad_sign", """
     def cross_entropy_grad(logits, targets):
         one_hot = torch.nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype)
         return (one_hot - softmax(logits, 1)) / logits.shape[0]
     """, "cross_entropy_grad", "sign is flipped"),
    ("grad_no_mean", """
     def cross_entropy_grad(logits, targets):
         one_hot = torch.nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype)
         return softmax(logits, 1) - one_hot
     """, "cross_entropy_grad", "divide by N"),
    ("grad_autograd", """
     def cross_entropy_grad(logits, targets):
         z = logits.detach().requires_grad_(True)
         cross_entropy(z, targets).backward()
         return z.grad
     """, "cross_entropy_grad", "by hand"),
    ("grad_cpu_one_hot", """
     def cross_entropy_grad(logits, targets):
         one_hot = torch.zeros(logits.shape, dtype=logits.dtype)
         one_hot[torch.arange(len(targets)), targets.cpu()] = 1.0
         return (softmax(logits, 1) - one_hot.to(logits.device)).cpu() / logits.shape[0]
     """, "cross_entropy_grad", "left on the CPU"),
    ("classifier_probabilities", """
     class SoftmaxClassifier(SoftmaxClassifier):
         def forward(self, x):
             return torch.softmax(super().forward(x), dim=1)
     """, "SoftmaxClassifier", "probabilities"),
    ("classifier_no_relu", """
     class SoftmaxClassifier(SoftmaxClassifier):
         def forward(self, x):
             return self.output(self.hidden(x))
     """, "SoftmaxClassifier", "ReLU"),
    ("classifier_names", """
     class SoftmaxClassifier(nn.Module):
         def __init__(self, in_features, hidden, n_classes):
             super().__init__()
             self.fc1 = nn.Linear(in_features, hidden)
             self.fc2 = nn.Linear(hidden, n_classes)
         def forward(self, x):
             return self.fc2(torch.relu(self.fc1(x)))
     """, "SoftmaxClassifier", "self.hidden = nn.Linear"),
    ("classifier_forward_trains", """
     class SoftmaxClassifier(SoftmaxClassifier):
         def forward(self, x):
             out = super().forward(x)
             with torch.no_grad():
                 self.output.bias.add_(0.01)
             return out
     """, "SoftmaxClassifier", "unchanged"),
    ("train_no_zero_grad", train(zero="pass"), "train_classifier", "not zeroed"),
    ("train_no_momentum", train(momentum="0.0"), "train_classifier", "momentum"),
    ("train_drop_last", train(drop="True"), "train_classifier", "drop_last"),
    ("train_loader_per_epoch", train(loader_again=(
        "loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, "
        "generator=torch.Generator().manual_seed(seed))")), "train_classifier",
     "repeats the first epoch's order"),
    ("train_weighted_mean", train(epoch_loss="sum(v * s for v, s in zip(values, sizes)) / "
                                             "sum(sizes)"), "train_classifier",
     "weighted by the batch sizes"),
    ("train_last_batch_loss", train(epoch_loss="values[-1]"), "train_classifier",
     "last batch's loss"),
    ("train_randperm", """
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
    ("predict_probabilities", """
     def predict_classes(model, x):
         with torch.no_grad():
             return torch.softmax(model(x), dim=1)
     """, "predict_classes", "probabilities"),
    ("predict_with_graph", """
     def predict_classes(model, x):
         return model(x).argmax(dim=1)
     """, "predict_classes", "torch.no_grad()"),
    ("predict_float", """
     def predict_classes(model, x):
         with torch.no_grad():
             return model(x).argmax(dim=1).float()
     """, "predict_classes", "int64"),
    ("predict_max_values", """
     def predict_classes(model, x):
         return model(x).max(dim=1).values
     """, "predict_classes", "requires grad"),
]


@pytest.mark.parametrize("name,code,target,words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_caught(grade, name, code, target, words):
    if name.endswith("_cpu_one_hot") and not torch.cuda.is_available():
        pytest.skip("a result left on the CPU can only be seen on a CUDA machine")
    result = grade("ex10", code, targets=[target])
    assert failing(result, target), f"mutant {name} passed every check of {target}"
    assert words in messages(result, target), messages(result, target)


def test_alternative_implementations_pass(grade):
    """Other correct ways: torch.logsumexp, an nn.ReLU module, a scatter one-hot, inference_mode,
    a loop that counts the batches itself."""
    code = """
    def cross_entropy(logits, targets):
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
    """
    result = grade("ex10", code)
    assert result.score == result.max_score, messages(result)
