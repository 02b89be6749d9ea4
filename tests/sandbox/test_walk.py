"""A submission's folders walked for its exercise files (grader/sandbox/tree.py, staging.collect,
and handed_in's walk for the hand-in times): whatever else the folders hold (any count, any
order, any names), every exercise file at a graded depth is found; a file that looks like an
exercise's but is not graded (too deep, under another suffix or a similar name) gets a note
that names it and says what to do; the one bound, on names listed, is far above any real
submission, shared fairly between folders, and said in a note where it is reached. Folders and
zips alike, through `grade`'s staging and grade-class's gatherer.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from grader.exercises import EXERCISES
from grader.sandbox import staging, tree
from grader.sandbox.tree import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[2]
FILES = {f"{module}.py": (ROOT / "solutions" / f"{module}.py").read_bytes()
         for module in EXERCISES.values()}
EX01 = "ex01_linear_model.py"


def _files(folder: Path, names=FILES):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(FILES[name])


def _empty(folder: Path, n: int, pattern: str = "frame_{:05d}.png"):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / pattern.format(i)).touch()


def _zip(path: Path, members: dict) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def test_plot_frames_beside_the_exercise_files_never_hide_one(tmp_path):
    """10 000 frames in exercises/ beside all twelve exercise files: the listing order of the
    folder is the file system's, and every exercise file is found wherever it falls in it."""
    _empty(tmp_path / "sub" / "exercises", 10_000)
    _files(tmp_path / "sub" / "exercises")
    found = staging.collect(tmp_path / "sub")
    assert sorted(found.files) == sorted(EXERCISES) and not found.all_notes(), found.all_notes()


def test_a_data_set_sorted_first_at_the_same_depth_never_hides_the_work(tmp_path):
    """a_data/<class>/ (7 x 1 800 images) beside z_work/exercises/: the work is found."""
    for i in range(7):
        _empty(tmp_path / "sub" / "a_data" / f"class{i}", 1_800, "img{:05d}.png")
    _files(tmp_path / "sub" / "z_work" / "exercises", [EX01])
    found = staging.collect(tmp_path / "sub")
    assert list(found.files) == ["ex01"] and not found.all_notes(), found.all_notes()


@pytest.mark.parametrize("where", ["top", "folder beside", "same folder"])
def test_past_the_bound_on_names_a_note_and_the_folders_beside_still_listed(tmp_path, where,
                                                                           monkeypatch):
    """With the bound made small: a folder of more names than it takes half of what is left,
    with a note naming it; the folders beside it are listed, their exercise files found (a
    file in the huge folder itself may be past the names looked at: said in the note)."""
    monkeypatch.setattr(tree, "MAX_NAMES", 2_000, raising=False)
    sub = tmp_path / "sub"
    _empty(sub / "data", 5_000)
    home = {"top": sub, "folder beside": sub / "work", "same folder": sub / "data"}[where]
    _files(home, [EX01])
    found = staging.collect(sub)
    notes = found.all_notes()
    assert any("names of 'data', which holds more" in n for n in notes), notes
    if where != "same folder":
        assert list(found.files) == ["ex01"], notes


def test_the_names_bound_reached_is_said(tmp_path, monkeypatch):
    monkeypatch.setattr(tree, "MAX_NAMES", 300, raising=False)
    sub = tmp_path / "sub"
    for i in range(5):
        _empty(sub / f"d{i}", 100)
    _files(sub / "zz", [EX01])
    notes = staging.collect(sub).all_notes()
    assert any("stopped looking after 300 names" in n for n in notes), notes


@pytest.mark.parametrize("depth", range(0, 7))
def test_an_exercise_file_at_any_depth_is_graded_or_said_to_be_too_deep(tmp_path, depth):
    folders = ["eve", "course", "hw1", "exercises", "week1", "final"][:depth]
    sub = tmp_path / "sub"
    _files(sub.joinpath(*folders), [EX01])
    for zipped in (False, True):
        source = _zip(tmp_path / "sub.zip", {"/".join(folders + [EX01]): FILES[EX01]}) \
            if zipped else sub
        found = staging.collect(source)
        if depth <= MAX_DEPTH:
            assert list(found.files) == ["ex01"] and not found.all_notes(), found.all_notes()
            continue
        assert not found.files
        path = "/".join(folders + [EX01])
        assert found.all_notes() == [
            f"found '{path}', {depth} folders down: exercise files are graded at most "
            f"{MAX_DEPTH} folders below the top of the submission; move it up (or hand in "
            f"the folder that holds it), ex01 was not graded"], (zipped, found.all_notes())


def test_a_copy_too_deep_beside_the_graded_file_is_said_not_graded(tmp_path):
    sub = tmp_path / "sub"
    _files(sub, [EX01])
    _files(sub / "old" / "a" / "b" / "c", [EX01])
    found = staging.collect(sub)
    assert list(found.files) == ["ex01"]
    assert any("'old/a/b/c/ex01_linear_model.py' was not graded: 'ex01_linear_model.py' "
               "counts for ex01" in n for n in found.all_notes()), found.all_notes()


@pytest.mark.parametrize("name", ["ex01_linear_model.py.txt", "ex01_linear_model.py.bak",
                                  "ex01_linear_model.py~", "ex01_linear_model.ipynb.json",
                                  "ex01_linear_model.py (1)", "ex1_linear.py"])
def test_an_exercise_file_under_another_suffix_or_name_gets_a_note(tmp_path, name):
    """The file alone: a note naming it and what to do. Beside the exercise's own file, a
    backup under another suffix says nothing (a similar .py name still does)."""
    for zipped in (False, True):
        sub = tmp_path / ("z" if zipped else "f")
        (sub / "exercises").mkdir(parents=True)
        (sub / "exercises" / name).write_bytes(FILES[EX01])
        source = _zip(tmp_path / "sub.zip", {f"exercises/{name}": FILES[EX01]}) if zipped \
            else sub
        found = staging.collect(source)
        assert not found.files
        assert f"found 'exercises/{name}'; this exercise is read from ex01_linear_model.py " \
               f"(or .ipynb): rename the file, ex01 was not graded" in found.all_notes(), \
            (zipped, found.all_notes())
        _files(sub / "exercises", [EX01])
        source = _zip(tmp_path / "sub.zip", {f"exercises/{name}": FILES[EX01],
                                             f"exercises/{EX01}": FILES[EX01]}) \
            if zipped else sub
        found = staging.collect(source)
        assert list(found.files) == ["ex01"]
        said = [n for n in found.all_notes() if name in n]
        assert bool(said) == name.endswith(".py"), (zipped, found.all_notes())


@pytest.mark.parametrize("name", ["ex01_linear_model.pyc", "ex01_linear_model.html",
                                  "notes.txt", "ex01_plot.png"])
def test_other_files_get_no_note(tmp_path, name):
    sub = tmp_path / "sub"
    _files(sub, [EX01])
    (sub / name).write_bytes(b"x")
    found = staging.collect(sub)
    assert list(found.files) == ["ex01"] and not found.all_notes(), found.all_notes()


def test_a_zip_of_many_entries_in_any_order_keeps_its_exercise_files(tmp_path):
    """A data set zipped with the work (30 000 frames: a zip of over 10 000 entries was refused
    whole before, 0 points) is listed, not read: the exercise files are found wherever they lie
    in the zip's order."""
    members = {f"exercises/frame_{i:05d}.png": b"" for i in range(30_000)}
    members = {**dict(list(members.items())[:15_000]), **{f"exercises/{n}": d for n, d in
                                                          FILES.items()},
               **dict(list(members.items())[15_000:])}
    found = staging.collect(_zip(tmp_path / "sub.zip", members))
    assert sorted(found.files) == sorted(EXERCISES) and not found.all_notes(), found.all_notes()


def test_grade_and_grade_class_stage_what_the_walk_finds(tmp_path):
    """The same staging for `grade` (stage_submission) and grade-class's gatherer: frames
    beside the files, a copy kept too deep, a backup under another suffix."""
    from grader.classroom.entries import gather
    sub = tmp_path / "alice"
    _empty(sub / "exercises", 4_000)
    _files(sub / "exercises", ["ex01_linear_model.py", "ex02_gradient_descent.py"])
    _files(sub / "eve" / "course" / "hw1" / "exercises", ["ex03_autograd_basics.py"])
    (sub / "exercises" / "ex04_backprop.py.txt").write_bytes(FILES["ex04_backprop.py"])
    work = tmp_path / "work"
    work.mkdir()
    notes: list = []
    staged = staging.stage_submission(sub, work, notes)
    entry = gather("alice", sub, tmp_path / "gathered")
    for files, said in ((staged.values(), notes), (os.listdir(entry.folder), entry.problems)):
        assert {"ex01_linear_model.py", "ex02_gradient_descent.py"} <= set(files)
        assert any("'eve/course/hw1/exercises/ex03_autograd_basics.py', 4 folders down" in n
                   for n in said), said
        assert any("'exercises/ex04_backprop.py.txt'; this exercise is read from" in n
                   for n in said), said


def test_the_hand_in_times_walk_is_bounded_and_finds_the_work(tmp_path, monkeypatch):
    """handed_in's walk (grade-class's own process, outside any timeout) lists at most
    MAX_NAMES names, each folder at most half of what is left: a student's folder of many
    files costs no more, and her exercise file beside them still has its time."""
    from grader.classroom import handed_in
    monkeypatch.setattr(tree, "MAX_NAMES", 1_000, raising=False)
    monkeypatch.setattr(tree, "MIN_SHARE", 100, raising=False)
    sub = tmp_path / "alice"
    _empty(sub / "junk", 5_000)
    _files(sub / "work", [EX01])
    listed = []
    scandir = os.scandir

    class Counted:
        def __init__(self, path):
            self.it = scandir(path)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.it.close()

        def __iter__(self):
            return self

        def __next__(self):
            entry = next(self.it)
            listed.append(entry.name)
            return entry

        def close(self):
            self.it.close()

    monkeypatch.setattr(os, "scandir", Counted)
    monkeypatch.setattr(os, "supports_fd", os.supports_fd | {Counted})
    times = handed_in.handed_in_each(sub, [EX01])
    assert "ex01" in times and len(listed) <= 1_000, (times, len(listed))


def test_scripts_or_a_data_set_listed_first_never_crowd_out_her_modules_and_data(tmp_path):
    """60 scripts at the top and 60 data files in a folder sorted first: the utils.py and
    settings.json beside the exercise file, which it imports and names, are staged."""
    sub = tmp_path / "sub"
    for i in range(60):
        (sub / "a_data").mkdir(parents=True, exist_ok=True)
        (sub / "a_data" / f"part{i:03d}.json").write_text("{}")
        (sub / f"a_script{i:03d}.py").write_text("X = 1\n")
    _files(sub / "work", [EX01])
    (sub / "work" / EX01).write_bytes(FILES[EX01] + b"\nimport utils\nSETTINGS = 'settings.json'\n")
    (sub / "work" / "utils.py").write_text("Y = 2\n")
    (sub / "work" / "settings.json").write_text('{"lr": 0.1}')
    found = staging.collect(sub)
    assert list(found.files) == ["ex01"] and "utils" in found.modules, found.all_notes()
    assert "settings.json" in found.data, found.all_notes()


def test_a_zip_holding_only_a_zip_says_so(tmp_path):
    """Her work zipped twice (hw.zip inside submission.zip) is not opened, and the note says
    why, where it said only that no file was found; a zip beside exercise files is quiet."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(f"{EXERCISES['ex01']}.py", "x = 1\n")
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as z:
        z.writestr("hw/hw.zip", inner.getvalue())
    found = staging.collect(tmp_path / "twice.zip")
    assert found.files == {}
    assert any("hw/hw.zip" in n and "zip inside the zip is not opened" in n
               for n in found.all_notes()), found.all_notes()
    with zipfile.ZipFile(tmp_path / "both.zip", "w") as z:
        z.writestr("hw/hw.zip", inner.getvalue())
        z.writestr(f"{EXERCISES['ex01']}.py", "x = 1\n")
    found = staging.collect(tmp_path / "both.zip")
    assert set(found.files) == {"ex01"}
    assert not any("zip inside" in n for n in found.all_notes())
