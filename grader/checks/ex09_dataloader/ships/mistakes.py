"""The mistakes of ex09 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. An epoch's loss averaged the wrong way is named by
grader.checks.training.LOSS_MISTAKES."""

# the mistakes of a training run seen in its steps: {hint: the keywords of the run with that
# mistake, as private/variants.py computes it}
TRACE_MISTAKES = {
    "the gradients are not zeroed between steps: call optimizer.zero_grad() before "
    "loss.backward() for every batch": dict(zero=False),
    "the gradients are zeroed once per epoch, not per batch: within an epoch each batch's "
    "gradient is added to the earlier batches' (they accumulate); call optimizer.zero_grad() "
    "before loss.backward() for every batch": dict(zero="epoch"),
    "the loss is nn.MSELoss: a classifier of probabilities uses nn.BCELoss()": dict(loss="mse"),
    "the loss is nn.BCEWithLogitsLoss, which applies a second sigmoid: the model already "
    "returns probabilities, so use nn.BCELoss()": dict(loss="logits"),
}
ONE_STEP_PER_EPOCH = "one optimizer step per epoch: step once per batch of the loader"
NOT_A_DATASET = "declare the class as `class CsvDataset(Dataset)`."
HEADER_SKIPPED = "The file has no header line: every row is a sample (skiprows=1 drops one)."
LEN_ONE_SHORT = ("dataset[0] is the file's first row, so every row was read: __len__ gives one "
                 "fewer than the rows it holds (len(self.x) - 1?)")
LABEL_IN_FEATURES = "the label column is among them; the features are every column but the last."
FLAT_LABEL = ("keep its dimension, shape (1,) (slice the last column as data[:, -1:] or "
              "data[:, [-1]]), so that a batch of labels has shape (B, 1) like the model's "
              "output.")
NOT_FLOAT32 = ("keep them float32 (read the file with dtype=np.float32, or convert with "
               ".float()); nn.BCELoss compares float32 probabilities with float32 labels.")
DATA_ON_GPU = ("a Dataset keeps its data on the CPU (the training loop moves each batch where "
               "the model is).")
DROP_LAST = "drop_last=True drops the last, smaller batch: leave it False"
WITH_REPLACEMENT = "sampling with replacement? Every row once per epoch: DataLoader(shuffle=True)"
PAST_THE_ROWS = ("an index below len(dataset) reads past the last row: len(dataset) is more than "
                 "the number of rows (len() counts the samples, self.x.shape[0] or len(self.x), "
                 "not the numbers, numel()), or __getitem__(i) reads a row after row i")
LEN_NUMEL = ("len(dataset) counts the features' numbers, N x D (x.numel()?), which is N only "
             "for one feature: len() is the number of rows (samples), self.x.shape[0] or "
             "len(self.x)")
LEN_COLUMNS = ("len() is the number of rows (samples), self.x.shape[0] or len(self.x); "
               "shape[1] counts the columns")
ONE_ROW = ("a file of one row is not read as one sample of D features: read from such a file, "
           "np.loadtxt (and np.genfromtxt) give a 1-D array of the row's D + 1 numbers, whose "
           "[:, :-1] is not the features. np.loadtxt(path, delimiter=\",\", ndmin=2) keeps "
           "the rows' dimension whatever their number")
SAME_ORDER_EVERY_EPOCH = ("every epoch has the same order; the loader must shuffle anew each "
                          "time it is iterated (DataLoader does, with one generator).")
SEED_IGNORED = "Pass generator=torch.Generator().manual_seed(seed) to the DataLoader."
SHARED_STREAM = ("the second loader draws where the first left off: the loaders share one random "
                 "stream (one generator reseeded by every make_loader, or the global one). Give "
                 "each DataLoader a generator of its own, torch.Generator().manual_seed(seed)")
ORDER_NOT_FROM_SEED = ("the order must come from DataLoader(dataset, batch_size, "
                       "shuffle=shuffle, generator=torch.Generator().manual_seed(seed)) and "
                       "nothing else (not the global random state).")


def one_epoch_only(epochs: int) -> str:
    """The steps of one epoch where `epochs` were asked for."""
    return f"the steps of one epoch only: run all {epochs} epochs"


def rows_shifted(shift: int, n: int) -> str:
    """dataset[i] is the file's row i + shift, on every index asked (modulo the N rows)."""
    signed = f"i {'+' if shift > 0 else '-'} {abs(shift)}"
    first = "the last row" if shift == -1 else f"row {shift % n}"
    return (f"dataset[i] gives the file's row {signed} (dataset[0] gives {first}): the rows are "
            f"shifted by {abs(shift)}; index the data with i itself, self.x[i] (rows count "
            f"from 0)")


SHUFFLED_ANYWAY = ("the loader shuffles though shuffle=False (each epoch comes in a new order): "
                   "is shuffle=True, or a RandomSampler, used whatever shuffle says? Pass it on, "
                   "DataLoader(..., shuffle=shuffle, generator=...)")


def floor_batches(want_losses, n: int, batch_size: int) -> dict:
    """{hint: the run} of an epoch's loss divided by n // batch_size, one fewer than the number
    of batches where the last is smaller; {} where batch_size divides n (the two agree) or no
    batch is full."""
    full, batches = n // batch_size, -(-n // batch_size)
    if full == batches or full == 0:
        return {}
    return {f"each epoch's loss is the sum of its batch losses divided by {full} = N // B, one "
            f"fewer than its {batches} batches: `//` rounds down, and the last, smaller batch "
            f"counts too; divide by the number of batches, len(loader) (or count them)":
            [v * batches / full for v in want_losses]}


PAIR_SWAPPED = ("the pair is (label, features): __getitem__ returns the features first and the "
                "label second, `return self.x[i], self.y[i]`")


def not_reset(want_losses) -> dict:
    """{hint: the run} of an epoch's loss whose running total or batch count is set to 0 once,
    before the epochs, not at the start of each: every batch since the first epoch averaged
    (both kept), the earlier epochs' values added to its own (the total kept), or its own
    value divided by the epoch's number (the count kept). Each epoch has the same batches, so
    the sums follow from the reference's per-epoch means; {} for one epoch (nothing kept)."""
    if len(want_losses) < 2:
        return {}
    sums = [sum(want_losses[:k + 1]) for k in range(len(want_losses))]
    reset = "to 0 at the start of each epoch, inside the loop over the epochs"
    return {
        "each epoch's value is the mean over every batch since the first epoch: the running "
        f"total and the batch count are set to 0 once, before the epochs; set both {reset}":
            [s / (k + 1) for k, s in enumerate(sums)],
        "each epoch's value is the sum of the earlier epochs' values plus its own: the running "
        f"total is set to 0 once, before the epochs; set it {reset}": sums,
        "each epoch's value is its own divided by the epoch's number (1, 2, ...): the batch "
        f"count is set to 0 once, before the epochs; set it {reset}":
            [v / (k + 1) for k, v in enumerate(want_losses)]}
