"""The checks are collected once per grading process (grader.engine.session) and run again for every
submission: the results are those of one pytest.main per submission, and nothing of one
submission reaches the next."""
import sys

import pytest

from grader.engine import session as collected
from grader.engine.runner import grade_submission

from tests.conftest import ROOT

EXERCISES = ["ex02", "ex05", "ex07", "ex11"]   # plots, training, mistakes named, notebooks' kin


def plain(result) -> dict:
    """A result without its timings."""
    d = result.to_dict()
    d.pop("seconds", None)
    for c in d["checks"]:
        c.pop("seconds", None)
    return d


@pytest.fixture
def mutant(tmp_path):
    """The references with a wrong gradient in ex02 and a wrong loop in ex05."""
    folder = tmp_path / "mutant"
    folder.mkdir()
    for ex in EXERCISES:
        for path in (ROOT / "solutions").glob(f"{ex}_*.py"):
            text = path.read_text()
            if ex == "ex02":
                text += "\n\ndef gradient(xs, ys, w):\n    return 0.5 * sum(2 * x * (x * w - y)" \
                        " for x, y in zip(xs, ys)) / len(xs)\n"
            (folder / path.name).write_text(text)
    return folder


def test_same_results_as_one_pytest_main_per_submission(zygote, mutant, monkeypatch):
    order = [ROOT / "solutions", mutant, ROOT / "exercises", ROOT / "solutions"]
    collected.forget()
    once = [plain(grade_submission(p, zygote, exercises=EXERCISES, seed=5)) for p in order]
    assert len(collected._SESSIONS) == 1, "one session for one kind of request"

    def refuse(*args, **kwargs):
        raise RuntimeError("the old way: pytest.main per submission")
    monkeypatch.setattr(collected, "collected", refuse)
    each = [plain(grade_submission(p, zygote, exercises=EXERCISES, seed=5)) for p in order]
    assert once == each
    assert once[0] == once[3]
    assert once[1]["checks"] != once[0]["checks"]
    assert any(c["plots"] for c in once[1]["checks"]), "the mutant's plots are in its result"


def test_nothing_of_a_submission_survives_its_pass(zygote, mutant):
    collected.forget()
    first = plain(grade_submission(ROOT / "solutions", zygote, exercises=EXERCISES, seed=6))
    grade_submission(mutant, zygote, exercises=EXERCISES, seed=7)
    (checks,) = collected._SESSIONS.values()
    assert all(not item.user_properties and not item._report_sections for item in checks.items)
    assert checks.config.stash[checks.key].submission is None
    assert not checks.config.pluginmanager.get_plugin("terminalreporter").stats
    assert not hasattr(sys, "last_value")
    assert not checks.sink.getvalue()
    again = plain(grade_submission(ROOT / "solutions", zygote, exercises=EXERCISES, seed=6))
    assert again == first


def test_a_pass_leaves_nothing_registered(zygote):
    """pytest keeps every plugin ever registered in its records: the passes' GradingSessions
    (a submission, its results) are never registered, so they go when their pass ends."""
    import gc

    from grader.engine.runner import GradingSession
    collected.forget()
    for path in (ROOT / "solutions", ROOT / "exercises", ROOT / "solutions"):
        grade_submission(path, zygote, exercises=["ex01"], seed=2)
    (checks,) = collected._SESSIONS.values()
    assert not any(isinstance(p, GradingSession)
                   for p in checks.config.pluginmanager.get_plugins())
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, GradingSession)]
    assert all(o.submission is None for o in alive), "only the collection's holder is kept"


def test_a_pass_that_raises_drops_its_session(zygote, monkeypatch):
    collected.forget()
    grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=1)
    (checks,) = collected._SESSIONS.values()
    monkeypatch.setattr(checks.config.hook, "pytest_runtest_protocol",
                        lambda **kw: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=1)
    assert not collected._SESSIONS and checks.broken
    monkeypatch.undo()
    result = grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=1)
    assert result.score == result.max_score > 0


def test_a_keyword_pytest_rejects_is_graded_as_before(zygote):
    result = grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=1,
                              keyword="not (")
    assert result.checks == []


def test_the_callers_streams_survive_a_session_made_under_others(zygote):
    """pytest's capture keeps the streams of the time a session collected, and gives them back
    when a pass ends or the session closes. A session made while stderr was another stream (a
    test's capsys, a notebook cell's), since closed, must not hand that closed stream to the
    code that grades next (it broke a class run's progress bar)."""
    import contextlib
    import io
    collected.forget()
    earlier = io.StringIO()
    with contextlib.redirect_stderr(earlier):
        grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=2)
    earlier.close()
    mine = sys.stdin, sys.stdout, sys.stderr
    grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=2)   # a pass
    assert (sys.stdin, sys.stdout, sys.stderr) == mine
    collected.forget()                                                          # a close
    assert (sys.stdin, sys.stdout, sys.stderr) == mine


def test_the_first_collection_gives_the_callers_streams_back(zygote):
    collected.forget()
    mine = sys.stdin, sys.stdout, sys.stderr
    grade_submission(ROOT / "solutions", zygote, exercises=["ex01"], seed=2)   # collects
    assert (sys.stdin, sys.stdout, sys.stderr) == mine


def test_checks_skipped_by_their_mark_are_not_run_again(zygote, mutant, monkeypatch):
    """A check skipped by a mark it got at collection (here: device cuda, not asked for) ends
    alike for every submission: later passes hand on its first reports and run only the rest,
    with the results of a full run, and the session's fixtures still torn down at the end."""
    from grader.engine.request import GradeRequest
    request = GradeRequest(exercises=("ex02", "ex05"), seed=3, device="cpu")
    collected.forget()
    first = plain(grade_submission(ROOT / "solutions", zygote, request))
    (checks,) = collected._SESSIONS.values()
    marked = {i.nodeid for i in checks.items if i.get_closest_marker("skip")}
    assert marked and marked == set(checks.replayed)
    ran = []
    protocol = checks.config.hook.pytest_runtest_protocol
    monkeypatch.setattr(checks.config.hook, "pytest_runtest_protocol",
                        lambda item, nextitem: ran.append((item, nextitem)) or protocol(
                            item=item, nextitem=nextitem))
    again = plain(grade_submission(ROOT / "solutions", zygote, request))
    assert again == first
    assert {item.nodeid for item, _ in ran} == {i.nodeid for i in checks.items} - marked
    assert ran[-1][1] is None, "the last item run tears every fixture down"
    skipped = [c for c in again["checks"] if c["nodeid"] in marked]
    assert skipped and all(c["status"] == "skipped" and c["params"].endswith("cuda")
                           and ("not selected" in c["message"] or "CUDA" in c["message"])
                           for c in skipped)
    monkeypatch.undo()
    collected.forget()
    wrong = plain(grade_submission(mutant, zygote, request))
    assert wrong["checks"] != first["checks"]
    assert [c for c in wrong["checks"] if c["nodeid"] in marked] == skipped
