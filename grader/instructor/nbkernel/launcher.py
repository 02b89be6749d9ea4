"""The trusted launcher of one sandboxed kernel: it starts the kernel in its sandbox, relays
Jupyter's channels to the kernel's sockets without reading them, serves the check cells, and
says on nbgrader's terminal why a kernel ended."""
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

from grader.instructor.nbkernel.limits import cuda_build, death_note, kernel_limits, limit_notes
from grader.instructor.nbkernel.sandbox import (forward_log, kernel_env, listen,
                                               others_can_run_python, sandbox_command,
                                               sandbox_problem)
from grader.instructor.nbkernel.settings import (BOOT, CHANNELS, FOLDER_INSIDE, KERNEL_UID_BASE,
                                                KERNEL_UID_SPAN, PREFIX, ROOT, SHARED_INSIDE,
                                                START_SECONDS, UNSANDBOXED)
from grader.sandbox.limits import effective_rlimits


class Launcher:
    """One sandboxed kernel: the launcher's folder (the boot's configuration, the connection
    file, the check server's socket), the kernel's folder (handed over by the boot), the relay
    and the check server."""

    def __init__(self, connection_file: str, kernel_args: list[str]):
        with open(connection_file) as f:
            self.info = json.load(f)
        self.kernel_args = [a for a in kernel_args if a.startswith("--")]
        self.as_root = os.geteuid() == 0
        self.proc: subprocess.Popen | None = None
        self.listeners: list[socket.socket] = []
        self.conns: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        self.uid: int | None = None
        self.stopping = False
        self.limits: dict = {}        # kernel_limits(), read when the kernel starts
        self.notes: dict = {}
        self.folder: int | None = None    # an O_PATH descriptor on the kernel's folder
        self.folder_known = threading.Event()
        self.sent = 0                     # bytes the kernel sent out (its output budget)
        self.output_note = ""
        self.memory = None                # the kernel's memory cgroup (sandboxed), and the
        self.memory_fd: int | None = None   # descriptor the boot joins it by
        from grader.sandbox import sweep_stale_temp
        sweep_stale_temp(PREFIX)
        self.home = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")

    # -- the relay: Jupyter's sockets <-> the kernel's sockets in its folder, bytes only

    def _receive_folder(self, sock: socket.socket):
        """The kernel's folder, as the boot sends it before any cell runs: a descriptor (it
        may lie in the kernel's own tmpfs, which only its mount namespace shows). Only a
        folder, and of the kernel's own uid, is kept."""
        try:
            sock.settimeout(START_SECONDS)
            _data, fds, _flags, _address = socket.recv_fds(sock, 16, 1)
            for fd in fds[1:]:
                os.close(fd)
            if fds:
                st = os.fstat(fds[0])
                if stat.S_ISDIR(st.st_mode) and (self.uid is None or st.st_uid == self.uid):
                    self.folder = fds[0]
                else:
                    os.close(fds[0])
        except OSError:
            pass
        finally:
            sock.close()
            self.folder_known.set()

    def _inner(self, port: int) -> socket.socket | None:
        """A connection to the kernel's socket for `port`, once it listens. The kernel owns
        its folder: the name is opened in it without following links, and only a socket of
        the kernel's own is connected to (through /proc/self/fd, so the checked file is the
        one connected to)."""
        deadline = time.monotonic() + START_SECONDS
        self.folder_known.wait(START_SECONDS)
        while self.folder is not None and not self.closed and time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return None
            try:
                fd = os.open(f"k-{port}", os.O_PATH | os.O_NOFOLLOW, dir_fd=self.folder)
            except OSError:
                time.sleep(0.02)
                continue
            try:
                st = os.fstat(fd)
                if not stat.S_ISSOCK(st.st_mode) or (self.uid is not None
                                                     and st.st_uid != self.uid):
                    return None
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(f"/proc/self/fd/{fd}")
                    return sock
                except OSError:
                    sock.close()
                    time.sleep(0.02)
            finally:
                os.close(fd)
        return None

    def _pump(self, src: socket.socket, dst: socket.socket, out: bool = False):
        """Bytes from src to dst until either closes; `out`: the kernel's side, counted
        against its output budget (past it the kernel is stopped, with a line saying why)."""
        budget = self.limits.get("output_bytes")
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                if out and budget:
                    with self.lock:
                        self.sent += len(data)
                        over = self.sent > budget
                    if over:
                        self.too_much_output()
                        break
                dst.sendall(data)
        except OSError:
            pass
        for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass

    def _relay(self, outer: socket.socket, port: int):
        inner = self._inner(port)
        if inner is None:
            outer.close()
            return
        with self.lock:
            self.conns.update((outer, inner))
        there = threading.Thread(target=self._pump, args=(outer, inner), daemon=True)
        there.start()
        self._pump(inner, outer, out=True)
        there.join()
        with self.lock:
            self.conns.difference_update((outer, inner))
        outer.close()
        inner.close()

    def _accept(self, listener: socket.socket, port: int):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if conn.family != socket.AF_UNIX:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._relay, args=(conn, port), daemon=True).start()

    # -- the kernel

    def _files(self, sandboxed: bool, report_fd: int) -> tuple[str, str]:
        """(boot config, the kernel's connection file), written into the launcher's folder,
        as the paths the boot sees. Sandboxed, the boot reads them before it gives up root;
        the kernel's folder is FOLDER_INSIDE, in its tmpfs. Without the sandbox, the kernel's
        folder is the launcher's (and the kernel's own)."""
        from grader.sandbox.view import secret_modules, secret_samples
        folder = FOLDER_INSIDE if sandboxed else self.home
        inner = {k: self.info[k] for k in CHANNELS}
        inner.update(transport="ipc", ip=os.path.join(folder, "k"), key=self.info["key"],
                     signature_scheme=self.info.get("signature_scheme", "hmac-sha256"))
        if self.as_root and (sandboxed or others_can_run_python()):
            self.uid = KERNEL_UID_BASE + random.SystemRandom().randrange(KERNEL_UID_SPAN)
        elif self.as_root:
            print("torchdrills kernel: its Python is not readable by other users, so it runs "
                  "as root", file=sys.stderr)
        rlimits = effective_rlimits(self.limits["rlimits"], cuda=cuda_build(),
                                    separate_uid=self.uid is not None)
        scratch = self.limits["scratch_bytes"] if sandboxed else None
        self.notes = limit_notes(rlimits, scratch, self.limits.get("memory_bytes")
                                 if self.memory is not None else None)
        boot = {"folder": folder, "new_folder": sandboxed, "copy_connection": sandboxed,
                "scratch_bytes": scratch, "limits": rlimits, "notes": self.notes,
                "memory_fd": self.memory_fd,
                "report_fd": report_fd, "check_secrets": sandboxed,
                "secrets": secret_samples() if sandboxed else [],
                "modules": secret_modules() if sandboxed else []}
        for name, data in (("boot.json", boot), ("kernel.json", inner)):
            fd = os.open(os.path.join(self.home, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            if self.uid is not None and not sandboxed:
                os.chown(os.path.join(self.home, name), self.uid, self.uid)
        if not sandboxed:
            os.mkdir(os.path.join(self.home, "tmp"), 0o700)
            if self.uid is not None:
                os.chown(os.path.join(self.home, "tmp"), self.uid, self.uid)
        shared = SHARED_INSIDE if sandboxed else self.home
        return os.path.join(shared, "boot.json"), os.path.join(shared, "kernel.json")

    def command(self, sandboxed: bool, boot: str, connection: str) -> list[str]:
        python = [sys.executable, "-c", BOOT.format(root=str(ROOT)),
                  "-" if self.uid is None else str(self.uid), boot, connection,
                  *self.kernel_args]
        if not sandboxed:
            return python
        return sandbox_command(self.home, self.as_root, self.limits["scratch_bytes"]) + python

    def run(self) -> int:
        parent = os.getppid()     # Jupyter's client: the kernel lives no longer than it
        try:
            self.limits = kernel_limits()
        except ValueError as exc:
            print(f"torchdrills kernel: not started: {exc}", file=sys.stderr)
            return 1
        sandboxed = True
        problem = sandbox_problem()
        if problem:
            if os.environ.get(UNSANDBOXED) != "1":
                print(f"torchdrills kernel: not started, the sandbox cannot start here "
                      f"({problem.splitlines()[0][:300]}); {UNSANDBOXED}=1 runs it without "
                      f"one", file=sys.stderr)
                return 1
            print(f"torchdrills kernel: running WITHOUT the sandbox ({UNSANDBOXED}=1): its "
                  f"cells can read every file this user can read", file=sys.stderr)
            sandboxed = False
        report, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        if sandboxed:
            self._memory_group()
        boot, connection = self._files(sandboxed, theirs.fileno())

        from grader.notebook import serve_checks
        checks_path = os.path.join(self.home, "checks.sock")
        checks = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        checks.bind(checks_path)
        os.chmod(checks_path, 0o666)   # the folder (0700 or 0710, the kernel's) keeps others out
        checks.listen(4)
        self.listeners.append(checks)
        defer = os.environ.get("NBGRADER_EXECUTION") == "autograde"
        threading.Thread(target=serve_checks, args=(checks, defer), daemon=True).start()

        transport, ip = self.info.get("transport", "tcp"), self.info.get("ip", "127.0.0.1")
        for name in CHANNELS:
            port = int(self.info[name])
            listener = listen(transport, ip, port)
            self.listeners.append(listener)
            threading.Thread(target=self._accept, args=(listener, port), daemon=True).start()
        if self.uid is not None and sandboxed:   # the boot reads it as root, the kernel
            os.chown(self.home, -1, self.uid)     # only reaches the check server's socket
            os.chmod(self.home, 0o710)
        else:
            if self.uid is not None:
                os.chown(self.home, self.uid, self.uid)
            os.chmod(self.home, 0o700)

        if sandboxed:
            env = kernel_env(FOLDER_INSIDE, os.path.join(SHARED_INSIDE, "checks.sock"), True)
        else:
            env = kernel_env(self.home, checks_path, False)
        try:
            self.proc = subprocess.Popen(self.command(sandboxed, boot, connection), env=env,
                                         cwd=self.home, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         start_new_session=True,
                                         pass_fds=(theirs.fileno(),) + ((self.memory_fd,)
                                                   if self.memory_fd is not None else ()))
        finally:
            theirs.close()
            if self.memory_fd is not None:
                os.close(self.memory_fd)
                self.memory_fd = None
        threading.Thread(target=self._receive_folder, args=(report,), daemon=True).start()
        threading.Thread(target=self._watch_parent, args=(parent,), daemon=True).start()
        if self.limits.get("wall_seconds"):
            threading.Thread(target=self._wall_limit, args=(self.limits["wall_seconds"],),
                             daemon=True).start()
        log = threading.Thread(target=forward_log, args=(self.proc.stdout,), daemon=True)
        log.start()
        code = self.proc.wait()
        log.join(timeout=2)
        note = self.output_note or ("" if self.stopping else
                                    death_note(code, sandboxed, self.notes))
        if note:
            print(note, file=sys.stderr, flush=True)
        return code

    def _watch_parent(self, parent: int, every: float = 0.5, grace: float = 5.0) -> None:
        """Stops the kernel once the client that started the launcher is gone (nbgrader killed,
        a notebook server crashed): a kernel spinning in a cell nobody waits for is not left
        running. It is asked to end, then killed after `grace` seconds."""
        while not self.closed and os.getppid() == parent:
            time.sleep(every)
        if self.closed or self.proc is None:
            return
        print("torchdrills kernel: its client is gone; the kernel is stopped", file=sys.stderr,
              flush=True)
        self.stop()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def _wall_limit(self, seconds: float) -> None:
        """Stops the kernel once the notebook has run `seconds` in all, its waits included."""
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            if not self.output_note:
                self.output_note = (f"torchdrills kernel: the notebook ran past {seconds:g} s "
                                    f"in all (waits included): the kernel was stopped, this "
                                    f"notebook fails, the next one gets a new kernel")
            self.proc.kill()

    def _memory_group(self) -> None:
        """One memory cgroup for the kernel and every process it starts (the zygote's kind,
        grader.sandbox.memory), limited before the kernel starts to the `memory` total; the
        boot joins it first. Where none can be made, the terminal says so once."""
        from grader.sandbox.memory import MemoryGroup
        total = self.limits.get("memory_bytes")
        if not total:
            return
        self.memory = MemoryGroup.make()
        if self.memory is None:
            print(f"torchdrills kernel: {MemoryGroup.why_not}: its processes' memory is "
                  f"limited one process at a time", file=sys.stderr)
            return
        self.memory.limit_beyond_usage(int(total))    # empty yet: the total itself
        self.memory_fd = self.memory.open_procs()

    def too_much_output(self):
        """The kernel sent out more than its output budget: stopped, and said once."""
        if self.output_note:
            return
        from grader.instructor.nbkernel.limits import _size
        self.output_note = (f"torchdrills kernel: the notebook's output passed "
                            f"{_size(int(self.limits['output_bytes']))} (what its cells print "
                            f"and plot): the kernel was stopped, this notebook fails, the next "
                            f"one gets a new kernel")
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    def stop(self, *_):
        self.stopping = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def close(self):
        self.closed = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        with self.lock:
            socks = self.listeners + list(self.conns)
        for sock in socks:
            try:
                sock.close()
            except OSError:
                pass
        if self.info.get("transport") == "ipc":
            for name in CHANNELS:
                try:
                    os.unlink(f"{self.info.get('ip')}-{self.info[name]}")
                except (OSError, KeyError):
                    pass
        if self.folder is not None:   # (it holds the kernel's tmpfs)
            os.close(self.folder)
            self.folder = None
        if self.memory is not None:   # what is left in it is killed
            self.memory.close()
            self.memory = None
        from grader.notebook import stop_grading_process
        stop_grading_process()
        shutil.rmtree(self.home, ignore_errors=True)
