"""Hold-out mistakes of ex07 (logistic regression)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("sigmoid_exp_ratio", "sigmoid", '''
def sigmoid(z):
    return torch.exp(z) / (1 + torch.exp(z))
''', "exp(z) / (1 + exp(z)): inf / inf = nan for large z"),
    Wrong("bce_clamps_p", "bce_loss", '''
def bce_loss(p, y):
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
''', "p clamped to [1e-7, 1 - 1e-7] instead of the logs at -100"),
    Wrong("clusters_flat_labels", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.normal(1.7, 1.0, (n, 2), generator=g) + 1
    x1 = torch.normal(-1.7, 1.0, (n, 2), generator=g) + 1
    return torch.cat([x0, x1]), torch.cat([torch.zeros(n), torch.ones(n)])
''', "labels of shape (2n,), not (2n, 1)"),
    Wrong("train_tensor_losses", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses
''', "the loss tensors kept, not loss.item()"),
    Wrong("accuracy_tensor", "accuracy", '''
def accuracy(model, x, y):
    with torch.no_grad():
        return ((model(x) >= 0.5).float() == y).float().mean()
''', "returns a 0-dim tensor, not a float"),
    Wrong("grad_by_rows", "bce_grad_logits", '''
def bce_grad_logits(z, y):
    return (sigmoid(z) - y) / len(z)
''', "divides by len(z) (the rows), not z.numel()"),
]
