"""Fresh mistakes of ex07 (sigmoid, binary cross-entropy, two Gaussian clusters)."""
from tests.fresh import MOMENTUM, SCALE, SIGN, SUM, Fresh

FRESH = [
    Fresh("sigmoid_exp_over_one_plus_exp", "sigmoid", '''
def sigmoid(z):
    e = torch.exp(z)
    return e / (1 + e)
''', "exp(z) / (1 + exp(z)): inf / inf is NaN for large z",
        (r"\bnan\b|\binf|overflow|finite|stab|large|1000|exp\(",)),
    Fresh("sigmoid_sign", "sigmoid", '''
def sigmoid(z):
    return 1 / (1 + torch.exp(z))
''', "exp(z) where exp(-z) is wanted: returns sigmoid(-z) = 1 - sigmoid(z)",
        (SIGN, r"-z\b|1 - |complement|mirror|symmetr|reflect")),
    Fresh("bce_loss_unclamped", "bce_loss", '''
def bce_loss(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
''', "no clamp of the logs at -100: p = 0 or 1 gives inf or NaN",
        (r"clamp|-100|\binf|\bnan\b|finite|log ?\(0\)|log of 0|log 0",)),
    Fresh("bce_loss_p_clamped", "bce_loss", '''
def bce_loss(p, y):
    logp = torch.log(torch.clamp(p, min=1e-7))
    log1mp = torch.log(torch.clamp(1 - p, min=1e-7))
    return -(y * logp + (1 - y) * log1mp).mean()
''', "p clamped at 1e-7 before the log, where the log is to be clamped at -100",
        (r"clamped at 1e-0?7|log\(1e-0?7\)|-100",)),
    Fresh("bce_loss_sum", "bce_loss", '''
def bce_loss(p, y):
    log_p = torch.clamp(torch.log(p), min=-100)
    log_1mp = torch.clamp(torch.log(1 - p), min=-100)
    return -(y * log_p + (1 - y) * log_1mp).sum()
''', "sums over the entries instead of averaging",
        (SUM, SCALE)),
    Fresh("bce_loss_missing_minus", "bce_loss", '''
def bce_loss(p, y):
    log_p = torch.clamp(torch.log(p), min=-100)
    log_1mp = torch.clamp(torch.log(1 - p), min=-100)
    return (y * log_p + (1 - y) * log_1mp).mean()
''', "forgets the leading minus: the loss is negative",
        (SIGN,)),
    Fresh("bce_grad_logits_no_division", "bce_grad_logits", '''
def bce_grad_logits(z, y):
    return sigmoid(z) - y
''', "forgets to divide by N = z.numel() (the gradient of a sum, not of the mean)",
        (SUM, SCALE, r"numel|divide|\bmean\b")),
    Fresh("bce_grad_logits_rows_only", "bce_grad_logits", '''
def bce_grad_logits(z, y):
    return (sigmoid(z) - y) / z.shape[0]
''', "divides by the number of rows z.shape[0] instead of z.numel() (wrong for several columns)",
        (SCALE, r"numel|shape\[0\]|\brows|entries|elements|columns")),
    Fresh("make_clusters_labels_reversed", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.normal(1.7, 1.0, (n, 2), generator=g) + 1
    x1 = torch.normal(-1.7, 1.0, (n, 2), generator=g) + 1
    x = torch.cat([x0, x1])
    y = torch.cat([torch.ones(n, 1), torch.zeros(n, 1)])
    return x, y
''', "labels reversed: ones first, then zeros",
        (r"label|swap|reversed|invert|flip|1 - y|complement|ones (first|then)|zeros (first|then)",)),
    Fresh("make_clusters_no_plus_one", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.normal(1.7, 1.0, (n, 2), generator=g)
    x1 = torch.normal(-1.7, 1.0, (n, 2), generator=g)
    x = torch.cat([x0, x1])
    y = torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
    return x, y
''', "forgets the + 1 shift of both clusters",
        (r"offset|\+ ?1|shift|by 1\b|\bcent(re|er)|location",)),
    Fresh("logistic_regression_returns_logits", "LogisticRegression", '''
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return self.linear(x)
''', "forward returns the logits, without the sigmoid",
        (r"sigmoid|logit|probabilit|\[0, ?1\]|outside|negative|greater than 1",)),
    Fresh("train_logistic_ignores_momentum", "train_logistic", '''
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
''', "plain SGD: the momentum argument is never passed to the optimizer",
        (MOMENTUM,)),
    Fresh("accuracy_counts_rows", "accuracy", '''
def accuracy(model, x, y):
    with torch.no_grad():
        predicted = (model(x) >= 0.5).to(y.dtype)
        return float((predicted == y).sum().item())
''', "returns the number of right rows instead of the fraction",
        (SCALE, r"count|fraction|divide|number of|\bsum")),
    # from a blind round of student programs (issue 20)
    Fresh("make_clusters_drawn_in_other_order", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.normal(-1.7, 1.0, (n, 2), generator=g) + 1
    x0 = torch.normal(1.7, 1.0, (n, 2), generator=g) + 1
    return torch.cat([x0, x1]), torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
''', "draws class 1's cluster first, then class 0's, from the one generator",
        (r"drawn in the other order|order of the draws",)),
    Fresh("make_clusters_means_swapped", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.normal(-1.7, 1.0, (n, 2), generator=g) + 1
    x1 = torch.normal(1.7, 1.0, (n, 2), generator=g) + 1
    return torch.cat([x0, x1]), torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
''', "draws class 0 around -1.7 and class 1 around 1.7",
        (r"means are swapped",)),
    # issue 20's latest list: mistakes that got only a generic message, or passed on some seeds
    Fresh("make_clusters_one_draw", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    means = torch.cat([torch.full((n, 2), 1.7), torch.full((n, 2), -1.7)])
    x = torch.normal(means, 1.0, generator=g) + 1
    return x, torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
''', "draws both clusters in one call (one tensor of means), which pairs the random numbers "
        "differently from two draws",
        (r"one draw|two draws",)),
    Fresh("make_clusters_rows_in_turn", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    rows0, rows1 = [], []
    for _ in range(n):
        rows0.append(torch.normal(1.7, 1.0, (2,), generator=g) + 1)
        rows1.append(torch.normal(-1.7, 1.0, (2,), generator=g) + 1)
    return torch.stack(rows0 + rows1), torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
''', "draws a row of each class in turn (interleaved draws) instead of class 0's rows first",
        (r"drawn in turn|in turn|interleav",)),
    # fresh round 4 (issue 20): the second cluster alone without its + 1
    Fresh("make_clusters_second_without_plus_one", "make_clusters", '''
def make_clusters(n, seed):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.normal(1.7, 1.0, (n, 2), generator=g) + 1
    x1 = torch.normal(-1.7, 1.0, (n, 2), generator=g)
    return torch.cat([x0, x1]), torch.cat([torch.zeros(n, 1), torch.ones(n, 1)])
''', "forgets the + 1 on the second cluster",
        (r"offset|second half",)),
    Fresh("bce_grad_logits_sign", "bce_grad_logits", '''
def bce_grad_logits(z, y):
    return (y - sigmoid(z)) / z.numel()
''', "(y - sigmoid(z)) / N: the gradient has the wrong sign",
        (r"sigmoid\(z\) - y", r"opposite sign of the expected one")),
    # a blind round's generic message: backward() twice a step
    Fresh("train_logistic_backward_twice", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward(retain_graph=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "calls backward() twice per step: every gradient doubled",
        (r"backward\(\) (is )?called twice|gradients are doubled",)),
    # a blind round's generic message: a sigmoid before the layer too
    Fresh("forward_sigmoid_input", "LogisticRegression", '''
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(torch.sigmoid(x)))
''', "applies a sigmoid to x before the layer as well as after it",
        (r"sigmoid applied (to x itself|to the input)",)),
    Fresh("train_logistic_optimizer_per_epoch", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    losses = []
    for _ in range(epochs):
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "builds the optimizer inside the epoch loop: the momentum buffer starts empty every epoch",
        (r"new optimizer is built in each epoch",), visible=True),
    Fresh("sigmoid_tanh_without_half", "sigmoid", '''
def sigmoid(z):
    return 0.5 * (1 + torch.tanh(z))
''', "the tanh form without the z / 2: 0.5 * (1 + tanh(z)) is sigmoid(2z)",
        (r"tanh\(z / 2\)|sigmoid\(2z\)",), visible=True),
    # blind round 10 (w052): another default momentum in the signature
    Fresh("train_logistic_default_momentum_half", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.5):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "the signature's default momentum is 0.5, not the docstring's 0.9",
        (r"default for momentum differs",), visible=True),
    # blind round 12 (w709): only the -inf logs replaced by -100
    Fresh("bce_loss_nan_to_num", "bce_loss", '''
def bce_loss(p, y):
    log_p = torch.nan_to_num(torch.log(p), neginf=-100.0)
    log_1mp = torch.nan_to_num(torch.log(1 - p), neginf=-100.0)
    return -(y * log_p + (1 - y) * log_1mp).mean()
''', "nan_to_num(log, neginf=-100): a finite log below -100 (p = 1e-45) is not clamped",
        (r"finite log below -100",), visible=True),
    # blind round 13 (w054): momentum=0.9 written in, the argument ignored
    Fresh("train_logistic_momentum_written_in", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "momentum=0.9 written in: the momentum argument is ignored",
        (r"momentum argument given is not used|momentum given was not used",), visible=True),
    # blind round 14 (w064): the default momentum 0.0, the body right
    Fresh("train_logistic_default_momentum_zero", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.0):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "the signature's default momentum is 0.0, not the docstring's 0.9",
        (r"default for momentum differs",), visible=True),
    # blind round 15 (w102): the probabilities clamped in forward (full marks before)
    Fresh("forward_clamps_probabilities", "LogisticRegression", '''
class LogisticRegression(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x)).clamp(1e-7, 1 - 1e-7)
''', "forward clamps the probabilities to [1e-7, 1 - 1e-7] (to avoid log(0))",
        (r"clamped to \[",), visible=True),
    # blind round 15 (w079): SGD with nesterov=True
    Fresh("train_logistic_nesterov", "train_logistic", '''
def train_logistic(model, x, y, lr, epochs, momentum=0.9):
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                                nesterov=momentum > 0)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''', "SGD with nesterov=True, where plain momentum is asked",
        (r"nesterov",), visible=True),
]
