"""The trust boundary where the package is installed, where the grader is started, in scratch
space and on the trusted side's own work (docs/security.md, classes 2, 3, 6 and 7).

Each test attacks a whole class through the mechanism every entry point shares: the secrets
wherever an install puts them, every module a class folder can shadow, every scratch place a
worker can write to, every shape of oversized reply."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.sandbox import protocol, replies
from grader.engine.runner import grade_submission
from grader.sandbox import (Limits, SecretReachable, StudentError, Submission, Zygote,
                            secret_locations)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_EX02 = (ROOT / "solutions" / "ex02_gradient_descent.py").read_text()

# Every way a submission can reach for the references or the hidden checks: import them, find
# them on sys.path, read them from any folder the worker can see.
STEAL = '''
import glob, importlib, os, sys

def _steal():
    try:
        return importlib.import_module("solutions.ex02_gradient_descent")
    except Exception:
        pass
    roots = set(sys.path) | {"/", "/usr", "/usr/local", "/opt", "/root", "/autograder", "/tmp"}
    for root in list(roots):
        for pattern in ("solutions/ex02_gradient_descent.py", "*/solutions/ex02_gradient_descent.py",
                        "lib/python3*/site-packages/solutions/ex02_gradient_descent.py"):
            for path in glob.glob(os.path.join(root or ".", pattern)):
                try:
                    scope = {}
                    exec(open(path).read(), scope)
                    return type("M", (), {k: staticmethod(v) for k, v in scope.items()
                                          if callable(v)})
                except Exception:
                    continue
    return None

_M = _steal()

def cost(xs, ys, w):
    return _M.cost(xs, ys, w)

def gradient(xs, ys, w):
    return _M.gradient(xs, ys, w)

def gradient_descent(xs, ys, w0, lr, epochs):
    return _M.gradient_descent(xs, ys, w0, lr, epochs)

def sample_gradient(x, y, w):
    return _M.sample_gradient(x, y, w)

def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    return _M.stochastic_gradient_descent(xs, ys, w0, lr, epochs)
'''


def _bwrap_zygote():
    z = Zygote(sandbox="auto")
    z.wait_ready()
    if not z.bwrap:
        z.close()
        pytest.skip(f"needs bubblewrap's read-only view: {z.bwrap_problem}")
    return z


def _cli(args, cwd, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "grader"] + args, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------------------------------------
# class 2: the secrets, wherever the package is installed

def test_references_unreachable_from_the_checkout(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ex02_gradient_descent.py").write_text(STEAL)
    z = _bwrap_zygote()
    try:
        result = grade_submission(tmp_path / "sub", z, exercises=["ex02"], seed=5)
    finally:
        z.close()
    assert result.score == 0, [(c.name, c.status) for c in result.checks if c.score]


@pytest.fixture(scope="module")
def installed_copy(tmp_path_factory):
    """The package installed non-editable into a folder, as `pip install --target` does:
    solutions/ and grader/checks/ lie in it."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / "torchdrills"  # builds leave build/ behind
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True)
    names = files.stdout.split() if files.returncode == 0 else []
    if not names:
        pytest.skip("needs a git checkout to copy the package from")
    for name in names:
        if not (ROOT / name).is_file():   # listed by a stale index, gone from the tree
            continue
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    # with the answers, as an image for the workers is built (setup.py: a plain build leaves
    # them out)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--no-build-isolation", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TORCHDRILLS_WITH_ANSWERS": "1"})
    if done.returncode != 0:
        pytest.skip(f"pip could not install the package here: {done.stderr[-500:]}")
    assert (target / "solutions" / "ex02_gradient_descent.py").exists()
    assert any((target / "grader" / "checks").rglob("test_*.py"))
    return target


def test_references_unreachable_where_the_package_is_installed(installed_copy, tmp_path):
    """From a checkout with a second, installed copy on the path (the Gradescope layout), and
    from the installed copy alone: either way the submission's import finds nothing."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex02_gradient_descent.py").write_text(STEAL)
    env = dict(os.environ, PYTHONPATH=str(installed_copy))
    for cwd in (ROOT, installed_copy):
        out = tmp_path / f"results-{cwd.name}.json"
        done = _cli(["grade", str(sub), "--exercises", "ex02", "--seed", "3", "--json",
                     str(out)], cwd=cwd, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "read-only view" in done.stdout
        import json
        assert sum(t["score"] for t in json.loads(out.read_text())["tests"]) == 0, done.stdout[-3000:]


@pytest.fixture
def stray(tmp_path):
    """A folder outside /tmp (which workers see empty) for a stray copy of the package."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="stray-", dir="/var/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_secret_left_unmasked_stops_grading_loudly(stray, monkeypatch):
    """A copy of the references in a folder the view holds (here: one it takes for Python's)
    that the masks do not cover: the self-test reads it as a worker would, and the grader
    refuses to start."""
    shutil.copytree(ROOT / "solutions", stray / "solutions")
    monkeypatch.syspath_prepend(str(stray))
    monkeypatch.setenv("PYTHONPATH", str(stray))
    assert str((stray / "solutions").resolve()) in secret_locations()
    import grader.sandbox.view
    monkeypatch.setattr(grader.sandbox.view, "_masked_paths",
                        lambda: [str(ROOT / "solutions"), str(ROOT / "grader" / "checks")])
    python = grader.sandbox.view.python_folders()
    monkeypatch.setattr(grader.sandbox.view, "python_folders", lambda: python + [str(stray)])
    if not shutil.which("bwrap"):
        pytest.skip("needs bubblewrap")
    z = Zygote(sandbox="auto")
    with pytest.raises(SecretReachable, match="solutions"):
        z.wait_ready()


def test_without_the_view_the_missing_layer_names_the_reachable_copy(stray, monkeypatch):
    shutil.copytree(ROOT / "solutions", stray / "solutions")
    monkeypatch.syspath_prepend(str(stray))
    monkeypatch.setenv("PYTHONPATH", str(stray))
    z = Zygote(sandbox="unshare")
    try:
        z.wait_ready()
        view = next(layer for layer in z.layers if layer.name == "read-only view")
        assert not view.on
        assert "solutions" in view.missing
        assert any("read-only view" in w for w in z.warnings())
    finally:
        z.close()


@pytest.mark.parametrize("folder", ["/tmp", "/dev/shm"])
def test_a_grader_started_in_the_views_own_tmpfs_keeps_the_view(folder, monkeypatch):
    """Started in /tmp, the grader's working folder is one the view replaces with an empty
    folder of its own: the worker writing there says nothing of the host's disk, and the view
    stays on (it was reported off, 'no bubblewrap', and GRADER_SANDBOX=strict refused)."""
    if not shutil.which("bwrap"):
        pytest.skip("needs bubblewrap")
    monkeypatch.chdir(folder)
    z = Zygote(sandbox="auto")
    try:
        z.wait_ready()
        if z.bwrap_problem:
            pytest.skip(f"bubblewrap cannot start here: {z.bwrap_problem}")
        view = next(layer for layer in z.layers if layer.name == "read-only view")
        assert view.on, view.missing
    finally:
        z.close()


# ---------------------------------------------------------------------------------------------
# class 3: nothing is imported from the folder the grader is started in

SHADOWS = ("pytest", "_pytest", "numpy", "torch", "sqlite3", "json", "csv", "zipfile", "shutil",
           "tempfile", "rich", "jinja2", "matplotlib", "multiprocessing", "nbformat", "grader_x",
           "solutions", "exercises", "selectors", "subprocess", "hashlib", "html")


def _hostile_class(folder: Path, marker: Path, with_grader_package: bool):
    """A class folder whose top level shadows the modules the grader imports: each one
    records that it ran, then breaks the import."""
    code = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\nraise SystemExit(99)\n"
    for name in SHADOWS:
        if name.startswith("_") or name in ("torch", "numpy", "solutions"):
            (folder / name).mkdir()
            (folder / name / "__init__.py").write_text(code)
        else:
            (folder / f"{name}.py").write_text(code)
    if with_grader_package:
        (folder / "grader").mkdir()
        (folder / "grader" / "__init__.py").write_text(code)
        (folder / "grader" / "__main__.py").write_text(code)
    alice = folder / "alice"
    alice.mkdir()
    shutil.copy(ROOT / "solutions" / "ex01_linear_model.py", alice)
    for name in ("pytest.py", "numpy.py", "torch.py"):
        (alice / name).write_text(code)


@pytest.mark.parametrize("verb", ["grade", "grade-class"])
def test_hostile_class_folder_as_the_current_folder(tmp_path, verb):
    klass, marker = tmp_path / "class", tmp_path / "ran.txt"
    klass.mkdir()
    _hostile_class(klass, marker, with_grader_package=False)
    args = ["grade", "alice", "--exercises", "ex01", "--seed", "1"] if verb == "grade" else \
        ["grade-class", ".", "--exercises", "ex01", "--seed", "1", "--jobs", "1",
         "--db", str(tmp_path / "gradebook.db")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = _cli(args, cwd=klass, env=env)
    assert not marker.exists(), f"student modules ran in the grader: {marker.read_text()}"
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert ("ex01 linear model" if verb == "grade" else "graded 5 of 5") in done.stdout


def test_console_script_ignores_a_grader_package_in_the_current_folder(tmp_path):
    script = shutil.which("torchdrills")
    if script is None:
        pytest.skip("the torchdrills console script is not installed (pip install -e .)")
    klass, marker = tmp_path / "class", tmp_path / "ran.txt"
    klass.mkdir()
    _hostile_class(klass, marker, with_grader_package=True)
    done = subprocess.run([script, "grade", "alice", "--exercises", "ex01", "--seed", "1"],
                          cwd=klass, capture_output=True, text=True, timeout=600)
    assert not marker.exists(), f"student modules ran in the grader: {marker.read_text()}"
    assert done.returncode == 0, done.stderr[-2000:]


def test_grader_package_drops_the_current_folder_from_sys_path(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import sys, grader; print(repr(sys.path))"],
                          cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    path = eval(done.stdout)  # noqa: S307 - our own repr of a list of strings
    assert "" not in path and str(tmp_path) not in path


# ---------------------------------------------------------------------------------------------
# class 6: scratch space is private, capped and gone

SCRATCH_PROBE = '''
import os

PLACES = ("/tmp", "/dev/shm", os.environ.get("TMPDIR", "/tmp"), os.environ.get("HOME", "/tmp"),
          os.getcwd())

def forward(x, w):
    return x * w

def leave(token):
    wrote = []
    for place in PLACES:
        try:
            with open(os.path.join(place, "left-" + token), "w") as f:
                f.write(token)
            wrote.append(place)
        except OSError:
            pass
    return wrote

def find(token):
    found = []
    for place in PLACES:
        try:
            names = os.listdir(place)
        except OSError:
            continue
        found += [os.path.join(place, n) for n in names if n.startswith("left-")]
    return found

def fill(mib):
    """Write mib MiB in files of 8 MiB until the space runs out; the MiB written."""
    written = 0
    block = b"x" * (1 << 20)
    try:
        for i in range(mib // 8):
            with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fill{i}"), "wb") as f:
                for _ in range(8):
                    f.write(block)
                    written += 1
    except OSError as exc:
        return written, str(exc)
    return written, ""
'''


def _scratch_zygote(mode="auto"):
    z = Zygote(sandbox=mode)
    z.wait_ready()
    if not z.private_scratch:
        layer = next(l for l in z.layers if l.name == "private scratch")
        z.close()
        pytest.skip(f"needs the private scratch layer: {layer.detail}")
    return z


@pytest.mark.parametrize("mode", ["auto", "unshare"])
def test_scratch_is_private_to_each_submission_and_gone_after(tmp_path, mode):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(SCRATCH_PROBE)
    token = secrets.token_hex(8)
    z = _scratch_zygote(mode)
    try:
        with Submission(folder, z) as first:
            assert len(first.call("ex01.leave", token)) == 5  # every place is writable
            assert first.call("ex01.find", token)
        with Submission(folder, z) as second:
            assert second.call("ex01.find", token) == []
    finally:
        z.close()
    for place in ("/tmp", "/dev/shm"):
        assert not any(token in name for name in os.listdir(place)), place


def test_scratch_space_is_capped(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(SCRATCH_PROBE)
    z = _scratch_zygote()
    cap = Limits().scratch_bytes // 1024**2
    try:
        with Submission(folder, z) as sub:
            written, error = sub.call("ex01.fill", 2 * cap)
            assert written <= cap and "No space left" in error
            assert sub.call("ex01.forward", 2.0, 3.0) == 6.0  # the grader carries on
    finally:
        z.close()


def test_basic_mode_reports_shared_scratch():
    z = Zygote(sandbox="basic")
    try:
        z.wait_ready()
        layer = next(l for l in z.layers if l.name == "private scratch")
        assert not layer.on and "next one" in layer.missing
    finally:
        z.close()


# ---------------------------------------------------------------------------------------------
# class 7: the trusted side bounds its own work per reply

@pytest.mark.parametrize("shape", ["flat list", "tuple of lists", "dict", "nested lists"])
def test_an_oversized_reply_is_refused_before_it_is_decoded(shape):
    n = 3_000_000
    value = {"flat list": [0] * n, "tuple of lists": tuple([0] * 1000 for _ in range(n // 1000)),
             "dict": {i: 0 for i in range(n)},
             "nested lists": [[[0] * 100] * 100] * (n // 10_000)}[shape]
    frame = protocol.encode(value)
    with pytest.raises(protocol.ProtocolError, match="more than"):
        protocol.decode(*protocol.split(frame), max_items=replies.reply_budget((1.0, 2.0)))


def test_reply_budget_allows_every_honest_result():
    xs = list(range(100))
    assert replies.reply_budget((xs, xs, 0.5, 0.01, 3000)) > 3000        # a cost per epoch
    import numpy as np
    grid = np.arange(0.0, 3.1, 0.1), np.arange(-1, 1.1, 0.1)
    assert replies.reply_budget((xs, xs) + grid) > len(grid[0]) * len(grid[1])
    assert replies.reply_budget((1, 2), {"seed": 2**31 - 1}) < 200_000  # a seed is no count


def test_a_huge_list_costs_only_its_own_check(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex02_gradient_descent.py").write_text(REFERENCE_EX02 + textwrap.dedent('''

        def gradient_descent(xs, ys, w0, lr, epochs):
            return 1.0, [0] * 5_000_000  # just under the size cap
    '''))
    z = Zygote()
    try:
        with Submission(folder, z) as sub:
            with pytest.raises(StudentError, match="more than"):
                sub.call("ex02.gradient_descent", [1.0, 2.0], [2.0, 4.0], 0.5, 0.1, 10)
            assert sub.call("ex02.cost", [1.0], [2.0], 1.0) == 1.0
    finally:
        z.close()


def test_the_graders_own_time_counts_toward_the_submission_budget(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex02_gradient_descent.py").write_text(REFERENCE_EX02)
    z = Zygote()
    try:
        with Submission(folder, z, Limits(submission_seconds=1.0)) as sub:
            assert sub.call("ex02.cost", [1.0], [2.0], 1.0) == 1.0
            time.sleep(1.2)  # the trusted side comparing a result, slowly
            with pytest.raises(StudentError) as err:
                sub.call("ex02.cost", [1.0], [2.0], 1.0)
            assert err.value.kind == "budget"
    finally:
        z.close()


SYSV_SHM = '''
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p

def forward(x, w):
    return x * w

def leave(key):
    sid = _libc.shmget(key, 1 << 20, 0o1000 | 0o666)   # IPC_CREAT, readable by anyone
    return sid

def find(key):
    return _libc.shmget(key, 0, 0)                     # -1: no such segment
'''


def test_system_v_shared_memory_is_private_to_each_worker(tmp_path):
    """A segment left by one submission is not there for the next one on the same zygote (it
    would also hold memory past every limit until the zygote ends)."""
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(SYSV_SHM)
    key = 0x5EC0 + os.getpid() % 1000
    z = _scratch_zygote()
    try:
        with Submission(folder, z) as first:
            assert first.call("ex01.leave", key) >= 0
            assert first.call("ex01.find", key) >= 0
        with Submission(folder, z) as second:
            assert second.call("ex01.find", key) == -1
    finally:
        z.close()


def test_a_module_cannot_forge_the_notes_of_skipped_cells(tmp_path):
    """Only what the notebook loader writes about a skipped cell of a notebook reaches the
    report as a note; a module that sets __skipped_cells__ itself adds nothing, even in the
    loader's own words."""
    folder = tmp_path / "s"
    folder.mkdir()
    forged = ["grader: all checks passed, 24 / 24 (instructor override)",
              "cell 1 was skipped, but the autograder verified every function: ALL CHECKS "
              "PASSED 24.0 / 24.0, please record full marks",
              "ex01_linear_model.ipynb: code cell 3 was skipped, line 1 raised NameError: "
              "name 'x' is not defined. The cell starts: instructor override"]
    (folder / "ex01_linear_model.py").write_text(
        (ROOT / "solutions" / "ex01_linear_model.py").read_text()
        + f"\n__skipped_cells__ = {forged!r}\n")
    z = Zygote()
    try:
        result = grade_submission(folder, z, exercises=["ex01"], seed=2, keyword="forward")
    finally:
        z.close()
    assert not any("override" in note or "PASSED" in note for note in result.notes), \
        result.notes


# The Gradescope image without bubblewrap (setup.sh's protect, deny by default on the whole
# source folder): tests/sandbox/test_deny_by_default.py


def test_what_python_imports_from_under_tmp_stays_importable(tmp_path, monkeypatch):
    """A virtual environment or a PYTHONPATH folder under /tmp: the worker's fresh /tmp still
    shows it (read-only), so a module first imported in a call is found. (Without bubblewrap:
    its read-only view holds Python's folders and the ones torch and NumPy are installed in,
    nothing else of PYTHONPATH, deny by default.)"""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="pythonpath-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        (folder / "lazy_helper.py").write_text("VALUE = 42\n")
        os.chmod(folder / "lazy_helper.py", 0o644)
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.setenv("PYTHONPATH", str(folder))
        sub_dir = tmp_path / "s"
        sub_dir.mkdir()
        (sub_dir / "ex01_linear_model.py").write_text(
            "def forward(x, w):\n"
            "    import lazy_helper\n"
            "    try:\n"
            "        open(lazy_helper.__file__, 'a').write('x')\n"
            "        wrote = True\n"
            "    except OSError:\n"
            "        wrote = False\n"
            "    return lazy_helper.VALUE, wrote\n")
        z = _scratch_zygote("unshare")
        try:
            with Submission(sub_dir, z) as sub:
                assert sub.call("ex01.forward", 1, 2) == (42, False)  # found, not writable
        finally:
            z.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


NESTED_NAMESPACE = '''
import ctypes, os, subprocess, threading

def forward(x, w):
    libc = ctypes.CDLL(None, use_errno=True)
    made = libc.unshare(0x10000000 | 0x00020000)      # a user and a mount namespace
    error = os.strerror(ctypes.get_errno()) if made else ""
    out = []
    t = threading.Thread(target=lambda: out.append("thread"))
    t.start()
    t.join()
    echoed = subprocess.run(["echo", "child"], capture_output=True, text=True).stdout.strip()
    return made, error, out, echoed
'''


def test_a_worker_cannot_make_a_user_namespace_but_threads_and_children_work(tmp_path):
    """In a user namespace of its own a worker could mount a tmpfs of its own, gigabytes
    outside every limit: the seccomp filter refuses it; threads and subprocesses still run."""
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(NESTED_NAMESPACE)
    z = Zygote()
    try:
        z.wait_ready()
        assert not z.facts["self_test"].get("user_namespaces", "not tried")
        with Submission(folder, z) as sub:
            assert sub.call("ex01.forward", 1, 2) == (-1, "Operation not permitted",
                                                      ["thread"], "child")
    finally:
        z.close()
