"""The engine end to end: the references score full marks, the stubs zero, without a crash."""
import os
import subprocess
import sys

from grader.instructor.build import build, make_stub, regions, SOLUTIONS
from grader.cli import main
from grader.exercises import EXERCISES

from tests.conftest import ROOT


def test_generated_files_are_up_to_date():
    assert build(check=True) == [], "run `python -m grader build` and commit the result"


def test_stubs_hold_no_solution_line_and_keep_signatures():
    import ast
    for path in sorted(SOLUTIONS.glob("ex*.py")):
        ex = path.name[:4]
        source = path.read_text()
        stub = (ROOT / "exercises" / path.name).read_text()
        assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
        for r in regions(source):
            body = source.splitlines()[r.start + 1:r.end]
            for line in body:
                if line.strip() and not line.strip().startswith("#") and len(line.strip()) > 12:
                    assert line not in stub.splitlines(), f"{path.name}: solution line in stub: " \
                                                           f"{line.strip()}"
            assert f'NotImplementedError("{ex}.{r.owner}: not started")' in stub

        def signatures(text):
            tree = ast.parse(text)
            return {n.name: ast.dump(n.args) for n in ast.walk(tree)
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and
                    not n.name.startswith("_")
                    and isinstance(n, ast.FunctionDef)}
        assert signatures(source) == signatures(stub)


def test_make_stub_replaces_region_with_named_todo():
    src = 'def f(x):\n    """doc"""\n    ### BEGIN SOLUTION\n    # HINT: double it\n' \
          '    return 2 * x\n    ### END SOLUTION\n'
    stub = make_stub(src, "ex99")
    assert "return 2 * x" not in stub
    assert "# TODO ex99.f: double it" in stub
    assert 'raise NotImplementedError("ex99.f: not started")' in stub
    assert '"""doc"""' in stub


def test_grade_references_full_marks(zygote):
    from grader.engine.runner import grade_submission
    result = grade_submission(ROOT / "solutions", zygote, seed=99)
    bad = [(c.name, c.message) for c in result.checks if c.status not in ("passed", "skipped")]
    assert not bad, bad
    assert result.score == result.max_score > 0
    assert not result.errors


def test_grade_stubs_zero_and_not_started(zygote):
    from grader.engine.runner import grade_submission
    result = grade_submission(ROOT / "exercises", zygote, seed=99)
    assert result.score == 0 and result.max_score > 0
    statuses = {c.status for c in result.checks if c.counted}
    assert statuses == {"not started"}, statuses
    assert not result.errors


def test_cli_grade_prints_table_and_json(tmp_path, capsys):
    import json
    out = tmp_path / "results.json"
    assert main(["grade", str(ROOT / "solutions"), "--exercises", "ex01", "--json", str(out),
                 "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "ex01 linear model" in text and "total" in text
    data = json.loads(out.read_text())
    assert sum(t["score"] for t in data["tests"]) > 0 and "score" not in data
    assert {"name", "score", "max_score", "output", "visibility"} <= set(data["tests"][0])
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_published"}


def test_cli_missing_file_scores_zero_with_a_line(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ex01_linear_model.py").write_text(
        (ROOT / "solutions" / "ex01_linear_model.py").read_text())
    assert main(["grade", str(tmp_path / "sub"), "--exercises", "ex01,ex02", "--brief"]) == 0
    text = capsys.readouterr().out
    assert "no file ex02_gradient_descent.py" in text


def test_python_dash_m_grader_runs():
    out = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0 and "grade" in out.stdout


def test_python_dash_m_grader_flushes_output_and_keeps_the_exit_code(tmp_path):
    """`python -m grader` leaves with os._exit (no slow teardown): what it printed must still
    arrive through a pipe, and its exit code must be main()'s."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # block-buffered
    out = subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "solutions"),
                          "--exercises", "ex01", "--device", "cuda", "--brief"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().splitlines()[-1].startswith("(")    # the table's last line
    assert "total" in out.stdout
    import torch
    if not torch.cuda.is_available():
        assert "--device cuda, but CUDA is not available on this machine" in out.stderr
    missing = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "nope")],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert missing.returncode == 2 and "no such submission" in missing.stderr


def test_every_exercise_registered_once():
    assert len(set(EXERCISES.values())) == len(EXERCISES) == 12


def test_grading_from_a_script_outside_the_repo(tmp_path):
    """A script in /tmp puts /tmp on sys.path; the sandbox must still give workers their
    writable folder (the spool lives under /tmp too)."""
    script = tmp_path / "grade_it.py"
    script.write_text(
        "from grader.sandbox import Zygote\n"
        "from grader.engine.runner import grade_submission\n"
        "z = Zygote(warm_optim=False)\n"
        f"r = grade_submission({str(ROOT / 'solutions')!r}, z, exercises=['ex01'], seed=5)\n"
        "print(r.score, r.max_score)\n"
        "z.close()\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={**__import__('os').environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    score, max_score = out.stdout.split()
    assert float(score) == float(max_score) > 0, out.stdout + out.stderr


def test_build_check_tells_float32_noise_from_a_changed_reference():
    """`build --check` passes a machine's last-bit differences of a float32 training run (seen
    across processors and torch versions) and fails a reference that really changed."""
    import json
    from grader.instructor.build import _same_expected
    recorded = json.dumps({"no_zero": [0.0010584558, 0.52, 7.0735e-05]})
    other_machine = json.dumps({"no_zero": [0.0010588634, 0.52000003, 7.0750e-05]})
    changed = json.dumps({"no_zero": [0.0010584558, 0.521, 7.0735e-05]})
    longer = json.dumps({"no_zero": [0.0010584558, 0.52, 7.0735e-05, 0.1]})
    assert _same_expected(recorded, other_machine)
    assert not _same_expected(recorded, changed)
    assert not _same_expected(recorded, longer)


def test_a_tuple_mistake_is_named_only_when_the_result_shows_it_in_full():
    """(w, w) agrees with "w and b swapped", (b, w), in one item: it is not that mistake. A
    mistake that changes one item is still named whatever the other items hold."""
    import pytest
    import torch
    from grader.engine.compare import CheckFailure
    from grader.engine.compare.close import assert_close
    w, b = torch.tensor([0.2]), torch.tensor([0.7])
    swapped, only_b = "w and b swapped", "b doubled"
    mistakes = {swapped: (b, w), only_b: (w, 2 * b)}
    with pytest.raises(CheckFailure) as same:
        assert_close((w, w), (w, b), call="init()", mistakes=mistakes)
    assert swapped not in str(same.value) and only_b not in str(same.value)
    with pytest.raises(CheckFailure) as really:
        assert_close((b, w), (w, b), call="init()", mistakes=mistakes)
    assert swapped in str(really.value)
    with pytest.raises(CheckFailure) as one:
        assert_close((w, 2 * b), (w, b), call="init()", mistakes=mistakes)
    assert only_b in str(one.value)


def test_mistakes_are_worked_out_only_when_a_value_is_wrong():
    """assert_close takes the mistakes as a dict or a callable giving one (a wrong run can be
    costly to train): the callable is called only for a wrong value, for a tuple's items too,
    and names the mistake as the dict would."""
    import pytest
    import torch
    from grader.engine.compare import CheckFailure
    from grader.engine.compare.close import assert_close
    w, b = torch.tensor([0.2]), torch.tensor([0.7])
    asked = []

    def mistakes():
        asked.append(1)
        return {"w and b swapped": (b, w)}
    assert_close((w, b), (w, b), call="init()", mistakes=mistakes)
    assert_close(w, w, call="w()", mistakes=lambda: asked.append(1) or {"twice": 2 * w})
    assert asked == []
    with pytest.raises(CheckFailure) as swapped:
        assert_close((b, w), (w, b), call="init()", mistakes=mistakes)
    assert swapped.value.hints == ["w and b swapped"] and asked
    with pytest.raises(CheckFailure) as twice:
        assert_close(2 * w, w, call="w()", mistakes=lambda: {"twice": 2 * w})
    assert twice.value.hints == ["twice"]


def test_counts_read_as_one_or_many():
    """'1 check', never '1 checks': the one helper every count a person reads goes through."""
    from grader.engine.report import count, review_summary
    from grader.engine.result import CheckResult, GradeResult
    assert [count(n, "check") for n in (0, 1, 2)] == ["0 checks", "1 check", "2 checks"]
    assert count(1, "entry", "entries") == "1 entry" and count(3, "entry", "entries") == \
        "3 entries"
    assert count(0.5, "point") == "0.5 points" and count(1.0, "point") == "1 point"

    def held(points):
        check = CheckResult(nodeid="x", exercise="ex01", target="forward", title="c",
                            params="", points=points, visible=True, status="withheld",
                            message="", seconds=0.0)
        return review_summary(GradeResult(submission="s", seed=0, exercises=["ex01"],
                                          checks=[check], tampering=["ex01.py: line 1: x"]))
    assert "1 point that rests on facts measured in its own process is withheld" in held(1)
    assert "2 points that rest on facts measured in its own process are withheld" in held(2)


def test_show_hidden_prints_each_message_in_full_and_students_keep_their_width():
    """grade --show-hidden is the instructor's reading: a long hidden message and a long check
    title are shown whole; the student's table (no show_hidden_messages) keeps its width."""
    from grader.engine.report import score_table
    from grader.engine.result import CheckResult, GradeResult
    tail = "the whole run follows the reference with steps 1/7 as big: the lr is written in"
    long = "train(model, x, y, lr=0.1) parted from the reference run after step 3; " + tail
    checks = [CheckResult(nodeid=f"n{v}", exercise="ex06", target="train",
                          title="train follows the reference step by step from a random "
                                "state, on random rows, with a random learning rate END",
                          params="cpu", points=1, visible=v, status="failed", message=long,
                          seconds=0.0) for v in (True, False)]
    result = GradeResult(submission="s", seed=1, exercises=["ex06"], checks=checks)
    instructor = score_table(result, show_hidden_messages=True)
    assert instructor.count(tail) == 2 and instructor.count("random learning rate END") == 2
    student = score_table(result)
    assert tail not in student and "END" not in student
    assert all(len(line) <= 140 for line in student.splitlines())
