"""Confinement, inside the worker: the Linux primitives the sandbox's layers are made of.

Each may be unavailable on a given machine; the callers report what they got, and the zygote's
self-test measures the result (grader.sandbox.layers reads it):
  - namespaces: an empty network namespace (unshare_network); a mount and IPC namespace of a
    worker's own with a fresh tmpfs at /tmp and /dev/shm (private_scratch, fill_scratch);
  - uids: a worker's own unprivileged uid (become), and every process of it killed (kill_user);
  - a pids cgroup per worker, where workers cannot get a uid of their own (PidsCgroup);
  - rlimits (apply_limits), capabilities, prctl flags, inherited descriptors;
  - what a call left running, killed after the call (kill_leftovers).
"""
from __future__ import annotations

import os
import signal
import stat
import sys
import time

try:
    import resource
except ImportError:   # not on Windows: the unsandboxed check (grader.sandbox.plain) imports
    resource = None   # the worker's code all the same, and applies no rlimit

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
CLONE_NEWIPC = 0x08000000
_LIBC = []


def _libc():
    if not _LIBC:
        import ctypes
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def prctl(option, value) -> bool:
    import ctypes
    try:
        return _libc().prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0),
                             ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0
    except (OSError, AttributeError):
        return False


def drop_capabilities() -> bool:
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
MS_REMOUNT = 32
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
    keep: list = []
    try:
        folder = os.open(workdir, os.O_PATH | os.O_DIRECTORY) if workdir else None
        if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
            err = os.strerror(ctypes.get_errno())
            if os.geteuid() == 0 or _unshare_with_user(CLONE_NEWNS | CLONE_NEWIPC):
                return None, f"no mount and IPC namespace: {err}"
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            return None, f"mount namespace not private: {os.strerror(ctypes.get_errno())}"
        for path in kept_under_tmp():  # Python, the package: still seen under the new /tmp
            keep.append((path, os.open(path, os.O_PATH | os.O_DIRECTORY)))  # (in this namespace)
        options = f"size={int(size)},nr_inodes=16384,mode=1777".encode()
        if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
            return None, f"tmpfs at /tmp: {os.strerror(ctypes.get_errno())}"
        if os.path.isdir("/dev/shm"):
            libc.mount(b"/tmp", b"/dev/shm", None, MS_BIND, None)
        for path, fd in keep:  # read-only, with what was mounted inside (the masked secrets)
            os.makedirs(path, exist_ok=True)
            source = f"/proc/self/fd/{fd}".encode()
            if libc.mount(source, path.encode(), None, MS_BIND | MS_REC, None) != 0 or \
                    libc.mount(None, path.encode(), None,
                               MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, None) != 0:
                return None, f"{path} not kept: {os.strerror(ctypes.get_errno())}"
        if workdir and os.path.isdir(workdir):  # not under /tmp: cover it, read-only, empty
            libc.mount(b"tmpfs", workdir.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                       b"size=4096,mode=0555")
        return folder, ""
    except OSError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        for _path, fd in keep:
            os.close(fd)


# seccomp: a worker may not make a user namespace (in one it could mount a tmpfs of its own,
# gigabytes outside every limit). x86_64 and aarch64: (audit arch, unshare, clone, clone3).
_SYSCALLS = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}
_CLONE_NEWUSER = 0x10000000
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000


def forbid_user_namespaces() -> bool:
    """Install a seccomp filter in this process (and what it starts): unshare() and clone()
    asking for a new user namespace fail with EPERM; clone3(), whose flags a filter cannot
    read, fails with ENOSYS, and the C library falls back to clone(); the x32 calls of x86_64
    fail. Needs no_new_privs (set first). False where it cannot be installed."""
    import ctypes
    import errno
    import platform
    known = _SYSCALLS.get(platform.machine())
    if known is None:
        return False
    arch, nr_unshare, nr_clone, nr_clone3 = known
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06   # BPF_LD|W|ABS, JMP|JEQ|K, ...
    program = [  # (code, jump if true, jump if false, k): jumps count the instructions skipped
        (ld, 0, 0, 4),                    # 0  the architecture
        (jeq, 0, 9, arch),                # 1  another one: allow (11)
        (ld, 0, 0, 0),                    # 2  the call's number
        (jge, 9, 0, 0x40000000),          # 3  x32: refuse (13)
        (jeq, 3, 0, nr_unshare),          # 4  -> 8
        (jeq, 2, 0, nr_clone),            # 5  -> 8
        (jeq, 3, 4, nr_clone3),           # 6  -> 10 (ENOSYS), else allow (11)
        (ret, 0, 0, _RET_ALLOW),          # 7  (not reached)
        (ld, 0, 0, 16),                   # 8  the flags (first argument, low 32 bits)
        (jset, 3, 1, _CLONE_NEWUSER),     # 9  a new user namespace: refuse (13), else allow (11)
        (ret, 0, 0, _RET_ERRNO | errno.ENOSYS),   # 10
        (ret, 0, 0, _RET_ALLOW),          # 11
        (ret, 0, 0, _RET_ALLOW),          # 12 (not reached)
        (ret, 0, 0, _RET_ERRNO | errno.EPERM),    # 13
    ]

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(program))(*[Filter(*op) for op in program])
    prog = Program(len(program), filters)
    PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
    try:
        return _libc().prctl(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER),
                             ctypes.byref(prog), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0
    except (OSError, AttributeError):
        return False


def kept_under_tmp() -> list[str]:
    """What a worker imports from under /tmp (a virtual environment or a checkout there, a
    folder on PYTHONPATH): the new /tmp must still show it. Outermost folders only."""
    wanted = [p for p in sys.path if p] + [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]
    found = sorted({os.path.realpath(p) for p in wanted if os.path.isdir(p)
                    and os.path.realpath(p).startswith("/tmp/")})
    out: list[str] = []
    for path in found:
        if not any(path.startswith(kept + "/") for kept in out):
            out.append(path)
    return out


def fill_scratch(folder) -> str:
    """Copy the submission's regular files, and her data files' folders two levels down
    (data/x.csv), from `folder` (private_scratch's handle) into SCRATCH as the worker's user."""
    os.mkdir(SCRATCH, 0o700)
    _copy_folder(folder, SCRATCH, depth=2)
    os.close(folder)
    return SCRATCH


def _copy_folder(folder: int, into: str, depth: int) -> None:
    names = os.listdir(listing := os.open(".", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder))
    os.close(listing)        # (`folder` may be an O_PATH handle, which cannot be listed)
    for name in names:
        try:
            src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except OSError:
            continue
        try:
            if stat.S_ISDIR(mode := os.fstat(src).st_mode) and depth:
                os.mkdir(os.path.join(into, name), 0o700)
                _copy_folder(src, os.path.join(into, name), depth - 1)
                continue
            if not stat.S_ISREG(mode):
                continue
            dst = os.open(os.path.join(into, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                while True:
                    block = memoryview(os.read(src, 1 << 20))
                    if not block:
                        break
                    while block:
                        block = block[os.write(dst, block):]
            finally:
                os.close(dst)
        finally:
            os.close(src)


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


def become(uid):
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


def kill_user(uid, reap=None, rounds=200):
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


def apply_limits(limits):
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


def close_fds_except(keep):
    last = 2
    top = min(max(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1024), 1 << 16)
    for fd in sorted(keep) + [max(top, max(keep) + 1)]:
        if fd > last + 1:
            os.closerange(last + 1, fd)
        last = max(last, fd)


def kill_leftovers(cgroup=None):
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
