"""Fresh mistakes of ex10 (softmax and cross-entropy for several classes)."""
from tests.fresh import DTYPE, MOMENTUM, SCALE, SHAPE, SUM, Fresh

FRESH = [
    Fresh("softmax_unshifted", "softmax", '''
def softmax(z, dim=-1):
    e = z.exp()
    return e / e.sum(dim=dim, keepdim=True)
''', "no max subtracted: exp overflows to inf and gives NaN at large logits",
        (r"\bnan\b|\binf|overflow|stab|\bmax|large|1000|finite|subtract",)),
    Fresh("softmax_sum_over_dim0", "softmax", '''
def softmax(z, dim=-1):
    shifted = z - z.amax(dim=dim, keepdim=True)
    e = shifted.exp()
    return e / e.sum(dim=0, keepdim=True)
''', "normalises along dim 0 whatever dim says",
        (r"\bdim|\baxis|column|\brows?\b|sums? to 1|normali|transpos",)),
    Fresh("softmax_max_without_keepdim", "softmax", '''
def softmax(z, dim=-1):
    shifted = z - z.amax(dim=dim)
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)
''', "the max is taken without keepdim: it broadcasts against the wrong dimension",
        (r"keepdim", SHAPE)),
    Fresh("cross_entropy_sum", "cross_entropy", '''
def cross_entropy(logits, targets):
    m = logits.amax(dim=1, keepdim=True)
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).sum()
''', "sums the rows' losses instead of averaging them",
        (SUM, SCALE)),
    Fresh("cross_entropy_max_not_added_back", "cross_entropy", '''
def cross_entropy(logits, targets):
    m = logits.amax(dim=1, keepdim=True)
    lse = (logits - m).exp().sum(dim=1).log()
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()
''', "log-sum-exp without adding the max back: each row is off by its max logit",
        (r"\bmax|offset|shift|logsumexp|log-sum-exp|add(ed)? back|constant",)),
    Fresh("cross_entropy_grad_no_division", "cross_entropy_grad", '''
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return softmax(logits, dim=1) - one_hot
''', "forgets to divide by N: the gradient of the summed loss",
        (SUM, SCALE, r"divide|\bmean\b")),
    Fresh("cross_entropy_grad_sign", "cross_entropy_grad", '''
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return (one_hot - softmax(logits, dim=1)) / n
''', "one_hot - softmax: the gradient has the wrong sign",
        (r"softmax - one_hot", r"opposite sign of the expected one")),
    Fresh("classifier_softmax_output", "SoftmaxClassifier", '''
class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return torch.softmax(self.output(torch.relu(self.hidden(x))), dim=1)
''', "applies softmax in forward: returns probabilities, not logits",
        (r"softmax|probabilit|logit|sums? to 1|normali",)),
    Fresh("classifier_sigmoid_hidden", "SoftmaxClassifier", '''
class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.output(torch.sigmoid(self.hidden(x)))
''', "a sigmoid between the layers where a ReLU is asked",
        (r"relu|sigmoid|activation",)),
    Fresh("train_classifier_no_momentum", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
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
''', "plain SGD: momentum 0.5 forgotten",
        (MOMENTUM,)),
    Fresh("train_classifier_loader_per_epoch", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for _ in range(epochs):
        loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
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
''', "a new loader with a freshly seeded generator every epoch: every epoch sees the same order",
        (r"each epoch|every epoch|epoch 2|second epoch|same order|new (order|shuffle)|loader|generator|re-?seed|\border",)),
    Fresh("train_classifier_unshuffled", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)
    loss_fn = nn.CrossEntropyLoss()
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
''', "no shuffling and no generator: the batches come in the data's order, and iterating the "
           "loader draws its base seed from the global torch generator (the global random state "
           "changes)",
        (r"shuffl|\border|sequential", r"global random state")),
    Fresh("predict_classes_argmin", "predict_classes", '''
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmin(dim=1)
''', "argmin where argmax is wanted",
        (r"argmin|\bminim|smallest|lowest|\bleast",)),
    Fresh("predict_classes_float", "predict_classes", '''
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmax(dim=1).float()
''', "returns the class indices as floats instead of int64",
        (DTYPE, r"int64|\blong\b|integer|\bfloat")),
    # from a blind round of student programs (issue 20)
    Fresh("softmax_over_columns", "softmax", '''
def softmax(z, dim=-1):
    e = (z - z.amax(dim=0, keepdim=True)).exp()
    return e / e.sum(dim=0, keepdim=True)
''', "normalises over dim 0 whatever dim is asked: each column sums to 1",
        (r"softmax along dim=0",)),
    Fresh("cross_entropy_over_rows", "cross_entropy", '''
def cross_entropy(logits, targets):
    m = logits.amax(dim=0, keepdim=True)
    lse = m + (logits - m).exp().sum(dim=0, keepdim=True).log()
    logp = logits - lse
    return -logp[torch.arange(logits.shape[0]), targets].mean()
''', "takes the log-sum-exp over the rows (dim 0) instead of the classes",
        (r"log-sum-exp runs over dim 0",)),
    # issue 20's latest list: mistakes that got only a generic message, or passed on some seeds
    Fresh("train_classifier_momentum_0_9", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(epochs):
        total = []
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total.append(loss.item())
        losses.append(sum(total) / len(total))
    return losses
''', "uses momentum 0.9 (the usual default) where the contract asks 0.5",
        (MOMENTUM,)),
    Fresh("train_classifier_momentum_0_99", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.99)
    losses = []
    for _ in range(epochs):
        total = []
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total.append(loss.item())
        losses.append(sum(total) / len(total))
    return losses
''', "uses momentum 0.99 where the contract asks 0.5",
        (r"momentum=0\.99",)),
    # issue 20, a generic message once
    Fresh("classifier_relu_on_logits", "SoftmaxClassifier", '''
class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return torch.relu(self.output(torch.relu(self.hidden(x))))
''', "a ReLU after the output layer too: negative logits come back as 0",
        (r"relu|negative logit|expected negative and came back as 0",)),
    Fresh("train_classifier_step_before_backward", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            optimizer.step()
            loss.backward()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "optimizer.step() before loss.backward(): each step finds the gradients just zeroed",
        (r"found no gradients when it ran",)),
    # a blind round's generic messages: a sigmoid before each layer; the global max
    Fresh("forward_sigmoid_before_layers", "SoftmaxClassifier", '''
class SoftmaxClassifier(nn.Module):
    def __init__(self, in_features, hidden, n_classes):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.output(torch.sigmoid(torch.relu(self.hidden(torch.sigmoid(x)))))
''', "applies a sigmoid to the input of each layer",
        (r"sigmoid applied (to x itself|to the input)",)),
    Fresh("cross_entropy_global_max", "cross_entropy", '''
def cross_entropy(logits, targets):
    m = logits.max()
    lse = m + (logits - m).exp().sum(dim=1).log()
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()
''', "subtracts the maximum of the whole tensor in the log-sum-exp, not each row's",
        (r"maximum of the whole tensor|far above the row",)),
    Fresh("train_classifier_backward_twice", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward(retain_graph=True)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "calls backward() twice per batch: every gradient doubled",
        (r"backward\(\) (is )?called twice|gradients are doubled",)),
    # blind round 8 (w109): normalised over the whole tensor
    Fresh("softmax_sum_of_whole_tensor", "softmax", '''
def softmax(z, dim=-1):
    shifted = z - z.amax(dim=dim, keepdim=True)
    e = shifted.exp()
    return e / e.sum()
''', "divides by the sum over the whole tensor instead of along dim",
        (r"sum of the whole tensor",)),
    Fresh("cross_entropy_grad_one_hot_no_classes", "cross_entropy_grad", '''
def cross_entropy_grad(logits, targets):
    n = logits.shape[0]
    one_hot = torch.nn.functional.one_hot(targets).to(logits.dtype)
    return (softmax(logits, dim=1) - one_hot) / n
''', "one_hot(targets) without num_classes: C is max(targets) + 1, wrong when the last class "
        "is absent", (r"number of classes is read from the targets",), visible=True),
    Fresh("cross_entropy_grad_over_classes", "cross_entropy_grad", '''
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.nn.functional.one_hot(targets, c).to(logits.dtype)
    return (softmax(logits, dim=1) - one_hot) / logits.shape[1]
''', "divides by C (logits.shape[1]) instead of N",
        (r"divided by C", SCALE), visible=True),
    # blind round 11 (w112): the logits squeezed, a batch of one loses its rows' dimension
    Fresh("predict_classes_squeezed", "predict_classes", '''
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).squeeze().argmax(-1)
''', "squeezes the logits: a batch of one gives a 0-dim tensor",
        (r"rows' dimension is lost for a batch of one",), visible=True),
    # blind round 11 (w067): the one-hot's 1 set in whole columns
    Fresh("cross_entropy_grad_one_hot_columns", "cross_entropy_grad", '''
def cross_entropy_grad(logits, targets):
    n, c = logits.shape
    one_hot = torch.zeros_like(logits)
    one_hot[:, targets] = 1
    return (softmax(logits, dim=1) - one_hot) / n
''', "one_hot[:, targets] = 1 sets whole columns for every target present",
        (r"one-hot's 1 in each column that some row targets",), visible=True),
    # blind round 12 (w1004): -log of a stable softmax, which underflows to log(0)
    Fresh("cross_entropy_log_of_softmax", "cross_entropy", '''
def cross_entropy(logits, targets):
    p = softmax(logits, dim=1)
    n = logits.shape[0]
    return -torch.log(p[torch.arange(n), targets]).mean()
''', "-log(softmax(logits)): the softmax of a far-below-max logit underflows to 0, log(0)",
        (r"^log\(softmax\) underflows",), visible=True),
    # blind round 12 (w1012): nn.CrossEntropyLoss of softmax(logits)
    Fresh("train_classifier_softmax_before_loss", "train_classifier", '''
def train_classifier(model, x, y, lr, epochs, batch_size, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for _ in range(epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(torch.softmax(model(xb), dim=1), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses
''', "applies torch.softmax to the logits before nn.CrossEntropyLoss (a softmax twice)",
        (r"CrossEntropyLoss of softmax",), visible=True),
    # blind round 13 (w051): argmax without dim, one index into the flattened logits
    Fresh("predict_classes_argmax_no_dim", "predict_classes", '''
def predict_classes(model, x):
    with torch.no_grad():
        return model(x).argmax()
''', "argmax() without dim: one index into the flattened (N, C) logits, a 0-dim tensor",
        (r"argmax\(\) without dim",), visible=True),
    # blind round 13 (w067): the max subtracted along the last dim whatever dim is
    Fresh("softmax_max_along_last_dim", "softmax", '''
def softmax(z, dim=-1):
    shifted = z - z.amax(dim=-1, keepdim=True)
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)
''', "subtracts the max along the last dim whatever dim is: a shift that is not constant along "
        "dim changes the values", (r"max subtracted was taken along dim=",), visible=True),
    # blind round 14 (w076): logits.squeeze() first, which loses the batch dimension at N = 1
    Fresh("cross_entropy_squeezed_logits", "cross_entropy", '''
def cross_entropy(logits, targets):
    logits = logits.squeeze()
    m = logits.amax(dim=-1, keepdim=True)
    lse = m.squeeze(-1) + (logits - m).exp().sum(dim=-1).log()
    picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (lse - picked).mean()
''', "logits.squeeze() first: a batch of one row loses its batch dimension and fails",
        (r"batch of one",), visible=True),
    # blind round 14 (w046): the maximum of the whole tensor subtracted
    Fresh("cross_entropy_global_max_expanded", "cross_entropy", '''
def cross_entropy(logits, targets):
    m = logits.amax().expand(logits.shape[0], 1)
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()
''', "subtracts the maximum of the whole tensor, not each row's: a row far below it underflows",
        (r"maximum of the whole tensor",), visible=True),
]
