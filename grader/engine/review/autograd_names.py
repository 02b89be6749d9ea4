"""The names of autograd, as the review reads them: the manual functions CURRICULUM.md names,
autograd's modules and the graph's parts, and text that names them or holds code reaching them.

    _names_autograd("0.grad_fn")                   # True: a path through the graph
    _code_reaching_autograd("torch.autograd.grad(y, x)")   # True: code written as text
"""
from __future__ import annotations

import ast
import re
import textwrap

# CURRICULUM.md's manual functions, by exercise
MANUAL = {"ex02": ("gradient", "sample_gradient", "gradient_descent",    # "by hand"
                   "stochastic_gradient_descent"), "ex03": ("analytic_grad_of_mean",),
          "ex04": ("backward_steps", "affine_backward_steps", "quadratic_grads"),
          "ex07": ("sigmoid", "bce_loss", "bce_grad_logits"),
          "ex10": ("softmax", "cross_entropy", "cross_entropy_grad"),
          "ex11": ("poly_grads", "fit_numpy"), "ex12": ("poly_grads_tensor", "fit_tensor")}
# the functions whose gradients CURRICULUM.md and their docstrings say come from autograd
# (backward() or torch.autograd.grad on a fresh leaf copy of the input; a training loop's
# loss.backward()): a call whose answer is not what autograd's engine computed on the call's
# own data (the input, the parameters it trains) has not done the work
USES_AUTOGRAD = {"ex03": ("grad_of_mean", "intermediate_grads", "accumulated_grad"),
                 "ex04": ("train_autograd", "train_quadratic"), "ex05": ("fit",),
                 "ex06": ("train_step", "train"), "ex07": ("train_logistic",),
                 "ex08": ("train_full_batch",), "ex09": ("train_minibatch",),
                 "ex10": ("train_classifier",), "ex12": ("fit_autograd", "fit_optim")}
# their count parameters: given 0, the call is asked for no backward pass
COUNTS = frozenset({"times", "epochs", "iters", "steps", "n_iter"})
# what reaches autograd, by the dotted names the review resolves (a prefix covers what is
# under it, also where a library re-exports it: torch.nn.functional.torch.autograd.grad), and
# what under them only turns it off, or only makes a tensor
AUTOGRAD = ("torch.autograd", "torch.func", "functorch", "torch._functorch", "torch.enable_grad",
            "torch.set_grad_enabled", "torch.jit", "torch.compile", "torch.ops", "torch._C",
            "torch.library", "torch._dynamo", "torch.nn.utils.stateless", "torch.Tensor.backward",
            "torch.fx.experimental.proxy_tensor", "torch.export", "torch._higher_order_ops",
            "torch.nn.grad")      # conv backward formulas, public (round 15's F21-F23)
TURNS_OFF = ("torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad",
             "torch.autograd.inference_mode", "torch.autograd.grad_mode.inference_mode",
             "torch.no_grad", "torch.inference_mode")
SWITCHES = ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled",
            "torch.autograd.grad_mode.set_grad_enabled")     # off with a literal False
MAKERS = ("torch.autograd.Variable", "torch.autograd.variable.Variable")   # called: a tensor
METHODS = frozenset({"backward", "retain_grad"})   # on a tensor of the student's own
# a tensor's graph, whose nodes run a backward step when called (out.grad_fn(g)): no engine,
# no grad mode, so out of the worker's watch
GRAPH = frozenset({"grad_fn", "next_functions", "_saved_tensors", "saved_tensors",
                   "register_hook", "register_prehook", "_raw_saved_self",
                   "_execution_engine", "run_backward", "_engine_run_backward",
                   "queue_callback"})     # and the engine's own methods, on any class
# what finds a derivative for you without autograd (symbolic and numerical differentiation,
# complex steps, number types of her own) is judged by what it is: grader.engine.review.by_hand
# what the worker's watch sees when a manual function is called with autograd off (grad mode
# turned on again, the engine's backward in any thread, forward mode's dual tensors): left to
# it, so that honest code that only names them (a branch not taken, isinstance(x, Variable),
# set_grad_enabled(flag)) is not flagged. Past it, and read here: the engine's private parts,
# TorchScript, compilers and tracers, aten by name, the graph's nodes, names made at run time.
WATCHED = ("torch.autograd", "torch.func", "functorch", "torch.enable_grad",
           "torch.set_grad_enabled", "torch.Tensor.backward")
# what starts code that runs beside a call: threads and processes, and what runs what it is
# given in one (an executor's submit, a pool's apply_async)
THREADS = ("threading.Thread", "threading.Timer", "_thread.start_new_thread",
           "_thread.start_new", "multiprocessing.Process", "multiprocessing.context.Process")
POOLS = frozenset({"submit", "apply_async", "map_async", "starmap_async", "run_in_executor"})
# what looks up an attribute by a path written as text, in a library: string.Formatter's
# get_field("0.grad_fn"), a template's expression (round 14's F05, F16: the graph's nodes
# reached so, in a thread, out of every sight)
BY_PATH = ("string.Formatter", "_string", "jinja2", "mako", "glom", "jmespath", "pydash",
           "dpath", "operator.attrgetter", "inspect.getattr_static")
# what reads or calls an attribute by a name given as a value
BY_NAME = frozenset({"builtins.getattr", "builtins.setattr", "builtins.delattr",
                     "builtins.hasattr", "operator.attrgetter", "operator.methodcaller"})
ROOTS = ("torch", "functorch")     # where a re-exported dotted name starts again
def _under(origin: str, prefixes) -> bool:
    return any(origin == p or origin.startswith(p + ".") for p in prefixes)


def _spellings(origin: str) -> list[str]:
    """The dotted name, and each tail of it that starts again at torch or functorch (a module
    a library re-exports: torch.nn.functional.torch.autograd.grad), and what it names where
    the trusted side has that module loaded (np.torch: torch, when a student binds it so),
    read without running a module's __getattr__ (modules only: a function's own __module__
    may be torch._C's for a public one)."""
    parts = origin.split(".")
    out = [".".join(parts[i:]) for i, p in enumerate(parts) if i == 0 or p in ROOTS]
    import inspect
    import sys
    obj = sys.modules.get(parts[0])
    if obj is None:
        return out
    for i, part in enumerate(parts[1:], 1):
        try:
            obj = inspect.getattr_static(obj, part)
        except (AttributeError, Exception):   # noqa: BLE001 - a name the module lacks
            return out
        if not inspect.ismodule(obj):   # (a function's __module__ may be torch._C's own)
            return out
        if isinstance(getattr(obj, "__name__", None), str):
            out.append(".".join([obj.__name__] + parts[i + 1:]))
    return out


def _names_autograd(text: str) -> bool:
    """A name of autograd's: a tensor's method (backward), the graph's (grad_fn), or a dotted
    name under autograd's modules (torch.autograd.grad); also as a part of a path written as
    text ("0.grad_fn", "o.grad_fn.next_functions", "x['grad_fn']": round 14's F05, F16)."""
    parts = set(re.split(r"[^A-Za-z0-9_]+", text)) if len(text) <= 200 else set()
    return text in METHODS or text in GRAPH or _under(text, AUTOGRAD) and "." in text or \
        bool(parts & (METHODS | GRAPH)) and len(parts) > 1


_CODE_WORDS = re.compile(r"backward|grad_fn|next_functions|autograd|_execution_engine|_C\.|"
                         r"functorch|\bfunc\.|jvp|vjp|make_fx|_dynamo")


def _code_reaching_autograd(text: str) -> bool:
    """Whether a string is Python code that reaches autograd ("torch.autograd.grad(y, x)",
    "Variable._execution_engine.run_backward(...)"): whatever runs it (a code printer, a
    template, a library that compiles text), the text is the work."""
    if not text or len(text) > 20_000 or not _CODE_WORDS.search(text):
        return False
    try:
        tree = ast.parse(textwrap.dedent(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in GRAPH | METHODS:
            return True
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            dotted = ast.unparse(node) if len(text) < 5000 else ""
            if re.fullmatch(r"[\w.]+", dotted) and any(
                    _under(n, AUTOGRAD) for n in _spellings(dotted)):
                return True
    return False
