"""The kit's set-up, as its README tells it: one install line per machine, the small CPU build
of torch on Linux without a GPU, and everything the README then uses (matplotlib for the plots,
Jupyter where it says `jupyter lab`); each exercise file says where to run its check from."""
from __future__ import annotations

import re

import pytest

from grader.cli import main
from grader.exercises import EXERCISES
from grader.instructor.release import requirements, student_readme


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    dest = tmp_path_factory.mktemp("readme") / "kit"
    assert main(["release", str(dest), "--exercises", "ex01", "--no-notebooks"]) == 0
    return dest


def _install_lines(readme: str) -> dict[str, str]:
    """{machine: install line} from the README's table."""
    section = readme.split("| your machine | install |")[1].split("\n\n")[0]
    rows = [r.strip("|").split("|") for r in section.splitlines()[2:]]
    return {where.strip(): line.strip() for where, line in rows}


def test_one_install_line_per_machine(kit):
    readme = (kit / "README.md").read_text()
    assert "Python 3.10 to 3.13" in readme and "python3 -m venv .venv" in readme
    lines = _install_lines(readme)
    machines = {m.split()[0] for m in lines}
    assert machines == {"macOS", "Linux", "Windows"}, lines
    linux = {m: line.strip("`") for m, line in lines.items() if m.startswith("Linux")}
    cpu = [line for m, line in linux.items() if "without" in m]
    assert cpu == ["pip install torch --index-url https://download.pytorch.org/whl/cpu "
                   "&& pip install -r requirements.txt"]
    for line in linux.values():   # every line ends with the kit's own requirements
        assert line.endswith("pip install -r requirements.txt")
    assert lines["Windows"] == ("`pip install torch --index-url https://download.pytorch.org/whl/"
                                "cpu; pip install -r requirements.txt`")   # PowerShell: no &&
    assert "py -m venv .venv" in readme and ".venv\\Scripts\\Activate.ps1" in readme
    assert any("WSL" in m for m in lines), lines   # still an option


def test_requirements_hold_what_the_readme_uses(kit):
    wanted = {line.split(">")[0].split("<")[0] for line in
              (kit / "requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    assert wanted == {"torch", "numpy", "pytest", "matplotlib"}
    assert "jupyter" not in (kit / "README.md").read_text()      # no notebooks, no Jupyter
    with_notebooks = student_readme(["ex01"], {"ex01": '"""Exercise 01."""\n'}, True)
    assert "jupyter lab" in with_notebooks
    assert {"jupyterlab", "ipykernel", "matplotlib"} <= {
        re.split("[<>=]", line)[0] for line in requirements(True).splitlines()}


def test_exercise_files_say_where_to_run_the_check(kit):
    stub = (kit / "exercises" / f"{EXERCISES['ex01']}.py").read_text()
    header = stub.split('"""')[0]
    assert "from the folder that holds exercises/" in header
    assert "python -m grader check ex01" in header
