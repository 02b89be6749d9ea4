"""Deny by default (docs/security.md): a worker reads only what grading needs, whatever the
install, and `protect` changes the tree it is pointed at and nothing else.

The Gradescope image is simulated in a container of its own (bubblewrap, as root): the image's
paths (/autograder), the machine's /usr and /etc, Python readable by every user as in Ubuntu's
image, no network, and none of this checkout. setup.sh runs in it as Gradescope runs it, after
extra copies of the answers were planted in the source folder (a build/ folder, a stray copy of
the package, a demo class, the tests' corpus) and a root-only file beside it; then a hostile
submission walks the whole disk for a marker planted in every copy of the references and the
hidden checks, and tries to import them, without bubblewrap (GRADER_SANDBOX=unshare) and inside
it. It must find nothing and score only what it earns.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.exercises import EXERCISES
from grader.sandbox import Submission
from grader.sandbox.view import VIEW_ETC, python_folders, worker_files

ROOT = Path(__file__).resolve().parents[2]
MARK = "torchdrills-planted-" + secrets.token_hex(8)
NOBODY = 65534

# ex02, hostile. Every file of the disk outside the system's and Python's own folders is read,
# and, inside those (1.8 GB of libraries, too much to read within an import's time limit), every
# file whose path names a copy of the package; the secret modules are imported. It answers only
# with a reference it found; else it says what it found, or how far it looked.
HOSTILE = '''
import base64, collections, importlib, os, re, sys, time

_MARK = base64.b64decode("@MARK@")          # never in this file as text
_OURS = re.compile(r"/(solutions|checks|torchdrills[^/]*|demo_class|idioms)/|ex\\d\\d_")
_BULK = tuple(sorted({os.path.realpath(p) + "/" for p in
                      (sys.prefix, sys.base_prefix, "/usr", "/lib", "/lib64", "/bin", "/sbin")}))
_MODULES = ("solutions.ex02_gradient_descent", "grader.checks.api",
            "grader.checks.ex02_gradient_descent.private.test_hidden")


def _search():
    # breadth first, the grader's folder first, for at most 4 s: a statement at the top of a
    # file is stopped at 5 s (then nothing would be bound), and a busy machine lists slowly
    found, stolen, denied, listed, read = [], None, [], 0, 0
    started = time.monotonic()
    stack = collections.deque(["/autograder", "/"])
    while stack and time.monotonic() - started < 4:
        folder = stack.popleft()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            denied.append(folder)
            continue
        for entry in entries:
            path = entry.path
            if path in ("/proc", "/sys", "/dev", "/autograder"):
                continue
            listed += 1
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    stack.append(path)
                    continue
                if not entry.is_file() or entry.stat().st_size > 8 << 20:
                    continue
            except OSError:
                continue
            if (path + "/").startswith(_BULK) and not _OURS.search(path):
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            read += 1
            if _MARK in data:
                found.append(path)
                if path.endswith("ex02_gradient_descent.py") and stolen is None:
                    stolen = {}
                    try:
                        exec(compile(data, path, "exec"), stolen)
                    except Exception:
                        stolen = None
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except Exception:
            continue
        if getattr(module, "__file__", None):     # (a masked folder imports as an empty one)
            found.append("import " + name)
            stolen = vars(module) if name.startswith("solutions") else stolen
    return found, stolen, (f"uid {os.getuid()}; listed {listed}, read {read} in "
                           f"{time.monotonic() - started:.1f} s; denied {' '.join(denied[:20])}")


_FOUND, _STOLEN, _STATS = _search()


def _answer(name, *args):
    if _STOLEN is not None and name in _STOLEN:
        return _STOLEN[name](*args)
    if _FOUND:
        raise RuntimeError("FOUND " + " | ".join(_FOUND)[:1500])
    raise NotImplementedError("nothing found: " + _STATS)


def cost(xs, ys, w):
    return _answer("cost", xs, ys, w)


def gradient(xs, ys, w):
    return _answer("gradient", xs, ys, w)


def gradient_descent(xs, ys, w0, lr, epochs):
    return _answer("gradient_descent", xs, ys, w0, lr, epochs)


def sample_gradient(x, y, w):
    return _answer("sample_gradient", x, y, w)


def stochastic_gradient_descent(xs, ys, w0, lr, epochs):
    return _answer("stochastic_gradient_descent", xs, ys, w0, lr, epochs)
'''


def _protect(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "grader.instructor.gradescope", "protect",
                           *map(str, args)], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env)


def _snapshot(top: Path) -> dict:
    """relative path -> (mode, uid, gid) of everything under `top`, links included."""
    out = {}
    for folder, dirs, files in os.walk(top):
        for name in [""] + dirs + files:
            path = os.path.join(folder, name) if name else folder
            try:
                st = os.lstat(path)
            except OSError:          # removed meanwhile (others work in this checkout)
                continue
            out[os.path.relpath(path, top)] = (st.st_mode, st.st_uid, st.st_gid)
    return out


def _tree(dest: Path) -> Path:
    """A torchdrills tree: the package's files copied from this checkout."""
    for name in ("grader", "solutions"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "setup.cfg", dest / "setup.cfg")
    return dest


def _as_worker(paths, uid) -> list[str]:
    """The paths a child set up as a worker can open: a uid of its own (`uid`), or root
    without capabilities (`uid` None)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            import ctypes
            if uid is None:
                header = (ctypes.c_uint32 * 2)(0x20080522, 0)
                ctypes.CDLL(None).capset(header, (ctypes.c_uint32 * 6)())
            else:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            opened = []
            for p in paths:
                try:
                    if os.path.isdir(p):
                        os.listdir(p)
                    else:
                        with open(p, "rb") as f:
                            f.read(1)
                    opened.append(p)
                except OSError:
                    pass
            os.write(w, json.dumps(opened).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 1 << 16):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


# ---------------------------------------------------------------------------------------------
# protect: the tree it is pointed at, and nothing else

def test_protect_acts_on_the_tree_it_is_pointed_at_alone(tmp_path):
    """Run from inside another checkout that the import system finds first (and with this
    checkout installed in editable mode, as in development), protect changes the tree named on
    its command line: every other tree keeps its owner and modes."""
    target, other = _tree(tmp_path / "target"), _tree(tmp_path / "other")
    before = {"other": _snapshot(other), "checkout": _snapshot(ROOT)}
    env = dict(os.environ, PYTHONPATH=str(other))
    done = _protect(target, cwd=other, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"protected {target}:") and len(done.stdout.splitlines()) == 1
    for name, top in (("other", other), ("checkout", ROOT)):
        after = _snapshot(top)
        changed = [p for p in before[name] if p in after and after[p] != before[name][p]]
        assert not changed, f"{name}: {changed[:10]}"

    as_root = os.geteuid() == 0
    zygote = set(worker_files(target))
    assert zygote and all(f.startswith(str(target / "grader")) for f in zygote)
    for rel, (mode, uid, _gid) in _snapshot(target).items():
        path = str(target / rel)
        assert not stat.S_ISLNK(mode)
        assert mode & 0o7077 == 0, (rel, oct(mode))
        if as_root:
            assert uid == (0 if path in zygote else NOBODY), rel
        if path in zygote:
            assert mode & 0o177 == 0, (rel, oct(mode))
    if as_root:
        everything = [str(target / rel) for rel in _snapshot(target)]
        assert _as_worker(everything, 2_100_000_321) == []
        assert _as_worker(everything, None) == []       # root without capabilities
        assert (target / "solutions" / "ex02_gradient_descent.py").read_text()  # the grader


def test_protect_refuses_what_is_not_a_torchdrills_tree(tmp_path):
    plain = tmp_path / "plain"
    (plain / "grader").mkdir(parents=True)
    (plain / "grader" / "notes.txt").write_text("mine")
    (plain / "run_autograder").write_text("#!/bin/sh\n")
    link = tmp_path / "link"
    link.symlink_to(_tree(tmp_path / "real"))
    before = _snapshot(tmp_path)
    for path in (plain, tmp_path / "missing", plain / "run_autograder", link, Path("/")):
        done = _protect(path)
        assert done.returncode == 2 and not done.stdout, (path, done.stdout)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("protect: ") \
            and "nothing was changed" in lines[0], (path, done.stderr)
    assert _snapshot(tmp_path) == before
    assert _protect().returncode == 2          # a tree must be named


# ---------------------------------------------------------------------------------------------
# the view: only what the zygote and its workers need

def test_the_view_binds_nothing_but_its_allow_list(tmp_path):
    from grader.sandbox.view import VIEW_SYSTEM, bwrap_command
    cmd = bwrap_command(str(tmp_path), as_root=True, gpu_devices=[])
    bound = [cmd[i + 1] for i, a in enumerate(cmd) if a in ("--ro-bind", "--bind")]
    allowed = set(VIEW_SYSTEM) | set(VIEW_ETC) | set(python_folders()) | set(worker_files()) \
        | {os.path.realpath(sys.executable), str(tmp_path)}
    assert sorted(set(bound) - allowed) == []
    assert not [b for b in bound if b == "/etc" or b.startswith(("/home", str(ROOT / "tests")))]
    assert str(ROOT / "grader") not in bound and str(ROOT) not in bound


LOOK = '''
def look(paths):
    import os
    out = {}
    for p in paths:
        try:
            out[p] = sorted(os.listdir(p)) if os.path.isdir(p) else open(p, "rb").read(40).hex()
        except FileNotFoundError:
            out[p] = "missing"
        except OSError as exc:
            out[p] = f"denied ({exc.strerror})"
    return out
'''


ZYGOTE_IMPORTS = """
import json, sys
from grader.sandbox.inside.zygote import preload
preload()
print(json.dumps(sorted(m.__file__ for n, m in list(sys.modules.items())
                        if n.split(".")[0] == "grader" and getattr(m, "__file__", None))))
"""


def test_the_view_holds_every_file_of_the_package_the_zygote_imports():
    """worker_files, read from the source, against what a zygote really imports: the view
    (and protect, which keeps these readable by root) misses none."""
    done = subprocess.run([sys.executable, "-c", ZYGOTE_IMPORTS], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env=dict(os.environ,
                                                                    PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert str(ROOT / "grader" / "sandbox" / "inside" / "zygote.py") in loaded
    assert set(map(os.path.realpath, loaded)) <= set(worker_files())


def test_a_worker_in_bubblewrap_sees_nothing_of_the_host_but_its_view(zygote, tmp_path):
    zygote.wait_ready()
    if not zygote.bwrap:
        pytest.skip(f"needs bubblewrap's read-only view: {zygote.bwrap_problem}")
    (tmp_path / "ex01_linear_model.py").write_text(LOOK)
    paths = ["/etc", "/etc/shadow", "/etc/hostname", "/etc/passwd", "/etc/ssl", "/home", "/root",
             str(ROOT), str(ROOT / "grader"), str(ROOT / "grader" / "checks"),
             str(ROOT / "solutions"), str(ROOT / "tests"), str(ROOT / "README.md"),
             str(ROOT / "grader" / "runner.py"), str(ROOT / "grader" / "data")]
    with Submission(tmp_path, zygote) as sub:
        seen = sub.call("ex01.look", paths)
    assert set(seen["/etc"]) <= {os.path.basename(f) for f in VIEW_ETC}
    for gone in ("/etc/shadow", "/etc/hostname", "/etc/passwd", "/etc/ssl",
                 str(ROOT / "tests"), str(ROOT / "README.md"), str(ROOT / "grader" / "runner.py"),
                 str(ROOT / "grader" / "data")):
        assert seen[gone] == "missing", (gone, seen[gone])
    assert seen["/home"] in ("missing", [])
    python = [f for f in python_folders() if f.startswith("/root/")]
    if seen["/root"] != "missing":      # only the way to Python, when Python lies there
        assert python and all(any(f.startswith(f"/root/{e}/") or f == f"/root/{e}"
                                  for f in python) for e in seen["/root"]), seen["/root"]
    assert seen[str(ROOT / "grader" / "checks")] in ([], "missing")
    assert seen[str(ROOT / "solutions")] in ([], "missing")
    assert set(seen[str(ROOT)]) <= {"grader", "solutions", "source_notebooks", ".git"}
    shown = {os.path.basename(f) for f in worker_files() if os.path.dirname(f) ==
             str(ROOT / "grader")} | {"sandbox", "probes", "checks", "__pycache__"}
    assert set(seen[str(ROOT / "grader")]) <= shown


# ---------------------------------------------------------------------------------------------
# the Gradescope image, simulated

def _container(img: Path, extra=(), env=None) -> list[str]:
    """bubblewrap as a container standing in for Gradescope's image: the machine's system,
    Python (where it lies under /root or /home, nothing else of them), `img` at /autograder."""
    cmd = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--hostname", "image", "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/tmp", "--ro-bind", "/etc", "/etc", "--tmpfs", "/root", "--tmpfs", "/home"]
    for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    folders = {os.path.realpath(p) for p in [sys.prefix, sys.base_prefix] + sys.path if p}
    made = set()
    for d in sorted(folders):
        if os.path.isdir(d) and not d.startswith("/usr/") and d != str(ROOT) \
                and not d.startswith(str(ROOT) + "/"):
            parents = [p for p in Path(d).parents if str(p) not in ("/", "/root", "/home")]
            for p in reversed(parents):   # as an image's are: readable by every user
                if str(p) not in made:
                    made.add(str(p))
                    cmd += ["--perms", "0755", "--dir", str(p)]
            cmd += ["--ro-bind", d, d]
    path = f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin"
    cmd += ["--bind", str(img), "/autograder", "--clearenv", "--setenv", "PATH", path,
            "--setenv", "HOME", "/root", "--setenv", "LANG", "C.UTF-8"]
    for key, value in (env or {}).items():
        cmd += ["--setenv", key, value]
    return cmd + list(extra) + ["--chdir", "/autograder"]


def _in_image(img, script, extra=(), env=None, timeout=300):
    return subprocess.run(_container(img, extra, env) + ["bash", "-c", script],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _marked(text: str) -> str:
    return text + f'\n_PLANTED = "{MARK}"\n'   # a constant: it is in the bytecode too


def _copy_marked(src: Path, dest: Path):
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for p in dest.rglob("*.py"):
        p.write_text(_marked(p.read_text()))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The archive unpacked where Gradescope puts it, extra copies planted, setup.sh run."""
    if os.geteuid() != 0 or not shutil.which("bwrap"):
        pytest.skip("needs root and bubblewrap to stand in for Gradescope's image")
    from grader.instructor.gradescope import build_archive
    img = tmp_path_factory.mktemp("image")
    os.chmod(img, 0o755)                      # /autograder, as in the image
    probe = _in_image(img, "python3 -c 'import torch, numpy, pytest'", timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"Python and torch cannot be shown in a container here: {probe.stderr[-300:]}")
    archive = tmp_path_factory.mktemp("zip") / "autograder.zip"
    chosen = build_archive(archive)
    source = img / "source"
    with zipfile.ZipFile(archive) as zf:       # as unzip does: the archive's modes kept
        for info in zf.infolist():
            zf.extract(info, source)
            os.chmod(source / info.filename, (info.external_attr >> 16) & 0o777)
    tree = source / "torchdrills"
    unpacked = {p.relative_to(source) for p in source.rglob("*")}
    # the answers and the hidden checks, marked; and the copies nobody listed
    for p in list((tree / "solutions").glob("ex*.py")) + \
            list((tree / "grader" / "checks").glob("*/private/*.py")):
        p.write_text(_marked(p.read_text()))
    _copy_marked(ROOT / "solutions", tree / "build" / "lib" / "solutions")
    _copy_marked(ROOT / "grader" / "checks", tree / "build" / "lib" / "grader" / "checks")
    _copy_marked(ROOT / "solutions", source / "old" / "torchdrills" / "solutions")
    _copy_marked(ROOT / "grader" / "checks", source / "old" / "torchdrills" / "grader" / "checks")
    _copy_marked(ROOT / "tests" / "idioms", tree / "tests" / "idioms")
    (tree / "demo_class" / "alice").mkdir(parents=True)
    (tree / "demo_class" / "alice" / "ex02_gradient_descent.py").write_text(
        _marked((ROOT / "solutions" / "ex02_gradient_descent.py").read_text()))
    root_only = img / "root-only.txt"
    root_only.write_text(MARK)
    os.chmod(root_only, 0o600)
    # two submissions, graded one at a time: every reference; a hostile ex02 (alone: it
    # tampers, and a submission that tampers has points withheld for review)
    (img / "references").mkdir()
    for ex in chosen:
        shutil.copy(ROOT / "solutions" / f"{EXERCISES[ex]}.py", img / "references")
    (img / "hostile").mkdir()
    (img / "hostile" / "ex02_gradient_descent.py").write_text(
        HOSTILE.replace("@MARK@", base64.b64encode(MARK.encode()).decode()))
    # Gradescope's build: setup.sh, as root; nothing installed where pip could put a copy
    setup = _in_image(img, "bash /autograder/source/setup.sh && ! test -e /root/.local "
                      "&& echo SETUP-DONE", timeout=600)
    assert "SETUP-DONE" in setup.stdout, (setup.stdout + setup.stderr)[-3000:]
    return {"img": img, "chosen": chosen, "unpacked": unpacked, "setup": setup.stdout}


def test_setup_leaves_no_copy_and_protects_the_whole_source_folder(image):
    img, source = image["img"], image["img"] / "source"
    assert "protected /autograder/source:" in image["setup"]
    made = {p.relative_to(source) for p in source.rglob("*")} - image["unpacked"]
    planted = ("torchdrills/build/lib/", "torchdrills/tests/", "torchdrills/demo_class",
               "old", "torchdrills/build", "torchdrills/tests")
    assert not [p for p in made if "__pycache__" not in p.parts
                and not str(p).startswith(planted)], made
    assert not [p for p in source.rglob("*") if p.name.endswith((".egg-info", ".dist-info"))
                or p.name in ("dist", "bdist")]
    zygote = set(worker_files(source / "torchdrills"))
    for rel, (mode, uid, _gid) in _snapshot(source).items():
        owned = 0 if str(source / rel) in zygote else NOBODY
        assert uid == owned and mode & 0o7077 == 0, (rel, uid, oct(mode))


def _grade_in_image(image, mode, submission, extra=()):
    img = image["img"]
    shutil.rmtree(img / "results", ignore_errors=True)
    shutil.rmtree(img / "submission", ignore_errors=True)
    shutil.copytree(img / submission, img / "submission")
    metadata = img / "submission_metadata.json"      # Gradescope's, written for each run:
    metadata.write_text(json.dumps({"previous_submissions": [{"results": MARK}],   # readable
                                    "users": [{"email": MARK}]}))                   # by all
    os.chmod(metadata, 0o644)
    done = _in_image(img, "bash /autograder/source/run_autograder", extra,
                     env={"GRADER_SANDBOX": mode}, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    data = json.loads((img / "results" / "results.json").read_text())
    scores: dict[str, list[float]] = {}
    for t in data["tests"]:
        got = scores.setdefault((t.get("tags") or [""])[0], [0.0, 0.0])
        got[0] += t["score"]
        got[1] += t["max_score"]
    hostile = [t for t in data["tests"] if (t.get("tags") or [""])[0] == "ex02"]
    assert "FOUND" not in json.dumps(data), json.dumps(data)[:3000]
    return data, scores, hostile


def _assert_found_nothing(scores, hostile) -> str:
    """ex02 earned nothing, and said it found nothing: returns how far it looked."""
    assert scores["ex02"][1] > 0 and scores["ex02"][0] == 0, scores["ex02"]
    said = [t["output"] for t in hostile if "nothing found: uid " in t["output"]]
    assert said, [t["output"] for t in hostile][:3]
    stats = said[0].split("nothing found: ", 1)[1]
    assert not stats.startswith("uid 0;"), stats        # a uid of its own
    listed = int(stats.split("listed ", 1)[1].split(",")[0])
    assert listed > 10_000, stats                        # it did walk the disk
    return stats


def test_without_bubblewrap_the_references_get_full_marks(image):
    """A worker needs nothing of the protected folder once it is forked (no read-only view,
    as in a container that forbids bubblewrap; each worker a uid of its own)."""
    _data, scores, _hostile = _grade_in_image(image, "unshare", "references")
    for ex in image["chosen"]:
        earned, total = scores[ex]
        assert total > 0 and earned == total, (ex, earned, total)


def test_without_bubblewrap_a_hostile_submission_finds_nothing(image):
    """Every copy of the answers in the source folder, the planted ones included, and the
    root-only file beside it are unreadable to the worker's uid."""
    _data, scores, hostile = _grade_in_image(image, "unshare", "hostile")
    stats = _assert_found_nothing(scores, hostile)
    denied = stats.split("denied ", 1)[1].rstrip(")").split()
    assert "/autograder/source" in denied and "/autograder" not in denied, stats


def test_inside_bubblewrap_a_hostile_submission_finds_nothing(image, tmp_path):
    """The view, deny by default: world-readable copies outside the protected folder (in /etc,
    /home, /root and /opt), which only the view can hide, are not found either; the zygote
    reads what it imports of the protected folder (root's, through the view)."""
    (tmp_path / "home" / "teacher").mkdir(parents=True)
    _copy_marked(ROOT / "solutions", tmp_path / "home" / "teacher" / "solutions")
    _copy_marked(ROOT / "solutions", tmp_path / "opt" / "solutions")
    (tmp_path / "note").write_text(MARK)
    for p in [tmp_path] + list(tmp_path.rglob("*")):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    extra = ["--ro-bind", str(tmp_path / "note"), "/etc/hostname",
             "--ro-bind", str(tmp_path / "home"), "/home",
             "--ro-bind", str(tmp_path / "opt"), "/opt/course",
             "--ro-bind", str(tmp_path / "note"), "/root/notes.txt"]
    _data, scores, hostile = _grade_in_image(image, "auto", "hostile", extra)
    _assert_found_nothing(scores, hostile)


def test_the_gradescope_runner_refuses_where_a_worker_could_read_the_answers(tmp_path,
                                                                               monkeypatch):
    """This checkout without bubblewrap and never protected: the references are readable by
    any user, so the runner grades nothing and says so in results.json (the details go to
    the log, for the instructor)."""
    from grader.instructor.gradescope import run
    from grader.engine.request import GradeRequest
    monkeypatch.setenv("GRADER_SANDBOX", "unshare")
    (tmp_path / "submission").mkdir()
    shutil.copy(ROOT / "solutions" / "ex01_linear_model.py", tmp_path / "submission")
    data = run(tmp_path, GradeRequest(exercises=("ex01",)))
    assert data["score"] == 0 and data["tests"] == []
    assert "could not grade" in data["output"] and "read the answers" in data["output"]
    assert "solutions" not in data["output"]          # no path of the instructor's
