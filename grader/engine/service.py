"""The grading process: a long-lived process that keeps one zygote (torch imported once, the
checks collected once) and grades one submission after another as its client hands them over.
One way to grade there, whoever the client: a class run's local pool and a Dask worker
(grader.classroom.process, over a multiprocessing pipe) and a notebook kernel (`serve` below,
one JSON line each way). A failure of the grading machinery itself costs that submission only:
the zygote is replaced, the submission graded once more, and if that fails too the result says
why (error_result), with zero points.

    result, zygote = grade_or_error("alice/", zygote, request, new_zygote=Zygote)

The client's side is one life cycle too (`Service`): the start (`start_process`: fork or
spawn, on a pipe; `start_with_socket`: a command on a socket pair; `start_json_lines`: a
command's stdin and stdout), the handshake, a request with a time limit, a restart after it
ended or failed (`running`, `dropped`), and the shutdown (ask it to finish, wait, kill).

    service = Service(*start_process(ctx, target), ending="terminate", grace=5)
    service.wait_ready(300)                       # {"ready": True, "layers": [...]}
    answer = service.ask({"student": ...}, 600)   # TimeoutError past 600 s, EOFError if it ended
    service.stop()                                # SIGTERM, 5 s, then SIGKILL
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import traceback

from grader.engine.request import GradeRequest
from grader.engine.result import GradeResult

GRADING_FAILED = "grading failed: "


def error_result(source, request: GradeRequest, message) -> GradeResult:
    """A submission that could not be graded: no checks, zero points, the reason in errors."""
    return GradeResult(submission=str(source), seed=request.seed,
                       exercises=list(request.exercises), errors=[message])


def grade_or_error(folder, zygote, request: GradeRequest, new_zygote):
    """(result, zygote): the submission at `folder` graded on `zygote`; when the grading
    machinery itself fails, on a fresh zygote (`new_zygote()`) once more, and after a second
    failure an error_result. Never raises for a submission."""
    from grader.engine.runner import grade_submission
    for attempt in (1, 2):
        try:
            return grade_submission(folder, zygote, request), zygote
        except Exception as exc:  # noqa: BLE001 - anything: this submission only
            try:
                zygote.close()
            except Exception:  # noqa: BLE001
                pass
            zygote = new_zygote()
            if attempt == 2:
                return error_result(folder, request,
                                    f"{GRADING_FAILED}{type(exc).__name__}: {exc}\n"
                                    + traceback.format_exc()[-1500:]), zygote


def serve(lines=None, answers=None) -> int:
    """`python -m grader.notebook serve`, a notebook kernel's grading process: answer grading
    requests ({"id", "submission", "request"}), one JSON line each, until its input closes:
    {"id", "ok": True, "result"} or {"id", "ok": False, "error"} for a request it could not
    read or a submission it could not grade."""
    if answers is None:
        answers = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # stray prints must not mix with answers
        sys.stdout = sys.stderr
    lines = sys.stdin if lines is None else lines
    import warnings
    warnings.simplefilter("ignore")
    from grader.sandbox import Zygote
    zygote = Zygote()   # first: it imports torch while this process does the same
    try:
        for line in lines:
            req = None
            try:
                req = json.loads(line)
                request = GradeRequest.from_dict(req["request"])
                submission = req["submission"]
            except Exception as exc:  # noqa: BLE001 - the kernel shows it as a failed cell
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            else:
                result, zygote = grade_or_error(submission, zygote, request, Zygote)
                failed = [e for e in result.errors if e.startswith(GRADING_FAILED)]
                answer = {"ok": False, "error": failed[0][len(GRADING_FAILED):].splitlines()[0]} \
                    if failed else {"ok": True, "result": result.to_dict()}
            answer["id"] = req.get("id") if isinstance(req, dict) else None
            answers.write(json.dumps(answer) + "\n")
    finally:
        zygote.close()
    return 0


def ready_message(zygote) -> dict:
    """The grading process's side of the handshake, once its zygote is warm: {"ready": True,
    "layers": the sandbox layers it measured}, or {"ready": False, "lacking": [...]} where the
    zygote lacks a layer its owner requires (then it grades nothing)."""
    from grader.sandbox import LayersMissing
    try:
        zygote.wait_ready()
    except LayersMissing as exc:
        return {"ready": False, "lacking": exc.lacking}
    return {"ready": True, "layers": list(zygote.layers)}


# ----------------------------------------------------------------------------------------------
# the client's side: one life cycle, whatever carries the messages

def read_line(recv, buf: bytes = b"", limit: int | None = None) -> tuple[bytes | None, bytes]:
    """(line, rest): the bytes before the first newline of `buf` and what `recv()` gives next
    (b"" once the other side has closed), and the bytes after it. (None, what came) where the
    other side closed before a newline, or sent more than `limit` bytes without one. recv
    raises where it waits too long.

        read_line(lambda: sock.recv(1 << 16), limit=1 << 20)   # (b'{"passed": true}', b'')
    """
    while b"\n" not in buf:
        if limit is not None and len(buf) > limit:
            return None, buf
        chunk = recv()
        if not chunk:
            return None, buf
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line, rest


class Pipe:
    """Messages as Python values over a multiprocessing Connection (a pipe, or a socket pair
    wrapped in one); None asks the grading process to finish."""

    def __init__(self, conn):
        self.conn = conn

    def send(self, message) -> None:
        self.conn.send(message)

    def recv(self, timeout: float):
        if not self.conn.poll(max(0.0, timeout)):
            raise TimeoutError
        return self.conn.recv()          # EOFError: it ended

    def end(self) -> None:
        self.conn.send(None)

    def close(self) -> None:
        self.conn.close()


class JsonLines:
    """One JSON object a line on a child's stdin and stdout (subprocess.PIPE both); closing
    its input asks it to finish."""

    def __init__(self, stdin, stdout):
        self.stdin, self.fd, self.buf = stdin, stdout.fileno(), b""

    def send(self, message) -> None:
        self.stdin.write((json.dumps(message) + "\n").encode())
        self.stdin.flush()

    def recv(self, timeout: float):
        deadline = time.monotonic() + timeout

        def chunk():
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError
            return os.read(self.fd, 1 << 16)
        line, self.buf = read_line(chunk, self.buf)
        if line is None:
            raise EOFError("the grading process ended")
        return json.loads(line)

    def end(self) -> None:
        self.stdin.close()

    def close(self) -> None:
        self.stdin.close()


class Service:
    """A grading process seen from its client: `proc` (a multiprocessing.Process or a
    subprocess.Popen, started as the client needs) and `channel` (Pipe or JsonLines).

    ending: how it is asked to finish: "message" (the channel's end: None on a pipe, its input
    closed for JSON lines) or "terminate" (SIGTERM: it kills its zygote's workers and leaves);
    then it has `grace` seconds (`hard_grace` after SIGTERM) before it is killed."""

    def __init__(self, proc, channel, *, ending: str = "message", grace: float = 10.0,
                 hard_grace: float = 3.0):
        self.proc, self.channel = proc, channel
        self.ending, self.grace, self.hard_grace = ending, grace, hard_grace
        self.layers = None      # the sandbox's measured layers, once it says it is ready
        self.asked = False      # asked to finish

    def alive(self) -> bool:
        if isinstance(self.proc, subprocess.Popen):
            return self.proc.poll() is None
        return self.proc.is_alive()

    @property
    def exitcode(self):
        return self.proc.returncode if isinstance(self.proc, subprocess.Popen) \
            else self.proc.exitcode

    def wait_ready(self, timeout: float) -> dict:
        """The handshake: its first message, {"ready": True, "layers": [...]} once warm
        (ready_message); TimeoutError where none comes within `timeout` seconds."""
        ready = self.reply(timeout)
        if ready.get("ready"):
            self.layers = ready["layers"]
        return ready

    def send(self, message) -> None:
        self.channel.send(message)

    def reply(self, timeout: float):
        """Its next message; TimeoutError after `timeout` seconds, EOFError if it ended."""
        try:
            return self.channel.recv(timeout)
        except TimeoutError:
            raise TimeoutError(f"no answer within {timeout:g} s") from None

    def ask(self, message, timeout: float, answers=lambda answer: True):
        """Send `message`, then its answer: the first message within `timeout` seconds of
        which answers(message) holds (others are dropped)."""
        self.send(message)
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = self.channel.recv(deadline - time.monotonic())
            except TimeoutError:
                raise TimeoutError(f"no answer within {timeout:g} s") from None
            if answers(answer):
                return answer

    def ask_to_stop(self, hard: bool = False) -> None:
        """Ask it to finish (hard, or ending "terminate": SIGTERM), without waiting."""
        try:
            if hard or self.ending == "terminate":
                self.proc.terminate()
            else:
                self.channel.end()
        except (OSError, ValueError):
            pass
        self.asked = True

    def stop(self, hard: bool = False) -> None:
        """Ask it to finish (unless asked already), wait its grace, kill it if it is still
        there, and close the channel."""
        if not self.asked:
            self.ask_to_stop(hard)
        self._wait(self.hard_grace if hard else self.grace)
        if self.alive():
            self.kill()
            self._wait(5)
        try:
            self.channel.close()
        except (OSError, ValueError):
            pass

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass

    def _wait(self, seconds: float) -> None:
        try:
            if isinstance(self.proc, subprocess.Popen):
                self.proc.wait(seconds)
            else:
                self.proc.join(seconds)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass


# the start, one per transport: (the process, its channel), for Service(proc, channel, ...)

def start_process(ctx, target, args=()) -> tuple:
    """A multiprocessing child (ctx: fork or spawn) running target(conn, *args), its messages
    on a pipe."""
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=target, args=(theirs, *args), daemon=True)
    proc.start()
    theirs.close()
    return proc, Pipe(ours)


def start_with_socket(argv_of, popen=subprocess.Popen, **options) -> tuple:
    """A command handed one end of a socket pair (argv_of(fd): its command line), its
    messages on that socket; `popen` starts it (e.g. from a thread of its own)."""
    import socket
    from multiprocessing.connection import Connection
    ours, theirs = socket.socketpair()
    try:
        proc = popen(argv_of(theirs.fileno()), pass_fds=[theirs.fileno()], **options)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return proc, Pipe(Connection(ours.detach()))


def start_json_lines(argv, **options) -> tuple:
    """A command reading JSON lines on its stdin and answering on its stdout."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, **options)
    return proc, JsonLines(proc.stdin, proc.stdout)


def running(service: Service | None, start) -> Service:
    """The restart: `service` while its process runs, else a new one, `start()` (the old one,
    which ended, is closed)."""
    if service is not None and service.alive():
        return service
    dropped(service)
    return start()


def dropped(service: Service | None, kill: bool = False) -> None:
    """Stop `service` after a failure (kill: at once, e.g. it hangs or was interrupted); None
    to keep in its place, so that the next call starts a new one (running)."""
    if service is None:
        return None
    if kill:
        service.kill()
    try:
        service.stop()
    except Exception:  # noqa: BLE001 - gone already
        pass
    return None
