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
    """The review's pass over a file's manual functions (see the module's docstring)."""

    def _check_manual(self):
        ex = self.file[:4]
        names = MANUAL.get(ex, ()) if ex in EXERCISES and \
            self.file.startswith(EXERCISES[ex]) else ()
        bound = self.module.bound
        todo = [value for name in names for how, value, _ in bound.get(name, ())[:5]
                if how == "def"]
        seen, reported, count = set(), set(), 0
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
                what = self._autograd(node)
                if what and node.lineno not in reported:   # a chain's outermost name only
                    reported.add(node.lineno)
                    self.report(node, f"a manual function ({', '.join(names)}) reaches "
                                      f"autograd ({what})")

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
