"""Probes every exercise can use, and the network a check describes as plain data."""
import torch
from torch import nn


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


_getattribute = object.__getattribute__
_Module = nn.Module
_bases_of = type.__dict__["__bases__"].__get__


def inherits(cls, base) -> bool:
    """Whether class `cls` derives from `base` by its class statements (its bases, followed),
    whatever a metaclass's mro() or __instancecheck__ claims: a fact read past the class."""
    seen, todo = set(), [cls]
    while todo:
        c = todo.pop()
        if c is base:
            return True
        if id(c) not in seen:
            seen.add(id(c))
            todo.extend(_bases_of(c))
    return False


def _registry(m, which):
    """A module's own registry (`_modules` or `_parameters`), read past any method or property
    its class defines: what the module really holds, whatever named_modules() says."""
    try:
        found = _getattribute(m, "__dict__").get(which)
    except AttributeError:
        found = None
    return found if type(found) is dict else {}


def walk(model, prefix=""):
    """(name, module) of every module under `model`, as named_modules() would list them, read
    from the modules' registries (a class that overrides named_modules cannot change it)."""
    out, seen, stack = [], set(), [(prefix, model)]
    while stack:
        name, m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        out.append((name, m))
        children = [(f"{name}.{k}" if name else k, c) for k, c in _registry(m, "_modules").items()
                    if c is not None]
        stack.extend(reversed(children))
    return out


def parameters(model):
    """(name, parameter) of every parameter, as named_parameters() lists them, from the
    registries."""
    out, seen = [], set()
    for name, m in walk(model):
        for k, p in _registry(m, "_parameters").items():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                out.append((f"{name}.{k}" if name else k, p))
    return out


# torch's own classes, taken before any student code runs: a type is named by what it is, not
# by the name it gives itself (a class of hers called Linear, or with torch's __module__)
_mro = type.__dict__["__mro__"].__get__
_TORCH_CLASSES = {c for space in (torch.nn, torch.optim) for c in vars(space).values()
                  if isinstance(c, type)}


def torch_class(cls):
    """The torch class `cls` is, or derives from (nn.Linear, torch.optim.SGD); None for a class
    of her own that derives from none but nn.Module (or Optimizer) itself."""
    for base in _mro(cls) if isinstance(cls, type) else ():   # type's own: a metaclass of
        # hers cannot answer for it
        if base in _TORCH_CLASSES and base not in (torch.nn.Module, torch.optim.Optimizer):
            return base
    return None


def type_name(obj) -> str:
    """'Linear' for an nn.Linear (or a subclass of it); 'Linear (a class of its own)' for a
    class of hers that only calls itself so."""
    found = torch_class(type(obj))
    return found.__name__ if found is not None else f"{type(obj).__name__} (a class of its own)"


def structure(model):
    """Submodule names and types, parameter names and shapes, and parameter names and dtypes
    (as "float32", whatever the device) of an nn.Module, read from its registries (see walk)."""
    return {
        "modules": [(name, type_name(m)) for name, m in walk(model) if name],
        "parameters": [(name, tuple(p.shape)) for name, p in parameters(model)],
        "dtypes": [(name, str(p.dtype).replace("torch.", "")) for name, p in parameters(model)],
        "training": bool(model.training),
    }


# the first words of the error load_state raises
LAYOUT_ERROR = "the model's parameters are not laid out as the exercise asks"


class LayoutMismatch(RuntimeError):
    """load_state's error. The worker reports it as its own kind of error ("layout"), which
    no submission can raise: its class is held apart from the submission (the worker finds it
    through its own references, not sys.modules), so a student's message that merely reads
    like it is never taken for it."""


def load_state(model, state):
    """model.load_state_dict(state), whose failure (missing or unexpected keys, a size
    mismatch) says which parameter names and shapes the contract asks for and which the
    model has."""
    try:
        _Module.load_state_dict(model, state)
    except RuntimeError as err:
        if "state_dict" not in str(err):
            raise

        def shapes(named):
            return ", ".join(f"{n} {tuple(t.shape)}" for n, t in named) or "none"
        raise LayoutMismatch(
            f"{LAYOUT_ERROR}: it asks for {shapes(state.items())}; "
            f"{type(model).__name__} has {shapes(_Module.state_dict(model).items())}") from None


def build_model(mod, cls, init_args=(), state=None, device="cpu"):
    """mod.cls(*init_args), its state replaced by `state` (a dict of tensors) when given, moved
    to `device`."""
    model = getattr(mod, cls)(*init_args)
    if state is not None:
        load_state(model, state)
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
    return {"result": result, "state": dict(_Module.state_dict(model)),
            "training": model.training, "grads": {n: p.grad for n, p in parameters(model)}}


ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu}


class Network(nn.Module):
    """A model laid out by a plain-data description (see `network`); it has no architecture of
    its own: the check that sends the description decides every layer."""

    def __init__(self, spec):
        super().__init__()
        self._order = []
        for entry in spec:
            kind, *rest = entry
            if kind == "linear":
                name, fan_in, fan_out = rest
                self._order.append(_attach(self, str(name), nn.Linear(int(fan_in), int(fan_out))))
            elif kind in ACTIVATIONS:
                self._order.append(ACTIVATIONS[kind])
            else:
                raise ValueError(f"unknown layer kind {kind!r}")

    def forward(self, x):
        for step in self._order:
            x = step(x)
        return x


def _attach(root, name, layer):
    """Register `layer` under a dotted name ("linear", "layers.0"), making containers on the way,
    so that the parameters carry the names the description gives."""
    *path, last = name.split(".")
    parent = root
    for part in path:
        if part not in parent._modules:
            parent.add_module(part, nn.Module())
        parent = parent._modules[part]
    parent.add_module(last, layer)
    return layer


def network(spec, state=None, device="cpu", dtype=None):
    """The model `spec` describes, its state replaced by `state` when given, on `device` (and in
    `dtype` when given). `spec` is a list of layers applied in turn: ["linear", name, in, out]
    (an nn.Linear registered as `name`, so its parameters are name.weight and name.bias) or an
    activation, ["sigmoid"] or ["relu"]. For example [["linear", "linear", 2, 1], ["sigmoid"]]."""
    model = Network(spec)
    if state is not None:
        model.load_state_dict(state)
    return model.to(device=device, dtype=dtype)
