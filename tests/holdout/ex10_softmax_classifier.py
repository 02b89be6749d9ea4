"""Hold-out mistakes of ex10 (softmax and cross-entropy)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("softmax_sum_all", "softmax", '''
def softmax(z, dim=-1):
    e = torch.exp(z - z.max())
    return e / e.sum()
''', "divides by the sum of the whole tensor, not along dim"),
    Wrong("ce_fancy_index", "cross_entropy", '''
def cross_entropy(logits, targets):
    m = logits.amax(dim=1, keepdim=True)
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[:, targets]).mean()
''', "logits[:, targets] picks an (N, N) block, not one logit per row"),
    Wrong("ce_double_softmax", "cross_entropy", '''
def cross_entropy(logits, targets):
    return torch.nn.functional.cross_entropy(softmax(logits, dim=1), targets)
''', "F.cross_entropy on probabilities: a softmax applied twice"),
    Wrong("grad_softmax_dim0", "cross_entropy_grad", '''
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return (softmax(logits, dim=0) - one_hot) / n
''', "the softmax over dim 0 (the samples), not over the classes"),
    Wrong("classifier_sigmoid", "SoftmaxClassifier", '''
class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.output(torch.sigmoid(self.hidden(x)))
''', "a sigmoid between the layers instead of a ReLU"),
    Wrong("predict_dim0", "predict_classes", '''
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmax(dim=0)
''', "argmax over dim 0 (the samples), not over the classes"),
    Wrong("train_nll_on_logits", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "nn.NLLLoss on logits (it expects log-probabilities)"),
]
