"""The SQLite gradebook: one transaction per submission, every graded submission kept as history
(the latest, the best, the latest before a cutoff counts), per-exercise grades, the upgrade of a
gradebook written before the history was kept, refusing what is not a gradebook, CSV export."""
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


def test_regrading_keeps_the_history_and_the_latest_counts(tmp_path):
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", result(ALL_PASS), content_hash="h1")
        worse = dict(ALL_PASS)
        worse[("ex02", "gradient")] = "failed"
        book.record("alice", result(worse), content_hash="h2")
        book.record("bob", result(ALL_PASS), content_hash="h3")
        assert book.result("alice").score == 4
        assert book.result("alice", policy="best").score == 6
        history = book.history("alice")
    assert rows(db, "SELECT COUNT(*) FROM students") == [(2,)]
    assert rows(db, "SELECT COUNT(*) FROM submissions") == [(3,)]     # nothing replaced
    assert rows(db, "SELECT COUNT(*) FROM results") == [(9,)]
    assert [(h["content_hash"], h["exercise"], h["score"], h["counts"]) for h in history] == [
        ("h1", "ex01", 4, False), ("h1", "ex02", 2, False),
        ("h2", "ex01", 4, True), ("h2", "ex02", 0, True)]


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


def test_current_needs_same_hash_version_for_each_exercise_and_the_seed_if_asked(tmp_path):
    with Gradebook(tmp_path / "g.db") as book:
        book.record("alice", result(ALL_PASS, seed=7), content_hash="h1")
        assert book.current("alice", "h1", ["ex01", "ex02"])
        assert book.current("alice", "h1", ["ex01"])        # graded for ex01 already
        assert book.to_grade("alice", "h1", ["ex02", "ex03"]) == ["ex03"]
        assert not book.current("alice", "h1", ["ex01", "ex03"])
        assert not book.current("alice", "h2", ["ex01", "ex02"])
        assert book.current("alice", "h1", ["ex01", "ex02"], seed=7)
        assert not book.current("alice", "h1", ["ex01", "ex02"], seed=8)   # another seed asked
        assert not book.current("alice", "h1", ["ex01", "ex02"], device="cpu")
        assert not book.current("bob", "h1", ["ex01", "ex02"])
        # ex03 graded later for the same files: ex01 and ex02 stay current, and count
        book.record("alice", result({("ex03", "mlp"): "passed"}, exercises=("ex03",)),
                    content_hash="h1")
        assert book.current("alice", "h1", ["ex01", "ex02", "ex03"])
        assert book.table()[1] == [("alice", {"ex01": 4, "ex02": 2, "ex03": 2}, 8)]
        book.db.execute("UPDATE submissions SET grader_version = 'older'")
        assert not book.current("alice", "h1", ["ex01", "ex02"])
    assert grader_version().startswith("0.") and "+" in grader_version()


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


# ----------------------------------------------------------------------------------------------
# history and policies

def _one(ex, status, points=2.0):
    return result({(ex, "f"): status}, exercises=(ex,))


def test_policies_latest_best_and_a_cutoff(tmp_path, capsys):
    from grader.cli import main
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", _one("ex01", "passed"), content_hash="a1",
                    submitted_at="2026-09-01T10:00")
        book.record("alice", _one("ex01", "failed"), content_hash="a2",
                    submitted_at="2026-09-03T10:00")
        book.record("alice", _one("ex02", "failed"), content_hash="a2",
                    submitted_at="2026-09-03T10:00")
        book.record("alice", _one("ex02", "passed"), content_hash="a3",
                    submitted_at="2026-09-09T10:00+00:00")
        got = {p: book.table(policy=p)[1] for p in ("latest", "best")}
        before = book.table(before="2026-09-02T00:00")[1]
        due = {"ex01": "2026-09-02T00:00", "ex02": "2026-09-10T00:00"}
        per_exercise = book.table(before=due)[1]
        assert book.result("alice", "best", "2026-09-05").score == 2      # ex01's first
        assert len(book.history("alice")) == 4
    assert got["latest"] == [("alice", {"ex01": 0, "ex02": 2}, 2)]
    assert got["best"] == [("alice", {"ex01": 2, "ex02": 2}, 4)]
    assert before == [("alice", {"ex01": 2, "ex02": 0}, 2)]   # ex02: nothing before then
    assert per_exercise == [("alice", {"ex01": 2, "ex02": 2}, 4)]
    for args, line in ((["--policy", "best"], "alice,2,2,4"), ([], "alice,0,2,2"),
                       (["--before", "2026-09-02"], "alice,2,0,2")):
        assert main(["export", "--csv", "-", "--db", str(db)] + args) == 0
        out = capsys.readouterr()
        assert out.out.splitlines() == ["student,ex01,ex02,total", line]
        assert "wrote stdout: 1 students" in out.err
    with Gradebook(db) as book:          # a tie for the best: the latest of them counts
        book.record("alice", _one("ex02", "passed"), content_hash="a4")
        best = [h["content_hash"] for h in book.history("alice", "best") if h["counts"]]
        assert best == ["a1", "a4"]
        with pytest.raises(ValueError):
            book.table(policy="worst")
    assert main(["export", "--csv", "-", "--db", str(db), "--before", "someday"]) == 2
    assert "--before 'someday' is not a time" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--csv", "-", "--db", str(db), "--policy", "worst"])


def test_weeks_of_a_course_keep_every_exercise_and_every_submission(tmp_path, capsys):
    """Runs over different exercise sets, students added and removed, a resubmission: the
    table holds each exercise's latest grading, the history every graded submission."""
    db = tmp_path / "g.db"
    graded = []

    def grade(student, exercises, chash, status="passed"):
        r = result({(ex, "f"): status for ex in exercises}, exercises=exercises)
        book.record(student, r, content_hash=chash)
        graded.extend((student, chash, ex) for ex in exercises)

    with Gradebook(db) as book:
        for s in ("ann", "ben", "cat"):                     # week 1: everything
            grade(s, ("ex01", "ex02", "ex03"), f"{s}1", "failed" if s == "ben" else "passed")
        for s in ("ann", "ben", "dov"):                     # week 2: ex02 only; cat gone,
            grade(s, ("ex02",), f"{s}2")                    # dov new, ben resubmits
        grade("ben", ("ex03",), "ben3", "failed")           # week 3: ben's ex03 again
        grade("cat", ("ex01",), "cat3", "failed")           # cat back, ex01 now fails
        exercises, table, maxes = book.table()
        history = book.history()
        book.export_csv(tmp_path / "grades.csv")
    assert exercises == ["ex01", "ex02", "ex03"] and maxes["total"] == 6
    assert table == [("ann", {"ex01": 2, "ex02": 2, "ex03": 2}, 6),
                     ("ben", {"ex01": 0, "ex02": 2, "ex03": 0}, 2),
                     ("cat", {"ex01": 0, "ex02": 2, "ex03": 2}, 4),
                     ("dov", {"ex01": 0, "ex02": 2, "ex03": 0}, 2)]
    assert [(h["student"], h["content_hash"], h["exercise"]) for h in history] == graded
    assert sum(h["counts"] for h in history) == 3 + 3 + 3 + 1
    assert (tmp_path / "grades.csv").read_text().splitlines() == [
        "student,ex01,ex02,ex03,total", "ann,2,2,2,6", "ben,0,2,0,2", "cat,0,2,2,4",
        "dov,0,2,0,2"]
    from grader.cli import main
    assert main(["export", "--history", "--csv", "-", "--db", str(db)]) == 0
    out = capsys.readouterr()
    lines = list(csv.reader(out.out.splitlines()))
    assert lines[0][:6] == ["student", "exercise", "score", "max_score", "counts",
                            "content_hash"]
    assert [(r[0], r[5], r[1]) for r in lines[1:]] == graded
    assert [r[4] for r in lines[1:] if r[0] == "cat"] == ["0", "1", "1", "1"]
    assert f"wrote stdout: {len(graded)} graded exercises" in out.err
    assert main(["export", "--history", "--csv", str(tmp_path / "h.csv"), "--db",
                 str(db)]) == 0
    assert (tmp_path / "h.csv").read_text().splitlines() == out.out.splitlines()


def test_an_unreadable_resubmission_counts_as_the_latest(tmp_path):
    """A grading with no check (a zip that could not be read) is the exercise's latest: 0."""
    with Gradebook(tmp_path / "g.db") as book:
        book.record("ann", result(ALL_PASS), content_hash="h1")
        book.record("ann", GradeResult(submission="ann.zip", seed=7, exercises=["ex01"],
                                       errors=["could not read ann.zip"]), content_hash="h2")
        assert book.table()[1] == [("ann", {"ex01": 0, "ex02": 2}, 2)]
        back = book.result("ann")
        assert back.errors == ["could not read ann.zip"] and back.exercises == ["ex01", "ex02"]
        assert [c.exercise for c in back.checks] == ["ex02"]
        assert book.table(policy="best")[1] == [("ann", {"ex01": 4, "ex02": 2}, 6)]


# ----------------------------------------------------------------------------------------------
# a gradebook written before the history was kept upgrades without loss

# The iterdump of a gradebook written by the version before (one submission per student,
# `student_id ... UNIQUE`), with Gradebook.record: two students, a run, notes, tampering,
# a skipped and a hidden check. Its application_id is the grader's (set apart: iterdump omits it).
V1_DUMP = """BEGIN TRANSACTION;
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO "meta" VALUES('place','2318354');
INSERT INTO "meta" VALUES('sidecars','');
INSERT INTO "meta" VALUES('seed','7');
CREATE TABLE results (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    nodeid        TEXT NOT NULL,
    exercise      TEXT NOT NULL,
    target        TEXT,
    title         TEXT,
    params        TEXT,
    points        REAL NOT NULL,
    score         REAL NOT NULL,
    visible       INTEGER NOT NULL,
    status        TEXT NOT NULL,           -- passed, failed, not started, error, skipped
    message       TEXT,
    seconds       REAL,
    plots         TEXT,                    -- JSON list (see grader.engine.plots.plot)
    hints         TEXT,                    -- JSON list: the mistakes the check named
    facts         INTEGER,                 -- 1: it read facts measured inside the worker
    PRIMARY KEY (submission_id, nodeid)
);
INSERT INTO "results" VALUES(1,0,'visible/test_ex01.py::test_forward','ex01','forward','forward works','',2.0,2.0,1,'passed','',0.01,NULL,NULL,0);
INSERT INTO "results" VALUES(1,1,'visible/test_ex01.py::test_loss','ex01','loss','loss works','',2.0,0.0,1,'failed','msg',0.01,NULL,'["h"]',0);
INSERT INTO "results" VALUES(1,2,'hidden/test_ex02.py::test_gradient','ex02','gradient','gradient works','',3.0,3.0,0,'passed','',0.01,NULL,NULL,0);
INSERT INTO "results" VALUES(1,3,'visible/test_ex02.py::test_cuda','ex02','cuda','cuda works','',5.0,0.0,1,'skipped','msg',0.01,NULL,NULL,0);
INSERT INTO "results" VALUES(2,0,'visible/test_ex01.py::test_forward','ex01','forward','forward works','',2.0,0.0,1,'failed','msg',0.01,NULL,'["h"]',0);
INSERT INTO "results" VALUES(2,1,'visible/test_ex01.py::test_loss','ex01','loss','loss works','',2.0,2.0,1,'passed','',0.01,NULL,NULL,0);
INSERT INTO "results" VALUES(2,2,'hidden/test_ex02.py::test_gradient','ex02','gradient','gradient works','',3.0,0.0,0,'not started','msg',0.01,NULL,NULL,0);
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    status         TEXT NOT NULL,          -- running, finished (a killed run stays running)
    folder         TEXT,
    seed           INTEGER,
    grader_version TEXT,
    exercises      TEXT,                   -- JSON list
    jobs           INTEGER,
    graded         INTEGER DEFAULT 0,
    skipped        INTEGER DEFAULT 0
);
INSERT INTO "runs" VALUES(1,'2026-12-06T19:01:25.132','2026-12-06T19:01:25.358','finished','/class',7,'0.1.0+ebd64e48','["ex01", "ex02"]',2,2,0);
CREATE TABLE students (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO "students" VALUES(1,'alice');
INSERT INTO "students" VALUES(2,'bob');
CREATE TABLE submissions (
    id             INTEGER PRIMARY KEY,
    student_id     INTEGER NOT NULL UNIQUE REFERENCES students(id),
    run_id         INTEGER REFERENCES runs(id),
    source         TEXT,                   -- the folder or zip it came from
    content_hash   TEXT NOT NULL,
    seed           INTEGER NOT NULL,
    grader_version TEXT NOT NULL,
    exercises      TEXT NOT NULL,          -- JSON list
    device         TEXT NOT NULL DEFAULT 'all',
    graded_at      TEXT NOT NULL,
    seconds        REAL,
    score          REAL,
    max_score      REAL,
    missing_files  TEXT,                   -- JSON list
    errors         TEXT,                   -- JSON list
    stdout_chars   INTEGER,
    stdout_sample  TEXT,
    notes          TEXT,                   -- JSON list: files left out of a zip, ...
    tampering      TEXT                    -- JSON list: what its source does to what
                                           -- measures it (grader.engine.review): to review
);
INSERT INTO "submissions" VALUES(1,1,1,'alice','ha',7,'0.1.0+ebd64e48','["ex01", "ex02"]','all','2026-12-06T19:01:25.358',0.5,5.0,7.0,'["ex03_mlp.py"]','[]',3,'hi','["left out x"]','["ex01_linear_model.py: line 3: x"]');
INSERT INTO "submissions" VALUES(2,2,1,'bob.zip','hb',7,'0.1.0+ebd64e48','["ex01", "ex02"]','all','2026-12-06T19:01:25.358',0.4,2.0,7.0,'[]','[]',0,'','[]','[]');
CREATE INDEX results_exercise ON results(exercise);
COMMIT;"""


def _v1_gradebook(path):
    con = sqlite3.connect(path)
    con.executescript(V1_DUMP)
    con.execute("PRAGMA application_id = 1952728930")
    con.commit()
    con.close()


def test_a_gradebook_of_the_version_before_upgrades_without_loss(tmp_path, capsys):
    from grader.cli import main
    db = tmp_path / "old.db"
    _v1_gradebook(db)
    old_results = rows(db, "SELECT * FROM results ORDER BY submission_id, position")
    old_subs = rows(db, "SELECT * FROM submissions ORDER BY id")
    assert "UNIQUE" in rows(db, "SELECT sql FROM sqlite_master WHERE name = 'submissions'")[0][0]
    assert main(["export", "--csv", str(tmp_path / "g.csv"), "--db", str(db)]) == 0
    assert (tmp_path / "g.csv").read_text().splitlines() == [
        "student,ex01,ex02,total,review", "alice,2,3,5,ex01_linear_model.py: line 3: x",
        "bob,2,0,2,"]
    assert rows(db, "SELECT * FROM results ORDER BY submission_id, position") == old_results
    assert [r[:19] for r in rows(db, "SELECT * FROM submissions ORDER BY id")] == old_subs
    assert "UNIQUE" not in rows(db, "SELECT sql FROM sqlite_master WHERE name = "
                                    "'submissions'")[0][0]
    assert rows(db, "SELECT value FROM meta WHERE key = 'schema'") == [("2",)]
    assert rows(db, "PRAGMA foreign_key_check") == []
    with Gradebook(db) as book:                      # ours now, and writes history
        alice = book.result("alice")
        assert alice.tampering == ["ex01_linear_model.py: line 3: x"]
        assert alice.missing_files == [] and book.notes("alice") == ["left out x"]   # not ex03's
        assert book.get_meta("seed") == "7" and book.current("alice", "ha", ["ex01"],
                                                             ) is False   # another version
        book.record("alice", result({("ex02", "g"): "failed"}, exercises=("ex02",)),
                    content_hash="ha2")
        assert book.table()[1][0] == ("alice", {"ex01": 2, "ex02": 0}, 2)
        assert [h["content_hash"] for h in book.history("alice")] == ["ha", "ha", "ha2"]
    with Gradebook(db) as book:                      # opened again: nothing changes
        assert len(book.history()) == 5
    assert rows(db, "SELECT COUNT(*) FROM results") == [(len(old_results) + 1,)]


@pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 35), reason="DROP COLUMN: SQLite 3.35")
def test_a_gradebook_from_before_notes_and_hints_were_kept_upgrades_too(tmp_path):
    db = tmp_path / "older.db"
    _v1_gradebook(db)
    con = sqlite3.connect(db)
    for table, column in (("submissions", "notes"), ("submissions", "tampering"),
                          ("results", "hints"), ("results", "facts")):
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.commit()
    con.close()
    with Gradebook(db, adopt=True) as book:
        assert book.table()[1] == [("alice", {"ex01": 2, "ex02": 3}, 5),
                                   ("bob", {"ex01": 2, "ex02": 0}, 2)]
        assert book.result("alice").tampering == [] and book.notes("alice") == []
        assert len(book.history()) == 4
    assert rows(db, "SELECT COUNT(*) FROM results") == [(7,)]


def test_two_processes_upgrading_at_once_upgrade_once(tmp_path):
    import concurrent.futures
    db = tmp_path / "old.db"
    _v1_gradebook(db)
    with Gradebook(db, adopt=True):
        pass
    _v1_gradebook(tmp_path / "old2.db")
    from grader.classroom.gradebook_schema import migrate

    def upgrade(_):
        con = sqlite3.connect(tmp_path / "old2.db", timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            migrate(con)
        finally:
            con.close()

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(upgrade, range(2)))
    assert rows(tmp_path / "old2.db", "SELECT COUNT(*) FROM graded_exercises") == [(4,)]
    assert rows(tmp_path / "old2.db", "SELECT COUNT(*) FROM results") == [(7,)]


# ----------------------------------------------------------------------------------------------
# the gradebook is not anybody else's file

def _foreign_files(tmp_path) -> dict:
    """Files at a gradebook's path that are not this grader's gradebook, or are damaged."""
    import os
    good = tmp_path / "good.db"
    with Gradebook(good) as book:
        for i in range(30):
            book.record(f"s{i}", result(ALL_PASS), content_hash=f"h{i}")
    data = good.read_bytes()
    page = 4096
    out = {"random": os.urandom(20000), "empty": b"", "text": b"student,ex01\nann,3\n",
           "truncated-header": data[:60], "truncated": data[:len(data) // 2],
           "header-only": data[:page]}
    for n in (1, 2, len(data) // page - 1):        # one page of it overwritten
        bad = bytearray(data)
        bad[n * page:(n + 1) * page] = os.urandom(page)
        out[f"page{n}"] = bytes(bad)
    for name, ddl in (("nbgrader", "CREATE TABLE assignment(id INTEGER PRIMARY KEY, name TEXT);"
                                   "CREATE TABLE notebook(id INTEGER); CREATE TABLE student"
                                   "(id TEXT PRIMARY KEY, first_name TEXT);"),
                      ("ours-and-more", None), ("lookalike", None)):
        path = tmp_path / f"{name}.sqlite"
        if ddl:
            con = sqlite3.connect(path)
            con.executescript(ddl)
            con.close()
        else:
            path.write_bytes(data)            # a gradebook's tables, and one of another's
            con = sqlite3.connect(path)
            con.execute("PRAGMA journal_mode = DELETE")
            if name == "ours-and-more":
                con.execute("CREATE TABLE assignment(id INTEGER)")
            else:
                con.execute("PRAGMA application_id = 0")
                con.execute("CREATE TABLE grade(id INTEGER)")
            con.commit()
            con.close()
        out[name] = path.read_bytes()
    return out


def test_a_corrupt_or_foreign_gradebook_is_refused_and_left_byte_identical(tmp_path, capsys,
                                                                          monkeypatch):
    import os
    from grader.cli import main
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = tmp_path / "class"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "ex01_linear_model.py").write_text("x = 1\n")
    kinds = _foreign_files(tmp_path)
    assert len(kinds) >= 12
    for name, data in kinds.items():
        db = tmp_path / f"{name}.db"
        db.write_bytes(data)
        for argv in (["export", "--csv", str(tmp_path / "out.csv"), "--db", str(db)],
                     ["export", "--csv", "-", "--db", str(db)],
                     ["grade-class", str(folder), "--db", str(db), "--no-progress",
                      "--exercises", "ex01", "--jobs", "1"]):
            assert main(argv) == 2, (name, argv)
            out = capsys.readouterr()
            lines = out.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), (name, out.err)
            assert "Traceback" not in out.err and out.out == "", (name, out)
            assert db.read_bytes() == data, (name, argv)           # byte-identical
            assert not any(os.path.lexists(f"{db}{s}") for s in ("-wal", "-shm", "-journal"))
            assert not (tmp_path / "out.csv").exists()
        default = here / "gradebook.db"          # as the default gradebook, not named
        default.write_bytes(data)
        monkeypatch.chdir(here)
        assert main(["export", "--csv", str(tmp_path / "out.csv")]) == 2, name
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and "--db" in err[0], (name, err)
        assert default.read_bytes() == data and sorted(os.listdir(here)) == ["gradebook.db"]
        monkeypatch.chdir(tmp_path)
    assert "tables of its own ('assignment'" in \
        str(Gradebook.__init__.__globals__["inspect"](tmp_path / "nbgrader.db").what)


# ----------------------------------------------------------------------------------------------
# where an export goes

def test_export_to_stdout_and_never_over_what_is_not_a_regular_file(tmp_path, capsys):
    import os
    from grader.cli import main
    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record("alice", result(ALL_PASS), content_hash="h1")
    assert main(["export", "--csv", "-", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["student,ex01,ex02,total", "alice,4,2,6"]
    target = tmp_path / "real.csv"
    target.write_text("keep me\n")
    (tmp_path / "link.csv").symlink_to(target)
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "folder.csv").mkdir()
    for name in ("link.csv", "dangling.csv", "fifo.csv", "folder.csv", "/dev/null"):
        path = tmp_path / name
        assert main(["export", "--csv", str(path), "--db", str(db)]) == 2, name
        err = capsys.readouterr().err
        assert err.startswith("error: --csv ") and "nothing was written" in err, err
        assert len(err.strip().splitlines()) == 1
    assert os.path.islink(tmp_path / "link.csv") and target.read_text() == "keep me\n"
    assert os.path.islink(tmp_path / "dangling.csv")
    assert not (tmp_path / "nowhere.csv").exists()
    if os.path.islink("/dev/stdout"):
        assert main(["export", "--csv", "/dev/stdout", "--db", str(db)]) == 2
        assert os.path.islink("/dev/stdout")
    assert main(["export", "--csv", str(target), "--db", str(db)]) == 0   # a regular file:
    assert target.read_text().splitlines()[1] == "alice,4,2,6"             # replaced whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".grades-")]


HOLDER = """
import sys
from grader.classroom.gradebook import Gradebook
book = Gradebook(sys.argv[1])
book.begin_run(sys.argv[1], 1, ["ex01"], 1)
print("running", flush=True)
sys.stdin.read()          # until the test closes our stdin
if sys.argv[2] == "finish":
    book.finish_run(1, 0, 0)
    book.close()
"""


def _holder(path, how):
    """Another process running a class run on the gradebook at `path` (its run 1), until
    the returned process's stdin is closed; then it finishes the run, or ends without."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), how], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "running"
    return proc


def test_one_class_run_at_a_time_and_a_killed_one_is_marked(tmp_path):
    """A second run on a gradebook another process's run is writing stops before grading,
    saying so; a run that ended without finishing (its process gone, as a killed one) is
    marked interrupted by the next run."""
    from grader.classroom.gradebook import GradebookBusy
    path = tmp_path / "g.db"
    Gradebook(path).close()
    holder = _holder(path, "finish")
    with Gradebook(path) as book:
        with pytest.raises(GradebookBusy, match="another class run is writing this gradebook"):
            book.begin_run(tmp_path, 1, ["ex01"], 1)
    holder.communicate("")            # it finishes its run: the gradebook is free again
    holder = _holder(path, "leave")   # a run whose process ends without finishing
    holder.communicate("")
    with Gradebook(path) as book:
        book.finish_run(book.begin_run(tmp_path, 1, ["ex01"], 1), 0, 0)
        status = [r[0] for r in book.db.execute("SELECT status FROM runs ORDER BY id")]
    assert status == ["finished", "interrupted", "finished"]


def test_a_busy_gradebook_is_one_line_and_exit_2(tmp_path, capsys):
    from grader.cli import main
    (tmp_path / "c" / "ada").mkdir(parents=True)
    (tmp_path / "c" / "ada" / "ex01_linear_model.py").write_text("x = 1\n")
    Gradebook(tmp_path / "g.db").close()
    holder = _holder(tmp_path / "g.db", "finish")
    try:
        code = main(["grade-class", str(tmp_path / "c"), "--db", str(tmp_path / "g.db"),
                     "--exercises", "ex01", "--no-progress", "--jobs", "1"])
    finally:
        holder.communicate("")
    err = capsys.readouterr().err
    assert code == 2 and "another class run is writing this gradebook" in err, err
