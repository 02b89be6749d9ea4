"""Regrades never lose a grade that counted: an exercise whose file did not change keeps the
time it was first handed in (whatever a later week's timestamps CSV or the files' times say);
a better time (a timestamps CSV over file times) corrects a recorded one, with or without a
regrade; the same content graded again replaces its earlier grading (--force), unless the new
grading failed for the grader's own reasons; a grading without the exercise's file never
counts over one with it; attempts are distinct hand-ins, not regrades."""
import csv
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.classroom.course_file import load_course
from grader.classroom.course_grades import course_grades, export_course_csv
from grader.classroom.gradebook import Gradebook
from grader.classroom.handed_in import FROM_CSV, FROM_FILE, read_timestamps
from grader.classroom.run import grade_class
from grader.engine.runner import CheckResult, GradeResult
from tests.conftest import pinned_version

ROOT = Path(__file__).resolve().parents[2]
EX01, EX02 = "ex01_linear_model.py", "ex02_gradient_descent.py"
COURSE = """\
time_zone = "UTC"
attempts = 3
[late]
penalty = 10
accept_for = "5d"
[[assignment]]
name = "week1"
exercises = ["ex01"]
due = 2026-10-01T23:59:00
[[assignment]]
name = "week2"
exercises = ["ex02"]
due = 2026-10-08T23:59:00
"""
AFTER_TERM = datetime(2026, 12, 20, tzinfo=timezone.utc)
COPIED = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc).timestamp()   # files' times: late


@pytest.fixture(scope="module", autouse=True)
def pinned_grader_version():
    with pinned_version("regrades-test"):
        yield


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def graded(ex, passed=2, of=2, missing=False, errors=()):
    checks = [CheckResult(nodeid=f"visible/test_{ex}.py::test_{i}", exercise=ex, target=f"t{i}",
                          title=f"t{i}", params="", points=2.0, visible=True,
                          status="passed" if i < passed else "failed", message="",
                          seconds=0.01) for i in range(of)]
    from grader.exercises import EXERCISES
    return GradeResult(submission="x", seed=7, checks=checks, exercises=[ex], seconds=0.1,
                       missing_files=[f"{EXERCISES[ex]}.py"] if missing else [],
                       errors=list(errors))


@pytest.fixture
def course(tmp_path):
    (tmp_path / "course.toml").write_text(COURSE)
    return load_course(tmp_path / "course.toml")


def weeks(book, course, student):
    return {g.assignment: g for g in course_grades(book, course, at=AFTER_TERM)[student]}


def test_a_week_that_regrades_the_whole_folder_keeps_each_unchanged_files_time(tmp_path, course):
    """The trial's weeks: alice changes ex02 only, and the next run (both exercises, a new
    CSV with her new time) regrades her folder; dave changes ex02 and is not in that CSV;
    carol was first graded from file times (copied in late) and the next run's CSV, which
    does not regrade her, corrects them; a --force run changes nothing that counted."""
    solution = {EX01: (ROOT / "solutions" / EX01).read_text(),
                EX02: (ROOT / "solutions" / EX02).read_text()}
    klass = tmp_path / "class"
    for student in ("alice", "carol", "dave", "erin"):
        (klass / student).mkdir(parents=True)
        for name, text in solution.items():
            (klass / student / name).write_text(text)
            os.utime(klass / student / name, (COPIED, COPIED))
    (tmp_path / "t1.csv").write_text("student,submitted_at\nalice,2026-10-01T20:00:00Z\n"
                                     "dave,2026-10-01T21:00:00Z\n")
    (tmp_path / "t2.csv").write_text("student,submitted_at\nalice,2026-10-08T20:00:00Z\n"
                                     "carol,2026-10-01T22:00:00Z\n"
                                     "erin,2026-10-01T22:30:00Z\n")
    db = tmp_path / "g.db"

    def run(stamps, exercises=("ex01", "ex02"), **kw):
        return grade_class(klass, db=db, exercises=list(exercises), jobs=2, progress=False,
                           course=course, timestamps=read_timestamps(tmp_path / stamps), **kw)

    first_run = run("t1.csv")
    assert [n for n in first_run.notes if "no line for" in n][0].endswith(
        "no line for 2 students, whose times come from their files (or their work's earlier "
        "hand-in): 'carol', 'erin'")
    with Gradebook(db) as book:
        first = {s: weeks(book, course, s)["week1"] for s in ("alice", "carol", "dave", "erin")}
    assert first["alice"].status == first["dave"].status == "on time"
    assert first["carol"].status == first["erin"].status == "too late"
    full = first["alice"].score
    assert full > 0
    for student in ("alice", "dave", "erin"):
        (klass / student / EX02).write_text(solution[EX02] + "\n# tidied\n")
        os.utime(klass / student / EX02, (COPIED, COPIED))
    second = run("t2.csv")
    assert second.graded == 3 and second.skipped == 1          # carol's files: unchanged
    with Gradebook(db) as book:                                # ex02 alone was regraded
        assert [book.submission(s)["exercises"] for s in ("alice", "dave")] == ['["ex02"]'] * 2
    for student in ("carol", "erin"):       # erin's ex01 too, though ex02 was regraded
        assert any(n.startswith(f"{student}: ex01: handed in 2026-10-01") and FROM_CSV in n
                   and FROM_FILE in n for n in second.notes), second.notes
    third = run("t2.csv", ["ex01"], force=True)          # week1's exercise, regraded
    assert third.graded == 4
    with Gradebook(db) as book:
        after = {s: weeks(book, course, s) for s in ("alice", "carol", "dave", "erin")}
        export_course_csv(book, course, tmp_path / "out.csv", at=AFTER_TERM)
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out.csv").open())}
    assert [rows[s]["week1 late"] for s in ("alice", "carol", "dave", "erin")] == [""] * 4
    assert after["erin"]["week1"].submitted == at("2026-10-01T22:30")
    for student in ("alice", "carol", "dave", "erin"):
        week1 = after[student]["week1"]
        assert (week1.status, week1.score, week1.attempts) == ("on time", full, 1), student
    assert after["alice"]["week1"].submitted == at("2026-10-01T20:00")
    assert after["carol"]["week1"].submitted == at("2026-10-01T22:00")
    assert after["dave"]["week1"].submitted_from == FROM_CSV
    # ex02 was changed: a second hand-in (alice's on time by the new CSV; dave's file times)
    assert (after["alice"]["week2"].status, after["alice"]["week2"].attempts) == ("on time", 2)
    assert after["dave"]["week2"].status == "too late"


def test_a_forced_regrade_of_the_same_content_replaces_its_earlier_grading(tmp_path, course):
    """A first grading with the wrong (late) file times, then the same file graded again with
    the CSV's time: the course export and the plain export read only the later grading."""
    with Gradebook(tmp_path / "g.db") as book:
        book.record("alice", graded("ex01", passed=1), content_hash="folder1",
                    handed_in={"ex01": at("2026-12-06T10:00")},
                    handed_from={"ex01": FROM_FILE}, files={"ex01": "f1"})
        book.record("alice", graded("ex01", passed=2), content_hash="folder1",
                    handed_in={"ex01": at("2026-10-01T20:00")},
                    handed_from={"ex01": FROM_CSV}, files={"ex01": "f1"})
        week1 = weeks(book, course, "alice")["week1"]
        assert (week1.status, week1.score, week1.attempts) == ("on time", 4, 1)
        assert book.table()[1] == [("alice", {"ex01": 4}, 4)]


def test_a_later_time_of_the_same_file_never_makes_it_late(tmp_path, course):
    """The same file content graded again with a later time from any source (a later week's
    CSV, file times) keeps the time it was first handed in, and where that came from."""
    with Gradebook(tmp_path / "g.db") as book:
        book.record("bob", graded("ex01"), content_hash="a",
                    handed_in={"ex01": at("2026-10-01T20:00")},
                    handed_from={"ex01": FROM_CSV}, files={"ex01": "f1"})
        for when, where in (("2026-10-09T09:00", FROM_CSV), ("2026-12-06T10:00", FROM_FILE)):
            book.record("bob", graded("ex01"), content_hash=f"b{when}",
                        handed_in={"ex01": at(when)}, handed_from={"ex01": where},
                        files={"ex01": "f1"})
        assert [(r["submitted_at"][:16], r["submitted_from"]) for r in book.history("bob")] \
            == [("2026-10-01T20:00", FROM_CSV)] * 3
        assert weeks(book, course, "bob")["week1"].status == "on time"
        # new content of the same exercise is a new hand-in, at its own time
        book.record("bob", graded("ex01"), content_hash="c",
                    handed_in={"ex01": at("2026-10-02T09:00")},
                    handed_from={"ex01": FROM_CSV}, files={"ex01": "f2"})
        week1 = weeks(book, course, "bob")["week1"]
        assert (week1.status, week1.attempts, week1.attempt) == ("late", 2, 2)


def test_a_grading_without_the_file_never_counts_over_one_with_it(tmp_path, course):
    """ex02 handed in on time; a later run finds no ex02 file (graded 0, its time the grading
    time), and an unreadable upload later still: the real hand-in counts, in the plain
    export and the course's alike, under either policy."""
    with Gradebook(tmp_path / "g.db") as book:
        book.record("carol", graded("ex02"), content_hash="a",
                    handed_in={"ex02": at("2026-10-08T20:00")},
                    handed_from={"ex02": FROM_CSV}, files={"ex02": "f2"})
        book.record("carol", graded("ex02", passed=0, missing=True), content_hash="b",
                    files={})
        book.record("carol", GradeResult(submission="x.zip", seed=7, checks=[],
                                         exercises=["ex02"], errors=["could not read x.zip"]),
                    content_hash="c", files={})
        for policy in ("latest", "best"):
            assert book.table(policy)[1] == [("carol", {"ex02": 4}, 4)], policy
            week2 = {g.assignment: g for g in course_grades(
                book, course, policy=policy, at=AFTER_TERM)["carol"]}["week2"]
            assert (week2.status, week2.score, week2.attempts) == ("on time", 4, 1)
        # a grading recorded before file hashes were kept: missing_files says the same
        book.record("dan", graded("ex02"), content_hash="a",
                    handed_in={"ex02": at("2026-10-08T20:00")})
        book.record("dan", graded("ex02", passed=0, missing=True), content_hash="b")
        assert book.table()[1][1] == ("dan", {"ex02": 4}, 4)


def test_a_failed_grading_of_work_graded_whole_does_not_replace_it(tmp_path, course):
    """The same files graded again, and the grading hit the time limit of the machinery: the
    complete grading still counts; new files that fail to grade do count (their own)."""
    with Gradebook(tmp_path / "g.db") as book:
        book.record("erin", graded("ex01"), content_hash="a",
                    handed_in={"ex01": at("2026-10-01T20:00")},
                    handed_from={"ex01": FROM_CSV}, files={"ex01": "f1"})
        book.record("erin", graded("ex01", passed=0, errors=["time limit of 600 s reached"]),
                    content_hash="a", handed_in={"ex01": at("2026-10-01T20:00")},
                    handed_from={"ex01": FROM_CSV}, files={"ex01": "f1"})
        assert book.table()[1] == [("erin", {"ex01": 4}, 4)]
        assert weeks(book, course, "erin")["week1"].score == 4
        book.record("erin", graded("ex01", passed=0, errors=["time limit of 600 s reached"]),
                    content_hash="b", handed_in={"ex01": at("2026-10-01T21:00")},
                    handed_from={"ex01": FROM_CSV}, files={"ex01": "f9"})
        assert book.table()[1] == [("erin", {"ex01": 0}, 0)]


def test_attempts_count_hand_ins_not_regrades(tmp_path, course):
    """Three gradings of the same files (a weekly run, --force, a new grader version) are
    one attempt; the attempt limit is reached by new content only."""
    with Gradebook(tmp_path / "g.db") as book:
        for i in range(4):
            book.record("finn", graded("ex01"), content_hash=f"w{i}",
                        handed_in={"ex01": at("2026-10-01T20:00")},
                        handed_from={"ex01": FROM_CSV}, files={"ex01": "same"})
        week1 = weeks(book, course, "finn")["week1"]
        assert (week1.attempts, week1.attempt, week1.notes) == (1, 1, [])
        for i in range(3):
            book.record("finn", graded("ex01", passed=i % 2), content_hash=f"n{i}",
                        handed_in={"ex01": at(f"2026-10-0{i + 2}T08:00")},
                        handed_from={"ex01": FROM_CSV}, files={"ex01": f"new{i}"})
        week1 = weeks(book, course, "finn")["week1"]
        assert (week1.attempts, week1.attempt, week1.raw) == (4, 3, 2)   # new1: 1 of 2 pass
        assert week1.notes[0] == "1 attempt after the limit of 3 does not count"


def test_an_old_gradebook_gets_the_per_exercise_columns_without_loss(tmp_path):
    """A gradebook written before the file hash and source per exercise were kept opens with
    both columns added, every row kept, and its times read as before."""
    import sqlite3
    with Gradebook(tmp_path / "g.db") as book:
        book.record("gail", graded("ex01"), content_hash="a",
                    handed_in={"ex01": at("2026-10-01T20:00")}, submitted_from=FROM_CSV)
    db = sqlite3.connect(tmp_path / "g.db")
    db.execute("CREATE TABLE ge_old AS SELECT submission_id, exercise, score, max_score, "
               "submitted_at FROM graded_exercises")
    db.execute("DROP TABLE graded_exercises")
    db.execute("ALTER TABLE ge_old RENAME TO graded_exercises")
    db.commit()
    db.close()
    with Gradebook(tmp_path / "g.db") as book:
        cols = {r[1] for r in book.db.execute("PRAGMA table_info(graded_exercises)")}
        assert {"file_hash", "submitted_from"} <= cols
        (row,) = book.history("gail")
        assert (row["score"], row["submitted_from"], row["file_hash"]) == (4, FROM_CSV, None)


@pytest.mark.parametrize("args, says", [(["--timeout", "-5"], "--timeout -5"),
                                        (["--timeout", "0.001"], "--timeout 0.001"),
                                        (["--timeout", "nan"], "--timeout nan"),
                                        (["--jobs", "0"], "--jobs 0")])
def test_limits_no_run_could_grade_under_are_refused(tmp_path, capsys, args, says):
    from grader.cli import main
    (tmp_path / "class" / "alice").mkdir(parents=True)
    assert main(["grade-class", str(tmp_path / "class"), "--db", str(tmp_path / "g.db"),
                 "--no-progress"] + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {says}:"), err
    assert not (tmp_path / "g.db").exists()


def test_the_latest_work_counts_even_where_an_older_file_time_is_later(tmp_path, course):
    """ex02 first graded from file times (copied in late: December), then changed and graded
    with the CSV's time (October 9): the newer work counts, 1 day late, not the older work
    at its wrong time; a --force regrade of the older work does not make it newer."""
    with Gradebook(tmp_path / "g.db") as book:
        book.record("hana", graded("ex02", passed=1), content_hash="a",
                    handed_in={"ex02": at("2026-12-06T10:00")},
                    handed_from={"ex02": FROM_FILE}, files={"ex02": "old"})
        book.record("hana", graded("ex02"), content_hash="b",
                    handed_in={"ex02": at("2026-10-09T07:00")},
                    handed_from={"ex02": FROM_CSV}, files={"ex02": "new"})
        book.record("hana", graded("ex02", passed=1), content_hash="a",
                    handed_in={"ex02": at("2026-12-06T10:00")},
                    handed_from={"ex02": FROM_FILE}, files={"ex02": "old"})
        assert book.table()[1] == [("hana", {"ex02": 4}, 4)]
        week2 = weeks(book, course, "hana")["week2"]
        assert (week2.raw, week2.status, week2.submitted) == (4, "late",
                                                              at("2026-10-09T07:00"))


def test_a_timestamps_csv_that_dates_unchanged_work_later_is_applied_and_said(tmp_path, course):
    """The LMS's CSV is its record of a hand-in: given again with a later time for work that
    did not change at all since (alice), the later time replaces the recorded one, and the
    run says so as it says an earlier one; where anything else changed (bob added ex02), the
    CSV's later time is the newer work's, and ex01 keeps its first time, unsaid."""
    klass = tmp_path / "class"
    ex01 = (ROOT / "solutions" / EX01).read_text()
    for student in ("alice", "bob"):
        (klass / student).mkdir(parents=True)
        (klass / student / EX01).write_text(ex01)
    (tmp_path / "t1.csv").write_text("student,submitted_at\nalice,2026-10-01T20:00:00Z\n"
                                     "bob,2026-10-01T20:00:00Z\n")
    (tmp_path / "t2.csv").write_text("student,submitted_at\nalice,2026-10-02T09:00:00Z\n"
                                     "bob,2026-10-08T20:00:00Z\n")
    db = tmp_path / "g.db"

    def run(stamps):
        return grade_class(klass, db=db, exercises=["ex01", "ex02"], jobs=1, progress=False,
                           course=course, timestamps=read_timestamps(tmp_path / stamps))

    run("t1.csv")
    (klass / "bob" / EX02).write_text((ROOT / "solutions" / EX02).read_text())
    second = run("t2.csv")
    assert (second.graded, second.skipped) == (1, 1)
    moved = [n for n in second.notes if ": ex01: handed in" in n]
    assert moved == ["alice: ex01: handed in 2026-10-02 09:00 UTC (timestamps CSV), not "
                     "2026-10-01 20:00 UTC (timestamps CSV): later, as the LMS records this "
                     "same work"], second.notes      # in the course's zone, named
    with Gradebook(db) as book:
        alice, bob = weeks(book, course, "alice"), weeks(book, course, "bob")
    assert (alice["week1"].submitted, alice["week1"].status) == (at("2026-10-02T09:00"), "late")
    assert (bob["week1"].submitted, bob["week1"].status) == (at("2026-10-01T20:00"), "on time")
    assert bob["week2"].submitted == at("2026-10-08T20:00")
    third = run("t2.csv")                              # the same CSV again: nothing to say
    assert not [n for n in third.notes if "ex01: handed in" in n], third.notes
    (tmp_path / "t3.csv").write_text("student,submitted_at\nalice,2026-10-01T21:00:00Z\n")
    fourth = run("t3.csv")                             # and earlier again, as before
    assert any(n.startswith("alice: ex01: handed in 2026-10-01 21:00 UTC (timestamps CSV), "
                            "not 2026-10-02 09:00 UTC") and "later" not in n for n in fourth.notes)
