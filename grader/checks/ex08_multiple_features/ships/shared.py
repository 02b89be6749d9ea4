"""What the visible and the hidden checks of ex08 share."""


def layer_shapes(sizes):
    """The parameters of DeepBinaryClassifier(sizes), [(name, shape)], in order."""
    shapes = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes += [(f"layers.{k}.weight", (b, a)), (f"layers.{k}.bias", (b,))]
    return shapes


def deep_spec(sizes):
    """DeepBinaryClassifier(sizes)'s layout as plain data: the model train_full_batch is run on
    (grader.sandbox.inside.probes.common.network)."""
    spec = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        spec += [["linear", f"layers.{k}", a, b], ["sigmoid"]]
    return spec
