"""Pass 2 of the review: every node the grader may run is checked (run, _check_node);
what a name, an attribute, an import or a call reaches, patches of a library, changes to its
containers, the setters, and the keywords that unpickle or read frames."""
from __future__ import annotations

import ast
import collections

from grader.engine.review.names import (_a_setting, _canonical, _library_kind, _library_object,
                                        _private, _rule)
from grader.engine.review.ordinary import _Ordinary
from grader.engine.review.rules import (Finding, _TELLS, _ATTRIBUTES, _CHANGES_CONTENTS,
                                        _CODE_RUNNERS, _DISTINCTIVE, _FD_KEYWORDS, _FD_OPENERS,
                                        _FOLDERS, _GUARDED, _GUARDED_ROOTS, _HARNESS,
                                        _HARNESS_TEXT, _IMPORTS, _IMPORT_SYSTEM, _INDIRECT,
                                        _JUDGED_AT_USE, _METADATA, _OS_FD, _RAW_FD,
                                        _RESOLVED_LIBRARIES, _RUNS_TEXT, _SETTERS, _SPAWNERS,
                                        _UNPICKLE)
from grader.engine.review.syntax import (_annotations, _is_self, _outermost, _quote, _short,
                                         _unparse)


# a module's own __getattr__ or __dir__ answers for names it does not define: a check could
# find one function where it looks and be handed another where it calls
# how a class's objects are copied or pickled, written by hand: the grader's runs beside a call
# made on copies could be told from the call by them
_COPY_HOOKS = ("__setstate__", "__getstate__", "__deepcopy__", "__copy__", "__reduce__",
               "__reduce_ex__", "__new__", "__getnewargs__", "__getnewargs_ex__")
_MODULE_LOOKUPS = ("__getattr__", "__dir__")
_MODULE_LOOKUP = "answers for names the file does not define (a module __getattr__)"


class _Checks(_Ordinary):
    """Pass 2: the rules on every node the grader may run."""

    def run(self) -> list[Finding]:
        """The rules, on every node the grader may run. A `__main__` block is not reviewed
        unless the module may rebind __name__, or is flagged anyway (then the reviewer gets
        what the block does too)."""
        main_runs, skipped = self._check_name_binding(), []
        self.main_runs = main_runs           # read by the import-time pass
        tags, check = self.tags, self._check_node
        for visit in self.visits:
            if id(visit[0]) not in tags or self._reviewed(visit[0], main_runs):
                check(*visit)
            else:
                skipped.append(visit)
        if self.found and not main_runs:
            for visit in skipped:
                if self._reviewed(visit[0], True):
                    self._check_node(*visit)
        self._check_manual()
        for what, node in self.cuts.items():   # a limit reached: what lies past it is unread
            self.where, self.offset = self._place_of(node) or (self.where, self.offset)
            self.report(node, f"not reviewed past here: {what}")
        return self.found

    def _check_node(self, node, scope, parent, where, offset):
        self.where, self.offset = where, offset
        if isinstance(node, _FOLDERS):
            self._read_string(node, scope, parent)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._check_import(node)
        elif isinstance(node, ast.Name):
            self._check_name(node, scope, parent)
        elif isinstance(node, ast.Attribute):
            self._check_attribute(node, scope, parent)
        elif isinstance(node, ast.Call):
            self._check_call(node, scope, parent)
            if isinstance(node.func, ast.Name) and node.func.id == "setattr" and \
                    len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and \
                    node.args[1].value in _COPY_HOOKS:
                self.report(node, f"{_TELLS} (a copy hook set: {node.args[1].value})")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                node.name in _MODULE_LOOKUPS and scope is self.module:
            self.report(node, _MODULE_LOOKUP)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name in _COPY_HOOKS and isinstance(parent, ast.ClassDef):
            self.report(node, f"{_TELLS} (a class's own {node.name})")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(parent, ast.ClassDef) \
                and any(isinstance(t, ast.Name) and t.id in _COPY_HOOKS for t in
                        getattr(node, "targets", [getattr(node, "target", None)])):
            self.report(node, f"{_TELLS} (a class's own copy hook, assigned)")

        elif isinstance(node, ast.Subscript):
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                self._check_contents(node, node.value, scope)
                if _annotations(node.value) and isinstance(parent, ast.Assign):
                    self._check_hidden_name(parent, parent.value, scope, "an annotation")
            elif _outermost(node, parent):
                self._check_reach(node, self.origin(node, scope))

    def report(self, node, what):
        line = getattr(node, "lineno", 0) or 0
        line = line + self.offset if line else 0
        self.found.append(Finding(self.file, line, self.where, what))

    def _check_reach(self, node, origin, parent=None):
        if not origin or origin == "?":
            return
        if origin in _INDIRECT and not (isinstance(parent, ast.Call) and parent.func is node):
            self.report(node, f"passes {origin[len('builtins.'):]} around to hide what it "
                              f"reaches")
        parent = parent if parent is not None else self._parents.get(id(node))
        called = isinstance(parent, ast.Call) and parent.func is node
        rule = _rule(origin)
        if rule and not self._ordinary_use(node, _canonical(origin), parent):
            shown = origin[len("builtins."):] if origin.startswith("builtins.") else origin
            self.report(node, f"{rule} ({_short(shown)})")
        if _canonical(origin) in _CODE_RUNNERS and not called:
            self.report(node, f"passes {_short(origin)} around to hide what it runs")

    def _check_import(self, node):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif node.level:
            return
        else:
            module = node.module or ""
            names = [module] + [f"{module}.{a.name}" for a in node.names if a.name != "*"]
            if module == "__main__" and self._own_names(node):
                return
        for name in names:
            rule = _rule(name) if name not in _JUDGED_AT_USE else None
            if rule:
                self.report(node, f"{rule} ({_short(name)})")

    def _own_names(self, node):
        """`from __main__ import f, x` (timeit's setup, written for the file run as a script)
        where the file binds every name itself: when the grader runs it, the names are looked
        up in the worker's __main__, and the import fails."""
        names = [a.name for a in node.names]
        return "*" not in names and all(
            any(entry != ("module", f"__main__.{n}", None) for entry in
                self.module.bound.get(n, [])) for n in names)

    def _check_name(self, node, scope, parent):
        if isinstance(node.ctx, ast.Load) and _outermost(node, parent):
            self._check_reach(node, self.origin(node, scope), parent)
        elif node.id == "__builtins__":
            self.report(node, "reaches Python's builtins (__builtins__)")
        elif node.id in _MODULE_LOOKUPS and scope is self.module:   # __getattr__ = f
            self.report(node, _MODULE_LOOKUP)

    def _check_attribute(self, node, scope, parent):
        attr = node.attr
        if attr in _COPY_HOOKS and isinstance(node.ctx, ast.Store):
            self.report(node, f"{_TELLS} (a copy hook set: {attr})")
        if attr in _ATTRIBUTES:
            self.report(node, f"{_ATTRIBUTES[attr]} ({attr})")
        if attr == "__dict__":
            base = self.origin(node.value, scope)
            if base is not None:
                shown = _unparse(node) if base == "?" else f"{base}.__dict__"
                self.report(node, f"reads a library's namespace ({_short(shown)})")
        if attr in _SETTERS:
            self._check_setter(node, scope, parent)
        if attr == "_evaluate" and not self._own_instance(node.value, scope):
            # a ForwardRef's (typing.get_args(List["..."])[0]): evaluates its text
            self.report(node, f"{_RUNS_TEXT} ({_short(_unparse(node))})")
        if attr == "__annotations__" and isinstance(parent, ast.Assign) and \
                node in parent.targets:     # what typing.get_type_hints would evaluate
            self._check_hidden_name(parent, parent.value, scope, "an annotation")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            base = self.origin(node.value, scope)
            if base is not None and not _a_setting(base, node, parent):
                self._patch(node, base, attr, isinstance(node.ctx, ast.Del))
            elif attr == "__class__" and isinstance(node.ctx, ast.Store):
                self.report(node, f"changes an object's class ({_short(_unparse(node))} =)")
            elif attr in _GUARDED:
                self.report(node, f"replaces a function named like a library's check "
                                  f"({_short(_unparse(node))})")
            elif attr.startswith("__") and attr.endswith("__") and attr not in _METADATA and \
                    isinstance(node.ctx, ast.Store) and not self._own_class(node.value, scope):
                self.report(node, f"replaces a special method ({_short(_unparse(node))})")
        elif _outermost(node, parent):
            self._check_reach(node, self.origin(node, scope), parent)
        if isinstance(node.ctx, ast.Load) and (attr in _DISTINCTIVE or attr == "modules" or
                                               attr.startswith("_") and attr[1:2] != "_"):
            self._check_unnamed(node, scope)

    def _check_unnamed(self, node, scope):
        """An interpreter function's distinctive name (_DISTINCTIVE) read off an object the
        text does not name, or a private name or `modules` read off a library object it cannot
        tell which ("?": a module kept in a structure that is not followed): reported as what
        it is on its module. Named objects have their own rules (_check_reach)."""
        if _is_self(node.value) or self._own_class(node.value, scope):
            return
        base = self.origin(node.value, scope)
        attr = node.attr
        if base is None and attr in _DISTINCTIVE and not self._own_instance(node.value, scope):
            self.report(node, f"{_DISTINCTIVE[attr]} ({attr}, of an object it does not name)")
        elif base == "?":
            what = _DISTINCTIVE.get(attr) or (_IMPORT_SYSTEM if attr == "modules" else
                                              "reaches a private attribute of a library object")
            self.report(node, f"{what} ({attr}, of an object it does not name)")

    def _own_class(self, node, scope):
        """`node` is self, cls, or a name only ever bound to the student's own class."""
        if _is_self(node):
            return True
        if not isinstance(node, ast.Name):
            return False
        home = self._home(scope, node.id)
        return home is not None and all(how == "class" for how, _, _ in home.bound[node.id])

    def _check_contents(self, node, holder, scope):
        """torch.x[k] = v, del np.x[k], torch.x.update(...) on one of a library's own
        containers (a dict, list, set or deque it keeps: its registries, its hooks)."""
        base = self.origin(holder, scope)
        if not base or base == "?" or base.split(".")[0] not in _GUARDED_ROOTS:
            return
        if base.split(".")[0] in _RESOLVED_LIBRARIES:
            found, obj = _library_object(base)
            if not (found and isinstance(obj, (dict, list, set, collections.deque))):
                return        # torch.add(...), np.append(...): functions, not containers
        self.report(node, f"changes the contents of {_short(base)}")

    def _patch(self, node, base, attr, deleting):
        """obj.attr = ..., del obj.attr or setattr(obj, "attr", ...) where obj is a library's."""
        if base == "?":
            self.report(node, f"patches a library object ({_short(_unparse(node))})")
            return
        full = f"{base}.{attr}"
        kind = _library_kind(full)
        if kind == "data" and not deleting:
            return
        if deleting:
            self.report(node, f"deletes {_short(full)}")
        elif kind == "missing":
            self.report(node, f"adds {_short(full)} to the library")
        else:
            self.report(node, f"patches {_short(full)}")

    def _check_setter(self, node, scope, parent):
        """X.__setattr__ and friends: fine on the student's own objects, through super(), and as
        object.__setattr__(self, ...) or nn.Module.__setattr__(self, ...)."""
        base_node = node.value
        if isinstance(base_node, ast.Call) and \
                self.origin(base_node.func, scope) == "builtins.super":
            return
        setting = node.attr in ("__setattr__", "__delattr__")
        args = parent.args if isinstance(parent, ast.Call) and parent.func is node else []
        base = self.origin(base_node, scope)
        if base is None:                     # own_obj.__setattr__(name, value)
            if args and self.text(args[0], scope) is None:
                self._check_hidden_name(parent, args[0], scope)
            return
        if args and (base in ("builtins.object", "builtins.type") or _is_self(args[0])):
            target_node, name_node = args[0], args[1] if len(args) > 1 else None
            target = self.origin(target_node, scope)     # Class.__setattr__(target, name, v)
            if target is None:
                if name_node is not None and self.text(name_node, scope) is None:
                    self._check_hidden_name(parent, name_node, scope)
                return
        elif args and self.text(args[0], scope) is not None:
            target_node, name_node, target = base_node, args[0], base   # torch.__setattr__("x")
        else:
            verb = "patches a library object" if setting else "looks inside a library object"
            self.report(node, f"{verb} through {node.attr} ({self._show(node, base)})")
            return
        name = self.text(name_node, scope) if name_node is not None else None
        if name is None:
            verb = "patches" if setting else "looks up"
            self.report(node, f"{verb} {self._show(target_node, target)} by a computed name "
                              f"({node.attr})")
        elif setting:
            self._patch(parent, target, name, node.attr == "__delattr__")

    def _check_call(self, node, scope, parent):
        if _outermost(node, parent):     # __import__("x"), getattr(m, "x"), sys.modules["x"]
            self._check_reach(node, self.origin(node, scope))
        func = _canonical(self.origin(node.func, scope))
        args = node.args
        if func in ("builtins.setattr", "builtins.delattr") and args:
            base = self.origin(args[0], scope)
            name = self.text(args[1], scope) if len(args) > 1 else None
            if base is not None and name is None:
                self.report(node, f"patches {self._show(args[0], base)} by a computed name "
                                  f"({func[len('builtins.'):]})")
            elif base is not None:
                self._patch(node, base, name, func == "builtins.delattr")
            elif name is None and len(args) > 1:
                self._check_hidden_name(node, args[1], scope)
        elif func == "builtins.getattr" and len(args) >= 2 and self.text(args[1], scope) is None:
            self._check_computed_lookup(node, args[0], args[1], scope)
        elif func == "builtins.getattr" and len(args) >= 2:
            base, name = self.origin(args[0], scope), self.text(args[1], scope)
            if base is not None and _private(name) and \
                    not (base != "?" and _rule(f"{base}.{name}")):
                self.report(node, f"looks up a private attribute of "
                                  f"{self._show(args[0], base)} ({_quote(name)})")
        elif func == "builtins.vars" and args and self.origin(args[0], scope) is not None:
            base = self.origin(args[0], scope)
            self.report(node, f"reads a library's namespace (vars({self._show(args[0], base)}))")
        elif func in _OS_FD or func in _FD_OPENERS or func in _SPAWNERS or \
                func in ("socket.socket", "os.posix_spawn", "os.posix_spawnp"):
            self._check_descriptors(node, func, scope)
        elif self._runner(node):
            self._check_code_strings(node, self._runner(node), scope)
        elif func in ("operator.attrgetter", "operator.methodcaller"):
            # a getter for whatever object it is given: as getattr on the student's own
            for name_node in args[:1] if func == "operator.methodcaller" else args:
                if self.text(name_node, scope) is None:
                    self._check_hidden_name(node, name_node, scope)
        elif func == "builtins.help" and args and (
                self.text(args[0], scope) is not None or
                isinstance(args[0], (ast.JoinedStr, ast.BinOp))):
            self.report(node, f"{_IMPORTS} (help with a name)")
        elif isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("format", "format_map", "vformat", "get_field"):
            # "{0.__globals__}".format(fn): a format string looks up the attributes it names,
            # as getattr does; one the text cannot read is reported as a hidden name is
            template = args[0] if args and (node.func.attr in ("vformat", "get_field") or
                                            self._is_formatter(node.func.value, scope)) \
                else node.func.value
            if self.text(template, scope) is None:
                self._check_hidden_name(node, template, scope, "a format string")
        elif isinstance(node.func, ast.Attribute) and node.func.attr in ("eval", "query") and \
                (args or any(k.arg == "expr" for k in node.keywords)):
            self._check_expression_method(node, scope)
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "join" and args and \
                self.text(node, scope) is None and self._from_char_codes(args[0], scope):
            self.report(node, "builds text from character codes")
        if isinstance(node.func, ast.Attribute) and node.func.attr in _CHANGES_CONTENTS:
            self._check_contents(node, node.func.value, scope)
        if func == "builtins.breakpoint" and (args or node.keywords):
            self.report(node, f"{_RUNS_TEXT} (breakpoint with arguments)")
        for kw in node.keywords:
            flag = kw.value.value if isinstance(kw.value, ast.Constant) else None
            if (kw.arg == "allow_pickle" and flag is not False) or \
                    (kw.arg == "weights_only" and flag is not True and
                     not (func == "torch.load" and self._loads_own_save(node, scope))):
                self.report(node, f"{_UNPICKLE} ({kw.arg}={_short(_unparse(kw.value), 20)})")
            elif kw.arg == "capture_locals" and flag is not False:
                self.report(node, "reads a frame's variables (capture_locals)")
            elif kw.arg == "eval_str" and flag is not False:
                self.report(node, f"{_RUNS_TEXT} (eval_str={_short(_unparse(kw.value), 20)})")
            elif kw.arg in _FD_KEYWORDS and func not in ("socket.socket",) and \
                    self._descriptor(kw.value, scope) == "numbered":
                self.report(node, f"{_RAW_FD} ({kw.arg}={_short(_unparse(kw.value), 20)})")
        self._check_code_file(node, func, scope)
        if any(isinstance(a, ast.Name) for a in args) and self._opens_or_imports(node, scope):
            for a in args:       # a name bound to "solutions", given where a path goes
                text = self.text(a, scope) if isinstance(a, ast.Name) else None
                if text and _HARNESS_TEXT.fullmatch(text):
                    self.report(node, f"{_HARNESS} ({_quote(text)})")

    def _show(self, node, origin):
        return _short(origin if origin != "?" else _unparse(node))
