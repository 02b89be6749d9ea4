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
EX01 = "ex01_linear_model.py"


def ex02(uses: str, body: str) -> str:
    """The reference's ex02, its gradient's body replaced by `body` after the import `uses`."""
    source = (ROOT / "solutions" / EX02).read_text()
    source = source.replace("import torch\n", f"import torch\n{uses}\n", 1)
    old = "    return float(np.mean(2 * x * (x * w - y)))\n"
    assert old in source
    return source.replace(old, body, 1)


def ex02_cost(uses: str, body: str) -> str:
    """The reference's ex02, its cost's body (not a manual function) replaced by `body`."""
    source = ex02(uses, "    return float(np.mean(2 * x * (x * w - y)))\n")
    old = "    return float(np.mean((x * w - y) ** 2))\n"
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
    "re-exported by utils": ("import utils", "    return utils.slope(x, y, w)\n"),
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
    assert "helpers" in modules and ("utils" in modules) == reach.endswith("utils"), notes
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
    """A module in a folder beside the exercise files is lib.utils (a package's, graded where
    an exercise imports it: test_a_package_of_the_students_own...); above them, or deeper
    than a package's folders, it is no module of theirs."""
    sub = tmp_path / "sub"
    (sub / "a" / "b" / "c").mkdir(parents=True)
    (sub / "ex").mkdir()
    (sub / EX02).write_text((ROOT / "solutions" / EX02).read_text())
    (sub / "ex" / EX01).write_text((ROOT / "solutions" / EX01).read_text())
    (sub / "a" / "utils.py").write_text("X = 1\n")
    (sub / "a" / "b" / "c" / "deep.py").write_text("X = 1\n")

    found = collect(sub)
    assert found.modules == {}
    notes = found.all_notes()
    assert any("a/utils.py" in n and "no exercise file imports it" in n for n in notes), notes
    assert any("a/b/c/deep.py" in n and "folder of the exercise files" in n for n in notes)


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


# A package of the student's own beside the exercise files (mypkg/), imported in each way
# Python allows, with and without its __init__.py, as it runs in the student's own folder
PACKAGES = {
    "from a module": ("from mypkg.core import mean_slope", "mean_slope",
                      {"mypkg/core.py": AS_ARRAY}),
    "module as a name": ("import mypkg.core as c", "c.mean_slope",
                         {"mypkg/__init__.py": "", "mypkg/core.py": AS_ARRAY}),
    "module from the package": ("from mypkg import core", "core.mean_slope",
                                {"mypkg/core.py": AS_ARRAY}),
    "re-exported, relative": ("import mypkg", "mypkg.mean_slope",
                              {"mypkg/__init__.py": "from .core import mean_slope\n",
                               "mypkg/core.py": "from . import maths\n\n\ndef mean_slope(x, y, w):"
                                                "\n    return maths.slope(x, y, w)\n",
                               "mypkg/maths.py": AS_ARRAY.replace("mean_slope", "slope")}),
    "two levels": ("from mypkg.sub.core import mean_slope", "mean_slope",
                   {"mypkg/sub/core.py": "from ..maths import slope as mean_slope\n",
                    "mypkg/maths.py": AS_ARRAY.replace("mean_slope", "slope")}),
    # private names, as libraries name their inner modules (a fresh round's H12, H14: never
    # staged, 0/24 with "No module named '_helpers'", no note)
    "a private module": ("from _helpers import mean_slope", "mean_slope",
                         {"_helpers.py": AS_ARRAY}),
    "a package's private module": ("from mypkg import mean_slope", "mean_slope",
                                   {"mypkg/__init__.py": "from ._core import mean_slope\n",
                                    "mypkg/_core.py": AS_ARRAY}),
    "a private data file": ("from _helpers import mean_slope", "mean_slope",
                           {"_helpers.py": "import json, os\n_K = json.load(open(os.path.join("
                                           "os.path.dirname(__file__), '_settings.json')))\n"
                                           + AS_ARRAY, "_settings.json": '{"k": 1}'}),
}


@pytest.mark.parametrize("way", sorted(PACKAGES))
def test_a_package_of_the_students_own_is_graded_as_it_runs_in_her_folder(grade, way):
    """A package folder beside the exercise files (the sixth attack round's F54: 0/18 where it
    works locally) is staged, imported from the text the grader read, with full marks."""
    uses, call, package = PACKAGES[way]
    files = {EX02: ex02(uses, f"    return {call}(x, y, w)\n"), **package}
    result = grade("ex02", files=files)
    assert result.score == result.max_score > 0, [c.message for c in result.checks
                                                  if c.status != "passed"] + result.notes
    assert not result.tampering and not any("mypkg" in n for n in result.notes), result.notes


PACKAGE_REACHES = {
    "from a module": ("from mypkg.helpers import slope", "slope(x, y, w)"),
    "module from the package": ("from mypkg import helpers as h", "h.slope(x, y, w)"),
    "re-exported by __init__": ("import mypkg", "mypkg.slope(x, y, w)"),
    "relative, through another": ("from mypkg.relay import relay", "relay(x, y, w)"),
}


@pytest.mark.parametrize("reach", sorted(PACKAGE_REACHES))
def test_a_manual_function_cannot_hand_autograd_to_a_package_of_its_own(tmp_path, reach):
    uses, call = PACKAGE_REACHES[reach]
    sub = tmp_path / "sub"
    (sub / "mypkg").mkdir(parents=True)
    (sub / EX02).write_text(ex02(uses, f"    return {call}\n"))
    (sub / "mypkg" / "__init__.py").write_text("from .helpers import slope\n")
    (sub / "mypkg" / "helpers.py").write_text(
        f"import torch\n\n\ndef slope(x, y, w):\n    step = {HIDDEN['engine']}\n"
        f"    return float((2 * x * (x * w - y)).mean())\n")
    (sub / "mypkg" / "relay.py").write_text("from .helpers import slope\n\n\n"
                                            "def relay(x, y, w):\n    return slope(x, y, w)\n")
    notes, review = [], []
    modules = stage_submission(sub, workdir(tmp_path), notes, review)
    assert {"mypkg", "mypkg.helpers"} <= set(modules), notes
    assert any(r.startswith("mypkg/helpers.py: line 5: a manual function (slope) reaches "
                            "autograd") for r in review), review


def test_a_package_beside_the_exercises_is_gathered_hashed_and_timed_as_a_module(tmp_path):
    """A class run gathers a package's files into its folder (graded again from there as a
    package), a change to one changes the hash of exactly the exercises importing it, and its
    time counts for them (late work in mypkg/core.py is late work)."""
    import os
    from grader.classroom.handed_in import handed_in_each
    ex01 = (ROOT / "solutions" / EX01).read_text()

    def entry(core: str):
        sub = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
        (sub / "mypkg").mkdir(parents=True)
        (sub / EX02).write_text(ex02("from mypkg.core import mean_slope",
                                     "    return mean_slope(x, y, w)\n"))
        (sub / EX01).write_text(ex01)
        (sub / "mypkg" / "core.py").write_text(core)
        return sub, gather("alice", sub, tmp_path / f"g{sub.name}")

    sub, first = entry(AS_ARRAY)
    assert "mypkg/core.py" in first.files
    assert set(collect(first.folder).modules) == {"mypkg.core"}     # graded again from there
    later = (sub / EX02).stat().st_mtime + 3600
    os.utime(sub / "mypkg" / "core.py", (later, later))
    times = handed_in_each(sub, first.files)
    assert times["ex02"][0].timestamp() == pytest.approx(later)
    assert times["ex01"][0].timestamp() < later
    _, changed = entry(AS_ARRAY + "\n# a fix\n")
    a, b = exercise_hashes(first), exercise_hashes(changed)
    assert a["ex02"] != b["ex02"] and a["ex01"] == b["ex01"]


def test_a_package_beside_a_module_of_its_name_is_not_graded_and_said(tmp_path):
    sub = tmp_path / "sub"
    (sub / "utils").mkdir(parents=True)
    (sub / EX02).write_text(ex02("import utils", "    return utils.mean_slope(x, y, w)\n"))
    (sub / "utils.py").write_text(AS_ARRAY)
    (sub / "utils" / "core.py").write_text("X = 1\n")
    found = collect(sub)
    assert set(found.modules) == {"utils"}
    assert any("utils/core.py" in n and "is the module utils" in n for n in found.all_notes())


# A data file of the student's own, read by her code from her folder (the seventh attack
# round's F10: settings.json beside ex02 was never staged, FileNotFoundError, 0/24)
READS = {
    "beside __file__": "import json, os\nSCALE = json.load(open(os.path.join(os.path.dirname("
                       "os.path.abspath(__file__)), 'settings.json')))['scale']\n",
    "from the working folder": "import json\nwith open('settings.json') as f:\n"
                               "    SCALE = json.load(f)['scale']\n",
    "through utils.py": "from utils import SCALE\n",
}


@pytest.mark.parametrize("how", sorted(READS))
def test_a_data_file_her_code_names_is_read_as_in_her_folder(grade, how):
    body = "    return SCALE * float(np.mean((x * w - y) ** 2))\n"      # cost, not manual
    files = {EX02: ex02_cost(READS[how], body),
             "settings.json": '{"scale": 1.0}', "notes.txt": "not read by any code"}
    if how == "through utils.py":
        files["utils.py"] = READS["beside __file__"]
    result = grade("ex02", files=files)
    assert result.score == result.max_score > 0, [c.message for c in result.checks
                                                  if c.status != "passed"] + result.notes
    assert not result.tampering and not any("settings" in n or "notes.txt" in n
                                            for n in result.notes), result.notes


@pytest.mark.parametrize("how", sorted(READS))
def test_a_manual_function_reading_a_file_its_file_writes_is_flagged(grade, how):
    """A manual function that reads a file its own file may have written (itself, or through
    a name filled from one at import) can replay an answer made there by autograd (the tenth
    attack round's F09: a gradient traced at import, kept in recipe.json, 24/24 unseen): its
    values are graded as ever; the checks that rest on "no autograd" wait for review. The same
    read of her settings, in a file that writes nothing, is her data: full marks."""
    body = "    return SCALE * float(np.mean(2 * x * (x * w - y)))\n"      # gradient: manual
    files = {EX02: ex02(READS[how], body), "settings.json": '{"scale": 1.0}'}
    if how == "through utils.py":
        files["utils.py"] = READS["beside __file__"]
    honest = grade("ex02", files=files)
    assert honest.score == honest.max_score and not honest.tampering, honest.tampering
    writer = "\nimport json as _json\n_json.dump({'scale': 1.0}, open('settings.json', 'w'))\n"
    files[EX02] = ex02(READS[how] + writer, body)
    if how == "through utils.py":
        files["utils.py"] = READS["beside __file__"] + writer
    result = grade("ex02", files=files)
    assert any("a manual function" in t and ("read from outside" in t or "reads what" in t)
               for t in result.tampering), result.tampering
    withheld = [c for c in result.checks if c.counted and c.status != "passed"]
    assert withheld and all("withheld for review" in c.message for c in withheld)
    assert 0 < result.score < result.max_score


def test_a_data_file_is_staged_only_where_her_code_names_it_in_her_folder(tmp_path):
    """Beside the exercise files or up to two folders below them (data/b.json, the eighth
    attack round's F29-F32: left out, 0/24 to 11/24), by its name in her code, at the same
    place; deeper, or under a data set's name of the grader's, left out and said."""
    sub = tmp_path / "sub"
    (sub / "data" / "x" / "y").mkdir(parents=True)
    (sub / EX02).write_text(ex02("import json, os\nA = open('a.json').read()\n"
                                 "B = open(os.path.join('data', 'b.json')).read()\n"
                                 "C = open('diabetes.csv')\nD = 'd.json'\n",
                                 "    return 0.0\n"))
    for name in ("a.json", "data/b.json", "unread.json", "diabetes.csv", "data/x/y/d.json"):
        (sub / name).write_text("{}")
    found = collect(sub)
    assert found.data == {"a.json": b"{}", "data/b.json": b"{}"}
    notes = found.all_notes()
    assert any("data/x/y/d.json" in n and "folders below it" in n for n in notes), notes
    assert any("diabetes.csv" in n and "grader's own" in n for n in notes), notes
    assert not any("unread.json" in n for n in notes)


def test_a_changed_data_file_is_new_and_late_work_for_the_exercise_naming_it(tmp_path):
    import os
    from grader.classroom.handed_in import handed_in_each
    ex01 = (ROOT / "solutions" / EX01).read_text()

    def entry(settings: str):
        sub = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
        sub.mkdir()
        (sub / EX02).write_text(ex02("import json\nSCALE = json.load(open('settings.json'))",
                                     "    return float(np.mean(2 * x * (x * w - y)))\n"))
        (sub / EX01).write_text(ex01)
        (sub / "settings.json").write_text(settings)
        return sub, gather("alice", sub, tmp_path / f"g{sub.name}")

    sub, first = entry('{"scale": 1}')
    assert "settings.json" in first.files and collect(first.folder).data
    later = (sub / EX02).stat().st_mtime + 3600
    os.utime(sub / "settings.json", (later, later))
    times = handed_in_each(sub, first.files)
    assert times["ex02"][0].timestamp() == pytest.approx(later)
    assert times["ex01"][0].timestamp() < later
    _, changed = entry('{"scale": 2}')
    a, b = exercise_hashes(first), exercise_hashes(changed)
    assert a["ex02"] != b["ex02"] and a["ex01"] == b["ex01"]


def test_a_package_named_as_an_exercise_never_stands_in_for_its_module(tmp_path):
    """A folder ex01_linear_model/ (no exercise file in it) beside ex02's file would be the
    package ex01_linear_model: staged, it would replace ex01's own module. Left out, said."""
    sub = tmp_path / "sub"
    (sub / "ex01_linear_model").mkdir(parents=True)
    (sub / EX02).write_text(ex02("from ex01_linear_model.core import K", "    return 0.0\n"))
    (sub / EX01).write_text((ROOT / "solutions" / EX01).read_text())
    (sub / "ex01_linear_model" / "core.py").write_text("K = 1\n")
    notes = []
    modules = stage_submission(sub, workdir(tmp_path), notes, [])
    assert set(modules) == {EX01[:-3], EX02[:-3]}
    assert (tmp_path / "work" / EX01).read_text() == (ROOT / "solutions" / EX01).read_text()
    assert any("ex01_linear_model/core.py" in n and "exercise's own module" in n
               for n in notes), notes


def test_an_exercise_importing_another_exercises_file_is_new_and_late_with_it(tmp_path):
    """ex02 that imports a helper from ex03's file: a change to ex03's file after ex02's due
    date is late work for ex02 as well (the eighth attack round's F20: counted on time)."""
    import os
    from grader.classroom.handed_in import handed_in_each
    ex03 = (ROOT / "solutions" / "ex03_autograd_basics.py").read_text()

    def entry(helper: str):
        sub = tmp_path / f"s{len(list(tmp_path.iterdir()))}"
        sub.mkdir()
        (sub / EX02).write_text(ex02("from ex03_autograd_basics import slope_helper",
                                     "    return slope_helper(x, y, w)\n"))
        (sub / "ex03_autograd_basics.py").write_text(ex03 + helper)
        (sub / EX01).write_text((ROOT / "solutions" / EX01).read_text())
        return sub, gather("alice", sub, tmp_path / f"g{sub.name}")

    helper = "\n\ndef slope_helper(x, y, w):\n    return float(np.mean(2 * x * (x * w - y)))\n"
    sub, first = entry(helper)
    later = (sub / EX02).stat().st_mtime + 3600
    os.utime(sub / "ex03_autograd_basics.py", (later, later))
    times = handed_in_each(sub, first.files)
    assert times["ex02"][0].timestamp() == pytest.approx(later)
    assert times["ex01"][0].timestamp() < later
    _, changed = entry(helper + "\n# a fix\n")
    a, b = exercise_hashes(first), exercise_hashes(changed)
    assert a["ex02"] != b["ex02"] and a["ex03"] != b["ex03"] and a["ex01"] == b["ex01"]


def test_a_data_folder_is_there_for_every_worker_of_a_flagged_submission(grade):
    """A flagged submission runs each exercise in a worker of its own, its folder cleaned and
    put back as staged: a data/ folder is kept and put back with its files."""
    files = {EX01: (ROOT / "solutions" / EX01).read_text() + "\nimport gc\n_x = gc.get_objects()\n",
             EX02: ex02_cost("import json, os\nSCALE = json.load(open(os.path.join("
                             "os.path.dirname(os.path.abspath(__file__)), 'data', "
                             "'scale.json')))",
                             "    return SCALE * float(np.mean((x * w - y) ** 2))\n"),
             "data/scale.json": "1.0"}
    result = grade("ex02", files=files, exercises=["ex01", "ex02"])
    assert result.tampering
    ex02s = [c for c in result.checks if c.exercise == "ex02" and c.counted]
    assert ex02s and all(c.status == "passed" for c in ex02s), \
        [(c.name, c.status, c.message) for c in ex02s if c.status != "passed"]


def test_a_manual_function_imported_whole_from_a_module_is_read_there(tmp_path):
    """ex02's gradient not written in its file but imported from helpers.py (the ninth attack
    round's F20: ex04's quadratic_grads from utils.py, its graph walked in a thread): the
    module's gradient is read as the manual function it is."""
    import re
    source = (ROOT / "solutions" / EX02).read_text()
    source = re.sub(r"\ndef gradient\(.*?\n(?=\n\ndef )", "\n", source, count=1, flags=re.S)
    assert "def gradient(" not in source
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / EX02).write_text(source.replace("import torch\n", "import torch\n"
                                           "from helpers import gradient\n", 1))
    (sub / "helpers.py").write_text(
        f"import torch\n\n\ndef gradient(x, y, w):\n    step = {HIDDEN['engine']}\n"
        f"    return 0.0\n")
    review = []
    stage_submission(sub, workdir(tmp_path), [], review)
    assert any(r.startswith("helpers.py: line 5: a manual function (gradient) reaches autograd")
               for r in review), review
