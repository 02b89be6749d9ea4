"""The mistakes of ex06 that its checks name, each with its hint: one table, read by the visible
and the hidden checks alike. The mistakes of a training loop that ex05-ex08 share come from
grader.checks.training."""
from grader.checks.api import (GRADS_DOUBLED, GRADS_DOUBLED_OR_LR, L1_LOSS, LOSS_AFTER_STEP,
                               NO_ZERO_GRAD, STALE_GRADS, SUM_LOSS, ZERO_AFTER_BACKWARD,
                               last_update_missing)

NO_BIAS = "the bias is missing"
STEP_RETURNS_TENSOR = ("train_step returned a tensor: return loss.item(), a Python float (a "
                       "tensor keeps the step's whole graph alive).")
CLIPPED = ("these are the losses of steps whose gradients are clipped to norm 1 "
           "(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)) before the update: the "
           "step uses the gradients as backward() leaves them, with no clipping")
# the known wrong loops of train_step and train, by the name under which
# ex06's private/variants.py runs them
STEP_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                 "zero_after_step": STALE_GRADS, "loss_after_step": LOSS_AFTER_STEP,
                 "backward_twice": GRADS_DOUBLED, "clipped": CLIPPED}
# the losses of a flattened prediction and of a flattened target are the same (the (N, N)
# pairs are the same pairs): the hint says both, as the values cannot tell which
FLAT_TARGET = ("the loss compares a tensor of shape (N, 1) with one of shape (N,): the "
               "prediction or the target was flattened (.squeeze(), .view(-1), .flatten()), "
               "and the losses are the same whichever it was. The two broadcast to (N, N), "
               "every prediction against every target, and the mean is taken over N * N pairs "
               "(PyTorch warns 'Using a target size that is different to the input size'). "
               "Keep both of shape (N, 1), as model(X) and Y are: no .squeeze() or .view(-1) "
               "on either")
PLAIN_SGD = ("train's optimizer is plain SGD, the one make_optimizer(model, lr) builds: no "
             "momentum or other kind there, and no optimizer of train's own")
OWN_MOMENTUM = f"these are the losses of SGD with momentum=0.9: {PLAIN_SGD}"
OWN_ADAM = f"these are the losses of torch.optim.Adam at this lr: {PLAIN_SGD}"
TRAIN_VARIANTS = {"no_zero": NO_ZERO_GRAD, "zero_after_backward": ZERO_AFTER_BACKWARD,
                  "loss_after_step": LOSS_AFTER_STEP, "sum_loss": SUM_LOSS,
                  "backward_twice": GRADS_DOUBLED_OR_LR, "l1_loss": L1_LOSS,
                  "default_momentum": OWN_MOMENTUM, "adam": OWN_ADAM, "clipped": CLIPPED}


def lr_ignored(fixed: float, lr: float, *, train=False) -> str:
    """make_optimizer builds SGD with one lr, `fixed`, whatever lr it is passed."""
    where = "train takes its optimizer from make_optimizer, and " if train else ""
    return (f"{where}make_optimizer builds SGD with lr={fixed:g} whatever lr it is passed "
            f"(lr={lr:g} and lr={2 * lr:g} both give {fixed:g}): use the argument, "
            f"torch.optim.SGD(model.parameters(), lr=lr)")


# learning rates students write in where lr is passed: a run is compared with the runs at these
FIXED_LRS = (0.01, 0.001, 0.1)


def lr_written_in(fixed: float, lr: float) -> str:
    """A run whose every loss is the reference's run at lr=`fixed`, where `lr` was passed."""
    return (f"these are the losses of the run at lr={fixed:g}, where lr={lr:g} is passed: a "
            f"learning rate is written in. Pass the lr argument on: train to "
            f"make_optimizer(model, lr), make_optimizer to torch.optim.SGD(..., lr=lr)")


def optimizer_setting(got: dict, want: dict) -> str | None:
    """The hint for an optimizer of another kind, or with momentum, as the optimizer object
    itself reports (probe ex06.optimizer_info); None where both are as the reference's."""
    plain = "plain SGD is asked: torch.optim.SGD(model.parameters(), lr=lr)"
    if got.get("type") != want.get("type"):
        return f"make_optimizer builds {str(got.get('type')).rsplit('.', 1)[-1]}, where {plain}"
    for g, w in zip(got.get("groups", []), want.get("groups", [])):
        m = g.get("momentum")
        if isinstance(m, (int, float)) and m != w.get("momentum"):
            return f"the optimizer has momentum={m:g}, where {plain} (no momentum)"
    return None


OPTIMIZER_KEPT = ("each call builds a new optimizer with the lr it is given: one kept between "
                  "calls (in a dict by id(model), or made once at the top of the file) hands "
                  "back an old one, with its old lr (and, for a new model whose id is an old "
                  "one's, parameters that are not the model's).")
MODE_KEPT = ("predict must leave the caller's model in the mode it was given: model.eval() "
             "without model.train() after it switches the caller's model (and every "
             "submodule) to eval mode, and a training loop that follows would run in it (dropout "
             "and batch norm off). A prediction needs only torch.no_grad(); where eval() is "
             "wanted, restore the mode: was_training = model.training, model.eval(), ..., "
             "model.train(was_training)")

