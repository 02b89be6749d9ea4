"""The request loop of one worker: the forked child that runs a submission's code.

The zygote (grader.sandbox.inside.zygote) forks it and confines it (grader.sandbox.inside.confine);
then it answers call requests on its pipes, one frame in, one frame out (grader.sandbox.protocol).
Student modules are imported lazily, on the first call into them; what they print goes to a
capped stream, and every exception, SystemExit included, becomes an error reply.
"""
from __future__ import annotations

import builtins
import dis
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import re
import sys
import time
import traceback

import numpy as np
import torch

import grader.sandbox.inside.probes
from grader.sandbox.device import exact_float32, seed_zero
from grader.sandbox.inside.probes.common import LayoutMismatch
from grader.sandbox import protocol
from grader.sandbox.inside.confine import kill_leftovers
from grader.sandbox.inside.statements import set_import_time, staged_spec as _spec

STDOUT_KEEP = 4000  # characters of a student's prints kept per call, for the report


class CappedStream(io.TextIOBase):
    """Replaces sys.stdout/sys.stderr: keeps the first characters, counts the rest."""

    def __init__(self):
        self.kept = []
        self.size = 0
        self.total = 0

    def write(self, s):
        s = str(s)
        self.total += len(s)
        if self.size < STDOUT_KEEP:
            piece = s[:STDOUT_KEEP - self.size]
            self.kept.append(piece)
            self.size += len(piece)
        return len(s)

    def take(self):
        text, total = "".join(self.kept), self.total
        self.kept, self.size, self.total = [], 0, 0
        return text, total

    def writable(self):
        return True

    def flush(self):
        pass

    def fileno(self):   # what a print ends in at the lowest level: the worker's capped log
        return 1

    def isatty(self):
        return False


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Worker:
    def __init__(self, req_fd, res_fd, workdir, modules, own_uid=False, cgroup=None, timed=()):
        self.req_fd, self.res_fd, self.workdir = req_fd, res_fd, workdir
        self.own_uid = own_uid  # the only process of its uid: it may kill(-1) its leftovers
        self.cgroup = cgroup    # or the only process meant to be in its pids cgroup
        self.files = modules  # module name -> file name in workdir
        # the submission's code as it was staged (and read on the trusted side), taken before
        # any of it runs: what a module is imported from, whatever is on the disk later
        self.code = {name: _read(os.path.join(workdir, file)) for name, file in modules.items()}
        self.loaded = {}
        self.out = CappedStream()
        self.notes = []  # what importing a notebook skipped: sent with the next reply
        # the modules staged from .py files, run a statement at a time (inside.statements)
        self.timed = frozenset(timed)

    def serve(self):
        held = HeldApart()   # before any student code runs
        sys.meta_path.insert(0, ReviewedOnly(self.code, self.workdir, self.timed, self.notes))
        sys.stdout = sys.stderr = self.out
        me = os.getpid()
        while True:
            try:
                header, payload = protocol.read_frame(
                    lambda n: protocol.read_exact(self.req_fd, n))
            except EOFError:
                os._exit(0)
            try:
                request, failure = protocol.decode(header, payload), None
            except Exception as exc:  # noqa: BLE001 - e.g. CUDA unusable here: say so, go on
                request, failure = protocol.decode(header, payload, map_device=False), exc
            protocol.with_grad_leaves(request)
            started = time.perf_counter()
            try:
                reply = self.handle(request) if failure is None else _error_reply(
                    failure, self.workdir, "the worker could not put the inputs on their "
                    "device (a problem of the grading machine, not of this code): ",
                    kind="exception")
            except BaseException as exc:  # SystemExit, KeyboardInterrupt: the worker lives on
                reply = _error_reply(exc, self.workdir)
            if os.getpid() != me:  # a fork made by student code came back here: only the
                os._exit(0)        # worker itself answers
            held.restore()         # what the call rebound, put back before the reply is made
            if self.own_uid or self.cgroup:
                kill_leftovers(self.cgroup)
            _after_cuda_error(reply)
            reply["id"] = request.get("id") if isinstance(request, dict) else None
            reply["nonce"] = request.get("nonce") if isinstance(request, dict) else None
            text, total = self.out.take()
            reply["stdout"] = text
            reply["stdout_chars"] = total
            reply["seconds"] = time.perf_counter() - started
            if self.notes:
                reply["notes"] = self.notes[:20]
                del self.notes[:]
            sys.stdout = sys.stderr = self.out  # whatever the student did to them
            try:
                frame = protocol.encode(reply)
            except BaseException as exc:
                failure = _error_reply(exc, self.workdir, "the result could not be sent "
                                       "back: ", kind="exception")
                _after_cuda_error(failure)
                failure["id"], failure["nonce"] = reply.get("id"), reply.get("nonce")
                frame = protocol.encode(failure)
            write_all(self.res_fd, frame)

    def handle(self, request):
        op = request["op"]
        if op == "ping":
            return {"status": "ok", "value": "pong"}
        if op == "put":  # a data file for the student's code, in its own folder
            name = os.path.basename(str(request["name"]))
            with open(os.path.join(self.workdir, name), "w") as f:
                f.write(str(request["text"]))
            return {"status": "ok", "value": None}
        module_name = request["module"]
        if op == "import" and module_name not in self.loaded:
            set_import_time(request.get("seconds"))
        try:
            module = self.load(module_name)
        finally:
            set_import_time(None)
        if isinstance(module, dict):
            return module
        if op == "import":   # the module alone: its import is timed apart from any call
            return {"status": "ok", "value": None}
        # Undo what earlier student code may have done to global state.
        torch.set_default_dtype(torch.float32)
        if hasattr(torch, "set_default_device"):
            torch.set_default_device(None)
        seed_zero()   # the generators as torch.manual_seed(0) leaves them, as for a reference
        np.random.seed(0)
        exact_float32()  # float32 matmuls as on the trusted side: no TF32
        grad = request.get("grad")
        args, kwargs = request.get("args", ()), request.get("kwargs", {})
        if request.get("probe"):
            probe_module, _, probe_name = request["probe"].rpartition(".")
            fn = PROBES[probe_module].__dict__[probe_name]
            args = (module,) + tuple(args)
            PROBES["guard"].expect(module, *request.get("expect", ((), ())))
        else:
            fn = getattr(module, request["func"], None)
            if fn is None:
                return {"status": "error", "kind": "missing",
                        "message": f"{module_name}.py has no function or class named "
                                   f"{request['func']!r}"}
        started = time.perf_counter()
        try:
            with torch.set_grad_enabled(True if grad is None else grad):
                value = fn(*args, **kwargs)
        except (TypeError, AttributeError, RuntimeError) as exc:
            if request.get("probe") or time.perf_counter() - started > 1.0:
                raise
            reply = _error_reply(exc, self.workdir)
            del exc
            reply["rebound"] = _rebound_names(fn, args, kwargs, grad, self.workdir)
            return reply
        return {"status": "ok", "value": value}

    def load(self, name):
        if name in self.loaded:
            return self.loaded[name]
        if self.code.get(name) is None:
            result = {"status": "error", "kind": "no_file",
                      "message": f"no file {name}.py in the submission"}
        else:
            try:
                spec = _spec(name, self.code[name], os.path.join(self.workdir, self.files[name]),
                             stops=self.notes if name in self.timed else None)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                result = module
                skipped = module.__dict__.get("__skipped_cells__")  # a notebook's, see notebooks
                if isinstance(skipped, list):
                    self.notes += [str(n)[:500] for n in skipped[:20]]
            except BaseException as exc:
                sys.modules.pop(name, None)
                result = _error_reply(exc, self.workdir, "", kind="import")
        self.loaded[name] = result
        return result


def _read(path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def staged_place(workdir: str, name: str, code: dict) -> tuple[str, bool]:
    """(where a staged module lies in the worker's folder, as in the student's: utils.py,
    mypkg/core.py, mypkg/__init__.py; whether it is a package). Its text is staged under its
    module's name (mypkg.core.py), and runs from the bytes read then; its __file__ and a
    package's __path__ are its own place, beside the data files staged there (cfg.json)."""
    base = os.path.join(workdir, *name.split("."))
    if any(m.startswith(name + ".") for m in code):       # mypkg of mypkg.core
        return os.path.join(base, "__init__.py"), True
    return base + ".py", False


class ReviewedOnly(importlib.abc.MetaPathFinder):
    """Only code the grader has read runs. A submission's own modules (exNN_*) are imported
    from the text staged for them, not from the disk, where the submission may have rewritten
    them; any other module found where the worker can write (its folder, a writable folder of
    /tmp or /dev/shm) may have been written at run time, never read on the trusted side
    (grader.engine.review), and is refused.
    Python's, torch's and every installed package's modules, read-only, import as usual."""

    def __init__(self, code: dict, workdir: str, timed=frozenset(), stops=None):
        self.code, self.workdir = code, workdir
        self.timed, self.stops = timed, stops   # as Worker's
        self.own = os.path.realpath(workdir) + os.sep          # its folder: always its own
        self.scratch = [os.path.realpath(p) + os.sep for p in ("/tmp", "/dev/shm")]

    def _written_here(self, place: str) -> bool:
        """Whether `place` lies where this worker may have written it: its own folder, or a
        folder of /tmp or /dev/shm that it can write (what Python itself was installed under
        /tmp is shown read-only, and stays importable)."""
        real = os.path.realpath(place)
        if (real + os.sep).startswith(self.own):
            return True
        return any((real + os.sep).startswith(s) for s in self.scratch) and \
            os.access(real if os.path.isdir(real) else os.path.dirname(real), os.W_OK)

    def find_spec(self, name, path=None, target=None):
        if name in self.code:
            if self.code[name] is None:
                return None
            path, package = staged_place(self.workdir, name, self.code)
            spec = _spec(name, self.code[name], path, package,
                         self.stops if name in self.timed else None)
            if package:     # its submodules' and data files' folder, as in her own folder
                spec.submodule_search_locations = [os.path.dirname(path)]
            return spec
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        origin = getattr(spec, "origin", None) if spec is not None else None
        places = [origin] if origin and origin not in ("built-in", "frozen") else []
        places += list(getattr(spec, "submodule_search_locations", None) or [])
        for place in places:
            if self._written_here(place):
                raise ImportError(f"{name} was written while the submission ran, so the grader "
                                  f"has not read it: only the submission's own files and "
                                  f"installed packages can be imported", name=name)
        return None   # the usual finders take it from here


grader.sandbox.inside.probes.load_all()
# The probes, found through this table, never through sys.modules: a submission that puts a
# module of its own under their name changes nothing here.
PROBES = {name.rsplit(".", 1)[1]: module for name, module in list(sys.modules.items())
          if name.startswith("grader.sandbox.inside.probes.")}


class HeldApart:
    """What a worker measures with, kept out of the submission's reach. Made before the
    submission is imported:
      - the grader's own modules leave sys.modules (the worker keeps its references), so a
        submission that imports grader.sandbox.inside.probes gets its own copy, or nothing, never the code
        that measures its facts;
      - the builtins and the modules the worker's own code imports are put back after every
        call, before the reply is encoded (the encoder reads a tensor's autograd facts
        through torch's C types, which no submission can rebind).
    Within one call, the measuring code relies on what it bound when it was imported; a
    submission that reaches further (frames, the garbage collector's objects, ctypes) is
    flagged when its source is read on the trusted side (grader.engine.review)."""

    KEEP = ("builtins", "sys", "os", "io", "json", "math", "struct", "ctypes", "traceback",
            "torch", "numpy", "importlib", "importlib.util", "signal", "errno")

    def __init__(self):
        for name in [n for n in sys.modules if n == "grader" or n.startswith("grader.")]:
            del sys.modules[name]
        self.modules = {name: sys.modules[name] for name in self.KEEP if name in sys.modules}
        self.builtins = dict(vars(builtins))

    def restore(self):
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        now = vars(builtins)
        for key, value in self.builtins.items():
            if now.get(key, _MISSING) is not value:
                now[key] = value


_MISSING = object()


def _ancestry(cls) -> list[str]:
    """The names of the built-in exception classes an exception class derives from, by its bases
    (ValueError for a class UnknownOptimizerError(ValueError)): what a check may ask of it."""
    import builtins as _builtins
    seen, todo, out = set(), [cls], []
    while todo and len(out) < 16:
        c = todo.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        name = type.__dict__["__name__"].__get__(c)
        if getattr(_builtins, name, None) is c:
            out.append(name)
        todo.extend(type.__dict__["__bases__"].__get__(c))
    return out


CUDA_FAILURES = ("CUDA error", "device-side assert", "CUBLAS_STATUS", "CUDNN_STATUS",
                 "illegal memory access", "CUDA out of memory")


def _after_cuda_error(reply):
    """A CUDA error (an index out of range in a kernel: "device-side assert triggered") leaves
    the process's CUDA context unusable: every later call on the GPU would fail too. Ask the
    grader for a fresh worker, and say that CUDA reports such errors late."""
    message = reply.get("message") if reply.get("status") == "error" else None
    if isinstance(message, str) and any(s in message for s in CUDA_FAILURES):
        reply["restart"] = True
        if "not of this code" not in message:
            reply["message"] = message + (" (CUDA reports errors late: the mistake may be in "
                                          "an earlier line, e.g. an index out of range; run "
                                          "the same call on the CPU to see where)")


RAISE_VARARGS = dis.opmap["RAISE_VARARGS"]
STUB_MESSAGE = re.compile(r"(?:(?:[A-Za-z_][\w.]*: )?not started\b.*)?", re.S)


def _stub_raise(exc, tb, workdir) -> bool:
    """Whether `exc` is a stub's own NotImplementedError: raised by a `raise` statement (the
    instruction its innermost frame ended on, not a line's text: a notebook's cells share file
    names) in the submission's own code, with a stub's message (the file's
    "ex04.quadratic_forward: not started", the notebooks' "not started: write your code here,
    ...") or none (nbgrader's default). PyTorch's own NotImplementedError (an operator not
    implemented for a dtype: `w1 * x ^ 2` on floats) ends on the operation, not on a raise,
    and is an error like any other."""
    if not isinstance(exc, NotImplementedError) or not tb:
        return False
    last = exc.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    code = last.tb_frame.f_code if last is not None else None
    return code is not None and code.co_filename.startswith(workdir) \
        and 0 <= last.tb_lasti < len(code.co_code) \
        and code.co_code[last.tb_lasti] == RAISE_VARARGS \
        and STUB_MESSAGE.fullmatch(str(exc).strip()) is not None


class _Enough(BaseException):
    """Ends a traced run that takes too long."""


def _rebound_names(fn, args, kwargs, grad, workdir) -> list[str]:
    """The names that a failed call rebinds from a parameter to another tensor: the call is run
    again (the generators reseeded as before it), traced in the submission's own frames, and a
    local name counts when it held a leaf tensor that requires grad (a parameter) and then
    another tensor that is no such leaf (`w = w - lr * w.grad`), and still holds it when the
    call fails. An identity seen in the worker, not a guess from the error's text: a `.grad`
    that is None for another reason (zeroed before the first backward()) names nothing."""
    held, rebound = {}, []
    deadline = time.perf_counter() + 2.0

    def local(frame, event, arg):
        if time.perf_counter() > deadline:
            raise _Enough
        for name, value in list(frame.f_locals.items()):
            if not isinstance(value, torch.Tensor):
                continue
            key = (id(frame), name)
            if value.is_leaf and value.requires_grad:
                held[key] = value
                if name in rebound:
                    rebound.remove(name)
            elif key in held and held[key] is not value and name not in rebound:
                rebound.append(name)
        return local

    def start(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(workdir) else None

    seed_zero()
    np.random.seed(0)
    sys.settrace(start)
    try:
        with torch.set_grad_enabled(True if grad is None else grad):
            fn(*args, **kwargs)
    except _Enough:
        return []
    except BaseException:  # noqa: BLE001 - the failure seen before, again
        return [name for name in rebound if name.isidentifier()][:16]
    finally:
        sys.settrace(None)
    return []   # it did not fail again: nothing to tell


def _error_reply(exc, workdir, prefix="", kind=None):
    tb = traceback.extract_tb(exc.__traceback__)
    student_frames = [f for f in tb if f.filename.startswith(workdir)]
    where = ""
    if student_frames:
        f = student_frames[-1]
        where = f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}"[:400]
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{os.path.basename(exc.filename)}, line {exc.lineno}"[:400]
    if kind is None:
        kind = "not_started" if _stub_raise(exc, tb, workdir) else \
            "layout" if type(exc) is LayoutMismatch else "exception"
    if isinstance(exc, SystemExit):
        message = f"called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        message = "raised KeyboardInterrupt"
    else:
        message = f"{type(exc).__name__}: {exc}"
    shown = student_frames[-5:]   # each file by its name in the submission, not the worker's
    for f in shown:               # folder (/tmp/work/ex01_linear_model.py)
        f.filename = os.path.relpath(f.filename, workdir)
    lines = traceback.format_list(shown)
    return {"status": "error", "kind": kind, "type": type(exc).__name__[:200],
            "ancestry": _ancestry(type(exc)),
            "message": (prefix + message)[:2000], "where": where,
            "traceback": "".join(lines)[-3000:]}
