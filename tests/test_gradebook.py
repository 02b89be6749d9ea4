"""The SQLite gradebook: one transaction per submission, regrading replaces, CSV export."""
import csv
import sqlite3

import pytest

from grader.classroom.gradebook import Gradebook, grader_version
from grader.engine.runner import CheckResult, GradeResult


def check(ex, target, status, points=2.0, visible=True, message="", params=""):
    return CheckResult(nodeid=f"{'visible' if visible else 'hidden'}/test_{ex}.py::"
                              f"test_{target}[{params}]",
                       exercise=ex, target=target, title=f"{target} works", params=params,
                       points=points, visible=visible, status=status, message=message,
                       seconds=0.01)


def result(statuses, seed=7, exercises=("ex01", "ex02")):
    """statuses: {(ex, target): status}"""
    checks = [check(ex, t, s) for (ex, t), s in statuses.items()]
    return GradeResult(submission="x", seed=seed, checks=checks, exercises=list(exercises),
                       seconds=0.5)


ALL_PASS = {("ex01", "forward"): "passed", ("ex01", "loss"): "passed",
            ("ex02", "gradient"): "passed"}


def rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_record_and_read_back(tmp_path):
    db = tmp_path / "g.db"
    r = result(ALL_PASS)
    r.checks[0].plots = [{"title": "loss", "kind": "curve", "series": {"student": [1.0, 0.5]}}]
    with Gradebook(db) as book:
        book.record("alice", r, content_hash="h1")
        back = book.result("alice")
    assert back.score == 6 and back.max_score == 6
    assert [c.nodeid for c in back.checks] == [c.nodeid for c in r.checks]
    assert back.checks[0].plots[0]["series"]["student"] == [1.0, 0.5]
    assert back.exercises == ["ex01", "ex02"] and back.seed == 7


def test_regrading_replaces_never_duplicates(tmp_path):
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", result(ALL_PASS), content_hash="h1")
        worse = dict(ALL_PASS)
        worse[("ex02", "gradient")] = "failed"
        book.record("alice", result(worse), content_hash="h2")
        book.record("bob", result(ALL_PASS), content_hash="h3")
        assert book.result("alice").score == 4
    assert rows(db, "SELECT COUNT(*) FROM students") == [(2,)]
    assert rows(db, "SELECT COUNT(*) FROM submissions") == [(2,)]
    assert rows(db, "SELECT COUNT(*) FROM results") == [(6,)]


def test_a_failed_write_leaves_the_old_submission(tmp_path):
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", result(ALL_PASS), content_hash="h1")
        broken = result(ALL_PASS)
        broken.checks.append(broken.checks[0])   # the same nodeid twice: the insert fails
        with pytest.raises(sqlite3.IntegrityError):
            book.record("alice", broken, content_hash="h2")
        sub = book.submission("alice")
    assert sub["content_hash"] == "h1"
    assert rows(db, "SELECT COUNT(*) FROM results") == [(3,)]


def test_current_needs_same_hash_seed_version_exercises(tmp_path):
    with Gradebook(tmp_path / "g.db") as book:
        book.record("alice", result(ALL_PASS, seed=7), content_hash="h1")
        assert book.current("alice", "h1", 7, ["ex01", "ex02"])
        assert not book.current("alice", "h2", 7, ["ex01", "ex02"])
        assert not book.current("alice", "h1", 8, ["ex01", "ex02"])
        assert not book.current("alice", "h1", 7, ["ex01"])
        assert not book.current("alice", "h1", 7, ["ex01", "ex02"], device="cpu")
        assert not book.current("bob", "h1", 7, ["ex01", "ex02"])
        book.db.execute("UPDATE submissions SET grader_version = 'older'")
        assert not book.current("alice", "h1", 7, ["ex01", "ex02"])
    assert grader_version().startswith("0.") and "+" in grader_version()


def test_class_seed_is_remembered(tmp_path):
    with Gradebook(tmp_path / "g.db") as book:
        first = book.class_seed()
    with Gradebook(tmp_path / "g.db") as book:
        assert book.class_seed() == first
        assert book.class_seed(123) == 123
        assert book.class_seed() == 123


def test_table_and_csv(tmp_path):
    db = tmp_path / "g.db"
    half = {("ex01", "forward"): "passed", ("ex01", "loss"): "failed",
            ("ex02", "gradient"): "not started"}
    with Gradebook(db) as book:
        book.record("bob", result(half), content_hash="h2")
        book.record("alice", result(ALL_PASS), content_hash="h1")
        skipped = result(ALL_PASS)
        skipped.checks.append(check("ex02", "cuda", "skipped", points=5))
        skipped.tampering = ["ex01_linear_model.py: line 3: reads the garbage collector's "
                             "objects (gc.get_objects)", "ex01_linear_model.py: line 9: x"]
        book.record("carol", skipped, content_hash="h3")
        assert book.result("carol").tampering == skipped.tampering
        exercises, table, maxes = book.table()
        text = book.format_table()
        assert book.export_csv(tmp_path / "grades.csv") == 3
    assert exercises == ["ex01", "ex02"]
    assert [name for name, _, _ in table] == ["alice", "bob", "carol"]
    assert maxes == {"ex01": 4, "ex02": 2, "total": 6}      # a skipped check is not counted
    with open(tmp_path / "grades.csv", newline="") as f:
        got = list(csv.reader(f))
    assert got == [["student", "ex01", "ex02", "total", "review"], ["alice", "4", "2", "6", ""],
                   ["bob", "2", "0", "2", ""],
                   ["carol", "4", "2", "6", "ex01_linear_model.py: line 3: reads the garbage "
                    "collector's objects (gc.get_objects) (and 1 more)"]]
    assert text.splitlines()[0].split() == ["student", "ex01", "ex02", "total"]
    assert text.splitlines()[3].split() == ["bob", "2", "0", "2"]
    assert text.splitlines()[-1].split() == ["max", "4", "2", "6"]


def test_export_verb(tmp_path, capsys):
    from grader.cli import main
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", result(ALL_PASS), content_hash="h1")
    assert main(["export", "--csv", str(tmp_path / "out.csv"), "--db", str(db)]) == 0
    assert (tmp_path / "out.csv").read_text().splitlines()[1] == "alice,4,2,6"
    assert main(["export", "--csv", str(tmp_path / "x.csv"), "--db",
                 str(tmp_path / "none.db")]) == 2


def test_no_name_starts_a_formula_in_any_spreadsheet_locale(tmp_path):
    """A spreadsheet may split a CSV line at ',' or, in many locales, at ';', a tab or '|': no
    piece of an exported name, split any of those ways, starts like a formula."""
    names = ["=1+1", "x;=1+1;", 'Smith;=HYPERLINK("http:"&B2)', "a\t+b", "a|@c", "-3", "x; =1",
             "a,=b", "+x;-y|@z", "plain", "n=2"]
    with Gradebook(tmp_path / "g.db") as book:
        for i, name in enumerate(names):
            book.record(name, result(ALL_PASS), content_hash=f"h{i}")
        book.export_csv(tmp_path / "grades.csv")
    text = (tmp_path / "grades.csv").read_text()
    for sep in (",", ";", "\t", "|"):
        for line in text.splitlines()[1:]:
            for piece in line.split(sep):
                piece = piece.strip().lstrip('"').strip()
                assert piece[:1] not in ("=", "+", "-", "@"), (sep, line)
    with open(tmp_path / "grades.csv", newline="") as f:
        kept = [row[0] for row in csv.reader(f)][1:]
    assert "plain" in kept and "n=2" in kept and "'=1+1" in kept
