"""The grading process (grader.engine.service): one way to grade, whoever the client. A failure
of the grading machinery costs that submission only, after one retry on a fresh zygote; a
notebook kernel's process answers every line, a broken one included."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from grader.engine import runner, service, serving
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
    assert serving.serve_lines(lines, answers) == 0
    ready, *got = [json.loads(line) for line in answers.getvalue().splitlines()]
    assert ready["ready"] is True and ready["layers"]       # the handshake comes first
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


# ----------------------------------------------------------------------------------------------
# the grading process's own side (serving.Serving): one loop, on a pipe as on JSON lines

class WarmZygote(FakeZygote):
    layers = ("no network",)

    def wait_ready(self):
        pass


def _graded_here(folder, zygote, request):
    from grader.engine.result import GradeResult
    return GradeResult(submission=str(folder), seed=request.seed,
                       exercises=list(request.exercises))


def _serve_pipe(conn):
    pages = []
    serving.Serving(WarmZygote(), WarmZygote, REQUEST, after=lambda result, message: pages.append(
        message["student"])).run(serving.PipeRequests(conn))
    conn.send({"pages": pages})     # after the loop: None ended it


def test_one_loop_serves_a_pipe_handshake_requests_and_its_end(monkeypatch):
    """A class run's grading process is the kernel's loop on a pipe: the handshake, a request's
    own answer (its id, the process's request where it names none, the name it gives), one it
    cannot read answered as such, and None ends it cleanly."""
    import multiprocessing
    monkeypatch.setattr(runner, "grade_submission", _graded_here)   # forked: inherited
    other = GradeRequest(exercises=("ex02",), checks="all", seed=5)
    child = service.Service(*service.start_process(multiprocessing.get_context("fork"),
                                                   _serve_pipe), grace=10)
    try:
        assert child.wait_ready(30) == {"ready": True, "layers": ["no network"]}
        first = child.ask({"submission": "alice/", "source": "alice.zip", "student": "alice"}, 30)
        assert first["ok"] and first["id"] is None
        assert first["result"]["submission"] == "alice.zip"
        assert first["result"]["exercises"] == ["ex01"] and first["result"]["seed"] == 0
        second = child.ask({"id": 4, "submission": "bob/", "request": other.to_dict(),
                            "student": "bob"}, 30)
        assert second["id"] == 4 and second["result"]["exercises"] == ["ex02"]
        assert second["result"]["submission"] == "bob/" and second["result"]["seed"] == 5
        assert child.ask({"id": 5, "student": "cleo"}, 30) == {
            "id": 5, "ok": False, "error": "KeyError: 'submission'"}
        child.ask_to_stop()                                  # None on the pipe
        assert child.reply(30) == {"pages": ["alice", "bob"]}
    finally:
        child.stop()
    assert child.exitcode == 0


def test_a_zygote_that_cannot_start_is_said_in_the_handshake_and_ends_the_loop():
    class Refused(WarmZygote):
        def wait_ready(self):
            raise RuntimeError("sandbox layers missing (GRADER_SANDBOX=strict):\n  OFF ...")
    zygote, answers = Refused(), io.StringIO()
    try:
        serving.Serving(zygote, Refused).run(serving.LineRequests(["{}\n"], answers))
    except RuntimeError:
        pass
    else:
        raise AssertionError("the loop went on")
    assert [json.loads(line) for line in answers.getvalue().splitlines()] == [
        {"ready": False, "error": "RuntimeError: sandbox layers missing "
                                  "(GRADER_SANDBOX=strict):\n  OFF ..."}]
    assert zygote.closed


def test_a_kernels_client_reads_a_failed_grading_as_one_line():
    result = service.error_result("alice/", REQUEST, "grading failed: OSError: no zygote\n"
                                                     "Traceback ...").to_dict()
    assert serving.grading_failed(result) == "OSError: no zygote"
    assert serving.grading_failed(_graded_here("a/", None, REQUEST).to_dict()) is None


HALVES = """
import json, sys, time
for line in sys.stdin:
    message = json.loads(line)
    if message.get("quit"):
        sys.exit(4)
    text = json.dumps({"id": message["id"]})
    print(text[:4], end="", flush=True)                     # half an answer, then the rest
    time.sleep(message.get("sleep", 0.5))
    print(text[4:], flush=True)
"""


def test_requests_side_by_side_are_answered_timed_out_or_ended_without_waiting():
    """What a class run's pool does with each of its grading processes: a request sent with
    its limit, then answer() looked at without waiting: None while within it (half a line
    kept for the next look), the answer, TimeoutError past the limit, EOFError once ended."""
    import time
    quick, slow = _json_child(HALVES), _json_child(HALVES)
    try:
        quick.request({"id": 1, "sleep": 0.5}, 30)
        slow.request({"id": 2, "sleep": 30}, 1.0)
        assert quick.answer() is None and slow.answer() is None
        time.sleep(0.2)
        assert quick.answer() is None                        # half of it came
        assert quick.answer(wait=10) == {"id": 1}
        try:
            slow.answer(wait=10)
        except TimeoutError as exc:
            assert str(exc) == "no answer within 1 s"
        else:
            raise AssertionError("no TimeoutError")
        quick.request({"quit": True}, 30)
        try:
            quick.answer(wait=10)
        except EOFError:
            pass
        else:
            raise AssertionError("no EOFError")
    finally:
        service.dropped(slow, hard=True)
        service.dropped(quick)
    assert slow.exitcode == -15 and quick.exitcode == 4      # SIGTERM; ended by itself


def test_a_class_runs_grading_process_that_ends_costs_its_submission_only(tmp_path, monkeypatch):
    """The local pool's restart: amy's grading process (the only one) ends while it grades her
    submission, the first (exit code 7); she gets that error, and the next two submissions are
    graded by a new process."""
    import os

    from grader.classroom import pool
    from grader.classroom.gradebook import Gradebook
    from grader.classroom.run import grade_class
    from tests.conftest import pinned_version
    if pool.start_method("cpu") != "fork":
        pytest.skip("the exit is planted by a monkeypatch that only forked grading processes "
                    "inherit; here they are spawned (a GPU is present)")
    real, ex01 = runner.grade_submission, "ex01_linear_model.py"

    def ends_on_amy(folder, *args, **kw):
        if "end the grader" in (Path(folder) / ex01).read_text():
            os._exit(7)
        return real(folder, *args, **kw)
    monkeypatch.setattr(runner, "grade_submission", ends_on_amy)   # forked: inherited
    monkeypatch.delenv("GRADER_START_METHOD", raising=False)
    reference = (ROOT / "solutions" / ex01).read_text()
    for student, text in (("amy", reference + "# end the grader\n"), ("bob", reference),
                          ("cat", reference)):
        (tmp_path / "c" / student).mkdir(parents=True)
        (tmp_path / "c" / student / ex01).write_text(text)
    with pinned_version("service-test"):
        run = grade_class(tmp_path / "c", db=tmp_path / "g.db", jobs=1, exercises=["ex01"],
                          device="cpu", timeout=120, progress=False)
        with Gradebook(tmp_path / "g.db") as book:
            results = {s: book.result(s) for s in ("amy", "bob", "cat")}
    assert results["amy"].score == 0 and results["amy"].errors == [
        "the grading process ended unexpectedly (exit code 7)"]
    assert all(results[s].score == results[s].max_score > 0 for s in ("bob", "cat"))
    assert run.graded == 3 and run.failed == 1


def _callers(name: str) -> set:
    """The grader's modules that call `name` (a function or class, by its name, or by the name
    a module imports it under: `from grader.sandbox import Zygote as Z` then `Z()`)."""
    import ast
    out = set()
    for path in sorted((ROOT / "grader").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        names = {name} | {alias.asname for node in ast.walk(tree)
                          if isinstance(node, ast.ImportFrom) for alias in node.names
                          if alias.name == name and alias.asname}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and names & {getattr(node.func, "id", None),
                                                       getattr(node.func, "attr", None)}:
                parts = path.relative_to(ROOT).with_suffix("").parts
                out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_a_submission_is_graded_once_or_in_the_grading_process_and_nowhere_else():
    """Issue 19's 'the same job written several times': a submission is graded on a zygote by
    grade_once (check, grade, Gradescope, and the kit's check without a sandbox, whose zygote
    is a PlainZygote given as its kind), and by the grading process's one loop (class runs, a
    Dask worker, a notebook kernel); the loop is started by the kernel's process and a class
    run's. A zygote that grades once is started and closed by started_zygote alone (grade_once,
    and the checks' `sub` fixture when pytest runs them directly); the grading process and a
    class run's pool start their own, which live as long as they do. A new copy of any of
    these fails here."""
    assert _callers("grade_submission") == {"grader.engine.runner", "grader.engine.serving"}
    assert _callers("grade_once") == {"grader.cli", "grader.instructor.gradescope",
                                      "grader.sandbox.plain"}
    assert _callers("Serving") == {"grader.engine.serving", "grader.classroom.process"}
    assert _callers("ready_message") == {"grader.engine.serving"}
    assert _callers("started_zygote") == {"grader.engine.runner", "grader.checks.conftest"}
    assert _callers("Zygote") == {"grader.engine.serving", "grader.classroom.pool"}
    assert _callers("PlainZygote") == set()
    assert _callers("Submission") == {"grader.engine.runner", "grader.checks.conftest"}


class KindOfZygote:
    """A zygote kind as grade_once takes one: what it was asked to warm, and what was done."""

    def __init__(self, warm_optim):
        self.warm_optim, self.ready, self.closed = warm_optim, False, False

    def wait_ready(self):
        self.ready = True

    def close(self):
        self.closed = True


def test_grade_once_grades_on_a_zygote_of_the_kind_it_is_given_and_closes_it(monkeypatch):
    """The one 'start a zygote, grade, close': its zygote of the kind given (the kit's check
    without a sandbox gives PlainZygote), warmed for torch.optim where the exercises train
    with it (ex06 does, ex01 does not), checked by `before` before any grading, closed after,
    and closed too where grading raises."""
    seen = []
    monkeypatch.setattr(runner, "grade_submission",
                        lambda path, zygote, request: seen.append(("graded", path)) or "result")
    result, zygote = runner.grade_once(
        "alice/", GradeRequest(exercises=("ex06",)), kind=KindOfZygote,
        before=lambda z: seen.append(("before", z.closed)))
    assert result == "result" and isinstance(zygote, KindOfZygote)
    assert seen == [("before", False), ("graded", "alice/")]
    assert zygote.warm_optim is True and zygote.ready and zygote.closed

    def broken(path, zygote, request):
        seen.append(zygote)
        raise RuntimeError("the machinery broke")
    monkeypatch.setattr(runner, "grade_submission", broken)
    with pytest.raises(RuntimeError, match="the machinery broke"):
        runner.grade_once("bob/", GradeRequest(exercises=("ex01",)), kind=KindOfZygote)
    failed = seen[-1]
    assert failed.warm_optim is False and failed.closed and not failed.ready


def test_the_kit_check_without_a_sandbox_grades_once_on_a_plain_zygote(monkeypatch):
    """grade_unsandboxed is grade_once with PlainZygote for its kind, inside the portable
    fallbacks' permission (grader.sandbox.portable.unsandboxed)."""
    from grader.sandbox import plain, portable
    asked = []
    monkeypatch.setattr(runner, "grade_once", lambda path, request, kind=None: asked.append(
        (path, request, kind, portable._ALLOWED[0])) or ("result", None))
    assert plain.grade_unsandboxed("alice/", REQUEST) == "result"
    assert asked == [("alice/", REQUEST, plain.PlainZygote, 1)]
