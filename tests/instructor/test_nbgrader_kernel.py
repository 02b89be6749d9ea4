"""nbgrader's own pipeline with the sandboxed kernel (grader.instructor.nbkernel) and the trusted check
cells (grader.instructor.autograde): `nbgrader autograde` and `generate_feedback` on a temporary
course of one exercise (ex01), with three hostile students:

  mallory  one extra cell prints the references, the hidden checks, the source notebook, the
           environment, a root-only file and tries the network; another replaces run_checks
  eve      replaces grader.notebook._ask and the launcher's client so that every check passes
  trudy    hooks builtins.__import__ so that `from grader.notebook import run_checks` gets a
           fake that prints a pass

All three hand in the released notebook (no function written): each must score 0 and read none
of the secrets. A fourth, hog, tries to fill its home folder, /tmp and /dev/shm, to write one
large file and many small ones, to allocate past the memory limit and to make a user namespace:
it is stopped at the kernel's limits, its notebook runs on, and so does nbgrader's run. The
references' full marks and the release's zero through autograde are tests/instructor/test_nbgrader.py's.
Also: a check cell in the sandboxed kernel outside autograde reaches the trusted grading
process (nbclient, no nbgrader), a kernel killed by its CPU limit, the limits' setting, the
install command, the refusal without bubblewrap, and GradeCheckCells' outputs on a made-up
result.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.exercises import EXERCISES
from solution_lines import solution_lines
from test_nbgrader import code_cells, grade_cells, kernel_prefix, nbgrader, source_notebook

ROOT = Path(__file__).resolve().parents[2]
EX = "ex01"
NAME = EXERCISES[EX]
ENV_TOKEN = "tok-env-5e0c1a7b9d"
FILE_TOKEN = "tok-file-8f3e2d1c0b"
HOSTILE = ("mallory", "eve", "trudy")

HOG_CELL = """import ctypes, errno, json, mmap, os, resource, shutil, sys
report = {}
if "ipykernel" in sys.modules:   # in the kernel only, not when GradeCheckCells grades it
    def fill(folder, at_most=1 << 30):
        written, n, error, chunk = 0, 0, None, b"x" * (1 << 20)
        while written < at_most and error is None:
            fd = os.open(os.path.join(folder, f"fill{n}"), os.O_WRONLY | os.O_CREAT, 0o600)
            n += 1
            try:
                for _ in range(32):
                    written += os.write(fd, chunk)
            except OSError as exc:
                error = errno.errorcode[exc.errno]
            finally:
                os.close(fd)
        return [written, error]
    home = os.path.expanduser("~")
    for name, folder in (("home", home), ("tmp", "/tmp"), ("shm", "/dev/shm")):
        report[name] = fill(folder)
    for folder in (home, "/tmp", "/dev/shm"):
        for name in os.listdir(folder):
            if name.startswith("fill"):
                os.unlink(os.path.join(folder, name))
    try:
        with open("/tmp/big", "wb") as f:
            f.write(b"x" * (100 << 20))
        report["big"] = "written"
    except OSError as exc:
        report["big"] = errno.errorcode[exc.errno]
    report["big_size"] = os.path.getsize("/tmp/big")
    os.unlink("/tmp/big")
    os.mkdir("/tmp/many")
    made = 0
    try:
        while made < 100000:
            open(f"/tmp/many/{made}", "w").close()
            made += 1
    except OSError as exc:
        report["files"] = [made, errno.errorcode[exc.errno]]
    shutil.rmtree("/tmp/many")
    try:
        bytearray(7 << 30)
        report["alloc"] = "allocated"
    except MemoryError:
        report["alloc"] = "MemoryError"
    maps = []
    try:
        while len(maps) < 64:
            maps.append(mmap.mmap(-1, 256 << 20))
    except OSError as exc:
        report["mapped_error"] = errno.errorcode[exc.errno]
    report["mapped"] = len(maps) << 28
    for m in maps:
        m.close()
    libc = ctypes.CDLL(None, use_errno=True)
    report["userns"] = "made" if libc.unshare(0x10000000) == 0 else \
        errno.errorcode[ctypes.get_errno()]
    report["rlimits"] = {n: resource.getrlimit(getattr(resource, n))[0] for n in (
        "RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_CORE")}
    import io
    import matplotlib
    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    plt.plot([1, 2, 3])
    plt.savefig(io.BytesIO())
    report["font_cache"] = sorted(os.listdir(os.path.join(home, ".cache", "matplotlib")))
    print("LIMITS " + json.dumps(report))
"""


def _sandbox_or_skip():
    pytest.importorskip("nbgrader")
    from grader.instructor.nbkernel import sandbox_problem
    problem = sandbox_problem()
    if problem:
        pytest.skip(f"the sandboxed kernel cannot start here: {problem}")


def leak_cell(root_file: Path, course: Path, port: int) -> str:
    hidden = sorted((ROOT / "grader" / "checks").glob(f"{NAME}/private/test_hidden.py"))
    paths = [str(ROOT / "solutions" / f"{NAME}.py"), *map(str, hidden), str(root_file),
             str(course / "source_notebooks" / NAME / f"{NAME}.ipynb"),
             str(course / "gradebook.db"), "/proc/self/environ", "/proc/1/environ",
             "/etc/shadow", os.path.expanduser("~/.bash_history")]
    return f"""print("leak cell ran")
import glob, importlib, os, socket
for path in {paths!r} + glob.glob({str(ROOT)!r} + "/**/test_hidden.py", recursive=True):
    try:
        print(path, open(path, errors="replace").read())
    except OSError as exc:
        print(path, "blocked:", type(exc).__name__)
for name in ("solutions.{NAME}", "grader.checks.{NAME}.private.test_hidden"):
    try:
        module = importlib.import_module(name)
        print(name, open(module.__file__).read())
    except Exception as exc:
        print(name, "blocked:", type(exc).__name__)
print(dict(os.environ))
for host in ("127.0.0.1", "10.0.0.1"):
    try:
        socket.create_connection((host, {port}), timeout=3)
        print("CONN" + "ECTED", host)
    except OSError as exc:
        print("network blocked:", type(exc).__name__)
"""


PATCH_RUN_CHECKS = """import grader.notebook
grader.notebook.run_checks = lambda *args, **kwargs: print("PATCHED: all checks pass.")
grader.notebook.run_checks("ex01", "forward", In)
"""

PATCH_ASK = """import grader.notebook as nb
fake = {"passed": True, "text": "PATCHED: all checks pass."}
nb._ask_launcher = lambda path, request: fake
nb._ask = lambda request: {"ok": True, "result": {"submission": "", "seed": 0, "checks": []}}
nb.grade_target = lambda *args, **kwargs: (True, "PATCHED: all checks pass.")
nb.run_checks("ex01", "forward", In)
"""

PATCH_BUILTINS = """import builtins, types
fake = types.ModuleType("grader.notebook")
fake.run_checks = lambda *args, **kwargs: print("PATCHED: all checks pass.")
real_import = builtins.__import__
def hooked(name, *args, **kwargs):
    return fake if name == "grader.notebook" else real_import(name, *args, **kwargs)
builtins.__import__ = hooked
from grader.notebook import run_checks
run_checks("ex01", "forward", In)
"""


def with_cells(released: Path, cells: list[str]) -> str:
    """The released notebook with these code cells added after its first code cell."""
    nb = json.loads(released.read_text())
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    for offset, source in enumerate(cells, 1):
        nb["cells"].insert(first + offset, {"cell_type": "code", "metadata": {},
                                            "execution_count": None, "outputs": [],
                                            "source": source})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback: the sandboxed kernel must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    reached, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                reached.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], reached
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, listener):
    """The course after autograde and generate_feedback of mallory, eve and trudy."""
    _sandbox_or_skip()
    course = tmp_path_factory.mktemp("kernel_course")
    shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    folder = course / "source_notebooks" / NAME
    folder.mkdir(parents=True)
    (folder / f"{NAME}.ipynb").write_text(source_notebook(EX))
    nbgrader(course, "generate_assignment", NAME)
    root_file = tmp_path_factory.mktemp("root_only") / "secret.txt"
    root_file.write_text(FILE_TOKEN)
    root_file.chmod(0o600)
    released = course / "release" / NAME / f"{NAME}.ipynb"
    cells = {"mallory": [leak_cell(root_file, course, listener[0]), PATCH_RUN_CHECKS],
             "eve": [PATCH_ASK], "trudy": [PATCH_BUILTINS],
             "hog": [HOG_CELL, "bytearray(8 << 30)", "print('after the limits')"]}
    for student, extra in cells.items():
        dest = course / "submitted" / student / NAME
        dest.mkdir(parents=True)
        (dest / f"{NAME}.ipynb").write_text(with_cells(released, extra))
    env = dict(os.environ, TORCHDRILLS_PLANTED=ENV_TOKEN)
    nbgrader(course, "autograde", NAME, env=env)
    nbgrader(course, "generate_feedback", NAME, env=env)
    return course


def outputs_text(nb: dict) -> str:
    parts = []
    for cell in code_cells(nb):
        for out in cell["outputs"]:
            parts.append(json.dumps(out))
    return "\n".join(parts)


def _read(course: Path, student: str) -> tuple[dict, str]:
    nb = json.loads((course / "autograded" / student / NAME / f"{NAME}.ipynb").read_text())
    html = (course / "feedback" / student / NAME / f"{NAME}.html").read_text()
    return nb, html


@pytest.mark.slow
def test_a_cell_reads_no_secret_file_environment_or_network(hostile, listener):
    nb, html = _read(hostile, "mallory")
    text = outputs_text(nb)
    assert "leak cell ran" in text and "blocked:" in text   # the cell did run, and was refused
    secret = solution_lines()
    hidden = [ln.strip() for p in (ROOT / "grader" / "checks").glob("*/private/test_hidden.py")
              for ln in p.read_text().splitlines() if len(ln.strip()) > 30]
    for where, body in (("autograded notebook", text), ("feedback", html)):
        assert ENV_TOKEN not in body, where
        assert FILE_TOKEN not in body, where
        assert "CONNECTED" not in body, where
        assert not re.search(r"\broot:[^\s:]*:\d+:", body), where   # /etc/shadow
        leaked = [ln for ln in secret if len(ln) > 20 and ln in body]
        assert not leaked, (where, leaked[:3])
        shown = [ln for ln in hidden if ln in body]
        assert not shown, (where, shown[:3])
        for name in ("HOME", "PATH", "USER"):                  # the instructor's own values
            if os.environ.get(name) and len(os.environ[name]) > 6:
                assert repr(os.environ[name]) not in body, (where, name)
    assert listener[1] == []


@pytest.mark.slow
def test_patching_run_checks_ask_or_builtins_earns_nothing(hostile):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{hostile / 'gradebook.db'}") as gb:
        for student in HOSTILE:
            submission = gb.find_submission(NAME, student)
            assert submission.max_score > 0 and submission.score == 0, student
    for student in HOSTILE:
        nb, html = _read(hostile, student)
        patched = [c for c in code_cells(nb) if "PATCHED" in outputs_text({"cells": [c]})]
        assert patched, f"{student}: the patch did not run in the kernel"
        assert all(grade_cells({"cells": [c]}) == [] for c in patched)
        for cell in grade_cells(nb):
            kinds = [o["output_type"] for o in cell["outputs"]]
            assert kinds[-1:] == ["error"], (student, cell["source"], cell["outputs"])
            assert "PATCHED" not in json.dumps(cell["outputs"])
            assert "not started" in cell["outputs"][-1]["evalue"]


def _joined(text) -> str:
    return "".join(text) if isinstance(text, list) else text


def _stream_text(cell: dict) -> str:
    return "".join(_joined(o.get("text", "")) for o in cell["outputs"]
                   if o["output_type"] == "stream")


@pytest.mark.slow
def test_a_notebook_is_stopped_at_the_kernels_limits_and_the_run_goes_on(hostile):
    from nbgrader.api import Gradebook
    from grader.instructor.nbkernel.limits import cuda_build as _cuda_build
    from grader.instructor.nbkernel.settings import KERNEL_RLIMITS, KERNEL_SCRATCH_BYTES
    from grader.sandbox.limits import effective_rlimits
    nb, html = _read(hostile, "hog")
    lines = [ln for c in code_cells(nb) for ln in _stream_text(c).splitlines()]
    report = json.loads(next(ln for ln in lines if ln.startswith("LIMITS "))[len("LIMITS "):])
    # home, /tmp and /dev/shm: one tmpfs, filled once (1 GiB tried in each)
    written = [report[where][0] for where in ("home", "tmp", "shm")]
    assert [report[where][1] for where in ("home", "tmp", "shm")] == ["ENOSPC"] * 3, report
    assert KERNEL_SCRATCH_BYTES // 2 < sum(written) <= KERNEL_SCRATCH_BYTES, written
    assert report["big"] == "EFBIG" and report["big_size"] == KERNEL_RLIMITS["RLIMIT_FSIZE"]
    assert report["files"][1] == "ENOSPC" and 16000 < report["files"][0] < 16384
    rlimits = effective_rlimits(KERNEL_RLIMITS, cuda=_cuda_build(),
                                separate_uid=os.geteuid() == 0)
    memory = rlimits.get("RLIMIT_AS") or rlimits["RLIMIT_DATA"]
    assert report["alloc"] == "MemoryError"
    assert report["mapped_error"] == "ENOMEM" and report["mapped"] < memory
    assert report["userns"] == "EPERM"
    import resource
    assert report["rlimits"] == {n: rlimits.get(n, resource.RLIM_INFINITY)
                                 for n in report["rlimits"]}, report["rlimits"]
    assert any(n.startswith("fontlist") for n in report["font_cache"]), report["font_cache"]
    # a cell that reaches a limit gets its error and one line naming it; the next cells run
    hit = next(c for c in code_cells(nb) if _joined(c["source"]) == "bytearray(8 << 30)")
    assert [o["output_type"] for o in hit["outputs"]].count("error") == 1, hit["outputs"]
    assert "this cell reached a limit of the notebook's kernel: 6 GiB of memory a process" \
        in _stream_text(hit) or "RLIMIT_AS" not in rlimits
    assert "after the limits" in lines
    assert "after the limits" in html
    # the run went on: the students after hog were graded, and hog scored what it wrote
    with Gradebook(f"sqlite:///{hostile / 'gradebook.db'}") as gb:
        assert gb.find_submission(NAME, "hog").score == 0
    graded = {s: (hostile / "autograded" / s / NAME / f"{NAME}.ipynb").stat().st_mtime
              for s in ("hog", *HOSTILE)}
    assert [s for s in HOSTILE if graded[s] > graded["hog"]], graded


@pytest.mark.slow
def test_a_kernel_killed_by_a_limit_fails_its_notebook_with_one_line(
        tmp_path, monkeypatch, capfd):
    """TORCHDRILLS_KERNEL_LIMITS reaches the kernel; a cell that runs out of CPU time (its
    own limit, lowered to the time it used so far) kills the kernel: nbclient reports it dead,
    and the launcher says why on the terminal."""
    _sandbox_or_skip()
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError
    monkeypatch.setenv("TORCHDRILLS_KERNEL_LIMITS", "RLIMIT_NOFILE=200,scratch=64M")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import os, resource\nst = os.statvfs('/tmp')\n"
        "print('SET', resource.getrlimit(resource.RLIMIT_NOFILE)[0], st.f_blocks * st.f_frsize)",
        "import resource, time\nhard = resource.getrlimit(resource.RLIMIT_CPU)[1]\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (int(time.process_time()) + 1, hard))\n"
        "while True:\n    pass")]
    with pytest.raises(DeadKernelError):
        NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=60,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert "SET 200 67108864" in _stream_text(nb.cells[0]), nb.cells[0].outputs
    err = capfd.readouterr().err
    said = [ln for ln in err.splitlines() if "killed by" in ln]
    assert len(said) == 1 and said[0].startswith("torchdrills kernel: the kernel was killed by "
                                                 "SIGXCPU (it used up its CPU time"), err


@pytest.mark.slow
def test_the_kernel_and_the_processes_it_starts_share_one_memory_total(tmp_path, monkeypatch):
    """RLIMIT_AS caps each process alone: a cell that forks children, each under it, held
    several times the figure. The sandboxed kernel is in a memory cgroup of its own (the
    zygote's kind), whose total `memory=` sets: 3 children of 300 MiB do not all survive a
    total of 700 MiB, and the kernel goes on to the next cell."""
    _sandbox_or_skip()
    from grader.sandbox.memory import MemoryGroup
    probe = MemoryGroup.make()
    if probe is None:
        pytest.skip(f"this machine lets the grader make no memory cgroup "
                    f"({MemoryGroup.why_not})")
    probe.close()
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv("TORCHDRILLS_KERNEL_LIMITS", "memory=700M")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import os, time\npids = []\nfor _ in range(3):\n    pid = os.fork()\n"
        "    if pid == 0:\n        block = bytearray(300 << 20)\n"
        "        block[::4096] = b'x' * len(block[::4096])\n        time.sleep(1.5)\n"
        "        os._exit(0)\n    pids.append(pid)\n"
        "ok = sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids)\n"
        "print('SURVIVED', ok)",
        "print('NEXT CELL')")]
    NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    survived = int(_stream_text(nb.cells[0]).split("SURVIVED")[1].split()[0])
    assert survived < 3, nb.cells[0].outputs
    assert "NEXT CELL" in _stream_text(nb.cells[1])


@pytest.mark.slow
def test_a_notebook_that_waits_past_its_whole_time_is_stopped(tmp_path, monkeypatch, capfd):
    """Cells that each wait just under nbgrader's per-cell timeout use no CPU time: one
    notebook of them held a class's autograde for as many times 300 s as it had cells. Its
    whole run is bounded (`wall=`, 1800 s by default): the kernel is stopped, one line says
    why, the notebook fails and nbgrader goes on."""
    _sandbox_or_skip()
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError
    monkeypatch.setenv("TORCHDRILLS_KERNEL_LIMITS", "wall=12")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "print('first')", *["import time\ntime.sleep(8)"] * 4)]
    started = time.monotonic()
    with pytest.raises(DeadKernelError):
        NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=60,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert time.monotonic() - started < 30       # four cells of 8 s would take 32 s
    assert "first" in _stream_text(nb.cells[0])
    said = [ln for ln in capfd.readouterr().err.splitlines() if "in all" in ln]
    assert said == ["torchdrills kernel: the notebook ran past 12 s in all (waits included): "
                    "the kernel was stopped, this notebook fails, the next one gets a new "
                    "kernel"], said


@pytest.mark.slow
def test_a_notebook_that_prints_past_its_output_budget_is_stopped(tmp_path, monkeypatch,
                                                                  capfd):
    """What a kernel sends out goes through the launcher, which counts it: a cell printing
    past the budget (`output=`, 64 MiB by default) stops the kernel, so that nbgrader's
    process and the autograded notebook never hold gigabytes of it; one line says why."""
    _sandbox_or_skip()
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError
    monkeypatch.setenv("TORCHDRILLS_KERNEL_LIMITS", "output=1M")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "print('small')", "for _ in range(64):\n    print('x' * (1 << 16), flush=True)")]
    with pytest.raises(DeadKernelError):
        NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=60,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert "small" in _stream_text(nb.cells[0])
    assert len(_stream_text(nb.cells[1])) <= 2 << 20      # what got through: about the budget
    err = capfd.readouterr().err
    said = [ln for ln in err.splitlines() if "output passed" in ln]
    assert said == ["torchdrills kernel: the notebook's output passed 1 MiB (what its cells "
                    "print and plot): the kernel was stopped, this notebook fails, the next one "
                    "gets a new kernel"], err


def test_the_kernels_limits_their_setting_and_what_they_say(tmp_path):
    from grader.instructor.nbkernel import kernel_spec
    from grader.instructor.nbkernel.limits import death_note, kernel_limits, limit_notes
    from grader.instructor.nbkernel.settings import (KERNEL_RLIMITS, KERNEL_SCRATCH_BYTES,
                                                    LIMITS_VARIABLE)
    from grader.sandbox.kernel_boot import which_limit
    assert kernel_limits({}) == {"rlimits": KERNEL_RLIMITS, "scratch_bytes": KERNEL_SCRATCH_BYTES,
                                 "memory_bytes": (6 + 2) << 30,   # a process's figure + 2 GiB
                                 "output_bytes": 64 << 20, "wall_seconds": 1800}
    assert kernel_limits({LIMITS_VARIABLE: "output=1M"})["output_bytes"] == 1 << 20
    assert kernel_limits({LIMITS_VARIABLE: "wall=600"})["wall_seconds"] == 600
    assert kernel_limits({LIMITS_VARIABLE: "wall=none"})["wall_seconds"] is None
    got = kernel_limits({LIMITS_VARIABLE: " RLIMIT_AS=8G, rlimit_cpu=none,scratch=512MiB,"})
    assert got["rlimits"] == dict(KERNEL_RLIMITS, RLIMIT_AS=8 << 30, RLIMIT_CPU=None)
    assert got["scratch_bytes"] == 512 << 20 and got["memory_bytes"] == 10 << 30
    assert kernel_limits({LIMITS_VARIABLE: "memory=3G"})["memory_bytes"] == 3 << 30
    assert kernel_limits({LIMITS_VARIABLE: "memory=none"})["memory_bytes"] is None
    for bad in ("RLIMIT_AS", "RLIMIT_NOPE=1", "scratch=lots", "home=1G", "memory=lots"):
        with pytest.raises(ValueError, match=LIMITS_VARIABLE):
            kernel_limits({LIMITS_VARIABLE: bad})
    notes = limit_notes(KERNEL_RLIMITS, KERNEL_SCRATCH_BYTES)
    assert notes["memory"] == "6 GiB of memory a process"
    assert notes["disk"].startswith("256 MiB and 16384 files for its home folder, /tmp")
    assert notes["cpu"] == "7200 s of CPU time for the whole notebook"
    assert death_note(0, True, notes) == death_note(3, True, notes) == ""
    assert "killed by SIGXCPU (it used up its CPU time (7200 s" in death_note(152, True, notes)
    assert "killed by SIGKILL" in death_note(-9, False, notes)
    total = limit_notes(KERNEL_RLIMITS, None, 8 << 30)["memory total"]
    assert total == "8 GiB of memory for the kernel and every process it starts"
    assert total in death_note(-9, False, limit_notes(KERNEL_RLIMITS, None, 8 << 30))
    assert "6 GiB of memory" in death_note(128 + 6, True, notes)   # SIGABRT: every limit
    assert which_limit(MemoryError()) == "memory"
    assert which_limit(OSError(28, "No space left on device")) == "disk"
    assert which_limit(OSError(27, "File too large")) == "file"
    assert which_limit(RuntimeError("DefaultCPUAllocator: can't allocate memory")) == "memory"
    assert which_limit(OSError(2, "No such file")) == which_limit(None) == ""
    # a bad setting: the kernel does not start, one line says why
    connection = tmp_path / "kernel.json"
    connection.write_text(json.dumps({"shell_port": 1, "iopub_port": 2, "stdin_port": 3,
                                      "control_port": 4, "hb_port": 5, "ip": "127.0.0.1",
                                      "key": "k", "transport": "tcp"}))
    env = dict(os.environ, **{LIMITS_VARIABLE: "RLIMIT_AS=lots"})
    done = subprocess.run(kernel_spec()["argv"][:-1] + [str(connection)], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"torchdrills kernel: not started: {LIMITS_VARIABLE}: RLIMIT_AS='lots' is not a "
        f"number (e.g. 7200, 512M, 8G, or none)"], done.stderr


@pytest.mark.slow
def test_a_check_cell_in_the_sandboxed_kernel_is_graded_by_the_trusted_process(
        tmp_path, monkeypatch):
    """Outside autograde (a notebook run by hand or by nbclient), run_checks inside the
    sandbox still gets the grader's verdict, and a hidden check shows no message."""
    _sandbox_or_skip()
    import nbformat
    from nbclient import NotebookClient
    reference = (ROOT / "solutions" / f"{NAME}.py").read_text()
    check = "# grader: checks for ex01.{0}\nfrom grader.notebook import run_checks\n" \
            "run_checks('ex01', '{0}', In)\nrun_checks('ex01', '{0}', In, hidden=True)\n"
    wrong = "def loss(x, y, w):\n    return forward(x, w) - y\n"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (
        reference, check.format("forward"), wrong, check.format("loss"))]
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    passed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "ex01.forward: all" in passed and "visible checks pass" in passed, nb.cells[1].outputs
    assert "hidden checks pass" in passed
    failed = nb.cells[3].outputs
    assert [o.output_type for o in failed] == ["error"], failed
    assert failed[0].ename == "ChecksFailed" and "not its square" in failed[0].evalue


def test_install_writes_the_kernelspec_and_is_idempotent(tmp_path, capsys):
    pytest.importorskip("jupyter_client")
    from jupyter_client.kernelspec import KernelSpecManager
    from grader.cli import main
    from grader.instructor.nbkernel import KERNEL_NAME
    kernels = tmp_path / "share" / "jupyter" / "kernels"
    assert main(["nbgrader-kernel", "install", "--prefix", str(tmp_path)]) == 0
    first = (kernels / KERNEL_NAME / "kernel.json").read_text()
    assert main(["nbgrader-kernel", "install", "--prefix", str(tmp_path)]) == 0
    assert (kernels / KERNEL_NAME / "kernel.json").read_text() == first
    assert sorted(p.name for p in kernels.iterdir()) == [KERNEL_NAME]
    assert f"installed the kernel {KERNEL_NAME!r}" in capsys.readouterr().out
    spec = KernelSpecManager(kernel_dirs=[str(kernels)]).get_kernel_spec(KERNEL_NAME)
    assert spec.language == "python" and spec.interrupt_mode == "message"
    assert spec.argv[0] == sys.executable and spec.argv[-1] == "{connection_file}"
    assert "grader.instructor.nbkernel" in spec.argv[2] and spec.env == {}


def test_without_bubblewrap_the_kernel_refuses_with_one_line(tmp_path):
    connection = tmp_path / "kernel.json"
    connection.write_text(json.dumps({"shell_port": 1, "iopub_port": 2, "stdin_port": 3,
                                      "control_port": 4, "hb_port": 5, "ip": "127.0.0.1",
                                      "key": "k", "transport": "tcp"}))
    from grader.instructor.nbkernel import kernel_spec
    argv = kernel_spec()["argv"][:-1] + [str(connection)]
    env = {k: v for k, v in os.environ.items() if k != "TORCHDRILLS_KERNEL_UNSANDBOXED"}
    env["PATH"] = str(tmp_path)   # no bwrap on it
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not started" in lines[0], done.stderr
    assert "TORCHDRILLS_KERNEL_UNSANDBOXED=1" in lines[0]


# ----------------------------------------------------------------------------------------------
# GradeCheckCells' outputs, on made-up results

def _result(*checks):
    from grader.engine.result import CheckResult, GradeResult
    return GradeResult(submission="s", seed=12345, exercises=["ex01"], checks=[
        CheckResult(nodeid=f"n{i}", exercise="ex01", target=t, title=title, params="cpu",
                    points=1.0, visible=visible, status=status, message=message, seconds=0.0)
        for i, (t, title, visible, status, message) in enumerate(checks)])


def test_check_cell_outputs_come_from_the_result_and_hide_hidden_messages():
    pytest.importorskip("nbgrader")
    from grader.instructor.autograde import cell_outputs, check_calls
    source = ("# grader: checks for ex01.forward (3 points)\n"
              "from grader.notebook import run_checks\nrun_checks('ex01', 'forward', In)\n"
              "### BEGIN HIDDEN TESTS\nrun_checks('ex01', 'forward', In, hidden=True)\n"
              "### END HIDDEN TESTS\n")
    calls = check_calls(source)
    assert calls == [("ex01", "forward", False), ("ex01", "forward", True)]
    good = _result(("forward", "on the course data", True, "passed", ""),
                   ("forward", "on random inputs", False, "passed", ""))
    out = cell_outputs(good, calls)
    assert [o.output_type for o in out] == ["stream"]
    assert "the visible check passes" in out[0].text and "the hidden check passes" in out[0].text
    hidden_wrong = _result(("forward", "on the course data", True, "passed", ""),
                           ("forward", "on random inputs", False, "failed",
                            "expected: 41.8125 got: 20.9 (seed 12345)"))
    out = cell_outputs(hidden_wrong, calls)
    assert [o.output_type for o in out] == ["stream", "error"]
    assert "on random inputs: not passed" in out[1].evalue
    for secret in ("41.8125", "20.9", "12345", "expected"):
        assert secret not in json.dumps(out)
    nothing_ran = _result(("loss", "other", True, "passed", ""))
    assert [o.output_type for o in cell_outputs(nothing_ran, calls)] == ["error"]
    assert check_calls("print('run_checks')") == [] and check_calls("def (") == []


def test_what_the_kernel_writes_outside_the_notebook_reaches_the_terminal_escaped(capsys):
    import io
    from grader.instructor.nbkernel.sandbox import LOG_LINES, forward_log
    forward_log(io.BytesIO(b"".join(b"\x1b]0;owned\x07line %d\n" % i for i in range(500))))
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "\\x1b]0;owned" in err
    assert len(err.splitlines()) == LOG_LINES and "not shown" in err.splitlines()[-1]


@pytest.mark.slow
def test_opted_in_without_bubblewrap_the_kernel_runs_with_its_own_environment(
        tmp_path, monkeypatch):
    pytest.importorskip("nbclient")
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))   # no bwrap on it
    monkeypatch.setenv("TORCHDRILLS_KERNEL_UNSANDBOXED", "1")
    monkeypatch.setenv("TORCHDRILLS_PLANTED", ENV_TOKEN)
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint('ran', dict(os.environ))")]
    NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "ran" in text and ENV_TOKEN not in text and "GRADER_CHECKS_SOCKET" in text


def test_the_launchers_check_channel_reads_one_line_each_way(tmp_path):
    """A check cell's request and the launcher's answer are one JSON line each way, read by the
    one line reader the kernel's grading process is read with (grader.notebook.read_line): a
    request sent in pieces is answered; one past MAX_CHECK_REQUEST, one of two lines, and one
    that is no JSON are refused; an answer cut off is an error. (defer: nothing is graded.)"""
    from grader import notebook as nb
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = str(tmp_path / "checks.sock")
    listener.bind(path)
    listener.listen(4)
    server = threading.Thread(target=nb.serve_checks, args=(listener, True), daemon=True)
    server.start()

    def ask(*pieces: bytes) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            for piece in pieces:
                sock.sendall(piece)
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 16)
                assert chunk, data
                data += chunk
        return json.loads(data)

    request = json.dumps({"ex": EX, "target": "forward", "hidden": False, "device": "all",
                          "cells": ["x = 1\n" * 1000]}).encode()
    answer = ask(request[:7], request[7:5000], request[5000:] + b"\n")
    assert answer["passed"] is False and answer["text"].startswith("ex01.forward: the visible")
    assert "after the notebook has run" in answer["text"]
    assert nb._ask_launcher(path, json.loads(request)) == answer   # the kernel's client
    for refused in (ask(request + b"\n" + request + b"\n"), ask(b"{not json\n"),
                    ask(b" " * (nb.MAX_CHECK_REQUEST + 10) + request + b"\n")):
        assert refused["passed"] is False and "not a check request" in refused["text"]
    listener.close()

    a, b = socket.socketpair()
    b.sendall(b'{"passed": true, "te')
    b.close()
    assert nb.read_line(lambda: a.recv(1 << 16)) == (None, b'{"passed": true, "te')
    a.close()
    assert nb.read_line(iter([b"x" * 10, b"y\nz"]).__next__, b"w") == (b"w" + b"x" * 10 + b"y",
                                                                      b"z")
    assert nb.read_line(iter([b"x" * 10, b"x"]).__next__, limit=5) == (None, b"x" * 10)


def _children() -> dict[int, int]:
    """pid -> parent pid, of every process now."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return parents


def _descendants(pid: int) -> set[int]:
    parents, found, todo = _children(), set(), [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.slow
@pytest.mark.parametrize("killed, sandboxed", [("client", True), ("launcher", False)])
def test_a_kernel_does_not_outlive_what_started_it(killed, sandboxed, tmp_path):
    """A notebook spinning in a cell whose client is killed (nbgrader stopped with SIGKILL, a
    notebook server crashed) or whose launcher is killed: the launcher stops its kernel, and a
    kernel dies with its launcher, instead of spinning on for the kernel's CPU limit (hours)."""
    if sandboxed:
        _sandbox_or_skip()
    pytest.importorskip("nbclient")
    client = tmp_path / "client.py"
    client.write_text(
        "import nbformat\nfrom nbclient import NotebookClient\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nb.cells = [nbformat.v4.new_code_cell('while True:\\n    pass')]\n"
        f"NotebookClient(nb, kernel_name='torchdrills-sandbox', timeout=600, resources="
        f"{{'metadata': {{'path': {str(tmp_path)!r}}}}}).execute()\n")
    env = dict(os.environ, JUPYTER_PATH=str(kernel_prefix() / "share" / "jupyter"))
    if not sandboxed:
        env.update(PATH=str(Path(sys.executable).parent), TORCHDRILLS_KERNEL_UNSANDBOXED="1")
    proc = subprocess.Popen([sys.executable, str(client)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    launcher, kernel = None, None
    try:
        for _ in range(240):
            below = _descendants(proc.pid)
            launcher = next((p for p in below if "grader.instructor.nbkernel" in _cmdline(p)),
                            None)
            kernel = next((p for p in below if "grader.sandbox.kernel_boot" in _cmdline(p)),
                          None)
            if launcher and kernel:
                break
            time.sleep(0.25)
        assert launcher and kernel, "the kernel did not start"
        time.sleep(2)                                 # spinning in its cell by now
        watched = {launcher, kernel} | _descendants(launcher)
        os.kill(proc.pid if killed == "client" else launcher, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and watched & set(_children()):
            time.sleep(0.25)
        left = {p: _cmdline(p)[:80] for p in watched & set(_children()) if _cmdline(p)}
        assert not left, left
    finally:
        proc.kill()
        proc.wait()
        for p in (launcher, kernel):
            if p:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass


@pytest.mark.slow
def test_a_cell_too_deep_to_compile_is_a_syntax_error_and_the_next_cell_runs(tmp_path,
                                                                             monkeypatch):
    """IPython sends no reply for a cell whose parse runs out of depth, so nbgrader waited
    300 s for each such cell (a fresh round's B4: 3 cells, 947 s for one notebook); in the
    sandboxed kernel it is a SyntaxError, shown at once, and the notebook goes on."""
    _sandbox_or_skip()
    pytest.importorskip("nbclient")
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_prefix() / "share" / "jupyter"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = " + "1+" * 100_000 + "1"),
                nbformat.v4.new_code_cell("print('NEXT CELL')")]
    NotebookClient(nb, kernel_name="torchdrills-sandbox", timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert [o.get("ename") for o in nb.cells[0].outputs] == ["SyntaxError"], nb.cells[0].outputs
    assert "NEXT CELL" in _stream_text(nb.cells[1])
