"""The sandbox's layers, one by one: what the zygote reports, what a worker can and cannot do,
and how the trusted side recovers (see docs/security.md)."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from grader.sandbox import (DEFAULT_LIMITS, SHARED_UID_NPROC, Limits, StudentError, Submission,
                            Zygote, bwrap_command, effective_rlimits, sweep_stale_temp)

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["private folder", "clean environment", "own session", "resource limits", "memory total",
          "timeouts",
          "separate user", "process limit", "private scratch", "no network", "read-only view"]

PROBE = '''
import os
import time


def forward(x, w):
    return x * w


def whoami():
    return {"uid": os.getuid(), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
            "env": sorted(os.environ), "session": os.getsid(0) == os.getpid()}


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def read(path):
    with open(path, "rb") as f:
        return f.read(20)


def write(path):
    with open(path, "w") as f:
        f.write("student was here")
    return True
'''


@pytest.fixture
def probe(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(PROBE)
    return folder


def layer(zygote, name):
    zygote.wait_ready()   # the layers are measured when the zygote has started
    return next(l for l in zygote.layers if l.name == name)


def test_layers_are_reported_and_missing_ones_warned(zygote):
    zygote.wait_ready()
    assert [l.name for l in zygote.layers] == LAYERS
    missing = [l.name for l in zygote.layers if not l.on]
    assert len(zygote.warnings()) == len(missing)
    for name, warning in zip(missing, zygote.warnings()):
        assert warning.startswith(f"sandbox layer missing: {name}:")
    summary = zygote.summary()
    assert summary.startswith(f"sandbox: {len(LAYERS) - len(missing)} of {len(LAYERS)} layers")
    assert ("MISSING" in summary) == bool(missing)


def test_bubblewrap_view_where_available(zygote):
    zygote.wait_ready()
    if not zygote.bwrap:
        pytest.skip(f"no bubblewrap here: {zygote.bwrap_problem}")
    assert layer(zygote, "read-only view").on
    assert layer(zygote, "no network").on


def test_bwrap_command_masks_secrets_and_never_binds_the_repository(tmp_path):
    cmd = bwrap_command(str(tmp_path), as_root=False)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in cmd
    pairs = list(zip(cmd, cmd[1:]))
    bound = [b for a, b in pairs if a in ("--ro-bind", "--bind", "--dev-bind")]
    assert str(ROOT) not in bound and os.path.realpath(os.getcwd()) not in bound
    assert str(ROOT / "grader") not in bound          # only the files the zygote imports
    assert ("--ro-bind", str(ROOT / "grader" / "sandbox" / "protocol.py")) in pairs
    assert not [b for b in bound if b.startswith(str(ROOT / "grader" / "checks"))]
    assert "/etc" not in bound and "/home" not in bound and "/root" not in bound
    assert ("--bind", str(tmp_path)) in pairs          # the spool of submission folders
    for secret in ("solutions", "grader/checks", ".git"):
        if (ROOT / secret).exists():
            assert ("--tmpfs", str(ROOT / secret)) in pairs
    assert "--cap-add" not in cmd
    assert "CAP_SETUID" in bwrap_command(str(tmp_path), as_root=True)


def test_effective_rlimits_for_cuda_and_shared_uid():
    cpu = effective_rlimits(DEFAULT_LIMITS, cuda=False, separate_uid=True)
    assert cpu == DEFAULT_LIMITS
    gpu = effective_rlimits(DEFAULT_LIMITS, cuda=True, separate_uid=True)
    assert "RLIMIT_AS" not in gpu and gpu["RLIMIT_DATA"] == DEFAULT_LIMITS["RLIMIT_AS"]
    shared = effective_rlimits(DEFAULT_LIMITS, cuda=False, separate_uid=False)
    assert shared["RLIMIT_NPROC"] == SHARED_UID_NPROC


def test_worker_runs_in_its_own_folder_user_and_session(zygote, probe):
    with Submission(probe, zygote) as sub:
        me = sub.call("ex01.whoami")
        # its folder is a private copy in its own scratch space where it can have one
        assert me["cwd"] == ("/tmp/work" if zygote.private_scratch else str(sub.workdir))
        assert "ex01_linear_model.py" in me["files"]
        assert not any(name.endswith(".py") and name.startswith("ex0") and name != 
                       "ex01_linear_model.py" for name in me["files"])
        assert set(me["env"]) <= {"PATH", "LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES", "HOME",
                                  "TMPDIR", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                  "PYTHONDONTWRITEBYTECODE", "OPENBLAS_CORETYPE",
                                  "OPENBLAS_L2_SIZE"}
        assert me["session"]
        if layer(zygote, "separate user").on:
            assert me["uid"] == sub.uid != 0
            assert os.stat(sub.workdir).st_uid == sub.uid


def test_two_submissions_cannot_touch_each_other(zygote, probe, tmp_path):
    if not layer(zygote, "separate user").on:
        pytest.skip("needs the separate-user layer")
    other_dir = tmp_path / "other"
    shutil.copytree(probe, other_dir)
    with Submission(probe, zygote) as a, Submission(other_dir, zygote) as b:
        assert a.uid != b.uid
        target = b.workdir / "ex01_linear_model.py"
        for call in ("ex01.read", "ex01.write"):
            with pytest.raises(StudentError) as err:
                a.call(call, str(target))
            assert "PermissionError" in str(err.value) or "FileNotFoundError" in str(err.value)
        assert b.call("ex01.forward", 2.0, 3.0) == 6.0


def test_solutions_unreadable_with_the_view(zygote, probe):
    if not layer(zygote, "read-only view").on:
        pytest.skip("needs the read-only-view layer (bubblewrap)")
    with Submission(probe, zygote) as sub:
        for path in (ROOT / "solutions" / "ex01_linear_model.py",
                     ROOT / "grader" / "checks" / "ex01_linear_model" / "private" /
                     "test_hidden.py"):
            with pytest.raises(StudentError, match="FileNotFoundError"):
                sub.call("ex01.read", str(path))
        with pytest.raises(StudentError, match="Read-only file system|PermissionError"):
            sub.call("ex01.write", str(ROOT / "grader" / "planted.py"))
    assert not (ROOT / "grader" / "planted.py").exists()


def test_call_timeout_then_submission_budget(zygote, probe):
    limits = Limits(call_seconds=0.5, import_seconds=5, submission_seconds=1.0)
    with Submission(probe, zygote, limits) as sub:
        assert sub.call("ex01.forward", 1.0, 2.0) == 2.0
        with pytest.raises(StudentError) as err:
            sub.call("ex01.sleep", 30)
        assert err.value.kind == "timeout" and "timed out after" in str(err.value)
        assert sub.call("ex01.forward", 1.0, 3.0) == 3.0     # a fresh worker took over
        with pytest.raises(StudentError) as err:
            sub.call("ex01.sleep", 30)
        with pytest.raises(StudentError) as err:
            sub.call("ex01.forward", 1.0, 2.0)
        assert err.value.kind == "budget" and "remaining checks are not run" in str(err.value)


def test_one_zygote_serves_threads(zygote, probe, tmp_path):
    folders = [probe]
    for i in range(2):
        folders.append(tmp_path / f"s{i}")
        shutil.copytree(probe, folders[-1])
    subs = [Submission(f, zygote) for f in folders]
    wrong = []

    def run(sub, k):
        for i in range(15):
            if sub.call("ex01.forward", float(i), float(k)) != i * k:
                wrong.append((k, i))
            if i % 5 == 4:  # a restart in between: spawn requests from several threads
                sub._restart()

    threads = [threading.Thread(target=run, args=(s, k)) for k, s in enumerate(subs, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for s in subs:
        s.close()
    assert not wrong


@pytest.fixture(scope="module")
def basic_zygote():
    z = Zygote(sandbox="basic")
    yield z
    z.close()
    assert not Path(z.spool).exists()


def test_basic_mode_warns_about_every_missing_layer(basic_zygote, probe):
    z = basic_zygote
    z.wait_ready()
    off = {l.name for l in z.layers if not l.on}
    assert off == {"memory total", "separate user", "process limit", "private scratch",
                   "no network", "read-only view"} - \
        ({"process limit"} if os.geteuid() != 0 else set())   # not root: RLIMIT_NPROC binds
    assert all("GRADER_SANDBOX=basic" in w for w in z.warnings())
    with Submission(probe, z) as sub:        # grading works, with less isolation
        assert sub.call("ex01.forward", 2.0, 4.0) == 8.0
        assert sub.uid is None


def test_a_dead_zygote_is_replaced(basic_zygote, probe):
    z = basic_zygote
    with Submission(probe, z) as sub:
        assert sub.call("ex01.forward", 2.0, 2.0) == 4.0
        z.proc.kill()
        z.proc.wait()
        sub._restart()                     # its worker died with the zygote
        assert sub.call("ex01.forward", 2.0, 5.0) == 10.0
    assert z.restarts == 1


def test_unknown_sandbox_mode_is_refused():
    from grader.sandbox import SandboxRefused
    with pytest.raises(SandboxRefused, match="sandbox mode 'off'"):
        Zygote(sandbox="off")


def test_stale_temp_folders_of_dead_graders_are_swept(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)                                  # a process that has ended
    alive = subprocess.Popen(["sleep", "30"])
    try:
        folders = {name: tmp_path / f"grader-spool-{pid}-x1" for name, pid in
                   [("dead", dead), ("alive", alive.pid), ("mine", os.getpid())]}
        other = tmp_path / "grader-spool-notapid-x2"
        for f in [*folders.values(), other]:
            (f / "sub").mkdir(parents=True)
        sweep_stale_temp("grader-spool-")
        assert not folders["dead"].exists()
        assert folders["alive"].exists() and folders["mine"].exists() and other.exists()
    finally:
        alive.kill()
        alive.wait()


GLOBAL_STATE = '''
import numpy as np
import torch


def draws():
    return torch.rand(3), np.random.rand(2), torch.get_default_dtype()


def disturb():
    torch.manual_seed(123)
    torch.rand(5)
    np.random.seed(7)
    torch.set_default_dtype(torch.float64)
    return True
'''


def test_every_call_starts_from_the_same_global_state(zygote, tmp_path):
    """Each call runs from torch.manual_seed(0), np.random.seed(0) and float32 defaults, as the
    references do, whatever an earlier call of the student's code did to them."""
    import numpy as np
    import torch
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(GLOBAL_STATE)
    with Submission(folder, zygote) as sub:
        first = sub.call("ex01.draws")
        assert sub.call("ex01.disturb") is True
        again = sub.call("ex01.draws")
    torch.manual_seed(0)
    np.random.seed(0)
    want = torch.rand(3), np.random.rand(2)
    for got in (first, again):
        assert torch.equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        assert got[2] == torch.float32


def test_a_zygote_runs_nothing_without_the_layers_its_owner_requires(probe):
    """Zygote(require=...) holds every start to the layers asked for, restarts included: a
    cluster worker's zygote that student code killed must come back off the network, or run
    nothing at all (and the submission is not graded, rather than graded without it)."""
    from grader.sandbox import LayersMissing
    z = Zygote(sandbox="basic", require=[("no network",)])
    with pytest.raises(LayersMissing, match="lacks the layer 'no network' \\(network reachable"):
        z.wait_ready()
    assert z.proc.poll() is not None               # closed: it forks nothing
    z = Zygote(sandbox="basic", require=[("private folder",), ("timeouts", "no network")])
    try:
        with Submission(probe, z) as sub:
            assert sub.call("ex01.forward", 2.0, 3.0) == 6.0
        z.require = (("no network",),)             # as if this machine lost the layer
        z.proc.kill()
        z.proc.wait()
        with pytest.raises(LayersMissing):
            with Submission(probe, z) as sub:
                sub.call("ex01.forward", 2.0, 3.0)
    finally:
        z.close()


def test_a_zygote_that_ends_unread_is_told_in_one_line(capsys, monkeypatch):
    """The zygote ending with the grader's words unread (out of memory as it imports torch)
    resets the connection: that reads as the zygote having stopped, with its log, and `grade`
    says so in one line instead of a traceback."""
    import io
    import socket

    from grader.cli import main
    from grader.sandbox import ZygoteDied
    from grader.sandbox.launcher import Zygote

    def ended(self, *args, **kwargs):
        ours, theirs = socket.socketpair()
        ours.sendall(b"the grader's words")       # left unread when it ends
        theirs.close()
        self.sock, self._buf, self._ready = ours, b"", False
        self.log = io.BytesIO(b"MemoryError while importing torch")
        self._lock = threading.Lock()

    zygote = Zygote.__new__(Zygote)
    ended(zygote)
    with pytest.raises(ZygoteDied, match="stopped: MemoryError while importing torch"):
        zygote._line(timeout=5)
    monkeypatch.setattr(Zygote, "__init__", ended)
    monkeypatch.setattr(Zygote, "close", lambda self: None)
    code = main(["grade", "solutions", "--exercises", "ex01", "--brief"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert "error: the worker zygote stopped: MemoryError while importing torch" in err
