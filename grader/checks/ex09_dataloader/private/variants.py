"""The known wrong mini-batch loops of ex09 (train_minibatch), run in the grading process on the
network the check describes (grader.sandbox.inside.probes.common.network) with the loader the probe builds."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks.api import network, record_steps

LOSSES = {"bce": nn.BCELoss, "mse": nn.MSELoss, "logits": nn.BCEWithLogitsLoss}
AVERAGES = ("batches", "samples", "sum", "last", "last_over_batches")


def train_variant(spec, state, x, y, lr, epochs, batch_size, seed, *, zero=True, loss="bce",
                  average="batches"):
    """train_minibatch with a known mistake: the gradients never zeroed (zero=False) or zeroed
    once per epoch only (zero="epoch"), another
    loss ("mse", "logits"), or each epoch's loss averaged another way ("samples": weighted by
    the batch sizes, "sum", "last", "last_over_batches": the last batch's loss divided by the
    number of batches). The losses per epoch and the parameters after every
    optimizer step."""
    if (zero, loss, average) == (True, "bce", "batches") or loss not in LOSSES \
            or average not in AVERAGES:
        raise ValueError(f"not a known mistake: zero={zero!r}, loss={loss!r}, "
                         f"average={average!r}")
    model = network(spec, state, x.device, x.dtype)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn = LOSSES[loss]()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    with record_steps(model) as rec:
        for _ in range(epochs):
            losses.append(epoch_loss(model, loss_fn, opt, loader, zero, average))
    return {"losses": losses, "steps": rec.trace()}


def epoch_loss(model, loss_fn, opt, batches, zero, average, backwards=1) -> float:
    """One epoch of mini-batch SGD over `batches` (zero_grad before backward where `zero` is
    True, once before the epoch where it is "epoch"; backward() called `backwards` times per batch); the epoch's loss averaged as
    `average` says (see AVERAGES)."""
    values, sizes = [], []
    if zero == "epoch":
        opt.zero_grad()
    for xb, yb in batches:
        value = loss_fn(model(xb), yb)
        if zero is True:
            opt.zero_grad()
        for k in range(backwards):
            value.backward(retain_graph=k < backwards - 1)
        opt.step()
        values.append(value.item())
        sizes.append(len(xb))
    return {"batches": sum(values) / len(values),
            "samples": sum(v * s for v, s in zip(values, sizes)) / sum(sizes),
            "sum": sum(values), "last": values[-1],
            "last_over_batches": values[-1] / len(values)}[average]
