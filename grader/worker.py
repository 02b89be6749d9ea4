"""The untrusted side: a zygote that imports torch once and forks one worker per submission.

Started by grader.sandbox as `python -m grader.worker FD`, where FD is one end of a Unix socket.
The zygote never runs student code. On each `spawn` request it forks a child that:
  - starts its own session (so the grader can kill it and everything it started in one go),
  - moves into the submission's private temporary folder, with a scrubbed environment,
  - applies resource limits (CPU seconds, address space, file size, processes, open files),
  - sends its own stdout/stderr to a capped file,
and then answers call requests on its pipes, one frame in, one frame out (grader.protocol).
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
    def __init__(self, req_fd, res_fd, workdir, modules):
        self.req_fd, self.res_fd, self.workdir = req_fd, res_fd, workdir
        self.files = modules  # module name -> file name in workdir
        self.loaded = {}
        self.out = CappedStream()

    def serve(self):
        from grader import protocol
        sys.stdout = sys.stderr = self.out
        while True:
            try:
                header, payload = protocol.read_frame(lambda n: _read_exact(self.req_fd, n))
            except EOFError:
                os._exit(0)
            request = protocol.decode(header, payload)
            _with_grad_leaves(request)
            started = time.perf_counter()
            try:
                reply = self.handle(request)
            except BaseException as exc:  # SystemExit, KeyboardInterrupt: the worker lives on
                reply = _error_reply(exc, self.workdir)
            text, total = self.out.take()
            reply["stdout"] = text
            reply["stdout_chars"] = total
            reply["seconds"] = time.perf_counter() - started
            sys.stdout = sys.stderr = self.out  # whatever the student did to them
            try:
                frame = protocol.encode(reply)
            except BaseException as exc:
                frame = protocol.encode(_error_reply(exc, self.workdir, "the result could not "
                                                     "be sent back: "))
            _write_all(self.res_fd, frame)

    def handle(self, request):
        import torch
        import numpy as np
        op = request["op"]
        if op == "ping":
            return {"status": "ok", "value": "pong"}
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
            except BaseException as exc:
                sys.modules.pop(name, None)
                result = _error_reply(exc, self.workdir, "", kind="import")
        self.loaded[name] = result
        return result


def _with_grad_leaves(x):
    """Tensors sent with requires_grad arrive as leaves that require grad."""
    import torch
    from grader.protocol import meta
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


def _child(spec, req_fd, res_fd):
    os.setsid()
    workdir = spec["workdir"]
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
    keep = {0, 1, 2, req_fd, res_fd}
    for fd in range(3, 256):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    Worker(req_fd, res_fd, workdir, spec["modules"]).serve()


def zygote(fd):
    """Serve spawn/kill/status requests on a Unix socket until it closes."""
    sock = socket.socket(fileno=fd)
    statuses = {}

    def reap(*_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            statuses[pid] = status

    signal.signal(signal.SIGCHLD, reap)
    sock.sendall(b'{"ready": true}\n')
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 4)
        except InterruptedError:
            continue
        if not msg:
            return
        request = json.loads(msg)
        op = request["op"]
        if op == "spawn":
            pid = os.fork()
            if pid == 0:
                try:
                    sock.close()
                    _child(request, fds[0], fds[1])
                finally:
                    os._exit(70)
            for f in fds:
                os.close(f)
            reply = {"pid": pid}
        elif op == "kill":
            pid = request["pid"]
            for target in (lambda: os.killpg(pid, signal.SIGKILL),
                           lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    target()
                except (ProcessLookupError, PermissionError):
                    pass
            reply = {"ok": True}
        elif op == "status":
            pid = request["pid"]
            deadline = time.monotonic() + request.get("wait", 0.5)
            while pid not in statuses and time.monotonic() < deadline:
                reap()
                time.sleep(0.005)
            status = statuses.pop(pid, None)
            reply = {"status": status}
        else:
            reply = {"error": f"unknown op {op}"}
        sock.sendall(json.dumps(reply).encode() + b"\n")


def _preload():
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch.nn  # noqa: F401
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401
    import grader.protocol  # noqa: F401
    import grader.probes
    grader.probes.load_all()


if __name__ == "__main__":
    _preload()
    zygote(int(sys.argv[1]))
