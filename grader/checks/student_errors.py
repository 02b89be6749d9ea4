"""What a failing training call of a student's says (ex04-ex12), where a condition shows it: a
parameter rebound by its update (the worker saw the name hold another tensor), a graph used
twice, a model whose parameters are not laid out as the contract asks, an in-place change of a
leaf with autograd on; and the parameters that come back as they started.

    with naming_rebound("fit(x, y, lr=0.1, 20, seed=0)", hints.REBOUND):
        got = sub.call("ex05.fit", x, y, 0.1, 20, 0)

Trusted side only; each fails with grader.engine.compare.fail (a CheckFailure)."""
from __future__ import annotations

import re
from contextlib import contextmanager

from grader.engine.compare import fail
from grader.sandbox import StudentError
from grader.sandbox.protocol import meta


def never_moved_hint(what: str, p: str) -> str:
    """The hint for a hand-written update whose parameters come back as they started (the run
    of gradients zeroed before the update). Two mistakes give these very values, so both are
    said: the update made on a new tensor (`p = p - lr * p.grad` in a loop over the parameters
    rebinds the loop's name, and no error follows), and an update that subtracts lr * 0."""
    return (f"the {what} never move: they come back as they started, and every step's loss is "
            f"the first one. Either the update never reaches them (it is missing, or `{p} = {p} - "
            f"lr * {p}.grad` makes a new tensor and leaves the parameter as it was: update it "
            f"in place, "
            f"`{p} -= lr * {p}.grad` inside torch.no_grad()); or it subtracts lr * 0: the "
            f"gradients are zeroed between backward() and the update (zero them after it).")


STATE_LAYOUT = ("the checks load their parameters into your model by name "
                "(model.load_state_dict): give it exactly the attributes the docstring names, "
                "with those shapes (self.linear = nn.Linear(D, 1) holds linear.weight (1, D) "
                "and linear.bias (1,)). An nn.Sequential names its layers 0, 1, ...: assign each "
                "layer to its named attribute instead, or wrap the Sequential only where the "
                "docstring does.")


def named_student_error(err: StudentError) -> str | None:
    """The hint for a failure of the student's code that names its own mistake, or None: a
    model whose parameters are not laid out as the contract asks (grader.sandbox.inside.probes.common's
    load_state raised it: the worker says so by the error's kind, "layout", never by its text,
    which the student's own exception could copy)."""
    return STATE_LAYOUT if err.kind == "layout" else None


def rebound_parameter(name: str) -> str:
    """The hint for a parameter rebound by its update (`name = name - lr * name.grad`)."""
    return (f"`{name} = {name} - lr * {name}.grad` rebinds the name {name} to a new tensor "
            f"instead of updating the parameter: the new {name} is no leaf (its .grad stays "
            f"None) or, made under torch.no_grad(), does not require grad, so the next step "
            f"fails. Update in place, with autograd off: `with torch.no_grad(): {name} -= lr * "
            f"{name}.grad`, then zero {name}.grad.")


@contextmanager
def naming_rebound(call: str, hint: str):
    """Within it, a failure of the student's call is named as a rebound parameter when the
    worker saw one, by identity: a local name that held the parameter (a leaf tensor that
    requires grad) held another tensor when the call failed (StudentError.rebound). The error's
    text alone never names it: a .grad that is None because it was zeroed before the first
    backward() reads the same. `hint` is the text for the parameter it names; another
    parameter rebound is named by its own name.

        with naming_rebound(call, hints.REBOUND):
            got = sub.call("ex05.fit", x, y, lr, iters, seed)
    """
    try:
        yield
    except StudentError as err:
        if err.kind == "exception" and err.rebound:
            name = next((n for n in err.rebound if hint == rebound_parameter(n)), None)
            fail(err.describe(call), hint=hint if name else rebound_parameter(err.rebound[0]),
                 measured=True)
        if err.kind == "exception" and GRAPH_TWICE_ERROR in str(err):
            fail(err.describe(call), hint=GRAPH_USED_TWICE)   # read from the text: not counted
        raise


GRAPH_TWICE_ERROR = "Trying to backward through the graph a second time"
GRAPH_USED_TWICE = ("backward() went through the same graph twice: the loss, or the prediction "
                    "it comes from, was computed once and used again (before the loop, say), or "
                    "backward() runs twice in a step. Compute the prediction and the loss anew "
                    "in every step, from the current parameters; retain_graph=True, as "
                    "PyTorch's message suggests, would only hide it")


def inplace_leaf_hint(err: StudentError, call: str):
    """Re-raise autograd's complaint about an in-place change of a leaf as a teaching message."""
    text = str(err)
    if "leaf Variable that requires grad" in text or "a leaf Variable" in text:
        fail(f"{call}: {text}\n  hint: the update ran with autograd on: wrap it in "
             f"`with torch.no_grad():` (a parameter that requires grad may only be changed in "
             f"place while autograd is off).")
    raise err


# autograd's node for an operation that makes a tensor from another one: what a student wrote
_MADE_BY = {"SplitBackward0": "split()", "SplitWithSizesBackward0": "split()",
            "UnbindBackward0": "unbind()", "SelectBackward0": "indexing ([i])",
            "SliceBackward0": "slicing ([i:j])", "ViewBackward0": "view() or reshape()",
            "ToCopyBackward0": ".to(device) or a dtype change",
            "UnsafeViewBackward0": "view() or reshape()", "MulBackward0": "a product (*)",
            "AddBackward0": "a sum (+)", "SubBackward0": "a difference (-)",
            "DivBackward0": "a division (/)"}


def assert_made_leaf(t, *, call: str, name: str):
    """t, made by a function that creates parameters (no update runs there), must be a leaf
    that requires grad. Where it has a grad_fn, the message says what that node shows: the
    tensor was made by an operation of another tensor that already required grad."""
    m = meta(t)
    if m is None or (m.grad_fn is None and m.is_leaf):
        return
    node = str(m.grad_fn)
    op = _MADE_BY.get(node, f"the operation of autograd's node {node}")
    fail(f"{call}: {name} is not a leaf tensor (grad_fn={node}).",
         f"{name} was made by {op} from a tensor that already required grad, so it is a "
         f"result of that tensor, not a leaf of its own, and backward() leaves its .grad None. "
         f"Call requires_grad_() last, on each tensor in its final form (after the draw, "
         f".to(device), split or indexing)")


# PyTorch's words for a matrix product of two dtypes: x @ W.T with x (mat1) and the weight (mat2)
_MATMUL_DTYPES = re.compile(r"mat1 and mat2 must have the same dtype, but got (\w+) and (\w+)")
FLOAT64_PARAMETERS = ("x is float32 and the layer's weight float64 (PyTorch's 'mat1 and mat2 "
                      "must have the same dtype, but got Float and Double'): keep the parameters "
                      "as nn.Linear makes them, float32 (no .double() or dtype=torch.float64 in "
                      "__init__)")


@contextmanager
def naming_float64_weights(call: str, x):
    """Within it, a forward pass on a float32 `x` that fails because a layer's weight is
    float64 (x @ W.T of Float and Double, in PyTorch's words; read from the text, so a hint
    only, never counted) is named."""
    try:
        yield
    except StudentError as err:
        m = _MATMUL_DTYPES.search(str(err)) if err.kind == "exception" else None
        if m and m.groups() == ("Float", "Double") and getattr(x, "dtype", None) is not None \
                and str(x.dtype) == "torch.float32":
            fail(err.describe(call), hint=FLOAT64_PARAMETERS)
        raise


BCE_TARGET_ERROR = "all elements of target should be between 0 and 1"
BCE_ARGUMENTS_SWAPPED = ("BCELoss's target, its second argument, held values outside [0, 1] (or "
                         "NaN), while the labels y given are all 0 or 1: the target it got is "
                         "not y. Are the arguments swapped? They come in the order (prediction, "
                         "target): loss_fn(model(x), y), not loss_fn(y, model(x))")


@contextmanager
def naming_bce_target(call: str, y):
    """Within it, a failure that PyTorch words as BCELoss's target outside [0, 1], where the
    labels `y` the check gives are all 0 or 1, is named: the target given was not y (the
    arguments swapped). Read from the text, so a hint only, never counted."""
    try:
        yield
    except StudentError as err:
        labels = getattr(y, "detach", None) is not None and bool(((y == 0) | (y == 1)).all())
        if err.kind == "exception" and BCE_TARGET_ERROR in str(err) and labels:
            fail(err.describe(call), hint=BCE_ARGUMENTS_SWAPPED)
        raise
