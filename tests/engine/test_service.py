"""The grading process (grader.engine.service): one way to grade, whoever the client. A failure
of the grading machinery costs that submission only, after one retry on a fresh zygote; a
notebook kernel's process answers every line, a broken one included."""
from __future__ import annotations

import io
import json
from pathlib import Path

from grader.engine import runner, service
from grader.engine.request import GradeRequest

ROOT = Path(__file__).resolve().parents[2]
REQUEST = GradeRequest(exercises=("ex01",), checks="visible", targets=("forward",), seed=0)


class FakeZygote:
    made = 0

    def __init__(self):
        FakeZygote.made += 1
        self.closed = False

    def close(self):
        self.closed = True


def test_a_failure_of_the_machinery_is_retried_once_on_a_fresh_zygote(monkeypatch):
    calls = []

    def flaky(folder, zygote, request):
        calls.append(zygote)
        if len(calls) == 1:
            raise BrokenPipeError("the zygote went away")
        return "graded"
    monkeypatch.setattr(runner, "grade_submission", flaky)
    first = FakeZygote()
    result, zygote = service.grade_or_error("alice/", first, REQUEST, FakeZygote)
    assert result == "graded" and first.closed and zygote is calls[1] is not first


def test_a_second_failure_is_the_submissions_error_with_zero_points(monkeypatch):
    def broken(folder, zygote, request):
        raise RuntimeError("no worker could start")
    monkeypatch.setattr(runner, "grade_submission", broken)
    result, zygote = service.grade_or_error("alice/", FakeZygote(), REQUEST, FakeZygote)
    assert result.score == 0 and not result.checks and not zygote.closed
    assert result.errors[0].startswith("grading failed: RuntimeError: no worker could start")


def test_a_notebook_kernels_grading_process_answers_every_line():
    lines = ["not json\n",
             json.dumps({"id": 2, "submission": str(ROOT / "solutions"),
                         "request": REQUEST.to_dict()}) + "\n",
             json.dumps({"id": 3, "request": REQUEST.to_dict()}) + "\n"]
    answers = io.StringIO()
    assert service.serve(lines, answers) == 0
    got = [json.loads(line) for line in answers.getvalue().splitlines()]
    assert [a["id"] for a in got] == [None, 2, 3]
    assert not got[0]["ok"] and "JSONDecodeError" in got[0]["error"]
    assert got[1]["ok"] and got[1]["result"]["checks"]
    assert {c["status"] for c in got[1]["result"]["checks"]} <= {"passed", "skipped"}
    assert not got[2]["ok"] and "submission" in got[2]["error"]


def test_a_failed_check_and_not_started_read_the_same_wherever_a_student_reads_them():
    """One rendering per audience, sharing how a failed check and a stub not started are
    shown: `check` (check_report), a notebook cell (target_report), the score table."""
    from grader.engine import report
    from grader.engine.result import CheckResult, GradeResult
    message = "\n".join(f"line {i}" for i in range(30))
    failed = CheckResult(nodeid="a", exercise="ex01", target="forward", title="is linear",
                         params="", points=1.0, visible=True, status="failed", message=message,
                         seconds=0.0)
    waiting = CheckResult(nodeid="b", exercise="ex02", target="cost", title="is the mean",
                          params="", points=1.0, visible=True, status="not started",
                          message="", seconds=0.0)
    result = GradeResult(submission="s", seed=0, exercises=["ex01", "ex02"],
                         checks=[failed, waiting])
    shown = [report.check_report(result),
             report.target_report(GradeResult(submission="s", seed=0, exercises=["ex01"],
                                              checks=[failed]), "ex01", "forward", "visible")[1],
             report.score_table(result)]
    for text in shown:
        kept = [n for n in range(30) if f"line {n}\n" in text + "\n"]
        assert kept == list(range(report.SHOWN_LINES)), text
    assert "ex02: not started" in shown[0] and "not started" in shown[2]
    ok, text = report.target_report(GradeResult(submission="s", seed=0, exercises=["ex02"],
                                                 checks=[waiting]), "ex02", "cost", "visible")
    assert not ok and "not started" in text


def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path):
    """`check` on a folder that is not there, a sandbox the instructor asked for that cannot be
    had: one error line and exit 2, no traceback; --version answers."""
    import os
    import subprocess
    import sys

    def run(*args, **env):
        return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env})
    missing = run("check", "--submission", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: no such folder")
    refused = run("check", "ex01", "--submission", "solutions", GRADER_SANDBOX="off")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "error: sandbox mode 'off' (GRADER_SANDBOX): use one of auto, strict, bwrap, unshare, "
        "basic"]
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("torchdrills 0.")


# ----------------------------------------------------------------------------------------------
# the client's side of a grading process (service.Service): one life cycle for the local pool,
# the Dask worker and the notebook kernel, here with small stand-in children

ECHO = """
import json, sys, time
for line in sys.stdin:
    message = json.loads(line)
    if message.get("sleep"):
        time.sleep(message["sleep"])
    if message.get("quit"):
        sys.exit(3)
    print(json.dumps({"id": -1}), flush=True)               # an answer to no one
    print(json.dumps({"id": message["id"], "echo": message["x"]}), flush=True)
"""


def _json_child(code=ECHO):
    import sys
    return service.Service(*service.start_json_lines([sys.executable, "-c", code]), grace=10)


def test_a_request_gets_its_own_answer_within_its_time_limit():
    child = _json_child()
    try:
        mine = lambda answer: answer["id"] == 7   # noqa: E731
        assert child.ask({"id": 7, "x": "a"}, 30, answers=mine) == {"id": 7, "echo": "a"}
        try:
            child.ask({"id": 8, "x": "b", "sleep": 1}, 0.3)
        except TimeoutError as exc:
            assert str(exc) == "no answer within 0.3 s"
        else:
            raise AssertionError("no TimeoutError")
    finally:
        child.stop()
    assert child.exitcode == 0          # its input closed: it ended by itself, not killed


def test_a_grading_process_that_ended_says_so_and_running_starts_another():
    import time
    first = _json_child()
    try:
        first.ask({"id": 1, "quit": True}, 30)
    except EOFError:
        pass
    else:
        raise AssertionError("no EOFError")
    deadline = time.monotonic() + 10
    while first.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.exitcode == 3
    second = service.running(first, _json_child)
    assert second is not first and service.running(second, _json_child) is second
    assert second.ask({"id": 2, "x": "c"}, 30, answers=lambda a: a["id"] == 2)["echo"] == "c"
    assert service.dropped(second, kill=True) is None and second.exitcode == -9


def _ignores_sigterm(conn):
    import signal
    import time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    conn.send({"ready": True, "layers": ["no network"]})
    while conn.recv() is not None:
        time.sleep(30)


def test_the_handshake_then_a_process_that_will_not_stop_is_killed_after_its_grace():
    import multiprocessing
    import time
    proc, pipe = service.start_process(multiprocessing.get_context("fork"), _ignores_sigterm)
    child = service.Service(proc, pipe, ending="terminate", grace=0.5)
    assert child.wait_ready(30) == {"ready": True, "layers": ["no network"]}
    assert child.layers == ["no network"]
    started = time.monotonic()
    child.stop()                         # SIGTERM, ignored: killed after 0.5 s
    assert not child.alive() and child.exitcode == -9
    assert 0.4 < time.monotonic() - started < 5 and pipe.conn.closed


def _serve_on(argv):
    """A stand-in for a Dask worker's grading process: argv[1] is its socket."""
    from multiprocessing.connection import Connection
    conn = Connection(int(argv[1]))
    conn.send({"ready": False, "lacking": ["no network"]})
    conn.recv()


def test_a_command_on_a_socket_pair_is_started_by_whoever_the_caller_names():
    import sys
    started = []

    def popen(argv, **options):
        import subprocess
        started.append(argv)
        return subprocess.Popen(argv, **options)
    code = "import sys; from tests.engine.test_service import _serve_on; _serve_on(sys.argv)"
    child = service.Service(*service.start_with_socket(
        lambda fd: [sys.executable, "-c", code, str(fd)], popen=popen, cwd=str(ROOT)),
        ending="terminate", grace=5)
    try:
        assert child.wait_ready(60) == {"ready": False, "lacking": ["no network"]}
        assert child.layers is None and len(started) == 1
    finally:
        child.stop()
    assert child.exitcode is not None
