"""The exercises, by number: the one list every part of the package reads, taken from the folders
of grader/checks/. An exercise is its reference, solutions/exNN_name.py, plus one folder:

    grader/checks/exNN_name/
        ships/      what students get, copied whole into the kit: the visible checks
                    (test_visible.py), the table of mistakes and their hints (mistakes.py), what
                    the visible and hidden checks share, the recorded values (expected.json) and
                    what the exercise declares (ships/__init__.py: USES_OPTIM)
        private/    what never leaves the instructor: the hidden checks (test_hidden.py), the
                    wrong programs (mutants.py), trusted code computing wrong answers
                    (variants.py)

A folder named exNN_name that holds a `ships/` folder is an exercise; in the student kit, where
only the released exercises' folders are, that is the released list.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

CHECKS = Path(__file__).resolve().parent / "checks"
FOLDER = re.compile(r"ex\d\d_[a-z0-9_]+")
# the check files of an exercise folder, by kind
CHECK_FILES = {"visible": ("ships", "test_visible.py"), "hidden": ("private", "test_hidden.py")}


class UnknownExercise(KeyError):
    """A name that is no exercise of the course: bad input, said plainly (`str()` is the
    message, without the quotes a KeyError adds)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _scan() -> dict[str, str]:
    found = sorted(p.name for p in CHECKS.iterdir()
                   if FOLDER.fullmatch(p.name) and (p / "ships").is_dir()) \
        if CHECKS.is_dir() else []
    return {name[:4]: name for name in found}


EXERCISES: dict[str, str] = _scan()


def module_of(ex: str) -> str:
    """'ex02' (or 'ex02_gradient_descent') -> 'ex02_gradient_descent'."""
    key = ex[:4]
    if key not in EXERCISES:
        raise UnknownExercise(f"unknown exercise {ex!r}; known: {', '.join(EXERCISES)}")
    return EXERCISES[key]


def folder(ex: str) -> Path:
    """grader/checks/exNN_name/, the exercise's home."""
    return CHECKS / module_of(ex)


def check_file(ex: str, kind: str) -> Path:
    """The file of the visible or the hidden checks of `ex` (it may be absent: the kit has no
    private/ folder)."""
    half, name = CHECK_FILES[kind]
    return folder(ex) / half / name


def expected_file(ex: str) -> Path:
    """The visible checks' recorded values, written by `build`: ships/expected.json."""
    return folder(ex) / "ships" / "expected.json"


def package(ex: str, half: str) -> str:
    """The import name of an exercise folder's half: package("ex02", "ships") ->
    'grader.checks.ex02_gradient_descent.ships'."""
    if half not in ("ships", "private"):
        raise ValueError(f"an exercise folder has ships/ and private/, not {half!r}")
    return f"grader.checks.{module_of(ex)}.{half}"


def check_module(ex: str, kind: str) -> str:
    """The import name of the visible or the hidden checks of `ex`."""
    half, name = CHECK_FILES[kind]
    return f"{package(ex, half)}.{name.removesuffix('.py')}"


def check_modules() -> list[str]:
    """The modules of every exercise folder that hold checks or trusted code: its visible and
    hidden checks, what they share, its table of mistakes, its wrong programs and variants (a
    worker must be able to import none of them)."""
    out = []
    for ex in EXERCISES:
        out += [check_module(ex, "visible"), check_module(ex, "hidden")]
        out += [f"{package(ex, half)}.{path.stem}" for half in ("ships", "private")
                for path in sorted((folder(ex) / half).glob("*.py"))
                if not path.name.startswith(("test_", "__"))]
    return out


def declared(ex: str, name: str, default=None):
    """What an exercise declares in its ships/__init__.py, e.g. declared("ex06", "USES_OPTIM")."""
    return getattr(importlib.import_module(package(ex, "ships")), name, default)


@dataclass(frozen=True)
class Mutant:
    """A wrong program of an exercise, in its private/mutants.py: `code` is appended to the
    reference, so that a `def` there replaces the reference's function of that name. Graded,
    it must fail a check of `target` whose message contains `words` (tests/checks/test_mutants.py).
    `what` says the mistake for people; the demo class plants the mutants its DEMO names."""

    name: str
    code: str
    target: str
    words: str
    what: str = ""


def mutants(ex: str):
    """The module private/mutants.py of `ex`: MUTANTS (a list of Mutant), and optionally
    CUDA_ONLY (names of the mutants only a CUDA machine can catch), KEYWORDS ({target: a pytest
    -k expression narrowing the checks its mutants are graded with}), ALTERNATIVES ({name: a
    right program written another way than the reference}) and DEMO (the names of the mutants
    the demo class plants, in order)."""
    return importlib.import_module(f"{package(ex, 'private')}.mutants")


def uses_optim(exercises) -> bool:
    """Whether the code of any of these exercises (reference or student's) builds a torch.optim
    optimizer (its ships/__init__.py says USES_OPTIM = True)."""
    return any(ex[:4] in EXERCISES and declared(ex[:4], "USES_OPTIM", False) for ex in exercises)


def parse_list(text: str | None) -> list[str]:
    """'ex02,ex3, 4' -> ['ex02', 'ex03', 'ex04']; None or 'all' -> every exercise."""
    if not text or text == "all":
        return list(EXERCISES)
    out = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        digits = part.lower().removeprefix("ex").split("_")[0]
        if not digits.isdigit():
            raise UnknownExercise(f"unknown exercise {part!r}")
        key = f"ex{int(digits):02d}"
        module_of(key)
        out.append(key)
    return out


def markers() -> list[str]:
    """The pytest markers a check carries, as lines of the ini option `markers`: one per
    exercise folder (exNN) and those `check` and `property_of` set. grader/checks/conftest.py
    registers them for the checks; tests/conftest.py for the package's own tests, which import
    check modules."""
    return [f"{ex}: a check of exercise {ex}" for ex in EXERCISES] + [
        "points(n): points a check is worth",
        "target(name): the function or class a check is about",
        "visible: a check students can run themselves",
        "hidden: a check that only the grader runs",
        "property_of(*targets): a check of a property that an answer doing no work may also "
        "have (a gradient of 0 at the minimum, w0 back after 0 epochs, a float returned): it "
        "counts only when the value checks of `targets` (default: its own target) pass in the "
        "same run (see grader.engine.runner.count_property_checks)"]
