"""What reads from outside a function's arguments and the file's code: files, the environment,
the argument list, standard input, pipes, sockets and other processes.

A manual function computes its answer from what it is given, by the code she wrote. Where it
reads a file, an environment variable or sys.argv instead (or a name the file filled from one
as it was imported), the answer can have been made elsewhere, by autograd perhaps: at import,
in a process the file started, or at home and handed in as data (the tenth attack round's F09,
F14, F15: a gradient traced with make_fx at import, written to recipe.json, os.environ or
sys.argv, and replayed by the manual function with plain arithmetic, full marks, unseen).

    outside("builtins.open")       # 'builtins.open'
    outside("os.path.join")        # '': a path is only text
    outside("numpy.mean")          # ''
"""
from __future__ import annotations

import ast

from grader.engine.review.manual import _spellings, _under
from grader.engine.review.rules import PROCESS_SETTINGS

# what reads an image, and what writes one: a plot saved is not data a function reads back,
# unless the function reads images (numbers hidden in a picture's pixels)
IMAGE_READERS = ("imageio", "PIL.Image.open", "cv2.imread", "matplotlib.image.imread",
                 "matplotlib.pyplot.imread")
# modules every name of which reads or reaches outside the process's own code and values
_MODULES = ("subprocess", "socket", "mmap", "multiprocessing", "shutil", "glob", "tempfile",
            "sqlite3", "shelve", "dbm", "pickle", "marshal", "fileinput", "urllib", "http",
            "requests", "asyncio.subprocess", "pty", "fcntl", "select", "selectors",
            "pathlib", "zipfile", "tarfile", "gzip", "bz2", "lzma", "csv.reader",
            "csv.DictReader", "io.open", "io.FileIO", "io.open_code", "codecs.open", "os",
            "posix", "_io.open", "_posixsubprocess", "ctypes", "_ctypes", "h5py", "scipy.io",
            *IMAGE_READERS)
IMAGE_WRITERS = ("matplotlib.pyplot.savefig", "matplotlib.pyplot.imsave",
                 "matplotlib.image.imsave", "matplotlib.figure.Figure.savefig", "imageio",
                 "cv2.imwrite", "PIL.Image.Image.save", "PIL.Image.fromarray")
IMAGE_METHODS = frozenset({"savefig", "imsave", "imwrite", "save"})
# single names that read: the builtins, json's, NumPy's, torch's and pandas' loaders, sys's
# argument list and standard input
_NAMES = ("builtins.open", "builtins.input", "json.load", "numpy.load", "numpy.loadtxt",
          "numpy.genfromtxt", "numpy.fromfile", "numpy.fromregex", "numpy.memmap",
          "numpy.DataSource", "numpy.lib.npyio", "numpy.lib.format", "torch.load",
          "torch.from_file", "torch.serialization", "torch.Storage.from_file",
          "torch.UntypedStorage.from_file", "torch.TypedStorage.from_file",
          "torch.storage", "pandas.read_", "sys.argv", "sys.orig_argv", "sys.stdin",
          "sys.__stdin__")
# what under those only handles text or describes the machine: a path joined, the separator
_PURE = ("os.path.join", "os.path.basename", "os.path.dirname", "os.path.split",
         "os.path.splitext", "os.path.normpath", "os.path.normcase", "os.path.sep",
         "os.sep", "os.linesep", "os.pathsep", "os.extsep", "os.curdir", "os.pardir",
         "os.cpu_count", "os.name", "pathlib.PurePath", "pathlib.PurePosixPath",
         "pathlib.PureWindowsPath", *PROCESS_SETTINGS)


def outside(origin: str) -> str:
    """`origin` where the dotted name reads from outside (a file, the environment, the argument
    list, standard input, a pipe, a socket, another process), else ''."""
    if not isinstance(origin, str) or origin in ("", "?"):
        return ""
    if any(origin == p or origin.startswith(p + ".") for p in _PURE):
        return ""
    hit = any(origin == m or origin.startswith(m + ".") for m in _MODULES) or any(
        origin == n or origin.startswith(n if n.endswith("_") else n + ".") for n in _NAMES)
    return origin if hit else ""


# what puts data outside the process, where a later read finds it: a file written, the
# environment or the argument list changed, another program started (it may write them)
_WRITERS = ("torch.save", "numpy.save", "numpy.savez", "numpy.savez_compressed",
            "numpy.savetxt", "numpy.ndarray.tofile", "json.dump", "pickle.dump", "marshal.dump",
            "os.putenv", "os.unsetenv", "os.write", "os.pwrite", "os.writev",
            "os.rename", "os.replace", "os.link", "os.symlink", "os.mkfifo", "os.mknod",
            "os.truncate", "shutil", "pathlib.Path.write_text",
            "pathlib.Path.write_bytes", "pathlib.Path.touch", "pathlib.Path.mkdir",
            "subprocess", "os.system", "os.popen", "os.fork", "os.forkpty", "os.posix_spawn",
            "os.posix_spawnp", "pty", "multiprocessing", "asyncio.create_subprocess_exec",
            "asyncio.create_subprocess_shell", "pandas.DataFrame.to_", "sqlite3", "shelve",
            "dbm", "socket", "mmap", "tempfile")
_EXEC = ("os.exec", "os.spawn")
# lists and mappings of the process that a store or these methods change
_HELD = ("os.environ", "os.environb", "sys.argv", "sys.orig_argv")
_CHANGERS = {"update", "setdefault", "pop", "popitem", "clear", "append", "extend", "insert",
             "remove", "__setitem__", "__delitem__", "__iadd__"}
_OPENERS = ("builtins.open", "io.open", "codecs.open", "os.open", "pathlib.Path.open",
            "gzip.open", "bz2.open", "lzma.open")
# methods of an object the review cannot name (a path, a frame, an array) that write a file
WRITER_METHODS = frozenset({"write_text", "write_bytes", "tofile", "to_csv", "to_json",
                            "to_pickle", "to_parquet", "to_hdf", "to_feather", "symlink_to",
                            "hardlink_to"})


def writes(origin: str, call=None) -> bool:
    """Whether reaching `origin` (called as `call`, an ast.Call, where it is) may put data
    outside the process: a writer, an opener given a mode that writes (or one not written
    out), a program started."""
    if not isinstance(origin, str) or origin in ("", "?") or \
            any(origin == p or origin.startswith(p + ".") for p in _PURE):
        return False
    if origin in _HELD:                   # os.environ["R"] = ..., sys.argv = [...]
        return call is None
    held, _, method = origin.rpartition(".")
    if held in _HELD:
        return method in _CHANGERS
    if origin in _OPENERS:
        if call is None:
            return True
        mode = call.args[1] if len(call.args) > 1 and origin != "pathlib.Path.open" else \
            call.args[0] if call.args and origin == "pathlib.Path.open" else next(
                (k.value for k in call.keywords if k.arg in ("mode", "flags")), None)
        if mode is None:
            return False                  # open(name): reading
        text = getattr(mode, "value", None)
        return not isinstance(text, str) or any(c in text for c in "wax+")
    return any(origin == w or origin.startswith(w if w.endswith("_") else w + ".")
               for w in _WRITERS) or origin.startswith(_EXEC)


class _Outside:
    """The review's reading of what a file takes from outside and puts there (a mixin of
    grader.engine.review.reviewer._Review, read by the manual and import-time passes)."""

    def _writes_outside(self) -> bool:
        """Whether the file may put data outside the process (a file written, the environment
        or sys.argv changed, a program started: outside.writes), where its manual functions
        could read autograd's work back; what she handed in (a config, a data file, a
        checkpoint) read without that is her data. Another file of the submission that
        writes outside counts too (`writes_elsewhere`): the worker imports them all."""
        if not hasattr(self, "_writes"):
            self._writes = getattr(self, "writes_elsewhere", False)
            main_runs = getattr(self, "main_runs", True)
            for node, scope, *_ in self.visits:
                if self._writes:
                    break
                if not self._reviewed(node, main_runs):
                    continue          # a __main__ block's: not run when graded
                if isinstance(node, ast.Call):
                    target = node.func
                elif isinstance(node, (ast.Attribute, ast.Subscript)) and \
                        isinstance(node.ctx, (ast.Store, ast.Del)):     # sys.argv = [...],
                    target = node if isinstance(node, ast.Attribute) else node.value  # env[k]
                else:
                    continue
                origin = self.origin(target, scope) if isinstance(
                    target, (ast.Name, ast.Attribute)) else None
                if origin is None and isinstance(node, ast.Call) and isinstance(
                        target, ast.Attribute) and target.attr in WRITER_METHODS:
                    self._writes = True             # Path(...).write_text(...)
                    break
                if isinstance(origin, str) and any(
                        writes(o, node if isinstance(node, ast.Call) else None)
                        for o in _spellings(origin)):
                    self._writes = True
                    break
        return self._writes

    def _writes_images(self) -> bool:
        """Whether the submission may write an image (a plot saved, an array as pixels)."""
        if not hasattr(self, "_images"):
            self._images = getattr(self, "images_elsewhere", False) or any(
                isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
                and self._reviewed(node, getattr(self, "main_runs", True)) and (
                    isinstance(node.func, ast.Attribute) and node.func.attr in IMAGE_METHODS
                    or any(_under(o, IMAGE_WRITERS) for o in _spellings(
                        str(self.origin(node.func, scope)))))
                for node, scope, *_ in self.visits)
        return self._images

    def _read_back(self, node) -> str:
        """What `node` reads from outside (_outside) where the submission may have put it
        there first: anything it reads where it writes outside, an image where it writes
        images; '' otherwise (her own data, handed in)."""
        read = self._outside(node)
        if not read:
            return ""
        self.reads_outside = True       # (review_submission asks the other files then)
        if self._writes_outside():
            return read
        return read if _under(read, IMAGE_READERS) and self._writes_images() else ""

    def _outside(self, node) -> str:
        """What `node` reads from outside the arguments and the file's code (a file, the
        environment, sys.argv, a process: grader.engine.review.outside), '' for nothing."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return ""
        origin = self.origin(node, self.scope_of.get(id(node), self.module))
        if not isinstance(origin, str) or origin == "?":
            return ""
        return next((o for o in map(outside, _spellings(origin)) if o), "")
