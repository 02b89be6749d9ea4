"""The known wrong answers of ex10, computed in the grading process: softmax, cross-entropy and
its gradient done the usual wrong ways, the classifier's forward pass with the wrong
activation, and train_classifier's run with a known mistake (on the classifier's layout as a
network, grader.sandbox.inside.probes.common.network)."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks.ex09_dataloader.private.variants import epoch_loss
from grader.checks.api import network, record_steps


def _naive_softmax(z, dim):
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def softmax_mistakes(z, dim=-1):
    """{"overflow": softmax without subtracting the maximum, "global_max": the maximum of the
    whole tensor subtracted instead of each row's, "no_keepdim": the max and the sum reduced
    without keepdim (None where that cannot broadcast)}."""
    e = torch.exp(z - z.max())
    return {"overflow": _naive_softmax(z, dim), "global_max": e / e.sum(dim=dim, keepdim=True),
            "no_keepdim": _no_keepdim(z, dim), "sum_all": e / e.sum()}


def _no_keepdim(z, dim):
    """softmax with the max and the sum reduced without keepdim, where that broadcasts at all
    (a square tensor: along the wrong dimension); None where it cannot."""
    try:
        e = torch.exp(z - z.amax(dim=dim))
        return e / e.sum(dim=dim)
    except RuntimeError:
        return None


def ce_mistakes(logits, targets):
    """Cross-entropy (float64) through a softmax that overflows ("overflow"), through the log
    of a stable softmax, which underflows ("log_softmax"), with the row maximum taken without
    keepdim ("no_keepdim", None where (N, C) - (N,) cannot broadcast), with logits[:, targets]
    (an (N, N) block) for the picked logits ("fancy_index"), and as F.cross_entropy of the
    softmax's probabilities ("double_softmax"), and with the log-sum-exp taken over dim 0, the
    rows ("dim0"), and with the maximum of the whole tensor subtracted ("global_max", in the
    logits' own dtype: a row far below that maximum underflows there, to log(0) = -inf)."""
    z = logits.to(torch.float64)
    t = targets.to(z.device)
    rows = t.unsqueeze(1)
    m = z.amax(dim=1, keepdim=True)
    lse = m.squeeze(1) + (z - m).exp().sum(dim=1).log()
    top = logits.max()
    lse_top = top + (logits - top).exp().sum(dim=1).log()
    global_max = (lse_top - logits.gather(1, rows).squeeze(1)).mean().to(torch.float64)
    return {"global_max": global_max,
            "overflow": -torch.log(_naive_softmax(z, 1).gather(1, rows).squeeze(1)).mean(),
            "log_softmax": -torch.log(torch.softmax(z, 1).gather(1, rows).squeeze(1)).mean(),
            "no_keepdim": _ce_no_keepdim(z, rows),
            "fancy_index": (lse - z[:, t]).mean(),
            "double_softmax": nn.functional.cross_entropy(torch.softmax(z, 1), t),
            "dim0": (torch.logsumexp(z, 0)[t] - z.gather(1, rows).squeeze(1)).mean()}


def _ce_no_keepdim(z, rows):
    """Log-sum-exp with the row maximum reduced without keepdim: (N, C) - (N,) runs only when
    N == C, and then subtracts along the wrong dimension; None where it cannot."""
    try:
        m = z.amax(dim=1)
        lse = m + (z - m).exp().sum(dim=1).log()
    except RuntimeError:
        return None
    return (lse - z.gather(1, rows).squeeze(1)).mean()


def grad_mistakes(logits, targets):
    """The gradient of the mean cross-entropy with the usual slips: softmax / N with no one-hot
    ("softmax_only"), the sign flipped ("sign"), the mean's 1/N missing ("no_mean"), softmax
    along dim 0 ("dim0"), the one-hot's 1 in whole columns ("columns", where some class is no
    row's target)."""
    n, c = logits.shape
    p = torch.softmax(logits.to(torch.float64), 1)
    one_hot = nn.functional.one_hot(targets.to(logits.device), c).to(p.dtype)
    out = {"softmax_only": p / n, "sign": (one_hot - p) / n, "no_mean": p - one_hot,
           "dim0": (torch.softmax(logits.to(torch.float64), 0) - one_hot) / n}
    # a 1 in every row of each class some row targets (one_hot[:, targets] = 1), told from
    # subtracting 1 everywhere only where some class is no row's target
    columns = torch.zeros_like(one_hot)
    columns[:, targets.to(logits.device).unique()] = 1
    if not bool(columns.all()):
        out["columns"] = (p - columns) / n
    return out


def forward_mistakes(state, x):
    """SoftmaxClassifier's logits with no ReLU between the layers ("no_relu"), with a sigmoid
    in its place ("sigmoid"), and with a sigmoid on the input of some of the layers
    ("sigmoid_inputs": ex06's variants.sigmoid_inputs), from the state, on x's device and
    dtype."""
    from grader.checks.ex06_nn_linear.private.variants import sigmoid_inputs
    s = {k: v.to(x.device, x.dtype) for k, v in state.items()}
    h = x @ s["hidden.weight"].T + s["hidden.bias"]
    sizes = (s["hidden.weight"].shape[1], s["hidden.weight"].shape[0], s["output.weight"].shape[0])
    return {"no_relu": h @ s["output.weight"].T + s["output.bias"],
            "sigmoid": torch.sigmoid(h) @ s["output.weight"].T + s["output.bias"],
            "sigmoid_inputs": sigmoid_inputs("ex10", "SoftmaxClassifier", sizes, state, x,
                                             device=x.device)}


def classifier_spec(sizes):
    d, h, c = sizes
    return [["linear", "hidden", d, h], ["relu"], ["linear", "output", h, c]]


def train_variant(sizes, state, x, y, lr, epochs, batch_size, seed, *, zero=True,
                  momentum=0.5, order="loader", average="batches", drop_last=False, backwards=1,
                  probabilities=False):
    """train_classifier with a known mistake: the gradients never zeroed (zero=False), another
    momentum, the batches in another order ("fresh": a new loader each epoch, "in_order": not
    shuffled, "randperm": drawn with torch.randperm), each epoch's loss averaged another way
    ("samples", "sum", "last"), the last batch dropped, or backward() called `backwards` times
    per batch, or the loss taken of the softmax's probabilities, not of the logits
    (probabilities=True). The losses and the parameters after every optimizer step."""
    if (zero, momentum, order, average, drop_last, backwards, probabilities) == \
            (True, 0.5, "loader", "batches", False, 1, False):
        raise ValueError("not a known mistake")
    model = network(classifier_spec(sizes), state, x.device, x.dtype)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    cross_entropy = nn.CrossEntropyLoss()

    def loss_fn(logits, targets):
        return cross_entropy(torch.softmax(logits, dim=1) if probabilities else logits, targets)

    def loader(generator=None, shuffle=True):
        return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                          drop_last=drop_last, generator=generator)
    shared = loader(torch.Generator().manual_seed(seed))
    perm_gen = torch.Generator().manual_seed(seed)
    losses = []
    with record_steps(model) as rec:
        for _ in range(epochs):
            if order == "loader":
                batches = shared
            elif order == "fresh":
                batches = loader(torch.Generator().manual_seed(seed))
            elif order == "in_order":
                batches = loader(shuffle=False)
            elif order == "randperm":
                perm = torch.randperm(len(x), generator=perm_gen).to(x.device)
                batches = [(x[perm[i:i + batch_size]], y[perm[i:i + batch_size]])
                           for i in range(0, len(x), batch_size)]
            else:
                raise ValueError(f"unknown order {order!r}")
            losses.append(epoch_loss(model, loss_fn, opt, batches, zero, average, backwards))
    return {"losses": losses, "steps": rec.trace()}
