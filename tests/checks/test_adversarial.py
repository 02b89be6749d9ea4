"""Attacks on the grader: every file in tests/adversarial/ is graded as an ex01 submission and
must get exactly the verdict written here (the status of every check), with a clear message,
while the grader, the zygote and a neighbouring submission carry on unharmed.

A verdict that relies on a sandbox layer (`needs`) is skipped, with the reason, where that layer
is missing; `python -m grader grade` prints the layers a machine has (docs/security.md).
"""
from __future__ import annotations

import builtins
import dataclasses
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch

import grader.engine.compare.close
import grader.sandbox.protocol
from grader.engine.runner import grade_submission
from grader.sandbox import Limits, Submission, Zygote

ROOT = Path(__file__).resolve().parents[2]
ADVERSARIAL = ROOT / "tests" / "adversarial"
REFERENCE = (ROOT / "solutions" / "ex01_linear_model.py").read_text()
WHOLE_FILE = "# replaces the whole submission"
LIMITS = Limits(call_seconds=2, import_seconds=2, submission_seconds=60,
                result_bytes=32 * 1024**2)
MARKER = str(900_000 + os.getpid() % 90_000)  # `sleep MARKER`: a process to look for afterwards
TOKEN = secrets.token_hex(16)  # planted in the grader's environment and a root-only file

EVERYTHING = ("forward", "loss", "mse_for_weights", "forward_wb", "mse_surface", "best_weight")
TIE = "test_best_weight_first_on_tie"   # passes whenever the first weight wins a tie


@dataclass
class Expect:
    """fails: targets (every check of it) or parts of check ids that fail; every other check
    passes, except those named in `passes`. says: in the message of each failing check of the
    first entry of `fails` (a tuple: one of them). needs: sandbox layers, any one of which the
    verdict relies on ("contained": a uid or a pids cgroup of its own)."""

    fails: tuple = ()
    says: str | tuple = ""
    status: str = "failed"
    passes: tuple = ()
    uncounted: tuple = ()   # visible checks that pass but are not counted: their target's
    needs: tuple = ()       # hidden checks all fail (grader.engine.result.count_visible_checks)
    after: Callable | None = None
    keyword: str | None = None  # grade only the checks pytest -k selects (to save time)


def _no_leftover_process(result, ctx):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        assert cmdline[:2] != [b"sleep", MARKER.encode()], "a process of the submission survived"


def _outside_untouched(result, ctx):
    assert (ctx["outside"] / "gradebook.db").read_text() == "alice,42\n"
    assert (ctx["outside"] / "other_student" / "ex01_linear_model.py").exists()
    assert (ctx["other"] / "ex01_linear_model.py").read_text() == REFERENCE
    assert not (ROOT / "grader" / "injected.py").exists()


def _output_capped(result, ctx):
    assert result.stdout_chars >= 100_000_000       # 100 MB per call of loss, all counted
    assert 0 < len(result.stdout_sample) <= 2000     # only a sample kept


def _trusted_side_untouched(result, ctx):
    assert torch.get_default_dtype() == torch.float32
    assert torch.allclose is ctx["originals"]["torch.allclose"]
    assert np.allclose is ctx["originals"]["np.allclose"]


def _visible_only(result, ctx):
    """The visible checks' answers typed in earn nothing: no hidden check passes."""
    assert result.score == 0
    assert all("recorded answers" in c.message or     # a property check (the tie): until
               "not counted until the value checks" in c.message   # its value checks count
               for c in result.checks if c.visible and c.status == "not counted")


def _no_pickle_ran(result, ctx):
    assert not Path("/tmp/pwned-by-pickle").exists()


def _scratch_left_nothing(result, ctx):
    """The next submission on the same zygote finds none of the files, and none is left on
    the machine."""
    folder = ctx["folders"] / "scratch_reader"
    folder.mkdir(exist_ok=True)
    (folder / "ex01_linear_model.py").write_text(
        "import os\n"
        "def forward(x, w):\n"
        "    places = ('/tmp', '/dev/shm', os.environ.get('TMPDIR', '.'), '.')\n"
        "    return [os.path.join(p, n) for p in places for n in os.listdir(p)\n"
        "            if n.startswith('left-by-')]\n")
    with Submission(folder, ctx["zygote"], LIMITS) as sub:
        assert sub.call("ex01.forward", 1, 2) == []
    for place in ("/tmp", "/dev/shm"):
        assert f"left-by-{MARKER}" not in os.listdir(place)


def _said(result, text):
    assert any(text in note for note in result.notes), result.notes


def _text_is_data(result, ctx):
    """The student's text reaches every output made safe, and never as the grader's own line."""
    import json
    from grader.engine import report
    table = report.score_table(result)
    for text in (table, json.dumps(report.gradescope_json(result), ensure_ascii=False),
                 json.dumps(result.to_dict(), ensure_ascii=False)):
        assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
        text.encode("utf-8")  # no lone surrogate left
    for line in table.splitlines():
        assert not line.lstrip().startswith(("hint:", "note: every", "TOTAL 24"))
    assert all(not h.startswith("this submission") for c in result.checks for h in c.hints)


def _nothing_leaked(result, ctx):
    """The token planted in the grader's environment and in a root-only file outside the
    submission is in no output: report, Gradescope JSON, feedback page."""
    import json
    from grader.engine import report
    outputs = [report.score_table(result), json.dumps(report.gradescope_json(result)),
               json.dumps(result.to_dict())]
    try:
        from grader.classroom import feedback
        outputs.append(feedback.render_page(result, "mallory"))
    except ImportError:  # jinja2 not installed: no page to leak into
        pass
    for text in outputs:
        assert TOKEN not in text
    assert result.stdout_chars > 0  # it did print what it found


CASES = {
    # the file cannot be used at all
    "syntax_error": Expect(EVERYTHING, "SyntaxError: expected ':' (ex01_linear_model.py, line 3)"),
    "import_exception": Expect(EVERYTHING, "RuntimeError: boom at import"),
    "system_exit_at_import": Expect(EVERYTHING, "called sys.exit(0)"),
    # stopped in the import's own time, said in a note; the functions above it keep their
    # points (a loop the import cannot stop: tests/classroom/test_class_messages.py)
    "loop_at_import": Expect(after=lambda result, ctx: _said(result, "was stopped")),
    # wrong answers of every kind; a function that uses a broken one breaks too
    "missing_function": Expect(("best_weight",), "has no function or class named 'best_weight'"),
    "wrong_signature": Expect(("forward", "loss", "mse_for_weights", "best_weight"),
                              "forward() takes 1 positional argument but 2 were given"),
    "returns_none": Expect(("forward", "loss", "mse_for_weights", "best_weight"),
                           "returned None: is a `return` statement missing"),
    "returns_string": Expect(("loss", "mse_for_weights", "best_weight"), "got str"),
    "returns_list": Expect(("mse_for_weights",), "got list of length"),
    "wrong_shape": Expect(("mse_surface",), "rows and columns are swapped"),
    "wrong_tensor_shape": Expect(("test_forward_wb",),
                                 "returned a tensor of shape (1, "),
    "wrong_dtype": Expect(("test_forward_course", "test_loss_course",
                           "test_forward_random[float32", "test_loss_random[float32"),
                          "returned dtype float64, expected float32"),
    "wrong_device": Expect(("forward", "loss"), "the result could not be sent back"),
    "nan_result": Expect(("loss", "mse_for_weights", "best_weight"), "contains NaN",
                         passes=(TIE,)),
    "inf_result": Expect(("mse_for_weights", "best_weight"), "contains inf", passes=(TIE,)),
    "recursion": Expect(("forward", "loss", "mse_for_weights", "best_weight"), "RecursionError"),
    "deep_nesting": Expect(("forward_wb", "mse_surface", "best_weight"), "<generator"),
    "always_equal": Expect(("forward", "loss", "mse_for_weights", "best_weight"),
                           "AnythingObject"),
    "lying_tensor": Expect(("loss", "mse_for_weights", "best_weight")),
    # the input guard (grader/checks/calls.py) speaks before any value is compared
    "mutate_inputs": Expect(("loss", "mse_for_weights", "best_weight"),
                            "changed its argument x in place", passes=(TIE,)),
    "hardcoded_visible": Expect(("private/test_hidden.py",), after=_visible_only,
                                uncounted=("ships/test_visible.py",)),
    # time, memory, processes, output
    "loop_in_call": Expect(("mse_surface",), "timed out after 2 s"),
    "sleep_past_limit": Expect(("mse_surface",), "timed out after 2 s"),
    "sigstop_self": Expect(("mse_surface",), "timed out after 2 s",
                           keyword="surface_small_grid or forward_course"),
    "daemon_thread": Expect(()),
    "allocate_10gb": Expect(("mse_surface",), "can't allocate memory"),
    "fork_bomb": Expect(("test_forward_wb", "mse_surface"),
                        ("Resource temporarily unavailable", "timed out"),  # either, under load
                        needs=("contained",)),
    "print_100mb": Expect((), after=_output_capped),
    "write_fd1_100mb": Expect(("test_forward_wb", "mse_surface"), "File too large"),
    "subprocess_left_behind": Expect((), needs=("contained",), after=_no_leftover_process),
    # ending the process, or others
    "sys_exit_in_call": Expect(("forward", "loss", "mse_for_weights", "best_weight"),
                               "called sys.exit(3)"),
    "os_exit_in_call": Expect(("loss", "mse_for_weights", "best_weight"),
                              "ended during the call: exited with code 0"),
    "sigkill_self": Expect(("mse_for_weights", "best_weight"), "killed by SIGKILL"),
    "keyboard_interrupt": Expect(("test_forward_wb", "mse_surface"), "raised KeyboardInterrupt"),
    "kill_zygote": Expect(("forward", "loss", "mse_for_weights", "best_weight"),
                          "Operation not permitted", needs=("separate user",)),
    "kill_everything": Expect(("mse_surface",), "returned None", needs=("separate user",)),
    # tampering with what decides the grade
    "patch_torch": Expect(("forward", "loss", "mse_for_weights", "best_weight"),
                          "returned the wrong value", passes=(TIE,),
                          after=_trusted_side_untouched),
    "patch_numpy": Expect(("loss", "mse_for_weights"), "returned the wrong value",
                          after=_trusted_side_untouched),
    "patch_pytest": Expect(("mse_for_weights", "best_weight"), "returned the wrong value",
                           passes=(TIE,)),
    "patch_builtins": Expect(("test_forward_wb", "mse_surface"), "returned the wrong value"),
    "patch_grader": Expect(EVERYTHING),
    "global_state": Expect((), after=_trusted_side_untouched),
    # the worker's encoder is held apart: the patched grader.sandbox.protocol is a fresh copy
    # (or nothing), so every honest value is sent as it is; the source is flagged for review
    "forge_reply": Expect(()),
    "result_huge_length": Expect(("test_forward_wb", "mse_surface"), "result too large"),
    "result_bad_json": Expect(("test_forward_wb", "mse_surface"), "malformed header"),
    "result_pickle": Expect(("test_forward_wb", "mse_surface"), "not a result frame",
                            after=_no_pickle_ran),
    "result_bad_tensor": Expect(("test_forward_wb", "mse_surface"),
                                "tensor size does not match its shape"),
    "huge_result": Expect(("mse_surface",), "result too large"),
    # reaching outside its folder
    "read_solutions": Expect(EVERYTHING, "not started", status="not started",
                             needs=("read-only view",)),
    "read_hidden_checks": Expect((), needs=("read-only view",)),
    "write_outside": Expect((), needs=("read-only view", "separate user"),
                            after=_outside_untouched),
    "network": Expect((), needs=("no network",)),
    "import_installed_solutions": Expect(EVERYTHING, "not started", status="not started",
                                         needs=("read-only view",)),
    "steal_token": Expect(("loss", "mse_for_weights", "best_weight"),
                          needs=("separate user", "read-only view"), after=_nothing_leaked),
    # scratch space and the trusted side's own work
    "leave_in_scratch": Expect((), needs=("private scratch",), after=_scratch_left_nothing),
    "huge_list_under_cap": Expect(("mse_surface",), ("more than", "timed out")),  # under load
    # answers that are not numbers, text that is not safe
    "returns_bool": Expect(EVERYTHING, "a bool"),
    "hostile_text": Expect(("loss", "mse_for_weights", "best_weight"), "ValueError",
                           after=_text_is_data),
}


def test_every_adversarial_file_has_a_verdict():
    files = {p.stem for p in ADVERSARIAL.glob("*.py")}
    assert files == set(CASES)
    assert len(CASES) >= 30


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """A zygote of its own, a fake gradebook and another student's folder outside, a port the
    grading process listens on, and a neighbouring submission kept open through every case."""
    originals = {"torch.allclose": torch.allclose, "np.allclose": np.allclose,
                 "builtins.abs": builtins.abs, "assert_close": grader.engine.compare.close.assert_close,
                 "encode": grader.sandbox.protocol.encode}
    os.environ["GRADER_SECRET_TOKEN"] = TOKEN  # the zygote inherits it; no worker may see it
    zygote = Zygote()
    outside = tmp_path_factory.mktemp("outside")
    (outside / "root_only.txt").write_text(TOKEN)
    (outside / "root_only.txt").chmod(0o600)
    (outside / "gradebook.db").write_text("alice,42\n")
    (outside / "other_student").mkdir()
    (outside / "other_student" / "ex01_linear_model.py").write_text(REFERENCE)
    neighbour_dir = tmp_path_factory.mktemp("neighbour")
    (neighbour_dir / "ex01_linear_model.py").write_text(REFERENCE)
    # open through every case: its wall-time budget must outlast the whole module, which can
    # take minutes on a busy machine (it ran past 60 s under 12 parallel test processes)
    neighbour = Submission(neighbour_dir, zygote,
                           dataclasses.replace(LIMITS, submission_seconds=3600))
    assert neighbour.call("ex01.forward", 3.0, 2.0) == 6.0
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    layers = {layer.name: layer.on for layer in zygote.layers}
    # whatever a worker starts can be killed: by its own uid, or by its pids cgroup
    layers["contained"] = layers["separate user"] or bool(zygote.facts.get("pids_cgroup"))
    yield {"zygote": zygote, "outside": outside, "other": neighbour.workdir,
           "neighbour": neighbour, "port": server.getsockname()[1], "layers": layers,
           "originals": originals, "folders": tmp_path_factory.mktemp("subs")}
    server.close()
    neighbour.close()
    zygote.close()


def _source(name, ctx) -> str:
    text = (ADVERSARIAL / f"{name}.py").read_text()
    for key, value in (("__ROOT__", ROOT), ("__OUTSIDE__", ctx["outside"]),
                       ("__OTHER__", ctx["other"]), ("__PORT__", ctx["port"]),
                       ("__MARKER__", MARKER)):
        text = text.replace(key, str(value))
    return text if text.startswith(WHOLE_FILE) else REFERENCE + "\n\n" + text


def _matches(check, entry: str) -> bool:
    """A target name (exactly), else a part of the check's id."""
    return check.target == entry if entry in EVERYTHING else entry in check.nodeid


def _expected_status(check, expect: Expect) -> str:
    if check.visible and any(_matches(check, p) for p in expect.uncounted):
        return "not counted"
    if any(_matches(check, p) for p in expect.passes):
        if check.nodeid.endswith(TIE) and any(_matches(check, p) for p in expect.fails):
            return "not counted"  # a property a wrong best_weight may have: counted only
        return "passed"           # when its value checks pass
    if any(_matches(check, p) for p in expect.fails):
        return expect.status
    return "passed"


def _withheld_for_review(check, result, expected: str) -> bool:
    """A check that would pass, withheld because it read a fact measured in the worker of a
    submission whose source tampers (grader.engine.result.withhold_facts)."""
    return bool(result.tampering) and expected == "passed" and check.status == "withheld" \
        and check.facts


@pytest.mark.parametrize("name", sorted(CASES))
def test_adversarial_submission(name, ctx):
    expect = CASES[name]
    if expect.needs and not any(ctx["layers"][n] for n in expect.needs):
        pytest.skip(f"needs the sandbox layer {' or '.join(expect.needs)}, missing here (see "
                    f"`python -m grader grade`)")
    folder = ctx["folders"] / name
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(_source(name, ctx))
    result = grade_submission(folder, ctx["zygote"], exercises=["ex01"], seed=11, limits=LIMITS,
                              keyword=expect.keyword)
    assert not result.errors
    counted = [c for c in result.checks if c.counted]
    assert len(counted) >= (2 if expect.keyword else 18)
    wrong = [(c.nodeid, c.status, _expected_status(c, expect), c.message[:300])
             for c in counted if c.status != _expected_status(c, expect)
             and not _withheld_for_review(c, result, _expected_status(c, expect))]
    assert not wrong, wrong
    assert result.score == sum(c.points for c in counted if c.status == "passed")
    from tests.engine.test_tamper import ADVERSARIAL_EXPECTED
    assert bool(result.tampering) == ADVERSARIAL_EXPECTED[name][0], result.tampering
    if expect.says:
        first = expect.fails[0]
        attacked = [c for c in counted if _matches(c, first) and c.status != "passed"]
        assert attacked
        says = (expect.says,) if isinstance(expect.says, str) else expect.says
        assert any(text in attacked[0].message for text in says), attacked[0].message
        for c in attacked[1:]:   # a failed import is told in full once, then pointed to
            assert any(text in c.message for text in says) or \
                "reported above" in c.message, c.message
    if expect.after:
        expect.after(result, ctx)


def test_neighbour_and_trusted_side_unharmed(ctx):
    """After all of the above, on the same zygote: the submission opened before them still
    answers, its files are intact, a fresh reference still gets full marks, and nothing in this
    (trusted) process was patched."""
    neighbour = ctx["neighbour"]
    assert neighbour.call("ex01.forward", 3.0, 2.0) == 6.0
    assert neighbour.call("ex01.best_weight", [1.0, 2.0], [2.0, 4.0], [1.0, 2.0, 3.0]) == 2.0
    assert (neighbour.workdir / "ex01_linear_model.py").read_text() == REFERENCE
    folder = ctx["folders"] / "reference_after_all"
    folder.mkdir()
    (folder / "ex01_linear_model.py").write_text(REFERENCE)
    result = grade_submission(folder, ctx["zygote"], exercises=["ex01"], seed=11, limits=LIMITS)
    assert result.score == result.max_score > 0
    o = ctx["originals"]
    assert torch.allclose is o["torch.allclose"] and np.allclose is o["np.allclose"]
    assert builtins.abs is o["builtins.abs"]
    assert grader.engine.compare.close.assert_close is o["assert_close"]
    assert grader.sandbox.protocol.encode is o["encode"]
    assert torch.get_default_dtype() == torch.float32
    assert torch.is_grad_enabled()



HOSTILE_IN_CLASS = ("fork_bomb", "kill_everything", "kill_zygote", "write_outside",
                    "read_solutions", "network", "result_pickle", "forge_reply", "patch_grader",
                    "os_exit_in_call", "allocate_10gb", "loop_in_call")
WRONG_IN_CLASS = ("returns_none", "wrong_shape", "nan_result", "hardcoded_visible",
                  "missing_function", "wrong_dtype")


@pytest.mark.skipif(not os.environ.get("GRADER_CLASS_RUN"),
                    reason="a minute or more: GRADER_CLASS_RUN=1 runs it")
def test_class_run_keeps_every_row_right(tmp_path, ctx):
    """grade-class on 40 submissions: 16 references, 6 stubs, 6 wrong answers and 12 hostile
    ones, one of which tries to overwrite the gradebook being written. Every row of the
    gradebook is what its submission deserves (default limits: 10 s per call)."""
    from grader.classroom.run import grade_class
    from grader.classroom.gradebook import Gradebook
    cls = tmp_path / "class"
    class_ctx = dict(ctx, outside=tmp_path, other=cls / "ref00")
    (tmp_path / "other_student").mkdir()
    (tmp_path / "other_student" / "ex01_linear_model.py").write_text(REFERENCE)
    kinds = {f"ref{i:02d}": "reference" for i in range(16)}
    kinds.update({f"stub{i}": "stub" for i in range(6)})
    kinds.update({name: name for name in WRONG_IN_CLASS + HOSTILE_IN_CLASS
                  if not CASES[name].needs or any(ctx["layers"][n] for n in CASES[name].needs)})
    stub = (ROOT / "exercises" / "ex01_linear_model.py").read_text()
    for student, kind in kinds.items():
        text = {"reference": REFERENCE + f"\n# {student}\n", "stub": stub}.get(kind) or \
            _source(kind, class_ctx)
        (cls / student).mkdir(parents=True)
        (cls / student / "ex01_linear_model.py").write_text(text)
    run = grade_class(cls, db=tmp_path / "gradebook.db", jobs=2, exercises=["ex01"], seed=11,
                      progress=False)
    assert run.graded == len(kinds)
    with Gradebook(tmp_path / "gradebook.db") as book:
        results = book.results()
    assert set(results) == set(kinds)
    checks = [c for c in results["ref00"].checks if c.counted]
    for student, kind in kinds.items():
        if kind == "reference":
            want = sum(c.points for c in checks)
        elif kind == "stub":
            want = 0.0
        else:
            want = sum(c.points for c in checks if _expected_status(c, CASES[kind]) == "passed")
        assert results[student].score == want, (student, results[student].score, want)
        assert not results[student].errors, (student, results[student].errors)
    assert (tmp_path / "other_student" / "ex01_linear_model.py").read_text() == REFERENCE


@pytest.mark.skipif(not os.environ.get("GRADER_CLASS_RUN"),
                    reason="minutes: GRADER_CLASS_RUN=1 runs it")
def test_class_run_killed_three_times_ends_like_an_uninterrupted_one(tmp_path, ctx):
    """The same 40-submission class (12 hostile), graded by `grade-class` killed with SIGKILL
    three times at random moments and then run to the end, gives the gradebook of an
    uninterrupted run: same students, same scores, same status for every check."""
    import random
    import signal
    import subprocess
    import sys
    import time
    from grader.classroom.run import grade_class
    from grader.classroom.gradebook import Gradebook
    cls = tmp_path / "class"
    class_ctx = dict(ctx, outside=tmp_path, other=cls / "ref00")
    kinds = {f"ref{i:02d}": "reference" for i in range(22)}
    kinds.update({f"stub{i}": "stub" for i in range(6)})
    kinds.update({name: name for name in HOSTILE_IN_CLASS
                  if not CASES[name].needs or any(ctx["layers"][n] for n in CASES[name].needs)})
    stub = (ROOT / "exercises" / "ex01_linear_model.py").read_text()
    for student, kind in kinds.items():
        text = {"reference": REFERENCE + f"\n# {student}\n", "stub": stub}.get(kind) or \
            _source(kind, class_ctx)
        (cls / student).mkdir(parents=True)
        (cls / student / "ex01_linear_model.py").write_text(text)
    whole = tmp_path / "whole.db"
    grade_class(cls, db=whole, jobs=2, exercises=["ex01"], seed=11, progress=False)

    killed = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "grader", "grade-class", str(cls), "--db", str(killed),
           "--jobs", "2", "--exercises", "ex01", "--seed", "11", "--no-progress"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(4.0, 12.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr

    def rows(db):
        with Gradebook(db) as book:
            return {student: (r.score, sorted((c.nodeid, c.status) for c in r.checks))
                    for student, r in book.results().items()}
    a, b = rows(whole), rows(killed)
    assert set(a) == set(kinds)
    assert a == b
