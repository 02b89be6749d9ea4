"""A student's own `check`, on a machine where the sandbox cannot run (macOS, a Python without
os.fork or `resource`): the same checks, the same worker code and protocol, in a plain
subprocess per worker, with none of the sandbox's layers.

    result = grade_unsandboxed("exercises/", GradeRequest(checks="visible", seed=0))

Only `python -m grader check` in a student's kit comes here (grader.cli): the code checked is
the student's own, on the student's own machine, and the kit holds no answer to hide. Grading
(`grade`, class runs, nbgrader, Gradescope) never does: its Zygote refuses such a machine
(launcher.SandboxUnavailable). Started as `python -m grader.sandbox.plain SPEC` (JSON), a
worker takes its request pipe as stdin and its result pipe as stdout, which every system can
hand a child (Windows cannot pass other descriptors), then serves requests as a forked one does
(grader.sandbox.inside.worker).

Where the machine also lacks what the rooms read files and wait on pipes with (Windows), the
rooms take their portable branches (grader.sandbox.portable), allowed here only.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

NOTE = ("note: your code runs without the sandbox here ({why}). For your own work that is "
        "fine; the graders run it sandboxed")


class PlainZygote:
    """What a Submission asks of a zygote, answered with plain subprocesses: `spawn` starts a
    worker with the two pipes of grader.sandbox.process.WorkerProcess, `status` and `kill`
    look after it. No layer is in force: no separate user, no scratch, no limits but the
    timeouts the trusted side keeps."""

    restarts = 0
    separate_uids = private_scratch = False
    spool = None
    layers: list = []

    def __init__(self, warm_optim: bool = False):
        # warm_optim, as grader.sandbox.Zygote takes it: nothing to warm, no worker is forked
        # from here (each imports what it needs: grader.sandbox.inside.zygote.preload)
        self.workers: dict[int, subprocess.Popen] = {}

    def wait_ready(self):
        pass

    def new_uid(self, force=False):
        return None

    def warnings(self) -> list[str]:
        return []

    def gpu_warnings(self) -> list[str]:
        return []

    def summary(self) -> str:
        return "sandbox: none (a student's own check, grader.sandbox.plain)"

    def request(self, message: dict, fds=()):
        op = message["op"]
        if op == "spawn":
            return {"pid": self._spawn(message, list(fds))}
        worker = self.workers.get(message.get("pid"))
        if op == "status":
            return {"status": None if worker is None else _status(worker, message.get("wait", 0))}
        if op == "kill" and worker is not None:
            _kill(worker)
            self.workers.pop(worker.pid, None)
        return {"ok": True}

    def _spawn(self, spec: dict, fds: list[int]) -> int:
        from grader.sandbox.launcher import with_package_path
        env = with_package_path(dict(os.environ, **spec["env"]))
        own = json.dumps({k: spec[k] for k in ("workdir", "modules", "threads") if k in spec})
        worker = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.plain", own], stdin=fds[0], stdout=fds[1],
            stderr=subprocess.DEVNULL, env=env, cwd=spec["workdir"],
            start_new_session=hasattr(os, "setsid"))   # a group to kill, where there are groups
        self.workers[worker.pid] = worker
        return worker.pid

    def close(self):
        for worker in list(self.workers.values()):
            _kill(worker)
        self.workers.clear()


def _status(worker: subprocess.Popen, wait: float):
    """How the worker ended, as os.waitpid's status (None: still running)."""
    try:
        code = worker.wait(timeout=max(wait, 0.001))
    except subprocess.TimeoutExpired:
        return None
    return -code if code < 0 else code << 8


def _kill(worker: subprocess.Popen):
    """Stop the worker: with whatever it started where there are process groups; alone
    elsewhere (Windows: TerminateProcess, through Popen.kill)."""
    try:
        if hasattr(os, "killpg") and hasattr(signal, "SIGKILL"):
            os.killpg(worker.pid, signal.SIGKILL)
        else:
            worker.kill()
    except OSError:
        try:
            worker.kill()
        except OSError:
            pass
    try:
        worker.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def grade_unsandboxed(path, request):
    """grader.engine.runner.grade_once's result, its zygote a PlainZygote, the rooms allowed
    their portable branches (grader.sandbox.portable.unsandboxed)."""
    from grader.engine.runner import grade_once
    from grader.sandbox.portable import unsandboxed
    with unsandboxed():
        return grade_once(path, request, kind=PlainZygote)[0]


def _serve(own: str) -> None:
    """The worker: its spec from its command line, its request and result pipes taken from
    stdin and stdout before anything can print, its prints to its folder's .output.log, then
    the request loop of a forked worker (grader.sandbox.inside.worker)."""
    from grader.sandbox.portable import BINARY, NO_INHERIT, binary
    spec = json.loads(own)
    req_fd, res_fd = binary(os.dup(0)), binary(os.dup(1))
    workdir = spec["workdir"]
    os.chdir(workdir)
    out = os.open(os.path.join(workdir, ".output.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_TRUNC | BINARY | NO_INHERIT, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    for fd, to in ((0, devnull), (1, out), (2, out)):
        os.dup2(to, fd)
    from grader.sandbox.inside.zygote import preload
    preload(warm_optim=False)
    from grader.sandbox.inside.worker import Worker
    sys.path.insert(0, workdir)
    import torch
    torch.set_num_threads(int(spec.get("threads", 1)))
    Worker(req_fd, res_fd, workdir, spec["modules"]).serve()


if __name__ == "__main__":
    _where, sys.argv = sys.argv[1], ["python"]     # as in the sandbox: no arguments
    _serve(_where)
