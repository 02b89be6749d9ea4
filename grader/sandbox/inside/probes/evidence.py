"""The evidence that a call whose contract is autograd (USES_AUTOGRAD) took its answer from
autograd run on its own data (grader.sandbox.inside.probes.autograd_watch shows it each run of
the engine): which leaves each backward pass reached through its graph, the value it started
from and the gradients it computed; `_Evidence.verdict` then judges the call's result. Every
function used here is bound before any student code runs."""
from __future__ import annotations

import contextlib
import warnings

import torch

_Tensor, _Module = torch.Tensor, torch.nn.Module
_allclose = torch.allclose
_float64 = torch.float64

_functorch = torch._C._functorch
_wrapped, _unwrapped = _functorch.is_functorch_wrapped_tensor, _functorch.get_unwrapped
_LARGE = 1 << 22      # elements: a tensor kept as evidence is at most this large


def _plain(t):
    """A tensor's values, out of torch.func's wrappers (a gradient taken inside torch.func.grad
    is a wrapper that dies with it), detached and copied; None where it cannot be read."""
    try:
        for _ in range(8):
            if not _wrapped(t):
                break
            t = _unwrapped(t)
        return t.detach().clone() if t.numel() <= _LARGE else None
    except Exception:  # noqa: BLE001 - a tensor that cannot be read is no evidence
        return None


def _step(leaf, to, given=()):
    """c > 0 where `to` is `leaf` moved against the gradient the engine left on it (or gave
    for it: `given`, torch.autograd.grad's), to == leaf - c * grad (one step of gradient
    descent, a new leaf made from it); else None."""
    try:
        g = leaf.grad if leaf.grad is not None else next(
            (d[id(leaf)] for d in given if id(leaf) in d), None)
        if g is None or isinstance(to, bool) or to is None:
            return None
        to = to if isinstance(to, _Tensor) else torch.tensor(float(to))
        if g.numel() != to.numel() or g.numel() > _LARGE:
            return None
        g = g.detach().reshape(-1).to(device="cpu", dtype=_float64)
        d = (to.detach().reshape(-1).to(device="cpu", dtype=_float64) -
             leaf.detach().reshape(-1).to(device="cpu", dtype=_float64))
        gg = float((g * g).sum())
        if gg == 0.0:
            return None
        c = -float((d * g).sum()) / gg
        return c if c > 0 and _allclose(d, -c * g, rtol=1e-4, atol=1e-9) else None
    except Exception:  # noqa: BLE001 - values that cannot be compared are no evidence
        return None


def _same(a, b) -> bool:
    """Whether tensor `a` holds the values of `b` (a tensor or a number), to float32's precision
    (a leaf made from a Python float, a float64 gradient handed back as float32)."""
    try:
        if isinstance(b, bool) or not isinstance(b, (int, float, _Tensor)):
            return False
        if not isinstance(b, _Tensor):
            return a.numel() == 1 and abs(float(a.detach()) - b) <= 1e-6 * max(1.0, abs(b))
        if a.numel() != b.numel() or a.numel() > _LARGE:
            return False
        x = a.detach().reshape(-1).to(device=b.device, dtype=_float64)
        return _allclose(x, b.detach().reshape(-1).to(_float64), rtol=1e-5, atol=1e-8)
    except Exception:  # noqa: BLE001 - values that cannot be compared are not the same
        return False


def _flat(x, out, depth=0):
    """The tensors and numbers in a call's arguments or result (tuples, lists, dicts)."""
    if isinstance(x, _Tensor) or isinstance(x, (int, float)) and not isinstance(x, bool):
        out.append(x)
    elif isinstance(x, (tuple, list)) and depth < 3:
        for v in x[:64]:
            _flat(v, out, depth + 1)
    elif isinstance(x, dict) and depth < 3:
        for v in list(x.values())[:64]:
            _flat(v, out, depth + 1)
    return out


def _graph(roots, limit=50_000):
    """The nodes of the graph behind a backward pass's roots, and the leaves it reaches."""
    leaves, nodes, seen, stack = [], [], set(), []
    for r in roots if isinstance(roots, (tuple, list)) else (roots,):
        if isinstance(r, _Tensor):
            if r.grad_fn is not None:
                stack.append(r.grad_fn)
            elif r.requires_grad:
                leaves.append(r)
        elif getattr(r, "node", None) is not None:      # a GradientEdge
            stack.append(r.node)
    while stack and len(seen) < limit:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        leaf = getattr(node, "variable", None)           # AccumulateGrad's leaf
        if isinstance(leaf, _Tensor):
            leaves.append(leaf)
        stack.extend(n for n, _ in getattr(node, "next_functions", ()) or () if n is not None)
    return leaves, nodes


# what a second run multiplies the gradient each backward pass starts from by (the ones of a
# scalar loss): every gradient the engine computes in it is -FLIP times its own, so an answer
# taken from them changes (an optimizer's update turns round), one made beside them does not
FLIP = 1.75


def _flipped(args, kwargs):
    """The engine's arguments with the gradients its pass starts from times -FLIP."""
    try:
        seeds = args[1] if len(args) > 1 else kwargs.get("grad_tensors")
        if not isinstance(seeds, (tuple, list)) or \
                not all(isinstance(g, _Tensor) for g in seeds):
            return args, kwargs
        seeds = tuple(g * -FLIP for g in seeds)
        if len(args) > 1:
            return (args[0], seeds, *args[2:]), kwargs
        return args, dict(kwargs, grad_tensors=seeds)
    except Exception:  # noqa: BLE001 - a pass that cannot be changed is left as it is
        return args, kwargs


class _Evidence(contextlib.AbstractContextManager):
    """A call whose contract is autograd (USES_AUTOGRAD): its answer must come from autograd run
    on its own data. Each backward pass of the engine (any thread) shows the leaves its graph
    reaches, the value it starts from (a loss) and the gradients it computes (those of its
    first KEPT passes); `verdict` then asks that a pass reached the call's own data and that
    the answer is the engine's."""
    used, unseen = "", False
    KEPT = 8

    def __init__(self, args, kwargs, flip=False):
        self.flip = flip      # every pass's seed gradient turned to -FLIP (a second run)
        self.sources = _flat([list(args), list(kwargs.values())], [])[:64]
        self.params = set()
        for m in list(args) + list(kwargs.values()):
            if isinstance(m, _Module):
                self.params.update(id(p) for p in m.parameters())
        self.leaves = {}      # id -> (leaf, its values when first reached, made from an input)
        self.grads = []       # the gradients the engine computed, their values
        self.roots = []       # (a pass's scalar root, detached; the ids of the leaves it reached)
        self.runs = 0
        self.budget = 500_000    # nodes walked in all (a graph grown over a long loop)
        self.reached = set()     # the leaves the last pass walked reached
        self.last = []           # the roots of the last two passes, their graphs kept
        self.given = []          # what torch.autograd.grad gave in the last two: {leaf: grad}

    def __exit__(self, *exc):
        return None

    def run(self, original, args, kwargs):
        """The engine's backward pass on args, watched."""
        self.runs += 1
        if self.flip:
            args, kwargs = _flipped(args, kwargs)
        if self.runs > max(32, self.KEPT) and self.runs % 16:   # a long loop's later passes:
            return self._root_only(original, args, kwargs)      # their roots alone
        handles = []
        try:
            roots = args[0] if args else kwargs.get("tensors", ())
            leaves, nodes = _graph(roots, limit=min(50_000, self.budget))
            self.budget = max(0, self.budget - len(nodes))
            self.reached = {id(leaf) for leaf in leaves}
            for leaf in leaves:
                if id(leaf) not in self.leaves:
                    first = _plain(leaf)
                    self.leaves[id(leaf)] = (leaf, first, first is not None and any(
                        _same(first, s) for s in self.sources))
            self._note_root(roots)
            if self.runs <= self.KEPT:
                handles = [n.register_prehook(self._keep) for n in nodes
                           if hasattr(n, "register_prehook")]
        except Exception:  # noqa: BLE001 - a graph that cannot be read shows nothing
            pass
        try:
            out = original(*args, **kwargs)
            if self.runs <= self.KEPT and isinstance(out, (tuple, list)):
                self._keep(out)
            self._given(args, kwargs, out)
            return out
        finally:
            for h in handles:
                h.remove()

    def _root_only(self, original, args, kwargs):
        """A pass of a long loop: the value it starts from and what torch.autograd.grad gives
        back, as `run` keeps them, with no walk of its graph (the leaves it reaches are those
        the last walk found)."""
        try:
            self._note_root(args[0] if args else kwargs.get("tensors", ()))
        except Exception:  # noqa: BLE001 - a root that cannot be read shows nothing
            pass
        out = original(*args, **kwargs)
        if len(args) > 4 and args[4] or kwargs.get("inputs"):
            self._given(args, kwargs, out)
        return out

    def _note_root(self, roots):
        """The pass's root among the last two (_stepped) and, a scalar, its value beside the
        leaves the last walk reached (_losses_of_passes)."""
        root = roots[0] if isinstance(roots, (tuple, list)) and roots else roots
        if isinstance(root, _Tensor) and root.grad_fn is not None:
            self.last = [self.last[-1], root] if self.last else [root]
            if root.numel() == 1 and len(self.roots) < 100_000:
                self.roots.append((root.detach(), self.reached))

    def _given(self, args, kwargs, out):
        """torch.autograd.grad: the gradients it hands back, by their leaf (the last two)."""
        try:
            inputs = args[4] if len(args) > 4 else kwargs.get("inputs", ())
            if isinstance(out, (tuple, list)) and inputs and len(inputs) == len(out):
                self.given = (self.given + [{id(i): g for i, g in
                                             zip(list(inputs)[:64], out)}])[-2:]
        except Exception:  # noqa: BLE001 - nothing read is no evidence
            pass

    def _stepped(self, ends) -> bool:
        """Whether what the call returns is one step of gradient descent from a leaf the last
        backward pass reached, a new leaf made each step (w = (w - lr * w.grad).detach()
        .requires_grad_()): a returned value is that leaf moved against its gradient, and
        that leaf is itself such a step, by the same rate, from a leaf the pass before
        reached, or another returned value is such a step of another leaf by the same rate
        (one number alone moves against any gradient of its sign)."""
        if not self.last:
            return False
        try:
            graphs = [_graph(r, limit=2_000)[0][:64] for r in self.last[::-1]]
        except Exception:  # noqa: BLE001 - a graph that cannot be read shows nothing
            return False
        last, before = graphs[0], graphs[1] if len(graphs) > 1 else []
        rates = []       # (returned value, leaf, rate): parameters stepped by one rate
        given = self.given
        reached: dict = {}      # id(leaf) -> the rates it is a step by from the pass before
        for i, t in enumerate(ends[:64]):
            for leaf in last:
                c = _step(leaf, t, given)
                if c is None:
                    continue
                if id(leaf) not in reached:
                    reached[id(leaf)] = [k for other in before if other is not leaf and
                                         (k := _step(other, leaf, given)) is not None]
                if any(abs(k - c) <= 1e-3 * c for k in reached[id(leaf)]):
                    return True
                if any(j != i and other is not leaf and abs(k - c) <= 1e-3 * c
                       for j, other, k in rates):     # (a, b, c, d) by one lr
                    return True
                rates.append((i, leaf, c))
        return False

    def _losses_of_passes(self, numbers) -> bool:
        """Whether the call returns two losses or more and each is the value a backward pass
        of its own started from, in the order of the passes (a loss recorded each step, then
        loss.backward()): the steps were autograd's, whatever the parameters became (a new
        leaf each step, whose values at convergence move below float32's resolution)."""
        if len(numbers) < 2:
            return False
        try:
            values = [float(root) for root, _ in self.roots]
        except Exception:  # noqa: BLE001 - values that cannot be read are no evidence
            return False
        at = 0
        for n in numbers:
            while at < len(values) and not abs(values[at] - n) <= 1e-6 * max(1.0, abs(n)):
                at += 1
            if at == len(values):
                return False
            at += 1
        return True

    def _keep(self, grads):
        for g in grads:
            if isinstance(g, _Tensor) and len(self.grads) < 256:
                g = _plain(g)
                if g is not None:
                    self.grads.append(g)

    def verdict(self, result) -> str:
        with warnings.catch_warnings():    # (reading a number off a tensor that requires grad
            warnings.simplefilter("ignore")   # warns: not the student's print)
            return self._verdict(result)

    def _verdict(self, result) -> str:
        """"" where the answer comes from autograd run on the call's data: a pass reached a
        model argument's parameter (ex06-ex10); or one reached a leaf made from an input or
        trained by the call, and that leaf ends equal to what it returns (ex04's w, ex05's w
        and b, ex12's a, b, c, d), or a returned loss is the value a pass started from (a new
        leaf per sample), or each returned tensor is a gradient the engine computed (ex03).
        Else why not: "none" (the engine never ran), "elsewhere" (not on the call's data),
        "not_returned" (on a copy of the input, but the answer is not its gradient)."""
        if not self.runs:
            return "none"
        targets = _flat(result, [])
        ends = list(targets)
        scalars = [t for t in targets if not isinstance(t, _Tensor) or t.numel() == 1]
        if 1 < len(scalars) <= 64:    # parameters handed back one by one: (a, b, c, d)
            try:
                ends.append(torch.tensor([float(t.detach()) if isinstance(t, _Tensor) else
                                          float(t) for t in scalars], dtype=_float64))
            except Exception:  # noqa: BLE001 - values that cannot be read are no evidence
                pass
        own, copies = set(), False
        for key, (leaf, first, from_input) in list(self.leaves.items()):
            if key in self.params:
                return ""
            if from_input or first is not None and not _same(leaf, first):
                own.add(key)
                copies = copies or from_input
                if any(_same(leaf, t) for t in ends):
                    return ""
        numbers = [t for t in targets if not isinstance(t, _Tensor)]
        if own and any(reached and any(_same(root, n) for n in numbers)
                       for root, reached in self.roots):
            return ""
        if self._stepped(ends) or self._losses_of_passes(numbers):
            return ""
        if not copies:
            return "elsewhere"
        tensors = [t for t in targets if isinstance(t, _Tensor)]
        grads = self.grads + [g for g in (_plain(leaf.grad) for leaf, _, _ in
                                          self.leaves.values() if leaf.grad is not None)
                              if g is not None]
        if tensors and all(any(_same(g, t) for g in grads) for t in tensors):
            return ""
        return "not_returned"
