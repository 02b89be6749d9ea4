"""The grading process seen from its client: a long-lived process that keeps one zygote (torch
imported once, the checks collected once) and grades one submission after another as its
client hands them over. Its own side, one loop whoever the client, is grader.engine.serving; a
class run's local pool and a Dask worker (grader.classroom.process) and a notebook kernel
(grader.notebook) are its clients, and this is their one life cycle (`Service`): the start
(`start_process`: fork or spawn, on a pipe; `start_with_socket`: a command on a socket pair;
`start_json_lines`: a command's stdin and stdout), the handshake, a request with a time limit,
a restart after it ended or failed (`running`, `dropped`), and the shutdown (ask it to finish,
wait, kill).

    service = Service(*start_process(ctx, target), ending="terminate", grace=5)
    service.wait_ready(300)                         # {"ready": True, "layers": [...]}
    answer = service.ask({"submission": ...}, 600)  # TimeoutError past 600 s, EOFError: ended
    service.stop()                                  # SIGTERM, 5 s, then SIGKILL

Several side by side (a class run's pool), each request is sent with its time limit and its
answer looked for without waiting:

    service.request({"submission": ...}, 600)
    service.answer()                                # None for now; TimeoutError, EOFError
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import time

# the grading process's side: a result that says why it was not graded, named from here too
from grader.engine.serving import error_result, grade_or_error  # noqa: F401

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
        while b"\n" not in self.buf:    # what came of a line stays for the next call
            left = max(0.0, deadline - time.monotonic())
            if not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise EOFError("the grading process ended")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
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
        self.asked_for = None   # the request in flight: (deadline, its limit, answers)

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
        self.request(message, timeout, answers)
        answer = self.answer(timeout)
        if answer is None:
            raise TimeoutError(f"no answer within {timeout:g} s")
        return answer

    def request(self, message, timeout: float, answers=lambda answer: True) -> None:
        """Send `message`, its time limit starting now; answer() gives its answer (ask() waits
        for it)."""
        self.send(message)
        self.asked_for = (time.monotonic() + timeout, timeout, answers)

    def answer(self, wait: float = 0.0):
        """The answer to the request in flight (the first message that its `answers` holds
        for), or, where none is in flight, its next message (the handshake); None where none
        has come within `wait` seconds. TimeoutError once the request's time limit has passed
        ("no answer within 600 s"), EOFError where the process ended."""
        deadline, limit, answers = self.asked_for or (None, None, lambda answer: True)
        until = time.monotonic() + wait
        while True:
            left = until - time.monotonic()
            if deadline is not None:
                left = min(left, deadline - time.monotonic())
            message = ended = None
            try:
                message = self.channel.recv(max(0.0, left))
            except TimeoutError:
                pass
            except EOFError as exc:
                ended = exc
            if message is None:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"no answer within {limit:g} s")
                if ended is not None:
                    raise ended
                if not self.alive():
                    raise EOFError("the grading process ended")
                if time.monotonic() >= until:
                    return None
            elif answers(message):
                self.asked_for = None
                return message

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


def dropped(service: Service | None, kill: bool = False, hard: bool = False) -> None:
    """Stop `service` after a failure (kill: at once, e.g. it hangs or was interrupted; hard:
    SIGTERM, e.g. past a time limit); None to keep in its place, so that the next call starts
    a new one (running)."""
    if service is None:
        return None
    if kill:
        service.kill()
    try:
        service.stop(hard)
    except Exception:  # noqa: BLE001 - gone already
        pass
    return None
