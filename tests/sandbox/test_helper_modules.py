"""A student's own helper modules import as plain Python imports them from her folder: a
helper named like an exercise's file (ex01_utils.py) that an exercise file imports is a module
of hers, not a copy of the exercise; more helpers than a course's exercises need never cost an
exercise; a package's __file__ and __path__ are its folder in the worker's."""
from __future__ import annotations

from pathlib import Path

from grader.sandbox.staging import collect, stage_submission

ROOT = Path(__file__).resolve().parents[2]
EX01 = "ex01_linear_model.py"


def write(folder: Path, files: dict) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_helper_named_like_an_exercise_that_an_exercise_imports_is_a_module(tmp_path):
    source = (ROOT / "solutions" / EX01).read_text()
    sub = write(tmp_path / "alice", {
        EX01: "from ex01_utils import SCALE\n" + source,
        "ex01_utils.py": "SCALE = 1\n",
        "ex01_linear_model_v2.py": "x = 1\n"})           # no file imports it: a copy
    found = collect(sub)
    assert found.files["ex01"][0] == EX01
    assert found.modules == {"ex01_utils": ("ex01_utils.py", b"SCALE = 1\n")}
    assert not any("ex01_utils" in n for n in found.notes), found.notes
    assert any("ex01_linear_model_v2.py" in n and "counts for ex01" in n
               for n in found.notes), found.notes
    work = tmp_path / "work"
    work.mkdir()
    assert stage_submission(sub, work)["ex01_utils"] == "ex01_utils.py"


def test_an_exercise_helper_sorting_before_the_exercise_never_takes_its_place(tmp_path):
    source = (ROOT / "solutions" / EX01).read_text()
    sub = write(tmp_path / "bob", {EX01: "import ex01_a\n" + source, "ex01_a.py": "A = 1\n"})
    found = collect(sub)
    assert found.files["ex01"][0] == EX01 and set(found.modules) == {"ex01_a"}, found.notes


EX02 = "ex02_gradient_descent.py"


def ex02(uses: str, body: str) -> str:
    """The reference's ex02, its gradient's body replaced by `body` after the import `uses`."""
    source = (ROOT / "solutions" / EX02).read_text()
    source = source.replace("import torch\n", f"import torch\n{uses}\n", 1)
    old = "    return float(np.mean(2 * x * (x * w - y)))\n"
    assert old in source
    return source.replace(old, body, 1)


SLOPE = ("import json\nfrom pathlib import Path\nimport numpy as np\n\n"
         "FACTOR = json.loads((Path(__file__).parent / 'cfg.json').read_text())['factor']\n\n\n"
         "def slope(x, y, w):\n    return float(np.mean(FACTOR * x * (x * w - y)))\n")


def test_a_package_reads_its_data_file_beside_its_own_file(grade):
    """A package's __init__.py and its modules run with __file__ in the package's folder and
    __path__ that folder, where its data files are staged (H6c: 0/24 before, __file__ was
    work/mathutils.py and __path__ [])."""
    files = {EX02: ex02("from mathutils import slope\nfrom mathutils.grad import slope as s2",
                        "    assert s2(x, y, w) == slope(x, y, w)\n"
                        "    return slope(x, y, w)\n"),
             "mathutils/__init__.py": SLOPE + "import os\nassert __path__ == ["
             "os.path.dirname(__file__)] and __file__.endswith('mathutils/__init__.py')\n",
             "mathutils/grad.py": SLOPE,
             "mathutils/cfg.json": '{"factor": 2}'}
    result = grade("ex02", files=files)
    assert result.score == result.max_score > 0, [c.message for c in result.checks
                                                  if c.status != "passed"] + result.notes


def test_more_helpers_than_one_exercise_needs_never_cost_an_exercise(tmp_path):
    """Twelve helpers, six for each of two exercises (H11: ex02 lost its own, past the 10 of
    the whole submission), are all staged; past MAX_OWN_MODULES of one exercise file's own,
    a note names the file."""
    from grader.sandbox.tree import MAX_OWN_MODULES
    files = {EX01: "".join(f"import util{i}\n" for i in range(1, 7)),
             EX02: "".join(f"import util{i}\n" for i in range(7, 13)),
             **{f"util{i}.py": f"X = {i}\n" for i in range(1, 13)}}
    found = collect(write(tmp_path / "carol", files))
    assert set(found.modules) == {f"util{i}" for i in range(1, 13)}, found.notes
    many = MAX_OWN_MODULES + 1
    files = {EX01: "".join(f"import part{i:02d}\n" for i in range(many)),
             **{f"part{i:02d}.py": "X = 1\n" for i in range(many)}}
    found = collect(write(tmp_path / "dave", files))
    assert len(found.modules) == MAX_OWN_MODULES
    assert any(f"{EX01}' imports more than {MAX_OWN_MODULES}" in n for n in found.notes), \
        found.notes


def test_a_literal_folder_put_on_sys_path_is_followed_and_another_is_said(tmp_path):
    """H9: `sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib')); import
    helpers` imports lib/helpers.py as Python does; a folder the grader does not follow (a
    name held in a variable) gets a note that says how to import it instead, never that no
    file imports it."""
    put = "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))\n"
    files = {EX02: put + "import helpers\n", "lib/helpers.py": "X = 1\n"}
    found = collect(write(tmp_path / "erin", files))
    assert found.modules == {"helpers": ("helpers.py", b"X = 1\n")}, found.notes
    assert not found.notes, found.notes
    files = {EX02: "import os, sys\nLIB = 'lib'\nsys.path.append(LIB)\nimport helpers\n",
             "lib/helpers.py": "X = 1\n"}
    found = collect(write(tmp_path / "frank", files))
    assert not found.modules
    assert any("'lib/helpers.py'" in n and "from lib import helpers" in n
               for n in found.notes), found.notes
    assert not any("no exercise file imports it" in n for n in found.notes), found.notes



def test_a_class_run_knows_the_exercise_file_from_its_helper_of_the_same_prefix(tmp_path):
    """A class run's record of an exercise (its hash: what a rerun regrades; its hand-in time:
    what the late policy reads) is the exercise file's, with the helpers it imports, never a
    helper's alone: ex01_a.py sorts before ex01_linear_model.py, and an exercise file fixed
    and handed in again must be regraded, at its own time, whatever its helpers' names."""
    import os

    import pytest

    from grader.classroom.gradebook import Gradebook
    from grader.classroom.run import grade_class
    source = (ROOT / "solutions" / EX01).read_text()
    wrong = source.replace("    return x * w + b\n", "    return x * w - b\n", 1)
    assert wrong != source
    helpers = ("ex01_a", "ex01_zz")
    for helper in helpers:
        write(tmp_path / "class" / helper, {EX01: f"from {helper} import SCALE\n" + wrong,
                                            f"{helper}.py": "SCALE = 1\n"})
    book = tmp_path / "book.db"
    grade_class(tmp_path / "class", db=book, jobs=1, seed=5, exercises=("ex01",),
                progress=False)
    for helper in helpers:
        sub = tmp_path / "class" / helper
        (sub / EX01).write_text(f"from {helper} import SCALE\n" + source)     # fixed, later
        later = (sub / f"{helper}.py").stat().st_mtime + 3600
        os.utime(sub / EX01, (later, later))
    grade_class(tmp_path / "class", db=book, jobs=1, seed=5, exercises=("ex01",),
                progress=False)
    with Gradebook(book) as gb:
        rows = {r["student"]: r for r in gb.history() if r["counts"]}
    for helper in helpers:
        row = rows[helper]
        assert row["score"] == row["max_score"] > 0, (helper, row)
        later = (tmp_path / "class" / helper / EX01).stat().st_mtime
        from grader.classroom.gradebook_read import moment
        assert moment(row["submitted_at"]).timestamp() == pytest.approx(later, abs=1)
