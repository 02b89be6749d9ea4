"""The idiom corpus (DESIGN.md, principle 4: correct work always passes; issue 11).

tests/idioms/exNN/<variant>/ holds complete, correct submissions of one exercise each, written the
way students write: the course notes' own code adapted to the contract, `.data` updates,
no_grad against inference_mode, loops against vectorised code, NumPy inside, `p.grad = None`
against `zero_()`, built-in losses against hand-written ones, extra parameter-free submodules...
Each one is graded with the real grader (one zygote for the session, every check, every device
present; CUDA checks skip without a GPU) and must score full marks. A variant that scores less is
either not correct (fix the variant) or false-failed by the grader (a grader bug).

A grader bug that is known and not fixed yet is listed in KNOWN_GRADER_BUGS: its case is an
xfail(strict=True) that holds only while every failing check fails for that reason, so that the
suite stays green, any other failure of the variant still fails, and the fix shows up as an
XPASS to remove from the list.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from grader.exercises import EXERCISES, module_of
from grader.engine.runner import grade_submission

IDIOMS = Path(__file__).resolve().parents[1] / "idioms"
SEED = 20_240_611
MIN_VARIANTS = 3

# (exercise, variant) -> (one line on the bug, a regex that each failing check's text matches)
KNOWN_GRADER_BUGS = {
}


class KnownGraderBug(Exception):
    """Every failing check of a variant failed for its known grader bug."""


def _variants() -> list[tuple[str, str]]:
    return [(ex_dir.name, v.name)
            for ex_dir in sorted(IDIOMS.glob("ex[0-9][0-9]")) if ex_dir.is_dir()
            for v in sorted(ex_dir.iterdir()) if v.is_dir() and not v.name.startswith(("_", "."))]


def _params():
    for ex, variant in _variants():
        marks = []
        if (ex, variant) in KNOWN_GRADER_BUGS:
            reason, _ = KNOWN_GRADER_BUGS[ex, variant]
            marks.append(pytest.mark.xfail(strict=True, raises=KnownGraderBug, reason=reason))
        yield pytest.param(ex, variant, id=f"{ex}-{variant}", marks=marks)


def test_every_exercise_has_its_idioms():
    """At least MIN_VARIANTS variants per exercise, each a submission folder holding exactly
    that exercise's file."""
    found: dict[str, list[str]] = {ex: [] for ex in EXERCISES}
    for ex, variant in _variants():
        assert ex in EXERCISES, f"tests/idioms/{ex}: not an exercise"
        files = sorted(p.name for p in (IDIOMS / ex / variant).iterdir()
                       if p.is_file() and p.suffix == ".py")
        assert files == [f"{module_of(ex)}.py"], f"tests/idioms/{ex}/{variant}: {files}"
        found[ex].append(variant)
    short = {ex: v for ex, v in found.items() if len(v) < MIN_VARIANTS}
    assert not short, f"fewer than {MIN_VARIANTS} idioms: {short}"
    stale = [key for key in KNOWN_GRADER_BUGS if key[1] not in found.get(key[0], [])]
    assert not stale, f"KNOWN_GRADER_BUGS names variants that do not exist: {stale}"


def _describe(checks) -> str:
    return "\n".join(f"  [{c.status}] {c.name}\n      " + c.message.replace("\n", "\n      ")
                     for c in checks)


@pytest.mark.parametrize("ex, variant", list(_params()))
def test_idiom_scores_full_marks(zygote, tmp_path, ex, variant):
    folder = tmp_path / variant
    shutil.copytree(IDIOMS / ex / variant, folder,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = grade_submission(folder, zygote, exercises=[ex], seed=SEED, device="all")

    where = f"tests/idioms/{ex}/{variant} (seed {SEED})"
    assert not result.missing_files, f"{where}: missing {result.missing_files}"
    assert not result.errors, f"{where}: the checks did not load:\n" + "\n".join(result.errors)
    assert result.checks, f"{where}: no check ran"
    failing = [c for c in result.checks if c.counted and c.status != "passed"]
    if failing and (ex, variant) in KNOWN_GRADER_BUGS:
        reason, pattern = KNOWN_GRADER_BUGS[ex, variant]
        if all(re.search(pattern, f"{c.name}\n{c.message}") for c in failing):
            raise KnownGraderBug(f"{where}: {reason}\n{_describe(failing)}")
    assert not failing, (f"{where} is correct work but scored {result.score:g} of "
                         f"{result.max_score:g}; {len(failing)} check(s) did not pass:\n"
                         f"{_describe(failing)}")
    assert result.score == result.max_score


def test_an_exception_of_the_students_own_class_counts_as_its_builtin_base(grade):
    """A check that asks for a ValueError takes any exception class derived from it (its
    bases, as the worker reads them), not one whose text merely says ValueError."""
    own = '''

class UnknownOptimizerError(ValueError):
    """An optimizer name fit_optim does not know."""


_fit_optim = fit_optim


def fit_optim(model, x, y, lr, steps, optimizer="sgd"):
    if optimizer not in ("sgd", "rmsprop"):
        raise UnknownOptimizerError(f"unknown optimizer {optimizer!r}")
    return _fit_optim(model, x, y, lr, steps, optimizer)
'''
    result = grade("ex12", code=own, keyword="fit_optim")
    checks = [c for c in result.checks if c.counted]
    assert checks and all(c.status == "passed" for c in checks), \
        [(c.title, c.status, c.message[:200]) for c in checks]
    says = grade("ex12", code=own.replace("(ValueError)", "(RuntimeError)").replace(
        'f"unknown optimizer', 'f"ValueError: unknown optimizer'), keyword="fit_optim")
    assert any(c.status == "failed" and "unknown_name" in c.nodeid for c in says.checks)
