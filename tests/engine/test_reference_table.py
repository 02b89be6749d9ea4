"""The reference results of a class run are computed once and shared by every grading process
(grader.engine.reference_table): a table of plain frames, the same grades with it as without it."""
import sqlite3

import pytest

from grader.engine import reference, reference_table
from grader.classroom.run import grade_class
from grader.engine.request import GradeRequest
from grader.engine.runner import grade_submission

from tests.conftest import ROOT

EXERCISES = ["ex02", "ex05", "ex11"]


@pytest.fixture
def empty_cache(monkeypatch):
    """This process's reference cache, empty for the test; counts what is computed."""
    monkeypatch.setattr(reference, "_cache", {})
    monkeypatch.setattr(reference, "_cached_bytes", 0)
    computed = []
    real = reference._run

    def counting(key, fn, args, kwargs, grad):
        if key not in reference._cache:
            computed.append(key)
        return real(key, fn, args, kwargs, grad)
    monkeypatch.setattr(reference, "_run", counting)
    return computed


def plain(result) -> dict:
    d = result.to_dict()
    d.pop("seconds", None)
    for c in d["checks"]:
        c.pop("seconds", None)
    return d


def test_a_table_spares_every_reference_of_the_seed(zygote, empty_cache):
    request = GradeRequest(exercises=EXERCISES, seed=21, device="cpu")  # the table's device
    blob = reference_table.compute(request)
    assert blob.startswith(reference_table.MAGIC) and len(reference.table()) > 20
    without = plain(grade_submission(ROOT / "solutions", zygote, request))  # (cache warm)

    reference._cache.clear()
    empty_cache.clear()
    assert reference_table.load(blob) == len(reference.table()) > 20
    with_table = plain(grade_submission(ROOT / "solutions", zygote, request))
    assert empty_cache == [], "every reference the checks asked for was in the table"
    assert with_table == without


def test_a_table_holds_its_own_runs_results_only(empty_cache):
    """A long-lived process (a cluster worker's grading process) computes one run's table after
    another: each holds the results its run asked for, cached or not, and none of the runs
    before (the tables grew with every run, and travelled to every worker)."""
    def table(seed):
        return reference_table.parse(reference_table.compute(
            GradeRequest(exercises=["ex02"], seed=seed)))
    first, second, again = table(1), table(2), table(1)
    assert again == first                   # all cached by then, and all in the table
    assert set(second) - set(first)         # the second seed's own results
    assert set(first) - set(second)         # and not the first seed's


def test_the_table_is_inert_and_tied_to_its_grader(monkeypatch):
    entries = {b"k" * 16: b"TDR1 a frame, read only by protocol.decode when used"}
    blob = reference_table.dump(entries)
    assert reference_table.parse(blob) == entries
    assert reference_table.parse(b"") == {}
    with pytest.raises(ValueError):
        reference_table.parse(b"\x80\x04pickle")
    with pytest.raises(ValueError):
        reference_table.parse(blob[:-3])
    monkeypatch.setattr(reference_table, "version", lambda: "another grader")
    assert reference_table.parse(blob) == {}, "references of other checks are not used"


def test_the_cache_keeps_the_most_recently_used_within_its_bound(monkeypatch):
    monkeypatch.setattr(reference, "_cache", {})
    monkeypatch.setattr(reference, "_cached_bytes", 0)
    monkeypatch.setattr(reference, "MAX_CACHE_BYTES", 250)
    for i in range(5):
        reference._remember(bytes([i]) * 16, b"x" * 100)
        reference._remember(b"\0" * 16, b"y" * 100)       # used again: kept
    assert set(reference._cache) == {b"\0" * 16, b"\4" * 16}
    assert reference._cached_bytes == 200


def rows(db) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT st.name, s.score, s.seed, r.nodeid, r.status, r.score, r.message "
            "FROM submissions s JOIN students st ON st.id = s.student_id "
            "JOIN results r ON r.submission_id = s.id ORDER BY st.name, r.position").fetchall()
    finally:
        con.close()


def test_a_class_graded_with_the_shared_table_gets_the_same_gradebook(tmp_path, monkeypatch,
                                                                      empty_cache):
    klass = tmp_path / "class"
    for student, source in [("ada", "solutions"), ("ben", "exercises"), ("cleo", "solutions")]:
        (klass / student).mkdir(parents=True)
        for ex in EXERCISES:
            for path in (ROOT / source).glob(f"{ex}_*.py"):
                text = path.read_text()
                if student == "cleo":
                    text += "\n\ndef cost(xs, ys, w):\n    return 0.0\n"
                (klass / student / path.name).write_text(text)
    monkeypatch.setenv("GRADER_START_METHOD", "fork")   # (spawn where a GPU is: start_method)
    shared = grade_class(klass, db=tmp_path / "shared.db", jobs=2, seed=8, exercises=EXERCISES,
                         progress=False)
    assert empty_cache, "the parent computed the table"

    reference._cache.clear()
    monkeypatch.setattr(reference_table, "compute", lambda request: b"")
    alone = grade_class(klass, db=tmp_path / "alone.db", jobs=2, seed=8, exercises=EXERCISES,
                        progress=False)
    assert shared.graded == alone.graded == 3
    assert rows(tmp_path / "shared.db") == rows(tmp_path / "alone.db")
    assert len(rows(tmp_path / "shared.db")) > 3 * 30
