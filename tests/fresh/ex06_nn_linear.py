"""Fresh mistakes of ex06 (nn.Linear, nn.MSELoss, torch.optim.SGD, a custom module)."""
from tests.fresh import LR, MOMENTUM, OFF_BY_ONE, RECORD, SCALE, SHAPE, ZERO, Fresh

FRESH = [
    Fresh("linear_regression_dims_swapped", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(output_dim, input_dim)

    def forward(self, x):
        return self.linear(x)
''', "nn.Linear(output_dim, input_dim): in and out features swapped",
        (r"swap|exchanged|input_dim|output_dim|in_features|out_features|\bshape|size mismatch"
         r"|mat1|cannot be multiplied|transpos",)),
    Fresh("linear_regression_relu", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return torch.relu(self.linear(x))
''', "applies a ReLU to the output: negative predictions become 0",
        (r"relu|activation|negative|clamp|clip|non-?linear",)),
    Fresh("linear_regression_squeezed", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.linear(x).squeeze()
''', "squeezes the output: (N,) where the course's one-output model gives (N, 1)",
        (SHAPE,)),
    Fresh("make_optimizer_momentum", "make_optimizer", '''
def make_optimizer(model, lr):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
''', "adds momentum 0.9 where plain SGD is asked",
        (MOMENTUM,)),
    Fresh("make_optimizer_adam", "make_optimizer", '''
def make_optimizer(model, lr):
    return torch.optim.Adam(model.parameters(), lr=lr)
''', "Adam instead of SGD",
        (r"adam|\bsgd\b|kind of optimi[sz]er|optimi[sz]er (type|class)",)),
    Fresh("train_step_no_zero_grad", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.step()
    return loss.item()
''', "never calls optimizer.zero_grad(): gradients from earlier steps leak into this one",
        (ZERO,)),
    Fresh("train_step_loss_after_step", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.step()
    return loss_fn(model(X), Y).item()
''', "returns the loss recomputed after the step instead of the loss before it",
        (RECORD,)),
    Fresh("train_fixed_lr", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, 0.01)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
''', "uses the notes' learning rate 0.01 instead of the lr argument",
        (LR, SCALE)),
    Fresh("train_one_step_short", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    losses = []
    for i in range(1, n_iter):
        losses.append(train_step(model, loss_fn, optimizer, X, Y))
    return losses
''', "range(1, n_iter): one step and one loss too few",
        (OFF_BY_ONE,)),
    Fresh("predict_keeps_graph", "predict", '''
def predict(model, x):
    return model(x)
''', "no torch.no_grad() and no detach: the prediction keeps a graph and requires grad",
        (r"graph|requires_grad|requires grad|no_grad|detach|inference_mode|grad_fn",)),
    Fresh("train_step_step_before_backward", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    optimizer.step()
    loss.backward()
    return loss.item()
''', "optimizer.step() before loss.backward(): every step finds the gradients just zeroed",
        (r"not yet computed",)),
    # a blind round's generic messages: nn.L1Loss for the MSE; backward() twice a step
    Fresh("train_l1_loss", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.L1Loss()
    optimizer = make_optimizer(model, lr)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
''', "trains with nn.L1Loss (the mean absolute error) where nn.MSELoss is asked",
        (r"L1Loss|mean absolute error",)),
    Fresh("train_step_backward_twice", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward(retain_graph=True)
    loss.backward()
    optimizer.step()
    return loss.item()
''', "calls backward() twice per step: every gradient doubled",
        (r"backward\(\) (is )?called twice|gradients are doubled",)),
    Fresh("forward_sigmoid_input", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.linear(torch.sigmoid(x))
''', "applies a sigmoid to x before the layer",
        (r"sigmoid applied (to x itself|to the input)",)),
    # blind round 8: the optimizer's kind or momentum
    Fresh("train_own_sgd_momentum", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter)]
''', "train builds its own SGD with momentum instead of calling make_optimizer",
        (r"SGD with momentum=0\.9",)),
    Fresh("train_step_target_squeezed", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y.squeeze())
    loss.backward()
    optimizer.step()
    return loss.item()
''', "Y.squeeze() in the loss: the (N, 1) prediction and the (N,) target broadcast to (N, N)",
        (r"broadcast to \(N, N\)",), visible=True),
    Fresh("forward_one_column", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return self.linear(x.view(-1, 1))
''', "x.view(-1, 1) in forward: right for one input feature only",
        (r"works for one input feature",), visible=True),
    Fresh("forward_weight_not_transposed", "LinearRegression", '''
class LinearRegression(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return x @ self.linear.weight + self.linear.bias
''', "x @ weight + bias without the transpose: right only where D = O",
        (r"transpos|W\.T|laid out",), visible=True),
    Fresh("predict_leaves_eval_mode", "predict", '''
def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)
''', "switches the caller's model to eval() and never back",
        (r"in the mode it was given",), visible=True),
    Fresh("train_prediction_squeezed", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    losses = []
    for _ in range(n_iter):
        optimizer.zero_grad()
        loss = loss_fn(model(X).squeeze(), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "the prediction squeezed to (N,) against Y of shape (N, 1): the two broadcast to (N, N)",
        (r"the prediction or the target was flattened",), visible=True),
    # blind round 15 (w069): n_iter - 1 steps, the last loss recorded without a step
    Fresh("train_last_step_skipped", "train", '''
def train(model, X, Y, lr, n_iter):
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(model, lr)
    losses = [train_step(model, loss_fn, optimizer, X, Y) for _ in range(n_iter - 1)]
    if n_iter > 0:
        with torch.no_grad():
            losses.append(loss_fn(model(X), Y).item())
    return losses
''', "makes n_iter - 1 steps, the last loss recorded without its step (the model one step short)",
        (r"the last update is missing",), visible=True),
    # blind round 15 (w088): the gradients clipped before the step
    Fresh("train_step_clip_grad_norm", "train_step", '''
def train_step(model, loss_fn, optimizer, X, Y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()
''', "clips the gradients to norm 1 (clip_grad_norm_) before the step",
        (r"clip",), visible=True),
]
