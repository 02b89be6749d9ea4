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

# modules every name of which reads or reaches outside the process's own code and values
_MODULES = ("subprocess", "socket", "mmap", "multiprocessing", "shutil", "glob", "tempfile",
            "sqlite3", "shelve", "dbm", "pickle", "marshal", "fileinput", "urllib", "http",
            "requests", "asyncio.subprocess", "pty", "fcntl", "select", "selectors",
            "pathlib", "zipfile", "tarfile", "gzip", "bz2", "lzma", "csv.reader",
            "csv.DictReader", "io.open", "io.FileIO", "io.open_code", "codecs.open", "os",
            "posix", "_io.open", "_posixsubprocess", "ctypes", "_ctypes", "h5py", "scipy.io",
            "imageio", "PIL.Image.open", "cv2.imread", "matplotlib.image.imread")
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
         "pathlib.PureWindowsPath")


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
