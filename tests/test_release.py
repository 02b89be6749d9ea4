"""The student starter kit (`python -m grader release DEST`): everything `python -m grader check`
needs, nothing of the references or the hidden checks, and it runs on its own."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.exercises import EXERCISES
from grader.release import released_exercises
from solution_lines import distinctive, solution_lines, text_lines

ROOT = Path(__file__).resolve().parent.parent

# Solution lines the kit's engine holds today, each with where it comes from. TO FIX by moving
# the code out of what the visible checks need (e.g. into recorded values); never add to this
# list a line that gives a student an answer they have not written.
KNOWN: dict[tuple[str, str], str] = {
    ("grader/checks/visible/test_ex02_gradient_descent.py",
     "return float(np.mean((x * w - y) ** 2))"): "the visible checks' float64 oracle of cost",
    ("grader/checks/visible/test_ex10_softmax_classifier.py",
     "return e / e.sum(dim=dim, keepdim=True)"): "the naive softmax (a named mistake)",
    ("grader/probes/ex06.py", "self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in "
                              "zip(sizes[:-1], sizes[1:]))"): "the probe's deep model (ex08)",
    ("grader/checks/visible/test_ex12_tensor_polynomial.py",
     "return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3"):
        "the cubic the docstring states, in the visible checks' own model",
}


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)   # the kit must run on its own, not on this checkout
    return env


def _check(folder: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "check", *args], cwd=folder,
                          env=_env(), capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    pytest.importorskip("nbgrader", reason="the kit's notebooks are released by nbgrader")
    dest = tmp_path_factory.mktemp("release") / "kit"
    assert main(["release", str(dest)]) == 0
    return dest


@pytest.fixture(scope="module")
def chosen(kit):
    """The exercises in the kit: every one with a reference."""
    found = sorted(p.name[:4] for p in (kit / "exercises").glob("ex*.py"))
    assert "ex01" in found and set(found) <= set(released_exercises())
    return found


pytestmark = pytest.mark.slow


def test_kit_holds_stubs_notebooks_visible_checks_and_data(kit, chosen):
    for ex in chosen:
        module = EXERCISES[ex]
        stub = (kit / "exercises" / f"{module}.py").read_text()
        assert f'raise NotImplementedError("{ex}.' in stub
        assert (kit / "grader" / "checks" / "visible" / f"test_{module}.py").exists() == \
            (ROOT / "grader" / "checks" / "visible" / f"test_{module}.py").exists()
        assert (kit / "grader" / "checks" / "expected" / f"{ex}.json").exists() == \
            (ROOT / "grader" / "checks" / "expected" / f"{ex}.json").exists()
        nb = json.loads((kit / "notebooks" / f"{module}.ipynb").read_text())
        sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        assert any("YOUR CODE HERE" in s for s in sources)
        assert any(f"run_checks({ex!r}" in s for s in sources)
    for name in ("conftest.py", "pytest.ini"):
        assert (kit / "grader" / "checks" / name).exists()
    for csv in (ROOT / "grader" / "data").glob("*.csv"):
        assert (kit / "grader" / "data" / csv.name).read_bytes() == csv.read_bytes()
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((kit / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("torch") for d in project["dependencies"])
    assert "torch" in (kit / "requirements.txt").read_text()
    readme = (kit / "README.md").read_text()
    assert "python -m grader check" in readme and f"exercises/{EXERCISES['ex01']}.py" in readme


def test_kit_holds_no_reference_and_no_hidden_check(kit):
    files = [p for p in kit.rglob("*") if p.is_file()]
    names = {p.relative_to(kit).as_posix() for p in files}
    assert not any(n.startswith("solutions/") or "/hidden/" in n for n in names), names
    assert "grader/reference.py" not in names and "grader/demo.py" not in names
    secret = {p.read_bytes() for p in (ROOT / "solutions").glob("ex*.py")}
    secret |= {p.read_bytes() for p in (ROOT / "grader" / "checks" / "hidden").glob("test_*.py")}
    assert not [p for p in files if p.read_bytes() in secret]
    for nb in (kit / "notebooks").glob("*.ipynb"):
        text = "\n".join(text_lines(nb))
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, nb.name
        assert "BEGIN SOLUTION" not in text, nb.name


def test_kit_holds_no_solution_line(kit):
    """Every line inside a BEGIN/END SOLUTION region of solutions/ is looked for in the kit:
    anywhere in what students edit or read first (stubs, notebooks, README); in the engine,
    the lines that compute something (PyTorch idioms such as `loss.backward()` occur there on
    their own)."""
    secret = solution_lines()
    assert len(secret) > 20
    found = []
    for path in sorted(p for p in kit.rglob("*") if p.is_file()):
        rel = path.relative_to(kit).as_posix()
        engine = rel.startswith("grader/")
        for line in text_lines(path):
            if line in secret and (not engine or distinctive(line)) \
                    and (rel, line) not in KNOWN:
                found.append(f"{rel}: {line!r} (solutions/{secret[line]})")
    assert not found, "solution lines in the kit:\n" + "\n".join(found)


def test_check_runs_in_the_kit_on_the_stubs(kit, chosen):
    here = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"],
                          cwd=kit, env=_env(), capture_output=True, text=True)
    assert Path(here.stdout.strip()).resolve().is_relative_to(kit.resolve())
    proc = _check(kit)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    checked = [ex for ex in chosen if (kit / "grader" / "checks" / "visible" /
                                       f"test_{EXERCISES[ex]}.py").exists()]
    assert "ex01" in checked
    for ex in checked:
        assert f"{ex}: not started" in proc.stdout, proc.stdout
    reported = {line[:4] for line in proc.stdout.splitlines() if line[:2] == "ex"}
    assert reported == set(checked)     # the kit knows only the released exercises
    assert proc.stdout.strip().splitlines()[-1].startswith("0 of ")


def test_check_passes_in_the_kit_filled_with_the_references(kit, chosen, tmp_path):
    filled = tmp_path / "kit"
    shutil.copytree(kit, filled)
    for ex in chosen:
        shutil.copyfile(ROOT / "solutions" / f"{EXERCISES[ex]}.py",
                        filled / "exercises" / f"{EXERCISES[ex]}.py")
    proc = _check(filled)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    passed, _, total = last.split(" visible")[0].partition(" of ")
    assert int(passed) == int(total) > 0, last


def test_release_of_some_exercises_without_notebooks(tmp_path, capsys):
    dest = tmp_path / "kit"
    assert main(["release", str(dest), "--exercises", "ex01", "--no-notebooks"]) == 0
    assert sorted(p.name for p in (dest / "exercises").glob("ex*.py")) == \
        [f"{EXERCISES['ex01']}.py"]
    assert not (dest / "notebooks").exists()
    assert [p.name for p in (dest / "grader" / "checks" / "visible").glob("test_*.py")] == \
        [f"test_{EXERCISES['ex01']}.py"]
    listing = (dest / "grader" / "exercises.py").read_text()
    assert '"ex01": "ex01_linear_model"' in listing and '"ex02"' not in listing
    # a second release into the same folder is refused, not mixed in
    assert main(["release", str(dest)]) == 2
    assert "not empty" in capsys.readouterr().err
