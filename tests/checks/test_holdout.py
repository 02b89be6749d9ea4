"""The hold-out of planted mistakes (tests/holdout, issue 11): wrong student programs written
fresh, not the mutants the hints were written against. Every one must lose points (a wrong
program with full marks is a grading bug), and the share that a failing check names (a hint, not
a generic question) must not fall below what the checks reach today. bench/bench_named.py prints
the same count as a table."""
import pytest

from bench.bench_named import is_named, outcome
from grader.exercises import EXERCISES
from tests.holdout import holdout

CORPUS = holdout()
WRONGS = [pytest.param(ex, w, id=f"{ex}-{w.name}") for ex, ws in CORPUS.items() for w in ws]
MIN_PER_EXERCISE = 3
# named by some failing check, of the 68 hold-out mistakes: 13 before issue 11's hints, then
# 53 and 49 (in a visible check). The count below ran only when this module ran alone: under
# `-n` its tests were spread over processes and it was skipped, and the counts fell unnoticed
# to 52 and 47 (measured at f9505ee). With the relations of compare/relations.py, 53 and 48;
# the module now runs in one process (tests/conftest.py SHARED_FIXTURES), so the count holds.
# With the hints of a blind round of student programs (issue 20; none written from the
# hold-out): 56 and 51.
MIN_NAMED_ANY = 56
MIN_NAMED_VISIBLE = 51

_named: dict[str, tuple[bool, bool]] = {}


def test_every_exercise_has_its_holdout():
    short = [ex for ex in EXERCISES if len(CORPUS.get(ex, [])) < MIN_PER_EXERCISE]
    assert not short, f"fewer than {MIN_PER_EXERCISE} hold-out mistakes: {short}"
    names = [(ex, w.name) for ex, ws in CORPUS.items() for w in ws]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("ex,wrong", WRONGS)
def test_holdout_mistake_loses_points(grade, ex, wrong):
    result = grade(ex, wrong.code, targets=[wrong.target])
    o = outcome(result, wrong.target)
    _named[f"{ex} {wrong.name}"] = (o["named_visible"], o["named_any"])
    assert o["lose"], f"{ex} {wrong.name} ({wrong.what}) scores full marks"


def test_the_named_share_does_not_fall():
    """Runs after the grading above (same module, in order); skipped when it ran alone."""
    if len(_named) < len(WRONGS):
        pytest.skip("the hold-out was not graded in this session")
    visible = sum(v for v, _ in _named.values())
    named = sum(a for _, a in _named.values())
    unnamed = sorted(k for k, (_, a) in _named.items() if not a)
    assert named >= MIN_NAMED_ANY, f"{named} of {len(_named)} named; not named: {unnamed}"
    assert visible >= MIN_NAMED_VISIBLE, f"{visible} of {len(_named)} named in a visible check"


def test_generic_questions_are_not_names():
    class C:
        hints = ["the very first value already differs: is the prediction ...?"]
    assert not is_named(C)
    C.hints = ["the gradients are never zeroed"]
    assert is_named(C)
