"""Tamper scan: a submission's source, read as text on the trusted side, for code that reaches
into the grader, the interpreter or a library instead of computing answers.

Student code runs in a worker process where it can rewrite anything, so a fact measured there
(grad mode, identity, a type) is weak evidence. This module reads a submission as text (parsed
with `ast`: never imported, never run) and reports what a correct program never does, for a
person to review:

    >>> [f.what for f in scan_source("import gc\\nfound = gc.get_objects()\\n", "ex03.py")]
    ["reads the garbage collector's objects (gc.get_objects)"]
    >>> scan_source("import gc\\ngc.collect()\\n", "ex03.py")
    []

The rules name capabilities, not attacks, so that disguises nobody listed are caught too:

 1. The grader's, pytest's or the references' code (grader, torchdrills, pytest, _pytest,
    pluggy, solutions, conftest, and __main__: in a worker, the grader's entry module),
    however reached: import, __import__, importlib, sys.modules, a string naming the module
    where a module's name or a file's path is given (not a dict's key, printed text, a
    comparison), a string naming its files. pytest's helpers for a student's own tests are
    ordinary (pytest.approx, raises, warns, mark, param, fixture); pytest.main, skip, fail,
    its hooks and internals are not.
 2. The interpreter's machinery: sys.modules (reading whether a name is in it is ordinary:
    `"google.colab" in sys.modules`, sys.modules.get(name) tested for None) and the import
    hooks, the builtins module itself and __builtins__ (`from builtins import range` and
    builtins.print are ordinary; writing to builtins is a patch, rule 7), sys._getframe,
    tracing (trace), audit and breakpoint hooks (PYTHONBREAKPOINT included).
 3. The insides of functions, frames and classes: __globals__, __closure__, __code__,
    __defaults__, __self__, __func__, __wrapped__, __subclasses__, __bases__, __mro__,
    f_back, f_locals, tb_frame, gi_frame ...; inspect.currentframe / stack /
    getclosurevars / getmembers / getmodule; traceback.walk_stack; capture_locals; dir()
    walked with getattr. The name of a caller, inspect.stack()[1].function (or .lineno),
    gives no frame away and is ordinary.
 4. The garbage collector's objects: gc.get_objects / get_referrers / get_referents /
    garbage / callbacks, objgraph (gc.collect, gc.disable, gc.enable are ordinary).
 5. Raw memory and native code: ctypes, cffi, mmap, numpy's ctypeslib and as_strided,
    torch's cpp_extension, load_library and private internals (torch._C, a name starting
    with _, but for the private bases torch documents for a user's own classes: _Loss,
    _WeightedLoss, _BatchNorm, _ConvNd, _LRScheduler ..., _PRIVATE_BASES); /proc or /dev/mem
    named in a string, also as a glob pattern whose path before the first wildcard is
    absolute or climbs out of the working folder ("/pr*/self/*"; "*", "**/*.csv" are not
    paths there). A numbered file
    descriptor other than 0, 1 and 2 (a constant, or an int computed at run time: arithmetic,
    int(), a loop over range(), what os.open or .fileno() gives) written to, read, probed,
    duplicated, opened as a file (open(n), io.FileIO(n), socket.socket(fileno=n)) or given to
    a child process (stdin= / stdout= / stderr=, pass_fds, close_fds=False, posix_spawn's
    file_actions); os.write and its kind to other than 1 and 2; os.fdopen, os.dup, os.dup2,
    socket.fromfd, fcntl, termios, tty, pty, select (posix is os). subprocess.PIPE / DEVNULL,
    files opened by name, sys.stdout are ordinary.
 6. Code run from text or data: exec, eval, compile, __import__, importlib (but
    importlib.util.find_spec("pandas") tested for None, and importlib.metadata's version /
    metadata / requires), runpy, code, codeop, pickle and marshal (also
    np.load(allow_pickle=True), torch.load(weights_only=False) but of the checkpoint the
    statement just before saved to the same literal path), types.FunctionType / CodeType /
    ModuleType, codecs' decoding, pdb given a string, breakpoint() given arguments,
    doctest's runners other than testmod (the examples testmod would run are read as code),
    timeit, cProfile and profile given a string built at run time or hidden (a literal
    string's code is read as source; the code cProfile.run runs looks its free names up in
    __main__); text a library
    evaluates: typing.get_type_hints, ForwardRef and its _evaluate, eval_str=True,
    pandas.eval and a DataFrame's .eval / .query, numexpr, sympify, logging.config.listen /
    fileConfig and dictConfig but of a dict literal naming ordinary classes, rlcompleter,
    site.addsitedir, IPython's shell; an annotation written as a
    string is read as the code typing would evaluate (not Literal's values nor Annotated's
    metadata), and one assigned at run time must be readable. A file Python would run
    written at run time: its name ending in a code suffix (.py, .pyc, .so ...) as far as the
    text tells how it ends (name + ".py", f"{n}.py", p.with_suffix(".so")), or made from
    __file__ without ending in another suffix; a .pth file only in a site folder (a
    checkpoint "best.pth" in the working folder is data). vars() or __dict__ of a library.
    Names looked up at run time: getattr of a library with a computed name is configurable
    code (getattr(torch, activation), getattr(torch.optim, name)) and is reported only where
    the library is the harness or one of the interpreter's modules (sys, gc, os, builtins
    ...), where a name the text says it may hold (a constant bound to it, an argument given
    for it, what joining those gives) or the text it starts with names what a rule names or
    a private or special attribute, and where the name is built so that a reader cannot see
    it (decoded, from character codes, read from a file, the input or the environment; the
    same for getattr on anything, operator.attrgetter / methodcaller and a format string);
    setattr / delattr on a library with a computed name is always reported, and what is
    done with what getattr found is checked as any library object is.
 7. Changing a library: an assignment (plain, augmented, a for / with / comprehension
    target), `del`, setattr or object.__setattr__ on anything reached from an imported
    module, and a change to the contents of one of torch's or numpy's own containers (its
    hook registries). A plain setting is not tampering: an attribute of torch or numpy whose
    current value, looked up in this process, is plain data (torch.backends.cudnn
    .deterministic = True) may be set. A new attribute on a library (torch.my_helper = ...)
    is reported: no exercise needs one. Wherever the object cannot be told, replacing a
    special method (x.Tensor.__eq__ = ...) or a function named like a library's check
    (x.allclose = ...) is reported too. Configuration is ordinary: sys.argv = [...] (argparse
    in a notebook), pandas' options (pd.options.display.float_format = "{:.4f}".format).
 8. Source in an encoding that hides code from readers: one that reads ASCII bytes as other
    characters (utf-7, unicode_escape, raw_unicode_escape, idna, the ISO-2022 and HZ
    encodings, EBCDIC); gbk, euc_kr, cp949, big5, shift_jis, cp932, euc_jp, cp437, cp850,
    tis_620, cp874 ... keep ASCII as it is and are ordinary.
 9. Rebinding the module's __name__ (assigned, declared global, through globals() / vars(),
    the module object, setattr): it decides whether an `if __name__ == "__main__":` block
    runs. Such a block (at module level, also `"__main__" == __name__`, or a part of an
    `and`) is code the grader never runs (it imports the module, or runs a notebook's cells,
    under the module's own name), so it is not reviewed: unless the module rebinds __name__
    or writes its namespace under names the text does not tell, or is flagged anyway.

What a name holds is followed through the file: aliases (`import numpy as np`,
`from torch import Tensor as T`, `t = torch`), scopes (a method named eval does not hide the
builtin eval), arguments into the student's functions (def, lambda, method, class, partial,
map, *args, **kwargs), what functions return or yield, containers (`d["t"] = torch`,
`lst.append(torch)`, `globals()["t"] = torch`), attributes (`self.t = torch`). A name the file
never binds was put there at run time and counts as a library's. Strings are read after folding
what the text alone computes ("/pr" + "oc", "".join(map(chr, [...])), base64 of a constant,
"..."[::-1], "%s" % ..., os.path.join, a name bound once to a constant).

Ordinary code is left alone: gc.collect(), inspect.signature, sys.float_info, sys.exit,
sys.path.append, setattr(self, name, ...), getattr(model, name), super().__init__(), the
student's own dunder methods, torch.manual_seed, torch.no_grad(), reading os.environ.

What is read: a .py file's bytes as Python reads them (a coding cookie is honoured), a
notebook's code cells as the grader runs them (grader.sandbox.notebooks; check cells are not
run, so not read). A file that does not parse is not reviewed (the grader reports it, and it
cannot run). A file the parser gives up on for its nesting, or with more than
MAX_SOURCE_BYTES of code, gets one finding saying it could not be reviewed: a correct program
is never like that, and reviewing only a part would miss whatever follows the part. At most
MAX_FINDINGS are listed, then one that counts the rest.

Not covered: names computed at run time by ordinary string work on data the scan cannot see,
values passed through structures it does not model (exceptions, queues, object state set by
the grader), code another process runs (a child running the file as a script runs its
`__main__` block too), and what the worker's sandbox stops anyway; this
review is the second line of defence, not the first.
"""
from __future__ import annotations

import ast
import builtins
import codecs
import collections
import fnmatch
import functools
import importlib
import io
import json
import posixpath
import re
import string
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

MAX_SOURCE_BYTES = 500_000     # fifty times a solution; reviewing it takes a few seconds
TOO_DEEP = "too deeply nested to review"
MAX_FINDINGS = 100             # then one finding that counts the rest
_FOLD_CHARS = 1_000            # longest string built from pieces that is still read
_FOLD_DEPTH = 48               # deepest expression folded into a string
_ORIGIN_DEPTH = 64             # deepest chain of aliases followed


@dataclass(frozen=True)
class Finding:
    """One thing in a submission's source that a correct program never does.

    `line` is 1-based (in a notebook: the line within the cell), 0 when not known; `where` is
    "" for a .py file and e.g. "code cell 3" for a notebook cell."""

    file: str
    line: int
    where: str
    what: str

    def __str__(self):
        place = f"{self.where}, " if self.where else ""
        return f"{self.file}: {place}line {self.line}: {self.what}"


# ----------------------------------------------------------------------------------------------
# the rules

_HARNESS = "reaches the grader's or pytest's code"
_RUNS_TEXT = "runs code built at run time"
_IMPORTS = "imports modules by name"
_IMPORT_SYSTEM = "reaches the import system"
_STACK = "walks or traces the call stack"
_INSIDES = "looks inside functions and objects it is given"
_HOOK = "replaces an interpreter hook"
_GC = "reads the garbage collector's objects"
_MEMORY = "reads or writes raw memory"
_NATIVE = "loads native code or reaches torch's internals"
_GLOBAL_HOOK = "intercepts every torch operation or module"
_UNPICKLE = "loads pickled or marshalled code"
_BUILDS = "builds functions or modules at run time"
_DECODES = "decodes hidden text"
_MOCK = "patches functions with a mocking library"
_RAW_FD = "uses a raw file descriptor"


_HARNESS_MODULES = ("grader", "torchdrills", "pytest", "_pytest", "pluggy", "solutions",
                    "conftest")


def _names(what, *names):
    return dict.fromkeys(names, what)


# dotted name -> what reaching it does; an entry covers everything under it too, except the
# ones in _EXACT (`builtins.abs` is ordinary, the module `builtins` itself is not)
_NAMES = {
    **_names(_HARNESS, *_HARNESS_MODULES),
    "builtins": "reaches Python's builtins",
    **_names(_RUNS_TEXT, "builtins.exec", "builtins.eval", "builtins.compile", "code", "codeop",
             "pdb.run", "pdb.runeval", "pdb.runctx", "pdb.Pdb", "bdb", "rlcompleter", "idlelib",
             "timeit.main", "cProfile.main", "profile.main",
             # text evaluated as Python by a library: annotations given as strings, expression
             # languages that fall back to Python, configuration files with code in them
             *(f"{m}.{n}" for m in ("typing", "typing_extensions")
               for n in ("get_type_hints", "ForwardRef", "_eval_type", "evaluate_forward_ref")),
             "annotationlib.ForwardRef", "annotationlib.call_evaluate_function",
             "pandas.eval", "pandas.core.computation", "pandas.DataFrame.eval",
             "pandas.DataFrame.query", "numexpr.evaluate", "numexpr.re_evaluate",
             "numexpr.NumExpr", "numexpr.necompiler", "sympy.sympify", "sympy.parse_expr",
             "sympy.parsing", "sympy.core.sympify", "cython.inline", "Cython.inline",
             "Cython.Build", "pyximport", "logging.config.listen", "logging.config.fileConfig",
             "site.addsitedir", "site.addpackage", "site.main", "site.execsitecustomize",
             "site.execusercustomize", "IPython.get_ipython", "IPython.embed",
             "IPython.start_ipython", "IPython.InteractiveShell", "IPython.terminal",
             "IPython.core.interactiveshell", "IPython.core.getipython", "IPython.core.magic"),
    # the worker's __main__ is the grader's entry module (python -m grader.sandbox.inside)
    "__main__": _HARNESS,
    **_names(_IMPORTS, "builtins.__import__", "importlib", "imp", "_imp", "pkgutil", "zipimport",
             "runpy", "pydoc", "pkg_resources", "logging.config", "torch.hub.load",
             "torch.hub.load_local", "torch.hub.list", "torch.hub.help", "torch.package"),
    **_names(_IMPORT_SYSTEM, "sys.modules", "sys.meta_path", "sys.path_hooks",
             "sys.path_importer_cache", "builtins.__loader__", "builtins.__spec__",
             "_frozen_importlib", "_frozen_importlib_external"),
    **_names(_STACK, "sys._getframe", "sys._current_frames", "sys._current_exceptions",
             "sys.settrace", "sys.setprofile", "sys.gettrace", "sys.getprofile",
             "sys.monitoring", "threading.settrace", "threading.setprofile",
             "threading.settrace_all_threads", "threading.setprofile_all_threads",
             "inspect.currentframe", "inspect.stack", "inspect.trace", "inspect.getouterframes",
             "inspect.getinnerframes", "inspect.getargvalues", "traceback.walk_stack",
             "traceback.walk_tb", "trace"),
    **_names(_INSIDES, "inspect.getclosurevars", "inspect.getmembers",
             "inspect.getmembers_static", "inspect.getattr_static", "inspect.unwrap",
             "inspect.getmodule"),
    **_names(_HOOK, "sys.addaudithook", "sys.breakpointhook", "sys.displayhook",
             "sys.excepthook", "sys.unraisablehook", "sys.set_asyncgen_hooks"),
    **_names(_GC, "gc.get_objects", "gc.get_referrers", "gc.get_referents", "gc.garbage",
             "gc.callbacks", "objgraph", "guppy", "pympler"),
    **_names(_MEMORY, "ctypes", "_ctypes", "cffi", "mmap", "numpy.ctypeslib",
             "numpy.lib.stride_tricks.as_strided"),
    **_names(_NATIVE, "torch.utils.cpp_extension", "torch.ops.load_library",
             "torch.classes.load_library", "torch._C"),
    **_names(_GLOBAL_HOOK, "torch.library", "torch.overrides", "torch.utils._python_dispatch",
             *(f"torch.nn.modules{sub}.register_module_{hook}_hook"
               for sub in ("", ".module")
               for hook in ("forward", "forward_pre", "backward", "full_backward",
                            "full_backward_pre", "buffer_registration",
                            "module_registration", "parameter_registration"))),
    **_names(_UNPICKLE, "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle",
             "cPickle", "dill", "cloudpickle", "marshal", "shelve", "copyreg", "joblib",
             "jsonpickle", "pandas.read_pickle", "yaml.unsafe_load", "yaml.UnsafeLoader",
             "yaml.Loader"),
    **_names(_BUILDS, "types.FunctionType", "types.LambdaType", "types.CodeType",
             "types.ModuleType", "types.CellType"),
    **_names(_DECODES, "codecs.decode", "codecs.encode", "codecs.lookup", "codecs.getdecoder",
             "codecs.getencoder", "codecs.iterdecode"),
    **_names(_MOCK, "unittest.mock", "mock"),
    **_names(_RAW_FD, "os.fdopen", "os.dup", "os.dup2", "os.openpty", "os.forkpty",
             "os.login_tty", "os.POSIX_SPAWN_DUP2", "os.POSIX_SPAWN_OPEN", "os.POSIX_SPAWN_CLOSE",
             "socket.fromfd", "socket.send_fds", "socket.recv_fds", "socket.SCM_RIGHTS",
             "multiprocessing.reduction", "fcntl", "termios", "tty", "pty", "select",
             "selectors", "_posixsubprocess"),
}
# other names of the same modules: posix is os, _io is io, _socket is socket
_MODULE_ALIASES = {"posix": "os", "nt": "os", "_io": "io", "_socket": "socket"}
_EXACT = {"builtins"}
# under an entry of _NAMES, but ordinary (with everything under them): pytest's helpers for a
# student's own tests (they cannot reach the grader's session; pytest.main, skip, fail, hooks
# and pytest's internals can), and reading an installed package's metadata
_ALLOWED = {"pytest.approx", "pytest.raises", "pytest.warns", "pytest.mark", "pytest.param",
            "pytest.fixture", "importlib.metadata.version", "importlib.metadata.metadata",
            "importlib.metadata.requires", "importlib.metadata.PackageNotFoundError"}
# modules and functions whose import is not a finding by itself: what is done with them is
# (`import builtins` to read builtins.range; builtins.len = ... is a patch), and a reference to
# the module itself (x = importlib, passed around) still is one
_JUDGED_AT_USE = {"builtins", "pytest", "importlib", "importlib.util", "importlib.metadata",
                  "logging.config", "importlib.util.find_spec", "logging.config.dictConfig"}
# a library's private classes that it documents as bases for a user's own (class MyLoss(_Loss))
_PRIVATE_BASES = {f"torch.nn.modules.{m}.{c}" for m, cs in (
    ("loss", ("_Loss", "_WeightedLoss")), ("batchnorm", ("_BatchNorm", "_NormBase")),
    ("conv", ("_ConvNd", "_ConvTransposeNd")), ("dropout", ("_DropoutNd",)),
    ("instancenorm", ("_InstanceNorm",)),
    ("pooling", ("_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd")))
    for c in cs} | {"torch.optim.lr_scheduler._LRScheduler"}
# doctest runs code written in strings; testmod runs the file's own examples, which are read
_DOCTEST_ORDINARY = {"testmod", "ELLIPSIS", "NORMALIZE_WHITESPACE", "IGNORE_EXCEPTION_DETAIL",
                     "DONT_ACCEPT_TRUE_FOR_1", "DONT_ACCEPT_BLANKLINE", "SKIP", "FAIL_FAST",
                     "REPORT_NDIFF", "REPORT_UDIFF", "REPORT_CDIFF",
                     "REPORT_ONLY_FIRST_FAILURE"}

# attribute name -> what reading or writing it does, on any object
_ATTRIBUTES = {
    "__globals__": "reaches a function's globals",
    **_names("reaches a function's closure", "__closure__", "cell_contents"),
    "__code__": "reaches a function's code",
    **_names("reaches a function's default values", "__defaults__", "__kwdefaults__"),
    **_names("walks the class hierarchy", "__subclasses__", "__bases__", "__base__", "__mro__"),
    **_names("unwraps a function it is given", "__self__", "__func__", "__wrapped__"),
    "__builtins__": "reaches Python's builtins",
    **_names(_IMPORT_SYSTEM, "__loader__", "__spec__"),
    "__import__": _IMPORTS,
    **_names("reads a frame", "f_back", "f_locals", "f_globals", "f_builtins", "f_code",
             "f_trace", "tb_frame", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame",
             "ag_code"),
}
# the same names written as text (getattr(f, "__glo" + "bals__")), and a few functions' names
_SPELLED = {**_ATTRIBUTES, "_getframe": _STACK, "currentframe": _STACK, "settrace": _STACK,
            "setprofile": _STACK, "get_objects": _GC, "get_referrers": _GC,
            "get_referents": _GC}
_SETTERS = {"__setattr__", "__delattr__", "__getattribute__", "__getattr__"}
_INDIRECT = {"builtins.getattr", "builtins.setattr", "builtins.delattr"}
# os functions that take descriptors: name -> (the places of its descriptors, the places of
# those it writes to); a descriptor written to must be 1 or 2, any other 0, 1 or 2
_OS_FD = {
    **{f"os.{n}": ((0,), (0,)) for n in ("write", "writev", "pwrite", "pwritev", "ftruncate",
                                         "eventfd_write", "posix_fallocate")},
    **{f"os.{n}": ((0,), ()) for n in (
        "read", "readv", "pread", "preadv", "fstat", "fstatvfs", "fsync", "fdatasync", "lseek",
        "close", "isatty", "ttyname", "get_inheritable", "set_inheritable", "get_blocking",
        "set_blocking", "fchmod", "fchown", "fchdir", "fpathconf", "lockf", "posix_fadvise",
        "device_encoding", "tcgetpgrp", "tcsetpgrp", "get_terminal_size", "eventfd_read",
        "fdopen", "dup", "login_tty",
        # a path, or a descriptor given as an int
        "stat", "lstat", "statvfs", "pathconf", "chmod", "chown", "chdir", "listdir", "scandir",
        "utime", "truncate", "getxattr", "setxattr", "listxattr", "removexattr")},
    **{f"os.{n}": ((0, 1), (1,)) for n in ("splice", "copy_file_range", "dup2")},
    "os.sendfile": ((0, 1), (0,)),
    "os.closerange": ((0, 1), ()),
}
# what opens a file by its name, or by a descriptor given as an int
_FD_OPENERS = {"builtins.open", "io.open", "io.FileIO", "codecs.open"}
# keywords that take a descriptor, in any call
_FD_KEYWORDS = {"fd", "fileno", "dir_fd", "src_dir_fd", "dst_dir_fd", "out_fd", "in_fd"}
# what starts a process, with the places of stdin, stdout, stderr among its arguments
_SPAWNERS = {**dict.fromkeys(("subprocess.run", "subprocess.call", "subprocess.check_call",
                              "subprocess.check_output", "subprocess.Popen"), (3, 4, 5)),
             **dict.fromkeys(("asyncio.create_subprocess_exec",
                              "asyncio.create_subprocess_shell",
                              "asyncio.subprocess.create_subprocess_exec",
                              "asyncio.subprocess.create_subprocess_shell"), ())}
# sys's streams, by descriptor
_STD_STREAMS = {"sys.stdin": 0, "sys.__stdin__": 0, "sys.stdout": 1, "sys.__stdout__": 1,
                "sys.stderr": 2, "sys.__stderr__": 2}
# calls whose result is a descriptor or some other computed int
_GIVES_INT = {"builtins.int", "builtins.len", "builtins.abs", "builtins.round", "builtins.sum",
              "builtins.ord", "builtins.hash", "builtins.id", "operator.index", "os.open",
              "os.dup", "os.dup2", "os.pipe", "os.pipe2", "os.openpty", "os.memfd_create",
              "os.eventfd", "os.pidfd_open", "pty.openpty", "pty.fork", "os.forkpty",
              "fcntl.fcntl", "socket.dup", "os.get_inheritable", "int.from_bytes"}
_CODE_SUFFIXES = (".py", ".pyc", ".pyw", ".so", ".pyd")
# a .pth file is code only in a site folder (site.py runs its `import` lines at start-up); in
# the working folder it is PyTorch's checkpoint suffix
_SITE_SUFFIXES = (".pth",)
# what copies, moves or links a file (src, dst): dst is written
_COPIERS = {"shutil.copy", "shutil.copyfile", "shutil.copy2", "shutil.move", "shutil.copytree",
            "os.rename", "os.replace", "os.renames", "os.link", "os.symlink"}
_PATH_OPENERS = {"builtins.open", "io.open", "os.open", "codecs.open", "io.FileIO",
                 "gzip.open", "bz2.open", "lzma.open"}
# the verbs of functions and methods that write a file named by their first or second argument
_WRITER_VERBS = ("save", "dump", "to_", "urlretrieve", "download", "export")
_PATH_KEYWORDS = {"file", "fname", "filename", "path", "f", "fp", "path_or_buf", "dst",
                  "target", "filepath", "output", "out"}
# what runs code given as a string (the code of a literal string is read as source, a string
# built at run time is reported); where the code is given goes by the last name (_code_places):
# timeit's stmt and setup, cProfile's and profile's statement. cProfile.run and Profile.run
# run it in the namespace of __main__: the grader's entry module, when a worker runs it
_CODE_RUNNERS = {"timeit.timeit", "timeit.repeat", "timeit.Timer", "torch.utils.benchmark.Timer",
                 "torch.utils.benchmark.utils.timer.Timer", "cProfile.run", "profile.run",
                 "cProfile.Profile.run", "profile.Profile.run", "cProfile.runctx",
                 "profile.runctx", "cProfile.Profile.runctx", "profile.Profile.runctx"}
_RUNNER_NAMES = {"timeit", "repeat", "Timer", "run", "runctx"}
# what reads a dict it is given and never writes to it
_READ_ONLY_CALLS = {f"builtins.{n}" for n in ("print", "len", "sorted", "list", "dict", "set",
                                               "tuple", "repr", "str", "iter", "id", "bool")} | \
    {"pprint.pprint", "pprint.pformat", "json.dumps", "copy.copy", "copy.deepcopy"}
# special attributes that only describe an object
_HARMLESS_DUNDERS = {"__name__", "__qualname__", "__doc__", "__module__", "__version__",
                     "__annotations__"}
# nodes that can fold to a string
_FOLDERS = (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Call, ast.Subscript)
_PASS_THROUGH = {f"builtins.{n}" for n in ("next", "iter", "list", "tuple", "set", "frozenset",
                                           "sorted", "reversed", "dict", "min", "max",
                                           "filter", "enumerate", "zip")} | \
    {"copy.copy", "contextlib.nullcontext"}
_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "appendleft",
             "extendleft", "__setitem__"}
_CONTAINER_READS = {"get", "pop", "setdefault", "copy", "values", "items", "popitem",
                    "__getitem__"}
_CHANGES_CONTENTS = _MUTATORS | {"clear", "pop", "popitem", "remove", "discard",
                                 "__delitem__"}
# the roots whose containers a submission must not change: the libraries the grader compares
# with, the grader, the test harness, the interpreter
_GUARDED_ROOTS = ("torch", "numpy", "builtins", *_HARNESS_MODULES)
# dunder attributes that describe a function rather than change how objects behave
_METADATA = {"__name__", "__qualname__", "__doc__", "__module__", "__annotations__",
             "__signature__", "__dict__", "__class__", "__all__", "__slots__"}
# names of the checks the grader relies on: replacing one, on anything, is reported even where
# the scan cannot tell what the object is
_GUARDED = {"allclose", "isclose", "array_equal", "array_equiv", "assert_close",
            "assert_allclose", "assert_array_equal", "assert_array_almost_equal",
            "is_grad_enabled", "is_inference_mode_enabled"}
# calls that make a name unreadable when it is used with getattr and friends
_HIDING_CALLS = {"chr", "decode", "b64decode", "b32decode", "b16decode", "b85decode",
                 "a85decode", "urlsafe_b64decode", "standard_b64decode", "decodebytes",
                 "fromhex", "unhexlify", "a2b_hex", "a2b_base64", "translate", "swapcase",
                 "reversed", "bytes", "bytearray",
                 # a name read at run time, from a file, the input or the environment
                 "read", "readline", "readlines", "read_text", "read_bytes", "input", "getenv",
                 "load", "loads", "dir", "__dir__"}
_HIDING_ATTRIBUTES = {"environ", "argv"}

# what a glob pattern in a string is tried against
_PROC_PATHS = ("/proc", "/proc/self", "/proc/self/environ", "/proc/1/environ", "/dev/mem")
_PROC = re.compile(r"(?:^|/)proc(?:/|$)|/dev/(?:mem|kmem|port|fd(?:/|$))|"
                   r"(?:^|/)self/(?:environ|mem|maps|cmdline|fd(?:/|$))")
# what takes a module's name or a file's path (a string given to it names one)
_OPENS_OR_IMPORTS = ("builtins.open", "builtins.__import__", "builtins.help", "io.", "os.",
                     "posixpath.", "ntpath.", "pathlib.", "glob.", "shutil.", "importlib",
                     "pkgutil.", "runpy.", "pydoc.", "zipimport.", "sys.modules", "site.",
                     "linecache.", "tokenize.", "codecs.open", "zipfile.", "tarfile.",
                     "py_compile.", "compileall.", "numpy.load", "numpy.genfromtxt",
                     "numpy.fromfile", "torch.load", "pandas.read_", "unittest.mock", "mock.",
                     "pickle.", "json.load", "pkg_resources", "subprocess.", "logging.config")
_PATH_METHODS = {"joinpath", "glob", "rglob", "open", "with_name", "read_text", "read_bytes",
                 "iterdir", "exists", "is_file", "is_dir"}


def _proc_glob(text):
    """A glob pattern that reaches /proc or /dev: the path before its first wildcard is
    absolute, or climbs out of the working folder ("/pr*/self/*", "../../pr*"); one that
    starts with a wildcard ("*", "**", "*.csv") matches in the working folder only."""
    if not any(c in text for c in "*?[") or len(text) > 200:
        return False
    pattern, climbed = text, False
    while pattern.startswith(("./", "../")):
        climbed = climbed or pattern.startswith("../")
        pattern = pattern[pattern.index("/") + 1:]
    if climbed:
        pattern = "/" + pattern
    elif not pattern.startswith("/"):
        return False
    return any(fnmatch.fnmatchcase(p, pattern) for p in _PROC_PATHS)


_DOTTED_SPELLED = re.compile(r"[.\[](%s)\b" % "|".join(sorted(_SPELLED, key=len, reverse=True)))
_HARNESS_TEXT = re.compile(r"(?:%s)(?:\.[A-Za-z_][\w.]*)?" % "|".join(_HARNESS_MODULES))
_HARNESS_FILES = re.compile(r"(?:^|[/\\])(?:grader|solutions|torchdrills)[/\\]")

# a name the file never binds is Python's builtin of that name, else the module it names by
# convention (a notebook cell or an appended fragment may use what another part imported)
_BUILTIN_NAMES = frozenset(dir(builtins))
_CONVENTIONAL = {"np": "numpy", "nn": "torch.nn", "F": "torch.nn.functional",
                 "optim": "torch.optim", "plt": "matplotlib.pyplot", "pd": "pandas",
                 "get_ipython": "IPython.get_ipython",
                 **{m: m for m in ("torch", "numpy", "sys", "os", "gc", "inspect", "ctypes",
                                   "importlib", "types", "traceback", "threading", "pickle",
                                   "marshal", "codecs", "socket", "mmap", *_HARNESS_MODULES)}}
# the libraries whose current attributes are looked up to tell a setting from a function
_RESOLVED_LIBRARIES = ("torch", "numpy")
# modules where no assignment is a mere setting
_STRICT_ROOTS = {"sys", "builtins", "os", "io", "gc", "inspect", "importlib", "types",
                 "threading", "traceback", "warnings", "signal", "socket", "ctypes", "pickle",
                 "marshal", "__main__", *_HARNESS_MODULES}
# the interpreter's modules and the harness: looking one of them up by a name the text does not
# spell reaches what the rules name without naming it
_NO_COMPUTED_LOOKUP = _STRICT_ROOTS | {
    "codecs", "typing", "typing_extensions", "mmap", "_ctypes", "subprocess", "fcntl", "pty",
    "select", "pdb", "bdb", "runpy", "code", "codeop", "pydoc", "pkgutil", "zipimport", "site",
    "posix", "nt", "_io", "_socket", "_thread", "_imp", "_frozen_importlib", "objgraph"}
_PLAIN_ENCODINGS = ("utf-8", "ascii", "iso8859", "latin", "cp125", "mac-", "koi8")


# ----------------------------------------------------------------------------------------------
# the entry points

def scan_source(text: str | bytes, file: str, where: str = "") -> list[Finding]:
    """Findings in one piece of Python source. Bytes are read as Python reads a file (its
    coding cookie honoured); source that does not parse gives no finding.

        >>> scan_source("import torch\\ntorch.allclose = lambda *a, **k: True\\n", "ex01.py")
        [Finding(file='ex01.py', line=2, where='', what='patches torch.allclose')]
        >>> scan_source("import torch\\ntorch.backends.cudnn.deterministic = True\\n", "x.py")
        []
    """
    units = [(where, text)]
    return _scan(file, units, whole_file=True)


def scan_notebook(data: bytes, file: str) -> list[Finding]:
    """Findings in the code cells of a notebook given as bytes, the cells the grader runs
    (grader.sandbox.notebooks.notebook_cells), read together as one module; a cell that does not
    parse is skipped, as the grader skips it. Bytes that are not a notebook give none."""
    from grader.sandbox.notebooks import notebook_cells
    try:
        nb = json.loads(bytes(data).decode("utf-8"))
        cells = notebook_cells(nb) if isinstance(nb, dict) else []
    except (ValueError, RecursionError, MemoryError):
        return []
    return _scan(file, cells, whole_file=False)


def scan_file(path) -> list[Finding]:
    """Findings in one submitted file, a .ipynb notebook or Python source by its suffix. The
    file is read as every submission file is (grader.sandbox.staging: a regular file, no link
    followed, size capped); a file the grader would not read gives none."""
    from grader.sandbox.staging import read_file
    path = Path(path)
    try:
        data = read_file(path)
    except (OSError, ValueError):   # staging.Refused is a ValueError
        return []
    if path.suffix.lower() == ".ipynb":
        return scan_notebook(data, path.name)
    return scan_source(data, path.name)


def _scan(file, units, whole_file):
    size = sum(len(text) for _, text in units)
    if size > MAX_SOURCE_BYTES:
        return [Finding(file, 0, "", f"too large to review ({size / 1e6:.1f} MB of code)")]
    found, trees = [], []
    for where, text in units:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):     # ValueError: NUL bytes
            if whole_file:
                return []
            continue
        except (RecursionError, MemoryError):
            found.append(Finding(file, 0, where, TOO_DEEP))
            continue
        trees.append((where, tree, 0))
        if isinstance(text, (bytes, bytearray)):
            found += _encoding_findings(text, file, where)
    doctests = any("doctest" in (t if isinstance(t, str) else t.decode("latin-1"))
                   for _, t in units)
    try:
        found += _Review(file, trees, doctests).run()
    except (RecursionError, MemoryError):
        found.append(Finding(file, 0, "", TOO_DEEP))
    except Exception as exc:  # noqa: BLE001  a file the review cannot finish is not clean
        found.append(Finding(file, 0, "", f"could not be reviewed ({type(exc).__name__})"))
    order = {where: i for i, (where, _) in enumerate(units)}
    found = sorted(set(found), key=lambda f: (order.get(f.where, -1), f.line, f.what))
    if len(found) > MAX_FINDINGS:
        more = len(found) - MAX_FINDINGS
        found = found[:MAX_FINDINGS] + [Finding(file, 0, "", f"and {more} more findings")]
    return found


def _encoding_findings(data, file, where):
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        name = codecs.lookup(encoding).name
    except (SyntaxError, LookupError):
        return []
    if name.startswith(_PLAIN_ENCODINGS) or _keeps_ascii(name):
        return []
    return [Finding(file, 1, where, f"is written in the {name} encoding, which hides code "
                                    f"from readers")]


# ASCII text that some encodings read as other characters (utf-7's +-, unicode_escape's \u,
# idna's xn--, the escapes of ISO-2022 and HZ)
_ASCII_PROBES = (bytes(range(128)), b"+AGk-", b"+-", b"\\u0041\\x41\\101\\N{DIGIT ONE}",
                 b"xn--ls8h.xn--a", b"~{VP~}", b"\x1b$B\x1b(B", b"\x0e\x0f")


@functools.lru_cache(maxsize=None)
def _keeps_ascii(name):
    import warnings
    try:
        with warnings.catch_warnings():     # unicode_escape warns of "\]" in the probes
            warnings.simplefilter("ignore")
            return _ascii_kept(name)
    except Exception:  # noqa: BLE001  a codec that fails in any other way keeps nothing
        return False


def _ascii_kept(name):
    """Whether text in encoding `name` shows its code to a reader as Python reads it: every
    ASCII byte is that character wherever it stands, and no other byte or pair of bytes
    decodes to an ASCII character (gbk, euc_kr, shift_jis, big5, cp437, tis_620 ...). utf-7,
    unicode_escape, raw_unicode_escape, idna, punycode, the ISO-2022 and HZ encodings, EBCDIC
    and UTF-16/32 do not."""
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            return False
        decode = info.decode
        if any(decode(probe)[0] != probe.decode("ascii") for probe in _ASCII_PROBES):
            return False
        if any(decode(bytes([b]))[0] != chr(b) for b in range(128)):
            return False
    except (UnicodeError, TypeError, ValueError, LookupError):
        return False
    for lead in range(128, 256):
        try:
            alone = decode(bytes([lead]))[0]
        except UnicodeError:
            alone = None
        if alone is not None and any(ord(c) < 128 for c in alone):
            return False
        for trail in range(256):
            try:
                text = decode(bytes([lead, trail]))[0]
            except UnicodeError:
                continue
            ascii_chars = [c for c in text if ord(c) < 128]
            if ascii_chars and not (trail < 128 and text == (alone or "") + chr(trail)):
                return False
    return True


# ----------------------------------------------------------------------------------------------
# the review: pass 1 binds names to what they may hold, pass 2 applies the rules

_OWN = ("own", None, None)


@dataclass
class _Params:
    """The parameters of one of the student's functions."""
    scope: object            # the function's _Scope
    positional: list         # names, in order
    names: set               # every name a keyword can give
    star: str | None         # *args
    double_star: str | None  # **kwargs
    in_class: bool           # a method


class _Scope:
    """The names one module, function, class or comprehension binds, each with what it may be
    bound to: ("module", dotted name, None), ("expr", value, scope), ("item", an element of
    value, scope), ("def", function, None), ("class", class, None), ("pool", the arguments
    given to a parameter, None), or _OWN (the student's own object)."""

    def __init__(self, kind, parent):
        self.kind, self.parent = kind, parent
        self.bound: dict[str, list] = {}
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.stars: list[str] = []
        self.free: str | None = None    # where a name bound nowhere is looked up (__main__)
        self.code = False               # the code of a string a library runs


class _Review:
    def __init__(self, file, trees, doctests=False):
        self.file = file
        self.module = _Scope("module", None)
        self.scopes = [self.module]
        self.visits = []     # (node, scope, parent, where, line offset), every node once
        self.scope_of = {}   # id(node) -> the scope it is evaluated in
        self.returns = {}    # id(function or lambda) -> [(returned or yielded value, scope)]
        self.params = {}     # id(function or lambda) -> _Params
        self.class_scopes = {}  # id(class) -> its scope
        self.attrs = {}      # attribute name -> [entry]: obj.name = value, class bodies
        self.found = []
        self._origins, self._name_origins, self._attr_origins = {}, {}, {}
        self._fold_failed, self._name_values = set(), {}
        self._pools, self._pool_origins, self._callee_cache = {}, {}, None
        self._returned = {}
        self._fold_budget = 100_000     # elements of comprehensions folded, in all
        self._read = set()              # nodes whose string was read as part of a larger one
        self._parents, self._annotation_trees = {}, set()
        # id(node) -> (in a `__main__` block, the call whose code string it is part of)
        self.tags = {}
        self._runners, self._code_strings = {}, {}
        for where, tree, offset in trees:
            self._bind_tree(tree, where, offset)
        if doctests:
            self._bind_doctest_examples()
        self._bind_annotations()
        self._move_declared()
        self._follow_flows()
        start = len(self.visits)
        self._bind_code_strings()      # after the flows: code given through a parameter
        self._move_declared()
        self._follow_flows(start)

    # --- pass 1 ---------------------------------------------------------------------------

    def _bind_tree(self, tree, where, offset, tag=None, scope=None):
        """Binds the names of one tree; `tag` is what its nodes inherit (see self.tags), and a
        module-level `if __name__ == "__main__":` body is tagged as such."""
        stack = [(tree, scope or self.module, None, None, tag)]
        while stack:
            node, scope, func, parent, tag = stack.pop()
            self.visits.append((node, scope, parent, where, offset))
            self.scope_of[id(node)] = scope
            self._parents[id(node)] = parent
            if tag is not None:
                self.tags[id(node)] = tag

            def push(children, s=scope, f=func, p=node, t=tag):
                stack.extend((c, s, f, p, t) for c in children if c is not None)

            if isinstance(node, ast.If) and scope is self.module and _main_guard(node.test):
                push([node.test] + node.orelse)
                push(node.body, t=(True, tag[1] if tag else None))
                continue

            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                outer = list(args.defaults) + list(args.kw_defaults)
                if not isinstance(node, ast.Lambda):
                    self._bind(scope, node.name, ("def", node, None))
                    every = args.posonlyargs + args.args + args.kwonlyargs + \
                        [a for a in (args.vararg, args.kwarg) if a]
                    outer += node.decorator_list + [a.annotation for a in every] + [node.returns]
                push(outer)
                inner = self._new_scope("function", scope)
                self._bind_args(args, inner, scope)
                positional = [a.arg for a in args.posonlyargs + args.args]
                self.params[id(node)] = _Params(
                    inner, positional, set(positional) | {a.arg for a in args.kwonlyargs},
                    args.vararg.arg if args.vararg else None,
                    args.kwarg.arg if args.kwarg else None, scope.kind == "class")
                if isinstance(node, ast.Lambda):
                    self.returns.setdefault(id(node), []).append((node.body, inner))
                    push([node.body], inner, node)
                else:
                    push(node.body, inner, node)
            elif isinstance(node, ast.ClassDef):
                self._bind(scope, node.name, ("class", node, None))
                push(node.decorator_list + node.bases + [k.value for k in node.keywords])
                inner = self.class_scopes[id(node)] = self._new_scope("class", scope)
                push(node.body, inner, None)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                inner = self._new_scope("comprehension", scope)
                for i, gen in enumerate(node.generators):
                    where_iter = scope if i == 0 else inner
                    self._bind_target(gen.target, ("item", gen.iter, where_iter), inner)
                    push([gen.iter], where_iter)
                    push([gen.target] + gen.ifs, inner)
                elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                push(elts, inner)
            else:
                self._bind_statement(node, scope, func)
                push(ast.iter_child_nodes(node))

    def _bind_annotations(self):
        """Annotations given as strings are code: typing.get_type_hints, dataclasses and
        functools.singledispatch evaluate them in the module's namespace. Each is read as an
        expression of the module (and the strings in it, as typing does, three levels deep)."""
        start, read = 0, 0
        for _ in range(3):
            strings = []
            for node, _scope, parent, where, offset in self.visits[start:]:
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                        self._in_annotation(node, parent):
                    strings.append((node, where, offset))
            start = len(self.visits)
            for node, where, offset in strings:
                if read >= 1000 or len(node.value) > 10_000:
                    return
                read += 1
                try:
                    tree = ast.parse(node.value.strip(), mode="eval")
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                for n in ast.walk(tree):      # the line of the annotation, as found
                    if hasattr(n, "lineno"):
                        n.lineno = 1
                self._bind_tree(tree, where, offset + node.lineno - 1, self.tags.get(id(node)))
                self._annotation_trees.add(id(tree))
            if not strings:
                return

    def _bind_doctest_examples(self):
        """The examples doctest would run from the strings of the file, as extra trees (a
        string in code that never runs gives examples that never run)."""
        import doctest
        parser, count = doctest.DocTestParser(), 0
        for node, _scope, _parent, where, offset in list(self.visits):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and ">>>" in node.value and count < 1000:
                count += 1
                try:
                    examples = parser.get_examples(node.value)
                except ValueError:
                    continue
                for ex in examples:
                    try:
                        tree = ast.parse(ex.source)
                    except (SyntaxError, ValueError, RecursionError, MemoryError):
                        continue
                    self._bind_tree(tree, where, offset + node.lineno + ex.lineno - 1,
                                    self.tags.get(id(node)))

    def _bind_code_strings(self):
        """The code of a literal string given to what may run it (timeit.timeit("f(x)"),
        cProfile.run("fit(x, y)")), read as an extra tree in a scope of its own, within the
        call's. Which calls do run code is told in pass 2 (self._runner): the trees of the
        others are not reviewed."""
        count = 0
        for node, scope, _parent, where, offset in list(self.visits):
            if not isinstance(node, ast.Call) or count >= 200:
                continue
            name = self._runner_name(node.func, scope)
            if name is None:
                continue
            for arg in _code_arguments(node, name):
                for const in self._literal_codes(arg, scope) or []:
                    if (id(const), id(node)) in self._code_strings or count >= 200:
                        continue
                    count += 1
                    tree = _parse_code(const.value)
                    self._code_strings[id(const), id(node)] = tree is not None
                    if tree is None:
                        continue
                    inner = self._new_scope("function", scope)
                    inner.code = True
                    inner.free = "__main__" if name == "run" else None
                    in_main = bool(self.tags.get(id(node), (False,))[0])
                    self._bind_tree(tree, where, offset + const.lineno - 1, (in_main, node),
                                    inner)

    def _runner_name(self, func, scope):
        """The last name of what a call may run, when it is one of _RUNNER_NAMES, told from
        the text (timeit.timeit, pr.run, t where `from timeit import timeit as t`)."""
        for _ in range(4):
            name = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if name in _RUNNER_NAMES:
                return name
            if not isinstance(func, ast.Name):
                return None
            home = self._home(scope, func.id)
            entries = home.bound.get(func.id, [])[:10] if home else []
            for how, value, where in entries:
                if how == "module" and value.rsplit(".", 1)[-1] in _RUNNER_NAMES:
                    return value.rsplit(".", 1)[-1]
            values = [(v, w) for how, v, w in entries if how == "expr" and
                      isinstance(v, (ast.Name, ast.Attribute))]
            if not values:
                return None
            func, scope = values[0]
        return None

    def _literal_codes(self, node, scope, depth=0):
        """The string constants `node` may be, where it can be nothing else: a literal, or a
        name (a parameter) only ever given literals; else None."""
        if isinstance(node, ast.Constant):
            return [node] if isinstance(node.value, str) else None
        if not isinstance(node, ast.Name) or depth > 3:
            return None
        values, out = self._bound_values(node.id, scope), []
        for value, where, items in values:
            found = None if items else self._literal_codes(value, where, depth + 1)
            if found is None:
                return None
            out += found
        return out or None

    def _in_annotation(self, node, parent):
        """A string that is an annotation, or a part of one (List["x"], "x" | None)."""
        first = node
        for _ in range(20):
            if parent is None:
                return False
            if isinstance(parent, ast.AnnAssign):
                return parent.annotation is node
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = parent.args
                return parent.returns is node or any(
                    x.annotation is node for x in a.posonlyargs + a.args + a.kwonlyargs +
                    [x for x in (a.vararg, a.kwarg) if x])
            if isinstance(parent, ast.Expression):
                return id(parent) in self._annotation_trees
            if not isinstance(parent, (ast.Subscript, ast.Tuple, ast.List, ast.BinOp,
                                       ast.Attribute, ast.Call, ast.Constant, ast.keyword)):
                return False
            if isinstance(parent, ast.Subscript) and parent.slice is node:
                kind = _unparse(parent.value).rsplit(".", 1)[-1]
                if kind == "Literal" or kind == "Annotated" and \
                        isinstance(node, ast.Tuple) and node.elts and node.elts[0] is not first:
                    return False        # values and metadata, not types: never evaluated
            first = node
            node, parent = parent, self._parents.get(id(parent))
        return False

    def _new_scope(self, kind, parent):
        scope = _Scope(kind, parent)
        self.scopes.append(scope)
        return scope

    def _bind_statement(self, node, scope, func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, ("expr", node.value, scope), scope)
        elif isinstance(node, ast.AnnAssign):
            entry = ("expr", node.value, scope) if node.value else _OWN
            self._bind_target(node.target, entry, scope)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            self._bind(scope, node.target.id, _OWN)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind_target(node.target, ("item", node.iter, scope), scope)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind_target(node.optional_vars, ("item", node.context_expr, scope), scope)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                for n in ast.walk(case.pattern):
                    name = getattr(n, "name", None) or getattr(n, "rest", None)
                    if isinstance(name, str):
                        self._bind(scope, name, ("item", node.subject, scope))
        elif isinstance(node, ast.NamedExpr):
            home = scope
            while home.kind == "comprehension":
                home = home.parent
            self._bind(home, node.target.id, ("expr", node.value, scope))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._bind(scope, alias.asname, ("module", alias.name, None))
                else:
                    top = alias.name.split(".")[0]
                    self._bind(scope, top, ("module", top, None))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if node.level:        # the student's own package
                    self._bind(scope, alias.asname or alias.name, _OWN)
                elif alias.name == "*":
                    scope.stars.append(node.module or "")
                else:
                    self._bind(scope, alias.asname or alias.name,
                               ("module", f"{node.module}.{alias.name}", None))
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._bind(scope, node.name, _OWN)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            self._bind(scope, node.name, _OWN)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            self._bind(scope, node.rest, _OWN)
        elif isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and func is not None \
                and node.value is not None:
            self.returns.setdefault(id(func), []).append((node.value, scope))

    def _bind_args(self, args, inner, outer):
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        pairs += [(a, None) for a in (args.vararg, args.kwarg) if a]
        for arg, default in pairs:
            self._bind(inner, arg.arg, ("expr", default, outer) if default else _OWN)

    def _bind(self, scope, name, entry):
        scope.bound.setdefault(name, []).append(entry)
        if scope.kind == "class":
            self.attrs.setdefault(name, []).append(entry)

    def _bind_target(self, target, entry, scope):
        if isinstance(target, ast.Name):
            self._bind(scope, target.id, entry)
        elif isinstance(target, (ast.Tuple, ast.List)):
            how, value, where = entry
            pairwise = how == "expr" and isinstance(value, (ast.Tuple, ast.List)) \
                and len(value.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)
            for i, elt in enumerate(target.elts):
                if pairwise:
                    self._bind_target(elt, ("expr", value.elts[i], where), scope)
                else:
                    self._bind_target(elt, ("item", value, where) if value else _OWN, scope)
        elif isinstance(target, ast.Starred):
            how, value, where = entry
            self._bind_target(target.value, ("item", value, where) if value else _OWN, scope)
        elif isinstance(target, ast.Attribute) and entry[0] in ("expr", "item"):
            self.attrs.setdefault(target.attr, []).append(entry)

    def _move_declared(self):
        """Bindings under `global` / `nonlocal` belong to the scope they name."""
        for scope in self.scopes:
            for name in scope.globals:
                self.module.bound.setdefault(name, []).extend(scope.bound.pop(name, []))
            for name in scope.nonlocals:
                home = scope.parent
                while home is not None and (home.kind != "function" or name in home.nonlocals):
                    home = home.parent
                home = home or self.module
                home.bound.setdefault(name, []).extend(scope.bound.pop(name, []))

    def _follow_flows(self, start=0):
        """What flows where the binding statements do not say: arguments into the parameters
        of the student's functions, values into containers (d[k] = v, lst.append(v),
        globals()["t"] = v) and into attributes (setattr(obj, "t", v), obj.__dict__["t"] = v).

        Each call adds its arguments to the pool of what it calls (a name, a method name, a
        lambda); each function reachable from a pool gets one entry per parameter that reads
        the pool. Twice over, for functions handed to functions. Linear in the calls. From
        `start` on: the nodes bound since the last call (the code of strings)."""
        if not start:
            self._pools = {}       # callee key -> [(arguments, keywords, style, scope)]
            self._flow_done = set()
        for node, scope, _parent, _where, _offset in self.visits[start:]:
            if isinstance(node, ast.Call):
                self._collect_call(node, scope)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Subscript):
                        self._flow_into(target.value, target.slice, node.value, scope)
        done = self._flow_done
        for _ in range(2):
            self._callee_cache = {}
            for key in list(self._pools):
                for fn, kind in self._key_callees(key):
                    if (key, id(fn)) in done:
                        continue
                    done.add((key, id(fn)))
                    params = self.params[id(fn)]
                    shifts = tuple(sorted((style, _shift(kind, fn, style)) for style in _STYLES))
                    places = [(name, params.positional.index(name)
                               if name in params.positional else None)
                              for name in params.names]
                    if params.star:        # *args: the arguments after the positional ones
                        places.append((params.star, ("*", len(params.positional))))
                    if params.double_star:    # **kwargs: the keywords no parameter names
                        places.append((params.double_star, ("**", tuple(sorted(params.names)))))
                    for name, place in places:
                        params.scope.bound.setdefault(name, []).append(
                            ("pool", (key, shifts, place, name), None))
        self._callee_cache = {}

    def _collect_call(self, node, scope):
        func, args = node.func, node.args
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else None
        calls = [(func, args, node.keywords)]
        if name in ("map", "filter") and len(args) >= 2:
            calls.append((args[0], [ast.Starred(args[1])], []))
        if name == "partial" and args:
            calls.append((args[0], args[1:], node.keywords))
        for callee, given, keywords in calls:
            key, style = self._key(callee, scope)
            if key is not None:
                self._pools.setdefault(key, []).append((given, keywords, style, scope))
        if isinstance(func, ast.Attribute) and name in _MUTATORS:
            for value in args + [k.value for k in node.keywords]:
                self._flow_into(func.value, None, value, scope,
                                key_node=args[0] if name == "setdefault" and args else None)
            if name == "update" and args and isinstance(args[0], ast.Dict):
                for key, value in zip(args[0].keys, args[0].values):
                    self._flow_into(func.value, key, value, scope)
            for kw in node.keywords:
                if kw.arg:
                    self._flow_into(func.value, ast.Constant(kw.arg), kw.value, scope)
        elif name == "setattr" and len(args) == 3 and isinstance(args[1], ast.Constant) and \
                isinstance(args[1].value, str):
            self.attrs.setdefault(args[1].value, []).append(("expr", args[2], scope))

    def _key(self, func, scope):
        """(what a call of `func` calls, how): ("name", scope, name), ("attr", name) for a
        method by its name, ("lambda", node); "plain", "bound" (obj.m()) or "class"
        (Class.m(obj))."""
        if isinstance(func, ast.Name):
            home = self._home(scope, func.id)
            return (("name", home, func.id) if home else None), "plain"
        if isinstance(func, ast.Attribute):
            own_class = self._own_class(func.value, scope) and not _is_self(func.value)
            return ("attr", func.attr), "class" if own_class else "bound"
        if isinstance(func, ast.Lambda):
            return ("lambda", func), "plain"
        return None, "plain"

    def _pool_origin(self, spec, depth):
        """What a parameter may hold: the arguments at its place in every call in its pool."""
        if spec not in self._pool_origins:
            self._pool_origins[spec] = None
            key, shifts, place, name = spec
            shifts, found = dict(shifts), []
            for given, keywords, style, scope in self._pools.get(key, []):
                found += self._arguments_at(place, name, given, keywords, shifts[style],
                                            scope, depth)
                if _pick(found[-2:]) not in (None, "?"):     # a dotted name: enough
                    break
            self._pool_origins[spec] = _pick(found)
        return self._pool_origins[spec]

    def _arguments_at(self, place, name, given, keywords, shift, scope, depth):
        """The origins of what one call passes to a parameter: at its index, as *args (the
        arguments from an index on), as **kwargs (the keywords not named by parameters), or
        by its name."""
        origin = lambda n: self.origin(n, scope, depth)      # noqa: E731
        held = lambda n: "?" if origin(n) else None          # noqa: E731
        if isinstance(place, tuple) and place[0] == "*":
            return [held(a.value if isinstance(a, ast.Starred) else a)
                    for k, a in enumerate(given)
                    if k >= place[1] - shift or isinstance(a, ast.Starred)]
        if isinstance(place, tuple):
            return [held(kw.value) for kw in keywords if kw.arg not in place[1]]
        found = []
        for k, arg in enumerate(given):
            if isinstance(arg, ast.Starred):              # f(*xs): any parameter from here on
                if place is not None and k <= place - shift:
                    found.append(held(arg.value))
                break
            if place is not None and k == place - shift:
                found.append(origin(arg))
                break
        for kw in keywords:
            pairs = [(kw.arg, kw.value)]
            if kw.arg is None and isinstance(kw.value, ast.Dict):   # **{"m": torch}
                pairs = [(k.value, v) for k, v in zip(kw.value.keys, kw.value.values)
                         if isinstance(k, ast.Constant)]
            elif kw.arg is None:                              # **opts: maybe this one
                found.append(held(kw.value))
                continue
            found += [origin(v) for arg_name, v in pairs if arg_name == name]
        return found

    def _flow_into(self, holder, key, value, scope, key_node=None):
        """`value` goes into `holder` (under `key` when known)."""
        key = key if key is not None else key_node
        key = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) \
            else None
        if isinstance(holder, ast.Name):
            home = self._home(scope, holder.id)
            if home is not None:
                home.bound[holder.id].append(("item", value, scope))
        elif isinstance(holder, ast.Call) and isinstance(holder.func, ast.Name) and \
                holder.func.id in ("globals", "vars", "locals") and not holder.args:
            if key is not None:   # globals()["t"] = value binds the module's t
                target = self.module if holder.func.id == "globals" else scope
                target.bound.setdefault(key, []).append(("expr", value, scope))
        elif key is not None and (
                (isinstance(holder, ast.Attribute) and holder.attr == "__dict__") or
                (isinstance(holder, ast.Call) and isinstance(holder.func, ast.Name) and
                 holder.func.id == "vars" and holder.args)):
            self.attrs.setdefault(key, []).append(("expr", value, scope))

    def _home(self, scope, name):
        """The scope whose binding of `name` a use in `scope` reads, None for a free name."""
        s, first = scope, True
        while s is not None:
            if name in s.globals:
                return self.module if name in self.module.bound else None
            if name not in s.nonlocals and (first or s.kind != "class") and name in s.bound:
                return s
            first, s = False, s.parent
        return None

    # --- what an expression may be: a dotted name it reaches, "?" (some library object), or
    # --- None (the student's own object or a fresh value)

    def origin(self, node, scope, depth=0):
        if node is None:
            return None
        if depth > _ORIGIN_DEPTH:
            return "?"
        key = id(node)
        if key not in self._origins:
            self._origins[key] = None          # a cycle reads as the student's own
            self._origins[key] = self._origin(node, scope, depth + 1)
        return self._origins[key]

    def _origin(self, node, scope, depth):
        if isinstance(node, ast.Name):
            return self._name_origin(scope, node.id, depth)
        if isinstance(node, ast.Attribute):
            chain, base = [], node
            while isinstance(base, ast.Attribute) and len(chain) < 64:
                chain.append(base)
                base = base.value
            if isinstance(base, ast.Attribute):
                return "?"
            result = self.origin(base, scope, depth)
            for link in reversed(chain):   # x.__class__ of an object it was given: a library's
                if link.attr == "__class__" and not _is_self(link.value):
                    result = "?"
                else:
                    result = self._member(result, link.attr, depth)
            return result
        if isinstance(node, ast.Call):
            return self._call_origin(node, scope, depth)
        if isinstance(node, ast.Subscript):
            outer = self.origin(node.value, scope, depth)
            if outer in (None, "?"):
                return outer
            key = self.text(node.slice, scope)
            if outer == "sys.modules":
                return key or "?"
            if outer.endswith(".__dict__"):
                return self._member(outer[:-len(".__dict__")], key, depth) if key else "?"
            return None
        if isinstance(node, ast.IfExp):
            return _pick(self.origin(n, scope, depth) for n in (node.body, node.orelse))
        if isinstance(node, ast.BoolOp):
            return _pick(self.origin(n, scope, depth) for n in node.values)
        if isinstance(node, (ast.NamedExpr, ast.Starred)):
            return self.origin(node.value, scope, depth)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            elts = node.values if isinstance(node, ast.Dict) else node.elts
            inner = _pick(self.origin(n, scope, depth) for n in elts[:1000])
            return "?" if inner else None
        return None

    def _member(self, base, attr, depth):
        if base is None:
            return self._attr_origin(attr, depth)
        if base == "?" or len(base) > 200:
            return "?"
        return f"{base}.{attr}"

    def _attr_origin(self, attr, depth):
        """What `obj.attr` may hold for the student's own obj: what was assigned to an
        attribute of that name anywhere, or bound by that name in a class body."""
        if attr not in self.attrs:
            return None
        if attr not in self._attr_origins:
            self._attr_origins[attr] = None
            self._attr_origins[attr] = self._entries_origin(self.attrs[attr], depth)
        return self._attr_origins[attr]

    def _name_origin(self, scope, name, depth):
        home = self._home(scope, name)
        if home is None:
            if name == "__builtins__":
                return "builtins"
            if name in _BUILTIN_NAMES:
                return f"builtins.{name}"
            s = scope
            while s is not None:      # cProfile.run's code: the __main__ module's names
                if s.free:
                    return f"{s.free}.{name}"
                s = s.parent
            stars = self.module.stars
            if stars:
                return f"{stars[0]}.{name}" if len(stars) == 1 else "?"
            # a name bound nowhere in the file was put there at run time (globals(), exec)
            return _CONVENTIONAL.get(name, "?")
        key = (id(home), name)
        if key not in self._name_origins:
            self._name_origins[key] = None
            self._name_origins[key] = self._entries_origin(home.bound[name], depth)
        return self._name_origins[key]

    def _entries_origin(self, entries, depth):
        return _pick(self._entry_origin(e, depth) for e in entries)

    def _entry_origin(self, entry, depth):
        how, value, scope = entry
        if how == "module":
            return value
        if how == "expr":
            return self.origin(value, scope, depth)
        if how == "item":
            return "?" if self.origin(value, scope, depth) else None
        if how == "pool":
            return self._pool_origin(value, depth)
        return None

    def _call_origin(self, node, scope, depth):
        func = self.origin(node.func, scope, depth)
        args = node.args
        if func == "builtins.getattr" and len(args) >= 2:
            base, name = self.origin(args[0], scope, depth), self.text(args[1], scope)
            default = self.origin(args[2], scope, depth) if len(args) > 2 else None
            if name is None and base not in (None, "?"):   # the name it may be, if one
                names = sorted(self._name_candidates(args[1], scope))
                names = [n for n in names if _rule(f"{base}.{n}")] or names
                name = names[0] if len(names) == 1 or names and _rule(f"{base}.{names[0]}") \
                    else "*"         # some attribute of base: torch.*
            if name is None:
                return "?" if base or default else None
            return _pick([self._member(base, name, depth), default])
        if isinstance(node.func, ast.Attribute) and node.func.attr in _CONTAINER_READS:
            held = _pick(self.origin(n, scope, depth) for n in [node.func.value, *args])
            return "?" if held else None
        if func in ("builtins.__import__", "importlib.import_module", "importlib.__import__"):
            return (self.text(args[0], scope) if args else None) or "?"
        if func == "builtins.type" and len(args) == 1:
            return None if _is_self(args[0]) else "?"
        if func == "builtins.vars" and args:
            base = self.origin(args[0], scope, depth)
            return f"{base}.__dict__" if base and base != "?" else base
        if func in _PASS_THROUGH:        # next(gen()), list(mods), sorted(...): what they held
            inner = _pick(self.origin(a, scope, depth) for a in args)
            return "?" if inner else None
        key, _ = self._key(node.func, scope)
        if key is None:
            return None
        if key not in self._returned:        # what calling it gives, once per callee
            self._returned[key] = None
            self._returned[key] = _pick(
                self.origin(value, s, depth) for fn, _ in self._key_callees(key)
                for value, s in self.returns.get(id(fn), []))
        return self._returned[key]

    def _callees(self, func, scope, depth=0):
        """(function, kind) for each of the student's functions (def or lambda) a call of
        `func` may run; kind is "plain", "method" (found by its name in a class) or "init" (a
        class called: its __init__ runs)."""
        key, _ = self._key(func, scope)
        return self._key_callees(key, depth) if key is not None else []

    def _key_callees(self, key, depth=0):
        cache = getattr(self, "_callee_cache", None)
        if cache is not None and key in cache:
            return cache[key]
        if cache is not None:
            cache[key] = []                      # a cycle finds nothing more
        if key[0] == "lambda":
            out = [(key[1], "plain")]
        else:
            entries = key[1].bound.get(key[2], []) if key[0] == "name" else \
                self.attrs.get(key[1], [])
            out = []
            for how, value, where in entries[:200]:
                if how == "expr" and isinstance(value, ast.Lambda):
                    out.append((value, "plain"))
                elif how == "def":
                    method = key[0] == "attr" and self.params[id(value)].in_class
                    out.append((value, "method" if method else "plain"))
                elif how == "class":                 # H(x) runs H.__init__(self, x)
                    body = self.class_scopes[id(value)].bound
                    out += [(v, "init") for h, v, _ in
                            body.get("__init__", []) + body.get("__new__", []) if h == "def"]
                elif depth < 3 and how == "expr" and \
                        isinstance(value, (ast.Name, ast.Attribute)):
                    out += self._callees(value, where, depth + 1)
                elif depth < 3 and how == "pool":    # a function handed in as an argument
                    pool_key, _, j, _ = value
                    j = j if isinstance(j, int) else None
                    for given, _, _, s in self._pools.get(pool_key, [])[:50]:
                        for arg in given[j:j + 2] if j is not None else []:
                            if isinstance(arg, (ast.Name, ast.Attribute, ast.Lambda)):
                                out += self._callees(arg, s, depth + 1)
        if cache is not None:
            cache[key] = out
        return out

    # --- strings that can be computed from the text alone

    def text(self, node, scope):
        """The string `node` evaluates to where the text alone tells (bytes read as Latin-1),
        else None."""
        value = self.value(node, scope)
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value if isinstance(value, str) else None

    def value(self, node, scope, depth=0, env=None):
        if node is None or depth > _FOLD_DEPTH:
            return None
        if not env and id(node) in self._fold_failed:
            return None
        try:
            value = self._fold(node, scope, depth + 1, env or {})
        except (ValueError, TypeError, ArithmeticError, LookupError, UnicodeError):
            value = None
        if isinstance(value, (str, bytes, tuple)) and len(value) > _FOLD_CHARS:
            value = None
        if isinstance(value, int) and abs(value) > 1 << 32:
            value = None
        if value is None and not env:
            self._fold_failed.add(id(node))
        return value

    def _fold(self, node, scope, depth, env):
        fold = lambda n: self.value(n, scope, depth, env)   # noqa: E731
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes, int)) else None
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else self._name_value(scope, node.id, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = fold(node.operand)
            return -operand if isinstance(operand, int) else None
        if isinstance(node, ast.BinOp):
            return _binop(node.op, fold(node.left), fold(node.right))
        if isinstance(node, ast.JoinedStr):
            parts = []
            for piece in node.values:
                if isinstance(piece, ast.FormattedValue):
                    v = fold(piece.value) if piece.format_spec is None else None
                    if not isinstance(v, (str, int)):
                        return None
                    parts.append(str(v))
                else:
                    parts.append(piece.value)
            return "".join(parts)
        if isinstance(node, ast.Subscript):
            seq, index = fold(node.value), node.slice
            if not isinstance(seq, (str, bytes, tuple)):
                return None
            if isinstance(index, ast.Slice):
                bounds = [fold(b) if b else None for b in (index.lower, index.upper, index.step)]
                if any(b is not None and not isinstance(b, int) for b in bounds) or \
                        any(b is None and given for b, given in
                            zip(bounds, (index.lower, index.upper, index.step))):
                    return None
                return seq[slice(*bounds)]
            at = fold(index)
            return seq[at] if isinstance(at, int) else None
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [fold(e) for e in node.elts[:_FOLD_CHARS + 1]]
            return None if any(i is None for i in items) else tuple(items)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)) and len(node.generators) == 1:
            gen = node.generators[0]
            seq = fold(gen.iter)
            if gen.ifs or not isinstance(gen.target, ast.Name) or \
                    not isinstance(seq, (str, bytes, tuple)) or len(seq) > self._fold_budget:
                return None
            self._fold_budget -= len(seq)           # nested comprehensions multiply
            items = []
            for x in seq:
                items.append(self.value(node.elt, scope, depth, {**env, gen.target.id: x}))
                if items[-1] is None:
                    return None
            return tuple(items)
        if isinstance(node, ast.Call) and not node.keywords:
            return self._fold_call(node, scope, depth, env, fold)
        return None

    def _name_value(self, scope, name, depth):
        """A name bound once, to something foldable: its value."""
        home = self._home(scope, name)
        entries = home.bound[name] if home else []
        if len(entries) != 1 or entries[0][0] != "expr":
            return None
        key = (id(home), name)
        if key not in self._name_values:
            self._name_values[key] = None
            _, value, where = entries[0]
            folded = self.value(value, where, depth)
            small = not isinstance(folded, (str, bytes, tuple)) or len(folded) <= 200
            self._name_values[key] = folded if small else None
        return self._name_values[key]

    def _fold_call(self, node, scope, depth, env, fold):
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = fold(func.value)
            if isinstance(receiver, (str, bytes)):
                args = [fold(a) for a in node.args]
                if any(a is None for a in args):
                    return None
                return _string_method(receiver, func.attr, args)
        name = self.origin(func, scope)
        if name == "builtins.map" and len(node.args) == 2:
            mapped, seq = self.origin(node.args[0], scope), fold(node.args[1])
            if mapped in ("builtins.chr", "builtins.str") and isinstance(seq, (str, tuple)):
                return tuple(chr(x) if mapped == "builtins.chr" else str(x) for x in seq)
            return None
        args = [fold(a) for a in node.args]
        if any(a is None for a in args):
            return None
        return _call_value(name, args)

    # --- pass 2 ---------------------------------------------------------------------------

    def run(self) -> list[Finding]:
        """The rules, on every node the grader may run. A `__main__` block is not reviewed
        unless the module may rebind __name__, or is flagged anyway (then the reviewer gets
        what the block does too)."""
        main_runs, skipped = self._check_name_binding(), []
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
        elif isinstance(node, ast.Subscript):
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                self._check_contents(node, node.value, scope)
                if _annotations(node.value) and isinstance(parent, ast.Assign):
                    self._check_hidden_name(parent, parent.value, scope, "an annotation")
            elif _outermost(node, parent):
                self._check_reach(node, self.origin(node, scope))

    # --- __name__, which decides whether a `__main__` block runs

    def _check_name_binding(self):
        """Reports what rebinds the module's __name__ (the name, the module's namespace, the
        module object), and tells whether a `__main__` block may run: it is not reviewed
        (the grader imports the module under its own name) unless the module rebinds
        __name__, or writes its namespace under names the text does not tell."""
        runs = False
        for phase in (False, True):      # what runs, then the blocks when they may run
            if phase and not runs:
                break
            for node, scope, parent, where, offset in self.visits:
                kind = type(node)
                if kind is ast.Name:
                    if node.id not in _NAMESPACE_NAMES:
                        continue
                elif kind is ast.Attribute:
                    if node.attr != "__name__" and node.attr != "__dict__":
                        continue
                elif kind is ast.Call:
                    func = node.func
                    if (func.id if type(func) is ast.Name else getattr(func, "attr", None)) \
                            not in _NAMESPACE_CALLS:
                        continue
                elif kind not in _BINDERS:
                    continue
                tag = self.tags.get(id(node))
                if bool(tag and tag[0]) != phase or \
                        tag and tag[1] is not None and not self._runner(tag[1]):
                    continue
                found = self._name_rebinding(node, scope, parent)
                if found:
                    runs = True
                    if found != "maybe":
                        self.where, self.offset = where, offset
                        self.report(node, f"rebinds __name__, which decides whether its "
                                          f"__main__ block runs ({_short(found, 30)})")
        return runs

    def _name_rebinding(self, node, scope, parent):
        """What in `node` rebinds the module's __name__ (shown), "maybe" where it may, else
        None."""
        if isinstance(node, ast.Name):
            if node.id == "__name__" and isinstance(node.ctx, (ast.Store, ast.Del)) and \
                    self._binds_module_name(scope, isinstance(parent, ast.NamedExpr)):
                return f"{node.id} = ..." if isinstance(node.ctx, ast.Store) else "del"
            if node.id in ("globals", "vars", "locals") and isinstance(node.ctx, ast.Load) \
                    and not (isinstance(parent, ast.Call) and parent.func is node) and \
                    self.origin(node, scope) == f"builtins.{node.id}":
                return "maybe"          # g = globals: its namespace, out of sight
            return None
        if isinstance(node, ast.Global):
            return "global __name__" if "__name__" in node.names else None
        named = []
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            named = [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                               ast.MatchAs, ast.MatchStar, ast.ExceptHandler)):
            named = [node.name]
        elif isinstance(node, ast.MatchMapping):
            named = [node.rest]
        if named:
            return "a binding" if "__name__" in named and \
                self._binds_module_name(scope, False) else None
        if isinstance(node, ast.Attribute):
            if node.attr == "__name__" and isinstance(node.ctx, (ast.Store, ast.Del)) and \
                    self.origin(node.value, scope) is not None:
                return _unparse(node)
            if node.attr == "__dict__" and self.origin(node.value, scope) is not None:
                return self._namespace_write(node, scope)
            return None
        if not isinstance(node, ast.Call):
            return None
        func = _canonical(self.origin(node.func, scope))
        args = node.args
        if func in ("builtins.setattr", "builtins.delattr") and len(args) >= 2 or \
                isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("__setattr__", "__delattr__"):
            texts = [self.text(a, scope) for a in args[:2]]
            if "__name__" in texts:
                return f"{func or node.func.attr}(..., '__name__')"
            return None
        if func == "builtins.globals" or func in ("builtins.vars", "builtins.locals") and \
                (not args and scope is self.module or
                 args and self.origin(args[0], scope) is not None):
            return self._namespace_write(node, scope)
        return None

    def _binds_module_name(self, scope, walrus):
        """A binding of __name__ in `scope` is the module's (or, in the code of a string a
        library runs, may be)."""
        while walrus and scope.kind == "comprehension":
            scope = scope.parent
        if "__name__" in scope.globals or scope.code:
            return True
        return scope is self.module

    def _namespace_write(self, node, scope):
        """What is done with a module's namespace (globals(), vars(m), m.__dict__): writing
        __name__ (shown), writing names the text does not tell or handing it on ("maybe"),
        reading (None)."""
        parent = self._parents.get(id(node))
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if not isinstance(parent.ctx, (ast.Store, ast.Del)):
                return None
            key = self.text(parent.slice, scope)
            return "a namespace write" if key == "__name__" else None if key else "maybe"
        if isinstance(parent, ast.Compare):
            return None
        if isinstance(parent, ast.Attribute) and parent.value is node:
            call = self._parents.get(id(parent))
            method = parent.attr
            if not (isinstance(call, ast.Call) and call.func is parent):
                return "maybe"
            if method in ("get", "keys", "values", "items", "copy", "__contains__",
                          "__getitem__", "__len__", "__iter__"):
                return None
            if method == "update":
                keys = [k.arg for k in call.keywords]
                for arg in call.args:
                    if not isinstance(arg, ast.Dict):
                        return "maybe"
                    keys += [self.text(k, scope) if k is not None else None for k in arg.keys]
            elif method in ("setdefault", "__setitem__", "pop", "__delitem__") and call.args:
                keys = [self.text(call.args[0], scope)]
            else:
                return "maybe"
            return "a namespace write" if "__name__" in keys else "maybe" if None in keys \
                else None
        if isinstance(parent, ast.keyword) and parent.arg in ("globals", "locals"):
            call = self._parents.get(id(parent))
            if isinstance(call, ast.Call) and self.origin(call.func, scope) is not None:
                return None          # timeit.timeit(..., globals=globals()): read
        if isinstance(parent, ast.Call) and node in parent.args and \
                _canonical(self.origin(parent.func, scope)) in _READ_ONLY_CALLS:
            return None
        return "maybe"

    def _reviewed(self, node, main_runs):
        """Whether the grader may run `node`: not in a `__main__` block (unless the module may
        rebind __name__), not in the code of a string that is not given to what runs it."""
        tag = self.tags.get(id(node))
        if tag is None:
            return True
        in_main, owner = tag
        return (main_runs or not in_main) and (owner is None or bool(self._runner(owner)))

    def _runner(self, call):
        """The dotted name of what runs code given as a string, when `call` calls one (see
        _CODE_RUNNERS; a cProfile.Profile()'s run and runctx too), else None."""
        key = id(call)
        if key not in self._runners:
            self._runners[key] = None
            scope = self.scope_of.get(key, self.module)
            func = _canonical(self.origin(call.func, scope))
            if func in _CODE_RUNNERS:
                self._runners[key] = func
            elif func is None and isinstance(call.func, ast.Attribute) and \
                    call.func.attr in ("run", "runctx"):
                profiler = self._profiler(call.func.value, scope)
                if profiler:
                    self._runners[key] = f"{profiler}.{call.func.attr}"
        return self._runners[key]

    def _profiler(self, node, scope):
        """"cProfile.Profile" or "profile.Profile" where `node` is (a name bound to) one."""
        values = [(node, scope)]
        if isinstance(node, ast.Name):
            values += [(v, s) for v, s, items in self._bound_values(node.id, scope) if not items]
        for value, where in values[:10]:
            if isinstance(value, ast.Call):
                made = _canonical(self.origin(value.func, where))
                if made in ("cProfile.Profile", "profile.Profile"):
                    return made
        return None

    def _check_code_strings(self, node, runner, scope):
        """The code given to what runs it: a literal string is read as source (its tree was
        bound in pass 1), one built at run time or hidden is reported."""
        for arg in _code_arguments(node, runner.rsplit(".", 1)[-1]) + \
                [a.value for a in node.args if isinstance(a, ast.Starred)] + \
                [k.value for k in node.keywords if k.arg is None]:
            consts = self._literal_codes(arg, scope)
            if consts is not None:      # read in pass 1, unless it does not parse
                if not all(self._code_strings.get((id(c), id(node))) for c in consts):
                    self.report(node, f"runs code written in a string it could not read "
                                      f"({runner})")
                continue
            unpacked = isinstance(self._parents.get(id(arg)), ast.Starred) or \
                isinstance(self._parents.get(id(arg)), ast.keyword) and \
                self._parents[id(arg)].arg is None
            if not unpacked and self._callable_code(arg, scope):
                continue             # timeit.timeit(f), timeit.timeit(lambda: f(x))
            before = len(self.found)
            self._check_hidden_name(node, arg, scope, f"the code for {runner}")
            if len(self.found) == before:
                self.report(node, f"{_RUNS_TEXT} ({runner})")
            return

    def _callable_code(self, node, scope, depth=0):
        """`node` is a function rather than text: a lambda, a def or class of the file, a
        method of its own objects, a library's function or an object made by a library's
        class (nn.Linear(1, 1)), functools.partial(...), or a name only ever bound to one."""
        if depth > 4:
            return False
        if isinstance(node, ast.Lambda):
            return True
        if isinstance(node, ast.Call):
            made = self.origin(node.func, scope)
            last = (made or "").rsplit(".", 1)[-1]
            return made == "functools.partial" or self._own_class(node.func, scope) or \
                made not in (None, "?") and not made.startswith("builtins.") and \
                last[:1].isupper()
        if isinstance(node, ast.Attribute):
            origin = self.origin(node, scope)
            if origin is None:
                return bool(self._key_callees(("attr", node.attr)))
            return origin != "?" and not origin.startswith(("os.environ", "sys.argv"))
        if not isinstance(node, ast.Name):
            return False
        home = self._home(scope, node.id)
        if home is None:
            origin = self._name_origin(scope, node.id, 0)
            return origin not in (None, "?")
        entries = home.bound[node.id][:20]
        given = any(how == "pool" for how, _, _ in entries)   # a parameter: what it is given
        for how, value, where in entries:
            if how in ("def", "class", "module") or how == "own" and given:
                continue
            if how == "expr" and self._callable_code(value, where, depth + 1):
                continue
            if how == "pool" and all(self._callable_code(v, s, depth + 1)
                                     for v, s in self._pool_nodes(value)[:20]):
                continue
            return False
        return bool(entries)

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

    def _ordinary_use(self, node, origin, parent):
        """Uses of what a rule names that only read what a correct program may read:
        membership of sys.modules (`"google.colab" in sys.modules`, sys.modules.get(name)
        tested for None), whether a package is installed (importlib.util.find_spec("pandas")
        tested for None), logging.config.dictConfig given a literal dict, and the name of a
        caller (inspect.stack()[1].function), which gives no frame away."""
        call = parent if isinstance(parent, ast.Call) and parent.func is node else None
        scope = self.scope_of.get(id(node), self.module)
        if origin in ("sys.modules", "sys.modules.keys"):
            if origin == "sys.modules.keys":
                if call is None or call.args:
                    return False
                node, parent = call, self._parents.get(id(call))
            return isinstance(parent, ast.Compare) and any(
                right is node and isinstance(op, (ast.In, ast.NotIn))
                for op, right in zip(parent.ops, parent.comparators))
        if origin == "sys.modules.get":
            return call is not None and self._tested_only(call)
        if origin == "importlib.util.find_spec":
            name = self.text(call.args[0], scope) if call is not None and call.args else None
            return bool(name) and self._tested_only(call) and not any(
                _rule(".".join(name.split(".")[:i])) or
                _HARNESS_TEXT.fullmatch(".".join(name.split(".")[:i]))
                for i in range(1, name.count(".") + 2))
        if origin == "logging.config.dictConfig":
            return call is not None and len(call.args) == 1 and not call.keywords and \
                self._plain_logging_config(call.args[0], scope)
        if origin == "inspect.stack":
            at = self._parents.get(id(call)) if call is not None else None
            name = self._parents.get(id(at)) if at is not None else None
            return isinstance(at, ast.Subscript) and at.value is call and \
                isinstance(at.slice, ast.Constant) and type(at.slice.value) is int and \
                isinstance(name, ast.Attribute) and name.value is at and \
                name.attr in ("function", "lineno") and isinstance(name.ctx, ast.Load)
        return False

    def _tested_only(self, call):
        """What `call` gives is only tested: `is None`, `is not None`, truth (if, while, not,
        bool(), an and / or that is itself tested)."""
        node = call
        for _ in range(20):
            parent = self._parents.get(id(node))
            if isinstance(parent, ast.Compare):
                others = [parent.left] + parent.comparators
                return all(isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
                           for op in parent.ops) and len(others) == 2 and all(
                    o is node or isinstance(o, ast.Constant) and o.value is None
                    for o in others)
            if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
                return True
            if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)):
                return parent.test is node
            if isinstance(parent, ast.Call):
                scope = self.scope_of.get(id(parent), self.module)
                return self.origin(parent.func, scope) == "builtins.bool" and \
                    parent.args == [node]
            if not isinstance(parent, ast.BoolOp):
                return False
            node = parent
        return False

    def _plain_logging_config(self, config, scope):
        """A dict literal whose handlers, formatters and filters name their classes as text
        that names nothing a rule does (dictConfig imports them by these names)."""
        if not isinstance(config, ast.Dict):
            return False
        for n in _walk(config, 2000):
            if isinstance(n, ast.Dict):
                for key, value in zip(n.keys, n.values):
                    if key is None:              # {**other}: not seen
                        return False
                    if self.text(key, scope) in ("class", "()") and \
                            not _plain_import_name(self.text(value, scope)):
                        return False
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and \
                    n.value.startswith("ext://") and not _plain_import_name(n.value[6:]):
                return False
            elif isinstance(n, (ast.Name, ast.Call, ast.Starred, ast.Lambda)) and \
                    self.origin(n, scope) is None and self.value(n, scope) is None:
                return False        # the student's object: what it holds is not seen
        return True

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

    def _check_attribute(self, node, scope, parent):
        attr = node.attr
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

    # --- names looked up at run time

    def _check_computed_lookup(self, node, base_node, name_node, scope):
        """getattr(obj, name) where the text does not spell the name. Configurable code reads a
        library's attributes so (getattr(torch, activation), getattr(nn, act)()), and that is
        not reported by itself; it is where the object is the grader's, pytest's or one of the
        interpreter's modules, where a name it may hold (the strings bound to it, the
        arguments given for it) or the text it starts with names what a rule names or a
        private or special attribute, and where the name is built so that a reader cannot see
        it. What is done with the result is checked as any library object is."""
        base = self.origin(base_node, scope)
        if base is None:           # the student's own object: only a hidden name is reported
            self._check_hidden_name(node, name_node, scope)
            return
        shown = self._show(base_node, base)
        if base != "?" and _canonical(base).split(".")[0] in _NO_COMPUTED_LOOKUP:
            self.report(node, f"looks up {shown} by a computed name")
            return
        reached = self.origin(node, scope)
        for name in sorted(self._name_candidates(name_node, scope)):
            full = f"{base}.{name}" if base != "?" else None
            rule = _rule(full) if full else None
            if rule and reached == full:
                return                 # reported where it is reached
            if rule:
                self.report(node, f"{rule} ({_short(full)}, by a computed name)")
                return
            if any(_private(part) for part in name.split(".")):
                self.report(node, f"looks up a private attribute of {shown} by a computed name "
                                  f"({_quote(name)})")
                return
        prefix = self._text_prefix(name_node, scope)
        if prefix and prefix.startswith("_"):
            self.report(node, f"looks up a private attribute of {shown} by a computed name "
                              f"({_quote(prefix + '...')})")
            return
        self._check_hidden_name(node, name_node, scope)

    def _name_candidates(self, node, scope, depth=0, budget=None):
        """The strings the text says `node` may hold, as far as it tells: the constants bound
        to a name, the arguments given for a parameter, the items of a literal it is taken
        from, and what joining those gives ("libr" + b, f"{a}{b}", "".join([a, b]))."""
        budget = budget if budget is not None else [60]
        if depth > 8 or budget[0] <= 0:
            return set()
        budget[0] -= 1
        text = self.text(node, scope)
        if text is not None:
            return {text}
        more = lambda n, s=scope: self._name_candidates(n, s, depth + 1, budget)  # noqa: E731
        if isinstance(node, ast.Name):
            found = set()
            for value, where, items in self._bound_values(node.id, scope):
                found |= self._element_candidates(value, where, depth, budget) if items \
                    else more(value, where)
            return found
        if isinstance(node, ast.IfExp):
            return more(node.body) | more(node.orelse)
        if isinstance(node, ast.BoolOp):
            return set().union(*(more(v) for v in node.values[:10]))
        if isinstance(node, ast.Subscript):
            return self._element_candidates(node.value, scope, depth, budget)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return _joined([more(node.left), more(node.right)])
        if isinstance(node, ast.JoinedStr):
            return _joined([more(v.value) if isinstance(v, ast.FormattedValue) else {v.value}
                            for v in node.values[:10]])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "join" and len(node.args) == 1 and \
                isinstance(node.args[0], (ast.List, ast.Tuple)):
            glue = self.text(node.func.value, scope)
            if glue == "":
                return _joined([more(e) for e in node.args[0].elts[:10]])
        return set()

    def _element_candidates(self, node, scope, depth, budget):
        """The strings an element of `node` may be (a literal's items, a dict's keys and
        values, the elements of what a name is bound to)."""
        if depth > 8 or budget[0] <= 0:
            return set()
        budget[0] -= 1
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            elts = node.keys + node.values if isinstance(node, ast.Dict) else node.elts
            return set().union(*(self._name_candidates(e, scope, depth + 1, budget)
                                 for e in elts[:50] if e is not None))
        if isinstance(node, ast.Name):
            found = set()
            for value, where, items in self._bound_values(node.id, scope):
                found |= self._name_candidates(value, where, depth + 1, budget) if items \
                    else self._element_candidates(value, where, depth + 1, budget)
            return found
        return set()

    def _bound_values(self, name, scope):
        """(value, scope, is an element of it) for what `name` is bound to where it is read:
        assigned values, loop items, the arguments given for a parameter."""
        home = self._home(scope, name)
        out = []
        for how, value, where in (home.bound[name] if home else [])[:20]:
            if how == "expr" and value is not None:
                out.append((value, where, False))
            elif how == "item" and value is not None:
                out.append((value, where, True))
            elif how == "pool":
                out += [(v, s, False) for v, s in self._pool_nodes(value)]
        return out

    def _pool_nodes(self, spec):
        """The argument nodes the calls in a parameter's pool give it, by place or keyword."""
        key, shifts, place, name = spec
        shifts, out = dict(shifts), []
        for given, keywords, style, scope in self._pools.get(key, [])[:50]:
            if isinstance(place, int):
                k = place - shifts[style]
                if 0 <= k < len(given) and \
                        not any(isinstance(a, ast.Starred) for a in given[:k + 1]):
                    out.append((given[k], scope))
            out += [(kw.value, scope) for kw in keywords if kw.arg == name]
        return out

    def _text_prefix(self, node, scope, depth=0):
        """The text a string built from pieces is known to start with ("_" + name: "_")."""
        if depth > 8:
            return None
        text = self.text(node, scope)
        if text is not None:
            return text
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._text_prefix(node.left, scope, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.text(node.left, scope)
            return left.split("%")[0] if left else None
        if isinstance(node, ast.JoinedStr):
            out = ""
            for piece in node.values:
                part = self.text(piece.value, scope) if isinstance(piece, ast.FormattedValue) \
                    and piece.format_spec is None else \
                    piece.value if isinstance(piece, ast.Constant) else None
                if not isinstance(part, str):
                    break
                out += part
            return out or None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "format":
            receiver = self.text(node.func.value, scope)
            return receiver.split("{")[0] if receiver else None
        return None

    def _own_instance(self, node, scope):
        """self, cls, one of the student's classes, or an object made by calling one."""
        if self._own_class(node, scope):
            return True
        if isinstance(node, ast.Call):
            return self._own_class(node.func, scope)
        if isinstance(node, ast.Name):
            values = self._bound_values(node.id, scope)
        elif isinstance(node, ast.Attribute):          # self.helper = Helper()
            values = [(v, s, how == "item") for how, v, s in self.attrs.get(node.attr, [])[:20]]
        else:
            return False
        return bool(values) and all(not items and isinstance(v, ast.Call) and
                                    self._own_class(v.func, s) for v, s, items in values)

    def _is_formatter(self, node, scope):
        """string.Formatter(), or a name bound to one."""
        values = [(node, scope)]
        if isinstance(node, ast.Name):
            values += [(v, s) for v, s, items in self._bound_values(node.id, scope) if not items]
        return any(isinstance(v, ast.Call) and self.origin(v.func, s) == "string.Formatter"
                   for v, s in values[:10])

    def _check_expression_method(self, node, scope):
        """df.eval("a + b"), df.query("a > 1"): pandas evaluates the text, with Python's own
        evaluator when asked to. A method of that name the student wrote is theirs; torch's
        objects take no text (model.eval() takes nothing)."""
        attr, receiver = node.func.attr, node.func.value
        if self._own_instance(receiver, scope) and self._key_callees(("attr", attr)):
            return
        base = self.origin(receiver, scope)
        if base not in (None, "?") and (base.split(".")[0] == "torch" or _rule(f"{base}.{attr}")):
            return
        self.report(node, f"{_RUNS_TEXT} (.{attr} given an expression)")

    # --- a checkpoint the module wrote itself

    def _loads_own_save(self, node, scope):
        """torch.load(path, weights_only=False) of the checkpoint the statement just before
        wrote with torch.save to the same literal path (torch.save(model, path), or a with
        that opens the path and only saves into it), the load being the whole value of its
        own statement (m = torch.load(...)): what it unpickles is what this code pickled. Any
        other file may have come with the submission, or been replaced since, and is not
        read by the review."""
        target = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "f"), None)
        path = self.text(target, scope) if target is not None else None
        statement = self._parents.get(id(node))
        if not path or not (isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Expr)) and
                            statement.value is node):
            return False
        block = self._parents.get(id(statement))
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(block, field, None)
            if isinstance(stmts, list) and statement in stmts:
                at = stmts.index(statement)
                return at > 0 and self._saves_to(stmts[at - 1], posixpath.normpath(path))
        return False

    def _saves_to(self, stmt, path):
        def saved(expr, file_name=None):
            if not (isinstance(expr, ast.Expr) and isinstance(expr.value, ast.Call)):
                return False
            call = expr.value
            scope = self.scope_of.get(id(call), self.module)
            if self.origin(call.func, scope) != "torch.save":
                return False
            dest = call.args[1] if len(call.args) > 1 else next(
                (k.value for k in call.keywords if k.arg == "f"), None)
            if file_name is not None:
                return isinstance(dest, ast.Name) and dest.id == file_name
            text = self.text(dest, scope) if dest is not None else None
            return text is not None and posixpath.normpath(text) == path
        if saved(stmt):
            return True
        if isinstance(stmt, ast.With) and len(stmt.items) == 1 and len(stmt.body) == 1:
            scope = self.scope_of.get(id(stmt), self.module)
            opened, name = stmt.items[0].context_expr, stmt.items[0].optional_vars
            opened_path = self.text(opened.args[0], scope) if isinstance(opened, ast.Call) \
                and opened.args else None
            return isinstance(name, ast.Name) and opened_path is not None and \
                self.origin(opened.func, scope) in ("builtins.open", "io.open") and \
                posixpath.normpath(opened_path) == path and saved(stmt.body[0], name.id)
        return False

    # --- raw file descriptors

    def _check_descriptors(self, node, func, scope):
        """A numbered file descriptor other than 0, 1 and 2 (a constant, or an int computed at
        run time) handed to what writes, reads, duplicates or opens one, or to a child
        process; os.write and friends write to 1 or 2 only."""
        args, keywords = node.args, {k.arg: k.value for k in node.keywords if k.arg}
        shown = func.replace("builtins.", "")
        if func in _OS_FD:
            places, writes = _OS_FD[func]
            for place in places:
                if place >= len(args) or isinstance(args[place], ast.Starred):
                    continue
                kind = self._descriptor(args[place], scope)
                if place in writes and kind not in (1, 2):
                    self.report(node, f"writes to a raw file descriptor ({shown})")
                    return
                if kind == "numbered":
                    self.report(node, f"{_RAW_FD} ({shown})")
                    return
        elif func in _FD_OPENERS:
            target = args[0] if args else keywords.get("file")
            opener = keywords.get("opener", args[7] if func == "builtins.open" and
                                  len(args) > 7 else None)
            if target is not None and self._descriptor(target, scope) == "numbered":
                self.report(node, f"{_RAW_FD} ({shown} of a descriptor)")
            elif opener is not None and not _empty(opener):     # it gives the descriptor
                self.report(node, f"{_RAW_FD} ({shown} with an opener)")
        elif func == "socket.socket":
            if "fileno" in keywords or len(args) >= 4:
                self.report(node, f"{_RAW_FD} (socket.socket(fileno=...))")
        elif func in ("os.posix_spawn", "os.posix_spawnp"):
            actions = keywords.get("file_actions")
            if actions is not None and not _empty(actions):
                self.report(node, f"{_RAW_FD} ({shown} with file_actions)")
        else:      # a child process: its stdin, stdout, stderr, the descriptors it keeps
            given = [(name, keywords.get(name)) for name in ("stdin", "stdout", "stderr")]
            given += [(name, args[i]) for name, i in zip(("stdin", "stdout", "stderr"),
                                                         _SPAWNERS[func]) if i < len(args)]
            for name, value in given:     # -1, -2, -3: subprocess.PIPE, STDOUT, DEVNULL
                if value is not None and \
                        self._descriptor(value, scope, allowed=(-3, -2, -1, 0, 1, 2)) == \
                        "numbered":
                    self.report(node, f"{_RAW_FD} ({name}={_short(_unparse(value), 20)})")
                    return
            fds, close = keywords.get("pass_fds"), keywords.get("close_fds")
            if fds is not None and not _empty(fds):
                self.report(node, f"{_RAW_FD} (pass_fds={_short(_unparse(fds), 20)})")
            elif close is not None and not (isinstance(close, ast.Constant) and
                                            close.value is True):
                self.report(node, f"{_RAW_FD} (close_fds={_short(_unparse(close), 20)})")

    def _descriptor(self, node, scope, allowed=(0, 1, 2)):
        """What `node` is as a descriptor: the int when the text tells (1 for
        sys.stdout.fileno()), "numbered" for an int outside `allowed` or one computed at run
        time (arithmetic, int(), len(), a loop over range(), what os.open or os.pipe gives,
        a .fileno() other than sys's streams), else None (a path, a file object, unknown)."""
        value = self.value(node, scope)
        if isinstance(value, int) and not isinstance(value, bool):
            return value if value in allowed else "numbered"
        if value is not None:
            return None
        std = self._std_fileno(node, scope)
        if std is not None:
            return std if std in allowed else "numbered"
        return "numbered" if self._int_like(node, scope) else None

    def _std_fileno(self, node, scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "fileno" and not node.args:
            return _STD_STREAMS.get(self.origin(node.func.value, scope))
        return None

    def _int_like(self, node, scope, limit=40):
        """Whether `node` may be an int computed at run time (see _descriptor)."""
        todo, seen = [(node, scope, False)], 0
        while todo and seen < limit:
            expr, where, items = todo.pop()
            seen += 1
            if items:            # an element of expr
                if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
                    todo += [(e, where, False) for e in expr.elts[:20]]
                elif isinstance(expr, ast.Name):
                    todo += [(v, s, True) for v, s, _ in self._bound_values(expr.id, where)]
                elif isinstance(expr, ast.Call):
                    called = _canonical(self.origin(expr.func, where))
                    if called == "builtins.range" or called in _GIVES_INT:
                        return True
                    if called in ("builtins.map", "builtins.filter") and expr.args and \
                            self.origin(expr.args[0], where) in _GIVES_INT:
                        return True
                    if called in ("builtins.list", "builtins.tuple", "builtins.sorted",
                                  "builtins.set", "builtins.reversed", "builtins.filter"):
                        todo += [(a, where, True) for a in expr.args[-1:]]
                elif isinstance(expr, ast.Subscript):
                    todo.append((expr.value, where, True))
                continue
            if isinstance(expr, ast.Constant):
                if type(expr.value) is int:
                    return True
            elif isinstance(expr, ast.Name):
                todo += self._bound_values(expr.id, where)
            elif isinstance(expr, ast.BinOp):
                sides = (expr.left, expr.right)
                if not any(isinstance(x, (ast.JoinedStr, ast.List, ast.Tuple)) or
                           (isinstance(x, ast.Constant) and not type(x.value) is int)
                           for x in sides):
                    todo += [(x, where, False) for x in sides]
            elif isinstance(expr, ast.UnaryOp) and not isinstance(expr.op, ast.Not):
                todo.append((expr.operand, where, False))
            elif isinstance(expr, (ast.IfExp, ast.BoolOp)):
                todo += [(x, where, False) for x in
                         ((expr.body, expr.orelse) if isinstance(expr, ast.IfExp)
                          else expr.values[:10])]
            elif isinstance(expr, ast.NamedExpr):
                todo.append((expr.value, where, False))
            elif isinstance(expr, ast.Subscript):
                todo.append((expr.value, where, True))
            elif isinstance(expr, ast.Attribute):     # what the student assigned to it
                todo += [(v, s, False) for how, v, s in self.attrs.get(expr.attr, [])[:20]
                         if how == "expr" and v is not None]
            elif isinstance(expr, ast.Call):
                called = _canonical(self.origin(expr.func, where))
                if isinstance(expr.func, ast.Attribute) and expr.func.attr == "fileno":
                    if self._std_fileno(expr, where) is None:
                        return True
                elif called in _GIVES_INT:
                    return True
                elif called in ("builtins.max", "builtins.min"):
                    todo += [(a, where, False) for a in expr.args[:10]]
                else:
                    key, _ = self._key(expr.func, where)
                    for fn, _ in (self._key_callees(key) if key is not None else [])[:10]:
                        todo += [(v, s, False) for v, s in self.returns.get(id(fn), [])[:10]]
        return False

    # --- files Python would run

    def _check_code_file(self, node, func, scope):
        """open("x.py", "w"), Path(p).write_text(...), shutil.copy(src, "x.py"),
        torch.save(obj, name + ".py"): a file written at run time whose name ends in a code
        suffix (where the text tells how it ends), or whose name is made from the file's own
        (__file__) and does not end in another suffix. A later import would run it unread."""
        args, keywords = node.args, {k.arg: k.value for k in node.keywords if k.arg}
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        targets = []
        if func in _PATH_OPENERS and args or \
                (method == "open" and func not in _PATH_OPENERS and self._a_path(node.func.value,
                                                                                  scope)):
            path = args[0] if func in _PATH_OPENERS else node.func.value
            rest = args[1:] if func in _PATH_OPENERS else args
            mode = rest[0] if rest else keywords.get("mode", keywords.get("flags"))
            mode_text = self.text(mode, scope) if mode is not None else "r"
            if mode_text is None or any(c in mode_text for c in "wax+"):
                targets.append(path)
        elif method in ("write_text", "write_bytes", "touch", "symlink_to", "hardlink_to",
                        "link_to", "mkfifo"):
            targets.append(node.func.value)
        elif method in ("rename", "replace") and len(args) == 1 and func not in _COPIERS:
            targets.append(args[0])
        elif func in _COPIERS and len(args) > 1:
            targets.append(args[1])
            if not self._known_suffix(args[1], scope):   # into a folder: the name it had
                targets.append(args[0])
        elif (method or (func or "").rsplit(".", 1)[-1]).startswith(_WRITER_VERBS):
            targets += [a for a in args[:2] if not isinstance(a, ast.Starred)]
            targets += [v for k, v in keywords.items() if k in _PATH_KEYWORDS]
        elif (func or "").startswith("tempfile.") and "suffix" in keywords:
            targets.append(keywords["suffix"])      # NamedTemporaryFile(suffix=".py")
        for target in targets:
            what = self._code_path(target, scope)
            if what:
                self.report(node, f"writes a file Python would run ({what})")
                return

    def _a_path(self, node, scope, depth=0):
        """`node` is a pathlib path (Path(...), a path joined with /, a name bound to one)."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return True
        if isinstance(node, ast.Name) and depth < 3:
            return any(not items and self._a_path(v, s, depth + 1)
                       for v, s, items in self._bound_values(node.id, scope)[:10])
        return isinstance(node, ast.Call) and (
            (self.origin(node.func, scope) or "").startswith("pathlib.") or
            isinstance(node.func, ast.Attribute) and node.func.attr in (
                "with_suffix", "with_name", "with_stem", "joinpath", "resolve", "absolute"))

    def _code_path(self, node, scope):
        """How the text shows a path names a file Python would run, or ""."""
        if isinstance(node, ast.Call) and not self._builds_path(node, scope):
            return ""       # open(...), a model: not a path (an opener is checked itself)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "replace" and len(node.args) == 2:
            new = self.text(node.args[1], scope)     # p.replace(".py", "_x.py")
            if new and new.lower().endswith(_CODE_SUFFIXES):
                return f"a name ending {_quote(new)}"
        full = self.text(node, scope)
        ends = {full} if full is not None else self._path_ends(node, scope)
        if any(e.lower().endswith(_SITE_SUFFIXES) for e in ends) and \
                self._site_path(node, scope):
            return "a .pth file in a site folder"
        if full is not None:
            return _quote(full) if full.lower().endswith(_CODE_SUFFIXES) else ""
        code = sorted(e for e in ends if e.lower().endswith(_CODE_SUFFIXES))
        if code:
            return f"a name ending {_quote(code[0])}"
        if self._from_own_file(node, scope) and not all(_has_suffix(e) for e in ends):
            return "a name made from its own file's, __file__"
        return ""

    def _site_path(self, node, scope, limit=30):
        """Whether a path may lie in a site folder, where site.py runs a .pth file's imports:
        its text names one (site-packages, dist-packages, ~/.local/lib, PYTHONUSERBASE), or
        it is made from what finds one (site, sysconfig, sys.prefix, sys.path, a library's
        __file__). The home folder or a folder from the environment is not one by itself."""
        text = self.text(node, scope)
        if text is not None:
            return bool(_SITE_TEXT.search(text))
        todo, seen = [(node, scope)], 0
        while todo and seen < limit:
            expr, where = todo.pop()
            seen += 1
            for n in _walk(expr, 100):
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and \
                        _SITE_TEXT.search(n.value):
                    return True
                if isinstance(n, (ast.Name, ast.Attribute)) and \
                        isinstance(getattr(n, "ctx", None), ast.Load):
                    origin = _canonical(self.origin(n, where)) or ""
                    if origin.startswith(_SITE_ORIGINS):
                        return True
                    if isinstance(n, ast.Attribute) and n.attr in ("__file__", "__path__") \
                            and self.origin(n.value, where) is not None:
                        return True
                if isinstance(n, ast.Name):
                    todo += [(v, s) for v, s, items in self._bound_values(n.id, where)[:10]
                             if not items]
        return False

    def _known_suffix(self, node, scope):
        return all(_has_suffix(e) for e in self._path_ends(node, scope))

    def _path_ends(self, node, scope, depth=0, budget=None):
        """The texts a path built from pieces is known to end with ("" where not known):
        name + ".py" ends ".py", Path(d) / f"{n}.py" ends ".py", p.with_suffix(".so") ".so"."""
        budget = budget if budget is not None else [60]
        if depth > 8 or budget[0] <= 0:
            return {""}
        budget[0] -= 1
        text = self.text(node, scope)
        if text is not None:
            return {text}
        ends = lambda n: self._path_ends(n, scope, depth + 1, budget)    # noqa: E731
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            right = self.text(node.right, scope)
            if right is None:
                return ends(node.right)
            return {left + right for left in ends(node.left)}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return ends(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.text(node.left, scope)
            return {re.split(r"%[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]", left)[-1]} if left else {""}
        if isinstance(node, ast.JoinedStr):
            tail = ""
            for piece in reversed(node.values):
                part = self.text(piece.value, scope) if isinstance(piece, ast.FormattedValue) \
                    and piece.format_spec is None else \
                    piece.value if isinstance(piece, ast.Constant) else None
                if not isinstance(part, str):
                    break
                tail = part + tail
            return {tail}
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "with_suffix" and node.args:
                return {self.text(node.args[0], scope) or ""}
            if isinstance(func, ast.Attribute) and func.attr == "with_name" and node.args:
                return ends(node.args[0])
            if isinstance(func, ast.Attribute) and func.attr == "format":
                receiver = self.text(func.value, scope)
                return {receiver.rsplit("}", 1)[-1]} if receiver else {""}
            if isinstance(func, ast.Attribute) and func.attr == "join" and node.args and \
                    isinstance(node.args[0], (ast.List, ast.Tuple)) and node.args[0].elts:
                return ends(node.args[0].elts[-1])
            if node.args and self._builds_path(node, scope) and \
                    not (isinstance(func, ast.Attribute) and func.attr in ("replace", "strip")):
                return ends(node.args[-1])
            return {""}
        if isinstance(node, ast.Name):
            found = set()
            for value, where, items in self._bound_values(node.id, scope)[:10]:
                found |= {""} if items else self._path_ends(value, where, depth + 1, budget)
            return found or {""}
        if isinstance(node, ast.IfExp):
            return ends(node.body) | ends(node.orelse)
        return {""}

    def _builds_path(self, call, scope):
        """A call that makes a path from its arguments (Path(d, n), os.path.join, str(p),
        p.with_suffix(s), "{}.py".format(n))."""
        if isinstance(call.func, ast.Attribute) and call.func.attr in (
                "with_suffix", "with_name", "with_stem", "format", "join", "resolve",
                "absolute", "expanduser", "joinpath", "replace", "strip", "rstrip", "lstrip",
                "removesuffix", "removeprefix", "lower", "upper", "casefold"):
            return True
        called = self.origin(call.func, scope) or ""
        return called.startswith(("os.path.", "posixpath.", "pathlib.")) or \
            called in ("builtins.str", "os.fspath")

    def _from_own_file(self, node, scope, limit=30):
        """Whether a path is made from __file__ (the file's own, or a module's): through
        names, operators, subscripts and what makes a path or a string from a path
        (os.path.dirname, __file__.replace(...)), not through other calls (open(path) is a
        file, model(path) a model) nor loop or with items."""
        todo, seen = [(node, scope)], 0
        while todo and seen < limit:
            expr, where = todo.pop()
            seen += 1
            stack, walked = [expr], 0
            while stack and walked < 100:
                n = stack.pop()
                walked += 1
                if isinstance(n, ast.Name) and n.id in ("__file__", "__cached__"):
                    return True
                if isinstance(n, ast.Attribute) and n.attr in ("__file__", "__cached__"):
                    return True
                if isinstance(n, ast.Name):
                    todo += [(v, s) for v, s, items in self._bound_values(n.id, where)[:10]
                             if not items]
                elif isinstance(n, ast.Call):
                    if self._builds_path(n, where):
                        stack += n.args + [n.func]
                elif not isinstance(n, (ast.Lambda, ast.comprehension, ast.GeneratorExp,
                                        ast.ListComp, ast.SetComp, ast.DictComp)):
                    stack.extend(ast.iter_child_nodes(n))
        return False

    def _from_char_codes(self, arg, scope):
        if isinstance(arg, ast.Call) and self.origin(arg.func, scope) == "builtins.map":
            return bool(arg.args) and self.origin(arg.args[0], scope) == "builtins.chr"
        if isinstance(arg, (ast.GeneratorExp, ast.ListComp)) and isinstance(arg.elt, ast.Call):
            return self.origin(arg.elt.func, scope) == "builtins.chr"
        return False

    def _check_hidden_name(self, node, name_node, scope, what="an attribute name"):
        """getattr(obj, name) on the student's own obj: fine, unless the name is built so that
        a reader cannot see it (decoded, from character codes, read at run time), or walks
        every attribute that dir() lists."""
        todo, seen = [(name_node, scope)], 0
        while todo and seen < 20:
            expr, where = todo.pop()
            seen += 1
            for n in _walk(expr, 200):
                if isinstance(n, ast.Name):          # what the names in it were given
                    home = self._home(where, n.id)
                    for how, value, s in (home.bound[n.id] if home else [])[:10]:
                        if how == "item" and isinstance(value, ast.Call) and \
                                self._is_dir(value, s):
                            self.report(node, "walks every attribute of an object "
                                              "(dir and getattr)")
                            return
                        if how in ("expr", "item") and value is not None:
                            todo.append((value, s))
                called = n.func.attr if isinstance(n, ast.Call) and \
                    isinstance(n.func, ast.Attribute) else \
                    n.func.id if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) else None
                reversed_text = isinstance(n, ast.Subscript) and \
                    isinstance(n.slice, ast.Slice) and n.slice.step is not None
                read = isinstance(n, ast.Attribute) and n.attr in _HIDING_ATTRIBUTES
                if called in _HIDING_CALLS or reversed_text or read:
                    how = called or (n.attr if read else "[::-1]")
                    self.report(node, f"builds {what} so that it cannot be read ({how})")
                    return

    def _is_dir(self, call, scope):
        return self.origin(call.func, scope) == "builtins.dir" or \
            (isinstance(call.func, ast.Attribute) and call.func.attr == "__dir__")

    def _read_string(self, node, scope, parent):
        """The string `node` folds to, read where it is whole: nodes come outermost first, and
        the parts of a string that was read are not read again. A bare string statement (a
        docstring) does nothing and is not read."""
        if id(node) in self._read or isinstance(parent, ast.Expr) or \
                (isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes))):
            return
        value = self.value(node, scope)
        if isinstance(value, (str, bytes)):
            self._check_text(node, value, (parent, scope))
            self._read.update(id(n) for n in ast.walk(node))

    def _names_module_or_path(self, node, parent, scope):
        """Whether a string stands where a module's name or a file's path is given: an
        argument of what imports or opens (importlib, __import__, open, os, pathlib, glob,
        shutil, numpy's and torch's loaders ...), a part of a path joined with /, a key of
        sys.modules."""
        if isinstance(parent, ast.keyword):
            parent = self._parents.get(id(parent))
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div):
            return True
        if isinstance(parent, ast.Subscript):
            return parent.slice is node and (_canonical(
                self.origin(parent.value, scope)) or "").startswith("sys.modules")
        if not (isinstance(parent, ast.Call) and parent.func is not node):
            return False
        if _canonical(self.origin(parent.func, scope)) == "sys.modules.get" and \
                self._tested_only(parent):
            return False            # sys.modules.get("pytest") is None: membership
        return self._opens_or_imports(parent, scope)

    def _opens_or_imports(self, call, scope):
        func = _canonical(self.origin(call.func, scope)) or ""
        if func.startswith(_OPENS_OR_IMPORTS) or _rule(func) in (_IMPORTS, _IMPORT_SYSTEM):
            return True
        return isinstance(call.func, ast.Attribute) and call.func.attr in _PATH_METHODS and \
            (func != "" or self._a_path(call.func.value, scope))

    def _check_text(self, node, value, where=None):
        """`where`: (parent, scope) of the string, to tell whether it names a module or a
        path (see _names_module_or_path)."""
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if _PROC.search(text) or _proc_glob(text):
            self.report(node, f"reads the process's /proc or /dev files ({_quote(text)})")
        if "PYTHONBREAKPOINT" in text:
            self.report(node, f"{_HOOK} ({_quote(text)})")
        if _HARNESS_TEXT.fullmatch(text):
            if where is None or self._names_module_or_path(node, *where):
                # not {"solutions": [...]}, print("pytest"), "pytest" in sys.modules: text
                self.report(node, f"{_HARNESS} ({_quote(text)})")
        elif _HARNESS_FILES.search(text):
            self.report(node, f"names the grader's files ({_quote(text)})")
        if text in _SPELLED:
            self.report(node, f"{_SPELLED[text]} (spelled as text: {_quote(text)})")
        else:   # "{0.__globals__}".format(fn), attrgetter("a.__globals__")
            match = _DOTTED_SPELLED.search(text)
            if match:
                self.report(node, f"{_SPELLED[match[1]]} (spelled as text: {_quote(text)})")

    def _show(self, node, origin):
        return _short(origin if origin != "?" else _unparse(node))


# ----------------------------------------------------------------------------------------------
# small helpers

def _plain_import_name(name):
    """A dotted name a library may import that names nothing a rule does."""
    return bool(name) and re.fullmatch(r"[A-Za-z_][\w.]*", name) is not None and not any(
        _rule(".".join(name.split(".")[:i])) or
        _HARNESS_TEXT.fullmatch(".".join(name.split(".")[:i]))
        for i in range(1, name.count(".") + 2))


# what may bind __name__ or reach a module's namespace (see _Review._name_rebinding)
_BINDERS = {ast.Global, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
            ast.ClassDef, ast.MatchAs, ast.MatchStar, ast.ExceptHandler, ast.MatchMapping}
_NAMESPACE_NAMES = {"__name__", "globals", "vars", "locals"}
_NAMESPACE_CALLS = {"setattr", "delattr", "globals", "vars", "locals", "__setattr__",
                    "__delattr__"}


def _main_guard(test):
    """`__name__ == "__main__"` (either way round, or as a part of an `and`): false whenever
    the grader imports the module, unless the module rebinds __name__."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_main_guard(v) for v in test.values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and
            isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(a, ast.Name) and a.id == "__name__" and isinstance(b, ast.Constant)
               and b.value == "__main__" for a, b in (sides, sides[::-1]))


def _code_arguments(call, name):
    """The arguments of a call that may be code, by the last name of what it calls (see
    _CODE_RUNNERS)."""
    places = ((0, "statement"), (0, "cmd")) if name in ("run", "runctx") else \
        ((0, "stmt"), (1, "setup"))
    out = []
    for index, keyword in places:
        if index < len(call.args) and not any(isinstance(a, ast.Starred)
                                              for a in call.args[:index + 1]):
            out.append(call.args[index])
        out += [k.value for k in call.keywords if k.arg == keyword]
    return out


def _parse_code(text):
    """The tree of code given as a string (dedented as timeit's template does), else None."""
    if len(text) > 100_000:
        return None
    for source in (text, textwrap.dedent(text)):
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None


def _a_setting(base, target, parent):
    """pd.options.display.max_rows = 10: a plain literal given to a library the grader neither
    uses nor can look up (torch and numpy are looked up; the interpreter's own modules, the
    grader and pytest are never settings: sys.stdout.total = 2 ** 70 is not one). Also the
    command line a notebook gives argparse (sys.argv = [...]: the grader has read its own), and
    pandas' display options, which take functions too (float_format = "{:.4f}".format)."""
    assigned = isinstance(parent, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and \
        isinstance(target.ctx, ast.Store)
    if _canonical(base) == "sys" and target.attr == "argv":
        return assigned
    if base == "pandas.options" or base.startswith("pandas.options."):
        return assigned and not target.attr.startswith("_")
    root = base.split(".")[0]
    if root in _RESOLVED_LIBRARIES or root in _STRICT_ROOTS or base == "?":
        return False
    return isinstance(parent, ast.Assign) and target in parent.targets and \
        _is_literal(parent.value)


def _is_literal(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_is_literal(e) for e in node.elts[:64]) and len(node.elts) <= 64
    return isinstance(node, ast.Constant)


def _canonical(dotted):
    """`dotted` with the module it starts with under its usual name (posix.write: os.write)."""
    if not dotted:
        return dotted
    root, dot, rest = dotted.partition(".")
    return _MODULE_ALIASES[root] + dot + rest if root in _MODULE_ALIASES else dotted


def _private(name):
    """A name a library keeps to itself, or a special one that does more than describe."""
    return name.startswith("_") and name not in _HARMLESS_DUNDERS


@functools.lru_cache(maxsize=8192)
def _rule(dotted):
    """What reaching `dotted` does, by the longest entry of _NAMES that covers it."""
    parts = dotted.split(".")
    parts[0] = _MODULE_ALIASES.get(parts[0], parts[0])
    if parts[0] == "doctest" and len(parts) > 1 and parts[1] not in _DOCTEST_ORDINARY:
        return "runs code written in a string"
    if parts[0] in ("pytest", "importlib") and any(
            ".".join(parts[:i]) in _ALLOWED for i in range(2, min(len(parts), 3) + 1)):
        return None
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in _NAMES and (i == len(parts) or key not in _EXACT):
            return _NAMES[key]
    if parts[0] in (*_RESOLVED_LIBRARIES, "typing", "typing_extensions") and any(
            p.startswith("_") and not (p.startswith("__") and p.endswith("__")) and
            ".".join(parts[:i + 1]) not in _PRIVATE_BASES for i, p in enumerate(parts)):
        return f"reaches {parts[0]}'s private internals"
    if "*" in parts:       # torch.*.cpp_extension: an entry under torch that ends so
        before, after = parts[:parts.index("*")], parts[len(parts) - parts[::-1].index("*"):]
        for j in range(1, len(after) + 1):
            for key in _NAMES_BY_LAST.get(after[j - 1], ()):
                if key[len(key) - j:] == tuple(after[:j]) and len(key) > len(before) + j - 1 \
                        and key[:len(before)] == tuple(before):
                    return _NAMES[".".join(key)]
    return None


# the entries of _NAMES by their last part, for names with a part not known (torch.*.x)
_NAMES_BY_LAST = {}
for _key in _NAMES:
    _NAMES_BY_LAST.setdefault(_key.rsplit(".", 1)[-1], []).append(tuple(_key.split(".")))


_STYLES = ("plain", "bound", "class")


def _shift(kind, fn, style):
    """How many parameters of `fn` come before a call's arguments: a bound method's self, a
    class's __init__'s self, a classmethod's cls."""
    if kind == "init":
        return 1
    if kind == "plain":
        return 0
    decorators = {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}
    if "staticmethod" in decorators:
        return 0
    if "classmethod" in decorators:
        return 1
    return 1 if style == "bound" else 0


def _library_kind(dotted):
    """"data" for an attribute of torch or numpy that holds plain data now (a setting),
    "missing" for one that does not exist, "other" for anything else (a function, a class, an
    object, an attribute of another module)."""
    found, value = _library_object(dotted)
    if found is None:
        return "other"
    if not found:
        return "missing"
    return "data" if _is_data(value) else "other"


def _library_object(dotted):
    """(True, the object) `dotted` names in this process's torch or numpy, (False, None) when
    its last attribute does not exist, (None, None) when it cannot be told."""
    root, *parts = dotted.split(".")
    if root not in _RESOLVED_LIBRARIES or not parts or len(parts) > 8:
        return None, None
    obj = sys.modules.get(root) or importlib.import_module(root)
    try:
        for part in parts[:-1]:
            obj = getattr(obj, part)
    except Exception:  # noqa: BLE001  any failure (a warning made an error too): not known
        return None, None
    try:
        return True, getattr(obj, parts[-1])
    except AttributeError:
        return False, None
    except Exception:  # noqa: BLE001
        return None, None


def _is_data(value, depth=0):
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return not callable(value)
    if isinstance(value, (list, tuple)) and depth < 2 and len(value) <= 64:
        return all(_is_data(v, depth + 1) for v in value)
    return False


def _pick(origins):
    """A dotted name if any, else "?" if any, else None."""
    best = None
    for origin in origins:
        if origin and origin != "?":
            return origin
        best = best or origin
    return best


def _outermost(node, parent):
    """Not the `.value` of an attribute (a.b.c is read once, as a whole)."""
    return not (isinstance(parent, ast.Attribute) and parent.value is node)


def _annotations(node):
    """`node` is __annotations__, or an object's."""
    return isinstance(node, ast.Name) and node.id == "__annotations__" or \
        isinstance(node, ast.Attribute) and node.attr == "__annotations__"


def _empty(node):
    """None, or an empty literal tuple, list, set or dict."""
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return not node.elts
    return isinstance(node, ast.Dict) and not node.keys


def _joined(parts, limit=50):
    """Every string made by joining one choice from each of `parts`, where each is known."""
    out = {""}
    for choices in parts:
        if not choices:
            return set()
        out = {a + b for a in out for b in choices if len(a) + len(b) <= 200}
        if len(out) > limit:
            return set()
    return out


def _has_suffix(path_end):
    """A path's known end names a file with a suffix ("out.csv", ".pt"), not a code one."""
    name = path_end.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix.isalnum() and not name.lower().endswith(_CODE_SUFFIXES)


_SITE_TEXT = re.compile(r"(?:site|dist)[-_]packages|(?:^|[/\\])\.local[/\\]lib(?:[/\\]|$)|"
                        r"PYTHONUSERBASE", re.I)
_SITE_ORIGINS = ("site.", "sysconfig.", "distutils.", "sys.path", "sys.prefix", "sys.exec_prefix",
                 "sys.base_prefix", "sys.base_exec_prefix", "sys.executable")


def _is_self(node):
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _walk(node, limit):
    """ast.walk, at most `limit` nodes."""
    todo, seen = [node], 0
    while todo and seen < limit:
        n = todo.pop()
        seen += 1
        yield n
        todo.extend(ast.iter_child_nodes(n))


def _short(text, limit=60):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _quote(text):
    return repr(_short(text, 50))


def _unparse(node):
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError, AttributeError):
        return "..."


def _binop(op, left, right):
    if left is None or right is None:
        return None
    if isinstance(op, ast.Add):
        if type(left) is type(right) and isinstance(left, (str, bytes, tuple, int)):
            if isinstance(left, int) or len(left) + len(right) <= _FOLD_CHARS:
                return left + right
        return None
    if isinstance(op, ast.Sub) and isinstance(left, int) and isinstance(right, int):
        return left - right
    if isinstance(op, ast.Mult):
        if isinstance(left, int) and isinstance(right, int):
            return left * right
        seq, n = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(seq, (str, bytes, tuple)) and isinstance(n, int) and \
                len(seq) * max(n, 0) <= _FOLD_CHARS:
            return seq * n
        return None
    if isinstance(op, ast.Mod) and isinstance(left, str) and \
            re.fullmatch(r"(?:[^%]|%[sdrc%])*", left):
        return left % right
    if isinstance(op, ast.Div) and isinstance(left, str) and isinstance(right, str):
        return posixpath.join(left, right)     # pathlib's Path("/") / "proc"
    return None


_SAFE_CODECS = {"utf-8", "utf8", "ascii", "latin-1", "latin1", "rot13", "rot_13", "base64",
                "base_64", "hex", "hex_codec"}


def _string_method(receiver, method, args):
    """`receiver.method(*args)` for the few methods that make text, with bounded output."""
    if method in ("upper", "lower", "strip", "lstrip", "rstrip", "swapcase", "title",
                  "casefold", "capitalize", "removeprefix", "removesuffix") and len(args) <= 1:
        return getattr(receiver, method)(*args)
    if method == "join" and len(args) == 1 and isinstance(args[0], (tuple, str)):
        items = tuple(args[0])
        if sum(len(i) for i in items) + len(receiver) * len(items) <= _FOLD_CHARS:
            return receiver.join(items)
        return None
    if method == "replace" and len(args) == 2 and \
            len(receiver) * (len(args[1]) + 1) <= _FOLD_CHARS:
        return receiver.replace(*args)
    if method in ("decode", "encode") and len(args) <= 1:
        encoding = args[0] if args else "utf-8"
        if isinstance(encoding, str) and encoding.lower() in _SAFE_CODECS:
            return getattr(codecs, method)(receiver, encoding)
        return None
    if method == "format" and isinstance(receiver, str) and all(
            (field is None or field.isdigit() or field == "") and not spec and conv is None
            for _, field, spec, conv in string.Formatter().parse(receiver)):
        return receiver.format(*args)
    return None


def _call_value(name, args):
    """A call of a builtin or standard function on folded arguments, where its result is text
    (or the character codes that become text)."""
    if name == "builtins.chr" and len(args) == 1:
        return chr(args[0])
    if name == "builtins.ord" and len(args) == 1:
        return ord(args[0])
    if name == "builtins.str" and len(args) == 1 and isinstance(args[0], (str, int)):
        return str(args[0])
    if name in ("builtins.bytes", "builtins.bytearray") and len(args) in (1, 2):
        if isinstance(args[0], tuple):
            return bytes(args[0])
        if isinstance(args[0], str) and len(args) == 2 and args[1].lower() in _SAFE_CODECS:
            return args[0].encode(args[1])
        return None
    if name == "builtins.reversed" and len(args) == 1:
        return tuple(reversed(args[0]))
    if name in ("builtins.bytes.fromhex", "builtins.bytearray.fromhex") and len(args) == 1:
        return bytes.fromhex(args[0])
    if name and name.startswith("base64.") and len(args) == 1 and \
            ("decode" in name or name.endswith(".decodebytes")):
        import base64
        return getattr(base64, name.split(".")[1])(args[0])
    if name in ("binascii.unhexlify", "binascii.a2b_hex", "binascii.a2b_base64") and args:
        import binascii
        return getattr(binascii, name.split(".")[1])(args[0])
    if name in ("codecs.decode", "codecs.encode") and len(args) == 2 and \
            args[1].lower() in _SAFE_CODECS:
        return getattr(codecs, name.split(".")[1])(args[0], args[1])
    if name in ("os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path",
                "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath") and args \
            and all(isinstance(a, str) for a in args):
        return posixpath.join(*args)
    return None
