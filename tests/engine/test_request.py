"""A grading request is one value (grader.engine.request.GradeRequest): each front end builds it once,
it reaches the checks one way, and its choice of checks selects what it did before. Also: bad
input is told from a bug at the command line, and the grader version follows what scores."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import grader.engine.runner
from grader.exercises import EXERCISES, UnknownExercise
from grader.engine.request import BadRequest, GradeRequest
from grader.sandbox import Limits

from tests.conftest import ROOT

EX01 = "ex01_linear_model.py"
REF = (ROOT / "solutions" / EX01).read_text()


@pytest.fixture
def requests_made(monkeypatch):
    """Every request grade_submission gets in this process, in order (the grading still runs)."""
    made = []
    real = grader.engine.runner.grade_submission

    def recording(path, zygote, request=None, **fields):
        made.append(request)
        return real(path, zygote, request, **fields)

    monkeypatch.setattr(grader.engine.runner, "grade_submission", recording)
    return made


def one_submission(folder):
    folder.mkdir(parents=True)
    (folder / EX01).write_text(REF)
    return folder


# ----------------------------------------------------------------------------------------------
# the value

def test_a_request_has_normal_forms_and_refuses_what_cannot_be_graded():
    every = GradeRequest()
    assert every.exercises == tuple(EXERCISES) and every.checks == "all"
    assert every.targets is None and every.device == "all"
    some = GradeRequest(exercises=["ex02"], targets=["gradient"], keyword="")
    assert some.exercises == ("ex02",) and some.targets == frozenset({"gradient"})
    assert some.keyword is None
    seeds = {GradeRequest(seed=None).seed for _ in range(5)}   # each request its own, drawn once
    assert None not in seeds and len(seeds) == 5 and every.seed == every.seed
    assert GradeRequest(seed=4).seed == 4
    with pytest.raises(BadRequest):
        GradeRequest(checks="visible_only")
    with pytest.raises(BadRequest):
        GradeRequest(device="tpu")
    with pytest.raises(BadRequest):
        GradeRequest(targets="forward")       # a name, not a collection of names
    with pytest.raises(UnknownExercise) as raised:
        GradeRequest(exercises=["ex99"])
    assert isinstance(raised.value, KeyError)   # older callers catch a KeyError
    with pytest.raises(Exception):
        GradeRequest().seed = 3                 # frozen


def test_a_request_crosses_a_process_boundary_as_plain_data():
    request = GradeRequest(exercises=("ex01", "ex03"), checks="hidden", targets={"b", "a"},
                           device="cpu", seed=7, keyword="not slow",
                           limits=Limits(call_seconds=3.0))
    data = json.loads(json.dumps(request.to_dict()))
    assert data["targets"] == ["a", "b"] and data["limits"]["call_seconds"] == 3.0
    assert GradeRequest.from_dict(data) == request
    with pytest.raises(BadRequest):
        GradeRequest.from_dict({**data, "hidden_only": True})


# ----------------------------------------------------------------------------------------------
# which checks: visible, hidden or all, as before

def test_visible_hidden_and_all_select_the_same_checks_as_before(zygote):
    folder = ROOT / "solutions"
    ids = {}
    for checks in ("visible", "hidden", "all"):
        result = grader.engine.runner.grade_submission(
            folder, zygote, GradeRequest(exercises=("ex01", "ex02"), checks=checks, seed=5))
        assert not result.errors
        ids[checks] = {c.nodeid: c.visible for c in result.checks}
        if checks != "all":
            assert set(ids[checks].values()) == {checks == "visible"}, checks
    assert ids["visible"] and ids["hidden"]
    assert ids["all"] == {**ids["visible"], **ids["hidden"]}
    assert not set(ids["visible"]) & set(ids["hidden"])


def test_targets_and_keyword_narrow_the_checks(zygote):
    folder = ROOT / "solutions"
    only = grader.engine.runner.grade_submission(folder, zygote, exercises=["ex01"], seed=5,
                                          targets={"forward"})
    assert only.checks and {c.target for c in only.checks} == {"forward"}
    some = grader.engine.runner.grade_submission(folder, zygote, exercises=["ex01"], seed=5,
                                          keyword="best_weight")
    assert some.checks and {c.target for c in some.checks} == {"best_weight"}
    with pytest.raises(TypeError):
        grader.engine.runner.grade_submission(folder, zygote, GradeRequest(), seed=5)


def test_the_seed_of_the_request_is_the_seed_the_checks_use(zygote):
    results = [grader.engine.runner.grade_submission(ROOT / "solutions", zygote, exercises=["ex02"],
                                              checks="hidden", seed=seed)
               for seed in (11, 11)]
    assert results[0].seed == results[1].seed == 11
    assert [c.message for c in results[0].checks] == [c.message for c in results[1].checks]


def test_check_results_carry_their_plots(zygote):
    """The comparison helpers' plots ride on the pytest item of their own check only."""
    result = grader.engine.runner.grade_submission(ROOT / "solutions", zygote, exercises=["ex02"],
                                            seed=3)
    plotted = [c for c in result.checks if c.plots]
    assert plotted and len(plotted) < len(result.checks)
    for c in plotted:
        assert all(p["kind"] in ("curve", "scatter") and p["series"] for p in c.plots)
        assert len({p["title"] for p in c.plots}) == len(c.plots)
    from grader.engine import plots
    plots.plot("outside any check", student=[1.0])   # nothing to attach to: nothing happens


def test_a_result_crosses_a_process_boundary_as_plain_data(zygote):
    """GradeResult.to_dict is dataclasses.asdict's plain data (and the totals), in new
    containers: what a caller does to it never reaches the result, and from_dict gives it back."""
    import dataclasses

    from grader.engine.result import GradeResult
    result = grader.engine.runner.grade_submission(ROOT / "solutions", zygote, exercises=["ex02"],
                                            seed=3)
    d = result.to_dict()
    assert d == {**dataclasses.asdict(result), "score": result.score,
                 "max_score": result.max_score}
    assert json.loads(json.dumps(d)) == d
    assert GradeResult.from_dict(d).to_dict() == d
    plotted = next(c for c in d["checks"] if c["plots"])
    plotted["plots"][0]["title"] = "changed"
    plotted["hints"].append("changed")
    d["errors"].append("changed")
    d["checks"][0]["message"] = "changed"
    assert result.to_dict() != d and "changed" not in json.dumps(result.to_dict())


# ----------------------------------------------------------------------------------------------
# each front end builds one request

def test_the_command_line_builds_one_request_per_verb(requests_made):
    from grader.cli import main
    assert main(["grade", str(ROOT / "solutions"), "--exercises", "ex01", "--seed", "3",
                 "--device", "cpu", "--brief"]) == 0
    assert main(["check", "ex01", "--submission", str(ROOT / "solutions")]) == 0
    assert requests_made == [
        GradeRequest(exercises=("ex01",), checks="all", device="cpu", seed=3),
        GradeRequest(exercises=("ex01",), checks="visible", device="all", seed=0)]


def test_the_gradescope_runner_builds_its_request(requests_made, tmp_path):
    from grader.instructor.gradescope import main
    one_submission(tmp_path / "submission")
    assert main(["run", "--root", str(tmp_path), "--exercises", "ex01", "--device", "cpu"]) == 0
    (made,) = requests_made
    assert made == GradeRequest(exercises=("ex01",), checks="all", device="cpu", seed=made.seed)
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert sum(t["score"] for t in data["tests"]) > 0


def test_a_class_run_builds_one_request_for_its_grading_processes(tmp_path, monkeypatch):
    """The grading processes (forked: they inherit the recording) each get the class's request,
    as plain data, and grade with it."""
    from grader.classroom.run import grade_class
    seen = tmp_path / "seen"
    seen.mkdir()
    real = grader.engine.runner.grade_submission

    def recording(path, zygote, request=None, **fields):
        (seen / f"{os.getpid()}-{len(list(seen.iterdir()))}.json").write_text(
            json.dumps({"type": type(request).__name__, "request": request.to_dict()}))
        return real(path, zygote, request, **fields)

    monkeypatch.setattr(grader.engine.runner, "grade_submission", recording)
    monkeypatch.setenv("GRADER_START_METHOD", "fork")
    monkeypatch.setenv("GRADER_VERSION", "request-test")
    for student in ("ada", "bob"):
        one_submission(tmp_path / "class" / student)
    run = grade_class(tmp_path / "class", db=tmp_path / "g.db", jobs=1, seed=21,
                      exercises=["ex01"], device="cpu", progress=False)
    assert run.graded == 2 and not run.failed
    records = [json.loads(p.read_text()) for p in sorted(seen.iterdir())]
    want = GradeRequest(exercises=("ex01",), checks="all", device="cpu", seed=21)
    assert records == [{"type": "GradeRequest", "request": want.to_dict()}] * 2


def test_a_notebook_check_cell_builds_its_request(monkeypatch, capsys):
    from grader import notebook
    sent = []
    real = notebook._ask

    def recording(message):
        sent.append(message)
        return real(message)

    monkeypatch.setattr(notebook, "_ask", recording)
    monkeypatch.delenv("GRADER_SEED", raising=False)
    notebook.run_checks("ex01", "forward", ["", REF])
    assert "checks pass" in capsys.readouterr().out
    assert [set(m) for m in sent] == [{"submission", "request"}]
    assert GradeRequest.from_dict(sent[0]["request"]) == GradeRequest(
        exercises=("ex01",), checks="visible", targets={"forward"}, seed=0)
    hidden = notebook.check_request("ex01", "forward", hidden=True)
    again = notebook.check_request("ex01", "forward", hidden=True)
    assert hidden.checks == "hidden" and hidden.seed != again.seed   # new inputs each run
    monkeypatch.setenv("GRADER_SEED", "7")
    assert notebook.check_request("ex01", "forward", hidden=True).seed == 7


def test_pytest_run_directly_builds_its_request_from_its_options(tmp_path):
    """`pytest grader/checks --submission DIR`: the one other way a request reaches the checks."""
    one_submission(tmp_path / "sub")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "grader" / "checks"), "-q",
         "-p", "no:cacheprovider", "--submission", str(tmp_path / "sub"), "-m", "ex01",
         "--grader-seed", "3", "--grader-device", "cpu"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout and "failed" not in out.stdout


# ----------------------------------------------------------------------------------------------
# bad input, or a bug

def test_an_unknown_exercise_is_bad_input(capsys):
    from grader.cli import main
    assert main(["grade", str(ROOT / "solutions"), "--exercises", "ex99"]) == 2
    assert capsys.readouterr().err.strip() == "error: unknown exercise 'ex99'; known: " + \
        ", ".join(EXERCISES)


def test_an_internal_key_error_is_a_bug_with_its_traceback(monkeypatch, tmp_path):
    import grader.cli
    import grader.cli.course

    def broken(args):
        return {}["a key the code expected"]

    monkeypatch.setattr(grader.cli.course, "cmd_build", broken)
    with pytest.raises(KeyError):
        grader.cli.main(["build"])
    script = tmp_path / "broken.py"
    script.write_text(textwrap.dedent("""
        import sys
        import grader.cli, grader.cli.course
        def broken(args):
            return {}["a key the code expected"]
        grader.cli.course.cmd_build = broken
        sys.argv = ["grader", "build"]
        grader.cli.run()
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode not in (0, 2)
    assert "Traceback" in out.stderr and "KeyError: 'a key the code expected'" in out.stderr
    assert "error:" not in out.stderr.splitlines()[-1]


# ----------------------------------------------------------------------------------------------
# the grader version: what scores, found by glob

def test_the_grader_version_follows_the_checks_references_and_comparisons(tmp_path,
                                                                          monkeypatch):
    from grader.engine import version as engine_version
    monkeypatch.delenv("GRADER_VERSION", raising=False)
    root = tmp_path / "pkg"
    files = {"setup.cfg": "[metadata]\nversion = 1.2.3\n",
             "solutions/ex01_linear_model.py": "def forward(x, w):\n    return x * w\n",
             "grader/checks/ex01_linear_model/ships/test_visible.py": "def test_a(): pass\n",
             "grader/engine/compare/tolerances.py": "TOLERANCE = 1e-6\n",
             "grader/classroom/feedback.py": "LAYOUT = 'wide'\n",
             "grader/cli/__init__.py": "VERBS = ()\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)

    def version():
        monkeypatch.setattr(engine_version, "_version_cache", {})
        return engine_version.grader_version(root)

    first = version()
    assert first.startswith("1.2.3+")
    (root / "grader/classroom/feedback.py").write_text("LAYOUT = 'narrow'\n")   # presentation only
    (root / "grader/cli/__init__.py").write_text("VERBS = ('grade',)\n")
    assert version() == first
    check = root / "grader/checks/ex01_linear_model/ships/test_visible.py"
    check.write_text("def test_a(): assert True\n")
    second = version()
    assert second != first
    moved = root / "grader/checks/ex01_linear_model/test_visible.py"
    check.rename(moved)                   # a check's place decides what it is: it counts
    assert version() not in (first, second)
    moved.rename(check)
    assert version() == second
    (root / "grader/engine/compare/tolerances.py").write_text("TOLERANCE = 1e-5\n")
    assert version() != second
    monkeypatch.setenv("GRADER_VERSION", "fall")
    assert engine_version.grader_version(root) == "fall"


def test_moving_or_splitting_the_engines_code_keeps_the_grader_version(tmp_path, monkeypatch):
    """The version follows what the code says, not where it lies: an engine module moved to
    another room, or split in two with its imports changed, is the same grader (a class graded
    before such a move is not regraded); an edited definition is not."""
    from grader.engine import version as engine_version
    monkeypatch.delenv("GRADER_VERSION", raising=False)
    root = tmp_path / "pkg"
    numeric = ('"""Comparisons."""\nimport math\n\nTOL = 1e-6\n\n\n'
               'def close(a, b):\n    return math.isclose(a, b, rel_tol=TOL)\n\n\n'
               'def far(a, b):\n    return not close(a, b)\n')
    files = {"setup.cfg": "[metadata]\nversion = 1.2.3\n",
             "grader/checks/ex01_linear_model/ships/test_visible.py": "def test_a(): pass\n",
             "grader/compare/values.py": numeric}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)

    def version():
        monkeypatch.setattr(engine_version, "_version_cache", {})
        return engine_version.grader_version(root)

    before = version()
    (root / "grader/engine").mkdir(parents=True)
    (root / "grader/compare").rename(root / "grader/engine/compare")
    assert version() == before                                      # moved
    (root / "grader/engine/compare/values.py").write_text(
        '"""Values."""\nimport math\n\nTOL = 1e-6\n\n\n'
        'def close(a, b):\n    return math.isclose(a, b, rel_tol=TOL)\n')
    (root / "grader/engine/compare/far.py").write_text(
        '"""The other way round."""\nfrom grader.engine.compare.values import close\n\n\n'
        'def far(a, b):\n    return not close(a, b)\n')
    assert version() == before                                      # split, imports changed
    (root / "grader/engine/compare/values.py").write_text(
        (root / "grader/engine/compare/values.py").read_text().replace("1e-6", "1e-5"))
    assert version() != before                                      # a tolerance changed


def test_every_kind_of_scoring_file_is_found_in_the_package():
    """A glob of SCORING that matches nothing here names a file that moved or was renamed: it
    would drop out of the version silently."""
    from grader.engine.version import SCORING
    empty = [p for p in SCORING if not any(f.is_file() for f in ROOT.glob(p))]
    assert not empty, f"update grader.engine.version.SCORING: nothing matches {empty}"
