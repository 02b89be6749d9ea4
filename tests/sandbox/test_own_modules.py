"""A module of the student's own (utils.py beside the exercise files) is part of the submission,
as in the student's Jupyter folder: staged, imported from the text the grader read, reviewed
like every file, and a manual function cannot hand its work to it. What cannot be the student's
own module (a name of Python's or an installed package's, a folder of its own) is left out with
a note that says how to fix it."""
from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import pytest

from grader.classroom.entries import exercise_hashes, gather
from grader.sandbox.staging import collect, stage_submission

ROOT = Path(__file__).resolve().parents[2]
EX02 = "ex02_gradient_descent.py"


def ex02(uses: str, body: str) -> str:
    """The reference's ex02, its gradient's body replaced by `body` after the import `uses`."""
    source = (ROOT / "solutions" / EX02).read_text()
    source = source.replace("import torch\n", f"import torch\n{uses}\n", 1)
    old = "    return float(np.mean(2 * x * (x * w - y)))\n"
    assert old in source
    return source.replace(old, body, 1)


def workdir(tmp_path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


AS_ARRAY = ("import numpy as np\nimport torch\n\n\ndef mean_slope(x, y, w):\n"
            "    return float(np.mean(2 * x * (x * w - y)))\n")


def test_an_honest_helper_is_imported_and_graded(grade):
    files = {EX02: ex02("from utils import mean_slope", "    return mean_slope(x, y, w)\n"),
             "utils.py": AS_ARRAY}
    result = grade("ex02", files=files)
    assert result.score == result.max_score > 0, [c.message for c in result.checks
                                                  if c.status != "passed"]
    assert not result.tampering and not any("utils" in n for n in result.notes), result.notes


# Ways past the worker's watch (the engine's C method, an aten operator by name, TorchScript),
# each in a helper module the manual function reaches in another way
HIDDEN = {
    "engine": "torch.autograd.Variable._execution_engine.run_backward",
    "aten": "getattr(torch.ops.aten, 'mul')",
    "script": "torch.jit.script",
}
REACHES = {
    "from": ("from helpers import slope", "    return slope(x, y, w)\n"),
    "module": ("import helpers as h", "    return h.slope(x, y, w)\n"),
    "star": ("from helpers import *", "    return slope(x, y, w)\n"),
    "through utils": ("import utils", "    return utils.relay(x, y, w)\n"),
}


@pytest.mark.parametrize("reach", sorted(REACHES))
@pytest.mark.parametrize("way", sorted(HIDDEN))
def test_a_manual_function_cannot_hand_autograd_to_a_module_of_its_own(tmp_path, reach, way):
    uses, body = REACHES[reach]
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / EX02).write_text(ex02(uses, body))
    (sub / "helpers.py").write_text(
        f"import torch\n\n\ndef slope(x, y, w):\n    step = {HIDDEN[way]}\n"
        f"    return float((2 * x * (x * w - y)).mean())\n")
    (sub / "utils.py").write_text("from helpers import slope\n\n\ndef relay(x, y, w):\n"
                                  "    return slope(x, y, w)\n")
    notes, review = [], []
    modules = stage_submission(sub, workdir(tmp_path), notes, review)
    assert "helpers" in modules and ("utils" in modules) == (reach == "through utils"), notes
    assert any(r.startswith("helpers.py: line 5: a manual function (slope) reaches autograd")
               for r in review), review


def test_autograd_in_a_helper_no_manual_function_reaches_is_not_flagged(tmp_path):
    """A training step in utils.py uses .backward(), as ex02's descent may: no manual function
    reaches it, so nothing is flagged (an honest layout)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / EX02).write_text(ex02("from utils import mean_slope, step", "    return mean_slope(x, y, w)\n"))
    (sub / "utils.py").write_text(AS_ARRAY + "\n\ndef step(w, loss):\n    loss.backward()\n"
                                  "    with torch.no_grad():\n        w -= 0.1 * w.grad\n")
    review = []
    stage_submission(sub, workdir(tmp_path), [], review)
    assert review == []


@pytest.mark.parametrize("name,why", [
    ("random.py", "Python has a module named random"),
    ("torch.py", "an installed package is named torch"),
    ("conftest.py", None),                       # never a module of the student's
    ("my-utils.py", "not one `import` can spell"),
])
def test_a_name_that_would_stand_in_for_another_module_is_left_out_and_said(tmp_path, name, why):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / EX02).write_text((ROOT / "solutions" / EX02).read_text())
    (sub / name).write_text("X = 1\n")
    notes = []
    modules = stage_submission(sub, workdir(tmp_path), notes, [])
    assert set(modules) == {EX02[:-3]}
    assert not (tmp_path / "work" / name).exists()
    if why:
        assert any(why in n and name in n and "rename it" in n for n in notes), notes


def test_only_the_exercise_files_folder_holds_modules_of_its_own(tmp_path):
    sub = tmp_path / "sub"
    (sub / "lib").mkdir(parents=True)
    (sub / EX02).write_text((ROOT / "solutions" / EX02).read_text())
    (sub / "lib" / "utils.py").write_text("X = 1\n")
    found = collect(sub)
    assert found.modules == {}
    assert any("lib/utils.py" in n and "folder of the exercise files" in n
               for n in found.all_notes())


def test_a_zip_brings_its_modules_and_a_member_twice_is_neither(tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")   # zipfile warns of the duplicate it writes
        zf.writestr(f"alice/{EX02}", ex02("import utils", "    return float(np.mean(2 * x * "
                                             "(x * w - y)))\n"))
        zf.writestr("alice/utils.py", "X = 1\n")
        zf.writestr("alice/extra.py", "Y = 1\n")
        zf.writestr("alice/extra.py", "Y = 2\n")
    (tmp_path / "alice.zip").write_bytes(data.getvalue())
    found = collect(tmp_path / "alice.zip")
    assert found.modules == {"utils": ("utils.py", b"X = 1\n")}
    assert any("extra.py" in n and "two members" in n for n in found.all_notes())


def test_a_changed_helper_changes_the_hash_of_exactly_the_exercises_importing_it(tmp_path):
    """A class run tells changed work by each exercise's hash: a new utils.py is new work for
    the exercise that imports it (regraded, handed in again), and for no other."""
    ex01 = (ROOT / "solutions" / "ex01_linear_model.py").read_text()

    def hashes(utils: str, other: str) -> dict:
        sub = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
        sub.mkdir()
        (sub / EX02).write_text(ex02("import utils", "    return utils.mean_slope(x, y, w)\n"))
        (sub / "ex01_linear_model.py").write_text(ex01)
        (sub / "utils.py").write_text(utils)
        (sub / "other.py").write_text(other)
        return exercise_hashes(gather("alice", sub, tmp_path / f"g{sub.name}"))

    first = hashes(AS_ARRAY, "Z = 1\n")
    assert set(first) == {"ex01", "ex02"}
    changed = hashes(AS_ARRAY + "\n# a fix\n", "Z = 1\n")
    assert changed["ex02"] != first["ex02"] and changed["ex01"] == first["ex01"]
    assert hashes(AS_ARRAY, "Z = 2\n") == first     # a module nobody imports


def test_a_module_no_exercise_imports_is_left_out(tmp_path):
    """What grading runs is what the exercises import, and what hand-in times and hashes
    cover: a settings.py read as text (changed after the due date, it passed for on-time
    work: the sixth attack round's F20) is not staged, and a note says why."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / EX02).write_text(ex02("import utils", "    return utils.mean_slope(x, y, w)\n"))
    (sub / "utils.py").write_text(AS_ARRAY)
    (sub / "settings.py").write_text("POWER = 2\n")
    found = collect(sub)
    assert set(found.modules) == {"utils"}
    assert any("settings.py" in n and "no exercise file imports it" in n
               for n in found.all_notes())
