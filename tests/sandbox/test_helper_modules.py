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
