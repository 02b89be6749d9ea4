"""The rules, as tables: what reaching a dotted name does (_NAMES and the exceptions to
it), the special attributes, the descriptors, spawners, openers and writers of files, what runs
code given as a string, the strings that name /proc or the harness, and the limits of the
review; also Finding, what the review reports."""
from __future__ import annotations

import ast
import builtins
import fnmatch
import re
from dataclasses import dataclass


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


_HARNESS = "reaches the grader's or pytest's code"
_RUNS_TEXT = "runs code built at run time"
_IMPORTS = "imports modules by name"
_IMPORT_SYSTEM = "reaches the import system"
_STACK = "walks or traces the call stack"
_INSIDES = "looks inside functions and objects it is given"
_HOOK = "replaces an interpreter hook"
_GC = "reads the garbage collector's objects"
_TELLS = "could tell the grader's runs of a call apart"
_MEMORY = "reads or writes raw memory"
_NATIVE = "loads native code or reaches torch's internals"
_GLOBAL_HOOK = "intercepts every torch operation or module"
_UNPICKLE = "loads pickled or marshalled code"
_BUILDS = "builds functions or modules at run time"
_DECODES = "decodes hidden text"
_MOCK = "patches functions with a mocking library"
_RAW_FD = "uses a raw file descriptor"
_GRAD_HOOK = "runs its own code inside backward() (a gradient hook)"


_HARNESS_MODULES = ("grader", "torchdrills", "pytest", "_pytest", "pluggy", "solutions",
                    "conftest")


def _names(what, *names):
    return dict.fromkeys(names, what)


# dotted name -> what reaching it does; an entry covers everything under it too, except the
# ones in _EXACT (`builtins.abs` is ordinary, the module `builtins` itself is not)
# multiprocessing's names that only describe the machine or set how processes start: they
# neither run code nor read or write outside the process
PROCESS_SETTINGS = tuple(f"{m}.{n}" for m in ("multiprocessing", "torch.multiprocessing")
                         for n in ("cpu_count", "freeze_support", "set_start_method",
                                   "get_start_method", "current_process", "set_sharing_strategy",
                                   "get_sharing_strategy", "get_all_sharing_strategies"))
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
             # sympy's code printers write Python text that lambdify and autowrap run
             "sympy.lambdify", "sympy.utilities.lambdify", "sympy.utilities.autowrap",
             "sympy.parsing", "sympy.core.sympify", "cython.inline", "Cython.inline",
             "Cython.Build", "pyximport", "logging.config.listen", "logging.config.fileConfig",
             "site.addsitedir", "site.addpackage", "site.main", "site.execsitecustomize",
             "site.execusercustomize",
             # IPython's shell and kernel run text; where the grader runs the file no shell
             # runs (get_ipython() gives None): only its display helpers are ordinary
             "IPython", "ipykernel", "IPython.get_ipython", "IPython.core.getipython"),
    # what only describes the machine or sets how processes start (round 15's F25, F26, F37:
    # cpu_count() or a sharing strategy flagged as unpickling, 15 to 25 points withheld)
    **_names(None, *PROCESS_SETTINGS),
    **_names(None, "IPython.__version__", "IPython.version_info"),
    **_names(None, "IPython.display", "IPython.core.display", "IPython.lib.display",
             "IPython.utils.capture", "IPython.utils.io", "IPython.core.debugger.set_trace"),
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
    "sys.getrefcount": _TELLS,     # a copy has fewer references than the call's arguments
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
             "yaml.Loader",
             # channels that unpickle what they receive (Connection.recv, a queue's get, a
             # pool's results): bytes written by the submission become code by name
             "multiprocessing", "torch.multiprocessing", "concurrent.futures.process",
             "concurrent.futures.ProcessPoolExecutor", "torch.distributed", "xmlrpc",
             "multiprocess", "pathos", "torch.package"),
    **_names(_BUILDS, "types.FunctionType", "types.LambdaType", "types.CodeType",
             "types.ModuleType", "types.CellType"),
    **_names(_DECODES, "codecs.decode", "codecs.encode", "codecs.lookup", "codecs.getdecoder",
             "codecs.getencoder", "codecs.iterdecode"),
    **_names(_MOCK, "unittest.mock", "mock"),
    # hooks on saved tensors, on several tensors' gradients, and the graph's nodes
    "torch.autograd.graph": _GRAD_HOOK,
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
                  "logging.config", "importlib.util.find_spec", "logging.config.dictConfig",
                  "importlib.reload", "importlib.import_module", "IPython", "IPython.get_ipython",
                  "IPython.core.debugger",
                  "multiprocessing", "torch.multiprocessing",
                  "IPython.core.getipython.get_ipython",
                  # its class, for a literal setting (InteractiveShell.ast_node_interactivity =
                  # "all"): no shell runs where the grader runs the file; any other use is flagged
                  "IPython.core.interactiveshell", "IPython.core.interactiveshell.InteractiveShell"}
# IPython's magics that run code, read or write files, change the environment or the shell's
# namespace: given as text to a shell kept in a name (ip = get_ipython(); ip.run_line_magic(
# "run", "x.py")) they stay flagged; any other literal one (matplotlib, who, pwd, config, ...)
# only shows or sets how a shell shows, and where the grader runs the file there is no shell
_SHELL_RUNNERS = {"run", "time", "timeit", "prun", "load", "loadpy", "load_ext", "unload_ext",
                  "reload_ext", "macro", "rerun", "recall", "edit", "ed", "writefile", "file",
                  "capture", "script", "bash", "sh", "sx", "system", "sc", "alias", "unalias",
                  "debug", "pdb", "env", "set_env", "cd", "pushd", "popd", "bookmark", "dhist",
                  "store", "reset", "reset_selective", "xdel", "pip", "conda", "mamba", "micromamba",
                  "uv", "logstart", "logon", "save", "paste", "cpaste", "pastebin", "js",
                  "javascript", "html", "svg", "perl", "ruby", "python", "python2", "python3",
                  "pypy", "sql", "px", "autocall", "notebook", "killbgscripts", "code_wrap",
                  "autoawait", "gui", "pylab", "doctest_mode", "rehashx", "alias_magic"}
# a library's private classes that it documents as bases for a user's own (class MyLoss(_Loss))
_PRIVATE_BASES = {f"torch.nn.modules.{m}.{c}" for m, cs in (
    ("loss", ("_Loss", "_WeightedLoss")), ("batchnorm", ("_BatchNorm", "_NormBase")),
    ("conv", ("_ConvNd", "_ConvTransposeNd")), ("dropout", ("_DropoutNd",)),
    ("instancenorm", ("_InstanceNorm",)),
    ("pooling", ("_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd")))
    for c in cs} | {"torch.optim.lr_scheduler._LRScheduler"}
# private modules that tutorials import from for public functions (the older home of
# default_collate): their public names are ordinary, their private ones are not
_PRIVATE_ORDINARY = ("torch.utils.data._utils.collate",)
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
    "_version": _TELLS,      # a tensor's count of in-place writes: new on a copy
    "__import__": _IMPORTS,
    # a gradient written by a hook is not one autograd computed through the graph: on a tensor,
    # a leaf's accumulated .grad, a node of the graph (grad_fn), a module's backward
    **_names(_GRAD_HOOK, "register_hook", "register_prehook", "register_post_accumulate_grad_hook",
             "register_backward_hook", "register_full_backward_hook",
             "register_full_backward_pre_hook", "register_multi_grad_hook", "_backward_hooks",
             "_post_accumulate_grad_hooks", "_backward_pre_hooks", "_register_hook_dict"),
    **_names("reads a frame", "f_back", "f_locals", "f_globals", "f_builtins", "f_code",
             "f_trace", "tb_frame", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame",
             "ag_code"),
}
# the interpreter's functions whose names no object of a student's has: read off an object the
# text does not show to be a library's (a module passed through an exception, a generator,
# **kwargs, a dataclass, where what it holds is not followed), each is what it is on its module
_DISTINCTIVE = {
    **_names(_STACK, "_getframe", "_current_frames", "_current_exceptions", "currentframe",
             "getouterframes", "getinnerframes", "getargvalues", "settrace", "setprofile",
             "gettrace", "getprofile", "settrace_all_threads", "setprofile_all_threads",
             "walk_stack", "walk_tb"),
    **_names(_GC, "get_objects", "get_referrers", "get_referents"),
    **_names(_INSIDES, "getclosurevars", "getmembers_static", "getattr_static"),
    **_names(_IMPORT_SYSTEM, "meta_path", "path_hooks", "path_importer_cache"),
    **_names(_HOOK, "addaudithook"),
    **_names(_NATIVE, "_C", "_execution_engine", "_ImperativeEngine", "_engine_run_backward"),
}
# autograd's kernels, by their names on any object: aten's backward operators
# (mse_loss_backward, convolution_backward, ..._backward_data) and aten itself
KERNEL_NAME = re.compile(r"_backward(?:_|$)|^aten$")
# the same names written as text (getattr(f, "__glo" + "bals__")), and a few functions' names
_SPELLED = {**_ATTRIBUTES, **{n: _DISTINCTIVE[n] for n in (
    "_getframe", "currentframe", "settrace", "setprofile", "get_objects", "get_referrers",
    "get_referents")}}
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
    "posix", "nt", "_io", "_socket", "_thread", "_imp", "_frozen_importlib", "objgraph",
    "multiprocessing", "torch.multiprocessing", "IPython"}
_PLAIN_ENCODINGS = ("utf-8", "ascii", "iso8859", "latin", "cp125", "mac-", "koi8")


_SITE_TEXT = re.compile(r"(?:site|dist)[-_]packages|(?:^|[/\\])\.local[/\\]lib(?:[/\\]|$)|"
                        r"PYTHONUSERBASE", re.I)
_SITE_ORIGINS = ("site.", "sysconfig.", "distutils.", "sys.path", "sys.prefix", "sys.exec_prefix",
                 "sys.base_prefix", "sys.base_exec_prefix", "sys.executable")
