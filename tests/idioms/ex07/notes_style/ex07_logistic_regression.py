"""Exercise 07 as the course notes write it: the model holds self.linear and a
torch.nn.Sigmoid() module, the criterion is torch.nn.BCELoss(reduction="mean")."""
import torch


def sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def bce_loss(p, y):
    log_p = torch.log(p).clamp(min=-100)
    log_q = torch.log(1 - p).clamp(min=-100)
    loss = -(y * log_p + (1 - y) * log_q)
    return loss.mean()


def bce_grad_logits(z, y):
    N = z.numel()
    return (sigmoid(z) - y) / N


def make_clusters(n, seed):
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.normal(1.7, 1.0, size=(n, 2), generator=gen) + 1
    x1 = torch.normal(-1.7, 1.0, size=(n, 2), generator=gen) + 1
    y0 = torch.zeros(n, 1)
    y1 = torch.ones(n, 1)
    return torch.cat((x0, x1), 0), torch.cat((y0, y1), 0)


class LogisticRegression(torch.nn.Module):
    def __init__(self, in_features):
        super(LogisticRegression, self).__init__()
        self.linear = torch.nn.Linear(in_features, 1)   # one in and one out
        self.sigmoid = torch.nn.Sigmoid()

    def forward(self, x):
        y_pred = self.sigmoid(self.linear(x))
        return y_pred


def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    criterion = torch.nn.BCELoss(reduction="mean")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for epoch in range(epochs):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def accuracy(model, x, y):
    with torch.no_grad():
        y_pred = model(x)
        predicted = (y_pred >= 0.5).float()
        correct = (predicted == y).sum().item()
    return correct / y.shape[0]
