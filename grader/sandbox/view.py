"""The read-only view a zygote runs in (bubblewrap), and where the secrets lie.

The view is deny by default (bwrap_command): it holds the system's programs and libraries, the
few files of /etc the dynamic loader reads (VIEW_ETC), Python, the folders torch and NumPy are
installed in, and, of this package, only the files the zygote imports (worker_files); nothing
else of the disk. The secrets (the references, the checks, the notebooks holding the solutions,
the history) are also found wherever the package is installed (secret_locations) and masked in
the view, in case a folder the view holds has a copy; the zygote's self-test then tries to read
and import them as a worker would (secret_samples, secret_modules), and grader.sandbox.layers
refuses to grade where one is still reachable inside bubblewrap (SecretReachable).
"""
from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from grader.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]

# What student code must never see: the references, the checks (hidden ones, recorded values,
# trusted helpers), the notebooks that hold the solutions, the history. Hidden wherever they lie
# next to the package or can be imported from (see secret_locations).
SECRETS = ("solutions", "grader/checks", "source_notebooks", ".git")
SECRET_PACKAGES = ("solutions", "grader.checks")


# Where the zygote's imports of this package start: the code that runs in the worker, and the
# probes, which the zygote loads by name (grader.sandbox.inside.probes.load_all). worker_files follows them.
WORKER_CODE = ("grader/sandbox/inside", "grader/sandbox/inside/probes")

# All the view holds of /etc: what the dynamic loader reads to find libraries (the CUDA driver's
# among them) and the links of Debian's alternatives system, through which some of /usr's
# programs and libraries resolve. No passwd, group, hosts, ssl, hostname or shadow: a worker
# runs as a uid without an account, needs no name lookups and has no network.
VIEW_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives")

# The system's programs and libraries (a link such as /lib -> usr/lib is kept a link).
# the view's own empty folders, in place of the host's
OWN_TMPFS = ("/tmp", "/dev/shm")
VIEW_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# The distributions a zygote imports: the view holds the folders they (and what they require)
# are installed in.
VIEW_DISTRIBUTIONS = ("torch", "numpy")


class SecretReachable(RuntimeError):
    """The sandbox's self-test could read or import a reference or a hidden check as a worker."""


def secret_locations() -> list[str]:
    """Every folder of this machine that holds a secret of the package, wherever the package is
    installed: beside the package's own root, in every folder on sys.path (site-packages, a
    `pip install --target` folder, PYTHONPATH), and wherever the import system would find the
    secret packages (an editable install's finder). A second, forgotten copy of the package in
    site-packages is found as well as the one in use."""
    bases = [str(ROOT)] + [p for p in sys.path if p]
    found: dict[str, None] = {}
    for base in bases:
        for secret in SECRETS:
            path = os.path.join(base, secret)
            if os.path.isdir(path):
                found[os.path.realpath(path)] = None
    for name in ("solutions", "grader"):  # every finder, not only the first that answers
        for finder in sys.meta_path:
            try:
                spec = finder.find_spec(name, None)
            except Exception:  # noqa: BLE001 - a finder that cannot answer finds nothing
                continue
            for folder in (spec.submodule_search_locations or []) if spec else []:
                folder = os.path.join(folder, "checks") if name == "grader" else folder
                if os.path.isdir(folder):
                    found[os.path.realpath(folder)] = None
    return list(found)


def _masked_paths() -> list[str]:
    """What the read-only view covers with an empty folder (the self-test checks the result
    against every secret location)."""
    return secret_locations()


def secret_modules() -> list[str]:
    """Modules a worker must not be able to import: the references and the checks."""
    names = [f"solutions.{module}" for module in EXERCISES.values()]
    from grader.exercises import check_modules
    return names + check_modules()


def secret_samples() -> list[str]:
    """A few files under each secret folder: the self-test tries to read them as a worker."""
    out = []
    for folder in secret_locations():
        found = 0
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames)[:2]:
                out.append(os.path.join(dirpath, name))
                found += 1
            if found >= 2:
                break
    return out


def secret_tops(paths) -> list[str]:
    """'solutions/' for a path under the package's root, the secret folder itself elsewhere."""
    tops = {}
    for p in paths:
        if "/" not in p:  # a module name the self-test could import: its package
            package = next((n for n in SECRET_PACKAGES if p == n or p.startswith(n + ".")), p)
            tops[f"{package}.* (importable)"] = None
            continue
        rel = os.path.relpath(p, ROOT)
        top = next((s + "/" for s in SECRETS if rel == s or rel.startswith(s + "/")), None)
        if top is None:
            top = next((p[:p.index("/" + s) + len(s) + 1] + "/" for s in SECRETS
                        if "/" + s + "/" in p or p.endswith("/" + s)), p)
        tops[top] = None
    return list(tops)


def worker_files(root=ROOT) -> list[str]:
    """The files of the package a zygote imports, and so all of the package a worker's view
    holds: the modules under WORKER_CODE, every module of the package they import (anywhere in
    them, functions included, followed from module to module), the packages above each, and
    each one's compiled bytecode where it exists. Read from the source: an import added to the
    code inside is followed without a list to keep."""
    root = Path(root).resolve()
    return module_files(root, sorted(p for folder in WORKER_CODE
                                     for p in (root / folder).glob("*.py")))


def module_files(root: Path, first, top_level: bool = False) -> list[str]:
    """The files `first` (paths under `root`, the folder above the package) and the modules of
    the package they import, followed from module to module, the packages above each, with
    each one's compiled bytecode where it exists. `top_level`: only the imports made outside
    functions (what importing the files runs)."""
    todo, seen = list(first), {}
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen[path] = None
        parent = path.parent
        while parent != root and root in parent.parents:  # the packages above it
            todo.append(parent / "__init__.py")
            parent = parent.parent
        for name in _package_imports(path, root, top_level):
            module = _module_file(root, name)
            if module is not None:
                todo.append(module)
    out = []
    for path in seen:
        out.append(str(path))
        cached = importlib.util.cache_from_source(str(path))
        if os.path.isfile(cached):
            out.append(cached)
    return sorted(out)


def _module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


_IMPORTS: dict = {}  # (path, size, mtime) -> what it imports: a zygote start asks twice


def _package_imports(path: Path, root: Path, top_level: bool = False) -> list[str]:
    """The modules of this package (grader.*) that a file imports, anywhere in it (outside
    functions only, with `top_level`): for `from a.b import c` both a.b and a.b.c (c may be a
    module)."""
    try:
        st = path.stat()
    except OSError:
        return []
    key = (str(path), str(root), st.st_size, st.st_mtime_ns, top_level)
    if key not in _IMPORTS:
        _IMPORTS[key] = _read_imports(path, root, top_level)
    return _IMPORTS[key]


def _nodes(tree, top_level: bool):
    """The tree's nodes; with `top_level`, none inside a function or lambda."""
    if not top_level:
        yield from ast.walk(tree)
        return
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _read_imports(path: Path, root: Path, top_level: bool = False) -> list[str]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts[:-1]  # a module's package; an __init__'s own package
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (SyntaxError, ValueError, OSError):
        return []
    out = []
    for node in _nodes(tree, top_level):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append(base)
            out += [f"{base}.{alias.name}" for alias in node.names]
    return [name for name in out if name == "grader" or name.startswith("grader.")]


def python_folders() -> list[str]:
    """The folders a zygote needs of Python: its prefixes (the interpreter and the standard
    library) and the sys.path entries that hold torch, NumPy and every distribution they
    require (found through their metadata, followed transitively, extras left out). Other
    sys.path entries (a user's site-packages, a folder a .pth file or PYTHONPATH adds, another
    project's editable install) are not: the zygote is started with the package alone on its
    PYTHONPATH (launcher.zygote_env) and imports nothing from them."""
    key = tuple(sys.path)
    if key not in _PYTHON_FOLDERS:
        _PYTHON_FOLDERS[key] = _python_folders()
    return list(_PYTHON_FOLDERS[key])


_PYTHON_FOLDERS: dict = {}


def distribution_folders(names) -> list[str]:
    """The folders the distributions `names` and every distribution they require are
    installed in (found through their metadata, followed transitively, extras left out)."""
    from importlib import metadata
    out: dict[str, None] = {}
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except Exception:  # noqa: BLE001 - not installed as a distribution
            continue
        out[os.path.realpath(str(dist.locate_file("")))] = None
        for requirement in dist.requires or []:
            if re.search(r"\bextra\s*==", requirement):
                continue
            found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if found:
                todo.append(found.group(0))
    return list(out)


def _python_folders() -> list[str]:
    out: dict[str, None] = {}
    for d in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        out[os.path.realpath(d)] = None
    out.update(dict.fromkeys(distribution_folders(VIEW_DISTRIBUTIONS)))
    for name in VIEW_DISTRIBUTIONS:  # where they are imported from, installed or not
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            out[os.path.realpath(os.path.dirname(folder))] = None
    return [d for d in out if os.path.isdir(d)]


def bwrap_command(spool: str, *, as_root: bool, gpu_devices: list[str] | None = None,
                  extra=()) -> list[str]:
    """The bubblewrap command line the zygote runs under, deny by default: read-only, the
    system's programs and libraries (VIEW_SYSTEM), the loader's files of /etc (VIEW_ETC),
    Python and the folders torch and NumPy come from (python_folders), and the files of this
    package the zygote imports (worker_files); every secret location masked by an empty tmpfs
    wherever it lies; the spool of submission folders writable; nothing else of the disk (no
    home folder, no /root but Python's own folder if it lies there, no other file of the
    package); new pid, network, ipc and uts namespaces. `gpu_devices` (default: the machine's
    /dev/nvidia*) are bound into the sandbox's /dev, with /sys, for CUDA. `extra`: more files
    or folders to show read-only (what nbgrader's kernel needs besides), under the same rules
    (never the package's root or above it, always masked where a secret lies)."""
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
           "--proc", "/proc", "--dev", "/dev"]
    for folder in OWN_TMPFS:
        cmd += ["--perms", "1777", "--tmpfs", folder]
    bound: list[str] = []
    made: set[str] = {"/"}

    def covered(path: str) -> bool:
        return any(path == b or path.startswith(b + os.sep) for b in bound)

    def parents(dest: str):  # bwrap would make missing parents 0700: unreachable for workers
        chain = []
        d = os.path.dirname(dest)
        while d not in made and not covered(d):
            chain.append(d)
            d = os.path.dirname(d)
        for d in reversed(chain):
            made.add(d)
            cmd.extend(["--perms", "0755", "--dir", d])

    def bind(path: str, how="--ro-bind"):
        real = os.path.realpath(path)
        if not os.path.exists(real) or covered(real):
            return
        parents(real)
        bound.append(real)
        cmd.extend([how, real, real])

    for d in VIEW_SYSTEM:
        if os.path.islink(d):
            cmd.extend(["--symlink", os.readlink(d), d])
        elif os.path.isdir(d):
            bind(d)
    for f in VIEW_ETC:
        if os.path.exists(f):
            parents(f)
            bound.append(f)   # (a link in /etc: its target, seen at its own name)
            cmd.extend(["--ro-bind", f, f])
    root, cwd = str(ROOT), os.path.realpath(os.getcwd())
    spool_real = os.path.realpath(spool)
    for folder in python_folders() + [os.path.realpath(p) for p in extra]:
        if folder == cwd or folder == root or (root + os.sep).startswith(folder + os.sep) \
                or (spool_real + os.sep).startswith(folder + os.sep):
            continue  # never ROOT, above it, the cwd or above the spool (a script run from
        bind(folder)  # /tmp puts /tmp on sys.path)
    exe = os.path.abspath(sys.executable)   # the interpreter, at the name it is started by
    bind(exe)
    if os.path.islink(exe) and not covered(exe):  # a link from outside Python's folders
        parents(exe)
        cmd.extend(["--symlink", os.path.realpath(exe), exe])
    for f in worker_files():
        bind(f)
    for secret in _masked_paths():
        cmd.extend(["--tmpfs", secret])  # mask every copy, also where a parent is bound
    from grader.sandbox.device import gpu_device_nodes
    devs = gpu_device_nodes() if gpu_devices is None else list(gpu_devices)
    for dev in devs:  # CUDA: the driver's devices (--dev /dev above shows none of them)
        cmd.extend(["--dev-bind-try", dev, dev])
    if devs:          # and what the driver reads besides (/proc/driver/nvidia is in --proc)
        cmd.extend(["--ro-bind-try", "/sys", "/sys", "--ro-bind-try",
                    "/run/nvidia-persistenced", "/run/nvidia-persistenced"])
    bind(spool, "--bind")
    cmd.extend(["--chdir", root, "--remount-ro", "/"])
    if as_root:  # the zygote switches workers to their own uids and kills them by uid
        cmd.extend(["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                    "--cap-add", "CAP_KILL", "--cap-add", "CAP_SYS_ADMIN"])  # (private scratch)
    return cmd


def host_path_canaries(canaries: list[str]) -> list[str]:
    """The folders whose being writable from inside the view would mean the host's disk is:
    not the view's own empty /tmp or /dev/shm (a grader started in /tmp has /tmp for its
    working folder, and the worker writing its own /tmp says nothing about the host's)."""
    return [c for c in canaries if os.path.realpath(c) not in OWN_TMPFS]


def bwrap_problem(spool: str, as_root: bool) -> str:
    """'' when bubblewrap can start a sandbox here, else why not."""
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed; on Debian/Ubuntu: apt-get install bubblewrap"
    try:
        done = subprocess.run(bwrap_command(spool, as_root=as_root) + ["true"],
                              capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not start: {exc}"
    if done.returncode != 0:
        return "bubblewrap cannot create a sandbox here: " + \
            done.stderr.decode(errors="replace").strip()[-300:]
    return ""
