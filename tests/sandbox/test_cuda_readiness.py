"""What the CUDA code paths rely on, checked on a machine without a GPU (see docs/cuda.md).

- Unit tests of the device logic: device kinds ("cuda" and "cuda:0" alike), where decoded
  tensors go, the bubblewrap command with GPU devices, the rlimits and timeouts of a worker
  that uses CUDA, random inputs drawn on the CPU whatever the device, nothing that initialises
  CUDA before a fork.
- End to end, with PyTorch's "lazy" device standing in for CUDA (tests/lazy_device): the
  references pass every check parametrised with device="cuda", and a submission that leaves a
  result on the CPU fails it, saying so. GRADER_CUDA_EMULATION=full also grades every exercise
  and runs every mutant that "only a CUDA machine can show" (about 10 minutes).
- On a machine with CUDA, the tests at the end run for real (the sandbox shows the GPU to the
  workers; the zygote has not initialised CUDA).
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from grader.sandbox import device
from grader.checks import api
from grader.engine.compare import CheckFailure
from grader.engine.compare.close import assert_close
from grader.sandbox import (CUDA_NPROC, DEFAULT_LIMITS, SHARED_UID_NPROC, bwrap_command,
                            effective_rlimits, protocol)
from grader.sandbox.submission import _first_cuda_call
from grader.sandbox.limits import pids_max

ROOT = Path(__file__).resolve().parents[2]
LAZY = ROOT / "tests" / "lazy_device"
HAS_CUDA = torch.cuda.is_available()


def _has_lazy() -> bool:
    try:
        import torch._lazy.ts_backend  # noqa: F401
    except Exception:  # noqa: BLE001 - a build without the lazy TorchScript backend
        return False
    return True


needs_lazy = pytest.mark.skipif(not _has_lazy(), reason="this torch has no lazy device")
GPU_NODES = ["/dev/nvidiactl", "/dev/nvidia0", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
             "/dev/nvidia-caps"]


def remote(t: torch.Tensor, device_name: str) -> torch.Tensor:
    """`t` as the trusted side decodes it when a worker reports it on `device_name`."""
    header, payload = protocol.split(protocol.encode(t))
    head = json.loads(header)
    head["tree"]["device"] = device_name
    return protocol.decode(json.dumps(head).encode(), payload)


# ----------------------------------------------------------------------------------------------
# device kinds and the protocol

@pytest.mark.parametrize("x", ["cuda", "cuda:0", "cuda:1", torch.device("cuda"),
                               torch.device("cuda", 0)])
def test_cuda_and_cuda0_are_one_kind(x):
    assert device.device_type(x) == "cuda"


def test_device_type_of_a_decoded_tensor_is_what_the_worker_said():
    assert device.device_type(remote(torch.ones(2), "cuda:0")) == "cuda"
    assert device.device_type(remote(torch.ones(2), "cpu")) == "cpu"
    assert device.device_type(torch.ones(2)) == "cpu"


def test_assert_close_accepts_cuda_for_cuda0_and_names_a_result_left_on_the_cpu():
    want = remote(torch.tensor([1.0, 2.0]), "cuda")
    assert_close(remote(torch.tensor([1.0, 2.0]), "cuda:0"), want, call="f(x)")
    with pytest.raises(CheckFailure) as err:
        assert_close(remote(torch.tensor([1.0, 2.0]), "cpu"), want, call="f(x)")
    text = str(err.value)
    assert "left on the CPU" in text and "device=x.device" in text
    with pytest.raises(CheckFailure, match="on the device of the inputs"):
        assert_close(remote(torch.tensor([1.0, 2.0]), "cuda:0"),
                     remote(torch.tensor([1.0, 2.0]), "cpu"), call="f(x)")


def test_a_garbled_device_name_fails_the_check_instead_of_crashing_it():
    with pytest.raises(CheckFailure, match="expected it on cuda"):
        assert_close(remote(torch.tensor([1.0]), "no such device"),
                     remote(torch.tensor([1.0]), "cuda"), call="f(x)")


def test_decoded_tensors_stay_on_the_cpu_without_that_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert protocol._device_here("cuda") == torch.device("cuda", 0)
    assert protocol._device_here("cuda:0") == torch.device("cuda", 0)
    assert protocol._device_here("cuda:1") is None          # not on this machine
    for name in ("cpu", "meta", "cuda:x", "cuda:0:0", "cudafoo", "mps"):
        assert protocol._device_here(name) is None, name
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert protocol._device_here("cuda:0") is None


def test_a_broken_driver_keeps_decoded_values_on_the_cpu(monkeypatch):
    def broken():
        raise RuntimeError("CUDA driver initialization failed")
    monkeypatch.setattr(torch.cuda, "is_available", broken)
    t = remote(torch.tensor([3.0]), "cuda:0")
    assert t.device.type == "cpu" and protocol.meta(t).device == "cuda:0"
    assert t.item() == 3.0


# ----------------------------------------------------------------------------------------------
# the sandbox: bubblewrap, rlimits, timeouts

def _triples(cmd):
    return [tuple(cmd[i:i + 3]) for i in range(len(cmd) - 2)]


def test_bwrap_binds_every_gpu_device_into_the_minimal_dev(tmp_path):
    cmd = bwrap_command(str(tmp_path), as_root=False, gpu_devices=GPU_NODES)
    triples = _triples(cmd)
    dev_at = cmd.index("--dev")
    assert cmd[dev_at + 1] == "/dev"
    for node in GPU_NODES:
        assert ("--dev-bind-try", node, node) in triples
        assert triples.index(("--dev-bind-try", node, node)) > dev_at  # not hidden by --dev
    assert ("--ro-bind-try", "/sys", "/sys") in triples
    assert cmd.index("--remount-ro") > max(i for i, a in enumerate(cmd) if a == "--dev-bind-try")


def test_bwrap_without_gpu_binds_no_device_and_no_sys(tmp_path):
    cmd = bwrap_command(str(tmp_path), as_root=False, gpu_devices=[])
    assert "--dev-bind-try" not in cmd and "--dev-bind" not in cmd
    assert ("--ro-bind-try", "/sys", "/sys") not in _triples(cmd)


@pytest.mark.skipif(not os.path.exists("/dev/fuse") or not shutil.which("bwrap"),
                    reason="needs bubblewrap and a 0666 device to stand in for /dev/nvidia0")
def test_bwrap_really_shows_the_bound_devices_in_its_dev(tmp_path):
    """/dev/fuse (crw-rw-rw-, like /dev/nvidia0) stands in for a GPU; a missing device file
    (no /dev/nvidia-uvm yet) is skipped, not an error."""
    from grader.sandbox.view import bwrap_problem
    if bwrap_problem(str(tmp_path), os.geteuid() == 0):
        pytest.skip("bubblewrap cannot create a sandbox here")
    cmd = bwrap_command(str(tmp_path), as_root=os.geteuid() == 0,
                        gpu_devices=["/dev/fuse", "/dev/nvidia-not-here"])
    script = ("test -c /dev/fuse && test -r /dev/fuse && test -w /dev/fuse && "
              "! test -e /dev/nvidia-not-here && test -d /sys/devices && test -c /dev/null "
              "&& echo visible")
    done = subprocess.run(cmd + ["sh", "-c", script], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.stdout.strip() == "visible", done.stderr[-1000:]
    plain = subprocess.run(bwrap_command(str(tmp_path), as_root=os.geteuid() == 0,
                                         gpu_devices=[]) + ["sh", "-c", "test -e /dev/fuse"],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert plain.returncode != 0  # --dev /dev alone shows no such device


def test_gpu_device_nodes_lists_what_matches(tmp_path):
    for name in ("nvidia0", "nvidiactl", "other"):
        (tmp_path / name).write_text("")
    assert device.gpu_device_nodes(str(tmp_path / "nvidia*")) == \
        [str(tmp_path / "nvidia0"), str(tmp_path / "nvidiactl")]


def test_cuda_rlimits_data_instead_of_address_space_and_room_for_threads():
    gpu = effective_rlimits(DEFAULT_LIMITS, cuda=True, separate_uid=True)
    assert "RLIMIT_AS" not in gpu and gpu["RLIMIT_DATA"] == DEFAULT_LIMITS["RLIMIT_AS"]
    assert gpu["RLIMIT_NPROC"] == max(DEFAULT_LIMITS["RLIMIT_NPROC"], CUDA_NPROC)
    cpu = effective_rlimits(DEFAULT_LIMITS, cuda=False, separate_uid=True)
    assert cpu["RLIMIT_NPROC"] == DEFAULT_LIMITS["RLIMIT_NPROC"] and "RLIMIT_DATA" not in cpu
    shared = effective_rlimits(DEFAULT_LIMITS, cuda=True, separate_uid=False)
    assert shared["RLIMIT_NPROC"] == SHARED_UID_NPROC
    assert pids_max(DEFAULT_LIMITS, True) == max(DEFAULT_LIMITS["RLIMIT_NPROC"], CUDA_NPROC)
    assert pids_max(DEFAULT_LIMITS, False) == DEFAULT_LIMITS["RLIMIT_NPROC"]


def test_cuda_limits_follow_the_build_without_asking_the_driver(monkeypatch):
    from grader.sandbox import submission

    def asked():
        raise AssertionError("torch.cuda was asked: that initialises CUDA before a fork")
    monkeypatch.setattr(torch.cuda, "is_available", asked)
    monkeypatch.setattr(torch.cuda, "device_count", asked)
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    assert submission._cuda() and device.cuda_build()
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.version, "hip", None)
    assert not submission._cuda()


@pytest.mark.parametrize("args,uses", [
    (((torch.ones(1),), {}), False),
    (((), {"device": "cpu"}), False),
    (((), {"device": "cuda"}), True),
    ((("LinearRegression", (1, 1), {"w": torch.ones(1)}), {"device": "cuda:1"}), True),
    (((torch.device("cuda"),), {}), True),
    (((remote(torch.ones(2), "cuda:0"),), {}), True),
    ((([{"x": remote(torch.ones(2), "cuda")}],), {}), True),
    ((("cudafoo", "a cuda tensor"), {}), False),
])
def test_mentions_cuda(args, uses):
    assert device.mentions_cuda(args) is uses


def test_first_cuda_call_of_a_worker_gets_time_for_the_cuda_context(monkeypatch):
    from grader.sandbox import submission

    class Proc:
        alive, cuda_ready = True, False
    request = {"args": (), "kwargs": {"device": "cuda"}}
    monkeypatch.setattr(submission, "_cuda", lambda: False)   # a CPU build: no context to make
    assert not _first_cuda_call(None, request)
    monkeypatch.setattr(submission, "_cuda", lambda: True)    # a CUDA build
    assert _first_cuda_call(None, request)              # no worker yet: a fresh one
    proc = Proc()
    assert _first_cuda_call(proc, request)
    proc.cuda_ready = True
    assert not _first_cuda_call(proc, request)          # the context exists
    proc.alive = False
    assert _first_cuda_call(proc, request)              # its replacement starts over
    assert not _first_cuda_call(None, {"args": (1.0,), "kwargs": {}})


CUDA_ERROR = '''
import os


def forward(x, w):
    if w == 0:
        raise RuntimeError("CUDA error: device-side assert triggered")
    if w < 0:
        raise ValueError("an ordinary mistake")
    return os.getpid()
'''


def test_a_cuda_error_gets_the_submission_a_fresh_worker(zygote, tmp_path):
    """After "device-side assert triggered" a process's CUDA context is unusable: the next call
    must not inherit it (raised here on the CPU, as the message CUDA gives)."""
    from grader.sandbox import StudentError, Submission
    (tmp_path / "ex01_linear_model.py").write_text(CUDA_ERROR)
    with Submission(tmp_path, zygote) as sub:
        first = sub.call("ex01.forward", 1.0, 1.0)
        with pytest.raises(StudentError) as err:
            sub.call("ex01.forward", 1.0, -1.0)
        assert "CUDA reports errors late" not in str(err.value)
        assert sub.call("ex01.forward", 1.0, 1.0) == first        # an ordinary error: same
        with pytest.raises(StudentError) as err:
            sub.call("ex01.forward", 1.0, 0.0)
        assert err.value.kind == "exception" and "device-side assert" in str(err.value)
        assert "CUDA reports errors late" in str(err.value)
        assert sub.call("ex01.forward", 1.0, 1.0) != first        # a fresh worker


def test_exact_float32_drops_the_tf32_override(monkeypatch):
    monkeypatch.setenv(device.TF32_OVERRIDE, "1")
    old = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("high")
        device.exact_float32()
        assert device.TF32_OVERRIDE not in os.environ
        assert torch.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(old)


# ----------------------------------------------------------------------------------------------
# inputs identical on every device; nothing initialises CUDA before a fork

def test_random_inputs_are_drawn_on_the_cpu_whatever_the_device(monkeypatch):
    seen = []
    for name in ("randn", "rand"):
        real = getattr(torch, name)

        def spy(*args, real=real, **kwargs):
            seen.append(kwargs)
            return real(*args, **kwargs)
        monkeypatch.setattr(torch, name, spy)
    a = api.randn(api.gen(3, "k"), 4, dtype=torch.float32, device="meta")
    b = api.uniform(api.gen(3, "k"), 4, device="meta")
    assert a.device.type == b.device.type == "meta" and a.dtype == torch.float32
    assert len(seen) == 2 and all("device" not in kw for kw in seen)
    assert torch.equal(api.randn(api.gen(3, "k"), 4, dtype=torch.float32),
                       api.randn(api.gen(3, "k"), 4, dtype=torch.float32, device="cpu"))


def _python_files():
    for folder in ("grader", "solutions"):
        yield from (ROOT / folder).rglob("*.py")


def test_no_call_draws_from_a_generator_straight_onto_a_device():
    """torch.randn(..., generator=g, device="cuda") fails with a CPU generator (and a CUDA
    generator would draw other numbers than the CPU case): draw on the CPU, then .to(device)."""
    bad = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                names = {k.arg for k in node.keywords}
                if "generator" in names and "device" in names:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad


def test_the_zygote_preload_asks_cuda_nothing():
    script = textwrap.dedent("""
        import json
        import torch.cuda as c
        calls = []
        def spy(name):
            real = getattr(c, name)
            def f(*a, **k):
                calls.append(name)
                return real(*a, **k)
            setattr(c, name, f)
        for name in ("is_available", "device_count", "init", "_lazy_init", "current_device",
                     "get_device_properties", "get_device_capability", "set_device",
                     "manual_seed", "manual_seed_all", "synchronize", "mem_get_info",
                     "is_bf16_supported", "get_arch_list", "get_device_name"):
            if hasattr(c, name):
                spy(name)
        import grader.sandbox.inside.zygote
        grader.sandbox.inside.zygote.preload(True)
        print(json.dumps({"calls": calls, "initialized": c.is_initialized()}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"calls": [], "initialized": False}


def test_the_zygote_reports_cuda_not_initialised(zygote, monkeypatch):
    zygote.wait_ready()
    assert zygote.facts.get("cuda_initialized") is False
    assert zygote.gpu_warnings() == []
    broken = dict(zygote.facts, cuda_initialized=True,
                  self_test=dict(zygote.facts["self_test"], gpu_unreachable=["/dev/nvidia-uvm"]))
    monkeypatch.setattr(zygote, "facts", broken)
    initialised, unreachable = zygote.gpu_warnings()
    assert "initialised CUDA before forking" in initialised
    assert "/dev/nvidia-uvm" in unreachable and "cuda" in unreachable


def test_the_self_test_names_gpu_devices_a_worker_cannot_open(tmp_path):
    from grader.sandbox.inside.zygote import self_test
    usable = tmp_path / "nvidia0"
    usable.write_text("")
    usable.chmod(0o666)
    facts = self_test({"gpu_devices": [str(usable), str(tmp_path / "nvidia-uvm")]}, None)
    assert facts["gpu_unreachable"] == [str(tmp_path / "nvidia-uvm")]


# ----------------------------------------------------------------------------------------------
# end to end, the lazy device standing in for CUDA

EMULATED = textwrap.dedent("""
    import json, sys, tempfile
    from pathlib import Path
    from grader.engine.runner import grade_submission
    from grader.sandbox import Zygote
    root, plan = Path(sys.argv[1]), json.loads(sys.argv[2])
    out = []
    zygote = Zygote()
    try:
        for item in plan:
            folder = root / "solutions"
            if item.get("code"):
                folder = Path(tempfile.mkdtemp())
                source = (root / "solutions" / item["file"]).read_text()
                (folder / item["file"]).write_text(source + "\\n\\n" + item["code"])
            r = grade_submission(folder, zygote, exercises=[item["ex"]], seed=11,
                                 targets=item.get("targets"), keyword=item.get("keyword"))
            out.append([[c.target, c.params, c.status, c.message[:600]] for c in r.checks])
    finally:
        zygote.close()
    print("RESULT " + json.dumps(out))
""")


def emulate(plan, timeout=600):
    """Grade with the lazy device as "cuda" in a fresh process (see tests/lazy_device)."""
    env = dict(os.environ, GRADER_LAZY_AS_CUDA="1", PYTEST_PLUGINS="lazy_device_plugin",
               GRADER_SANDBOX=os.environ.get("GRADER_SANDBOX", "basic"),
               GRADER_PASS_ENV="GRADER_LAZY_AS_CUDA",
               PYTHONPATH=os.pathsep.join([str(LAZY), str(ROOT)]))
    env.pop("GRADER_LAZY_PRETEND_CUDA", None)
    done = subprocess.run([sys.executable, "-c", EMULATED, str(ROOT), json.dumps(plan)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout + done.stderr)[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def _cuda_checks(checks):
    return [c for c in checks if "cuda" in c[1].split("-")]


LEFT_ON_CPU = {"file": "ex01_linear_model.py", "ex": "ex01", "targets": ["forward"], "code":
               "def forward(x, w):\n    return (x * w).cpu() if hasattr(x, 'cpu') else x * w\n"}
GRAD_ON_CPU = {"file": "ex10_softmax_classifier.py", "ex": "ex10",
               "targets": ["cross_entropy_grad"], "code": textwrap.dedent("""
    def cross_entropy_grad(logits, targets):
        one_hot = torch.zeros(logits.shape, dtype=logits.dtype)
        one_hot[torch.arange(len(targets)), targets.cpu()] = 1.0
        return (softmax(logits.cpu(), 1) - one_hot) / logits.shape[0]
    """)}


@needs_lazy
@pytest.mark.skipif(HAS_CUDA, reason="a real GPU is here: tests/checks/test_mutants.py uses it")
def test_emulated_cuda_references_pass_and_a_result_left_on_the_cpu_fails():
    plan = [{"ex": "ex01"}, {"ex": "ex03"}, {"ex": "ex10", "targets": ["cross_entropy_grad"]},
            LEFT_ON_CPU, GRAD_ON_CPU]
    ex01, ex03, ex10, left, grad = emulate(plan)
    for checks in (ex01, ex03, ex10):
        cuda = _cuda_checks(checks)
        assert cuda, "no check ran with device=cuda"
        assert all(c[2] == "passed" for c in checks), [c for c in checks if c[2] != "passed"]
    for checks in (left, grad):
        failed = [c for c in _cuda_checks(checks) if c[2] == "failed"]
        assert failed, checks
        assert all("left on the CPU" in c[3] for c in failed), failed
        assert all(c[2] == "passed" for c in checks if "cpu" in c[1].split("-")), checks


BROKEN = textwrap.dedent("""
    import json, sys, tempfile, torch
    from pathlib import Path
    from grader.sandbox import StudentError, Submission, Zygote
    folder = Path(tempfile.mkdtemp())
    (folder / "ex01_linear_model.py").write_text("def forward(x, w):\\n    return x * w\\n")
    zygote = Zygote()
    out = {}
    try:
        with Submission(folder, zygote) as sub:
            try:
                sub.call("ex01.forward", torch.ones(2).to("lazy"), 2.0)
            except StudentError as exc:
                out["kind"], out["message"] = exc.kind, str(exc)
            out["after"] = sub.call("ex01.forward", 3.0, 2.0)
    finally:
        zygote.close()
    print("RESULT " + json.dumps(out))
""")


@needs_lazy
def test_inputs_that_cannot_reach_the_gpu_are_the_machines_fault_not_the_students():
    env = dict(os.environ, GRADER_LAZY_AS_CUDA="1", GRADER_LAZY_BROKEN="1",
               GRADER_PASS_ENV="GRADER_LAZY_AS_CUDA,GRADER_LAZY_BROKEN",
               GRADER_SANDBOX="basic", PYTHONPATH=os.pathsep.join([str(LAZY), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", BROKEN], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (done.stdout + done.stderr)[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["kind"] == "exception"
    assert "could not put the inputs on their device" in out["message"]
    assert "not of this code" in out["message"] and "no CUDA-capable device" in out["message"]
    assert out["after"] == 6.0  # the worker goes on serving


@needs_lazy
@pytest.mark.skipif(os.environ.get("GRADER_CUDA_EMULATION") != "full",
                    reason="about 10 minutes: set GRADER_CUDA_EMULATION=full")
def test_emulated_cuda_every_exercise_and_every_cuda_only_mutant():
    from grader.exercises import EXERCISES
    results = emulate([{"ex": ex} for ex in EXERCISES], timeout=3000)
    bad = [(ex, c) for ex, checks in zip(EXERCISES, results) for c in checks
           if c[2] != "passed"]
    assert not bad, bad
    env = dict(os.environ, GRADER_LAZY_AS_CUDA="1", GRADER_LAZY_PRETEND_CUDA="1",
               GRADER_PASS_ENV="GRADER_LAZY_AS_CUDA,GRADER_LAZY_PRETEND_CUDA",
               PYTEST_PLUGINS="lazy_device_plugin", GRADER_SANDBOX="basic",
               PYTHONPATH=os.pathsep.join([str(LAZY), str(ROOT)]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-k", "cpu and not to_numpy_without_cpu",
                           str(ROOT / "tests" / "checks" / "test_mutants.py")],
                          capture_output=True, text=True, cwd=ROOT, timeout=3000, env=env)
    assert done.returncode == 0, done.stdout[-3000:]


# ----------------------------------------------------------------------------------------------
# on a machine with CUDA

cuda_only = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")

WORKER = '''
import torch


def forward(x, w):
    return x * w


def where():
    t = torch.ones(3, device="cuda")
    return {"device": str((t * 2).device), "initialized": torch.cuda.is_initialized(),
            "precision": torch.get_float32_matmul_precision(), "sum": (t @ t).item()}
'''


@cuda_only
def test_a_sandboxed_worker_computes_on_the_gpu(zygote, tmp_path):
    from grader.sandbox import Submission
    (tmp_path / "ex01_linear_model.py").write_text(WORKER)
    assert zygote.facts.get("cuda_initialized") is False
    assert zygote.gpu_warnings() == [], zygote.gpu_warnings()
    with Submission(tmp_path, zygote) as sub:
        got = sub.call("ex01.where")
        assert got["device"] == "cuda:0" and got["sum"] == 3.0
        assert got["precision"] == "highest"
        x = torch.arange(3.0, device="cuda")
        y = sub.call("ex01.forward", x, 2.0)
        assert y.device.type == "cuda" and protocol.meta(y).device == "cuda:0"
        assert torch.equal(y, x * 2)


@cuda_only
def test_references_pass_the_cuda_checks_for_real(grade):
    result = grade("ex01")
    cuda = [c for c in result.checks if "cuda" in c.params.split("-")]
    assert cuda and all(c.status == "passed" for c in result.checks), \
        [(c.name, c.message) for c in result.checks if c.status != "passed"]
