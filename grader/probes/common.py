"""Probes every exercise can use."""
import torch


def call_and_args(mod, func, *args, **kwargs):
    """Call mod.func(*args, **kwargs); return the result and the arguments afterwards (so that
    in-place changes and the .grad of leaf tensors can be inspected)."""
    result = getattr(mod, func)(*args, **kwargs)
    return {"result": result, "args": args}


def call_no_grad(mod, func, *args, **kwargs):
    """The call under torch.no_grad() with every input detached: a manual computation must not
    need autograd."""
    args = tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args)
    with torch.no_grad():
        return getattr(mod, func)(*args, **kwargs)


def structure(model):
    """Submodule names and types, parameter names and shapes of an nn.Module."""
    return {
        "modules": [(name, type(m).__name__) for name, m in model.named_modules() if name],
        "parameters": [(name, tuple(p.shape)) for name, p in model.named_parameters()],
        "training": bool(model.training),
    }


def build_model(mod, cls, init_args=(), state=None, device="cpu"):
    """mod.cls(*init_args), its state replaced by `state` (a dict of tensors) when given, moved
    to `device`."""
    model = getattr(mod, cls)(*init_args)
    if state is not None:
        model.load_state_dict(state)
    return model.to(device)


def model_structure(mod, cls, init_args=()):
    return structure(getattr(mod, cls)(*init_args))


def module_run(mod, cls, init_args, state, func, args=(), kwargs=None, device="cpu",
               method=None):
    """Build the model (see build_model), then run `mod.func(model, *args)` (or, with
    `method`, `model.method(*args)`); return the result, the state afterwards, the model's
    structure and whether it ended in training mode."""
    model = build_model(mod, cls, init_args, state, device)
    if method:
        result = getattr(model, method)(*args, **(kwargs or {}))
    else:
        result = getattr(mod, func)(model, *args, **(kwargs or {}))
    return {"result": result, "state": dict(model.state_dict()), "training": model.training,
            "grads": {n: p.grad for n, p in model.named_parameters()}}
