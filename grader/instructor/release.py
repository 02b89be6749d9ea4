"""The student starter kit: what students get, and nothing they should not.

    python -m grader release kit/                        # every exercise with a reference
    python -m grader release kit/ --exercises ex01,ex02  # some of them

The kit holds:
    README.md, requirements.txt, pyproject.toml   how to set up, check and hand in
    diabetes.csv, three_class.csv                 the data sets the exercises load, at the root
                                                  so that `load_csv("diabetes.csv")` runs from it
    exercises/exNN_*.py                           the stubs (generated from solutions/)
    notebooks/exNN_*.ipynb                        the same, as notebooks released by nbgrader
    grader/                                       the engine `python -m grader check` needs, the
                                                  data sets, and each exercise's ships/ folder
                                                  (visible checks, mistakes, recorded values);
                                                  no private/ folder, no references
Students run it in place (`python -m grader check` from the kit's folder) or `pip install -e .`.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader import datasets
from grader.instructor.build import make_notebook, make_stub
from grader.exercises import EXERCISES, folder

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"



class ReleaseError(Exception):
    """The kit cannot be written (the reason is for people)."""


def released_exercises(exercises=None) -> list[str]:
    """The exercises to release: those asked for (default: all) that have a reference."""
    chosen = list(exercises or EXERCISES)
    return [ex for ex in chosen if (SOLUTIONS / f"{EXERCISES[ex]}.py").exists()]


def release(dest, exercises=None, notebooks: bool = True) -> list[str]:
    """Write the starter kit into `dest` (a new or empty folder). Returns notes for the
    instructor (e.g. why there are no notebooks)."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReleaseError(f"{dest} exists and is not empty: choose a new folder")
    chosen = released_exercises(exercises)
    if not chosen:
        raise ReleaseError("no exercise to release (no reference in solutions/ for "
                           + (", ".join(exercises) if exercises else "any exercise") + ")")
    notes: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    sources = {ex: (SOLUTIONS / f"{EXERCISES[ex]}.py").read_text() for ex in chosen}

    stubs = dest / "exercises"
    stubs.mkdir()
    (stubs / "__init__.py").write_text('"""Your exercise files: fill in every function that '
                                       'raises NotImplementedError."""\n')
    for ex, source in sources.items():
        (stubs / f"{EXERCISES[ex]}.py").write_text(make_stub(source, ex))

    _copy_engine(dest / "grader", chosen)
    data = kit_data(sources)
    for name in data:
        shutil.copyfile(datasets.path(name), dest / name)

    if notebooks:
        try:
            released = release_notebooks({ex: make_notebook(src, ex)
                                          for ex, src in sources.items()})
        except ReleaseError as exc:
            notes.append(f"no notebooks in the kit: {exc}")
        else:
            (dest / "notebooks").mkdir()
            for ex, text in released.items():
                (dest / "notebooks" / f"{EXERCISES[ex]}.ipynb").write_text(text)
    has_notebooks = (dest / "notebooks").is_dir()
    (dest / "README.md").write_text(student_readme(chosen, sources, has_notebooks, data))
    (dest / "requirements.txt").write_text(requirements(has_notebooks))
    (dest / "pyproject.toml").write_text(PYPROJECT)
    return notes


def kit_data(sources: dict[str, str]) -> list[str]:
    """The data sets (grader/datasets.py FILES) that the released exercises load: each goes to
    the kit's root, where the docstrings' examples (`load_csv("diabetes.csv")`) find it. The
    checks read their own copies in grader/data/."""
    return [name for name in datasets.FILES if any(name in src for src in sources.values())]


def requirements(notebooks: bool) -> str:
    """The kit's requirements.txt: what the checks, the exercises' plots and (with notebooks)
    `jupyter lab` need. torch comes first, by the README's line for the student's machine."""
    lines = ["torch>=2.1", "numpy>=1.24", "pytest>=7.4,<10", "matplotlib>=3.7"]
    if notebooks:
        lines += ["jupyterlab>=4", "ipykernel>=6"]
    return ("# install with the line for your machine in README.md (on Linux without a GPU it\n"
            "# installs torch's small CPU build first)\n" + "\n".join(lines) + "\n")


CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# One install line per machine (the kit's README), for Python 3.10 to 3.13: PyPI's torch is the
# CPU build on macOS, and CUDA's on Linux (gigabytes): Linux without a GPU takes the CPU index's.
# Windows' line is PowerShell's (`;`, not `&&`, which Windows PowerShell 5 lacks), CPU build too.
INSTALL = (("macOS (Apple silicon; on an Intel Mac torch stops at 2.2: Python 3.12 at most)",
            "pip install -r requirements.txt"),
           ("Linux without an NVIDIA GPU (most laptops)",
            f"pip install torch --index-url {CPU_INDEX} && pip install -r requirements.txt"),
           ("Linux with an NVIDIA GPU", "pip install -r requirements.txt"),
           ("Windows", f"pip install torch --index-url {CPU_INDEX}; pip install -r "
                       f"requirements.txt"),
           ("Windows with WSL instead", "in WSL's Ubuntu (below), the line for Linux"))


# What stays with the instructor: class runs, gradebooks, feedback pages (classroom/), building,
# releasing and Gradescope (instructor/), and the command-line verbs for them (grader/cli/).
STAYS_WITH_INSTRUCTOR = {"checks", "instructor", "classroom"}
CLI_STAYS_WITH_INSTRUCTOR = ("classroom", "course")


def _copy_engine(target: Path, chosen: list[str]):
    """grader/ as the kit needs it, built from parts, each copied whole: the engine without its
    instructor/ and classroom/ folders and their verbs (STAYS_WITH_INSTRUCTOR: the kit shows a
    student `check` and `grade` only) and without the checks; the checks'
    shared files (conftest.py, pytest.ini, the helpers); for each released exercise its
    folder's __init__.py and its ships/ folder. No instructor/ and no private/ folder is
    copied, and the kit's list of exercises is the folders it holds (grader/exercises.py)."""
    source = ROOT / "grader"
    junk = shutil.ignore_patterns("__pycache__", "*.pyc")

    def engine(where, names):
        left_out = set(junk(where, names))
        here = Path(where).resolve()
        if here == source:
            left_out |= STAYS_WITH_INSTRUCTOR
        elif here == source / "cli":
            left_out |= {f"{m}.py" for m in CLI_STAYS_WITH_INSTRUCTOR}
        return left_out

    shutil.copytree(source, target, ignore=engine)
    checks = target / "checks"
    checks.mkdir()
    for shared in sorted((source / "checks").iterdir()):
        if shared.is_file() and shared.suffix in (".py", ".ini"):
            shutil.copyfile(shared, checks / shared.name)
    for ex in chosen:
        home = folder(ex)
        (checks / home.name).mkdir()
        shutil.copyfile(home / "__init__.py", checks / home.name / "__init__.py")
        shutil.copytree(home / "ships", checks / home.name / "ships", ignore=junk)


def release_notebooks(notebooks: dict[str, str]) -> dict[str, str]:
    """{ex: source notebook} -> {ex: the notebook nbgrader releases} (solutions replaced by a
    NotImplementedError, hidden checks removed), through `nbgrader generate_assignment` in a
    temporary course folder configured by this package's nbgrader_config.py."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise ReleaseError("nbgrader is not installed (pip install nbgrader)") from None
    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        course = Path(tmp)
        shutil.copyfile(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        for ex, text in notebooks.items():
            folder = course / "source_notebooks" / EXERCISES[ex]
            folder.mkdir(parents=True)
            (folder / f"{EXERCISES[ex]}.ipynb").write_text(text)
        from grader.sandbox import with_package_path
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*",
                               "--log-level=ERROR"], cwd=course, env=with_package_path(),
                              capture_output=True, text=True)
        out = {}
        for ex in notebooks:
            path = course / "release" / EXERCISES[ex] / f"{EXERCISES[ex]}.ipynb"
            if not path.exists():
                raise ReleaseError(f"nbgrader could not release {EXERCISES[ex]}:\n"
                                   + (proc.stderr or proc.stdout)[-2000:])
            out[ex] = _clean(path.read_text())
        return out


def _clean(text: str) -> str:
    """The released notebook, with the JSON formatting of the source notebooks."""
    return json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"


def _title(source: str, ex: str) -> str:
    import ast
    doc = ast.get_docstring(ast.parse(source)) or ex
    return doc.strip().splitlines()[0].rstrip(".")


# The Pythons the kit claims (its README, its pyproject.toml), as setup.cfg's classifiers do.
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
CLASSIFIERS = ["Operating System :: Microsoft :: Windows", "Operating System :: MacOS",
               "Operating System :: POSIX :: Linux", "Programming Language :: Python :: 3"] + [
    f"Programming Language :: Python :: {version}" for version in PYTHONS]
_CLASSIFIER_LINES = "".join(f'    "{classifier}",\n' for classifier in CLASSIFIERS)

PYPROJECT = f"""\
# `pip install -e .` makes the grader importable from anywhere (the notebooks' check cells
# need that); `python -m grader check` also works without it, from this folder.
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "torchdrills-kit"
version = "0.1.0"
description = "PyTorch exercises with checks you can run yourself"
requires-python = ">={PYTHONS[0]}"
dependencies = ["torch>=2.1", "numpy>=1.24", "pytest>=7.4,<10"]
classifiers = [
{_CLASSIFIER_LINES}]

[project.scripts]
torchdrills = "grader.cli:main"

[tool.setuptools.packages.find]
include = ["grader*"]

[tool.setuptools.package-data]
grader = ["data/*.csv", "checks/*/ships/expected.json", "checks/pytest.ini"]
"""


def student_readme(chosen, sources, has_notebooks: bool, data=()) -> str:
    first = EXERCISES[chosen[0]]
    names = ", ".join(f"`{name}`" for name in data)
    data_note = f"""
## The data sets

The data sets the exercises load ({names}) are in this folder,
next to this README. The examples (`load_csv("{data[0] if data else ''}")`) read them from here:
run your code from this folder, or, in a notebook in `notebooks/`, give the path as
`"../{data[0] if data else ''}"`.
""" if data else ""
    install = "\n".join(f"| {where} | `{line}` |" if "pip" in line else f"| {where} | {line} |"
                        for where, line in INSTALL)
    listing = "\n".join(f"| {ex} | `exercises/{EXERCISES[ex]}.py` | {_title(sources[ex], ex)} |"
                        for ex in chosen)
    notebooks = f"""
## Or work in notebooks

The same exercises as notebooks, in `notebooks/`. Each function has its own cell, followed by a
check cell: run the function's cell, then the check cell after it.

```bash
pip install -e .          # once: lets the notebooks' check cells find the grader
jupyter lab notebooks/
python -m grader check --submission notebooks     # all notebooks, from a terminal
```
""" if has_notebooks else ""
    sample = "" if "ex01" not in chosen else """
With ex01's `loss` returning the error but not its square yet, `check ex01` says:

```
ex01: 6 of 7 checks pass
  x loss: loss on the course data at w = 1 is [1, 4, 9]
      loss(x, y, w=1.0) returned the wrong value.
        expected: [1, 4, 9]
        got:      [-1, -2, -3]
        hint: this is the error x*w - y, not its square
```
"""
    return f"""# PyTorch exercises: your starter kit

| exercise | your file | what it is about |
|---|---|---|
{listing}

## Set up (once)

With Python {PYTHONS[0]} to {PYTHONS[-1]}, in this folder: a virtual environment, then the install
line for your machine (torch, NumPy, pytest, matplotlib{", Jupyter" if has_notebooks else ""}).

```bash
python3 -m venv .venv
source .venv/bin/activate            # again in every new terminal
```

On Windows, in PowerShell:

```powershell
py -m venv .venv                     # or: python -m venv .venv
.venv\\Scripts\\Activate.ps1           # again in every new terminal
```

(If PowerShell refuses to run the script: `Set-ExecutionPolicy -Scope CurrentUser RemoteSigned`,
once.)

| your machine | install |
|---|---|
{install}

The checks run on Windows, macOS and Linux alike. On Windows you may also work in WSL instead:
`wsl --install` in PowerShell, then, in the Ubuntu it installs, `sudo apt install python3-venv`
and the lines for Linux above, in this folder (as `/mnt/c/...`).

## Work in the .py files

Open `exercises/{first}.py`. Every function you write says what it takes and returns, with
shapes, dtypes and a worked example, and raises `NotImplementedError` until you fill it in.
Check your work as often as you like, from this folder (the one that holds `exercises/`):

```bash
python -m grader check            # every exercise
python -m grader check {chosen[0]}       # one exercise
```

{sample}{notebooks}{data_note}
## What the checks mean

The checks here use fixed inputs with known answers. The graders also run hidden checks on other,
random inputs (and on a GPU where there is one), so return the computation, not the numbers.
Your code runs in a separate process with a time limit: a function that loops forever or
crashes costs only its own checks. On Linux that process is also sandboxed (memory, files,
network); on macOS and Windows it is not, and `check` says so in one line: it is your own code,
on your own machine.

## Handing in

Hand in your `exercises/exNN_*.py` files (or your notebooks), the way your course says. Keep the
file names: the grader finds each exercise by its number. A module or a package of your own
that they import (`utils.py` or `mylib/formulas.py`, beside them) is graded with them, and so is
a text file your code opens by name (`settings.json`, beside them); give a module a name of its
own (not `random.py` or `torch.py`, which would stand in for Python's). A "manual" function must
not use autograd anywhere it calls, in `utils.py` too. A statement at the top of a `.py` file
that runs past 5 s (a training run) is stopped: put experiments under
`if __name__ == "__main__":`.
"""
