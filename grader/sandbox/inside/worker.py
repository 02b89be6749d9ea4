"""The untrusted side: a zygote that imports torch once and forks one worker per submission.

Started by grader.sandbox.launcher as `python -m grader.sandbox.inside FD CONFIG`, where FD is one
end of a Unix socket.
The zygote never runs student code. On each `spawn` request it forks a child that:
  - starts its own session (so the grader can kill it and everything it started in one go),
  - moves into the submission's private temporary folder, with a scrubbed environment,
  - applies resource limits (CPU seconds, address space, file size, processes, open files),
  - sends its own stdout/stderr to a capped file,
and then answers call requests on its pipes, one frame in, one frame out (grader.sandbox.protocol).
Student modules are imported lazily, on the first call into them.
"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import resource
import signal
import socket
import stat
import sys
import time
import traceback

STDOUT_KEEP = 4000  # characters of a student's prints kept per call, for the report


# ----------------------------------------------------------------------------------------------
# the worker loop (runs in the forked child, with student code)

class CappedStream(io.TextIOBase):
    """Replaces sys.stdout/sys.stderr: keeps the first characters, counts the rest."""

    def __init__(self):
        self.kept = []
        self.size = 0
        self.total = 0

    def write(self, s):
        s = str(s)
        self.total += len(s)
        if self.size < STDOUT_KEEP:
            piece = s[:STDOUT_KEEP - self.size]
            self.kept.append(piece)
            self.size += len(piece)
        return len(s)

    def take(self):
        text, total = "".join(self.kept), self.total
        self.kept, self.size, self.total = [], 0, 0
        return text, total

    def writable(self):
        return True

    def flush(self):
        pass


def _read_exact(fd, n):
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Worker:
    def __init__(self, req_fd, res_fd, workdir, modules, own_uid=False, cgroup=None):
        self.req_fd, self.res_fd, self.workdir = req_fd, res_fd, workdir
        self.own_uid = own_uid  # the only process of its uid: it may kill(-1) its leftovers
        self.cgroup = cgroup    # or the only process meant to be in its pids cgroup
        self.files = modules  # module name -> file name in workdir
        self.loaded = {}
        self.out = CappedStream()
        self.notes = []  # what importing a notebook skipped: sent with the next reply

    def serve(self):
        from grader.sandbox import protocol
        sys.stdout = sys.stderr = self.out
        me = os.getpid()
        while True:
            try:
                header, payload = protocol.read_frame(lambda n: _read_exact(self.req_fd, n))
            except EOFError:
                os._exit(0)
            try:
                request, failure = protocol.decode(header, payload), None
            except Exception as exc:  # noqa: BLE001 - e.g. CUDA unusable here: say so, go on
                request, failure = protocol.decode(header, payload, map_device=False), exc
            _with_grad_leaves(request)
            started = time.perf_counter()
            try:
                reply = self.handle(request) if failure is None else _error_reply(
                    failure, self.workdir, "the worker could not put the inputs on their "
                    "device (a problem of the grading machine, not of this code): ",
                    kind="exception")
            except BaseException as exc:  # SystemExit, KeyboardInterrupt: the worker lives on
                reply = _error_reply(exc, self.workdir)
            if os.getpid() != me:  # a fork made by student code came back here: only the
                os._exit(0)        # worker itself answers
            if self.own_uid or self.cgroup:
                _kill_leftovers(self.cgroup)
            _after_cuda_error(reply)
            reply["id"] = request.get("id") if isinstance(request, dict) else None
            text, total = self.out.take()
            reply["stdout"] = text
            reply["stdout_chars"] = total
            reply["seconds"] = time.perf_counter() - started
            if self.notes:
                reply["notes"], self.notes = self.notes, []
            sys.stdout = sys.stderr = self.out  # whatever the student did to them
            try:
                frame = protocol.encode(reply)
            except BaseException as exc:
                failure = _error_reply(exc, self.workdir, "the result could not be sent "
                                       "back: ", kind="exception")
                _after_cuda_error(failure)
                failure["id"] = reply.get("id")
                frame = protocol.encode(failure)
            _write_all(self.res_fd, frame)

    def handle(self, request):
        import torch
        import numpy as np
        op = request["op"]
        if op == "ping":
            return {"status": "ok", "value": "pong"}
        if op == "put":  # a data file for the student's code, in its own folder
            name = os.path.basename(str(request["name"]))
            with open(os.path.join(self.workdir, name), "w") as f:
                f.write(str(request["text"]))
            return {"status": "ok", "value": None}
        module_name = request["module"]
        module = self.load(module_name)
        if isinstance(module, dict):
            return module
        # Undo what earlier student code may have done to global state.
        torch.set_default_dtype(torch.float32)
        if hasattr(torch, "set_default_device"):
            torch.set_default_device(None)
        torch.manual_seed(0)
        np.random.seed(0)
        from grader.device import exact_float32
        exact_float32()  # float32 matmuls as on the trusted side: no TF32
        grad = request.get("grad")
        args, kwargs = request.get("args", ()), request.get("kwargs", {})
        if request.get("probe"):
            probe_module, _, probe_name = request["probe"].rpartition(".")
            fn = getattr(importlib.import_module(f"grader.probes.{probe_module}"), probe_name)
            args = (module,) + tuple(args)
        else:
            fn = getattr(module, request["func"], None)
            if fn is None:
                return {"status": "error", "kind": "missing",
                        "message": f"{module_name}.py has no function or class named "
                                   f"{request['func']!r}"}
        with torch.set_grad_enabled(True if grad is None else grad):
            value = fn(*args, **kwargs)
        return {"status": "ok", "value": value}

    def load(self, name):
        if name in self.loaded:
            return self.loaded[name]
        file = self.files.get(name)
        if not file or not os.path.exists(os.path.join(self.workdir, file)):
            result = {"status": "error", "kind": "no_file",
                      "message": f"no file {name}.py in the submission"}
        else:
            try:
                spec = importlib.util.spec_from_file_location(name, os.path.join(self.workdir,
                                                                                 file))
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                result = module
                skipped = module.__dict__.get("__skipped_cells__")  # a notebook's, see notebooks
                if isinstance(skipped, list):
                    self.notes += [str(n)[:500] for n in skipped[:20]]
            except BaseException as exc:
                sys.modules.pop(name, None)
                result = _error_reply(exc, self.workdir, "", kind="import")
        self.loaded[name] = result
        return result


def _kill_leftovers(cgroup=None):
    """SIGKILL every other process of this worker's own uid, or of its pids cgroup (what the
    call started and left running: a fork bomb, a subprocess in another session); reap."""
    me = os.getpid()
    for _ in range(5):
        try:
            if cgroup:
                with open(os.path.join(cgroup, "cgroup.procs")) as f:
                    others = [int(p) for p in f.read().split() if int(p) != me]
                if not others:
                    return
                for pid in others:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            else:
                os.kill(-1, signal.SIGKILL)  # this uid's processes, never the caller itself
        except (OSError, ValueError):
            return
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.001)


def _with_grad_leaves(x):
    """Tensors sent with requires_grad arrive as leaves that require grad."""
    import torch
    from grader.sandbox.protocol import meta
    if isinstance(x, torch.Tensor):
        m = meta(x)
        if m is not None and m.requires_grad and x.is_floating_point():
            x.requires_grad_(True)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _with_grad_leaves(v)
    elif isinstance(x, dict):
        for v in x.values():
            _with_grad_leaves(v)


CUDA_FAILURES = ("CUDA error", "device-side assert", "CUBLAS_STATUS", "CUDNN_STATUS",
                 "illegal memory access", "CUDA out of memory")


def _after_cuda_error(reply):
    """A CUDA error (an index out of range in a kernel: "device-side assert triggered") leaves
    the process's CUDA context unusable: every later call on the GPU would fail too. Ask the
    grader for a fresh worker, and say that CUDA reports such errors late."""
    message = reply.get("message") if reply.get("status") == "error" else None
    if isinstance(message, str) and any(s in message for s in CUDA_FAILURES):
        reply["restart"] = True
        if "not of this code" not in message:
            reply["message"] = message + (" (CUDA reports errors late: the mistake may be in "
                                          "an earlier line, e.g. an index out of range; run "
                                          "the same call on the CPU to see where)")


def _error_reply(exc, workdir, prefix="", kind=None):
    tb = traceback.extract_tb(exc.__traceback__)
    student_frames = [f for f in tb if f.filename.startswith(workdir)]
    where = ""
    if student_frames:
        f = student_frames[-1]
        where = f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}"
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{os.path.basename(exc.filename)}, line {exc.lineno}"
    if kind is None:
        kind = "not_started" if isinstance(exc, NotImplementedError) else "exception"
    if isinstance(exc, SystemExit):
        message = f"called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        message = "raised KeyboardInterrupt"
    else:
        message = f"{type(exc).__name__}: {exc}"
    lines = traceback.format_list(student_frames[-5:])
    return {"status": "error", "kind": kind, "type": type(exc).__name__,
            "message": (prefix + message)[:2000], "where": where,
            "traceback": "".join(lines)[-3000:]}


# ----------------------------------------------------------------------------------------------
# Linux helpers for the layers (each may be unavailable; callers report what they got)

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
CLONE_NEWIPC = 0x08000000
_LIBC = []


def _libc():
    if not _LIBC:
        import ctypes
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _prctl(option, value) -> bool:
    import ctypes
    try:
        return _libc().prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0),
                             ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0
    except (OSError, AttributeError):
        return False


def _drop_capabilities() -> bool:
    """Clear every capability of this process (capset with empty sets)."""
    import ctypes
    try:
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this pid
        data = (ctypes.c_uint32 * 6)()
        return _libc().capset(header, data) == 0
    except (OSError, AttributeError):
        return False


def unshare_network() -> str:
    """Move this process into a new, empty network namespace. '' on success, else why not."""
    try:
        return _unshare_network()
    except Exception as exc:  # noqa: BLE001 - not Linux, no libc: the layer is reported missing
        return f"{type(exc).__name__}: {exc}"


def _unshare_network() -> str:
    import ctypes
    libc = _libc()
    if os.geteuid() == 0:
        if libc.unshare(CLONE_NEWNET) == 0:
            return ""
        return os.strerror(ctypes.get_errno())
    return _unshare_with_user(CLONE_NEWNET)  # keeps our own uid inside


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
SCRATCH = "/tmp/work"   # a worker's folder, in its own tmpfs


def private_scratch(workdir, size) -> tuple[int | None, str]:
    """Give this worker scratch space of its own: a fresh tmpfs of `size` bytes, in a mount
    namespace of its own, seen at /tmp and at /dev/shm, and System V shared memory, semaphores
    and message queues of its own (an IPC namespace). Nothing a worker writes there is seen
    by any other worker, it cannot outgrow `size`, and it is gone when the worker ends. The
    submission's folder is covered (its files are copied in by `fill_scratch`, once the worker
    runs as its own user). Needs CAP_SYS_ADMIN (a root zygote) or an unprivileged user
    namespace. Returns (a handle on the submission's folder, '') or (None, why not)."""
    import ctypes
    libc = _libc()
    try:
        folder = os.open(workdir, os.O_PATH | os.O_DIRECTORY) if workdir else None
        if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
            err = os.strerror(ctypes.get_errno())
            if os.geteuid() == 0 or _unshare_with_user(CLONE_NEWNS | CLONE_NEWIPC):
                return None, f"no mount and IPC namespace: {err}"
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            return None, f"mount namespace not private: {os.strerror(ctypes.get_errno())}"
        options = f"size={int(size)},nr_inodes=16384,mode=1777".encode()
        if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
            return None, f"tmpfs at /tmp: {os.strerror(ctypes.get_errno())}"
        if os.path.isdir("/dev/shm"):
            libc.mount(b"/tmp", b"/dev/shm", None, MS_BIND, None)
        if workdir and os.path.isdir(workdir):  # not under /tmp: cover it, read-only, empty
            libc.mount(b"tmpfs", workdir.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                       b"size=4096,mode=0555")
        return folder, ""
    except OSError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def fill_scratch(folder) -> str:
    """Copy the submission's files (regular files only) from `folder` (a handle from
    private_scratch) into SCRATCH, as the worker's own user; return SCRATCH."""
    os.mkdir(SCRATCH, 0o700)
    listing = os.open(".", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
    try:
        names = os.listdir(listing)
    finally:
        os.close(listing)
    for name in names:
        try:
            src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(src).st_mode):
                continue
            dst = os.open(os.path.join(SCRATCH, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                          0o644)
            try:
                while True:
                    block = os.read(src, 1 << 20)
                    if not block:
                        break
                    _write_all(dst, block)
            finally:
                os.close(dst)
        finally:
            os.close(src)
    os.close(folder)
    return SCRATCH


def _unshare_with_user(flags) -> str:
    """unshare(CLONE_NEWUSER | flags), keeping this uid: '' on success, else why not."""
    import ctypes
    uid, gid = os.getuid(), os.getgid()
    if _libc().unshare(CLONE_NEWUSER | flags) != 0:
        return os.strerror(ctypes.get_errno())
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError as exc:
        return f"user namespace map: {exc}"
    return ""


def _become(uid):
    """Drop to an unprivileged uid (and gid of the same number), no supplementary groups."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _processes_of(uid) -> list[int]:
    """Live (not zombie) processes whose real or effective uid is `uid`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = fields.get("Uid", "").split()
        if str(uid) in uids[:2] and not fields.get("State", "").strip().startswith(("Z", "X")):
            found.append(int(name))
    return found


def _kill_until_gone(list_pids, reap=None, rounds=200, pause=0.001) -> bool:
    """SIGKILL every process `list_pids()` names, round after round (a fork can land between two
    rounds), until it names none; False if some are still there after `rounds`."""
    for _ in range(rounds):
        pids = list_pids()
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if reap:
            reap()
        time.sleep(pause)
    return False


def _kill_user(uid, reap=None, rounds=200):
    """SIGKILL every process of `uid`, wherever it moved (other sessions, process groups,
    orphans), until none is left: the worker's uid is its own, so these are all its doing."""
    return _kill_until_gone(lambda: _processes_of(uid), reap, rounds)


class PidsCgroup:
    """A pids cgroup per worker, where this (root) zygote may make them: the fork-bomb limit when
    workers cannot get a uid of their own. cgroup v1 (a `pids` hierarchy), or v2 where the
    zygote's own cgroup may have children with the pids controller."""

    def __init__(self):
        self.base = None
        self.why = ""
        self.count = 0
        try:
            self.base = self._make_base()
        except Exception as exc:  # noqa: BLE001 - a missing layer is reported, never fatal
            self.why = f"{type(exc).__name__}: {exc}"
        if self.base is None and not self.why:
            self.why = "no writable pids cgroup"

    @staticmethod
    def _own(controller_line):
        with open("/proc/self/cgroup") as f:
            for line in f:
                _id, controllers, path = line.rstrip("\n").split(":", 2)
                if controller_line(controllers):
                    return path.lstrip("/")
        return None

    @staticmethod
    def _remove_stale(parent):
        """Bases left by zygotes that were killed (their pid is gone): empty them, remove."""
        for name in os.listdir(parent):
            if not name.startswith("grader-zygote-"):
                continue
            try:
                pid = int(name.split("-")[2])
                os.kill(pid, 0)
                continue
            except ProcessLookupError:
                pass
            except (ValueError, IndexError, OSError):
                continue
            stale = PidsCgroup.__new__(PidsCgroup)
            stale.base = os.path.join(parent, name)
            stale.close()

    def _make_base(self):
        name = f"grader-zygote-{os.getpid()}-{time.monotonic_ns() % 10**9}"
        v1 = self._own(lambda c: "pids" in c.split(","))
        if v1 is not None and os.path.isdir("/sys/fs/cgroup/pids"):
            parent = os.path.join("/sys/fs/cgroup/pids", v1)
            self._remove_stale(parent)
            base = os.path.join(parent, name)
            os.mkdir(base)
            return base
        v2 = self._own(lambda c: c == "")
        if v2 is not None and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            self._remove_stale(os.path.join("/sys/fs/cgroup", v2))
            base = os.path.join("/sys/fs/cgroup", v2, name)
            os.mkdir(base)
            try:
                with open(os.path.join(base, "cgroup.controllers")) as f:
                    if "pids" not in f.read().split():
                        raise OSError("the pids controller is not delegated here")
                with open(os.path.join(base, "cgroup.subtree_control"), "w") as f:
                    f.write("+pids")
            except OSError:
                os.rmdir(base)
                raise
            return base
        return None

    def new(self, limit) -> str | None:
        if self.base is None:
            return None
        self.count += 1
        path = os.path.join(self.base, f"w{self.count}")
        try:
            os.mkdir(path)
            with open(os.path.join(path, "pids.max"), "w") as f:
                f.write(str(int(limit)))
        except OSError:
            return None
        return path

    @staticmethod
    def join(path):
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    @staticmethod
    def kill(path, reap=None):
        """SIGKILL everything in the cgroup until it is empty, then remove it."""
        def members():
            try:
                with open(os.path.join(path, "cgroup.procs")) as f:
                    return [int(x) for x in f.read().split()]
            except OSError:   # the cgroup is gone
                return []
        _kill_until_gone(members, reap, rounds=500, pause=0.002)
        try:
            os.rmdir(path)
        except OSError:
            pass

    def close(self, reap=None):
        if self.base is None:
            return
        for name in os.listdir(self.base):
            if os.path.isdir(os.path.join(self.base, name)):
                self.kill(os.path.join(self.base, name), reap)
        try:
            os.rmdir(self.base)
        except OSError:
            pass


# ----------------------------------------------------------------------------------------------
# the zygote

def _apply_limits(limits):
    for name, value in limits.items():
        which = getattr(resource, name, None)
        if which is None or value is None:
            continue
        try:
            soft, hard = resource.getrlimit(which)
            value = int(value)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value if name != "RLIMIT_CPU" else value + 5))
        except (ValueError, OSError):
            pass


def _close_fds_except(keep):
    last = 2
    top = min(max(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1024), 1 << 16)
    for fd in sorted(keep) + [max(top, max(keep) + 1)]:
        if fd > last + 1:
            os.closerange(last + 1, fd)
        last = max(last, fd)


def _child(spec, req_fd, res_fd):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper is not the worker's
    if spec.get("cgroup"):
        PidsCgroup.join(spec["cgroup"])  # before anything else: its processes are counted
    os.setsid()
    uid = spec.get("uid")
    workdir = spec["workdir"]
    folder = None
    if spec.get("scratch_bytes"):  # while it may still mount: before it gives up root
        folder, _why = private_scratch(workdir, int(spec["scratch_bytes"]))
    if uid is not None:
        _become(uid)  # from here on: no capabilities, RLIMIT_NPROC binds
    else:
        _drop_capabilities()
    if folder is not None:
        workdir = fill_scratch(folder)
        spec["env"] = dict(spec["env"], HOME=workdir, TMPDIR=workdir)
    _prctl(PR_SET_DUMPABLE, 1)        # the zygote is not dumpable; the worker may be
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the zygote
    _prctl(PR_SET_NO_NEW_PRIVS, 1)    # setuid programs (su, sudo, mount) gain nothing
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
    sys.path[:] = [workdir] + [p for p in sys.path if p and os.path.abspath(p) not in
                               spec.get("hide_paths", [])]
    import torch
    torch.set_num_threads(int(spec.get("threads", 1)))
    _apply_limits(spec.get("limits", {}))
    # Close every descriptor the zygote held but the worker does not need.
    _close_fds_except({0, 1, 2, req_fd, res_fd})
    Worker(req_fd, res_fd, workdir, spec["modules"], own_uid=uid is not None,
           cgroup=spec.get("cgroup")).serve()


def _self_test(config, uid) -> dict:
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
            try:
                if uid is not None:
                    _become(uid)
                    facts["uid"] = uid
                else:
                    facts["caps_dropped"] = _drop_capabilities()
            except OSError as exc:
                facts["uid_error"] = str(exc)
            facts["euid"] = os.geteuid()
            facts["readable_secrets"] = [p for p in config.get("secrets", [])
                                         if _readable(p)]
            facts["importable_secrets"] = _importable(config.get("secret_modules", []),
                                                      config.get("hide_paths", []))
            facts["writable"] = [p for p in config.get("canaries", []) if _creatable(p)]
            facts["python_readable"] = all(_readable(p) for p in config.get("python_files", []))
            facts["gpu_unreachable"] = [d for d in config.get("gpu_devices", [])
                                        if not os.access(d, os.R_OK | os.W_OK)]
            try:
                facts["interfaces"] = sorted(name for _i, name in socket.if_nameindex())
            except OSError:
                facts["interfaces"] = []
            facts["nproc_binds"] = os.geteuid() != 0
        except BaseException as exc:  # report, never hang the zygote
            facts["error"] = f"{type(exc).__name__}: {exc}"
        try:
            _write_all(w, json.dumps(facts).encode())
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


def _scratch_test(size) -> str:
    """Set up private scratch space as a worker does and check it: '' when /tmp is a fresh,
    empty tmpfs of `size` bytes; else what went wrong."""
    _folder, why = private_scratch("", size)
    if why:
        return why
    st = os.statvfs("/tmp")
    if os.listdir("/tmp") or st.f_blocks * st.f_frsize > size:
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


def zygote(fd, config=None):
    """Serve spawn/kill/status requests on a Unix socket until it closes."""
    config = config or {}
    sock = socket.socket(fileno=fd)
    statuses = {}
    facts = {"pid": os.getpid(), "euid": os.geteuid()}
    _prctl(PR_SET_DUMPABLE, 0)  # workers running as the same user cannot ptrace the zygote
    if not config.get("bwrap"):
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the grader (bwrap does it otherwise)
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
    facts["self_test"] = _self_test(config, config.get("probe_uid"))
    if config.get("probe_uid") is not None and not facts["self_test"].get("python_readable"):
        # workers will run as root (without capabilities): measure that instead
        facts["self_test_uid"] = facts["self_test"]
        facts["self_test"] = _self_test(config, None)
    signal.signal(signal.SIGCHLD, reap)
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
                _kill_user(int(request["uid"]), reap)
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


def _preload(warm_optim=True):
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch.nn  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401
    if warm_optim:  # the first torch.optim optimizer imports torch._dynamo (1-3 s): once, here
        try:
            import torch._dynamo  # noqa: F401
        except Exception:
            pass
    import grader.device  # noqa: F401
    import grader.sandbox.protocol  # noqa: F401
    import grader.probes
    grader.probes.load_all()
