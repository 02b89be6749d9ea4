"""`python -m grader demo`: the generated class, and a graded run of it (on ex01, to stay fast)."""
import ast
import csv
import zipfile

import pytest

from grader.instructor import demo, demo_course
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
    # the grades filled into the Canvas gradebook export, and Moodle's import file
    rows = list(csv.reader((out / "canvas-import.csv").read_text(encoding="utf-8-sig")
                           .splitlines()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "week1 (4101)", "Current Score"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == full
    canvas = {r[3].split("@")[0]: r[5] for r in rows[2:]}
    # ex01 is all of week1, the last assignment: cleo handed it in 1 day 2 hours late (-20 %)
    raw = {s: float(v[0]) for s, v in rows_by(table).items()}
    assert {s: float(v) for s, v in canvas.items()} == \
        {s: round(v * (0.8 if s == "cleo" else 1), 6) for s, v in raw.items()}
    with open(out / "moodle-import.csv", newline="") as f:
        moodle = list(csv.reader(f))
    assert moodle[0] == ["Username", "week1"]
    assert {r[0]: r[1] for r in moodle[1:]} == canvas
    assert f"Canvas grade import: {out / 'canvas-import.csv'}, 7 students" in text
    assert f"Moodle grade import: {out / 'moodle-import.csv'}, 7 students" in text
    assert "similarity" not in text              # ex02 not in this class: no report
    assert "demo done in" in text


def rows_by(table):
    return {line.split()[0]: line.split()[1:] for line in table[2:9]}


def test_the_planted_copy_ranks_first_and_the_summary_links_it(tmp_path, capsys):
    """ex02: ada's reference, cleo's, dev's, eve's and gus's own ways, finn's renamed copy of
    cleo's: the report's first pair is cleo and finn, every other pair far below."""
    out = tmp_path / "demo"
    demo.make_class(out / "class", demo.available())
    finn = zipfile.ZipFile(out / "class" / "finn.zip").read(
        "finn/ex02_gradient_descent.py").decode()
    cleo = (out / "class" / "cleo" / "ex02_gradient_descent.py").read_text()
    assert finn != cleo and "# " in finn.split("def cost(")[1]    # renamed, comments added
    page, pairs = demo_course.similarity_report(out)
    top = pairs[0]
    assert sorted((top.a.student, top.b.student)) == ["cleo", "finn"]
    assert top.score > 0.9
    assert all(p.score < 0.5 for p in pairs[1:]), [(p.a.student, p.b.student) for p in pairs]
    assert "finn" in page.read_text() and page == out / "feedback" / "similarity.html"
    demo_course.print_similarity(page, pairs)
    said = capsys.readouterr().out
    assert "cleo and finn" in said and "ranked first" in said


@pytest.mark.parametrize("student", ["cleo", "dev", "eve", "gus", "finn"])
def test_every_own_way_of_ex02_gets_full_marks(grade, student):
    ref = (demo.ROOT / "solutions" / "ex02_gradient_descent.py").read_text()
    text = demo_course.ex02_text(student, ref)
    assert text != ref
    result = grade("ex02", files={"ex02_gradient_descent.py": text}, device="cpu")
    assert result.max_score > 0 and result.score == result.max_score, \
        [(c.target, c.message) for c in result.checks if c.status != "passed"]


def test_guss_notebook_has_his_own_ex02_in_the_answer_cells():
    import json
    source = demo.ROOT / "source_notebooks" / "ex02_gradient_descent" / \
        "ex02_gradient_descent.ipynb"
    if not source.exists():
        pytest.skip("no ex02 notebook in this checkout")
    nb = demo_course.ex02_notebook(json.loads(source.read_text()), "gus")
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "np.average(np.square(" in code and "BEGIN SOLUTION" not in code
    assert "run_checks('ex02', 'cost', In)" in code               # the check cells are kept
