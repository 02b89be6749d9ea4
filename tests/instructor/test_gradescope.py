"""The Gradescope autograder (`python -m grader gradescope DEST.zip`): the archive unpacked into a
fake /autograder root, run_autograder run on a submission, results.json read back."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.instructor.build import make_stub
from grader.cli import main
from grader.exercises import EXERCISES
from grader.instructor.gradescope import chosen_exercises

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    assert main(["gradescope", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def chosen(archive):
    """The exercises the archive grades (every exercise with a reference)."""
    with zipfile.ZipFile(archive) as zf:
        run = zf.read("run_autograder").decode()
    listed = run.split("--exercises ")[1].split()[0].split(",")
    assert "ex01" in listed and set(listed) <= set(chosen_exercises())
    return listed


def run_autograder(archive: Path, root: Path, files: dict[str, str]) -> dict:
    """Unpack the archive as Gradescope does, put `files` in the submission, run it."""
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)   # the archive's own copy of the package does the grading
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert_schema(data)
    return data


def assert_schema(data: dict):
    """Gradescope's results.json: an execution time, and tests with a name, a score, a
    max_score, an output and a visibility; no total (Gradescope sums the tests')."""
    assert "score" not in data
    assert isinstance(data["execution_time"], (int, float))
    assert isinstance(data["tests"], list) and data["tests"]
    for t in data["tests"]:
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"]
        assert isinstance(t["output"], str)
        assert t["visibility"] in VISIBILITY


def total(data: dict) -> float:
    return sum(t["score"] for t in data["tests"])


def test_archive_holds_the_scripts_the_engine_and_the_references(archive, chosen):
    with zipfile.ZipFile(archive) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o777 == 0o755
    assert "download.pytorch.org/whl/cpu" in setup
    assert "pip install ./torchdrills" not in setup and "pip install -e" not in setup  # one copy
    assert "numpy" in setup and "pytest" in setup                     # what setup.cfg requires
    assert setup.rstrip().endswith('python3 -m grader.instructor.gradescope protect "$here")')
    assert "AUTOGRADER_ROOT" in run
    for ex in chosen:
        assert f"torchdrills/solutions/{EXERCISES[ex]}.py" in infos
    assert any(n.startswith("torchdrills/grader/checks/") and n.endswith("/private/test_hidden.py")
               for n in infos)
    assert "torchdrills/setup.cfg" in infos
    assert not [n for n in infos if "__pycache__" in n or n.endswith(".pyc")]


def test_references_get_full_marks(archive, chosen, tmp_path):
    files = {f"{EXERCISES[ex]}.py": (ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text()
             for ex in chosen}
    data = run_autograder(archive, tmp_path / "autograder", files)
    total = sum(t["max_score"] for t in data["tests"])
    assert total > 0 and globals()["total"](data) == pytest.approx(total)
    kinds = {t["visibility"] for t in data["tests"]}
    assert kinds == {"visible", "after_published"}    # hidden checks wait for publication
    assert {t["tags"][0] for t in data["tests"]} == set(chosen)


def test_stubs_get_zero(archive, chosen, tmp_path):
    files = {f"{EXERCISES[ex]}.py": make_stub(
        (ROOT / "solutions" / f"{EXERCISES[ex]}.py").read_text(), ex) for ex in chosen}
    data = run_autograder(archive, tmp_path / "autograder", files)
    assert total(data) == 0
    assert sum(t["max_score"] for t in data["tests"]) > 0
    for t in data["tests"]:     # a hidden check says passed / not passed only
        assert ("not started" if t["visibility"] == "visible" else "not passed") in t["output"]


def test_an_empty_submission_gets_zero_and_says_why(archive, chosen, tmp_path):
    data = run_autograder(archive, tmp_path / "autograder", {"notes.txt": "no code here"})
    assert total(data) == 0
    files = [t for t in data["tests"] if t["name"].endswith(": file")]
    assert len(files) == len(chosen)
    assert "No file ex01_linear_model.py" in files[0]["output"]


def test_the_archive_name_must_end_in_zip(tmp_path, capsys):
    assert main(["gradescope", str(tmp_path / "autograder")]) == 2
    assert ".zip" in capsys.readouterr().err
