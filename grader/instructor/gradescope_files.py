"""What a Gradescope archive holds, deny by default: the image built from an assignment's archive
holds what grading that assignment's exercises needs, and no copy of anything else.

For the exercises E of an assignment the archive's torchdrills/ folder holds:
    grader/             the engine and the sandbox (the code that grades), the checks' shared
                        files (grader/checks/*.py, pytest.ini), and for each exercise of E its
                        folder grader/checks/exNN_name/ (visible and hidden checks, recorded
                        values, mistakes, variants) without its wrong programs
                        (private/mutants.py, which grading never imports: they and their
                        ALTERNATIVES are for the package's own tests and the demo class)
    solutions/          E's references, nothing else
    grader/data/        the data sets E's references or checks name
    setup.cfg           the package's version and requirements

Left out: every other exercise's reference and folder (its checks, recorded values, mutants,
variants, hints), the instructor's commands (the demo class, the kit, the notebooks' builder),
the class runs (grader/classroom/), the command line, README.md and pyproject.toml, and every
cache, build/, egg-info, notebook or stray file (only source and data suffixes are taken).

One exception, which the checks themselves decide: a module of another exercise's folder that a
check of E imports (today ex07's and ex08's hidden checks import ex06's private/variants.py,
ex10's variants import ex06's and ex09's) travels alone, with the packages above it, so that E
is graded fully; that exercise's reference, checks and ships/ stay out, so the archive's grader
does not know it as an exercise (grader/exercises.py lists the folders that hold ships/).
borrowed() names them.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# the suffixes taken from the package's folders: source, the recorded values, pytest's ini and
# the data sets; anything else (notebooks, pages, caches, editors' files) stays out
SUFFIXES = (".py", ".json", ".ini", ".csv")
# top-level files of the checkout, beside grader/ and solutions/ (the version, read by
# grader.engine.version; the requirements, read when the archive is built)
TOP_FILES = ("setup.cfg",)
# what of grader/ grading never imports: the command line (run_autograder runs
# grader.instructor.gradescope), the class runs, the instructor's other commands
LEFT_OUT = ("grader/__main__.py", "grader/cli/", "grader/classroom/", "grader/instructor/")
# of grader/instructor/, what runs inside the archive
INSTRUCTOR_KEPT = ("grader/instructor/__init__.py", "grader/instructor/gradescope.py",
                   "grader/instructor/gradescope_files.py")
# the files of an exercise's folder that grading never imports
NOT_GRADING = ("private/mutants.py",)
CHECKS = "grader/checks/"
DATA = "grader/data/"


def _walk(folder: Path):
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(ROOT).as_posix()
        if f.is_file() and not f.is_symlink() and f.suffix in SUFFIXES and \
                not any(p == "__pycache__" or p.startswith(".") for p in rel.split("/")):
            yield rel


def _exercise_folder(rel: str) -> str | None:
    """'ex06_nn_linear' for a path under grader/checks/ex06_nn_linear/, None elsewhere."""
    if not rel.startswith(CHECKS):
        return None
    parts = rel[len(CHECKS):].split("/")
    return parts[0] if len(parts) > 1 else None


def _engine(root: Path = ROOT) -> list[str]:
    """grader/ minus what grading never imports, every exercise's folder and the data sets."""
    out = []
    for rel in _walk(root / "grader"):
        if (rel.startswith(LEFT_OUT) and rel not in INSTRUCTOR_KEPT) or \
                _exercise_folder(rel) or rel.startswith(DATA):
            continue
        out.append(rel)
    return out


def _own(folders: list[str]) -> list[str]:
    """The files of these exercise folders that grading uses."""
    return [rel for name in folders for rel in _walk(ROOT / CHECKS / name)
            if rel[len(CHECKS) + len(name) + 1:] not in NOT_GRADING]


def borrowed(chosen_folders: list[str], own: list[str]) -> list[str]:
    """The modules of other exercises' folders that the files `own` import (followed from module
    to module, the packages above each): what E's checks cannot be graded without."""
    from grader.sandbox.view import module_files
    first = [ROOT / rel for rel in own if rel.endswith(".py")]
    found = []
    for path in module_files(ROOT, first):
        p = Path(path)
        if p.suffix != ".py" or "__pycache__" in p.parts:
            continue
        rel = p.relative_to(ROOT).as_posix()
        folder = _exercise_folder(rel)
        if folder and folder not in chosen_folders:
            found.append(rel)
    return sorted(set(found))


def _data(sources: list[str]) -> list[str]:
    """The data sets (grader/data/) that these files name."""
    from grader.datasets import FILES
    texts = [(ROOT / rel).read_text(errors="replace") for rel in sources]
    return [f"{DATA}{name}" for name in FILES if (ROOT / DATA / name).is_file()
            and any(name in text for text in texts)]


def archive_files(chosen: list[str]) -> dict[str, list[str]]:
    """The archive's files for the exercises `chosen`, by part, as paths relative to the
    checkout: "engine", "exercises" (E's folders), "borrowed" (see borrowed), "solutions",
    "data", "top"."""
    from grader.exercises import EXERCISES
    folders = [EXERCISES[ex] for ex in chosen]
    own = _own(folders)
    lent = borrowed(folders, own)
    solutions = ["solutions/__init__.py"] + [f"solutions/{name}.py" for name in folders]
    return {"engine": _engine(), "exercises": own, "borrowed": lent, "solutions": solutions,
            "data": _data(solutions + own + lent),
            "top": [name for name in TOP_FILES if (ROOT / name).is_file()]}
