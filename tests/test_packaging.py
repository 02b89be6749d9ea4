"""What a wheel of the package holds: a plain `pip wheel .` no answer (solutions/, every
checks/*/private/), so that a wheel published by mistake publishes none; a wheel built for the
autograder's image (TORCHDRILLS_WITH_ANSWERS=1) every one, as grading needs them."""
from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("grader", "solutions", "exercises", "setup.cfg", "setup.py", "pyproject.toml",
           "README.md")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of what a build reads (so that the build leaves nothing in the checkout)."""
    src = tmp_path_factory.mktemp("packaging") / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copyfile(ROOT / name, src / name)
    return src


def _wheel(src: Path, out: Path, **env) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(out)], cwd=src,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("torchdrills-*.whl")
    shutil.rmtree(src / "build", ignore_errors=True)   # the next build starts afresh
    return zipfile.ZipFile(wheel).namelist()


def _answers(names):
    return sorted(n for n in names if n.startswith("solutions/") or "/private/" in n)


def test_a_plain_wheel_holds_no_answer(source, tmp_path):
    names = _wheel(source, tmp_path, TORCHDRILLS_WITH_ANSWERS="")
    assert _answers(names) == []
    # the rest is there: the engine, the visible checks and their data, the stubs
    assert "grader/cli/__init__.py" in names
    assert "grader/checks/ex01_linear_model/ships/test_visible.py" in names
    assert "grader/checks/ex01_linear_model/ships/expected.json" in names
    assert "exercises/ex01_linear_model.py" in names


def test_the_autograders_wheel_holds_every_answer(source, tmp_path):
    names = _wheel(source, tmp_path, TORCHDRILLS_WITH_ANSWERS="1")
    ours = sorted(p.relative_to(ROOT).as_posix() for p in
                  [*ROOT.glob("solutions/*.py"), *ROOT.glob("grader/checks/*/private/*.py")])
    assert len(ours) > 12 and _answers(names) == ours


def test_classifiers_name_every_python_the_package_claims():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    classifiers = cfg.get("metadata", "classifiers").split("\n")
    assert cfg.get("options", "python_requires") == ">=3.10"
    versions = [c.rsplit(" :: ", 1)[1] for c in classifiers
                if c.startswith("Programming Language :: Python :: 3.")]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert "Operating System :: POSIX :: Linux" in classifiers


def test_the_docs_install_the_answers_from_no_public_index():
    """docs/cluster.md gives the workers the wheel built with the answers, by the switch
    setup.py reads, and never `pip install torchdrills` from an index."""
    import re
    cluster = (ROOT / "docs" / "cluster.md").read_text()
    switch = re.search(r'os\.environ\.get\("(\w+)"', (ROOT / "setup.py").read_text()).group(1)
    assert f"{switch}=1 pip wheel ." in cluster
    assert not re.search(r"pip install[^\n`]*\btorchdrills\[", cluster.replace(".whl[", ""))
    assert "PyPI" in cluster


def test_the_readme_starts_from_a_fresh_machine():
    readme = (ROOT / "README.md").read_text()
    start = readme.split("## Quick start")[1].split("\n## ")[0]
    steps = [line for line in start.splitlines() if line.startswith(("git ", "python3 -m venv",
                                                                      "pip install"))]
    assert steps[0].startswith("git clone") and "&& cd torchdrills" in steps[0]
    assert steps[1] == "python3 -m venv .venv && source .venv/bin/activate"
    assert steps[2].endswith("python -m grader demo") and "python -m pytest tests" in steps[3]
    assert "bubblewrap" in start and "chromium" in start and "minutes" in start
    assert "ready for an LMS import" not in readme


CPU_TORCH = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def test_the_readme_installs_a_students_kit_with_the_cpu_build_on_linux():
    """The README's students' section gives one install line per machine, the kit README's
    (release.INSTALL): on Linux without a GPU torch's CPU index first, as on Windows; the
    quick start's two commands are the instructor's, unchanged."""
    from grader.instructor.release import INSTALL
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## For students")[1].split("\n## ")[0]
    rows = [r.strip("|").split("|") for r in section.split("| your machine | install |")[1]
            .split("\n\n")[0].strip().splitlines()[1:]]
    lines = {where.strip(): line.strip().strip("`") for where, line in rows}
    linux = {m: line for m, line in lines.items() if m.startswith("Linux")}
    assert [line for m, line in linux.items() if "without" in m] == [
        f"{CPU_TORCH} && pip install -r requirements.txt"]
    assert [line for m, line in linux.items() if "without" not in m] == [
        "pip install -r requirements.txt"]
    assert lines[next(m for m in lines if m.startswith("Windows"))].startswith(f"{CPU_TORCH};")
    assert {m.split()[0] for m in lines} == {"macOS", "Linux", "Windows"}
    kit = {m.split()[0] + (" without" if "without" in m else ""): line
           for m, line in INSTALL if "pip install" in line}
    assert {m.split()[0] + (" without" if "without" in m else ""): line
            for m, line in lines.items()} == kit   # the kit's README says the same
    quick = readme.split("## Quick start")[1].split("\n## ")[0]
    assert CPU_TORCH not in quick   # the instructor's lines pin torch==2.13.0, as CI runs them


def test_an_editable_install_maps_the_whole_checkout(source, tmp_path):
    """`pip install -e .` (the README's) copies nothing: its finder maps solutions too, which
    the instructor's commands import."""
    code = f"from setuptools import build_meta; print(build_meta.build_editable({str(tmp_path)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, TORCHDRILLS_WITH_ANSWERS=""))
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("torchdrills-*.whl")
    archive = zipfile.ZipFile(wheel)
    (finder,) = [n for n in archive.namelist() if n.endswith("_finder.py")]
    text = archive.read(finder).decode()
    for package in ("grader", "solutions", "exercises"):
        assert f"'{package}': '{source / package}'" in text
    shutil.rmtree(source / "build", ignore_errors=True)
