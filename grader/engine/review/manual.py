"""The manual functions of a file, read as text: a function CURRICULUM.md calls manual computes
its answer without autograd ("manual" means no autograd), and nothing it reaches may use it.

The worker watches a manual call as it runs (grader.sandbox.inside.probes.guard), but a watch
inside the worker is a fact the submission's own process measures: autograd reached through a
name it does not wrap (the engine's C method, an aten operator by name, a TorchScript function)
is out of its sight. Here, on the trusted side, every name a manual function reaches is
resolved (its own body, and the functions, classes and values the names in it are bound to
where they are read, in turn; the student's own modules it imports, review_own_modules): one
that is autograd's (torch.autograd but no_grad, torch.func, functorch, enable_grad, TorchScript,
torch.compile, make_fx, aten operators by name, .backward(); also where a library re-exports
the module), 'backward' in a string, an attribute read by a name given as a value, or a name
the code run at import filled with autograd's work (_made_at_import) is a finding on its line,
and the manual checks of that exercise are withheld for review
(grader.engine.result.withhold_facts: every manual call reads the fact "no autograd").
"""
from __future__ import annotations

import ast
import builtins

from grader.engine.review.autograd_names import (  # noqa: F401  (MANUAL, USES_AUTOGRAD,
    AUTOGRAD, BY_NAME, BY_PATH,                                           # _spellings: read
    GRAPH, MAKERS, MANUAL, METHODS, POOLS, SWITCHES, THREADS, TURNS_OFF,  # from here too)
    USES_AUTOGRAD, WATCHED, _code_reaching_autograd, _names_autograd, _spellings, _under)
from grader.engine.review.by_hand import MAKES, OUTSIDE, PARTS_READ
from grader.exercises import EXERCISES

# a name the code run at import filled with autograd's work or with what it read from outside
FILLED = ("made with autograd or a library a derivative by hand does not use, or read from "
          "outside the file, as the file is imported")
MAX_NODES = 200_000
IMPORT_NODES = 400_000      # nodes walked for all the code a file runs as it is imported
TOO_LARGE = " too large"    # (not a name): what _made_at_import says when past that
CAPTURED = " captured"      # (not a name): the code run at import traced a graph to replay


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

    def _followed(self, entries, home=None):
        """The values a name's bindings hold that a call may read: at the module level, the
        last binding certain to be made at the top of the file (a cell's) and every one after
        it (an earlier def, replaced by a later one, is dead when a check calls the function).
        A binding that may not be made leaves the ones before it live: a def after a statement
        of its cell that can raise (the cell is skipped), an assignment of a call's value (a
        statement can be stopped at 5 s), a def whose decorator or default calls something,
        and a notebook's helper module's def, which binds in that module (round 13's F12,
        F13, F17: a clean def placed so hid the autograd one that ran, 36/36)."""
        entries = [e for e in entries if e[0] in ("def", "class") or
                   e[0] == "expr" and e[1] is not None]
        if home is self.module and len(entries) > 1:
            order = self._unit_order()
            entries.sort(key=lambda e: (order.get(self._where_of(e[1]), 0),
                                        getattr(e[1], "lineno", 0)))
            last = max((i for i, e in enumerate(entries) if self._certain(e[1])), default=0)
            entries = entries[last:]
        if len(entries) > 200:
            self.cuts.setdefault("a name bound over 200 times", entries[0][1])
        return [value for _how, value, _ in entries[-200:]]

    def _unit_order(self) -> dict:
        return {where: i for i, (where, _t, _o) in enumerate(self.trees)}

    def _place_of(self, node) -> tuple | None:
        """(the unit a node lies in: a notebook's cell, its line offset), as the review read it."""
        if not hasattr(self, "_places"):
            self._places = {id(v[0]): (v[3], v[4]) for v in self.visits}
        return self._places.get(id(node))

    def _where_of(self, node) -> str:
        return (self._place_of(node) or ("", 0))[0]

    def _manual_reach(self, names=(), roots=(), budget=None):
        """Every node the manual functions `names` (or the nodes `roots`) reach in this file:
        their bodies, and the functions, classes and values the names in them are bound to
        where they are read (a local name: its own binding), in turn; a notebook's helper
        module (%%writefile helper.py) is read as part of the notebook."""
        bound = self.module.bound
        todo = [v for name in names for v in self._followed(bound.get(name, ()), self.module)]
        todo += list(roots)
        seen = set()
        budget = budget if budget is not None else [MAX_NODES]   # nodes left to walk, shared
        while todo:
            root = todo.pop()
            if id(root) in seen:
                continue
            if budget[0] <= 0:
                self.cuts.setdefault(f"a manual function reaching over {MAX_NODES:,} parts of "
                                     f"code", root)
                return
            seen.add(id(root))
            for node in ast.walk(root):
                if isinstance(node, ast.Constant):     # leads nowhere: a pasted data set is
                    yield node                         # not code to follow
                    continue
                budget[0] -= 1
                todo += self._leads_to(node)
                yield node

    def _leads_to(self, node) -> list:
        """The values a name read at `node` is bound to where it is read (a local name: its
        own binding; live bindings only, _followed), or, for a name of a notebook's helper
        module (%%writefile helper.py), that helper's definitions, read as the notebook's."""
        out = []
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            home = self._home(self.scope_of.get(id(node), self.module), node.id)
            if home is not None:
                out += self._followed(home.bound.get(node.id, ()), home)
        if self._notebook_helpers() and isinstance(node, (ast.Name, ast.Attribute)):
            origin = self.origin(node, self.scope_of.get(id(node), self.module))
            if isinstance(origin, str) and origin.split(".")[0] in self._notebook_helpers():
                bound = self.module.bound
                out += [v for name in (origin.split(".")[1:2] or list(bound))
                        for v in self._followed(bound.get(name, ()))]
        return out

    def _notebook_helpers(self) -> set:
        """The modules a notebook's %%writefile cells make (their cells are labelled
        'code cell N (helper.py)'), read here as part of the notebook."""
        if not hasattr(self, "_helpers"):
            self._helpers = {where.rsplit("(", 1)[1][:-4] for where, _t, _o in self.trees
                             if where.endswith(".py)") and "(" in where}
        return self._helpers

    def _thread_roots(self) -> list:
        """The code of every thread or process the file starts (a Thread's target, a Timer's
        function, a Thread subclass, what an executor or a pool is given): it may run while a
        manual call does, fed through any channel (threading.enumerate(), a queue on an
        instance), so it counts as what the manual functions reach (the ninth attack round's
        graph walked in a thread started at import)."""
        found = []
        for node, scope, *_ in self.visits:
            if isinstance(node, ast.ClassDef) and any(
                    _under(str(self.origin(b, scope)), THREADS) for b in node.bases):
                found.append(node)
            if not isinstance(node, ast.Call):
                continue
            origin = str(self.origin(node.func, scope))
            given = [k.value for k in node.keywords if k.arg in ("target", "function")]
            if _under(origin, THREADS):
                given += node.args[1:2] if origin.endswith("Timer") else \
                    node.args[:1] if origin.startswith("_thread") else node.args[1:2]
            elif isinstance(node.func, ast.Attribute) and node.func.attr in POOLS:
                given += node.args[:1]
            for value in given:
                while isinstance(value, ast.Call) and value.args:     # functools.partial(f)
                    value = value.args[0]
                if isinstance(value, ast.Attribute):                  # self._work
                    found += [n for n, *_ in self.visits if isinstance(
                        n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == value.attr]
                else:
                    found += self._leads_to(value) if isinstance(value, ast.Name) else [value]
        return found

    def _past_watch(self, node) -> str:
        """What `node` reaches of autograd that the worker's watch of a manual call cannot see
        ('' for none, or for what it sees: WATCHED, .backward(), 'backward')."""
        what = self._autograd(node)
        if not what or what.startswith(("'backward'", "'retain_grad'", ".backward",
                                        ".retain_grad")):
            return ""
        if _under(what, WATCHED) and not any(part.startswith("_") for part in
                                              what.split(".")[1:]):
            return ""
        if what == "torch.jit.script":
            return self._scripted(node)
        return what

    def _scripted(self, node) -> str:
        """torch.jit.script on functions of the file (a decorator, or given by name): what
        their code reaches of autograd ('' for nothing: TorchScript of plain arithmetic is
        honest), any autograd at all, since the watch cannot see inside TorchScript (the ninth
        attack round's F31: an honest scripted helper flagged)."""
        parent = self._parents.get(id(node))
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs = [parent]
        elif isinstance(parent, ast.Call) and parent.func is node and parent.args and \
                isinstance(parent.args[0], ast.Name):
            defs = self._leads_to(parent.args[0])
        else:
            defs = []
        if not defs or not all(isinstance(d, (ast.FunctionDef, ast.Lambda)) for d in defs):
            return "torch.jit.script"
        body = [part for d in defs for part in (d.body if isinstance(d.body, list) else
                                                [d.body])]      # not its decorators
        return "torch.jit.script of code that uses autograd" if any(     # what it calls too
            map(self._autograd, self._manual_reach(roots=body, budget=[MAX_NODES // 4]))) \
            else ""

    def _check_manual(self):
        names = self._manual_names()
        if not names:
            return
        shown = ", ".join(names[:4]) + (", ..." if names[4:] else "")
        tainted = self._made_at_import()
        if TOO_LARGE in tainted:
            self.report(ast.Module(body=[], type_ignores=[]),
                        f"a manual function ({shown}) could not be reviewed: the code the file "
                        f"runs as it is imported is too large to follow")
        if CAPTURED in tainted:
            self.report(ast.Module(body=[], type_ignores=[]) if not self.trees else
                        _Line(tainted[CAPTURED]), f"a manual function ({shown}) could replay "
                        f"a graph of autograd's that the file traces (line "
                        f"{tainted[CAPTURED]})")
        reported, parts = set(), {}
        for name in names:      # a root itself filled at import (utils.Box, reached as Box)
            if name in tainted and self.module.bound.get(name):
                reported.add(tainted[name])
                self.report(self.module.bound[name][-1][1], f"a manual function ({shown}) "
                            f"reaches autograd ({name}, {FILLED} (line {tainted[name]}))")
        for node, outer in _outermost(self._manual_reach(names, self._thread_roots())):
            what = ""
            if isinstance(node, ast.Name) and node.id in tainted and \
                    self._home(self.scope_of.get(id(node), self.module), node.id) is self.module:
                what = f"{node.id}, {FILLED} (line {tainted[node.id]})"
            elif outer:                             # a chain's outermost name only
                what = self._past_watch(node)
                read = "" if what else self._read_back(node)
                if read:
                    what = f"reads what its arguments do not give ({read}): an answer " \
                           f"made elsewhere"
            if not what:                            # what it is, by family (by_hand)
                what = self._by_hand(node, outer)
            line = getattr(node, "lineno", 0)
            if what and PARTS_READ in what:         # told where nothing else is on its line
                parts.setdefault(line, (node, what))
            elif what and line not in reported:
                reported.add(line)
                self._report_manual(node, shown, what)
        for line, (node, what) in parts.items():
            if line not in reported:
                reported.add(line)
                self._report_manual(node, shown, what)

    def _report_manual(self, node, shown, what):
        self.where, self.offset = self._place_of(node) or (self.where, self.offset)
        self.report(node, f"a manual function ({shown}) " + (
            what if what.startswith(_OWN_WORDS) else f"reaches autograd ({what})"))

    def own_reached(self, own) -> set:
        """(module, name) of each name of the student's own modules `own` that the manual
        functions reach ("*" for the module itself, passed as a value)."""
        out = set()
        roots = self._thread_roots() if self._manual_names() else ()
        for node, outer in _outermost(self._manual_reach(self._manual_names(), roots)):
            if not isinstance(node, (ast.Name, ast.Attribute)) or not outer:
                continue                           # utils.f, not utils itself
            origin = self.origin(node, self.scope_of.get(id(node), self.module))
            parts = origin.split(".") if isinstance(origin, str) else []
            # the longest own module it lies in: mypkg.core.f is f of mypkg.core
            at = next((i for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in own), 0)
            if at:
                out.add((".".join(parts[:at]), parts[at] if at < len(parts) else "*"))
        for name in sorted(self._manual_names()):     # a name this file imports (re-exports)
            bound = self.module.bound.get(name)        # (from .core import f; from .core
            origins = [e[1] for e in bound or () if e[0] == "module"] if bound else \
                [f"{star}.{name}" for star in self.module.stars]   # import *)
            for origin in origins:
                module, _, rest = origin.rpartition(".")
                if module in own:
                    out.add((module, rest))
                elif origin in own:
                    out.add((origin, "*"))
        return out

    def _autograd(self, node) -> str:
        """What autograd `node` reaches ('' for none): a name of AUTOGRAD's (not one that turns
        it off, set_grad_enabled(False), or Variable(...) making a tensor), .backward() on the
        student's own tensor, its name in a string ('backward'), or an attribute read by a
        name given as a value (getattr(loss, m))."""
        parent = self._parents.get(id(node))
        called = isinstance(parent, ast.Call) and parent.func is node
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            return ""                           # a number: data
        if isinstance(node, ast.Constant):      # a name of autograd's, where it can be
            text = node.value if isinstance(node.value, str) else ""   # looked up by it
            if not isinstance(parent, ast.Expr) and _code_reaching_autograd(text):
                return "code written as text that reaches it"
            return repr(text) if _names_autograd(text) and self._looked_up(node, parent) \
                else ""
        if isinstance(node, ast.Attribute) and node.attr in GRAPH and \
                not self._plain_own(node.value):    # her layer's self.saved_tensors is hers
            return f".{node.attr}"
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return ""
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if isinstance(origin, str) and origin != "?":
            names = _spellings(origin)
            if any(_under(n, TURNS_OFF) for n in names):
                return ""
            if called and any(_under(n, MAKERS) and n.count(".") == m.count(".")
                              for n in names for m in MAKERS):
                return ""
            if called and any(n in SWITCHES for n in names) and len(parent.args) == 1 and \
                    not parent.keywords and isinstance(parent.args[0], ast.Constant) and \
                    parent.args[0].value is False:
                return ""
            if called and origin in BY_NAME:
                return self._by_name(parent, origin)
            path = next((n for n in names if _under(n, BY_PATH)), None)
            if path:
                return f"{path}: attributes looked up by a path written as text"
            hit = next((n for n in names if _under(n, AUTOGRAD)), None)
            if hit:
                return hit if len(hit) <= 60 else hit[:57] + "..."
        if isinstance(node, ast.Attribute) and node.attr in METHODS and origin in (None, "?"):
            return f".{node.attr}()"
        return ""


    def _by_name(self, call: ast.Call, origin: str) -> str:
        """What a getattr-like call reaches of autograd by the name it is given: '' where the
        name is text the file alone tells (getattr(torch, DTYPE), DTYPE = "float64") and not
        autograd's (a literal that is, 'backward', is a finding of its own; one built or kept
        in a name, 'back' + 'ward', is this one's); else it is a name given as a value."""
        at = 0 if origin in ("operator.attrgetter", "operator.methodcaller") else 1
        arg = call.args[at] if len(call.args) > at else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return ""
        scope = self.scope_of.get(id(call), self.module)
        text = self.text(arg, scope) if arg is not None else None
        if text is None and arg is not None and at and call.args:
            texts = self._loop_texts(arg, call.args[0])
            if texts is not None and not any(_names_autograd(t) for t in texts):
                return ""       # getattr(batch, n) for n in ("x", "y"); for f in fields(obj)
        if text is None:
            return f"{origin.split('.')[-1]} with a name given as a value"
        of = self.origin(call.args[0], scope) if at and call.args else None
        return f"{origin.split('.')[-1]} of {text!r}, a name built or kept as a value" if \
            _names_autograd(text) or isinstance(of, str) and of != "?" and \
            any(_under(f"{n}.{text}", AUTOGRAD) for n in _spellings(of)) else ""

    def _loop_texts(self, name, of) -> tuple | None:
        """The names a loop variable given to getattr(of, name) can be, where the loop says:
        the strings of a literal tuple, list or set it runs over (for n in ("x", "y")), or ()
        for the fields of `of` itself (for f in dataclasses.fields(of): getattr(of, f.name),
        the dataclass's own attributes); None where the loop does not tell."""
        field = isinstance(name, ast.Attribute) and name.attr == "name"
        var = name.value if field else name
        if not isinstance(var, ast.Name):
            return None
        node = name
        for _ in range(40):
            node = self._parents.get(id(node))
            if node is None:
                return None
            loops = node.generators if isinstance(node, (ast.ListComp, ast.SetComp,
                                                         ast.GeneratorExp, ast.DictComp)) \
                else [node] if isinstance(node, (ast.For, ast.AsyncFor)) else []
            for loop in loops:
                if not (isinstance(loop.target, ast.Name) and loop.target.id == var.id):
                    continue
                source = loop.iter
                if not field and isinstance(source, (ast.Tuple, ast.List, ast.Set)) and \
                        all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                            for e in source.elts):
                    return tuple(e.value for e in source.elts)
                scope = self.scope_of.get(id(source), self.module)
                if field and isinstance(source, ast.Call) and len(source.args) == 1 and \
                        self.origin(source.func, scope) == "dataclasses.fields" and \
                        ast.dump(source.args[0]) == ast.dump(of):
                    return ()
                return None
        return None

    def _plain_own(self, node) -> bool:
        """`node` is self in a class of the student's own whose bases are hers too, none a
        library's (torch.autograd.Function, torch.Tensor): its attributes are what she set."""
        if not (isinstance(node, ast.Name) and node.id == "self"):
            return False
        cls = node
        for _ in range(60):
            cls = self._parents.get(id(cls))
            if cls is None or isinstance(cls, ast.ClassDef):
                break
        return isinstance(cls, ast.ClassDef) and self._plain_class(cls, 0)

    def _plain_class(self, cls: ast.ClassDef, depth: int) -> bool:
        if cls.keywords or depth > 8:
            return False
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            home = self._home(self.module, base.id) if isinstance(base, ast.Name) else None
            bound = home.bound.get(base.id, []) if home is not None else []
            if not bound or not all(how == "class" and isinstance(v, ast.ClassDef) and
                                    self._plain_class(v, depth + 1) for how, v, _ in bound):
                return False
        return True

    def _looked_up(self, node, parent) -> bool:
        """Whether a string is where an attribute may be looked up by it: given to a call
        (getattr, methodcaller, getattr_static, a namespace's get ...) other than print or
        a logger's, or an index (vars(torch.Tensor)["backward"]); not a value assigned,
        compared or kept in a tuple (STAGE = "backward", read as a label)."""
        for _ in range(6):      # ["grad_fn"], "0." + name, f"{i}.grad_fn": what holds it
            if not isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.BinOp, ast.JoinedStr,
                                       ast.FormattedValue, ast.Starred, ast.Dict)):
                break
            node, parent = parent, self._parents.get(id(parent))
        if isinstance(parent, ast.Subscript):
            return parent.slice is node
        if not isinstance(parent, ast.Call) or parent.func is node:
            return False
        origin = self.origin(parent.func, self.scope_of.get(id(parent), self.module))
        return not (isinstance(origin, str) and (origin in _MESSAGES or origin.startswith(
            "logging.") or isinstance(getattr(builtins, origin[9:], None), type) and
            origin.startswith("builtins.") and issubclass(getattr(builtins, origin[9:]),
                                                          BaseException)))


_MESSAGES = ("builtins.print", "warnings.warn")
# findings that say what they are (not "reaches autograd (...)")
_OWN_WORDS = ("reads what", "differentiates with", "computes with", "reaches autograd's",
              OUTSIDE, MAKES)


class _Line:
    """A place to report on: a line of the file."""

    def __init__(self, lineno):
        self.lineno = lineno


def _outermost(nodes):
    """Each node with whether it is the outermost of an attribute chain (utils.f, not utils;
    torch.autograd.grad, not torch.autograd): ast.walk and the manual reach give a chain's
    outer node before the nodes inside it."""
    inner = set()
    for node in nodes:
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
        yield node, id(node) not in inner
