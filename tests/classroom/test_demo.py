"""`python -m grader demo`: the generated class, and a graded run of it (on ex01, to stay fast)."""
import ast
import csv
import zipfile

import pytest

from grader.instructor import demo
from grader.exercises import module_of
from grader.classroom.gradebook import Gradebook


def test_the_demo_class_has_every_kind_of_student(tmp_path):
    exs = demo.available()
    assert "ex01" in exs
    notes = demo.make_class(tmp_path / "class", exs)
    assert sorted(notes) == ["ada", "ben", "cleo", "dev", "eve", "finn", "gus"]
    for ex in exs:
        name = f"{module_of(ex)}.py"
        ref = (demo.ROOT / "solutions" / name).read_text()
        assert (tmp_path / "class" / "ada" / name).read_text() == ref
        assert (tmp_path / "class" / "ben" / name).read_text() == \
            (demo.ROOT / "exercises" / name).read_text()
        # every exercise is planted with a mistake in cleo's or dev's copy, except dev's last
        copies = [tmp_path / "class" / s / name for s in ("cleo", "dev")]
        texts = [p.read_text() for p in copies if p.exists()]
        assert any(t != ref for t in texts) or (ex == exs[-1] and len(texts) == 1)
        for t in texts:
            ast.parse(t)                                     # planted code is valid Python
    with zipfile.ZipFile(tmp_path / "class" / "finn.zip") as zf:
        assert zf.namelist()[0].startswith("finn/")
    gus = tmp_path / "class" / "gus"
    assert sorted(p.name for p in gus.iterdir()) == sorted(module_of(ex) for ex in exs)


def test_every_planted_mistake_fits_its_reference():
    for ex in demo.available():
        for which in (0, 1):
            planted = demo._mistake(ex, which)
            assert planted is not None, f"no planted mistake fits {ex}"
            ast.parse(planted[1])


def test_make_class_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(FileExistsError):
        demo.make_class(tmp_path / "mine", ["ex01"])
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


@pytest.mark.slow
def test_demo_grades_the_class_and_prints_the_table(tmp_path, capsys, monkeypatch):
    from grader.cli import main
    monkeypatch.setenv("GRADER_VERSION", "demo-test")
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--exercises", "ex01", "--no-progress"]) == 0
    text = capsys.readouterr().out
    table = text[text.index("student "):].splitlines()
    header = table[0].split()
    assert header == ["student", "ex01", "total"]
    rows = {line.split()[0]: line.split()[1:] for line in table[2:9]}
    full = table[10].split()[1]
    assert rows["ada"] == [full, full] and rows["ben"] == ["0", "0"]
    assert rows["finn"] == ["0", "0"]                       # ex01 exits when imported
    for student in ("cleo", "dev", "gus"):                  # a planted mistake each
        assert 0 < float(rows[student][0]) < float(full), student
    assert rows["eve"] == [full, full]                      # half of one exercise: all of it
    with Gradebook(out / "gradebook.db") as book:
        assert book.students() == sorted(rows)
    with open(out / "grades.csv", newline="") as f:
        assert [r["student"] for r in csv.DictReader(f)] == sorted(rows)
    pages = sorted(p.name for p in (out / "feedback").iterdir())
    assert pages == sorted([f"{s}.html" for s in rows] + ["summary.html"])
    assert "demo done in" in text
