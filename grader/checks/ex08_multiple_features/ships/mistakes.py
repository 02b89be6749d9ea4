"""The mistakes of ex08 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a training loop that ex05-ex08 share come from
grader.checks.training."""
from grader.checks.api import (GRADS_DOUBLED_OR_LR, LOSS_AFTER_STEP, NO_ZERO_GRAD,
                               SIGMOID_TWICE, SUM_LOSS, ZERO_AFTER_BACKWARD)

Y_FLAT = ("Keep y two-dimensional, (N, 1): slice the last column with -1:, or "
          ".reshape(-1, 1).")
X_HOLDS_LABEL = "x holds every column but the last (the label)."
HEADER_SKIPPED = ("one row short: the file has no header line, every row is a sample "
                  "(skiprows=1 drops the first one)")
X_FROM_SECOND_COLUMN = ("x starts at the second column and ends with the label: data[:, 1:] "
                        "where data[:, :-1] (every column but the last) is meant")
ONE_ROW = ("a file of one row is not read as one sample of D features: read from such a file, "
           "np.loadtxt (and np.genfromtxt) give a 1-D array of the row's D + 1 numbers, whose "
           "[:, :-1] is not the features. np.loadtxt(path, delimiter=\",\", ndmin=2) keeps "
           "the rows' dimension whatever their number")
NOT_TENSORS = "convert with torch.from_numpy(...) or torch.tensor(...)."
FEATURES = 8   # diabetes.csv's features: the count a student may write in


def fixed_width(got, rows):
    """The hint for x read as the file's first FEATURES columns whatever its width, or None:
    x is rows[:, :8] (every column, the label too, of a narrower file; too few features of a
    wider one) where D = rows.shape[1] - 1 are asked. Asked where diabetes.csv (9 columns)
    was read right, so that its 8 columns are the 8 features there."""
    import numpy as np
    import torch
    if not (isinstance(got, (tuple, list)) and got and isinstance(got[0], torch.Tensor)):
        return None
    width, k = rows.shape[1], min(FEATURES, rows.shape[1])
    x = got[0].detach().cpu().double()
    if k == width - 1 or tuple(x.shape) != (rows.shape[0], k) or not np.allclose(
            x.numpy(), rows[:, :k], rtol=1e-6, atol=1e-7):
        return None
    here = "all of them, the label too" if k == width else f"{k} of its {width - 1} features"
    return (f"x holds a file's first {FEATURES} columns whatever its width: on diabetes.csv "
            f"(9 columns) its {FEATURES} features, on this file of {width} columns {here}. "
            f"The number of features is written in (data[:, :{FEATURES}]?): take every column "
            f"but the last, data[:, :-1]")
SIZES_IGNORED = ("the sizes argument is not used: given other sizes, the model builds the default "
                 "model's layers. Make one nn.Linear(sizes[i], sizes[i + 1]) per consecutive "
                 "pair of the sizes passed in (zip(sizes[:-1], sizes[1:]))")


def sizes_of(structure) -> tuple | None:
    """The sizes (in, hidden..., out) of the chain of nn.Linear layers a module's structure
    (grader.sandbox.inside.probes.common.structure) holds in `layers`, each layers.i an
    nn.Linear whose input is the previous one's output; None where it holds anything else."""
    import re
    if not isinstance(structure, dict):
        return None
    modules = [tuple(m) for m in structure.get("modules", [])]
    params = [(n, tuple(s)) for n, s in structure.get("parameters", [])]
    layers = [m for m in modules if m[0] != "layers"]
    if not layers or ("layers", "ModuleList") not in modules \
            or layers != [(f"layers.{i}", "Linear") for i in range(len(layers))] \
            or len(params) != 2 * len(layers):
        return None
    sizes = []
    for i in range(len(layers)):
        (wn, ws), (bn, bs) = params[2 * i], params[2 * i + 1]
        if (wn, bn) != (f"layers.{i}.weight", f"layers.{i}.bias") or len(ws) != 2 \
                or bs != ws[:1] or not re.fullmatch(r"\d+", str(ws[0])):
            return None
        if sizes and sizes[-1] != ws[1]:
            return None
        sizes = sizes or [ws[1]]
        sizes.append(ws[0])
    return tuple(int(v) for v in sizes)


PLAIN_LIST = ("the model has no parameters: layers kept in a plain Python list are not "
              "registered as submodules. Keep them in nn.ModuleList([...]) as self.layers.")
# the usual wrong forward passes, by the key under which private/variants.py computes them
FORWARD_HINTS = {
    "no_last_sigmoid": "the last layer has no sigmoid: the output must be a probability, "
                       "sigmoid(layers[-1](h))",
    "relu_hidden": "the hidden layers use ReLU: every layer here is followed by a sigmoid",
    "last_sigmoid_only": "only the last layer has a sigmoid: apply one after every layer",
}
MEAN_TWICE_LOSS = ("the loss is divided by N = len(x) once more: nn.BCELoss() already takes the "
                   "mean over the samples, so the recorded losses and every step are 1/N as big")
# train_full_batch's known wrong loops, by the name under which ex06's private/variants.py
# runs them
SGD_ASKED = "train_full_batch uses plain SGD, torch.optim.SGD(model.parameters(), lr=lr)"
TRAIN_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                  "loss_after_step": LOSS_AFTER_STEP, "sum_loss": SUM_LOSS,
                  "sigmoid_twice": SIGMOID_TWICE, "mean_twice": MEAN_TWICE_LOSS,
                  "backward_twice": GRADS_DOUBLED_OR_LR,
                  "default_momentum": f"these are the losses of SGD with momentum=0.9: {SGD_ASKED}"
                                      f", no momentum",
                  "adam": f"these are the losses of torch.optim.Adam at this lr: {SGD_ASKED}"}


def forward_mistakes(outputs):
    """{key: output} of the wrong forward passes -> {hint: output}."""
    return {FORWARD_HINTS[k]: v for k, v in outputs.items()}
