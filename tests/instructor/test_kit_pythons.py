"""The Python versions the package and the kit claim (setup.cfg's classifiers, the kit's README
and pyproject.toml), and, under each claimed Python found on this machine, every module they ship:
it compiles with warnings as errors (new syntax, an escape sequence 3.12 warns about), and each
name it imports from the standard library exists there (a module added later, like tomllib, or
removed, like imghdr; a name added later, like typing.Self or datetime.UTC), unless the import
is guarded by a test of sys.version_info or an `except ImportError`."""
from __future__ import annotations

import configparser
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.instructor.release import PYPROJECT, PYTHONS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = configparser.ConfigParser()
CONFIG.read(ROOT / "setup.cfg")
CLASSIFIED = [m.group(1) for m in re.finditer(r"Programming Language :: Python :: (3\.\d+)$",
                                              CONFIG["metadata"]["classifiers"], re.M)]


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def test_the_versions_claimed_agree(tmp_path):
    assert CLASSIFIED == list(PYTHONS), "setup.cfg and the kit claim other Pythons"
    minors = sorted(_minor(v) for v in CLASSIFIED)
    assert minors == list(range(minors[0], minors[-1] + 1)), CLASSIFIED   # no gap
    low, high = f"3.{minors[0]}", f"3.{minors[-1]}"
    assert CONFIG["options"]["python_requires"].strip() == f">={low}"
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in CLASSIFIED   # this one is claimed
    assert f'requires-python = ">={low}"' in PYPROJECT
    assert re.findall(r"Programming Language :: Python :: (3\.\d+)", PYPROJECT) == CLASSIFIED
    assert main(["release", str(tmp_path / "kit"), "--exercises", "ex01", "--no-notebooks"]) == 0
    assert f"With Python {low} to {high}," in (tmp_path / "kit" / "README.md").read_text()


def _python(version: str) -> str | None:
    """An interpreter of this version: this one, pythonX.Y on PATH, or one of pyenv's."""
    if version == f"{sys.version_info[0]}.{sys.version_info[1]}":
        return sys.executable
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [shutil.which(f"python{version}")] + sorted(
        glob.glob(os.path.join(pyenv, "versions", f"{version}.*", "bin", "python")))
    for python in filter(None, candidates):
        found = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
                               capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == version:
            return python
    return None


# Run by the interpreter under test, on a JSON list of files: prints one line per problem.
READER = r"""
import ast, importlib, json, sys, warnings
warnings.simplefilter("error")
problems = []
for path in json.load(sys.stdin):
    with open(path, encoding="utf-8") as file:
        text = file.read()
    try:
        compile(text, path, "exec")
    except (SyntaxError, Warning) as exc:
        problems.append(f"{path}: {type(exc).__name__}: {exc}")
        continue
    tree = ast.parse(text)
    guarded = set()   # under `if sys.version_info ...` or `try: ... except ImportError`
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and "version_info" in ast.dump(node.test)) or (
                isinstance(node, ast.Try) and any(
                    "ImportError" in ast.dump(h.type) for h in node.handlers if h.type)):
            guarded.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            pairs = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            pairs = [(node.module, a.name) for a in node.names]
        else:
            continue
        for module, name in pairs:
            if module.split(".")[0] not in STDLIB:
                continue
            try:
                found = importlib.import_module(module)
            except (ImportError, Warning) as exc:   # gone, or going (a DeprecationWarning)
                problems.append(f"{path}:{node.lineno}: {module}: {type(exc).__name__}: {exc}")
                continue
            if name not in (None, "*") and not hasattr(found, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    problems.append(f"{path}:{node.lineno}: no {name} in {module}")
print("\n".join(problems))
"""


def _shipped(kit: Path) -> list[str]:
    """Every module the kit ships (engine, checks, stubs) and the package's own."""
    package = [p for top in ("grader", "solutions", "exercises") for p in (ROOT / top).rglob("*.py")]
    return sorted(str(p) for p in list(kit.rglob("*.py")) + package + [ROOT / "setup.py"])


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    dest = tmp_path_factory.mktemp("pythons") / "kit"
    assert main(["release", str(dest), "--no-notebooks"]) == 0
    return dest


@pytest.mark.parametrize("version", CLASSIFIED)
def test_every_module_shipped_reads_and_imports_under(version, kit):
    python = _python(version)
    if python is None:
        pytest.skip(f"no Python {version} here (python{version} on PATH, or pyenv's "
                    f"versions/{version}.*)")
    files = _shipped(kit)
    assert len(files) > 150 and any("/exercises/ex12" in f for f in files)
    # the standard library's modules as this Python (the tests') has them: only they are looked
    # up (not torch, numpy, pytest or the package's own, nor Windows' msvcrt here)
    stdlib = sorted(n for n in set(sys.stdlib_module_names) - {"__future__"}
                    if importlib.util.find_spec(n) is not None)
    script = f"STDLIB = set({stdlib!r})\n" + READER
    run = subprocess.run([python, "-I", "-c", script], input=json.dumps(files),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "", f"under Python {version}:\n{run.stdout}"


def test_the_course_file_reads_on_every_python_claimed():
    """course.toml is read by tomllib from 3.11, by the tomli package before: the classroom's
    extra installs tomli where the oldest Python claimed lacks tomllib."""
    source = (ROOT / "grader" / "classroom" / "course_file.py").read_text()
    assert "import tomllib" in source and "import tomli\n" in source
    for extra in ("classroom", "test"):
        wanted = [line.strip() for line in
                  CONFIG["options.extras_require"][extra].splitlines() if line.strip()]
        toml = [line for line in wanted if re.match(r"tomli\b", line)]
        if _minor(CLASSIFIED[0]) < 11:
            assert len(toml) == 1 and toml[0].endswith('; python_version < "3.11"'), wanted
