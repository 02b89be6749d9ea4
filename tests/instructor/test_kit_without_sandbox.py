"""The kit's `check` on a machine where the sandbox cannot run (macOS, Windows): a student's
own check of their own work runs unsandboxed, says so in one line, and scores as usual; grading
never does without the sandbox.

Two stand-ins, each a sitecustomize on PYTHONPATH, in force in the kit's process and in every
Python it starts:
  - "no fork" (macOS's case): os.fork gone, `import resource` fails;
  - "windows": as close to Windows as Linux gets. Also gone: O_NOFOLLOW, O_DIRECTORY,
    O_NONBLOCK, O_NOCTTY, O_CLOEXEC; descriptor-relative calls (os.supports_dir_fd empty, and
    os.open / os.unlink with dir_fd raise NotImplementedError, os.scandir of a descriptor
    TypeError, as Windows' do); fcntl, pwd, grp, resource, termios, tty and pty; process
    groups, sessions and uids (os.setsid, os.killpg, os.getuid, ...); the wait-status readers
    (os.WIFSIGNALED, ...); socket.send_fds; signal.SIGKILL (Popen.kill stops a process as
    Windows' TerminateProcess does); select.poll, and select.select on anything but a socket
    (Windows' WSAENOTSOCK)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]

NO_FORK = '''\
import os, sys
for _name in ("fork", "forkpty"):
    if hasattr(os, _name):
        delattr(os, _name)

class _NoResource:
    def find_spec(self, name, path=None, target=None):
        if name == "resource":
            raise ImportError("No module named 'resource'")
        return None

sys.meta_path.insert(0, _NoResource())
sys.modules.pop("resource", None)
'''

WINDOWS = '''\
import os, select, signal, socket, stat, sys
import selectors, shutil, subprocess   # the standard library's own workings: as made here,
shutil._use_fd_functions = False         # but rmtree by path, as on Windows

_GONE = ("fcntl", "pwd", "grp", "resource", "termios", "tty", "pty")

class _Missing:
    def find_spec(self, name, path=None, target=None):
        if name in _GONE:
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _Missing())
for _name in _GONE:
    sys.modules.pop(_name, None)

for _name in ("fork", "forkpty", "setsid", "setpgid", "setpgrp", "getpgid", "killpg", "getuid",
              "geteuid", "getgid", "getegid", "setuid", "setgid", "chown", "fchown", "lchown",
              "pipe2", "WIFSIGNALED", "WTERMSIG", "WIFEXITED", "WEXITSTATUS", "WIFSTOPPED",
              "WSTOPSIG", "WCOREDUMP", "WIFCONTINUED", "O_NOFOLLOW", "O_DIRECTORY",
              "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC"):
    if hasattr(os, _name):
        delattr(os, _name)
os.supports_dir_fd.clear()
os.supports_fd.discard(os.scandir)
os.supports_follow_symlinks.clear()

def _no_dir_fd(call):
    def wrapped(*args, dir_fd=None, **kwargs):
        if dir_fd is not None:
            raise NotImplementedError("dir_fd unavailable on this platform")
        return call(*args, **kwargs)
    return wrapped

os.open, os.unlink, os.rmdir = _no_dir_fd(os.open), _no_dir_fd(os.unlink), _no_dir_fd(os.rmdir)
_scandir = os.scandir

def _scandir_paths(path="."):
    if isinstance(path, int):
        raise TypeError("scandir: path should be string, bytes or os.PathLike, not int")
    return _scandir(path)

os.scandir = _scandir_paths

for _name in ("send_fds", "recv_fds"):
    if hasattr(socket, _name):
        delattr(socket, _name)

del signal.SIGKILL
subprocess.Popen.kill = lambda self: self.send_signal(9)   # TerminateProcess: unconditional

for _name in ("poll", "epoll", "devpoll", "kqueue"):
    if hasattr(select, _name):
        delattr(select, _name)
_select = select.select

def _sockets_only(*lists_and_timeout):
    for objs in lists_and_timeout[:3]:
        for obj in objs:
            fd = obj if isinstance(obj, int) else obj.fileno()
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                raise OSError(10038, "An operation was attempted on something that is not a "
                                     "socket")
    return _select(*lists_and_timeout)

select.select = _sockets_only
'''

MACHINES = {"no fork": NO_FORK, "windows": WINDOWS}

HANGS = '''

def best_weight(x_data, y_data, weights):
    import time
    while True:
        time.sleep(0.01)


def mse_surface(x_data, y_data, ws, bs):
    import os
    os._exit(3)
'''

ODD = '''

def forward_wb(x, w, b):
    raise ValueError("y \u2248 w x \u2192 inf")
'''


@pytest.fixture(scope="module")
def kits(tmp_path_factory):
    """(the kit of ex01, the same filled with the reference, the same whose best_weight never
    returns and whose mse_surface ends its process, the same whose forward_wb raises a message
    cp1252 cannot write, {stand-in: its environment})"""
    base = tmp_path_factory.mktemp("nosandbox")
    kit = base / "kit"
    assert main(["release", str(kit), "--exercises", "ex01", "--no-notebooks"]) == 0
    name = f"{EXERCISES['ex01']}.py"
    filled = base / "filled"
    shutil.copytree(kit, filled)
    shutil.copyfile(ROOT / "solutions" / name, filled / "exercises" / name)
    hangs = base / "hangs"
    shutil.copytree(filled, hangs)
    with open(hangs / "exercises" / name, "a") as f:
        f.write(HANGS)   # a later definition wins
    odd = base / "odd"
    shutil.copytree(filled, odd)
    with open(odd / "exercises" / name, "a", encoding="utf-8") as f:
        f.write(ODD)
    envs = {}
    for machine, text in MACHINES.items():
        site = base / machine.replace(" ", "_")
        site.mkdir()
        (site / "sitecustomize.py").write_text(text)
        envs[machine] = dict(os.environ, PYTHONPATH=str(site))
    return kit, filled, hangs, odd, envs


def _run(folder, env, *args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


PROBE = '''\
import os, select, signal, socket
have = [n for n in ("fork", "setsid", "killpg", "getuid", "O_NOFOLLOW", "O_DIRECTORY",
                    "WIFSIGNALED") if hasattr(os, n)]
have += [n for n in ("poll",) if hasattr(select, n)]
have += [n for n in ("SIGKILL",) if hasattr(signal, n)]
have += [n for n in ("send_fds",) if hasattr(socket, n)]
for name in ("fcntl", "pwd", "grp", "resource", "termios"):
    try:
        __import__(name)
        have.append(name)
    except ImportError:
        pass
if os.supports_dir_fd:
    have.append("dir_fd")
try:
    os.open(".", os.O_RDONLY, dir_fd=os.open(".", os.O_RDONLY))
    have.append("open dir_fd")
except NotImplementedError:
    pass
r, w = os.pipe()
try:
    select.select([r], [], [], 0)
    have.append("select on a pipe")
except OSError:
    pass
print(" ".join(have) or "none")
'''


def test_the_stand_ins_lack_what_they_should(kits):
    kit, _, _, _, envs = kits
    seen = {machine: subprocess.run([sys.executable, "-c", PROBE], cwd=kit, env=env,
                                    capture_output=True, text=True).stdout.split()
            for machine, env in envs.items()}
    assert "fork" not in seen["no fork"] and "resource" not in seen["no fork"]
    assert "O_NOFOLLOW" in seen["no fork"] and "poll" in seen["no fork"]   # macOS has them
    assert seen["windows"] == ["none"], seen


@pytest.mark.parametrize("machine", list(MACHINES))
def test_kit_checks_the_stubs_without_the_sandbox(kits, machine):
    kit, _, _, _, envs = kits
    proc = _run(kit, envs[machine], "check")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "ex01: not started" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("0 of ")
    notes = [line for line in proc.stderr.splitlines() if "without the sandbox" in line]
    assert len(notes) == 1 and "os.fork" in notes[0], proc.stderr


@pytest.mark.parametrize("machine", list(MACHINES))
def test_kit_checks_the_references_without_the_sandbox(kits, machine):
    _, filled, _, _, envs = kits
    proc = _run(filled, envs[machine], "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed, _, total = proc.stdout.strip().splitlines()[-1].split(" visible")[0].partition(" of ")
    assert int(passed) == int(total) > 0, proc.stdout
    assert "without the sandbox" in proc.stderr
    assert "Traceback" not in proc.stderr


TIMED = '''\
import json, time
from grader.engine.request import GradeRequest
from grader.sandbox.limits import Limits
from grader.sandbox.plain import grade_unsandboxed
started = time.monotonic()
result = grade_unsandboxed("exercises", GradeRequest(
    exercises=("ex01",), checks="visible", seed=0, limits=Limits(call_seconds=1.0)))
print(json.dumps({"seconds": time.monotonic() - started,
                  "checks": [[c.target, c.status, c.message] for c in result.checks
                             if c.counted]}))
'''


def test_a_function_that_never_returns_is_stopped_by_the_time_limit(kits):
    """On the Windows stand-in (a thread waits on the worker's pipe, the worker is stopped
    alone, no wait statuses): best_weight's checks time out after the call limit (1 s here);
    mse_surface's, which end the worker, say how it ended; the other checks get a fresh worker
    and pass."""
    import json
    _, _, hangs, _, envs = kits
    proc = subprocess.run([sys.executable, "-c", TIMED], cwd=hangs, env=envs["windows"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    stuck = [c for c in out["checks"] if c[0] == "best_weight"]
    ended = [c for c in out["checks"] if c[0] == "mse_surface"]
    rest = [c for c in out["checks"] if c[0] not in ("best_weight", "mse_surface")]
    assert stuck and all(c[1] != "passed" for c in stuck), stuck
    assert any("timed out after 1 s" in c[2] for c in stuck), stuck
    assert ended and all(c[1] != "passed" for c in ended), ended
    assert any("exited with code 3" in c[2] for c in ended), ended
    assert rest and all(c[1] == "passed" for c in rest), rest
    assert out["seconds"] < 30, out["seconds"]


def test_what_the_terminal_cannot_show_is_escaped(kits):
    """Windows' cp1252 (Git Bash, a redirect) has no '\u2248' or '\u2192': a student's message
    holding them is printed escaped, and the other checks still report."""
    _, _, _, odd, envs = kits
    proc = _run(odd, dict(envs["windows"], PYTHONIOENCODING="cp1252"), "check")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "ValueError: y \\u2248 w x \\u2192 inf" in proc.stdout, proc.stdout
    assert proc.stdout.strip().splitlines()[-1].endswith("visible checks pass.")


@pytest.mark.parametrize("machine", list(MACHINES))
def test_grading_never_runs_without_the_sandbox(kits, machine):
    """`grade` refuses in one line, in the kit and in the instructor's checkout; so does the
    instructor's `check`, whose copy holds the references."""
    _, filled, _, _, envs = kits
    env = envs[machine]
    for folder, args in ((filled, ("grade", "exercises")), (ROOT, ("check", "ex01"))):
        proc = _run(folder, dict(env, PYTHONPATH=env["PYTHONPATH"] + os.pathsep + str(ROOT)),
                    *args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.strip().splitlines() == [
            "error: the sandbox needs os.fork, which this Python lacks: nothing is graded on "
            "this machine (grade on Linux)"], proc.stderr
        assert "pass" not in proc.stdout
