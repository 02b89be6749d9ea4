"""The zygote: a process that imports torch once and forks one worker per submission.

Started by grader.sandbox.launcher as `python -m grader.sandbox.inside FD`, where FD is one end
of a Unix socket (its first line is the self-test's configuration), with an allow-listed
environment. The zygote never runs student code. It first tests the sandbox as a
worker would find it (self_test: the facts grader.sandbox.layers measures the layers from), then
serves spawn, kill and status requests. On each `spawn` it forks a child that:
  - starts its own session (so the grader can kill it and everything it started in one go),
  - moves into the submission's private temporary folder, with a scrubbed environment,
  - applies resource limits (CPU seconds, address space, file size, processes, open files),
  - sends its own stdout/stderr to a capped file,
and then runs the request loop (grader.sandbox.inside.worker).
"""
from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import time
import traceback

from grader.sandbox.inside.confine import (PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS,
                                           PR_SET_PDEATHSIG, PidsCgroup, apply_limits, become,
                                           close_fds_except, drop_capabilities, fill_scratch,
                                           forbid_user_namespaces,
                                           kept_under_tmp, kill_user, prctl, private_scratch,
                                           unshare_network)
from grader.sandbox.inside.worker import Worker, write_all

# sys.path entries a worker drops: the folder the zygote was started in, the package's root
# (solutions/ is there in a checkout). Known here: nothing of the grader's own folders is sent.
HIDE = (os.path.abspath(os.getcwd()),)


def _child(spec, req_fd, res_fd):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper is not the worker's
    try:   # out of memory in its group, the worker and its children go first, not the zygote
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("500")
    except OSError:
        pass
    if spec.get("cgroup"):
        PidsCgroup.join(spec["cgroup"])  # before anything else: its processes are counted
    os.setsid()
    uid = spec.get("uid")
    workdir = spec["workdir"]
    folder = None
    if spec.get("scratch_bytes"):  # while it may still mount: before it gives up root
        folder, _why = private_scratch(workdir, int(spec["scratch_bytes"]))
    if uid is not None:
        become(uid)  # from here on: no capabilities, RLIMIT_NPROC binds
    else:
        drop_capabilities()
    if folder is not None:
        workdir = fill_scratch(folder)
        spec["env"] = dict(spec["env"], HOME=workdir, TMPDIR=workdir)
    prctl(PR_SET_DUMPABLE, 0)        # as its own user, it cannot open its own /proc/self/mem
                                     # (raw writes into its memory, past what the review sees)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the zygote
    prctl(PR_SET_NO_NEW_PRIVS, 1)    # setuid programs (su, sudo, mount) gain nothing
    forbid_user_namespaces()         # no user namespace, so no tmpfs of its own, no new mounts
    os.chdir(workdir)
    out = os.open(os.path.join(workdir, ".output.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                  0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(spec["env"])
    sys.path[:] = [workdir] + [p for p in sys.path if p and os.path.abspath(p) not in HIDE]
    import torch
    torch.set_num_threads(int(spec.get("threads", 1)))
    apply_limits(spec.get("limits", {}))
    # Close every descriptor the zygote held but the worker does not need.
    close_fds_except({0, 1, 2, req_fd, res_fd})
    Worker(req_fd, res_fd, workdir, spec["modules"], own_uid=uid is not None,
           cgroup=spec.get("cgroup"), timed=spec.get("timed", ())).serve()


def self_test(config, uid) -> dict:
    """Fork a child that sets itself up as a worker would (same uid, same capabilities) and
    report what it can reach: the layers as measured, not as hoped for."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        facts = {}
        try:
            os.close(r)
            if config.get("scratch_bytes"):
                facts["scratch"] = _scratch_test(int(config["scratch_bytes"]))
            facts["user_namespaces"] = _user_namespace_test()
            try:
                if uid is not None:
                    become(uid)
                    facts["uid"] = uid
                else:
                    facts["caps_dropped"] = drop_capabilities()
            except OSError as exc:
                facts["uid_error"] = str(exc)
            facts["euid"] = os.geteuid()
            facts["readable_secrets"] = [p for p in config.get("secrets", [])
                                         if _readable(p)]
            facts["importable_secrets"] = _importable(config.get("secret_modules", []), HIDE)
            facts["writable"] = [p for p in config.get("canaries", []) if _creatable(p)]
            facts["python_readable"] = all(_readable(p) for p in config.get("python_files", []))
            facts["gpu_unreachable"] = [d for d in config.get("gpu_devices", [])
                                        if not os.access(d, os.R_OK | os.W_OK)]
            try:
                facts["interfaces"] = sorted(name for _i, name in socket.if_nameindex())
            except OSError:
                facts["interfaces"] = []
            facts["nproc_binds"] = os.geteuid() != 0
            facts["environ_leaks"] = _environ_leaks(set(config.get("env_allowed", ())))
        except BaseException as exc:  # report, never hang the zygote
            facts["error"] = f"{type(exc).__name__}: {exc}"
        try:
            write_all(w, json.dumps(facts).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {"error": "the self-test child sent nothing readable"}


def _environ_leaks(allowed: set) -> list[str]:
    """Where a worker could read a variable outside the allow-list: its own environment and
    that of every process above it (the zygote, bubblewrap, the grader and whatever started the
    grader: a shell, a Dask worker), as /proc shows them to it. ["/proc/123/environ", ...]."""
    out, pid, seen = [], os.getpid(), set()
    while pid > 0 and pid not in seen:
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                names = {v.split(b"=", 1)[0].decode(errors="replace")
                         for v in f.read().split(b"\0") if v}
            if names - allowed:
                out.append(f"/proc/{pid}/environ")
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/status") as f:
                pid = next((int(line.split()[1]) for line in f if line.startswith("PPid:")), 0)
        except (OSError, ValueError):
            break
    return out


def _user_namespace_test() -> str:
    """'' when this process, set up as a worker is, cannot make a user namespace; else why."""
    import ctypes
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if not forbid_user_namespaces():
        return "the seccomp filter could not be installed"
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0:  # CLONE_NEWUSER
        return "a user namespace could still be made"
    return ""


def _scratch_test(size) -> str:
    """Set up private scratch space as a worker does and check it: '' when /tmp is a fresh
    tmpfs of `size` bytes, empty but for what Python imports from under /tmp; else what went
    wrong."""
    kept = {p.split("/")[2] for p in kept_under_tmp()}
    _folder, why = private_scratch("", size)
    if why:
        return why
    st = os.statvfs("/tmp")
    if set(os.listdir("/tmp")) - kept or st.f_blocks * st.f_frsize > size:
        return "/tmp is not a fresh tmpfs of its own"
    return ""


def _importable(names, hide_paths) -> list[str]:
    """The secret modules a worker could import or has loaded already: the import system asked
    as a worker would ask it, with the worker's sys.path (where the package really is
    installed: a checkout, site-packages, an editable install's finder)."""
    import importlib.util
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) not in hide_paths]
    found = [name for name in names if name in sys.modules]
    try:
        for name in names:
            if name in found:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except Exception:  # noqa: BLE001 - a parent that cannot be imported: not reachable
                spec = None
            if spec is not None and spec.origin and _readable(spec.origin):
                found.append(name)
    finally:
        sys.path[:] = saved
    return found


def _readable(path) -> bool:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def _creatable(folder) -> bool:
    name = os.path.join(folder, f".sandbox-write-test-{os.getpid()}")
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    os.close(fd)
    try:
        os.unlink(name)
    except OSError:
        pass
    return True


def read_config(fd) -> dict:
    """The first line on the zygote's socket: what its self-test looks for (JSON). Read byte by
    byte, so that nothing after it is taken from the socket."""
    line = bytearray()
    while not line.endswith(b"\n"):
        b = os.read(fd, 1)
        if not b:
            raise SystemExit("the grader closed the socket before sending the configuration")
        line += b
        if len(line) > MAX_CONFIG:
            raise SystemExit("the configuration is too large")
    try:
        return json.loads(bytes(line))
    finally:
        line[:] = bytes(len(line))  # its paths are not kept in memory a worker inherits


MAX_CONFIG = 1 << 22


def serve(fd, config=None):
    """Serve spawn/kill/status requests on a Unix socket until it closes."""
    config = config or {}
    sock = socket.socket(fileno=fd)
    statuses = {}
    facts = {"pid": os.getpid(), "euid": os.geteuid()}
    prctl(PR_SET_DUMPABLE, 0)  # workers running as the same user cannot ptrace the zygote
    if not config.get("bwrap"):
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the grader (bwrap does it otherwise)
    if config.get("memory_join_error"):
        facts["memory_join_error"] = config["memory_join_error"]
    if config.get("unshare_net"):
        facts["unshare_net_error"] = unshare_network()
    cgroups = None
    if config.get("pids_cgroup"):
        cgroups = PidsCgroup()
        facts["pids_cgroup"] = cgroups.base is not None
        facts["pids_cgroup_error"] = cgroups.why

    def reap(*_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            statuses[pid] = status

    facts["cuda_initialized"] = _cuda_initialized()  # must stay False: workers are forked
    facts["self_test"] = self_test(config, config.get("probe_uid"))
    if config.get("probe_uid") is not None and not facts["self_test"].get("python_readable"):
        # workers will run as root (without capabilities): measure that instead
        facts["self_test_uid"] = facts["self_test"]
        facts["self_test"] = self_test(config, None)
    config.clear()  # where the secrets lie: the workers forked from here need not know
    signal.signal(signal.SIGCHLD, reap)
    # torch's objects, imported once, are never garbage: set them aside, so that a worker's
    # collections look at the submission's own objects only (and leave the shared pages alone)
    gc.collect()
    gc.freeze()
    sock.sendall(json.dumps({"ready": True, "facts": facts}).encode() + b"\n")

    worker_cgroups = {}

    def wait_for(pid, seconds):
        deadline = time.monotonic() + seconds
        while pid not in statuses and time.monotonic() < deadline:
            reap()
            time.sleep(0.002)
        return statuses.pop(pid, None)

    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 4)
        except InterruptedError:
            continue
        if not msg:  # the grader is done: leave without the interpreter's slow teardown
            if cgroups is not None:
                cgroups.close(reap)
            os._exit(0)
        request = json.loads(msg)
        op = request["op"]
        if op == "spawn":
            if cgroups is not None and request.get("uid") is None:
                request["cgroup"] = cgroups.new(request.get("pids_max") or 32)
            pid = os.fork()
            if pid == 0:
                try:
                    sock.close()
                    _child(request, fds[0], fds[1])
                except BaseException:
                    traceback.print_exc()  # into the worker's output log, for the grader's log
                finally:
                    os._exit(70)
            for f in fds:
                os.close(f)
            if request.get("cgroup"):
                worker_cgroups[pid] = request["cgroup"]
            reply = {"pid": pid}
        elif op == "kill":
            pid = request.get("pid")
            for target in (lambda: os.killpg(pid, signal.SIGKILL),
                           lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    if pid is not None:
                        target()
                except (ProcessLookupError, PermissionError):
                    pass
            if request.get("uid") is not None:
                kill_user(int(request["uid"]), reap)
            if pid in worker_cgroups:
                PidsCgroup.kill(worker_cgroups.pop(pid), reap)
            reply = {"ok": True}
        elif op == "status":
            reply = {"status": wait_for(request["pid"], request.get("wait", 0.5))}
        else:
            reply = {"error": f"unknown op {op}"}
        sock.sendall(json.dumps(reply).encode() + b"\n")


def _cuda_initialized() -> bool:
    """Whether this process has initialised CUDA (then no fork of it could use the GPU)."""
    torch = sys.modules.get("torch")
    try:
        return bool(torch is not None and torch.cuda.is_initialized())
    except Exception:  # noqa: BLE001
        return False


def preload(warm_optim=True):
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch.nn  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401
    try:   # what backward() with a gradient given imports the first time (sympy: 0.3-0.4 s),
        import torch.fx.experimental.symbolic_shapes  # noqa: F401   once here, not per worker
    except Exception:  # noqa: BLE001 - a torch without it: imported where used, if ever
        pass
    if warm_optim:  # the first torch.optim optimizer imports torch._dynamo (1-3 s): once, here
        try:
            import torch._dynamo  # noqa: F401
        except Exception:
            pass
    import grader.sandbox.device  # noqa: F401
    import grader.sandbox.protocol  # noqa: F401
    import grader.sandbox.inside.probes
    grader.sandbox.inside.probes.load_all()
