"""Exercise 10 with one-hot arithmetic instead of indexing, the file's own cross_entropy as the
training loss, torch.where for the ReLU and torch.inference_mode() to predict."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def softmax(z, dim=-1):
    shifted = z - z.max(dim, keepdim=True)[0]
    numerator = shifted.exp()
    denominator = numerator.sum(dim, keepdim=True)
    return numerator / denominator


def log_softmax(z, dim=-1):
    shifted = z - z.max(dim, keepdim=True)[0]
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def cross_entropy(logits, targets):
    one_hot = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
    per_row = -(one_hot * log_softmax(logits, dim=1)).sum(dim=1)
    return per_row.mean()


def cross_entropy_grad(logits, targets):
    probs = softmax(logits, dim=1).clone()
    probs[torch.arange(logits.shape[0], device=logits.device), targets] -= 1
    return probs / logits.shape[0]


class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, x):
        h = self.hidden(x)
        h = torch.where(h > 0, h, torch.zeros_like(h))
        return self.output(h)


def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            loss = cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(loader))
    return losses


def predict_classes(model, x):
    with torch.inference_mode():
        return model(x).argmax(dim=-1)
