"""What the code a file runs as it is imported fills with autograd's work (a pass of the
review of manual functions, grader.engine.review.manual): module-level statements and what they
call, followed once each, within one budget; the names, objects, classes and functions they
store into, and what the statements that read those store into, in turn.

    tainted = review._made_at_import()     # {"_Tools": 188}: filled at line 188
"""
from __future__ import annotations

import ast

from grader.engine.review.manual import (CAPTURED, IMPORT_NODES, TOO_LARGE,
                                         _outermost, _spellings, _under)

# what turns a function into a graph a program can read and replay (a trace of its forward
# and backward: make_fx, FX, TorchScript's trace, export, a compiler's backend, the graph's own
# nodes), where the code run at import does it: a manual call could replay the trace with
# plain arithmetic, on any inputs, out of the watch's sight (the tenth attack round's F09: the
# trace kept in a file; any other place it is kept, a library's list or a thread's object,
# is the same)
CAPTURES = ("torch.fx", "torch.jit.trace", "torch.jit.trace_module", "torch.export",
            "torch._export", "torch._dynamo", "torch.onnx", "functorch.make_fx",
            "functorch.compile", "torch._functorch", "torch.func.functionalize")
# torch.compile hands a backend of the file's own the graph it traced; its own backends
# (named by text, or none: model = torch.compile(model)) keep it (round 13's F24: flagged)
COMPILERS = ("torch.compile",)


def _run_when_defined(node) -> list:
    """What runs when a def or class statement runs: decorators and default values; a class's
    bases, keywords and the statements of its body (the defs there, the same way)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = node.args
        return [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d)]
    found = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
    for stmt in node.body:
        found += _run_when_defined(stmt) if isinstance(
            stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else [stmt]
    return found


class _ImportTime:
    def _made_at_import(self) -> dict:
        """{module-level name: line} of the names that the code run as the file is imported
        (module-level statements, and what they call), or a function of the file other than a
        manual one (a check may call it first, in the same worker), fills with what autograd
        made: a
        gradient function traced, or a value computed, before any check runs, which a manual
        call would then only read (`_store.fn = make_fx(torch.func.grad(f))(...)`); or with
        what it read from outside (a file, the environment, sys.argv, a process: RECIPE =
        json.load(open("recipe.json")), a trace made elsewhere). CAPTURED: the line where the
        file first traces a graph a program can read (make_fx, FX, jit.trace, export, the
        graph's nodes), which a manual call could replay wherever the trace is kept."""
        statements = []
        for _where, tree, _offset in self.trees:
            todo = list(getattr(tree, "body", []))
            while todo:
                stmt = todo.pop()
                if not self._reviewed(stmt, getattr(self, "main_runs", True)):
                    continue              # a __main__ block: not run when graded
                if isinstance(stmt, ast.If) and stmt.body and \
                        not self._reviewed(stmt.body[0], getattr(self, "main_runs", True)):
                    todo += stmt.orelse   # if __name__ == "__main__": its else runs
                    continue
                if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                    todo += [s for f in ("body", "orelse", "finalbody") for s in
                             getattr(stmt, f, [])]
                    todo += [s for h in getattr(stmt, "handlers", []) for s in h.body]
                statements.append(stmt)
        memo, tainted, uses = {}, {}, {}
        self._budget = [IMPORT_NODES]
        for stmt in statements:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                # what runs as it is defined (defaults, decorators, a class's bases and body)
                # is kept in the function or class: `def gradient(xs, ys, w, k=_probe())`
                if any(self._import_facts(part, memo)[0] for part in _run_when_defined(stmt)):
                    uses[id(stmt)] = frozenset({stmt.name})
                continue
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue
            # a statement that calls nothing runs no function (x = f only names it)
            calls = any(isinstance(n, ast.Call) for n in ast.walk(stmt))
            used, stores = self._import_facts(stmt, memo, follow=calls)
            if used:
                uses[id(stmt)] = stores
            if self._budget[0] <= 0:     # past what an honest file runs at import
                tainted[TOO_LARGE] = stmt.lineno
                return tainted
        # a function of the file a check may call before a manual one, in the same worker
        # (cost before gradient): what it stores, it stores between the calls
        manual = set(self._manual_names())
        calls = [d for _w, tree, _o in self.trees for top in getattr(tree, "body", [])
                 for d in ([top] if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef))
                           else top.body if isinstance(top, ast.ClassDef) else [])
                 if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef)) and
                 d.name not in manual]
        for fn in calls:
            used, stores = self._import_facts(fn, memo)
            if used:
                uses[id(fn)] = stores
        statements += calls
        captured = [getattr(n, "lineno", 0) for _w, tree, _o in self.trees
                    for n, outer in _outermost(ast.walk(tree)) if outer and self._captures(n)]
        if captured:
            tainted[CAPTURED] = min(captured)
        changed = True
        while changed:
            changed = False
            for stmt in statements:
                if id(stmt) in uses:
                    stored = uses[id(stmt)]
                elif any(isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(stmt)):
                    stored = self._stored(ast.walk(stmt))
                else:
                    continue
                for name in stored:
                    if name not in tainted:
                        tainted[name] = stmt.lineno
                        changed = True
        return tainted

    def _import_facts(self, root, memo, follow=True) -> tuple:
        """(whether `root` reaches autograd, the module-level names it and what it reaches
        store into), each root walked once (memo; a cycle adds nothing more)."""
        if id(root) in memo:
            return memo[id(root)]
        memo[id(root)] = (False, frozenset())
        used, stores, nested = False, set(), []
        for node, outer in _outermost(ast.walk(root)):
            if isinstance(node, ast.Constant) and not isinstance(node.value, str):
                continue        # a number: data, however many (a data set pasted in)
            self._budget[0] -= 1
            if self._budget[0] <= 0:
                break
            if not used and outer and (self._autograd(node) or self._read_back(node) or
                                       self._off_family(node)):
                used = True       # autograd's work, a library's outside the families
                # (by_hand: Q.put(scipy), for a manual call to take out), or what a file gave
            stores |= self._stored((node,))
            if follow:
                nested += self._leads_to(node)
        for value in nested:
            if self._budget[0] <= 0:
                break
            more_used, more_stores = self._import_facts(value, memo)
            if not isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                      ast.ClassDef)):
                more_stores = frozenset()   # a value read (CONFIG = json.load(f)) ran once,
            used, stores = used or more_used, stores | more_stores   # at its own line
        memo[id(root)] = (used, frozenset(stores))
        return memo[id(root)]

    def _certain(self, value) -> bool:
        """Whether the statement binding `value` is certain to bind when the file is imported:
        directly at the top of the file or of a notebook's cell (not a helper module's), it
        cannot raise or be stopped (_cannot_fail: a plain def), and in a cell nothing before it
        in the cell can."""
        stmt = value if isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef,
                                          ast.ClassDef)) else self._parents.get(id(value))
        top = self._parents.get(id(stmt))
        if not isinstance(top, ast.Module) or not _cannot_fail(stmt):
            return False
        where = self._where_of(value)
        if where.endswith(".py)"):        # a %%writefile helper: that module's binding
            return False
        if not where.startswith("code cell"):
            return True                   # a .py: each statement runs, one at a time
        before = top.body[:top.body.index(stmt)] if stmt in top.body else []
        return all(map(_cannot_fail, before))

    def _captures(self, node) -> bool:
        """Whether `node` names what turns a function into a graph a program can read
        (CAPTURES; torch.compile given a backend that is not a name of its own). Walking a
        tensor's graph (print(loss.grad_fn.next_functions), a tutorial's line) is not: it is
        read where a manual function reaches it."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return False
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if not isinstance(origin, str) or origin == "?":
            return False
        names = _spellings(origin)
        if any(_under(n, COMPILERS) for n in names):
            call = self._parents.get(id(node))
            if not isinstance(call, ast.Call) or call.func is not node:
                return True                 # passed around: its backend is not seen
            backend = [k.value for k in call.keywords if k.arg == "backend"] + call.args[1:2]
            return any(not (isinstance(b, ast.Constant) and isinstance(b.value, str))
                       for b in backend) or any(k.arg is None for k in call.keywords)
        return any(_under(n, CAPTURES) for n in names)

    def _stored(self, nodes) -> set:
        """The module-level names that `nodes` may put a value into: assigned (inside a
        function, when declared global), the object whose attribute or item they set (a class
        or a function too: `_Tools.fn = ...`, `grad.cache = ...`, setattr(grad, "fn", ...)),
        and every object a call is made on or given to (`cache[k] = ...`, `jobs.put(node)`,
        `var.set(node)`, `heapq.heappush(heap, node)`, a thread's queues), but a function or a
        class given to a call, or a name that only ever holds a constant (EPOCHS = 100,
        printed beside a loss: a constant cannot be filled); never a module."""
        out = set()
        for node in nodes:
            targets = []        # (target, how): "bind", "into" (its attribute or item), "call"
            if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and \
                    isinstance(getattr(node, "ctx", None), ast.Store):
                targets.append((node, "bind" if isinstance(node, ast.Name) else "into"))
            elif isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute):
                    targets.append((node.func.value, "call"))
                if node.args and _setter(node):
                    targets.append((node.args[0], "into"))
                targets += [(a, "call") for a in list(node.args) + [k.value for k in
                                                                     node.keywords]]
            for target, how in targets:
                if how == "call" and target is not getattr(getattr(node, "func", None),
                                                           "value", None) and \
                        isinstance(target, (ast.Attribute, ast.Subscript)):
                    continue    # f(CONFIG["lr"]): an item given, read, not its holder
                while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)) or \
                        isinstance(target, ast.Call) and _setter(target) and target.args:
                    target = target.args[0] if isinstance(target, ast.Call) else target.value
                if not isinstance(target, ast.Name):
                    continue
                home = self._home(self.scope_of.get(id(target), self.module), target.id)
                kinds = [(k, v) for k, v, _s in home.bound.get(target.id, ())] \
                    if home is self.module else [("module", None)]
                if any(k == "module" for k, _v in kinds) or how != "into" and (
                        all(k in ("module", "def", "class") for k, _v in kinds) or
                        how == "call" and all(k == "expr" and _constant(v) for k, v in kinds)):
                    continue
                out.add(target.id)
        return out


def _setter(call: ast.Call) -> bool:
    """setattr(obj, ...), object.__setattr__(obj, ...), vars(obj): what sets, or holds, the
    attributes of its first argument."""
    f = call.func
    return isinstance(f, ast.Name) and f.id in ("setattr", "vars") or \
        isinstance(f, ast.Attribute) and f.attr == "__setattr__" and \
        isinstance(f.value, ast.Name) and f.value.id in ("object", "type")


def _constant(value) -> bool:
    """A value no call can fill: a literal number, string, bytes, bool or None, or a tuple
    or an arithmetic of them (1e-3, -1, 2 ** 10, ("w", "b"))."""
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Tuple):
        return all(_constant(v) for v in value.elts)
    if isinstance(value, ast.UnaryOp):
        return _constant(value.operand)
    if isinstance(value, ast.BinOp):
        return _constant(value.left) and _constant(value.right)
    return False


def _cannot_fail(stmt) -> bool:
    """A statement whose running cannot raise or be stopped: a def with no decorator and
    constant defaults, a class with no decorator or base whose body is such statements, an
    assignment of a constant or a lambda, a docstring or pass. (Reading a name can raise, a
    call can run past its 5 s.)"""
    def plain(node):
        return node is None or isinstance(node, ast.Constant) or isinstance(node, ast.Lambda) \
            and all(plain(d) for d in node.args.defaults + node.args.kw_defaults)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return not stmt.decorator_list and all(
            plain(d) for d in stmt.args.defaults + stmt.args.kw_defaults)
    if isinstance(stmt, ast.ClassDef):
        return not stmt.decorator_list and not stmt.bases and not stmt.keywords and \
            all(_cannot_fail(s) for s in stmt.body)
    if isinstance(stmt, ast.Assign):
        return plain(stmt.value) and all(isinstance(t, ast.Name) for t in stmt.targets)
    return isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and plain(stmt.value)
