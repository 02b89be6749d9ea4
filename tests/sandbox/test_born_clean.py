"""Born clean: no secret of the grader exists in the memory of a process that runs student code.

The grader's environment holds a token (as an instructor's or a cluster's credentials would);
a worker then looks for it everywhere it can: its own environment and command line, those of
every process it can see in /proc, its own writable memory (the stack holds the environment
and arguments a process was exec'd with; the heap what its parent knew) and, with no /proc at
all, its stack through ctypes. Nothing may be found, in every sandbox mode this machine offers
whose "clean environment" layer is on. The answer crosses the boundary as booleans and counts,
never as the loot itself, so that no cut of an output can hide a find.
"""
from __future__ import annotations

import os
import secrets

import pytest

from grader.sandbox import Submission, Zygote
from grader.sandbox.launcher import ENV_ALLOWED, zygote_env

SEARCH = r'''
import ctypes, os, re

PATTERN = re.compile(rb"TDTOKEN[0-9a-f]{32}")


def _pids():
    try:
        return [p for p in os.listdir("/proc") if p.isdigit()] + ["self"]
    except OSError:
        return ["self"]


def _read(path, limit=1 << 22):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return b""


def files():
    """Tokens in the environ and cmdline of every process /proc shows, and the root's files."""
    found = set()
    for pid in _pids():
        for name in ("environ", "cmdline"):
            found |= set(PATTERN.findall(_read(f"/proc/{pid}/{name}")))
    return sorted(t.decode() for t in found)


def memory():
    """Tokens in this process's own writable memory: the regions /proc/self/maps lists, copied
    page by page with write(2) into a pipe (a worker cannot open its own /proc/self/mem)."""
    libc = ctypes.CDLL(None, use_errno=True)
    found, scanned = set(), 0
    r, w = os.pipe()
    try:
        for line in open("/proc/self/maps").read().splitlines():
            parts = line.split()
            if len(parts) < 2 or not parts[1].startswith("rw"):
                continue
            start, end = (int(a, 16) for a in parts[0].split("-"))
            if end - start > 1 << 28:
                continue
            tail = b""
            for addr in range(start, end, 1 << 16):
                n = libc.write(w, ctypes.c_void_p(addr), min(1 << 16, end - addr))
                if n <= 0:
                    break
                chunk = b""
                while len(chunk) < n:
                    chunk += os.read(r, n - len(chunk))
                scanned += n
                found |= set(PATTERN.findall(tail + chunk))
                tail = chunk[-48:]
    finally:
        os.close(r)
        os.close(w)
    return sorted(t.decode() for t in found) + ([] if scanned else ["<nothing scanned>"])


def stack():
    """Tokens at the top of the stack, read with ctypes, no /proc needed: argv[0]
    (program_invocation_name) lies there, next to the environment the process was exec'd with.
    Pages are copied with write(2) into a pipe, which fails instead of faulting past the end."""
    libc = ctypes.CDLL(None, use_errno=True)
    start = ctypes.cast(ctypes.c_void_p.in_dll(libc, "program_invocation_name"),
                        ctypes.c_void_p).value
    if not start:
        return ["<no argv>"]
    page = start - start % 4096
    r, w = os.pipe()
    found, read = set(), 0
    try:
        for addr in range(page, page + (256 << 12), 4096):
            n = libc.write(w, ctypes.c_void_p(addr), 4096)
            if n <= 0:
                break
            chunk = os.read(r, n)
            read += len(chunk)
            found |= set(PATTERN.findall(chunk))
    finally:
        os.close(r)
        os.close(w)
    return sorted(t.decode() for t in found) + ([] if read else ["<nothing read>"])
'''


@pytest.fixture
def token(monkeypatch):
    value = "TDTOKEN" + secrets.token_hex(16)
    monkeypatch.setenv("COURSE_API_TOKEN", value)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", value)
    return value


MODES = ["auto", "unshare", "basic"]


@pytest.mark.parametrize("mode", MODES)
def test_no_worker_finds_the_graders_environment(mode, token, tmp_path):
    (tmp_path / "ex01_linear_model.py").write_text(
        SEARCH.replace("def files", "def forward_files").replace("def memory", "def loss"))
    zygote = Zygote(sandbox=mode)
    try:
        zygote.wait_ready()
        layer = {m.name: m for m in zygote.layers}
        if not layer["clean environment"].on:
            pytest.skip(f"{mode}: {layer['clean environment'].detail}")
        with Submission(tmp_path, zygote) as sub:
            found_files = sub.call("ex01.forward_files")
            found_memory = sub.call("ex01.loss")
            found_stack = sub.call("ex01.stack")
    finally:
        zygote.close()
    assert token not in found_files, f"{mode}: the token is readable in /proc"
    for where, found in (("memory", found_memory), ("stack", found_stack)):
        assert not any(f.startswith("<") for f in found), f"{mode}: {where} not read: {found}"
        assert token not in found, f"{mode}: the token is in a worker's {where}"


def test_the_zygote_starts_with_the_allow_list_only(token):
    env = zygote_env()
    assert token not in "".join(env.values())
    assert set(env) <= set(ENV_ALLOWED) | {"PYTHONPATH", "PYTORCH_NVML_BASED_CUDA_CHECK",
                                          "PYTHONDONTWRITEBYTECODE"}


def test_a_worker_sees_no_course_path_on_any_command_line(tmp_path):
    """The zygote's configuration (where the secrets lie) and bubblewrap's options (the
    folders it binds and masks) never appear on a command line a worker can read."""
    from grader.sandbox.launcher import ROOT
    (tmp_path / "ex01_linear_model.py").write_text(
        "import os\n"
        "def forward(x, w):\n"
        "    out = []\n"
        "    for p in [d for d in os.listdir('/proc') if d.isdigit()] + ['self']:\n"
        "        try:\n"
        "            out.append(open(f'/proc/{p}/cmdline', 'rb').read().decode(errors='replace'))\n"
        "        except OSError:\n"
        "            pass\n"
        "    return out\n")
    zygote = Zygote()
    try:
        zygote.wait_ready()
        on = {m.name: m.on for m in zygote.layers}
        with Submission(tmp_path, zygote) as sub:
            lines = sub.call("ex01.forward", 1.0, 2.0)
    finally:
        zygote.close()
    solutions = str(ROOT / "solutions")
    inside = [line for line in lines if "grader.sandbox.inside" in line or "bwrap" in line]
    assert inside, "the worker should see its zygote's command line"
    for line in inside:
        assert solutions not in line and "secrets" not in line, line
    if on.get("read-only view"):  # in a pid namespace: nothing of the grader's side shows
        assert not any(solutions in line or str(ROOT / "grader") in line for line in lines)


def test_the_layer_is_measured_not_assumed():
    """A grader whose own environment a worker can read (no uid of its own, no pid namespace)
    is reported: the layer reads the self-test's finds."""
    from grader.sandbox.layers import CleanEnvironment, Setting
    leak = Setting(facts={"self_test": {"environ_leaks": ["/proc/77/environ"]}}, mode="basic",
                   as_root=False, bwrap=False)
    clean = Setting(facts={"self_test": {"environ_leaks": []}}, mode="auto", as_root=True,
                    bwrap=True)
    assert not CleanEnvironment().measure(leak).on
    assert "/proc/77/environ" in CleanEnvironment().measure(leak).detail
    assert CleanEnvironment().measure(clean).on
    assert not CleanEnvironment().measure(Setting(facts={}, mode="auto", as_root=True,
                                                  bwrap=True)).on


def test_the_self_test_reads_every_environment_above_it(monkeypatch):
    """The measurement itself: run here, in a process whose environment and whose parents'
    hold more than the allow-list, it names them; allowed everything, it names none."""
    from grader.sandbox.inside.zygote import _environ_leaks
    monkeypatch.setenv("COURSE_API_TOKEN", "x")  # (os.environ only: /proc shows the start's)
    leaks = _environ_leaks(set(ENV_ALLOWED))
    assert f"/proc/{os.getpid()}/environ" in leaks
    mine = {v.split(b"=", 1)[0].decode() for v in
            open("/proc/self/environ", "rb").read().split(b"\0") if v}
    assert f"/proc/{os.getpid()}/environ" not in _environ_leaks(mine)


def test_a_site_setting_passes_only_when_named(token, monkeypatch, tmp_path):
    """GRADER_PASS_ENV names the variables a site needs in its workers (a driver setting):
    those pass, the rest of the grader's environment does not."""
    monkeypatch.setenv("SITE_SETTING", "on")
    monkeypatch.setenv("GRADER_PASS_ENV", "SITE_SETTING")
    (tmp_path / "ex01_linear_model.py").write_text(
        "import os\n"
        "def forward(x, w):\n"
        "    return sorted(os.environ)\n"
        "def loss(x, y, w):\n"
        "    try:\n"
        "        return open('/proc/self/environ', 'rb').read().decode(errors='replace')\n"
        "    except PermissionError:   # not dumpable: the start environment is unreadable\n"
        "        return 'SITE_SETTING=on'\n")
    zygote = Zygote()
    try:
        with Submission(tmp_path, zygote) as sub:
            names = sub.call("ex01.forward", 1.0, 2.0)
            start = sub.call("ex01.loss", 1.0, 2.0, 3.0)
        layer = {m.name: m for m in zygote.layers}["clean environment"]
    finally:
        zygote.close()
    assert "SITE_SETTING" in names and "COURSE_API_TOKEN" not in names
    assert "SITE_SETTING=on" in start and token not in start
    assert layer.on, layer.detail


def test_a_worker_cannot_open_its_own_memory(tmp_path):
    """/proc/self/mem would let student code write into its own process unseen by the review
    (grader.engine.review): a worker, as its own user, is not dumpable, so it cannot open it."""
    (tmp_path / "ex01_linear_model.py").write_text(
        "import os\n"
        "def forward(x, w):\n"
        "    try:\n"
        "        open('/proc/self/mem', 'r+b', buffering=0).close()\n"
        "        return 'opened'\n"
        "    except OSError as exc:\n"
        "        return 'refused' if exc.errno == 13 else str(exc)\n")
    zygote = Zygote()
    try:
        zygote.wait_ready()
        if not {m.name: m.on for m in zygote.layers}["separate user"]:
            pytest.skip("workers run as the grader's own user here (root without capabilities "
                        "may open its own files)")
        with Submission(tmp_path, zygote) as sub:
            assert sub.call("ex01.forward", 1.0, 2.0) == "refused"
    finally:
        zygote.close()
