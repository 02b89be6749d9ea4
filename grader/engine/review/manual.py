"""The manual functions of a file, read as text: a function CURRICULUM.md calls manual computes
its answer without autograd ("manual" means no autograd), and nothing it reaches may use it.

The worker watches a manual call as it runs (grader.sandbox.inside.probes.guard), but a watch
inside the worker is a fact the submission's own process measures: autograd reached through a
name it does not wrap (the engine's C method, an aten operator by name, a TorchScript function)
is out of its sight. Here, on the trusted side, every name a manual function reaches is
resolved (its own body, and the file's functions, classes and module-level values it names, and
theirs in turn): one that is autograd's (torch.autograd but no_grad, torch.func, functorch,
enable_grad, TorchScript, torch.compile, aten operators by name, .backward()) is a finding on
its line, and the manual checks of that exercise are withheld for review
(grader.engine.result.withhold_facts: a manual call reads the fact "no autograd").
"""
from __future__ import annotations

import ast

from grader.exercises import EXERCISES

# CURRICULUM.md's manual functions, by exercise
MANUAL = {"ex02": ("gradient", "sample_gradient"), "ex03": ("analytic_grad_of_mean",),
          "ex04": ("backward_steps", "affine_backward_steps", "quadratic_grads"),
          "ex07": ("sigmoid", "bce_loss", "bce_grad_logits"),
          "ex10": ("softmax", "cross_entropy", "cross_entropy_grad"),
          "ex11": ("poly_grads",), "ex12": ("poly_grads_tensor", "fit_tensor")}
# what reaches autograd, by the dotted names the review resolves (a prefix covers what is
# under it), and what under them only turns it off
AUTOGRAD = ("torch.autograd", "torch.func", "functorch", "torch._functorch", "torch.enable_grad",
            "torch.set_grad_enabled", "torch.jit", "torch.compile", "torch.ops", "torch._C",
            "torch.library", "torch._dynamo", "torch.nn.utils.stateless", "torch.Tensor.backward")
TURNS_OFF = ("torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad",
             "torch.autograd.inference_mode", "torch.autograd.grad_mode.inference_mode")
METHODS = frozenset({"backward", "retain_grad"})   # on a tensor of the student's own
MAX_NODES = 200_000


class _Manual:
    """The review's pass over a file's manual functions (see the module's docstring). In a
    module of the student's own (utils.py), the functions an exercise's manual function
    reaches are its manual functions (`manual_roots`, set by review_own_modules; "*": all)."""

    manual_roots = None

    def _manual_names(self) -> tuple:
        if self.manual_roots is not None:
            if "*" in self.manual_roots:
                return tuple(self.module.bound)
            return tuple(sorted(self.manual_roots))
        ex = self.file[:4]
        return MANUAL.get(ex, ()) if ex in EXERCISES and \
            self.file.startswith(EXERCISES[ex]) else ()

    def _manual_reach(self, names):
        """Every node the manual functions `names` reach in this file (their bodies, and the
        file's functions, classes and module-level values they name, in turn)."""
        bound = self.module.bound
        todo = [value for name in names for how, value, _ in bound.get(name, ())[:5]
                if how in ("def", "class") or how == "expr" and value is not None]
        seen, count = set(), 0
        while todo and count < MAX_NODES:
            root = todo.pop()
            if id(root) in seen:
                continue
            seen.add(id(root))
            for node in ast.walk(root):
                count += 1
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    for how, value, _ in bound.get(node.id, ())[:5]:
                        if how in ("def", "class") or how == "expr" and value is not None:
                            todo.append(value)
                yield node

    def _check_manual(self):
        names = self._manual_names()
        shown = ", ".join(names[:4]) + (", ..." if names[4:] else "")
        reported = set()
        for node in self._manual_reach(names):
            what = self._autograd(node)
            if what and node.lineno not in reported:   # a chain's outermost name only
                reported.add(node.lineno)
                self.report(node, f"a manual function ({shown}) reaches autograd ({what})")

    def own_reached(self, own) -> set:
        """(module, name) of each name of the student's own modules `own` that the manual
        functions reach ("*" for the module itself, passed as a value)."""
        out, inner = set(), set()
        for node in self._manual_reach(self._manual_names()):
            if isinstance(node, ast.Attribute):    # a chain's outermost name only: utils.f,
                inner.add(id(node.value))          # not utils itself
            if not isinstance(node, (ast.Name, ast.Attribute)) or id(node) in inner:
                continue
            origin = self.origin(node, self.scope_of.get(id(node), self.module))
            if isinstance(origin, str) and origin.split(".")[0] in own:
                module, _, rest = origin.partition(".")
                out.add((module, rest.split(".")[0] or "*"))
        return out

    def _autograd(self, node) -> str:
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return ""
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if isinstance(origin, str) and origin != "?":
            if any(origin == p or origin.startswith(p + ".") for p in AUTOGRAD) and \
                    not any(origin == p or origin.startswith(p + ".") for p in TURNS_OFF):
                return origin if len(origin) <= 60 else origin[:57] + "..."
        if isinstance(node, ast.Attribute) and node.attr in METHODS and origin in (None, "?"):
            return f".{node.attr}()"
        return ""


def review_own_modules(exercises: dict, modules: dict) -> list:
    """The findings of the student's own modules (`modules`: {module name: bytes}, staged
    beside the exercise files `exercises`: {file name: bytes}): each reviewed as every file is,
    and read for autograd wherever an exercise's manual function reaches into it (through
    other own modules too), so that a manual function cannot hand its work to utils.py."""
    from grader.engine.review.scan import reach_of, scan_source
    own = frozenset(modules)
    roots = {m: set() for m in own}
    todo = []
    for name, data in sorted(exercises.items()):
        todo += reach_of(data, name, own)
    done = set()
    while todo:
        module, name = todo.pop()
        if (module, name) in done:
            continue
        done.add((module, name))
        roots[module].add(name)
        todo += reach_of(modules[module], f"{module}.py", own, {name})
    found = []
    for module in sorted(own):
        found += scan_source(modules[module], f"{module}.py", manual=roots[module] or None)
    return found
