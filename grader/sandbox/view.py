"""The read-only view a zygote runs in (bubblewrap), and where the secrets lie.

The secrets (the references, the checks, the notebooks holding the solutions, the history) are
found wherever the package is installed (secret_locations) and masked in the view
(bwrap_command); the zygote's self-test then tries to read and import them as a worker would
(secret_samples, secret_modules), and grader.sandbox.layers refuses to grade where one is
still reachable inside bubblewrap (SecretReachable).
"""
from __future__ import annotations

import os
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


def bwrap_command(spool: str, *, as_root: bool,
                  gpu_devices: list[str] | None = None) -> list[str]:
    """The bubblewrap command line the zygote runs under: a read-only view of the system, of
    Python and of grader/ (its checks/ masked), the spool of submission folders writable,
    nothing else of the disk; new pid, network, ipc and uts namespaces. `gpu_devices` (default:
    the machine's /dev/nvidia*) are bound into the sandbox's /dev, with /sys, for CUDA."""
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox",
           "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
           "--perms", "1777", "--tmpfs", "/dev/shm"]
    bound: list[str] = []
    made: set[str] = {"/"}

    def parents(dest: str):  # bwrap would make missing parents 0700: unreachable for workers
        chain = []
        d = os.path.dirname(dest)
        while d not in made and not any(d == b or d.startswith(b + os.sep) for b in bound):
            chain.append(d)
            d = os.path.dirname(d)
        for d in reversed(chain):
            made.add(d)
            cmd.extend(["--perms", "0755", "--dir", d])

    def bind(path: str, how="--ro-bind"):
        real = os.path.realpath(path)
        if not os.path.isdir(real) or any(real == b or real.startswith(b + os.sep)
                                          for b in bound):
            return
        parents(real)
        bound.append(real)
        cmd.extend([how, real, real])

    for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        if os.path.islink(d):
            cmd.extend(["--symlink", os.readlink(d), d])
        elif os.path.isdir(d):
            bind(d)
    for d in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        bind(d)
    root, cwd = str(ROOT), os.path.realpath(os.getcwd())
    for entry in sys.path:  # site-packages and the like; never ROOT, above it, or the cwd
        if not entry:
            continue
        real = os.path.realpath(entry)
        spool_real = os.path.realpath(spool)
        if real == cwd or real == root or (root + os.sep).startswith(real + os.sep) \
                or (spool_real + os.sep).startswith(real + os.sep):
            continue  # (a script run from /tmp puts /tmp on sys.path: never over the spool)
        bind(real)
    bind(str(ROOT / "grader"))
    for secret in _masked_paths():
        cmd.extend(["--tmpfs", secret])  # mask every copy, also where a parent is bound
    from grader.device import gpu_device_nodes
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
