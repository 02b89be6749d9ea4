"""docs/course.md shows the class folders grade-class grades: each nbgrader path the guide
gives as working is graded for its exercise, and each it gives as not graded is not (a guide
that showed `submitted/alice/ps1/ex01_linear_model.ipynb` as the layout gave a class 0)."""
import re
from pathlib import Path

from grader.sandbox import staging

ROOT = Path(__file__).resolve().parents[2]
PATH = re.compile(r"`(course/submitted/[^`]+?\.(?:ipynb|py))`")


def nbgrader_paths():
    text = (ROOT / "docs" / "course.md").read_text()
    bullet = next(p for p in text.split("\n- ") if p.startswith("nbgrader's tree"))
    works, fails = bullet.split("is not graded", 1)[0].split("Each exercise is graded only")
    return PATH.findall(works), PATH.findall(fails)


def graded_exercises(tmp_path, path: str) -> set:
    file = tmp_path / path
    file.parent.mkdir(parents=True)
    (tmp_path / "course" / "nbgrader_config.py").write_text("")
    file.write_text("{}" if file.suffix == ".ipynb" else "x = 1\n")
    student = tmp_path / "course" / "submitted" / "alice"
    return set(staging.collect(student).files)


def test_the_guides_nbgrader_layout_is_the_one_graded(tmp_path):
    works, fails = nbgrader_paths()
    assert works and fails
    for i, path in enumerate(works):
        ex = staging.exercise_of(path.rsplit("/", 1)[1])
        assert graded_exercises(tmp_path / f"w{i}", path) == {ex}, path
    for i, path in enumerate(fails):
        assert graded_exercises(tmp_path / f"f{i}", path) == set(), path
