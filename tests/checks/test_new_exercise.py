"""Adding an exercise takes a solution file, one folder and `python -m grader build`, as
docs/writing-checks.md walks through it: in a copy of the package, a throwaway ex99 gets its stub,
its notebook and its recorded values from `build`, and the real grader gives its reference full
marks, its stub nothing and its mutant the hint its table of mistakes holds."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

SOLUTION = '''\
"""Exercise 99: doubling a tensor (a throwaway exercise of the package's own tests)."""
import torch


def double(x: torch.Tensor) -> torch.Tensor:
    """2 * x, with x's shape, dtype and device.

    >>> double(torch.tensor([1.0, -2.0]))
    tensor([ 2., -4.])
    """
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''

FOLDER = {
    "__init__.py": '''\
        """ex99: doubling a tensor."""
        ''',
    "ships/__init__.py": '''\
        """What students of ex99 get."""

        USES_OPTIM = False
        ''',
    "ships/mistakes.py": '''\
        """The mistakes of ex99 that its checks name."""

        HALVED = "this is x / 2: multiply by 2"
        ''',
    "ships/test_visible.py": '''\
        """Visible checks of ex99."""
        import pytest
        import torch

        from grader.checks.api import Case, assert_close, check, expected
        from grader.checks.ex99_double.ships import mistakes as hints

        pytestmark = pytest.mark.ex99

        X = torch.tensor([1.0, -2.0, 3.5])
        CASES = {c.id: c for c in [Case("course", "ex99.double", (X,))]}


        @check("double", points=2, visible=True)
        def test_double_course(sub):
            """double([1, -2, 3.5]) is [2, -4, 7]"""
            case = CASES["course"]
            assert_close(case.run(sub), expected(case), call="double(tensor([1., -2., 3.5]))",
                         mistakes={hints.HALVED: X / 2})
        ''',
    "private/__init__.py": '''\
        """What never ships of ex99."""
        ''',
    "private/test_hidden.py": '''\
        """Hidden checks of ex99."""
        import pytest

        from grader.checks.api import assert_close, check, gen, randn, reference
        from grader.checks.ex99_double.ships import mistakes as hints

        pytestmark = pytest.mark.ex99


        @check("double", points=3)
        def test_double_random(sub, seed):
            """double matches the reference on a random tensor"""
            x = randn(gen(seed, "double"), 4, 5)
            assert_close(sub.call("ex99.double", x), reference("ex99.double", x),
                         call="double(x (4, 5))", mistakes={hints.HALVED: x / 2})
        ''',
    "private/mutants.py": '''\
        """The wrong programs of ex99."""
        from grader.checks.api import Mutant

        MUTANTS = [Mutant("halves", "def double(x):\\n    return x / 2\\n", "double",
                          "multiply by 2", what="double halves x")]
        ''',
}


def _run(copy: Path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)   # the copy's own grader, not this checkout's
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The package's files (tracked, and new ones not ignored), copied; then ex99: a solution
    file and one folder."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True)   # new files not yet added too
    names = [n for n in files.stdout.split("\0") if n] if files.returncode == 0 else []
    if not names:
        pytest.skip("needs a git checkout to copy the package from")
    dest = tmp_path_factory.mktemp("course") / "torchdrills"
    for name in names:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    (dest / "solutions" / "ex99_double.py").write_text(SOLUTION)
    for rel, text in FOLDER.items():
        path = dest / "grader" / "checks" / "ex99_double" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return dest


@pytest.fixture(scope="module")
def built(copy) -> Path:
    """The copy after `python -m grader build`."""
    done = _run(copy, "-m", "grader", "build")
    assert done.returncode == 0, done.stdout + done.stderr
    return copy


def test_the_exercise_list_comes_from_the_folders(copy):
    found = _run(copy, "-c", "import grader, grader.exercises as e; "
                             "print(grader.__file__); print(e.EXERCISES.get('ex99'))")
    assert found.returncode == 0, found.stderr
    where, listed = found.stdout.split()
    assert Path(where).resolve().is_relative_to(copy.resolve()) and listed == "ex99_double"


def test_build_makes_the_stub_the_notebook_and_the_recorded_values(built):
    stub = (built / "exercises" / "ex99_double.py").read_text()
    assert 'raise NotImplementedError("ex99.double: not started")' in stub
    assert "return 2 * x" not in stub
    notebook = json.loads((built / "source_notebooks" / "ex99_double" / "ex99_double.ipynb")
                          .read_text())
    assert any("run_checks('ex99', 'double', In)" in "".join(c["source"])
               for c in notebook["cells"])
    recorded = json.loads((built / "grader" / "checks" / "ex99_double" / "ships" /
                           "expected.json").read_text())
    assert set(recorded) == {"course"}
    again = _run(built, "-m", "grader", "build", "--check")
    assert again.returncode == 0, again.stdout + again.stderr


def _grade(copy: Path, folder, out: Path) -> dict:
    done = _run(copy, "-m", "grader", "grade", str(folder), "--exercises", "ex99", "--seed",
                "3", "--json", str(out))
    assert out.exists(), done.stdout + done.stderr
    return json.loads(out.read_text())


def test_the_reference_gets_full_marks_the_stub_none(built, tmp_path):
    ref = _grade(built, "solutions", tmp_path / "ref.json")
    assert len({t["visibility"] for t in ref["tests"]}) == 2, ref    # a visible and a hidden
    assert sum(t["score"] for t in ref["tests"]) == sum(t["max_score"] for t in ref["tests"]) \
        == 5.0, ref
    stub = _grade(built, "exercises", tmp_path / "stub.json")
    assert sum(t["score"] for t in stub["tests"]) == 0 and sum(t["max_score"] for t in stub["tests"]) == 5.0, stub


def test_the_mutant_fails_with_its_hint(built, tmp_path):
    folder = tmp_path / "mutant"
    folder.mkdir()
    (folder / "ex99_double.py").write_text(SOLUTION + "\n\ndef double(x):\n    return x / 2\n")
    result = _grade(built, folder, tmp_path / "mutant.json")
    assert sum(t["score"] for t in result["tests"]) == 0, result
    visible = [t for t in result["tests"] if t["visibility"] == "visible"]
    hidden = [t for t in result["tests"] if t["visibility"] != "visible"]
    assert visible and all("multiply by 2" in t["output"] for t in visible), result
    assert hidden and all(t["output"] == "not passed" for t in hidden), result  # students
    # read a hidden check's name and passed / not passed only
