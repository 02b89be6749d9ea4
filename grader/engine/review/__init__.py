"""Tamper scan: a submission's source, read as text on the trusted side, for code that reaches
into the grader, the interpreter or a library instead of computing answers.

Student code runs in a worker process where it can rewrite anything, so a fact measured there
(grad mode, identity, a type) is weak evidence. This package reads a submission as text (parsed
with `ast`: never imported, never run) and reports what a correct program never does, for a
person to review:

    >>> [f.what for f in scan_source("import gc\nfound = gc.get_objects()\n", "ex03.py")]
    ["reads the garbage collector's objects (gc.get_objects)"]
    >>> scan_source("import gc\ngc.collect()\n", "ex03.py")
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
    pandas.eval and a DataFrame's .eval / .query (but a literal of column names, values,
    arithmetic and comparisons: df.query('age > 30 and x < @limit')), numexpr, sympify, logging.config.listen /
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

The package, by job (each module imports only those above it in this list; __init__ re-exports
the public names):

    rules.py         the rule tables, the limits, Finding
    names.py         what a dotted name is: its rule, its usual name, a setting or a patch
    syntax.py        small helpers on the syntax tree and on the text a finding shows
    values.py        strings and numbers the text alone computes (_Values)
    encoding.py      a coding cookie that hides code from readers (rule 8)
    spellings.py     code in one spelling: `match` as the reads it makes, x.__getattribute__(n)
                     as getattr(x, n)
    binding.py       pass 1: scopes and what each name may be bound to (_Binding)
    flows.py         arguments, container items and attributes followed where they go (_Flows)
    origins.py       what an expression may reach: a dotted name, "?" or None (_Origins)
    ordinary.py      the uses of flagged names a correct program makes (_Ordinary)
    checks.py        pass 2: names, attributes, imports, calls, patches, setters (_Checks)
    main_block.py    __name__ rebound, and whether a `__main__` block is reviewed (_MainBlock)
    code_strings.py  code given as a string to timeit, cProfile, profile (_CodeStrings)
    lookups.py       names looked up at run time, hidden names, strings read whole (_Lookups)
    paths.py         files Python would run, written at run time; a checkpoint (_Paths)
    descriptors.py   raw file descriptors (_Descriptors)
    autograd_names.py  the manual functions, autograd's names, text naming or running them
    manual.py        what a manual function reaches of autograd (_Manual)
    import_time.py   what the code run at import fills with autograd's work (_ImportTime)
    outside.py       what a file reads from outside and puts there (_Outside)
    reviewer.py      _Review: the mixins above joined, with the review's state
    scan.py          the entry points: scan_source, scan_notebook, scan_file, and
                     review_submission (a submission's files together)
"""
from __future__ import annotations

from grader.engine.review.reviewer import _Review
from grader.engine.review.rules import MAX_FINDINGS, MAX_SOURCE_BYTES, TOO_DEEP, Finding
from grader.engine.review.scan import scan_file, scan_notebook, scan_source

__all__ = ["MAX_FINDINGS", "MAX_SOURCE_BYTES", "TOO_DEEP", "Finding", "scan_file", "scan_notebook",
           "scan_source", "_Review"]
