"""Every exercise's wrong programs (its folder's private/mutants.py) fail a check of their target
with a message that names the mistake; its right programs written other ways, its reference and
its stub score what they deserve. The exercises are the folders of grader/checks."""
import pytest
import torch

from grader.exercises import EXERCISES, module_of, mutants
from tests.conftest import ROOT, failing, messages

MUTANTS = [pytest.param(ex, m, id=f"{ex}-{m.name}") for ex in EXERCISES
           for m in mutants(ex).MUTANTS]
ALTERNATIVES = [pytest.param(ex, code, id=f"{ex}-{name}") for ex in EXERCISES
                for name, code in getattr(mutants(ex), "ALTERNATIVES", {}).items()]


@pytest.mark.parametrize("ex,mutant", MUTANTS)
def test_mutant_is_caught(grade, ex, mutant):
    module = mutants(ex)
    if mutant.name in getattr(module, "CUDA_ONLY", ()) and not torch.cuda.is_available():
        pytest.skip("only a CUDA machine can show this mistake")
    keyword = getattr(module, "KEYWORDS", {}).get(mutant.target)
    result = grade(ex, mutant.code, targets=[mutant.target], keyword=keyword)
    assert failing(result, mutant.target), \
        f"mutant {mutant.name} passed every check of {mutant.target}"
    assert mutant.words in messages(result, mutant.target), messages(result, mutant.target)


# Seeds on which a check once drew inputs where a mutant was right (a one-element shape, a
# square matrix, the default sizes, a sample at x = 0, ...), and others. Each mutant meets
# PER_MUTANT of them, the seeds rotating from one mutant to the next, so that every seed is
# drawn in every exercise (each grading costs a tenth of a second; all of them for every
# mutant would cost the suite minutes).
SEEDS = (2, 3, 6, 10, 11, 12, 15, 18, 20, 22, 38, 41, 57, 64, 77, 90)
PER_MUTANT = 2


def seeds_of(i: int) -> list[int]:
    """The seeds the i-th mutant of an exercise is graded on."""
    return [SEEDS[(i * PER_MUTANT + k) % len(SEEDS)] for k in range(PER_MUTANT)]


def test_every_seed_is_drawn_in_every_exercise():
    for ex in EXERCISES:
        drawn = {s for i in range(len(mutants(ex).MUTANTS)) for s in seeds_of(i)}
        assert drawn == set(SEEDS), ex


# each mutant its own test, so that an exercise's many gradings spread over the processes
SEEDED = [pytest.param(ex, i, m, id=f"{ex}-{m.name}") for ex in EXERCISES
          for i, m in enumerate(mutants(ex).MUTANTS)]


@pytest.mark.parametrize("ex,i,mutant", SEEDED)
def test_a_mutants_verdict_never_depends_on_the_seed(grade, ex, i, mutant):
    """Each check of a mutant's target fails it on every seed or on none: a class seed never
    draws inputs on which a known mistake is right, so the same wrong work gets the same
    points in every class run."""
    module = mutants(ex)
    if mutant.name in getattr(module, "CUDA_ONLY", ()):
        pytest.skip("only a CUDA machine can show this mistake")
    keyword = getattr(module, "KEYWORDS", {}).get(mutant.target)
    verdicts = {seed: {c.nodeid for c in failing(grade(ex, mutant.code, seed=seed,
                                                       targets=[mutant.target],
                                                       keyword=keyword, device="cpu"),
                                                 mutant.target)}
                for seed in seeds_of(i)}
    ever = set().union(*verdicts.values())
    passed = {seed: sorted(n.split("::")[-1] for n in ever - failed)
              for seed, failed in verdicts.items() if ever - failed}
    assert not passed, f"{ex} mutant {mutant.name} passes these checks on these seeds " \
                       f"only: {passed}"


@pytest.mark.parametrize("ex,code", ALTERNATIVES)
def test_alternative_implementation_passes(grade, ex, code):
    result = grade(ex, code)
    assert result.score == result.max_score > 0, messages(result)


@pytest.mark.parametrize("ex", list(EXERCISES))
def test_reference_passes_and_stub_is_not_started(grade, ex):
    """The reference gets every point; the stub gets none, every check "not started"."""
    result = grade(ex)
    assert not failing(result), messages(result)
    assert result.score == result.max_score > 0
    stub = (ROOT / "exercises" / f"{module_of(ex)}.py").read_text()
    result = grade(ex, files={f"{module_of(ex)}.py": stub})
    assert result.score == 0
    assert {c.status for c in result.checks if c.counted} == {"not started"}


def test_every_demo_mistake_is_a_mutant_with_its_words():
    """The demo class plants mutants by name: each exists, targets a function of the reference,
    and says what it is."""
    for ex in EXERCISES:
        module = mutants(ex)
        by_name = {m.name: m for m in module.MUTANTS}
        source = (ROOT / "solutions" / f"{module_of(ex)}.py").read_text()
        for name in getattr(module, "DEMO", ()):
            assert name in by_name, f"{ex}: DEMO names {name!r}, which is no mutant"
            assert by_name[name].what, f"{ex}: the demo mutant {name!r} says nothing of itself"
            assert f"def {by_name[name].target}(" in source, (ex, name)
