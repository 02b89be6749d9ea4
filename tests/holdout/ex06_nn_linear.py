"""Hold-out mistakes of ex06 (nn.Linear, nn.MSELoss, torch.optim.SGD)."""
from tests.holdout import Wrong

HOLDOUT = [
    Wrong("forward_squeezed", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.linear(x).squeeze()
''', "the output squeezed to (N,)"),
    Wrong("train_one_short", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(1, n_iter)]
''', "range(1, n_iter): one step too few"),
    Wrong("train_l1", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.L1Loss()
    optimizer = make_optimizer(model, lr)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
''', "nn.L1Loss instead of nn.MSELoss"),
    Wrong("predict_numpy", "predict", '''
def predict(model, x):
    with torch.no_grad():
        return model(x).cpu().numpy()
''', "returns a NumPy array on the CPU, not a tensor"),
    Wrong("step_loss_recomputed", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss_fn(model(X), Y).backward()
    optimizer.step()
    with torch.no_grad():
        return loss_fn(model(X), Y).item()
''', "the loss recomputed after the step and returned"),
]
