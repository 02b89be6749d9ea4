"""One forked worker, seen from the trusted side: its pid in the zygote, the two pipes to it,
and how it ended.

A Submission (grader.sandbox.submission) holds one at a time: it sends a request frame down
the request pipe with `send`, reads the reply frame from `res_r` (protocol.read_exact, with the
call's deadline), and `kill`s the worker when a call times out, crashes or sends back garbage,
or when the submission is closed.
"""
from __future__ import annotations

import os
import select
import signal
import time

from grader.sandbox.portable import BINARY, binary, close_pipe, describe_exit, selectable_pipes, \
    wait_statuses, write_within


class WorkerProcess:
    """One forked worker and the two pipes to it."""

    def __init__(self, zygote, spec: dict):
        self.uid = spec.get("uid")
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        if BINARY:   # Windows: the frames are bytes, no line ends translated
            for fd in (req_r, self.req_w, self.res_r, res_w):
                binary(fd)
        try:
            self.pid = zygote.request(dict(spec, op="spawn"), fds=[req_r, res_w])["pid"]
        finally:
            os.close(req_r)
            os.close(res_w)
        self.zygote = zygote
        self.generation = getattr(zygote, "restarts", 0)  # pids are only valid in this zygote
        self.alive = True

    def send(self, frame: bytes, deadline: float):
        if not selectable_pipes():   # Windows, in a student's own check only: a thread waits
            return write_within(self.req_w, frame, deadline)
        view = memoryview(frame)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.req_w], [], left)[1]:
                raise TimeoutError
            try:
                n = os.write(self.req_w, view[:1 << 16])
            except BrokenPipeError:
                raise EOFError from None
            view = view[n:]

    def kill(self, settle: float = 0.05) -> str:
        """Kill the worker and its whole process group; say how it had ended if it had."""
        if not self.alive:
            return ""
        self.alive = False
        status = None
        try:
            if getattr(self.zygote, "restarts", 0) != self.generation:  # died with its zygote
                if self.uid is not None:
                    self.zygote.request({"op": "kill", "pid": None, "uid": self.uid})
                raise RuntimeError("the zygote was replaced")
            status = self.zygote.request({"op": "status", "pid": self.pid,
                                          "wait": settle})["status"]
            self.zygote.request({"op": "kill", "pid": self.pid, "uid": self.uid})
            if status is None:
                status = self.zygote.request({"op": "status", "pid": self.pid,
                                              "wait": 1.0})["status"]
        except (OSError, RuntimeError):
            pass
        for fd in (self.req_w, self.res_r):
            if not selectable_pipes():   # threads may still be waiting on it (portable)
                close_pipe(fd)
                continue
            try:
                os.close(fd)
            except OSError:
                pass
        return _describe_status(status)


def _describe_status(status) -> str:
    if status is None:
        return ""
    if not wait_statuses():   # Windows: no os.WIFSIGNALED
        return describe_exit(status)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        extra = {"SIGXCPU": " (the CPU-time limit)", "SIGKILL": " (killed: out of memory, or by "
                 "the code itself)", "SIGSEGV": " (a crash in native code)"}.get(name, "")
        return f"killed by {name}{extra}"
    if os.WIFEXITED(status):
        return f"exited with code {os.WEXITSTATUS(status)} (sys.exit or os._exit)"
    return ""
